// Package sqldbtest holds the checks of the SQL backends' own machinery that
// both sqlitestore and pgstore run: the error messages built from each
// driver's constraint reports, the time encoding, InTx's handling of a
// panic, and Open's migrations (OpenConcurrently, OpenNewerSchema,
// OpenUpgrade). What every store.Store must do is store/storetest's
// business; this package checks what sqldb adds on top, through each real
// driver.
package sqldbtest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Run runs the checks as subtests of t, each on a store of its own from open.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"ConflictMessages", testConflictMessages},
		{"MissingReferenceMessages", testMissingReferenceMessages},
		{"TimeRoundTrip", testTimeRoundTrip},
		{"InTxPanic", testInTxPanic},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// checkErr reports unless err is a *gatehouse.Error of kind with message.
func checkErr(t *testing.T, call string, err error, kind gatehouse.Kind, message string) {
	t.Helper()
	var ge *gatehouse.Error
	if !errors.As(err, &ge) {
		t.Errorf("%s = %v, want a *gatehouse.Error of kind %v", call, err, kind)
		return
	}
	if ge.Kind != kind || ge.Message != message {
		t.Errorf("%s = kind %v, message %q; want kind %v, message %q (error: %v)", call, ge.Kind, ge.Message, kind, message, err)
	}
}

func must(t *testing.T, call string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", call, err)
	}
}

func personal(username, email string) *gatehouse.User {
	return &gatehouse.User{Username: username, Name: username, Kind: gatehouse.Personal, State: gatehouse.UserActive,
		Emails: []gatehouse.Email{{Address: email, Primary: true}}}
}

func managed(groupID int64, username, email string) *gatehouse.User {
	u := personal(username, email)
	u.Kind, u.ManagingGroupID = gatehouse.Managed, groupID
	return u
}

func scimIdentity(groupID, userID int64, scimID, externUID, userName string) *gatehouse.SCIMIdentity {
	return &gatehouse.SCIMIdentity{SCIMID: scimID, GroupID: groupID, UserID: userID, ExternUID: externUID,
		UserName: userName, State: gatehouse.IdentityActive}
}

