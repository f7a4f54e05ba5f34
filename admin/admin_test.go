package admin_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// backends runs fn on a fresh service over each backend; PostgreSQL only when
// GATEHOUSE_TEST_POSTGRES is set.
func backends(t *testing.T, fn func(t *testing.T, svc *admin.Service)) {
	t.Helper()
	opens := map[string]func(testing.TB) store.Store{
		"sqlite":   sqlitestoretest.Open,
		"postgres": pgstoretest.Open,
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			s := opens[name](t)
			fn(t, &admin.Service{Store: s, PasswordParams: fastParams})
		})
	}
}

var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func wantKind(t *testing.T, what string, err error, want gatehouse.Kind) {
	t.Helper()
	if got := gatehouse.ErrorKind(err); err == nil || got != want {
		t.Errorf("%s: err = %v (kind %v), want kind %v", what, err, got, want)
	}
}

func mustUser(t *testing.T, svc *admin.Service, username, email string) *gatehouse.User {
	t.Helper()
	u, err := svc.CreateUser(context.Background(), admin.System, admin.NewUser{Username: username, Email: email})
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", username, err)
	}
	return u
}

func TestCreateUser(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		u, err := svc.CreateUser(ctx, admin.System, admin.NewUser{
			Username: "Unal", Email: "ünal@example.com", Password: "long enough pw",
		})
		if err != nil {
			t.Fatalf("CreateUser: %v", err)
		}
		if u.Name != "Unal" || u.Kind != gatehouse.Personal || u.PasswordHash == "" {
			t.Errorf("CreateUser = %+v, want name defaulted, personal, password hashed", u)
		}
		if ok, _ := password.Verify(u.PasswordHash, "long enough pw"); !ok {
			t.Errorf("stored hash does not verify the password")
		}
		events, _, err := svc.Store.ListAuditEvents(ctx, 0, store.Page{Limit: 10})
		if err != nil || len(events) != 1 || events[0].Action != "user_created" {
			t.Errorf("audit events = %v, %v; want one user_created", events, err)
		}

		tests := []struct {
			name string
			in   admin.NewUser
			want gatehouse.Kind
		}{
			{"username other case", admin.NewUser{Username: "UNAL", Email: "x@example.com"}, gatehouse.Conflict},
			{"email other case", admin.NewUser{Username: "other", Email: "ÜNAL@EXAMPLE.COM"}, gatehouse.Conflict},
			{"bad username", admin.NewUser{Username: "a..b", Email: "y@example.com"}, gatehouse.Invalid},
			{"digits username", admin.NewUser{Username: "12345", Email: "y@example.com"}, gatehouse.Invalid},
			{"reserved username", admin.NewUser{Username: "API", Email: "y@example.com"}, gatehouse.Invalid},
			{"bad email", admin.NewUser{Username: "bob", Email: "Bob <bob@example.com>"}, gatehouse.Invalid},
			{"no email", admin.NewUser{Username: "bob"}, gatehouse.Invalid},
			{"short password", admin.NewUser{Username: "bob", Email: "bob@example.com", Password: "short"}, gatehouse.Invalid},
		}
		for _, tt := range tests {
			_, err := svc.CreateUser(ctx, admin.System, tt.in)
			wantKind(t, tt.name, err, tt.want)
		}
		if _, n, _ := svc.Store.ListAuditEvents(ctx, 0, store.Page{}); n != 1 {
			t.Errorf("audit events after failures = %d, want 1 (failures write nothing)", n)
		}
	})
}

func TestCreateGroup(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		alice := mustUser(t, svc, "alice", "alice@example.com")
		g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "ALICE"})
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		if g.Name != "acme.corp" || g.DefaultRole != gatehouse.Guest {
			t.Errorf("CreateGroup = %+v, want name defaulted and guest default role", g)
		}
		m, err := svc.Store.FindMember(ctx, g.ID, alice.ID)
		if err != nil || m.Role != gatehouse.Owner {
			t.Errorf("FindMember(owner) = %+v, %v, want owner", m, err)
		}
		byID, err := admin.FindGroup(ctx, svc.Store, itoa(g.ID))
		if err != nil || byID.ID != g.ID {
			t.Errorf("FindGroup(id) = %v, %v", byID, err)
		}

		_, err = svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "ACME.Corp", Owner: "alice"})
		wantKind(t, "path other case", err, gatehouse.Conflict)
		_, err = svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "ghost-owned", Owner: "ghost"})
		wantKind(t, "unknown owner", err, gatehouse.NotFound)
		if _, err := svc.Store.FindGroupByPath(ctx, "ghost-owned"); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("group with unknown owner was written: %v", err)
		}
		for _, p := range []string{"bad..path", "trailing.", "x.git", "-lead", "123", "groups", "sp ace"} {
			_, err = svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: p, Owner: "alice"})
			wantKind(t, "path "+p, err, gatehouse.Invalid)
		}
	})
}

