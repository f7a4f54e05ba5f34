package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSCIMIdentityCRUD creates a SCIM identity with every field set, finds it
// every way, updates every field and lists the group's identities.
func testSCIMIdentityCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateManagedUser(t, s, g.ID, "unal")

	si := &gatehouse.SCIMIdentity{
		SCIMID:        newSCIMID(),
		GroupID:       g.ID,
		UserID:        u.ID,
		ExternUID:     "AbC-Ünal",
		ExternalIDSet: true,
		UserName:      "Ünal.Example@IdP.example",
		DisplayName:   "Ünal Example",
		GivenName:     "Ünal",
		FamilyName:    "Example",
		Email:         "unal@corp.example",
		State:         gatehouse.IdentityPendingLink,
		PreviousRole:  gatehouse.Developer,
		Attributes: json.RawMessage(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],` +
			`"name":{"givenName":"Ünal","familyName":"Example"},"nested":[1,2.5,{"null":null,"t":true}],` +
			`"urn:example:custom":{"costCenter":"42"}}`),
	}
	must(t, "CreateSCIMIdentity", s.CreateSCIMIdentity(ctx, si))
	if si.ID <= 0 {
		t.Fatalf("CreateSCIMIdentity set ID = %d, want > 0", si.ID)
	}
	if si.Version != 1 {
		t.Errorf("CreateSCIMIdentity set Version = %d, want 1", si.Version)
	}
	checkStamp(t, "CreateSCIMIdentity CreatedAt", si.CreatedAt)
	checkStamp(t, "CreateSCIMIdentity UpdatedAt", si.UpdatedAt)

	finds := []struct {
		op   string
		find func() (*gatehouse.SCIMIdentity, error)
	}{
		{"FindSCIMIdentity(scim id)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
		}},
		{"FindSCIMIdentityByExternUID(abc-ünal)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentityByExternUID(ctx, g.ID, "abc-ünal")
		}},
		{"FindSCIMIdentityByExternUID(ABC-ÜNAL)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentityByExternUID(ctx, g.ID, "ABC-ÜNAL")
		}},
		{"FindSCIMIdentityByUserName(ünal.example@idp.example)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentityByUserName(ctx, g.ID, "ünal.example@idp.example")
		}},
		{"FindSCIMIdentityForUser(live only)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
		}},
		{"FindSCIMIdentityForUser(include deleted)", func() (*gatehouse.SCIMIdentity, error) {
			return s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, true)
		}},
	}
	for _, f := range finds {
		got, err := f.find()
		wantFound(t, f.op, got, err, si)
	}
	_, err := s.FindSCIMIdentityByUserName(ctx, g.ID, "abc-ünal")
	wantKind(t, "FindSCIMIdentityByUserName(the extern_uid)", err, gatehouse.NotFound)
	_, err = s.FindSCIMIdentity(ctx, g.ID, "abc-ünal")
	wantKind(t, "FindSCIMIdentity(the extern_uid)", err, gatehouse.NotFound)

	// Update every field but the SCIM id, group and user.
	up := *si
	up.ExternUID = "new-uid"
	up.ExternalIDSet = false
	up.UserName = "Renamed@IdP.example"
	up.DisplayName = "Renamed"
	up.GivenName = ""
	up.FamilyName = "Renamed"
	up.Email = "renamed@corp.example"
	up.State = gatehouse.IdentityInactive
	up.PreviousRole = gatehouse.Owner
	up.Attributes = json.RawMessage(`{"active":false,"userName":"Renamed@IdP.example"}`)
	must(t, "UpdateSCIMIdentity", s.UpdateSCIMIdentity(ctx, &up, 0))
	if up.Version != 2 {
		t.Errorf("UpdateSCIMIdentity set Version = %d, want 2", up.Version)
	}
	checkStamp(t, "UpdateSCIMIdentity UpdatedAt", up.UpdatedAt)
	got, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity after UpdateSCIMIdentity", got, err, &up)
	got, err = s.FindSCIMIdentityByExternUID(ctx, g.ID, "NEW-UID")
	wantFound(t, "FindSCIMIdentityByExternUID(NEW-UID) of an inactive identity", got, err, &up)
	got, err = s.FindSCIMIdentityByUserName(ctx, g.ID, "renamed@idp.example")
	wantFound(t, "FindSCIMIdentityByUserName(renamed@idp.example)", got, err, &up)
	_, err = s.FindSCIMIdentityByExternUID(ctx, g.ID, "AbC-Ünal")
	wantKind(t, "FindSCIMIdentityByExternUID(the old extern_uid)", err, gatehouse.NotFound)
	_, err = s.FindSCIMIdentityByUserName(ctx, g.ID, "Ünal.Example@IdP.example")
	wantKind(t, "FindSCIMIdentityByUserName(the old userName)", err, gatehouse.NotFound)

	// Attributes and previous role may be cleared.
	cleared := up
	cleared.Attributes = nil
	cleared.PreviousRole = 0
	must(t, "UpdateSCIMIdentity(no attributes, no previous role)", s.UpdateSCIMIdentity(ctx, &cleared, 0))
	got, err = s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity after clearing attributes", got, err, &cleared)

	other := MustCreateSCIMIdentity(t, s, g.ID, MustCreateManagedUser(t, s, g.ID, "bob").ID, "bob@idp.example")
	list, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 10})
	wantFound(t, "ListSCIMIdentities(acme)", list, err, []*gatehouse.SCIMIdentity{&cleared, other})
	wantTotal(t, "ListSCIMIdentities(acme)", total, 2)

	up = cleared
	up.ExternUID = "BOB@idp.example"
	wantKind(t, "UpdateSCIMIdentity to a taken extern_uid", s.UpdateSCIMIdentity(ctx, &up, 0), gatehouse.Conflict)
	up = cleared
	up.UserName = "BOB@IDP.EXAMPLE"
	wantKind(t, "UpdateSCIMIdentity to a taken userName", s.UpdateSCIMIdentity(ctx, &up, 0), gatehouse.Conflict)
	got, err = s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity after the refused updates", got, err, &cleared)
}

// testSCIMIdentityVersion checks that every update bumps the version and that
// an update conditional on a stale version is a Conflict that writes nothing.
func testSCIMIdentityVersion(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	si := MustCreateSCIMIdentity(t, s, g.ID, MustCreateUser(t, s, "alice").ID, "alice@idp")

	v2 := *si
	v2.DisplayName = "Second"
	must(t, "UpdateSCIMIdentity(ifVersion 1)", s.UpdateSCIMIdentity(ctx, &v2, 1))
	if v2.Version != 2 {
		t.Errorf("UpdateSCIMIdentity(ifVersion 1) set Version = %d, want 2", v2.Version)
	}
	v3 := v2
	v3.DisplayName = "Third"
	must(t, "UpdateSCIMIdentity(ifVersion 0)", s.UpdateSCIMIdentity(ctx, &v3, 0))
	if v3.Version != 3 {
		t.Errorf("UpdateSCIMIdentity(ifVersion 0) set Version = %d, want 3", v3.Version)
	}

	for _, stale := range []int64{1, 2, 4} {
		up := v3
		up.DisplayName = fmt.Sprintf("stale %d", stale)
		err := s.UpdateSCIMIdentity(ctx, &up, stale)
		wantKind(t, fmt.Sprintf("UpdateSCIMIdentity(ifVersion %d) at version 3", stale), err, gatehouse.Conflict)
	}
	got, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity after the refused updates", got, err, &v3)

	v4 := v3
	v4.DisplayName = "Fourth"
	must(t, "UpdateSCIMIdentity(ifVersion 3)", s.UpdateSCIMIdentity(ctx, &v4, 3))
	if v4.Version != 4 {
		t.Errorf("UpdateSCIMIdentity(ifVersion 3) set Version = %d, want 4", v4.Version)
	}
	got, err = s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity at version 4", got, err, &v4)
}

// testSCIMIdentityUnique checks the uniqueness rules among a group's live SCIM
// identities: extern_uid, userName (both case-insensitively), user and SCIM
// id; inactive identities count, deleted ones do not, other groups do not.
func testSCIMIdentityUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	type spec struct {
		externUID, userName string
	}
	tests := []struct {
		name          string
		first, second spec
		firstState    gatehouse.IdentityState // the first's state when the second is created
		otherGroup    bool
		sameUser      bool
		sameSCIMID    bool
		conflict      bool
	}{
		{name: "extern_uid in other case", first: spec{"AbC", "one"}, second: spec{"abc", "two"}, conflict: true},
		{name: "extern_uid with umlaut in other case", first: spec{"Ünal", "one"}, second: spec{"ünal", "two"}, conflict: true},
		{name: "extern_uid sharp s and SS", first: spec{"straße", "one"}, second: spec{"STRASSE", "two"}, conflict: true},
		{name: "userName in other case", first: spec{"uid1", "Ünal@IdP"}, second: spec{"uid2", "ÜNAL@idp"}, conflict: true},
		{name: "userName sharp s and SS", first: spec{"uid1", "straße"}, second: spec{"uid2", "Strasse"}, conflict: true},
		{name: "same user", first: spec{"uid1", "one"}, second: spec{"uid2", "two"}, sameUser: true, conflict: true},
		{name: "same SCIM id", first: spec{"uid1", "one"}, second: spec{"uid2", "two"}, sameSCIMID: true, conflict: true},
		{name: "inactive identity counts", first: spec{"uid1", "one"}, second: spec{"UID1", "two"},
			firstState: gatehouse.IdentityInactive, conflict: true},
		{name: "pending identity counts", first: spec{"uid1", "one"}, second: spec{"UID1", "two"},
			firstState: gatehouse.IdentityPendingLink, conflict: true},
		{name: "deleted identity is left out", first: spec{"uid1", "one"}, second: spec{"UID1", "ONE"},
			firstState: gatehouse.IdentityDeleted, sameUser: true},
		{name: "extern_uid and userName in two groups", first: spec{"shared", "Shared"}, second: spec{"SHARED", "shared"},
			otherGroup: true},
		{name: "same user in two groups", first: spec{"uid1", "one"}, second: spec{"uid2", "two"},
			otherGroup: true, sameUser: true},
		{name: "different", first: spec{"uid1", "one"}, second: spec{"uid2", "two"}},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g1 := MustCreateGroup(t, s, fmt.Sprintf("row%d-a", i))
			g2 := g1
			if tc.otherGroup {
				g2 = MustCreateGroup(t, s, fmt.Sprintf("row%d-b", i))
			}
			u1 := MustCreateManagedUser(t, s, g1.ID, fmt.Sprintf("row%d-first", i))
			u2 := u1
			if !tc.sameUser {
				u2 = MustCreateManagedUser(t, s, g2.ID, fmt.Sprintf("row%d-second", i))
			}
			first := newSCIMIdentity(g1.ID, u1.ID, tc.first.externUID)
			first.UserName = tc.first.userName
			must(t, fmt.Sprintf("CreateSCIMIdentity(%+v)", tc.first), s.CreateSCIMIdentity(ctx, first))
			if tc.firstState != "" {
				first.State = tc.firstState
				must(t, fmt.Sprintf("UpdateSCIMIdentity(state %s)", tc.firstState), s.UpdateSCIMIdentity(ctx, first, 0))
			}

			second := newSCIMIdentity(g2.ID, u2.ID, tc.second.externUID)
			second.UserName = tc.second.userName
			if tc.sameSCIMID {
				second.SCIMID = first.SCIMID
			}
			err := s.CreateSCIMIdentity(ctx, second)
			op := fmt.Sprintf("CreateSCIMIdentity(%+v) after CreateSCIMIdentity(%+v)", tc.second, tc.first)
			if !tc.conflict {
				must(t, op, err)
				got, err := s.FindSCIMIdentity(ctx, g2.ID, second.SCIMID)
				wantFound(t, "FindSCIMIdentity of the second identity", got, err, second)
				return
			}
			wantKind(t, op, err, gatehouse.Conflict)
			list, total, err := s.ListSCIMIdentities(ctx, g1.ID, nil, store.Page{Limit: 10})
			wantIDs(t, "ListSCIMIdentities after the refused create", list, err, scimID, []int64{first.ID})
			wantTotal(t, "ListSCIMIdentities after the refused create", total, 1)
		})
	}
}

// testSCIMIdentityDeleted checks that deleted SCIM identities are left out of
// every lookup and list except FindSCIMIdentityForUser's includeDeleted, which
// returns the most recently deleted one when no live one exists.
func testSCIMIdentityDeleted(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateManagedUser(t, s, g.ID, "alice")
	other := MustCreateSCIMIdentity(t, s, g.ID, MustCreateManagedUser(t, s, g.ID, "bob").ID, "bob@idp")

	first := MustCreateSCIMIdentity(t, s, g.ID, u.ID, "Alice@IdP")
	first.State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(state deleted)", s.UpdateSCIMIdentity(ctx, first, 0))

	lookups := []struct {
		op  string
		err func() error
	}{
		{"FindSCIMIdentity", func() error { _, err := s.FindSCIMIdentity(ctx, g.ID, first.SCIMID); return err }},
		{"FindSCIMIdentityByExternUID", func() error {
			_, err := s.FindSCIMIdentityByExternUID(ctx, g.ID, "alice@idp")
			return err
		}},
		{"FindSCIMIdentityByUserName", func() error {
			_, err := s.FindSCIMIdentityByUserName(ctx, g.ID, "ALICE@IDP")
			return err
		}},
		{"FindSCIMIdentityForUser(live only)", func() error {
			_, err := s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
			return err
		}},
	}
	for _, l := range lookups {
		wantKind(t, l.op+" of a deleted identity", l.err(), gatehouse.NotFound)
	}
	got, err := s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, true)
	wantFound(t, "FindSCIMIdentityForUser(include deleted) with only a deleted one", got, err, first)
	list, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 10})
	wantIDs(t, "ListSCIMIdentities with a deleted identity", list, err, scimID, []int64{other.ID})
	wantTotal(t, "ListSCIMIdentities with a deleted identity", total, 1)

	// A new live identity may take the deleted one's extern_uid, userName
	// and user; it is then the one found, with or without includeDeleted.
	second := MustCreateSCIMIdentity(t, s, g.ID, u.ID, "ALICE@idp")
	for _, include := range []bool{false, true} {
		got, err := s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, include)
		wantFound(t, fmt.Sprintf("FindSCIMIdentityForUser(includeDeleted %v) with a live one", include), got, err, second)
	}
	got, err = s.FindSCIMIdentityByExternUID(ctx, g.ID, "alice@idp")
	wantFound(t, "FindSCIMIdentityByExternUID after re-creating", got, err, second)
	list, total, err = s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 10})
	wantIDs(t, "ListSCIMIdentities after re-creating", list, err, scimID, []int64{other.ID, second.ID})
	wantTotal(t, "ListSCIMIdentities after re-creating", total, 2)

	// Once both are deleted, includeDeleted finds the later one.
	second.State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(second, state deleted)", s.UpdateSCIMIdentity(ctx, second, 0))
	got, err = s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, true)
	wantFound(t, "FindSCIMIdentityForUser(include deleted) with two deleted ones", got, err, second)
	_, err = s.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
	wantKind(t, "FindSCIMIdentityForUser(live only) with two deleted ones", err, gatehouse.NotFound)
}

// scimID returns a SCIM identity's row id.
func scimID(s *gatehouse.SCIMIdentity) int64 { return s.ID }
