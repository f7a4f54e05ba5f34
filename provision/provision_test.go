package provision_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// env is one group with an owner, over a fresh store.
type env struct {
	t      *testing.T
	s      store.Store
	svc    *provision.Service
	adm    *admin.Service
	group  *gatehouse.Group
	caller provision.Caller
	owner  *gatehouse.User
}

func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for name, open := range map[string]func(testing.TB) store.Store{
		"sqlite":   sqlitestoretest.Open,
		"postgres": pgstoretest.Open,
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			adm := &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
			ctx := context.Background()
			owner, err := adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com", Name: "Alice Personal"})
			if err != nil {
				t.Fatal(err)
			}
			g, err := adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "alice"})
			if err != nil {
				t.Fatal(err)
			}
			fn(t, &env{
				t: t, s: s, svc: &provision.Service{Store: s}, adm: adm, group: g, owner: owner,
				caller: provision.Caller{Group: g, TokenID: 1, RequestID: "req-1"},
			})
		})
	}
}

// user parses a SCIM User body built from the fields.
func user(t *testing.T, externalID, userName, email string, extra ...string) *scim.UserDoc {
	t.Helper()
	body := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	if externalID != "" {
		body += fmt.Sprintf(`,"externalId":%q`, externalID)
	}
	body += fmt.Sprintf(`,"userName":%q,"name":{"givenName":"Given","familyName":"Family"},"emails":[{"primary":true,"type":"work","value":%q}]`, userName, email)
	for _, e := range extra {
		body += "," + e
	}
	body += "}"
	u, err := scim.ParseUser([]byte(body))
	if err != nil {
		t.Fatalf("ParseUser(%s): %v", body, err)
	}
	return u
}

func (e *env) create(u *scim.UserDoc) *gatehouse.SCIMIdentity {
	e.t.Helper()
	si, err := e.svc.Create(context.Background(), e.caller, u)
	if err != nil {
		e.t.Fatalf("Create(%s): %v", u.UserName, err)
	}
	return si
}

func (e *env) patch(id string, ops ...scimpatch.Operation) (*gatehouse.SCIMIdentity, error) {
	return e.svc.Patch(context.Background(), e.caller, id, ops, 0)
}

func (e *env) member(userID int64) *gatehouse.Member {
	e.t.Helper()
	m, err := e.s.FindMember(context.Background(), e.group.ID, userID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

func (e *env) samlIdentity(userID int64) *gatehouse.Identity {
	e.t.Helper()
	i, err := e.s.FindIdentityByUser(context.Background(), e.group.ID, userID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return i
}

// wantSCIMError checks err is a *scim.Error with the status and type.
func wantSCIMError(t *testing.T, what string, err error, status int, scimType string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != status || se.ScimType != scimType {
		t.Errorf("%s: err = %v, want SCIM %d %q", what, err, status, scimType)
	}
}

func active(v bool) scimpatch.Operation {
	return scimpatch.Operation{Op: "replace", Path: "active", Value: v}
}

func TestCreateManagedAccount(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "00u1", "bob@acme.example", "bob@acme.example"))
		if si.State != gatehouse.IdentityActive || si.ExternUID != "00u1" || !si.ExternalIDSet || si.Version != 1 {
			t.Errorf("Create = %+v, want an active identity with extern_uid 00u1", si)
		}
		u, err := e.s.FindUserByID(ctx, si.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Kind != gatehouse.Managed || u.ManagingGroupID != e.group.ID || u.Username != "bob" || u.Name != "Given Family" || u.PasswordHash != "" {
			t.Errorf("account = %+v, want a managed account bob of the group without a password", u)
		}
		if i := e.samlIdentity(u.ID); i == nil || i.ExternUID != "00u1" || i.State != gatehouse.IdentityActive {
			t.Errorf("SAML identity = %+v, want active 00u1 (NameID = externalId)", i)
		}
		if m := e.member(u.ID); m == nil || m.Role != gatehouse.Guest || m.State != gatehouse.MemberActive {
			t.Errorf("membership = %+v, want active guest (the group's default role)", m)
		}
		events, _, _ := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 1})
		if len(events) != 1 || events[0].Action != "scim_user_provisioned" || events[0].ActorKind != gatehouse.ActorSCIMToken {
			t.Errorf("audit = %+v, want scim_user_provisioned by the SCIM token", events)
		}

		_, err = e.svc.Create(ctx, e.caller, user(t, "00U1", "other@acme.example", "other@acme.example"))
		wantSCIMError(t, "externalId again in other case", err, http.StatusConflict, scim.Uniqueness)
		_, err = e.svc.Create(ctx, e.caller, user(t, "00u2", "BOB@acme.example", "bob2@acme.example"))
		wantSCIMError(t, "userName again in other case", err, http.StatusConflict, scim.Uniqueness)
	})
}