func TestSetMember(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		mustUser(t, svc, "alice", "alice@example.com")
		bob := mustUser(t, svc, "bob", "bob@example.com")
		g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme", Owner: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if m, err := svc.SetMember(ctx, admin.System, "acme", "bob", gatehouse.Developer); err != nil || m.Role != gatehouse.Developer {
			t.Fatalf("SetMember(add) = %+v, %v", m, err)
		}
		if m, err := svc.SetMember(ctx, admin.System, itoa(g.ID), itoa(bob.ID), gatehouse.Maintainer); err != nil || m.Role != gatehouse.Maintainer {
			t.Fatalf("SetMember(change by ids) = %+v, %v", m, err)
		}
		_, err = svc.SetMember(ctx, admin.System, "acme", "alice", gatehouse.Developer)
		wantKind(t, "demote last owner", err, gatehouse.Invalid)
		if err != nil && !strings.Contains(gatehouse.ErrorMessage(err), "last owner") {
			t.Errorf("message %q does not say last owner", gatehouse.ErrorMessage(err))
		}
		if _, err := svc.SetMember(ctx, admin.System, "acme", "bob", gatehouse.Owner); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetMember(ctx, admin.System, "acme", "alice", gatehouse.Guest); err != nil {
			t.Errorf("demote one of two owners: %v", err)
		}
		_, err = svc.SetMember(ctx, admin.System, "acme", "nobody", gatehouse.Guest)
		wantKind(t, "unknown user", err, gatehouse.NotFound)
		_, err = svc.SetMember(ctx, admin.System, "nowhere", "bob", gatehouse.Guest)
		wantKind(t, "unknown group", err, gatehouse.NotFound)
		_, err = svc.SetMember(ctx, admin.System, "acme", "bob", gatehouse.Role(12))
		wantKind(t, "bad role", err, gatehouse.Invalid)
	})
}

func TestSCIMTokens(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		mustUser(t, svc, "alice", "alice@example.com")
		a, _ := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "a.corp", Owner: "alice"})
		if _, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "b.corp", Owner: "alice"}); err != nil {
			t.Fatal(err)
		}

		first, t1, err := svc.ResetSCIMTokens(ctx, admin.System, "a.corp")
		if err != nil {
			t.Fatal(err)
		}
		if !gatehouse.WellFormedToken(gatehouse.SCIMTokenPrefix, first) {
			t.Errorf("token %q is not gth_scim_ + 43 base64url characters", first)
		}
		if string(t1.Hash) == first || len(t1.Hash) != 32 {
			t.Errorf("stored hash %x is not a SHA-256 of the token", t1.Hash)
		}
		second, _, err := svc.ResetSCIMTokens(ctx, admin.System, itoa(a.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Store.FindSCIMTokenByHash(ctx, gatehouse.HashToken(first)); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("old token still found after reset: %v", err)
		}
		if tok, err := svc.Store.FindSCIMTokenByHash(ctx, gatehouse.HashToken(second)); err != nil || tok.GroupID != a.ID {
			t.Errorf("new token: %v, %v", tok, err)
		}

		third, t3, err := svc.CreateSCIMToken(ctx, admin.System, "a.corp")
		if err != nil {
			t.Fatalf("CreateSCIMToken (rotation): %v", err)
		}
		_, _, err = svc.CreateSCIMToken(ctx, admin.System, "a.corp")
		wantKind(t, "third token", err, gatehouse.Conflict)
		list, err := svc.ListSCIMTokens(ctx, "A.CORP")
		if err != nil || len(list) != 2 {
			t.Fatalf("ListSCIMTokens = %d tokens, %v; want 2", len(list), err)
		}

		err = svc.RevokeSCIMToken(ctx, admin.System, "b.corp", t3.ID)
		wantKind(t, "revoke through another group", err, gatehouse.NotFound)
		if err := svc.RevokeSCIMToken(ctx, admin.System, "a.corp", t3.ID); err != nil {
			t.Fatalf("RevokeSCIMToken: %v", err)
		}
		if _, err := svc.Store.FindSCIMTokenByHash(ctx, gatehouse.HashToken(third)); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("revoked token still found: %v", err)
		}
		_, _, err = svc.ResetSCIMTokens(ctx, admin.System, "missing")
		wantKind(t, "reset unknown group", err, gatehouse.NotFound)
	})
}

