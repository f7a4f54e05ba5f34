package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MustCreateSCIMGroup creates a SCIM group of the group with a fresh SCIM id.
func MustCreateSCIMGroup(tb testing.TB, q store.Queries, groupID int64, displayName, externalID string) *gatehouse.SCIMGroup {
	tb.Helper()
	g := &gatehouse.SCIMGroup{SCIMID: newSCIMID(), GroupID: groupID, DisplayName: displayName, ExternalID: externalID}
	must(tb, fmt.Sprintf("CreateSCIMGroup(%d, %q)", groupID, displayName), q.CreateSCIMGroup(tb.Context(), g))
	return g
}

// mustSCIMUsers creates n SCIM users of the group in one transaction and
// returns their SCIM identities.
func mustSCIMUsers(tb testing.TB, s store.Store, groupID int64, prefix string, n int) []*gatehouse.SCIMIdentity {
	tb.Helper()
	var out []*gatehouse.SCIMIdentity
	must(tb, "InTx(create SCIM users)", s.InTx(tb.Context(), func(q store.Queries) error {
		for i := range n {
			name := fmt.Sprintf("%s%05d", prefix, i)
			u := newManaged(groupID, name, name+"@managed.example")
			if err := q.CreateUser(tb.Context(), u); err != nil {
				return err
			}
			si := newSCIMIdentity(groupID, u.ID, name)
			if err := q.CreateSCIMIdentity(tb.Context(), si); err != nil {
				return err
			}
			out = append(out, si)
		}
		return nil
	}))
	return out
}

// memberIDs returns the SCIM ids of members, sorted.
func memberIDs(ms []gatehouse.SCIMGroupMember) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.SCIMID
	}
	slices.Sort(ids)
	return ids
}

// refs returns member refs for the identities.
func refs(ids []*gatehouse.SCIMIdentity) []gatehouse.SCIMGroupMemberRef {
	rs := make([]gatehouse.SCIMGroupMemberRef, len(ids))
	for i, si := range ids {
		rs[i] = gatehouse.SCIMGroupMemberRef{SCIMID: si.SCIMID, Display: "display " + si.UserName}
	}
	return rs
}

// scimIDs returns the identities' SCIM ids, sorted.
func scimIDs(ids []*gatehouse.SCIMIdentity) []string {
	out := make([]string, len(ids))
	for i, si := range ids {
		out[i] = si.SCIMID
	}
	slices.Sort(out)
	return out
}