func TestCreateNeverTakesOverPersonalAccount(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		carol, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "carol", Email: "carol@example.com", Name: "Carol Own Name"})
		if err != nil {
			t.Fatal(err)
		}
		si := e.create(user(t, "00uC", "carol.idp", "CAROL@example.com"))
		if si.UserID != carol.ID || si.State != gatehouse.IdentityPendingLink {
			t.Errorf("Create for carol's email = user %d state %s, want carol's account pending link", si.UserID, si.State)
		}
		if m := e.member(carol.ID); m == nil || m.State != gatehouse.MemberPendingLink {
			t.Errorf("membership = %+v, want pending link (grants nothing)", m)
		}
		if i := e.samlIdentity(carol.ID); i != nil {
			t.Errorf("a SAML identity %+v was linked to a personal account without proof", i)
		}
		got, _ := e.s.FindUserByID(ctx, carol.ID)
		if got.Name != "Carol Own Name" || got.PrimaryEmail() != "carol@example.com" {
			t.Errorf("the IdP changed a personal account: %+v", got)
		}
		// A PUT with new profile data still leaves the personal account alone.
		if _, err := e.svc.Replace(ctx, e.caller, si.SCIMID, user(t, "00uC", "carol.idp", "carol@example.com", `"displayName":"Renamed"`), 0); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.s.FindUserByID(ctx, carol.ID); got.Name != "Carol Own Name" {
			t.Errorf("PUT renamed a personal account to %q", got.Name)
		}
	})
}

func TestManagedAccountOfAnotherGroupIsNotLinked(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "x1", "dave@shared.example", "dave@shared.example"))
		other, err := e.adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "other", Owner: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		si2, err := e.svc.Create(ctx, provision.Caller{Group: other, TokenID: 2}, user(t, "x1", "dave@shared.example", "dave@shared.example"))
		if err != nil {
			t.Fatal(err)
		}
		if si2.UserID == si.UserID {
			t.Errorf("group other's IdP was linked to group acme's managed account %d", si.UserID)
		}
		u2, _ := e.s.FindUserByID(ctx, si2.UserID)
		if u2.ManagingGroupID != other.ID || u2.Username != "dave1" {
			t.Errorf("second account = %+v, want managed by other with username dave1", u2)
		}
	})
}

func TestDeprovisionAndReprovision(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "00u9", "erin@acme.example", "erin@acme.example"))
		if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", fmt.Sprint(si.UserID), gatehouse.Maintainer); err != nil {
			t.Fatal(err)
		}
		off, err := e.patch(si.SCIMID, active(false))
		if err != nil {
			t.Fatal(err)
		}
		if off.Active() || off.State != gatehouse.IdentityInactive || off.PreviousRole != gatehouse.Maintainer {
			t.Errorf("after active:false = %+v, want inactive remembering maintainer", off)
		}
		if m := e.member(si.UserID); m != nil {
			t.Errorf("membership %+v survived deprovisioning", m)
		}
		if i := e.samlIdentity(si.UserID); i == nil {
			t.Errorf("deprovisioning removed the SAML identity")
		}
		if again, err := e.patch(si.SCIMID, active(false)); err != nil || again.State != gatehouse.IdentityInactive {
			t.Errorf("second active:false = %v, %v; want a no-op success", again, err)
		}
		// Re-adding by POST reactivates the same id with the old role.
		back := e.create(user(t, "00u9", "erin@acme.example", "erin@acme.example"))
		if back.SCIMID != si.SCIMID || back.State != gatehouse.IdentityActive {
			t.Errorf("POST after deprovision = %s %s, want the same id %s, active", back.SCIMID, back.State, si.SCIMID)
		}
		if m := e.member(si.UserID); m == nil || m.Role != gatehouse.Maintainer || m.RoleSource != gatehouse.RoleDirect {
			t.Errorf("membership after re-adding = %+v, want maintainer restored, direct (group links leave it)", m)
		}
		wantActions(t, e, si.SCIMID, "scim_user_provisioned", "scim_user_deprovisioned", "scim_user_reprovisioned")
	})
}

