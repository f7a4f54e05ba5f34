package storetest

import (
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testIdentityCRUD creates, finds, updates, lists and deletes SAML identities.
func testIdentityCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g1 := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")

	i := &gatehouse.Identity{GroupID: g1.ID, UserID: u.ID, ExternUID: "AbC", State: gatehouse.IdentityPendingLink}
	must(t, "CreateIdentity(acme, alice, AbC)", s.CreateIdentity(ctx, i))
	if i.ID <= 0 {
		t.Fatalf("CreateIdentity set ID = %d, want > 0", i.ID)
	}
	checkStamp(t, "CreateIdentity CreatedAt", i.CreatedAt)
	checkStamp(t, "CreateIdentity UpdatedAt", i.UpdatedAt)

	for _, uid := range []string{"AbC", "abc", "ABC"} {
		got, err := s.FindIdentityByExternUID(ctx, g1.ID, uid)
		wantFound(t, fmt.Sprintf("FindIdentityByExternUID(acme, %q)", uid), got, err, i)
	}
	got, err := s.FindIdentityByUser(ctx, g1.ID, u.ID)
	wantFound(t, "FindIdentityByUser(acme, alice)", got, err, i)

	up := *i
	up.ExternUID = "Ünal@IdP.example"
	up.State = gatehouse.IdentityActive
	up.LastSignIn = fixedTime
	must(t, "UpdateIdentity(Ünal@IdP.example)", s.UpdateIdentity(ctx, &up))
	checkStamp(t, "UpdateIdentity UpdatedAt", up.UpdatedAt)
	got, err = s.FindIdentityByExternUID(ctx, g1.ID, "ünal@idp.EXAMPLE")
	wantFound(t, "FindIdentityByExternUID(acme, ünal@idp.EXAMPLE) after UpdateIdentity", got, err, &up)
	_, err = s.FindIdentityByExternUID(ctx, g1.ID, "abc")
	wantKind(t, "FindIdentityByExternUID(acme, abc), the old extern_uid", err, gatehouse.NotFound)

	// The same extern_uid and user in another group is another identity.
	i2 := &gatehouse.Identity{GroupID: g2.ID, UserID: u.ID, ExternUID: "Ünal@IdP.example", State: gatehouse.IdentityActive}
	must(t, "CreateIdentity(bravo, alice, Ünal@IdP.example)", s.CreateIdentity(ctx, i2))
	other := MustCreateIdentity(t, s, g1.ID, MustCreateUser(t, s, "bob").ID, "bob@idp.example")

	ids, total, err := s.ListIdentities(ctx, g1.ID, store.Page{Limit: 10})
	wantFound(t, "ListIdentities(acme)", ids, err, []*gatehouse.Identity{&up, other})
	wantTotal(t, "ListIdentities(acme)", total, 2)
	mine, err := s.ListUserIdentities(ctx, u.ID)
	wantFound(t, "ListUserIdentities(alice)", mine, err, []*gatehouse.Identity{&up, i2})

	must(t, "DeleteIdentity(acme, alice's)", s.DeleteIdentity(ctx, g1.ID, i.ID))
	_, err = s.FindIdentityByUser(ctx, g1.ID, u.ID)
	wantKind(t, "FindIdentityByUser(acme, alice) after DeleteIdentity", err, gatehouse.NotFound)
	_, err = s.FindIdentityByExternUID(ctx, g1.ID, "Ünal@IdP.example")
	wantKind(t, "FindIdentityByExternUID(acme, Ünal@IdP.example) after DeleteIdentity", err, gatehouse.NotFound)
	wantKind(t, "DeleteIdentity(acme, alice's) again", s.DeleteIdentity(ctx, g1.ID, i.ID), gatehouse.NotFound)
	mine, err = s.ListUserIdentities(ctx, u.ID)
	wantFound(t, "ListUserIdentities(alice) after DeleteIdentity", mine, err, []*gatehouse.Identity{i2})

	// The freed extern_uid may be used again.
	MustCreateIdentity(t, s, g1.ID, u.ID, "ÜNAL@IDP.EXAMPLE")
}

// testIdentityUnique checks that a group's SAML identities have distinct
// extern_uids (case-insensitively) and users, while other groups may repeat
// both.
func testIdentityUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name                string
		uid1, uid2          string
		otherGroup, sameUsr bool
		conflict            bool
	}{
		{"same extern_uid", "abc", "abc", false, false, true},
		{"extern_uid in other case", "AbC", "abc", false, false, true},
		{"extern_uid with umlaut in other case", "Ünal", "ünal", false, false, true},
		{"extern_uid sharp s and SS", "straße", "STRASSE", false, false, true},
		{"same extern_uid in two groups", "shared", "SHARED", true, false, false},
		{"same user twice in a group", "one", "two", false, true, true},
		{"same user in two groups", "one", "two", true, true, false},
		{"different", "one", "two", false, false, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g1 := MustCreateGroup(t, s, fmt.Sprintf("row%d-a", i))
			g2 := g1
			if tc.otherGroup {
				g2 = MustCreateGroup(t, s, fmt.Sprintf("row%d-b", i))
			}
			u1 := MustCreateUser(t, s, fmt.Sprintf("row%d-first", i))
			u2 := u1
			if !tc.sameUsr {
				u2 = MustCreateUser(t, s, fmt.Sprintf("row%d-second", i))
			}
			MustCreateIdentity(t, s, g1.ID, u1.ID, tc.uid1)
			second := &gatehouse.Identity{GroupID: g2.ID, UserID: u2.ID, ExternUID: tc.uid2, State: gatehouse.IdentityActive}
			err := s.CreateIdentity(ctx, second)
			op := fmt.Sprintf("CreateIdentity(%q) after CreateIdentity(%q)", tc.uid2, tc.uid1)
			if !tc.conflict {
				must(t, op, err)
				got, err := s.FindIdentityByUser(ctx, g2.ID, u2.ID)
				wantFound(t, "FindIdentityByUser of the second identity", got, err, second)
				return
			}
			wantKind(t, op, err, gatehouse.Conflict)
			_, total, err := s.ListIdentities(ctx, g1.ID, store.Page{})
			must(t, "ListIdentities", err)
			wantTotal(t, "ListIdentities after the refused create", total, 1)
		})
	}

	t.Run("update to a taken extern_uid", func(t *testing.T) {
		g := MustCreateGroup(t, s, "update")
		MustCreateIdentity(t, s, g.ID, MustCreateUser(t, s, "holder").ID, "taken@idp")
		i := MustCreateIdentity(t, s, g.ID, MustCreateUser(t, s, "mover").ID, "free@idp")
		up := *i
		up.ExternUID = "TAKEN@IdP"
		wantKind(t, "UpdateIdentity(TAKEN@IdP)", s.UpdateIdentity(ctx, &up), gatehouse.Conflict)
		got, err := s.FindIdentityByUser(ctx, g.ID, i.UserID)
		wantFound(t, "FindIdentityByUser after the refused update", got, err, i)

		up = *i
		up.ExternUID = "FREE@idp"
		must(t, "UpdateIdentity(FREE@idp), a change of case", s.UpdateIdentity(ctx, &up))
	})
}