// testConflictMessages violates every unique index once and checks that the
// message names the value, whichever way the driver reported the index.
func testConflictMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := &gatehouse.Group{Path: "acme", Name: "Acme", DefaultRole: gatehouse.Guest}
	must(t, "CreateGroup(acme)", s.CreateGroup(ctx, g))
	alice := personal("alice", "alice@example.org")
	must(t, "CreateUser(alice)", s.CreateUser(ctx, alice))
	bob := personal("bob", "bob@example.org")
	must(t, "CreateUser(bob)", s.CreateUser(ctx, bob))
	carol := managed(g.ID, "carol", "carol@example.org")
	must(t, "CreateUser(carol)", s.CreateUser(ctx, carol))
	must(t, "CreateIdentity", s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: alice.ID, ExternUID: "Alice@IdP", State: gatehouse.IdentityActive}))
	must(t, "CreateSCIMIdentity", s.CreateSCIMIdentity(ctx, scimIdentity(g.ID, alice.ID, "scim-1", "ext-alice", "Alice")))
	_, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	must(t, "CreateSCIMToken", s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{GroupID: g.ID, Hash: hash}))
	must(t, "CreatePAT", s.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: alice.ID, Name: "ci", Hash: hash}))

	tests := []struct {
		name    string
		call    func() error
		message string
	}{
		{"group path", func() error {
			return s.CreateGroup(ctx, &gatehouse.Group{Path: "ACME", Name: "Other", DefaultRole: gatehouse.Guest})
		}, `group path "ACME" is already taken`},
		{"username", func() error { return s.CreateUser(ctx, personal("ALICE", "other@example.org")) },
			`username "ALICE" is already taken`},
		{"personal email", func() error { return s.CreateUser(ctx, personal("dave", "Alice@Example.org")) },
			`email "Alice@Example.org" already belongs to another account`},
		{"personal email on update", func() error {
			b := *bob
			b.Emails = []gatehouse.Email{{Address: "bob@example.org", Primary: true}, {Address: "ALICE@example.org"}}
			return s.UpdateUser(ctx, &b)
		}, `email "ALICE@example.org" already belongs to another account`},
		{"managed email", func() error { return s.CreateUser(ctx, managed(g.ID, "erin", "CAROL@example.org")) },
			`email "CAROL@example.org" already belongs to another account managed by this group`},
		{"SAML extern_uid", func() error {
			return s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: bob.ID, ExternUID: "alice@idp", State: gatehouse.IdentityActive})
		}, `extern_uid "alice@idp" is already used by another identity in this group`},
		{"SAML user", func() error {
			return s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: alice.ID, ExternUID: "other", State: gatehouse.IdentityActive})
		}, fmt.Sprintf("user %d already has a SAML identity in this group", alice.ID)},
		{"SCIM id", func() error { return s.CreateSCIMIdentity(ctx, scimIdentity(g.ID, bob.ID, "scim-1", "ext-bob", "Bob")) },
			`SCIM id "scim-1" is already taken`},
		{"SCIM extern_uid", func() error {
			return s.CreateSCIMIdentity(ctx, scimIdentity(g.ID, bob.ID, "scim-2", "EXT-ALICE", "Bob"))
		},
			`extern_uid "EXT-ALICE" is already used by another SCIM identity in this group`},
		{"SCIM userName", func() error {
			return s.CreateSCIMIdentity(ctx, scimIdentity(g.ID, bob.ID, "scim-2", "ext-bob", "alice"))
		},
			`userName "alice" is already used by another SCIM identity in this group`},
		{"SCIM user", func() error {
			return s.CreateSCIMIdentity(ctx, scimIdentity(g.ID, alice.ID, "scim-2", "ext-2", "Alice2"))
		},
			fmt.Sprintf("user %d already has a SCIM identity in this group", alice.ID)},
		{"SCIM token", func() error { return s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{GroupID: g.ID, Hash: hash}) },
			"a SCIM token with this hash already exists"},
		{"personal access token", func() error {
			return s.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: bob.ID, Name: "ci", Hash: hash})
		}, "a personal access token with this hash already exists"},
	}
	for _, tt := range tests {
		checkErr(t, tt.name, tt.call(), gatehouse.Conflict, tt.message)
	}
}

// testMissingReferenceMessages checks that a write naming a missing group or
// user says which one, although SQLite does not report which foreign key
// failed.
func testMissingReferenceMessages(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := &gatehouse.Group{Path: "acme", Name: "Acme", DefaultRole: gatehouse.Guest}
	must(t, "CreateGroup(acme)", s.CreateGroup(ctx, g))
	u := personal("alice", "alice@example.org")
	must(t, "CreateUser(alice)", s.CreateUser(ctx, u))
	const missing = 9999

	tests := []struct {
		name    string
		call    func() error
		message string
	}{
		{"managing group", func() error { return s.CreateUser(ctx, managed(missing, "bob", "bob@example.org")) },
			"group 9999 not found"},
		{"member group", func() error {
			return s.PutMember(ctx, &gatehouse.Member{GroupID: missing, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive})
		}, "group 9999 not found"},
		{"member user", func() error {
			return s.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: missing, Role: gatehouse.Guest, State: gatehouse.MemberActive})
		}, "user 9999 not found"},
		{"identity user", func() error {
			return s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: missing, ExternUID: "x", State: gatehouse.IdentityActive})
		}, "user 9999 not found"},
		{"SCIM identity group", func() error { return s.CreateSCIMIdentity(ctx, scimIdentity(missing, u.ID, "s", "x", "x")) },
			"group 9999 not found"},
		{"SCIM token group", func() error {
			_, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
			return s.CreateSCIMToken(ctx, &gatehouse.SCIMToken{GroupID: missing, Hash: hash})
		}, "group 9999 not found"},
		{"PAT user", func() error {
			_, hash := gatehouse.NewToken(gatehouse.PATPrefix)
			return s.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: missing, Name: "ci", Hash: hash})
		}, "user 9999 not found"},
		{"SAML configuration group", func() error {
			return s.PutSAMLConfig(ctx, &gatehouse.SAMLConfig{GroupID: missing, IdPEntityID: "idp", SSOURL: "https://idp.example/sso", Fingerprints: []string{"ab"}})
		}, "group 9999 not found"},
		{"inside InTx", func() error {
			return s.InTx(ctx, func(q store.Queries) error {
				return q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: missing, Role: gatehouse.Guest, State: gatehouse.MemberActive})
			})
		}, "user 9999 not found"},
	}
	for _, tt := range tests {
		checkErr(t, tt.name, tt.call(), gatehouse.NotFound, tt.message)
	}
}