// wantActions checks the audit trail of the SCIM identity id: the actions
// named, in order (other actions between them are allowed).
func wantActions(t *testing.T, e *env, id string, want ...string) {
	t.Helper()
	evs, _, err := e.s.ListAuditEvents(context.Background(), e.group.ID, store.Page{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(evs) - 1; i >= 0; i-- { // oldest first
		if evs[i].TargetKind == "scim_identity" && evs[i].TargetID == id {
			got = append(got, evs[i].Action)
		}
	}
	rest := got
	for _, w := range want {
		i := slices.Index(rest, w)
		if i < 0 {
			t.Errorf("audit trail of %s = %v, want %v in that order", id, got, want)
			return
		}
		rest = rest[i+1:]
	}
}

func TestDeleteThenPostAgain(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "00uF", "frank@acme.example", "frank@acme.example"))
		if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", fmt.Sprint(si.UserID), gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Delete(ctx, e.caller, si.SCIMID, 0); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Get(ctx, e.group.ID, si.SCIMID)
		wantSCIMError(t, "GET after DELETE", err, http.StatusNotFound, "")
		wantSCIMError(t, "DELETE twice", e.svc.Delete(ctx, e.caller, si.SCIMID, 0), http.StatusNotFound, "")
		_, err = e.patch(si.SCIMID, active(true))
		wantSCIMError(t, "PATCH after DELETE", err, http.StatusNotFound, "")
		if _, err := e.s.FindUserByID(ctx, si.UserID); err != nil {
			t.Errorf("DELETE removed the account: %v", err)
		}

		back := e.create(user(t, "00uF", "frank@acme.example", "frank@acme.example"))
		if back.SCIMID == si.SCIMID || back.UserID != si.UserID {
			t.Errorf("POST after DELETE = id %s user %d, want a new id on the same account %d", back.SCIMID, back.UserID, si.UserID)
		}
		wantActions(t, e, si.SCIMID, "scim_user_provisioned", "scim_user_deleted")
		wantActions(t, e, back.SCIMID, "scim_user_provisioned")
		if m := e.member(si.UserID); m == nil || m.Role != gatehouse.Developer || m.RoleSource != gatehouse.RoleDirect {
			t.Errorf("membership = %+v, want developer restored, direct", m)
		}
	})
}

func TestLastOwnerCannotBeDeprovisioned(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// alice owns the group; the IdP provisions her personal account.
		si := e.create(user(t, "00uA", "alice.idp", "alice@example.com"))
		_, err := e.patch(si.SCIMID, active(false))
		wantSCIMError(t, "deprovision the last owner", err, http.StatusBadRequest, scim.Mutability)
		wantSCIMError(t, "delete the last owner", e.svc.Delete(ctx, e.caller, si.SCIMID, 0), http.StatusBadRequest, scim.Mutability)
		if m := e.member(e.owner.ID); m == nil || m.Role != gatehouse.Owner {
			t.Errorf("the owner's membership changed: %+v", m)
		}
		if got, _ := e.svc.Get(ctx, e.group.ID, si.SCIMID); !got.Active() {
			t.Errorf("a refused deprovision left the identity inactive")
		}
	})
}

func TestExternalIDMovesSAMLIdentity(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		si := e.create(user(t, "old-id", "gina@acme.example", "gina@acme.example"))
		moved, err := e.patch(si.SCIMID, scimpatch.Operation{Op: "Replace", Path: "externalId", Value: "new-id"})
		if err != nil {
			t.Fatal(err)
		}
		if moved.SCIMID != si.SCIMID || moved.ExternUID != "new-id" {
			t.Errorf("after the change = %s %q, want the same id with extern_uid new-id", moved.SCIMID, moved.ExternUID)
		}
		if i := e.samlIdentity(si.UserID); i == nil || i.ExternUID != "new-id" {
			t.Errorf("SAML identity = %+v, want it moved to new-id", i)
		}
		other := e.create(user(t, "third", "hal@acme.example", "hal@acme.example"))
		_, err = e.patch(other.SCIMID, scimpatch.Operation{Op: "replace", Path: "externalId", Value: "NEW-ID"})
		wantSCIMError(t, "externalId taken in other case", err, http.StatusConflict, scim.Uniqueness)
	})
}