// testSCIMGroupCRUD creates, finds, lists, renames and deletes SCIM groups.
func testSCIMGroupCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")

	eng := &gatehouse.SCIMGroup{SCIMID: newSCIMID(), GroupID: g.ID, DisplayName: "Engineering", ExternalID: "ext-1"}
	must(t, "CreateSCIMGroup(Engineering)", s.CreateSCIMGroup(ctx, eng))
	if eng.ID <= 0 || eng.Version != 1 {
		t.Fatalf("CreateSCIMGroup set ID = %d, Version = %d; want > 0 and 1", eng.ID, eng.Version)
	}
	checkStamp(t, "CreateSCIMGroup CreatedAt", eng.CreatedAt)
	got, err := s.FindSCIMGroup(ctx, g.ID, eng.SCIMID)
	wantFound(t, "FindSCIMGroup", got, err, eng)

	dup := &gatehouse.SCIMGroup{SCIMID: newSCIMID(), GroupID: g.ID, DisplayName: "ENGINEERING"}
	wantKind(t, "CreateSCIMGroup with a displayName differing in case", s.CreateSCIMGroup(ctx, dup), gatehouse.Conflict)
	sameID := &gatehouse.SCIMGroup{SCIMID: eng.SCIMID, GroupID: g.ID, DisplayName: "Other"}
	wantKind(t, "CreateSCIMGroup with a taken SCIM id", s.CreateSCIMGroup(ctx, sameID), gatehouse.Conflict)
	wantKind(t, "CreateSCIMGroup without displayName",
		s.CreateSCIMGroup(ctx, &gatehouse.SCIMGroup{SCIMID: newSCIMID(), GroupID: g.ID}), gatehouse.Invalid)
	wantKind(t, "CreateSCIMGroup in a missing group",
		s.CreateSCIMGroup(ctx, &gatehouse.SCIMGroup{SCIMID: newSCIMID(), GroupID: g.ID + 1000, DisplayName: "x"}), gatehouse.NotFound)

	ops := MustCreateSCIMGroup(t, s, g.ID, "Operations", "ext-1")
	sales := MustCreateSCIMGroup(t, s, g.ID, "Sales", "")

	all, total, err := s.ListSCIMGroups(ctx, g.ID, store.SCIMGroupFilter{}, store.Page{Limit: 10})
	wantFound(t, "ListSCIMGroups", all, err, []*gatehouse.SCIMGroup{eng, ops, sales})
	wantTotal(t, "ListSCIMGroups total", total, 3)
	page, total, err := s.ListSCIMGroups(ctx, g.ID, store.SCIMGroupFilter{}, store.Page{Offset: 1, Limit: 1})
	wantFound(t, "ListSCIMGroups page 2 of 1", page, err, []*gatehouse.SCIMGroup{ops})
	wantTotal(t, "ListSCIMGroups page total", total, 3)
	name := "operations"
	byName, _, err := s.ListSCIMGroups(ctx, g.ID, store.SCIMGroupFilter{DisplayName: &name}, store.Page{Limit: 10})
	wantFound(t, "ListSCIMGroups(displayName eq operations)", byName, err, []*gatehouse.SCIMGroup{ops})
	ext := "ext-1"
	byExt, total, err := s.ListSCIMGroups(ctx, g.ID, store.SCIMGroupFilter{ExternalID: &ext}, store.Page{Limit: 10})
	wantFound(t, "ListSCIMGroups(externalId eq ext-1)", byExt, err, []*gatehouse.SCIMGroup{eng, ops})
	wantTotal(t, "ListSCIMGroups(externalId eq ext-1) total", total, 2)
	extCase := "EXT-1"
	none, _, err := s.ListSCIMGroups(ctx, g.ID, store.SCIMGroupFilter{ExternalID: &extCase}, store.Page{Limit: 10})
	wantFound(t, "ListSCIMGroups(externalId eq EXT-1), case-exact", none, err, nil)

	ops.DisplayName = "Ops"
	must(t, "UpdateSCIMGroup(rename)", s.UpdateSCIMGroup(ctx, ops, 1))
	if ops.Version != 2 {
		t.Errorf("UpdateSCIMGroup Version = %d, want 2", ops.Version)
	}
	got, err = s.FindSCIMGroup(ctx, g.ID, ops.SCIMID)
	wantFound(t, "FindSCIMGroup after rename", got, err, ops)
	wantKind(t, "UpdateSCIMGroup with a stale version", s.UpdateSCIMGroup(ctx, ops, 1), gatehouse.Conflict)
	ops.DisplayName = "sales"
	wantKind(t, "UpdateSCIMGroup to a taken displayName", s.UpdateSCIMGroup(ctx, ops, 0), gatehouse.Conflict)
	ops.DisplayName = "Ops"

	locked, err := s.LockSCIMGroup(ctx, g.ID, ops.SCIMID)
	wantFound(t, "LockSCIMGroup", locked, err, ops)

	must(t, "DeleteSCIMGroup", s.DeleteSCIMGroup(ctx, g.ID, ops.SCIMID))
	_, err = s.FindSCIMGroup(ctx, g.ID, ops.SCIMID)
	wantKind(t, "FindSCIMGroup after delete", err, gatehouse.NotFound)
	wantKind(t, "DeleteSCIMGroup twice", s.DeleteSCIMGroup(ctx, g.ID, ops.SCIMID), gatehouse.NotFound)
	wantKind(t, "UpdateSCIMGroup after delete", s.UpdateSCIMGroup(ctx, ops, 0), gatehouse.NotFound)
	_, err = s.LockSCIMGroup(ctx, g.ID, ops.SCIMID)
	wantKind(t, "LockSCIMGroup after delete", err, gatehouse.NotFound)
	// The name is free again.
	MustCreateSCIMGroup(t, s, g.ID, "OPS", "")
}

