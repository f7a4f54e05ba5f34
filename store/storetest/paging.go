package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testPaging pages through every paged list (groups, members, SAML and SCIM
// identities, audit events, SCIM request logs) by Offset and by AfterID.
func testPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 7
	var groups []int64
	for i := range n {
		groups = append(groups, MustCreateGroup(t, s, fmt.Sprintf("group%d", i)).ID)
	}
	g := groups[0]
	other := groups[1]

	var users, identities, scims, events, logs []int64
	for i := range n {
		u := MustCreateUser(t, s, fmt.Sprintf("user%d", i))
		users = append(users, u.ID)
		MustPutMember(t, s, g, u.ID, gatehouse.Guest)
		identities = append(identities, MustCreateIdentity(t, s, g, u.ID, fmt.Sprintf("uid%d", i)).ID)
		scims = append(scims, MustCreateSCIMIdentity(t, s, g, u.ID, fmt.Sprintf("uid%d", i)).ID)
		e := &gatehouse.AuditEvent{GroupID: g, ActorKind: gatehouse.ActorSystem, Action: fmt.Sprintf("event%d", i)}
		must(t, "CreateAuditEvent", s.CreateAuditEvent(ctx, e))
		events = append(events, e.ID)
		l := newSCIMLog(g, fmt.Sprintf("req%d", i))
		must(t, "AppendSCIMRequestLogs", s.AppendSCIMRequestLogs(ctx, []*gatehouse.SCIMRequestLog{l, newSCIMLog(other, "other")}, 0))
		logs = append(logs, l.ID)

		// Rows of another group, interleaved, are never counted.
		MustPutMember(t, s, other, u.ID, gatehouse.Guest)
		MustCreateIdentity(t, s, other, u.ID, fmt.Sprintf("uid%d", i))
		MustCreateSCIMIdentity(t, s, other, u.ID, fmt.Sprintf("uid%d", i))
		must(t, "CreateAuditEvent", s.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: other, ActorKind: gatehouse.ActorSystem, Action: "other"}))
	}
	// A deleted SCIM identity is neither listed nor counted.
	gone := MustCreateSCIMIdentity(t, s, g, MustCreateUser(t, s, "gone").ID, "gone")
	gone.State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(deleted)", s.UpdateSCIMIdentity(ctx, gone, 0))
	slices.Reverse(events) // newest first
	slices.Reverse(logs)

	t.Run("ListGroups", func(t *testing.T) {
		checkPaging(t, "ListGroups", groups, func(p store.Page) ([]*gatehouse.Group, int, error) {
			return s.ListGroups(ctx, p)
		}, func(g *gatehouse.Group) int64 { return g.ID })
	})
	t.Run("ListMembers", func(t *testing.T) {
		checkPaging(t, "ListMembers", users, func(p store.Page) ([]*gatehouse.Member, int, error) {
			return s.ListMembers(ctx, g, p)
		}, func(m *gatehouse.Member) int64 { return m.UserID })
	})
	t.Run("ListIdentities", func(t *testing.T) {
		checkPaging(t, "ListIdentities", identities, func(p store.Page) ([]*gatehouse.Identity, int, error) {
			return s.ListIdentities(ctx, g, p)
		}, func(i *gatehouse.Identity) int64 { return i.ID })
	})
	t.Run("ListSCIMIdentities", func(t *testing.T) {
		checkPaging(t, "ListSCIMIdentities", scims, func(p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
			return s.ListSCIMIdentities(ctx, g, nil, p)
		}, scimID)
	})
	// The lookups IdPs make before a write select one identity by a
	// unique key; they page like any list.
	first, err := s.FindSCIMIdentityByExternUID(ctx, g, "uid0")
	must(t, "FindSCIMIdentityByExternUID", err)
	for _, filter := range []string{`userName eq "UID0"`, `externalId eq "uid0"`, fmt.Sprintf("id eq %q", first.SCIMID)} {
		t.Run("ListSCIMIdentities("+filter+")", func(t *testing.T) {
			f := mustParseFilter(t, filter)
			checkPaging(t, "ListSCIMIdentities("+filter+")", scims[:1], func(p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
				return s.ListSCIMIdentities(ctx, g, f, p)
			}, scimID)
		})
	}
	t.Run("ListAuditEvents", func(t *testing.T) {
		checkPaging(t, "ListAuditEvents", events, func(p store.Page) ([]*gatehouse.AuditEvent, int, error) {
			return s.ListAuditEvents(ctx, g, p)
		}, func(e *gatehouse.AuditEvent) int64 { return e.ID })
	})
	t.Run("ListSCIMRequestLogs", func(t *testing.T) {
		checkPaging(t, "ListSCIMRequestLogs", logs, func(p store.Page) ([]*gatehouse.SCIMRequestLog, int, error) {
			return s.ListSCIMRequestLogs(ctx, g, p)
		}, scimLogID)
	})
	t.Run("empty group", func(t *testing.T) {
		empty := MustCreateGroup(t, s, "empty")
		checkPaging(t, "ListSCIMIdentities(empty group)", nil, func(p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
			return s.ListSCIMIdentities(ctx, empty.ID, nil, p)
		}, scimID)
	})
}

