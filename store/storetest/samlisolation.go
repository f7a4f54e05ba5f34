package storetest

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSAMLStateIsolation gives two groups SAML state with the same ids and
// checks that no call scoped to group B finds, consumes, trims or ends
// group A's.
func testSAMLStateIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateGroup(t, s, "acme")
	b := MustCreateGroup(t, s, "bravo")
	c := MustCreateGroup(t, s, "charlie")
	u := MustCreateUser(t, s, "alice")
	const id, ref = "_shared", "REF-1"

	req := MustCreateSAMLRequest(t, s, a.ID, id, fixedTime)
	must(t, "ConsumeSAMLAssertion(A)", s.ConsumeSAMLAssertion(ctx, a.ID, id, fixedTime, beforeExpiry))
	entry := newSAMLLog(a.ID, ref)
	must(t, "AppendSAMLLog(A)", s.AppendSAMLLog(ctx, entry, 1))
	sess := MustCreateSession(t, s, u.ID, fixedTime)
	must(t, "MarkSessionSSO(A)", s.MarkSessionSSO(ctx, sess.ID, a.ID, beforeExpiry))

	// Through B, A's request is neither found nor consumed.
	_, err := s.FindSAMLRequest(ctx, b.ID, id, beforeExpiry)
	wantKind(t, "FindSAMLRequest(B, A's request id)", err, gatehouse.NotFound)
	_, err = s.ConsumeSAMLRequest(ctx, b.ID, id, beforeExpiry)
	wantKind(t, "ConsumeSAMLRequest(B, A's request id)", err, gatehouse.NotFound)
	got, err := s.FindSAMLRequest(ctx, a.ID, id, beforeExpiry)
	wantFound(t, "FindSAMLRequest(A) after B's attempts", got, err, req)

	// B's replay cache is B's own: using the ID there neither consumes A's
	// entry nor is refused by it, and a use in B first does not block C.
	must(t, "ConsumeSAMLAssertion(B, A's assertion id)", s.ConsumeSAMLAssertion(ctx, b.ID, id, fixedTime, beforeExpiry))
	wantKind(t, "ConsumeSAMLAssertion(A) after B's use", s.ConsumeSAMLAssertion(ctx, a.ID, id, fixedTime, beforeExpiry), gatehouse.Conflict)
	must(t, "ConsumeSAMLAssertion(B, fresh)", s.ConsumeSAMLAssertion(ctx, b.ID, "_fresh", fixedTime, beforeExpiry))
	must(t, "ConsumeSAMLAssertion(C, B's fresh id)", s.ConsumeSAMLAssertion(ctx, c.ID, "_fresh", fixedTime, beforeExpiry))

	// Through B, A's log entry is not found, listed or trimmed.
	_, err = s.FindSAMLLogByReference(ctx, b.ID, ref)
	wantKind(t, "FindSAMLLogByReference(B, A's reference)", err, gatehouse.NotFound)
	own := newSAMLLog(b.ID, "REF-2")
	must(t, "AppendSAMLLog(B, keep 1)", s.AppendSAMLLog(ctx, own, 1))
	newest := newSAMLLog(b.ID, "REF-3")
	must(t, "AppendSAMLLog(B, keep 1)", s.AppendSAMLLog(ctx, newest, 1))
	logs, total, err := s.ListSAMLLogs(ctx, b.ID, store.Page{Limit: 10})
	wantIDs(t, "ListSAMLLogs(B)", logs, err, samlLogID, []int64{newest.ID})
	wantTotal(t, "ListSAMLLogs(B)", total, 1)
	gotEntry, err := s.FindSAMLLogByReference(ctx, a.ID, ref)
	wantFound(t, "FindSAMLLogByReference(A) after B's appends", gotEntry, err, entry)

	// Ending B's SSO sessions ends none that only A's SSO signed in.
	_, err = s.FindSessionSSO(ctx, sess.ID, b.ID)
	wantKind(t, "FindSessionSSO(A's session, B)", err, gatehouse.NotFound)
	if n, err := s.DeleteGroupSSOSessions(ctx, b.ID, u.ID); err != nil || n != 0 {
		t.Errorf("DeleteGroupSSOSessions(B, alice) = %d, %v, want 0, nil", n, err)
	}
	gotSession, err := s.FindSessionByHash(ctx, sess.Hash, beforeExpiry)
	wantFound(t, "FindSessionByHash(A's SSO session) after DeleteGroupSSOSessions(B)", gotSession, err, sess)
}
