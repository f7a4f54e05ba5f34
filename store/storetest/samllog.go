package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newSAMLLog returns a valid SAML log entry of the group with the
// reference id.
func newSAMLLog(groupID int64, ref string) *gatehouse.SAMLLogEntry {
	return &gatehouse.SAMLLogEntry{GroupID: groupID, Outcome: "refused", ReferenceID: ref, NameID: "alice@idp.example"}
}

// samlLogID is the id of an entry, for wantIDs.
func samlLogID(e *gatehouse.SAMLLogEntry) int64 { return e.ID }

// testSAMLLogCRUD appends entries of two groups, lists and pages each
// group's newest first, and finds them by reference id, every field
// round-tripping.
func testSAMLLogCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")

	full := &gatehouse.SAMLLogEntry{
		GroupID:     acme.ID,
		At:          zonedTime,
		Outcome:     "link_required",
		ReferenceID: "R-7f3a_Q9",
		NameID:      "Zoë@IdP.example",
		RequestID:   "_5a1f0c",
		Response:    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><!-- signature trimmed --></samlp:Response>`,
		Checks:      json.RawMessage(`[{"check":"signature","ok":true},{"check":"audience","ok":false,"want":"https://gh.example/groups/acme","got":"🦊"}]`),
		ClientIP:    "2001:db8::1",
		UserAgent:   "Mozilla/5.0 (X11; Linux x86_64)",
	}
	must(t, "AppendSAMLLog(every field)", s.AppendSAMLLog(ctx, full, 0))
	if full.ID <= 0 {
		t.Errorf("AppendSAMLLog set ID = %d, want > 0", full.ID)
	}
	checkInstant(t, "AppendSAMLLog At (given)", full.At, zonedTime)
	stamped := newSAMLLog(acme.ID, "stamped") // At zero: the store sets it
	stamped.Outcome = "signed_in"
	stamped.Response = strings.Repeat("é", gatehouse.SAMLLogResponseLimit/2)
	must(t, "AppendSAMLLog(At zero)", s.AppendSAMLLog(ctx, stamped, 0))
	checkStamp(t, "AppendSAMLLog At (set by the store)", stamped.At)
	other := newSAMLLog(bravo.ID, full.ReferenceID) // the same reference in another group
	must(t, "AppendSAMLLog(bravo, acme's reference id)", s.AppendSAMLLog(ctx, other, 0))
	if stamped.ID <= full.ID || other.ID <= stamped.ID {
		t.Errorf("AppendSAMLLog set IDs %d, %d, %d, want them increasing", full.ID, stamped.ID, other.ID)
	}

	got, total, err := s.ListSAMLLogs(ctx, acme.ID, store.Page{Limit: 10})
	wantFound(t, "ListSAMLLogs(acme)", got, err, []*gatehouse.SAMLLogEntry{stamped, full})
	wantTotal(t, "ListSAMLLogs(acme)", total, 2)
	if err == nil && len(got) == 2 {
		checkInstant(t, "ListSAMLLogs(acme)[1].At", got[1].At, zonedTime)
	}
	got, total, err = s.ListSAMLLogs(ctx, bravo.ID, store.Page{Limit: 10})
	wantFound(t, "ListSAMLLogs(bravo)", got, err, []*gatehouse.SAMLLogEntry{other})
	wantTotal(t, "ListSAMLLogs(bravo)", total, 1)
	got, total, err = s.ListSAMLLogs(ctx, missingID, store.Page{Limit: 10})
	wantFound(t, "ListSAMLLogs(missing group)", got, err, nil)
	wantTotal(t, "ListSAMLLogs(missing group)", total, 0)

	entry, err := s.FindSAMLLogByReference(ctx, acme.ID, full.ReferenceID)
	wantFound(t, "FindSAMLLogByReference(acme)", entry, err, full)
	entry, err = s.FindSAMLLogByReference(ctx, bravo.ID, full.ReferenceID)
	wantFound(t, "FindSAMLLogByReference(bravo, the same reference)", entry, err, other)
	for _, ref := range []string{"r-7f3a_q9", "unknown", "", "R-7f3a_Q9 ", "bad\x00", strings.Repeat("r", 65)} {
		_, err = s.FindSAMLLogByReference(ctx, acme.ID, ref)
		wantKind(t, fmt.Sprintf("FindSAMLLogByReference(acme, %q)", ref), err, gatehouse.NotFound)
	}

	// A reference id is unique within its group.
	dup := newSAMLLog(acme.ID, full.ReferenceID)
	wantKind(t, "AppendSAMLLog(acme, a taken reference id)", s.AppendSAMLLog(ctx, dup, 10), gatehouse.Conflict)
	wantKind(t, "AppendSAMLLog(missing group)", s.AppendSAMLLog(ctx, newSAMLLog(missingID, "ghost"), 10), gatehouse.NotFound)
	if dup.ID != 0 {
		t.Errorf("AppendSAMLLog set ID %d on a refused entry, want 0", dup.ID)
	}
	_, total, err = s.ListSAMLLogs(ctx, acme.ID, store.Page{})
	must(t, "ListSAMLLogs(acme) after refused appends", err)
	wantTotal(t, "ListSAMLLogs(acme) after refused appends", total, 2)
}

// testSAMLLogPaging pages through a group's log, with another group's
// entries interleaved.
func testSAMLLogPaging(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "bravo")
	var ids []int64
	for i := range 7 {
		e := newSAMLLog(g.ID, fmt.Sprintf("ref-%d", i))
		must(t, "AppendSAMLLog(acme)", s.AppendSAMLLog(ctx, e, 0))
		ids = append([]int64{e.ID}, ids...) // newest first
		must(t, "AppendSAMLLog(bravo)", s.AppendSAMLLog(ctx, newSAMLLog(other.ID, fmt.Sprintf("ref-%d", i)), 0))
	}
	checkPaging(t, "ListSAMLLogs", ids, func(p store.Page) ([]*gatehouse.SAMLLogEntry, int, error) {
		return s.ListSAMLLogs(ctx, g.ID, p)
	}, samlLogID)
}

// testSAMLLogKeep checks that appending trims the entry's group, and only
// it, to its newest keep entries.
func testSAMLLogKeep(t *testing.T, s store.Store) {
	ctx := t.Context()
	acme := MustCreateGroup(t, s, "acme")
	bravo := MustCreateGroup(t, s, "bravo")
	var seq int
	appendN := func(groupID int64, n, keep int) []*gatehouse.SAMLLogEntry {
		t.Helper()
		var es []*gatehouse.SAMLLogEntry
		for range n {
			seq++
			e := newSAMLLog(groupID, fmt.Sprintf("ref-%d", seq))
			must(t, fmt.Sprintf("AppendSAMLLog(keep %d)", keep), s.AppendSAMLLog(ctx, e, keep))
			es = append(es, e)
		}
		return es
	}
	ids := func(es ...*gatehouse.SAMLLogEntry) []int64 {
		var v []int64
		for i := len(es) - 1; i >= 0; i-- { // newest first
			v = append(v, es[i].ID)
		}
		return v
	}
	check := func(what string, groupID int64, want []int64) {
		t.Helper()
		got, total, err := s.ListSAMLLogs(ctx, groupID, store.Page{Limit: 200})
		wantIDs(t, what, got, err, samlLogID, want)
		wantTotal(t, what, total, len(want))
	}

	// keep <= 0 keeps everything.
	b := appendN(bravo.ID, 4, 0)
	b = append(b, appendN(bravo.ID, 1, -1)...)
	check("ListSAMLLogs(bravo) after keep 0 and -1", bravo.ID, ids(b...))

	// Appending to acme trims acme alone.
	a := appendN(acme.ID, 5, 3)
	check("ListSAMLLogs(acme) after 5 with keep 3", acme.ID, ids(a[2:]...))
	check("ListSAMLLogs(bravo) after acme's appends", bravo.ID, ids(b...))
	_, err := s.FindSAMLLogByReference(ctx, acme.ID, a[0].ReferenceID)
	wantKind(t, "FindSAMLLogByReference(a trimmed entry)", err, gatehouse.NotFound)

	// A smaller keep trims more; many appends (past the store's periodic
	// full trim) stay bounded.
	a = append(a, appendN(acme.ID, 1, 1)...)
	check("ListSAMLLogs(acme) after keep 1", acme.ID, ids(a[len(a)-1]))
	a = append(a, appendN(acme.ID, 150, 10)...)
	check("ListSAMLLogs(acme) after 150 with keep 10", acme.ID, ids(a[len(a)-10:]...))
	b = append(b, appendN(bravo.ID, 1, 2)...)
	check("ListSAMLLogs(bravo) after keep 2", bravo.ID, ids(b[len(b)-2:]...))
}

// testSAMLLogRefused checks that an entry breaking a rule is refused with
// Invalid and not stored.
func testSAMLLogRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	tests := []struct {
		name string
		bad  func(e *gatehouse.SAMLLogEntry)
	}{
		{"no group", func(e *gatehouse.SAMLLogEntry) { e.GroupID = 0 }},
		{"no outcome", func(e *gatehouse.SAMLLogEntry) { e.Outcome = "" }},
		{"outcome in upper case", func(e *gatehouse.SAMLLogEntry) { e.Outcome = "REFUSED" }},
		{"no reference", func(e *gatehouse.SAMLLogEntry) { e.ReferenceID = "" }},
		{"reference with a space", func(e *gatehouse.SAMLLogEntry) { e.ReferenceID = "a b" }},
		{"response over the limit", func(e *gatehouse.SAMLLogEntry) {
			e.Response = strings.Repeat("x", gatehouse.SAMLLogResponseLimit+1)
		}},
		{"NameID over the limit", func(e *gatehouse.SAMLLogEntry) {
			e.NameID = strings.Repeat("n", gatehouse.SAMLLogNameIDLimit+1)
		}},
		{"invalid UTF-8", func(e *gatehouse.SAMLLogEntry) { e.UserAgent = "agent \xff" }},
		{"NUL", func(e *gatehouse.SAMLLogEntry) { e.Response = "<a>\x00</a>" }},
		{"checks not JSON", func(e *gatehouse.SAMLLogEntry) { e.Checks = json.RawMessage(`[`) }},
		{"checks with NUL", func(e *gatehouse.SAMLLogEntry) { e.Checks = json.RawMessage(`["\u0000"]`) }},
		{"checks with a lone surrogate", func(e *gatehouse.SAMLLogEntry) { e.Checks = json.RawMessage(`["\udd8a"]`) }},
	}
	for _, tt := range tests {
		e := newSAMLLog(g.ID, "refused")
		tt.bad(e)
		wantKind(t, "AppendSAMLLog("+tt.name+")", s.AppendSAMLLog(ctx, e, 10), gatehouse.Invalid)
		if e.ID != 0 {
			t.Errorf("AppendSAMLLog(%s) set ID %d, want 0", tt.name, e.ID)
		}
	}
	got, total, err := s.ListSAMLLogs(ctx, g.ID, store.Page{Limit: 10})
	wantIDs(t, "ListSAMLLogs after the refused entries", got, err, samlLogID, nil)
	wantTotal(t, "ListSAMLLogs after the refused entries", total, 0)
}
