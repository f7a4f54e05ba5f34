package storetest

import (
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testGroupCRUD creates a group whose path has dots, finds it by id and by
// path in any case, updates it and lists the groups.
func testGroupCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := &gatehouse.Group{Path: "Acme.Corp", Name: "Acme Corporation", DefaultRole: gatehouse.Developer}
	must(t, "CreateGroup(Acme.Corp)", s.CreateGroup(ctx, g))
	if g.ID <= 0 {
		t.Fatalf("CreateGroup(Acme.Corp) set ID = %d, want > 0", g.ID)
	}
	checkStamp(t, "CreateGroup(Acme.Corp) CreatedAt", g.CreatedAt)
	checkStamp(t, "CreateGroup(Acme.Corp) UpdatedAt", g.UpdatedAt)

	got, err := s.FindGroupByID(ctx, g.ID)
	wantFound(t, "FindGroupByID", got, err, g)
	for _, path := range []string{"Acme.Corp", "acme.corp", "ACME.CORP"} {
		got, err := s.FindGroupByPath(ctx, path)
		wantFound(t, fmt.Sprintf("FindGroupByPath(%q)", path), got, err, g)
	}
	_, err = s.FindGroupByPath(ctx, "acme")
	wantKind(t, "FindGroupByPath(acme), a prefix of the path", err, gatehouse.NotFound)

	up := *g
	up.Path = "acme-corp.eu"
	up.Name = "Acme Corporation Europe"
	up.DefaultRole = gatehouse.Maintainer
	must(t, "UpdateGroup(acme-corp.eu)", s.UpdateGroup(ctx, &up))
	checkStamp(t, "UpdateGroup UpdatedAt", up.UpdatedAt)
	got, err = s.FindGroupByID(ctx, g.ID)
	wantFound(t, "FindGroupByID after UpdateGroup", got, err, &up)
	got, err = s.FindGroupByPath(ctx, "ACME-CORP.EU")
	wantFound(t, "FindGroupByPath(ACME-CORP.EU) after UpdateGroup", got, err, &up)
	_, err = s.FindGroupByPath(ctx, "acme.corp")
	wantKind(t, "FindGroupByPath(acme.corp), the old path", err, gatehouse.NotFound)

	// A change of case only conflicts with nothing.
	up.Path = "Acme-Corp.EU"
	must(t, "UpdateGroup(Acme-Corp.EU)", s.UpdateGroup(ctx, &up))
	got, err = s.FindGroupByPath(ctx, "acme-corp.eu")
	wantFound(t, "FindGroupByPath(acme-corp.eu) after the case change", got, err, &up)

	g2 := MustCreateGroup(t, s, "bravo_team")
	list, total, err := s.ListGroups(ctx, store.Page{Limit: 10})
	wantFound(t, "ListGroups(Limit 10)", list, err, []*gatehouse.Group{&up, g2})
	wantTotal(t, "ListGroups(Limit 10)", total, 2)
}

// testGroupPathUnique checks that group paths are unique case-insensitively.
func testGroupPathUnique(t *testing.T, s store.Store) {
	ctx := t.Context()
	tests := []struct {
		name          string
		first, second string
		conflict      bool
	}{
		{"same", "acme", "acme", true},
		{"other case", "Acme.Corp", "acme.CORP", true},
		{"underscore and dash", "Under_Score-x", "under_score-X", true},
		{"different", "bravo", "bravo.two", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			MustCreateGroup(t, s, tc.first)
			err := s.CreateGroup(ctx, &gatehouse.Group{Path: tc.second, Name: "second", DefaultRole: gatehouse.Guest})
			op := fmt.Sprintf("CreateGroup(%q) after %q", tc.second, tc.first)
			if tc.conflict {
				wantKind(t, op, err, gatehouse.Conflict)
			} else {
				must(t, op, err)
			}
		})
	}

	t.Run("update", func(t *testing.T) {
		g := MustCreateGroup(t, s, "charlie")
		up := *g
		up.Path = "ACME"
		wantKind(t, "UpdateGroup(charlie → ACME)", s.UpdateGroup(ctx, &up), gatehouse.Conflict)
		got, err := s.FindGroupByID(ctx, g.ID)
		wantFound(t, "FindGroupByID(charlie) after the refused update", got, err, g)
	})
}