func TestPATs(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		alice := mustUser(t, svc, "alice", "alice@example.com")
		exp := time.Now().UTC().AddDate(0, 1, 0).Truncate(24 * time.Hour)
		tok, pat, err := svc.CreatePAT(ctx, admin.System, admin.NewPAT{User: "alice", Name: "ci", ExpiresAt: exp})
		if err != nil {
			t.Fatal(err)
		}
		if !gatehouse.WellFormedToken(gatehouse.PATPrefix, tok) || pat.UserID != alice.ID {
			t.Errorf("CreatePAT = %q, %+v", tok, pat)
		}
		found, err := svc.Store.FindPATByHash(ctx, gatehouse.HashToken(tok))
		if err != nil || !found.ExpiresAt.Equal(exp) {
			t.Errorf("FindPATByHash = %+v, %v; want expiry %v", found, err, exp)
		}
		_, _, err = svc.CreatePAT(ctx, admin.System, admin.NewPAT{User: "alice", ExpiresAt: time.Now().AddDate(0, 0, -1)})
		wantKind(t, "expiry in the past", err, gatehouse.Invalid)
		_, _, err = svc.CreatePAT(ctx, admin.System, admin.NewPAT{User: "ghost"})
		wantKind(t, "unknown user", err, gatehouse.NotFound)
		list, err := svc.ListPATs(ctx, "alice")
		if err != nil || len(list) != 1 || list[0].Name != "ci" {
			t.Errorf("ListPATs = %v, %v", list, err)
		}
		if err := svc.RevokePAT(ctx, admin.System, pat.ID); err != nil {
			t.Fatal(err)
		}
		wantKind(t, "revoke twice", svc.RevokePAT(ctx, admin.System, pat.ID), gatehouse.NotFound)
	})
}

func TestBootstrap(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		const n = 4
		var wg sync.WaitGroup
		results := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				results[i], _, errs[i] = svc.Bootstrap(ctx, "")
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for i := range n {
			if errs[i] != nil {
				t.Errorf("Bootstrap #%d: %v", i, errs[i])
			}
			if results[i] {
				created++
			}
		}
		if created != 1 {
			t.Errorf("concurrent Bootstrap created %d administrators, want 1", created)
		}
		root, err := svc.Store.FindUserByUsername(ctx, "root")
		if err != nil || !root.Admin || !root.PasswordExpired {
			t.Errorf("root = %+v, %v; want an admin with a one-time password", root, err)
		}
		if again, _, err := svc.Bootstrap(ctx, ""); again || err != nil {
			t.Errorf("Bootstrap with an admin present = %v, %v; want false, nil", again, err)
		}
	})
}

func TestBootstrapGivenPassword(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		created, pw, err := svc.Bootstrap(ctx, "chosen by the operator")
		if !created || pw != "chosen by the operator" || err != nil {
			t.Fatalf("Bootstrap = %v, %q, %v", created, pw, err)
		}
		root, _ := svc.Store.FindUserByUsername(ctx, "root")
		if ok, _ := password.Verify(root.PasswordHash, pw); !ok || root.PasswordExpired {
			t.Errorf("root password does not verify or is marked one-time")
		}
	})
}

func TestBootstrapRootTaken(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		mustUser(t, svc, "root", "someone@example.com")
		_, _, err := svc.Bootstrap(context.Background(), "")
		wantKind(t, "root held by an ordinary account", err, gatehouse.Conflict)
	})
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestConcurrentRules runs the read-then-write rules from several goroutines
// at once: the group keeps an owner and at most MaxSCIMTokens tokens.
func TestConcurrentRules(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		mustUser(t, svc, "alice", "alice@example.com")
		mustUser(t, svc, "bob", "bob@example.com")
		g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme", Owner: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.SetMember(ctx, admin.System, "acme", "bob", gatehouse.Owner); err != nil {
			t.Fatal(err)
		}

		var wg sync.WaitGroup
		start := make(chan struct{})
		demoteErrs := make([]error, 2)
		for i, who := range []string{"alice", "bob"} {
			wg.Go(func() {
				<-start
				_, demoteErrs[i] = svc.SetMember(ctx, admin.System, "acme", who, gatehouse.Developer)
			})
		}
		const racers = 6
		tokenErrs := make([]error, racers)
		for i := range racers {
			wg.Go(func() {
				<-start
				_, _, tokenErrs[i] = svc.CreateSCIMToken(ctx, admin.System, "acme")
			})
		}
		close(start)
		wg.Wait()

		if owners, err := svc.Store.CountMembersWithRole(ctx, g.ID, gatehouse.Owner); err != nil || owners != 1 {
			t.Errorf("owners after two concurrent demotions = %d, %v (errors %v); want 1", owners, err, demoteErrs)
		}
		ok := 0
		for _, err := range tokenErrs {
			if err == nil {
				ok++
			} else if !gatehouse.IsKind(err, gatehouse.Conflict) {
				t.Errorf("CreateSCIMToken: %v, want nil or Conflict", err)
			}
		}
		if ts, _ := svc.Store.ListSCIMTokens(ctx, g.ID); ok != admin.MaxSCIMTokens || len(ts) != admin.MaxSCIMTokens {
			t.Errorf("%d concurrent CreateSCIMToken: %d succeeded, %d stored; want %d", racers, ok, len(ts), admin.MaxSCIMTokens)
		}
	})
}