func TestWithoutExternalID(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "", "ivy@acme.example", "ivy@acme.example"))
		if si.ExternalIDSet || si.ExternUID != "ivy@acme.example" {
			t.Errorf("Create without externalId = %+v, want extern_uid = userName", si)
		}
		renamed, err := e.svc.Replace(ctx, e.caller, si.SCIMID, user(t, "", "ivy.new@acme.example", "ivy@acme.example"), 0)
		if err != nil {
			t.Fatal(err)
		}
		if renamed.ExternUID != "ivy.new@acme.example" {
			t.Errorf("userName change = extern_uid %q, want it re-keyed", renamed.ExternUID)
		}
		if i := e.samlIdentity(si.UserID); i == nil || i.ExternUID != "ivy.new@acme.example" {
			t.Errorf("SAML identity = %+v, want it to follow", i)
		}
		set, err := e.svc.Replace(ctx, e.caller, si.SCIMID, user(t, "00uI", "ivy.new@acme.example", "ivy@acme.example"), 0)
		if err != nil || set.ExternUID != "00uI" || !set.ExternalIDSet {
			t.Fatalf("externalId set = %+v, %v", set, err)
		}
		// Later userName changes no longer move it.
		kept, err := e.svc.Replace(ctx, e.caller, si.SCIMID, user(t, "", "ivy.third@acme.example", "ivy@acme.example"), 0)
		if err != nil || kept.ExternUID != "00uI" {
			t.Errorf("PUT without externalId = %+v, %v; want extern_uid kept 00uI", kept, err)
		}
	})
}

func TestManagedProfileFollowsIdP(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.create(user(t, "00uJ", "jo@acme.example", "jo@acme.example"))
		_, err := e.patch(si.SCIMID,
			scimpatch.Operation{Op: "replace", Path: "name.givenName", Value: "Joanna"},
			scimpatch.Operation{Op: "replace", Path: `emails[type eq "work"].value`, Value: "joanna@acme.example"})
		if err != nil {
			t.Fatal(err)
		}
		u, _ := e.s.FindUserByID(ctx, si.UserID)
		if u.Name != "Joanna Family" || u.PrimaryEmail() != "joanna@acme.example" {
			t.Errorf("managed account = %q %q, want the IdP's new name and email", u.Name, u.PrimaryEmail())
		}
	})
}

func TestIfMatch(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		si := e.create(user(t, "00uK", "kim@acme.example", "kim@acme.example"))
		_, err := e.svc.Patch(context.Background(), e.caller, si.SCIMID, []scimpatch.Operation{active(false)}, si.Version+1)
		wantSCIMError(t, "stale If-Match", err, http.StatusPreconditionFailed, "")
		if _, err := e.svc.Patch(context.Background(), e.caller, si.SCIMID, []scimpatch.Operation{active(false)}, si.Version); err != nil {
			t.Errorf("matching If-Match: %v", err)
		}
	})
}

func TestConcurrentIdenticalPosts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		const n = 6
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				_, errs[i] = e.svc.Create(context.Background(), e.caller, user(t, "00uRace", "race@acme.example", "race@acme.example"))
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != http.StatusConflict {
				t.Errorf("a losing POST failed with %v, want a 409", err)
			}
		}
		ids, total, err := e.svc.List(context.Background(), e.group.ID, nil, store.Page{Limit: 10})
		if ok != 1 || total != 1 || err != nil {
			t.Errorf("%d identical POSTs: %d succeeded, %d identities (%v, %v); want 1 and 1", n, ok, total, ids, err)
		}
	})
}