// testMemberCRUD puts, replaces, finds, counts, lists and deletes memberships.
func testMemberCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	u1 := MustCreateUser(t, s, "u1")
	u2 := MustCreateUser(t, s, "u2")
	u3 := MustCreateUser(t, s, "u3")

	m1 := &gatehouse.Member{GroupID: g.ID, UserID: u1.ID, Role: gatehouse.Owner, State: gatehouse.MemberActive}
	must(t, "PutMember(acme, u1, owner)", s.PutMember(ctx, m1))
	checkStamp(t, "PutMember CreatedAt", m1.CreatedAt)
	checkStamp(t, "PutMember UpdatedAt", m1.UpdatedAt)
	got, err := s.FindMember(ctx, g.ID, u1.ID)
	wantFound(t, "FindMember(acme, u1)", got, err, m1)

	// Put again replaces the role and state.
	m1b := &gatehouse.Member{GroupID: g.ID, UserID: u1.ID, Role: gatehouse.Maintainer, State: gatehouse.MemberPendingLink}
	must(t, "PutMember(acme, u1, maintainer, pending_link)", s.PutMember(ctx, m1b))
	checkStamp(t, "PutMember (replace) UpdatedAt", m1b.UpdatedAt)
	got, err = s.FindMember(ctx, g.ID, u1.ID)
	wantFound(t, "FindMember(acme, u1) after the replace", got, err, m1b)

	m1c := &gatehouse.Member{GroupID: g.ID, UserID: u1.ID, Role: gatehouse.Owner, State: gatehouse.MemberActive}
	must(t, "PutMember(acme, u1, owner)", s.PutMember(ctx, m1c))
	m2 := MustPutMember(t, s, g.ID, u2.ID, gatehouse.Owner)
	m3 := &gatehouse.Member{GroupID: g.ID, UserID: u3.ID, Role: gatehouse.Owner, State: gatehouse.MemberPendingLink}
	must(t, "PutMember(acme, u3, owner, pending_link)", s.PutMember(ctx, m3))
	m4 := MustPutMember(t, s, g2.ID, u1.ID, gatehouse.Reporter)

	for _, tc := range []struct {
		role gatehouse.Role
		want int
	}{
		{gatehouse.Owner, 2}, // u3 is pending and does not count
		{gatehouse.Maintainer, 0},
		{gatehouse.Guest, 0},
	} {
		if got, err := s.CountMembersWithRole(ctx, g.ID, tc.role); err != nil || got != tc.want {
			t.Errorf("CountMembersWithRole(acme, %v) = %d, %v, want %d, nil", tc.role, got, err, tc.want)
		}
	}
	if got, err := s.CountMembersWithRole(ctx, g2.ID, gatehouse.Reporter); err != nil || got != 1 {
		t.Errorf("CountMembersWithRole(bravo, reporter) = %d, %v, want 1, nil", got, err)
	}

	list, total, err := s.ListMembers(ctx, g.ID, store.Page{Limit: 10})
	wantFound(t, "ListMembers(acme)", list, err, []*gatehouse.Member{m1c, m2, m3})
	wantTotal(t, "ListMembers(acme)", total, 3)
	mine, err := s.ListUserMemberships(ctx, u1.ID)
	wantFound(t, "ListUserMemberships(u1)", mine, err, []*gatehouse.Member{m1c, m4})
	none, err := s.ListUserMemberships(ctx, MustCreateUser(t, s, "loner").ID)
	wantFound(t, "ListUserMemberships(loner)", none, err, nil)

	must(t, "DeleteMember(acme, u1)", s.DeleteMember(ctx, g.ID, u1.ID))
	_, err = s.FindMember(ctx, g.ID, u1.ID)
	wantKind(t, "FindMember(acme, u1) after DeleteMember", err, gatehouse.NotFound)
	wantKind(t, "DeleteMember(acme, u1) again", s.DeleteMember(ctx, g.ID, u1.ID), gatehouse.NotFound)
	list, total, err = s.ListMembers(ctx, g.ID, store.Page{Limit: 10})
	wantFound(t, "ListMembers(acme) after DeleteMember", list, err, []*gatehouse.Member{m2, m3})
	wantTotal(t, "ListMembers(acme) after DeleteMember", total, 2)
	got, err = s.FindMember(ctx, g2.ID, u1.ID)
	wantFound(t, "FindMember(bravo, u1) after deleting u1 from acme", got, err, m4)
}