// testSCIMGroupMembers adds, lists and removes members, including
// identities that are unknown, deleted or of another group.
func testSCIMGroupMembers(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "bravo")
	users := mustSCIMUsers(t, s, g.ID, "u", 5)
	foreign := mustSCIMUsers(t, s, other.ID, "f", 1)[0]
	sg := MustCreateSCIMGroup(t, s, g.ID, "Engineering", "")

	in := append(refs(users[:3]), refs(users[:1])...) // a repeat is one member
	in = append(in, gatehouse.SCIMGroupMemberRef{SCIMID: "no-such-user"}, gatehouse.SCIMGroupMemberRef{SCIMID: foreign.SCIMID})
	added, unknown, err := s.AddSCIMGroupMembers(ctx, g.ID, sg.ID, in)
	must(t, "AddSCIMGroupMembers", err)
	if got, want := memberIDs(added), scimIDs(users[:3]); !slices.Equal(got, want) {
		t.Errorf("AddSCIMGroupMembers added %v, want %v", got, want)
	}
	if want := []string{"no-such-user", foreign.SCIMID}; !slices.Equal(unknown, want) {
		t.Errorf("AddSCIMGroupMembers unknown = %v, want %v", unknown, want)
	}
	for _, m := range added {
		if m.UserID == 0 || m.IdentityID == 0 || m.Display == "" {
			t.Errorf("AddSCIMGroupMembers added %+v, want user, identity and display set", m)
		}
	}

	// Adding again adds nothing.
	added, _, err = s.AddSCIMGroupMembers(ctx, g.ID, sg.ID, refs(users[1:4]))
	must(t, "AddSCIMGroupMembers again", err)
	if got, want := memberIDs(added), scimIDs(users[3:4]); !slices.Equal(got, want) {
		t.Errorf("AddSCIMGroupMembers again added %v, want %v", got, want)
	}

	list, total, err := s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{Limit: 2})
	must(t, "ListSCIMGroupMembers", err)
	wantTotal(t, "ListSCIMGroupMembers total", total, 4)
	if got, want := len(list), 2; got != want {
		t.Fatalf("ListSCIMGroupMembers(limit 2) = %d members, want %d", got, want)
	}
	rest, _, err := s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{AfterID: list[1].IdentityID, Limit: 10})
	must(t, "ListSCIMGroupMembers after", err)
	if got, want := memberIDs(append(list, rest...)), scimIDs(users[:4]); !slices.Equal(got, want) {
		t.Errorf("ListSCIMGroupMembers pages = %v, want %v", got, want)
	}
	if list[0].Display != "display "+users[0].UserName {
		t.Errorf("ListSCIMGroupMembers display = %q, want %q", list[0].Display, "display "+users[0].UserName)
	}

	// The other group sees none of it.
	_, _, err = s.ListSCIMGroupMembers(ctx, other.ID, sg.ID, store.Page{Limit: 10})
	wantKind(t, "ListSCIMGroupMembers from another group", err, gatehouse.NotFound)
	_, _, err = s.AddSCIMGroupMembers(ctx, other.ID, sg.ID, refs([]*gatehouse.SCIMIdentity{foreign}))
	wantKind(t, "AddSCIMGroupMembers from another group", err, gatehouse.NotFound)
	_, err = s.RemoveSCIMGroupMembers(ctx, other.ID, sg.ID, []string{users[0].SCIMID})
	wantKind(t, "RemoveSCIMGroupMembers from another group", err, gatehouse.NotFound)
	_, err = s.FindSCIMGroup(ctx, other.ID, sg.SCIMID)
	wantKind(t, "FindSCIMGroup from another group", err, gatehouse.NotFound)
	wantKind(t, "DeleteSCIMGroup from another group", s.DeleteSCIMGroup(ctx, other.ID, sg.SCIMID), gatehouse.NotFound)
	others, total, err := s.ListSCIMGroups(ctx, other.ID, store.SCIMGroupFilter{}, store.Page{Limit: 10})
	wantFound(t, "ListSCIMGroups of another group", others, err, nil)
	wantTotal(t, "ListSCIMGroups of another group total", total, 0)

	// A deleted identity drops out of the list.
	users[3].State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(deleted)", s.UpdateSCIMIdentity(ctx, users[3], 0))
	_, total, err = s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{})
	must(t, "ListSCIMGroupMembers count", err)
	wantTotal(t, "ListSCIMGroupMembers total after a user's delete", total, 3)
	_, unknown, err = s.AddSCIMGroupMembers(ctx, g.ID, sg.ID, refs(users[3:4]))
	must(t, "AddSCIMGroupMembers(deleted user)", err)
	if want := []string{users[3].SCIMID}; !slices.Equal(unknown, want) {
		t.Errorf("AddSCIMGroupMembers(deleted user) unknown = %v, want %v", unknown, want)
	}

	removed, err := s.RemoveSCIMGroupMembers(ctx, g.ID, sg.ID, []string{users[0].SCIMID, users[4].SCIMID, "no-such-user"})
	must(t, "RemoveSCIMGroupMembers", err)
	if got, want := memberIDs(removed), scimIDs(users[:1]); !slices.Equal(got, want) {
		t.Errorf("RemoveSCIMGroupMembers removed %v, want %v", got, want)
	}
	removed, err = s.RemoveAllSCIMGroupMembers(ctx, g.ID, sg.ID)
	must(t, "RemoveAllSCIMGroupMembers", err)
	if got, want := memberIDs(removed), scimIDs(users[1:4]); !slices.Equal(got, want) {
		t.Errorf("RemoveAllSCIMGroupMembers removed %v, want %v", got, want)
	}
	_, total, err = s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{})
	must(t, "ListSCIMGroupMembers after removing all", err)
	wantTotal(t, "ListSCIMGroupMembers total after removing all", total, 0)

	// Deleting a SCIM group deletes its memberships.
	_, _, err = s.AddSCIMGroupMembers(ctx, g.ID, sg.ID, refs(users[:2]))
	must(t, "AddSCIMGroupMembers before delete", err)
	must(t, "DeleteSCIMGroup", s.DeleteSCIMGroup(ctx, g.ID, sg.SCIMID))
	_, _, err = s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{})
	wantKind(t, "ListSCIMGroupMembers of a deleted SCIM group", err, gatehouse.NotFound)

	wantKind(t, "AddSCIMGroupMembers with an empty value",
		func() error {
			_, _, err := s.AddSCIMGroupMembers(ctx, g.ID, sg.ID, []gatehouse.SCIMGroupMemberRef{{}})
			return err
		}(), gatehouse.Invalid)
}

