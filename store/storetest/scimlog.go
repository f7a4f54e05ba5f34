package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newSCIMLog returns a valid SCIM request log entry of the group, told apart
// from others by its request id.
func newSCIMLog(groupID int64, requestID string) *gatehouse.SCIMRequestLog {
	return &gatehouse.SCIMRequestLog{
		GroupID: groupID, RequestID: requestID, Method: "GET", Path: "/api/scim/v2/groups/x/Users",
		Status: 200, Duration: time.Millisecond, Operation: "list_users",
	}
}

// scimLogID is the id of an entry, for wantIDs.
func scimLogID(e *gatehouse.SCIMRequestLog) int64 { return e.ID }

// testSCIMLogCRUD appends entries of two groups in one call and lists each
// group's newest first, every field round-tripping.
func testSCIMLogCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")

	must(t, "AppendSCIMRequestLogs(none)", s.AppendSCIMRequestLogs(ctx, nil, 10))

	full := &gatehouse.SCIMRequestLog{
		GroupID:      acme.ID,
		At:           fixedTime,
		RequestID:    "req-1",
		Method:       "POST",
		Path:         "/api/scim/v2/groups/acme/Users?access_token=[FILTERED]",
		Status:       201,
		Duration:     1234567 * time.Nanosecond, // kept to the microsecond
		Operation:    "create_user",
		RequestBody:  `{"userName":"Zoë 🦊","password":"[FILTERED]"}`,
		ResponseBody: `{"id":"abc","userName":"Zoë 🦊"}`,
		Note:         "ignored unknown attributes: adreses",
		ClientIP:     "2001:db8::1",
		UserAgent:    "Microsoft.Identity.Provisioning/1.0",
	}
	stamped := newSCIMLog(acme.ID, "req-2") // At zero: the store sets it
	stamped.RequestBody = strings.Repeat("é", gatehouse.SCIMLogBodyLimit/2)
	other := newSCIMLog(bravo.ID, "req-3")
	must(t, "AppendSCIMRequestLogs", s.AppendSCIMRequestLogs(ctx, []*gatehouse.SCIMRequestLog{full, stamped, other}, 0))
	if full.ID <= 0 || stamped.ID <= full.ID || other.ID <= stamped.ID {
		t.Errorf("AppendSCIMRequestLogs set IDs %d, %d, %d, want increasing positive ids in the order given", full.ID, stamped.ID, other.ID)
	}
	checkInstant(t, "AppendSCIMRequestLogs At (given)", full.At, fixedTime)
	checkStamp(t, "AppendSCIMRequestLogs At (set by the store)", stamped.At)
	if want := 1234 * time.Microsecond; full.Duration != want {
		t.Errorf("AppendSCIMRequestLogs Duration = %v, want %v (truncated to the microsecond)", full.Duration, want)
	}

	got, total, err := s.ListSCIMRequestLogs(ctx, acme.ID, store.Page{Limit: 10})
	wantFound(t, "ListSCIMRequestLogs(acme)", got, err, []*gatehouse.SCIMRequestLog{stamped, full})
	wantTotal(t, "ListSCIMRequestLogs(acme)", total, 2)
	got, total, err = s.ListSCIMRequestLogs(ctx, bravo.ID, store.Page{Limit: 10})
	wantFound(t, "ListSCIMRequestLogs(bravo)", got, err, []*gatehouse.SCIMRequestLog{other})
	wantTotal(t, "ListSCIMRequestLogs(bravo)", total, 1)
	got, total, err = s.ListSCIMRequestLogs(ctx, acme.ID, store.Page{Limit: 10, AfterID: stamped.ID})
	wantFound(t, "ListSCIMRequestLogs(acme, after the newest)", got, err, []*gatehouse.SCIMRequestLog{full})
	wantTotal(t, "ListSCIMRequestLogs(acme, after the newest)", total, 2)
	got, total, err = s.ListSCIMRequestLogs(ctx, missingID, store.Page{Limit: 10})
	wantFound(t, "ListSCIMRequestLogs(missing group)", got, err, nil)
	wantTotal(t, "ListSCIMRequestLogs(missing group)", total, 0)
}