// TestPostRacingDelete: the IdP deletes a user while a POST of the same
// person arrives (a re-assignment right after an unassignment). Whichever
// wins, each request gets a success or a SCIM 404/409, never anything
// else, and the group ends with at most one live identity for the person,
// on one account (security.md §2.9).
func TestPostRacingDelete(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		accounts := map[int64]bool{}
		for round := range 10 {
			doc := func() *scim.UserDoc { return user(t, "00uRD", "rd@acme.example", "rd@acme.example") }
			si, err := e.svc.Create(ctx, e.caller, doc())
			if err != nil {
				t.Fatalf("round %d: create: %v", round, err)
			}
			accounts[si.UserID] = true
			var delErr, postErr error
			var posted *gatehouse.SCIMIdentity
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() { <-start; delErr = e.svc.Delete(ctx, e.caller, si.SCIMID, 0) })
			wg.Go(func() { <-start; posted, postErr = e.svc.Create(ctx, e.caller, doc()) })
			close(start)
			wg.Wait()
			for what, err := range map[string]error{"DELETE": delErr, "POST": postErr} {
				var se *scim.Error
				if err != nil && (!errors.As(err, &se) || (se.Status != http.StatusNotFound && se.Status != http.StatusConflict)) {
					t.Errorf("round %d: %s = %v, want success, 404 or 409", round, what, err)
				}
			}
			if posted != nil {
				accounts[posted.UserID] = true
			}
			live, total, err := e.svc.List(ctx, e.group.ID, nil, store.Page{Limit: 10})
			if err != nil || total > 1 {
				t.Fatalf("round %d: %d live identities (%v, %v), want at most 1", round, total, live, err)
			}
			// Clean up for the next round: whatever is live goes.
			for _, l := range live {
				if err := e.svc.Delete(ctx, e.caller, l.SCIMID, 0); err != nil {
					t.Fatalf("round %d: clean-up delete: %v", round, err)
				}
			}
		}
		if len(accounts) != 1 {
			t.Errorf("the person had %d accounts over the rounds, want 1 (deleting never deletes the account)", len(accounts))
		}
	})
}

func TestCreateNeedsEmail(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u, err := scim.ParseUser([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"nomail"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Create(context.Background(), e.caller, u)
		wantSCIMError(t, "POST without email", err, http.StatusBadRequest, scim.InvalidValue)
		if err != nil && !strings.Contains(err.Error(), "email") {
			t.Errorf("error %q does not mention email", err)
		}
	})
}

func TestDeprovisionEndsGroupSSOSessions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		deprovision func(e *env, si *gatehouse.SCIMIdentity) error
	}{
		{"active false", func(e *env, si *gatehouse.SCIMIdentity) error {
			_, err := e.patch(si.SCIMID, active(false))
			return err
		}},
		{"delete", func(e *env, si *gatehouse.SCIMIdentity) error {
			return e.svc.Delete(context.Background(), e.caller, si.SCIMID, 0)
		}},
		{"admin API remove", func(e *env, si *gatehouse.SCIMIdentity) error {
			return e.svc.Remove(context.Background(), e.ownerCaller(), si.ExternUID)
		}},
		{"admin API SAML unlink", func(e *env, si *gatehouse.SCIMIdentity) error {
			return e.svc.UnlinkSAML(context.Background(), e.ownerCaller(), si.ExternUID)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, func(t *testing.T, e *env) {
				ctx := context.Background()
				now := time.Now()
				si := e.create(user(t, "00uS", "sam@acme.example", "sam@acme.example"))
				session := func(tag string, sso bool) *gatehouse.Session {
					t.Helper()
					s := &gatehouse.Session{Hash: gatehouse.HashToken(tag), UserID: si.UserID, ExpiresAt: now.Add(time.Hour)}
					if err := e.s.CreateSession(ctx, s); err != nil {
						t.Fatal(err)
					}
					if sso {
						if err := e.s.MarkSessionSSO(ctx, s.ID, e.group.ID, now); err != nil {
							t.Fatal(err)
						}
					}
					return s
				}
				ssoSession, plain := session("sso", true), session("plain", false)
				if err := tc.deprovision(e, si); err != nil {
					t.Fatal(err)
				}
				if _, err := e.s.FindSessionByHash(ctx, ssoSession.Hash, now); !gatehouse.IsKind(err, gatehouse.NotFound) {
					t.Errorf("the group's SSO session after deprovisioning: FindSessionByHash = %v, want NotFound", err)
				}
				if _, err := e.s.FindSessionByHash(ctx, plain.Hash, now); err != nil {
					t.Errorf("a session without the group's SSO after deprovisioning: FindSessionByHash = %v, want it kept", err)
				}
			})
		})
	}
}