// bulkMembers is the number of members the bulk test adds and removes in
// one transaction: more than one statement's worth.
const bulkMembers = 2500

// testSCIMGroupBulk adds and removes thousands of members in one
// transaction, and a rollback leaves none.
func testSCIMGroupBulk(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	users := mustSCIMUsers(t, s, g.ID, "u", bulkMembers)
	sg := MustCreateSCIMGroup(t, s, g.ID, "Everyone", "")

	errRollback := gatehouse.Errorf(gatehouse.Invalid, "roll back")
	err := s.InTx(ctx, func(q store.Queries) error {
		if _, _, err := q.AddSCIMGroupMembers(ctx, g.ID, sg.ID, refs(users)); err != nil {
			return err
		}
		return errRollback
	})
	if err != errRollback {
		t.Fatalf("InTx(add, then fail) = %v, want the callback's error", err)
	}
	_, total, err := s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, store.Page{})
	must(t, "ListSCIMGroupMembers after a rollback", err)
	wantTotal(t, "members after a rolled-back add", total, 0)

	must(t, "InTx(add all, remove half)", s.InTx(ctx, func(q store.Queries) error {
		added, unknown, err := q.AddSCIMGroupMembers(ctx, g.ID, sg.ID, refs(users))
		if err != nil {
			return err
		}
		if len(added) != bulkMembers || len(unknown) != 0 {
			t.Errorf("AddSCIMGroupMembers(%d) added %d, unknown %d", bulkMembers, len(added), len(unknown))
		}
		var half []string
		for _, u := range users[:bulkMembers/2] {
			half = append(half, u.SCIMID)
		}
		removed, err := q.RemoveSCIMGroupMembers(ctx, g.ID, sg.ID, half)
		if len(removed) != bulkMembers/2 {
			t.Errorf("RemoveSCIMGroupMembers(%d) removed %d", bulkMembers/2, len(removed))
		}
		return err
	}))
	var got []gatehouse.SCIMGroupMember
	p := store.Page{Limit: 1000}
	for {
		ms, total, err := s.ListSCIMGroupMembers(ctx, g.ID, sg.ID, p)
		must(t, "ListSCIMGroupMembers", err)
		wantTotal(t, "ListSCIMGroupMembers total", total, bulkMembers-bulkMembers/2)
		got = append(got, ms...)
		if len(ms) < p.Limit {
			break
		}
		p.AfterID = ms[len(ms)-1].IdentityID
	}
	if got, want := memberIDs(got), scimIDs(users[bulkMembers/2:]); !slices.Equal(got, want) {
		t.Errorf("members after the bulk add and remove: %d, want %d", len(got), len(want))
	}
}