// testSCIMLogKeep checks that appending trims each group it wrote to, and
// only those, to its newest keep entries.
func testSCIMLogKeep(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")
	var seq int
	entries := func(groupID int64, n int) []*gatehouse.SCIMRequestLog {
		var es []*gatehouse.SCIMRequestLog
		for range n {
			seq++
			es = append(es, newSCIMLog(groupID, fmt.Sprintf("req-%d", seq)))
		}
		return es
	}
	ids := func(es ...*gatehouse.SCIMRequestLog) []int64 {
		var v []int64
		for i := len(es) - 1; i >= 0; i-- { // newest first
			v = append(v, es[i].ID)
		}
		return v
	}
	check := func(what string, groupID int64, want []int64) {
		t.Helper()
		got, total, err := s.ListSCIMRequestLogs(ctx, groupID, store.Page{Limit: 100})
		wantIDs(t, what, got, err, scimLogID, want)
		wantTotal(t, what, total, len(want))
	}

	// keep <= 0 keeps everything.
	b1 := entries(bravo.ID, 4)
	must(t, "AppendSCIMRequestLogs(bravo ×4, keep 0)", s.AppendSCIMRequestLogs(ctx, b1, 0))
	check("ListSCIMRequestLogs(bravo) after keep 0", bravo.ID, ids(b1...))

	// A batch larger than keep leaves its newest keep entries; another
	// group that the batch does not touch keeps more than keep.
	a1 := entries(acme.ID, 5)
	must(t, "AppendSCIMRequestLogs(acme ×5, keep 3)", s.AppendSCIMRequestLogs(ctx, a1, 3))
	check("ListSCIMRequestLogs(acme) after 5 with keep 3", acme.ID, ids(a1[2:]...))
	check("ListSCIMRequestLogs(bravo) after acme's append", bravo.ID, ids(b1...))

	// A batch of both groups trims both.
	a2, b2 := entries(acme.ID, 2), entries(bravo.ID, 1)
	mixed := []*gatehouse.SCIMRequestLog{a2[0], b2[0], a2[1]}
	must(t, "AppendSCIMRequestLogs(acme ×2 and bravo ×1, keep 3)", s.AppendSCIMRequestLogs(ctx, mixed, 3))
	check("ListSCIMRequestLogs(acme) after the mixed batch", acme.ID, ids(a1[4], a2[0], a2[1]))
	check("ListSCIMRequestLogs(bravo) after the mixed batch", bravo.ID, ids(b1[2], b1[3], b2[0]))

	// Many batches (of sizes that use every INSERT shape) stay bounded.
	var last []*gatehouse.SCIMRequestLog
	for _, n := range []int{1, 4, 16, 64, 85, 7, 130} {
		es := entries(acme.ID, n)
		must(t, fmt.Sprintf("AppendSCIMRequestLogs(acme ×%d, keep 10)", n), s.AppendSCIMRequestLogs(ctx, es, 10))
		last = append(last, es...)
	}
	check("ListSCIMRequestLogs(acme) after many batches", acme.ID, ids(last[len(last)-10:]...))
}

// testSCIMLogRefused checks that a batch with an invalid entry, or an entry
// of a missing group, writes nothing at all.
func testSCIMLogRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	tests := []struct {
		name string
		bad  func(e *gatehouse.SCIMRequestLog)
		kind gatehouse.Kind
	}{
		{"no group", func(e *gatehouse.SCIMRequestLog) { e.GroupID = 0 }, gatehouse.Invalid},
		{"missing group", func(e *gatehouse.SCIMRequestLog) { e.GroupID = missingID }, gatehouse.NotFound},
		{"no method", func(e *gatehouse.SCIMRequestLog) { e.Method = "" }, gatehouse.Invalid},
		{"status 0", func(e *gatehouse.SCIMRequestLog) { e.Status = 0 }, gatehouse.Invalid},
		{"negative duration", func(e *gatehouse.SCIMRequestLog) { e.Duration = -time.Second }, gatehouse.Invalid},
		{"body over the limit", func(e *gatehouse.SCIMRequestLog) {
			e.RequestBody = strings.Repeat("x", gatehouse.SCIMLogBodyLimit+1)
		}, gatehouse.Invalid},
		{"path over the limit", func(e *gatehouse.SCIMRequestLog) {
			e.Path = "/" + strings.Repeat("x", gatehouse.SCIMLogPathLimit)
		}, gatehouse.Invalid},
		{"invalid UTF-8", func(e *gatehouse.SCIMRequestLog) { e.UserAgent = "agent \xff" }, gatehouse.Invalid},
		{"NUL", func(e *gatehouse.SCIMRequestLog) { e.ResponseBody = "a\x00b" }, gatehouse.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			good, bad := newSCIMLog(g.ID, "good"), newSCIMLog(g.ID, "bad")
			tt.bad(bad)
			err := s.AppendSCIMRequestLogs(ctx, []*gatehouse.SCIMRequestLog{good, bad}, 10)
			wantKind(t, "AppendSCIMRequestLogs(good, "+tt.name+")", err, tt.kind)
			got, total, err := s.ListSCIMRequestLogs(ctx, g.ID, store.Page{Limit: 10})
			wantIDs(t, "ListSCIMRequestLogs after the refused batch", got, err, scimLogID, nil)
			wantTotal(t, "ListSCIMRequestLogs after the refused batch", total, 0)
			if good.ID != 0 {
				t.Errorf("AppendSCIMRequestLogs set ID %d on an entry of a refused batch, want 0", good.ID)
			}
		})
	}
}
