package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testGroupLinkCRUD creates, finds, lists and deletes group links, with
// uniqueness by canonical key and isolation between groups.
func testGroupLinkCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")

	l1 := &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: "Engineering", Role: gatehouse.Developer}
	must(t, "CreateGroupLink(acme, Engineering)", s.CreateGroupLink(ctx, l1))
	if l1.ID <= 0 {
		t.Fatalf("CreateGroupLink set ID = %d, want > 0", l1.ID)
	}
	checkStamp(t, "CreateGroupLink CreatedAt", l1.CreatedAt)
	got, err := s.FindGroupLink(ctx, g.ID, l1.ID)
	wantFound(t, "FindGroupLink", got, err, l1)

	dup := &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: "ENGINEERING", Role: gatehouse.Owner}
	wantKind(t, "CreateGroupLink(acme, ENGINEERING)", s.CreateGroupLink(ctx, dup), gatehouse.Conflict)
	wantKind(t, "CreateGroupLink(no group)",
		s.CreateGroupLink(ctx, &gatehouse.GroupLink{GroupID: g2.ID + 1000, IdPGroup: "x", Role: gatehouse.Guest}), gatehouse.NotFound)
	wantKind(t, "CreateGroupLink(blank)",
		s.CreateGroupLink(ctx, &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: " ", Role: gatehouse.Guest}), gatehouse.Invalid)

	other := &gatehouse.GroupLink{GroupID: g2.ID, IdPGroup: "engineering", Role: gatehouse.Maintainer}
	must(t, "CreateGroupLink(bravo, engineering)", s.CreateGroupLink(ctx, other))
	l2 := &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: "Admins", Role: gatehouse.Maintainer}
	must(t, "CreateGroupLink(acme, Admins)", s.CreateGroupLink(ctx, l2))

	list, err := s.ListGroupLinks(ctx, g.ID)
	wantFound(t, "ListGroupLinks(acme)", list, err, []*gatehouse.GroupLink{l1, l2})
	_, err = s.FindGroupLink(ctx, g.ID, other.ID)
	wantKind(t, "FindGroupLink(acme, bravo's link)", err, gatehouse.NotFound)
	wantKind(t, "DeleteGroupLink(acme, bravo's link)", s.DeleteGroupLink(ctx, g.ID, other.ID), gatehouse.NotFound)

	must(t, "DeleteGroupLink(acme, l1)", s.DeleteGroupLink(ctx, g.ID, l1.ID))
	wantKind(t, "DeleteGroupLink(acme, l1) again", s.DeleteGroupLink(ctx, g.ID, l1.ID), gatehouse.NotFound)
	list, err = s.ListGroupLinks(ctx, g.ID)
	wantFound(t, "ListGroupLinks(acme) after delete", list, err, []*gatehouse.GroupLink{l2})
	list, err = s.ListGroupLinks(ctx, g2.ID)
	wantFound(t, "ListGroupLinks(bravo)", list, err, []*gatehouse.GroupLink{other})
}

// testUserIdPGroups replaces and lists the IdP groups users were seen in.
func testUserIdPGroups(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")
	u2 := MustCreateUser(t, s, "bob")
	const saml = gatehouse.IdPGroupSAML

	must(t, "ReplaceUserIdPGroups(alice)",
		s.ReplaceUserIdPGroups(ctx, g.ID, u.ID, saml, []string{"Engineering", "admins", "ENGINEERING"}))
	must(t, "ReplaceUserIdPGroups(bob)", s.ReplaceUserIdPGroups(ctx, g.ID, u2.ID, saml, []string{"Sales"}))
	must(t, "ReplaceUserIdPGroups(alice, bravo)", s.ReplaceUserIdPGroups(ctx, g2.ID, u.ID, saml, []string{"Other"}))

	got, err := s.ListUserIdPGroups(ctx, g.ID, u.ID, saml)
	wantFound(t, "ListUserIdPGroups(alice)", got, err, []string{"admins", "Engineering"})
	all, err := s.ListGroupIdPGroups(ctx, g.ID, saml)
	wantFound(t, "ListGroupIdPGroups(acme)", all, err, map[int64][]string{u.ID: {"admins", "Engineering"}, u2.ID: {"Sales"}})

	must(t, "ReplaceUserIdPGroups(alice, none)", s.ReplaceUserIdPGroups(ctx, g.ID, u.ID, saml, nil))
	got, err = s.ListUserIdPGroups(ctx, g.ID, u.ID, saml)
	wantFound(t, "ListUserIdPGroups(alice) after replace", got, err, []string(nil))
	got, err = s.ListUserIdPGroups(ctx, g2.ID, u.ID, saml)
	wantFound(t, "ListUserIdPGroups(bravo, alice)", got, err, []string{"Other"})

	wantKind(t, "ReplaceUserIdPGroups(bad name)",
		s.ReplaceUserIdPGroups(ctx, g.ID, u.ID, saml, []string{"a\x00"}), gatehouse.Invalid)
	wantKind(t, "ReplaceUserIdPGroups(bad source)",
		s.ReplaceUserIdPGroups(ctx, g.ID, u.ID, "ldap", []string{"a"}), gatehouse.Invalid)
	wantKind(t, "ReplaceUserIdPGroups(no user)",
		s.ReplaceUserIdPGroups(ctx, g.ID, u2.ID+1000, saml, []string{"a"}), gatehouse.NotFound)
}