// testTimeRoundTrip writes times in a zone east and west of UTC, with
// nanoseconds, before and after the epoch, and reads them back as the same
// instant in UTC, truncated (not rounded) to the microsecond.
func testTimeRoundTrip(t *testing.T, s store.Store) {
	ctx := t.Context()
	u := personal("alice", "alice@example.org")
	must(t, "CreateUser(alice)", s.CreateUser(ctx, u))
	_, hash := gatehouse.NewToken(gatehouse.PATPrefix)
	pat := &gatehouse.PersonalAccessToken{UserID: u.ID, Name: "ci", Hash: hash}
	must(t, "CreatePAT", s.CreatePAT(ctx, pat))

	east := time.FixedZone("UTC+05:30", 5*3600+30*60)
	west := time.FixedZone("UTC-08:00", -8*3600)
	tests := []struct {
		name string
		in   time.Time
		want time.Time
	}{
		{"UTC with nanoseconds", time.Date(2030, 1, 2, 3, 4, 5, 999999999, time.UTC), time.Date(2030, 1, 2, 3, 4, 5, 999999000, time.UTC)},
		{"east of UTC", time.Date(2030, 1, 2, 3, 4, 5, 123456789, east), time.Date(2030, 1, 1, 21, 34, 5, 123456000, time.UTC)},
		{"west of UTC, across a day", time.Date(2030, 12, 31, 20, 0, 0, 1500, west), time.Date(2031, 1, 1, 4, 0, 0, 1000, time.UTC)},
		{"before the epoch", time.Date(1969, 7, 20, 20, 17, 40, 654321987, time.UTC), time.Date(1969, 7, 20, 20, 17, 40, 654321000, time.UTC)},
		{"zero", time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		must(t, "TouchPAT("+tt.name+")", s.TouchPAT(ctx, pat.ID, tt.in))
		got, err := s.FindPAT(ctx, pat.ID)
		must(t, "FindPAT", err)
		if !got.LastUsedAt.Equal(tt.want) || got.LastUsedAt.Location() != time.UTC {
			t.Errorf("TouchPAT(%s), FindPAT().LastUsedAt = %v, want %v", tt.in, got.LastUsedAt, tt.want)
		}
	}
}

// testInTxPanic checks that a panic in an InTx callback rolls the
// transaction back and reaches the caller, and that the store works after.
func testInTxPanic(t *testing.T, s store.Store) {
	ctx := t.Context()
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Errorf("InTx(panicking fn) panicked with %v, want %q", r, "boom")
			}
		}()
		_ = s.InTx(ctx, func(q store.Queries) error {
			must(t, "CreateUser(alice) in InTx", q.CreateUser(ctx, personal("alice", "alice@example.org")))
			panic("boom")
		})
	}()
	taken, err := s.UsernameTaken(ctx, "alice")
	must(t, "UsernameTaken", err)
	if taken {
		t.Errorf("UsernameTaken(alice) after a panicking InTx = true, want false")
	}
	must(t, "CreateUser(alice) after the panic", s.CreateUser(ctx, personal("alice", "alice@example.org")))
}