// testSCIMGroupNames reads which SCIM groups users are in, by the names a
// group link matches, for some users or all, in this group only, without
// deleted identities.
func testSCIMGroupNames(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "other")
	users := mustSCIMUsers(t, s, g.ID, "names", 4)
	eng := MustCreateSCIMGroup(t, s, g.ID, "Engineering", "8c6f-eng")
	leads := MustCreateSCIMGroup(t, s, g.ID, "Leads", "")
	theirs := MustCreateSCIMGroup(t, s, other.ID, "Engineering", "")
	_, _, err := s.AddSCIMGroupMembers(ctx, g.ID, eng.ID, refs(users[:3]))
	must(t, "AddSCIMGroupMembers(Engineering)", err)
	_, _, err = s.AddSCIMGroupMembers(ctx, g.ID, leads.ID, refs(users[1:2]))
	must(t, "AddSCIMGroupMembers(Leads)", err)
	theirUsers := mustSCIMUsers(t, s, other.ID, "theirs", 1)
	_, _, err = s.AddSCIMGroupMembers(ctx, other.ID, theirs.ID, refs(theirUsers))
	must(t, "AddSCIMGroupMembers(other's Engineering)", err)
	users[2].State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(deleted)", s.UpdateSCIMIdentity(ctx, users[2], 0))

	id := func(i int) int64 { return users[i].UserID }
	want := map[int64][]string{id(0): {"Engineering", "8c6f-eng"}, id(1): {"Engineering", "8c6f-eng", "Leads"}}
	for _, tc := range []struct {
		name  string
		users []int64
		want  map[int64][]string
	}{
		{"every user", nil, want},
		{"some users", []int64{id(1), id(3), theirUsers[0].UserID}, map[int64][]string{id(1): want[id(1)]}},
		{"no users", []int64{}, map[int64][]string{}},
	} {
		got, err := s.SCIMGroupNames(ctx, g.ID, tc.users)
		must(t, "SCIMGroupNames("+tc.name+")", err)
		for _, names := range got {
			slices.Sort(names)
		}
		for _, names := range tc.want {
			slices.Sort(names)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("SCIMGroupNames(%s) = %v, want %v", tc.name, got, tc.want)
		}
	}
}