// checkPaging checks a list whose complete contents, in list order, are the
// rows with the ids want: every page holds the right window, the total is
// always len(want), Limit 0 returns only the total, paging by Offset and by
// AfterID each visit every row once, and Offset applies after AfterID.
func checkPaging[T any](t *testing.T, op string, want []int64, list func(store.Page) ([]T, int, error), id func(T) int64) {
	t.Helper()
	n := len(want)
	window := func(from, limit int) []int64 {
		from = min(from, n)
		return want[from:min(from+limit, n)]
	}
	check := func(p store.Page, expect []int64) {
		t.Helper()
		what := fmt.Sprintf("%s(%+v)", op, p)
		rows, total, err := list(p)
		wantIDs(t, what, rows, err, id, expect)
		if err == nil {
			wantTotal(t, what, total, n)
		}
	}

	check(store.Page{Limit: n + 10}, want)
	check(store.Page{Limit: 0}, nil)
	check(store.Page{Offset: 3, Limit: 0}, nil)
	check(store.Page{Offset: n, Limit: 10}, nil)
	check(store.Page{Offset: n + 5, Limit: 10}, nil)
	for _, size := range []int{1, 2, 3} {
		for off := 0; off < n+size; off += size {
			check(store.Page{Offset: off, Limit: size}, window(off, size))
		}
	}
	for k, after := range want {
		check(store.Page{AfterID: after, Limit: n + 10}, want[k+1:])
		check(store.Page{AfterID: after, Limit: 2}, window(k+1, 2))
		check(store.Page{AfterID: after, Offset: 1, Limit: 2}, window(k+2, 2))
	}

	// Walk the list by keyset paging, as a client would.
	var walked []int64
	p := store.Page{Limit: 3}
	for range n + 1 {
		rows, _, err := list(p)
		if err != nil {
			t.Fatalf("%s(%+v) = %v, want nil", op, p, err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			walked = append(walked, id(r))
		}
		p.AfterID = id(rows[len(rows)-1])
	}
	if !slices.Equal(walked, want) {
		t.Errorf("%s walked by AfterID = %v, want %v", op, walked, want)
	}
}

// testSCIMPagingChanges reads a group's SCIM identities page by page, as an
// IdP does (Offset 0, 3, 6, …), and changes the group between two pages of
// a read: every page must hold the rows at its positions in the group as
// it is when the page is read, and the total its size then. A store that
// continues a read from where its previous page ended must notice every
// change that moves rows: deletes and undeletes before that place, and a
// delete and a create that leave the total as it was.
func testSCIMPagingChanges(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	const size = 3
	n := 0
	var all []*gatehouse.SCIMIdentity // in list order, deleted ones included
	create := func() {
		n++
		name := fmt.Sprintf("user%d", n)
		all = append(all, MustCreateSCIMIdentity(t, s, g.ID, MustCreateManagedUser(t, s, g.ID, name).ID, name+"@idp"))
	}
	set := func(k int, state gatehouse.IdentityState) {
		all[k].State = state
		must(t, fmt.Sprintf("UpdateSCIMIdentity(%s, %s)", all[k].UserName, state), s.UpdateSCIMIdentity(ctx, all[k], 0))
	}
	for range 12 {
		create()
	}
	live := func() []int64 {
		var ids []int64
		for _, si := range all {
			if si.State != gatehouse.IdentityDeleted {
				ids = append(ids, si.ID)
			}
		}
		return ids
	}
	// read reads the pages from offset from on, up to before.
	read := func(when string, from, before int) {
		t.Helper()
		want := live()
		for off := from; off < before; off += size {
			p := store.Page{Offset: off, Limit: size}
			op := fmt.Sprintf("ListSCIMIdentities(%+v) %s", p, when)
			rows, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, p)
			wantIDs(t, op, rows, err, scimID, want[min(off, len(want)):min(off+size, len(want))])
			if err == nil {
				wantTotal(t, op, total, len(want))
			}
		}
	}
	read("of a new read", 0, 15)
	read("of a second read", 0, 15)

	for _, c := range []struct {
		name   string
		change func()
	}{
		{"delete a row before the next page", func() { set(1, gatehouse.IdentityDeleted) }},
		{"undelete it", func() { set(1, gatehouse.IdentityActive) }},
		{"deactivate a row before the next page", func() { set(2, gatehouse.IdentityInactive) }},
		{"delete a row of the next page", func() { set(6, gatehouse.IdentityDeleted) }},
		{"delete a row after the next page", func() { set(10, gatehouse.IdentityDeleted) }},
		{"create a row", create},
		{"delete a row before the next page and create one", func() { set(0, gatehouse.IdentityDeleted); create() }},
		{"delete the row the last page ended with", func() { set(5, gatehouse.IdentityDeleted) }},
		{"undelete rows before the next page and delete as many after", func() {
			set(0, gatehouse.IdentityActive)
			set(5, gatehouse.IdentityActive)
			set(11, gatehouse.IdentityDeleted)
			set(12, gatehouse.IdentityDeleted)
		}},
	} {
		read("before: "+c.name, 0, 6)
		c.change()
		read("after: "+c.name, 6, 18)
		read("of the next read after: "+c.name, 0, 18)
	}
}