// testMemberRoleSource round-trips a membership's role source and a
// group's LinksOnly.
func testMemberRoleSource(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	m := MustPutMember(t, s, g.ID, u.ID, gatehouse.Guest)
	if m.RoleSource != gatehouse.RoleFromDefault {
		t.Errorf("PutMember without a role source: RoleSource = %q, want %q", m.RoleSource, gatehouse.RoleFromDefault)
	}
	for _, src := range []gatehouse.RoleSource{gatehouse.RoleDirect, gatehouse.RoleFromLink, gatehouse.RoleFromDefault} {
		m.RoleSource = src
		must(t, "PutMember("+string(src)+")", s.PutMember(ctx, m))
		got, err := s.FindMember(ctx, g.ID, u.ID)
		wantFound(t, "FindMember after PutMember("+string(src)+")", got, err, m)
	}
	m.RoleSource = "nonsense"
	wantKind(t, "PutMember(nonsense source)", s.PutMember(ctx, m), gatehouse.Invalid)

	g.LinksOnly = true
	must(t, "UpdateGroup(LinksOnly)", s.UpdateGroup(ctx, g))
	got, err := s.FindGroupByID(ctx, g.ID)
	wantFound(t, "FindGroupByID after UpdateGroup(LinksOnly)", got, err, g)
}

// testSetMemberRoles sets many members' roles and writes their events in
// one call, more than one statement's worth, in one group only.
func testSetMemberRoles(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	g2 := MustCreateGroup(t, s, "bravo")
	const n = 1100
	var (
		ids    []int64
		roles  []store.MemberRole
		events []*gatehouse.AuditEvent
	)
	must(t, "InTx(members)", s.InTx(ctx, func(q store.Queries) error {
		for i := range n {
			u := MustCreateUser(t, q, fmt.Sprintf("user%04d", i))
			MustPutMember(t, q, g.ID, u.ID, gatehouse.Guest)
			ids = append(ids, u.ID)
		}
		return nil
	}))
	other := MustCreateUser(t, s, "other")
	MustPutMember(t, s, g2.ID, other.ID, gatehouse.Guest)
	for i, id := range ids {
		r := store.MemberRole{UserID: id, Role: gatehouse.Developer, Source: gatehouse.RoleFromLink}
		if i%2 == 1 {
			r = store.MemberRole{UserID: id, Role: gatehouse.Maintainer, Source: gatehouse.RoleDirect}
		}
		roles = append(roles, r)
		events = append(events, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSystem, Action: "member_role_changed",
			TargetKind: "user", TargetID: fmt.Sprint(id), Detail: json.RawMessage(`{"role":"developer"}`)})
	}
	// other is not a member of acme: skipped.
	roles = append(roles, store.MemberRole{UserID: other.ID, Role: gatehouse.Owner, Source: gatehouse.RoleDirect})
	must(t, "SetMemberRoles", s.SetMemberRoles(ctx, g.ID, roles, events))
	for i, id := range ids {
		m, err := s.FindMember(ctx, g.ID, id)
		want := roles[i]
		if err != nil || m.Role != want.Role || m.RoleSource != want.Source {
			t.Fatalf("FindMember(%d) after SetMemberRoles = %+v, %v; want %v %s", id, m, err, want.Role, want.Source)
		}
	}
	if m, err := s.FindMember(ctx, g2.ID, other.ID); err != nil || m.Role != gatehouse.Guest {
		t.Errorf("bravo's member after SetMemberRoles(acme) = %+v, %v; want guest", m, err)
	}
	if _, err := s.FindMember(ctx, g.ID, other.ID); !gatehouse.IsKind(err, gatehouse.NotFound) {
		t.Errorf("SetMemberRoles made other a member of acme: %v", err)
	}
	if _, total, err := s.ListAuditEvents(ctx, g.ID, store.Page{Limit: 0}); err != nil || total != n {
		t.Errorf("audit events of acme = %d, %v; want %d", total, err, n)
	}
	wantKind(t, "SetMemberRoles(bad role)",
		s.SetMemberRoles(ctx, g.ID, []store.MemberRole{{UserID: ids[0], Role: 7, Source: gatehouse.RoleDirect}}, nil), gatehouse.Invalid)
	wantKind(t, "SetMemberRoles(bad event)",
		s.SetMemberRoles(ctx, g.ID, nil, []*gatehouse.AuditEvent{{ActorKind: "nobody", Action: "x"}}), gatehouse.Invalid)
	must(t, "SetMemberRoles(nothing)", s.SetMemberRoles(ctx, g.ID, nil, nil))
}
