package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testDeleteExpiredSAMLState checks that the sweep removes every request,
// replay-cache entry, flow and session expired at now, used or not, counts
// them, and leaves everything else.
func testDeleteExpiredSAMLState(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	now := fixedTime
	live, expired := now.Add(time.Microsecond), now // a row that expires at now has expired
	long := now.Add(-time.Hour)

	// Requests: expired (one of them used), live (one of them used), and a
	// live one of an expired session, which goes with the session.
	var liveRequests []*gatehouse.SAMLRequest
	for i, exp := range []time.Time{expired, long, expired} {
		MustCreateSAMLRequest(t, s, g.ID, fmt.Sprintf("_expired%d", i), exp)
	}
	_, err := s.ConsumeSAMLRequest(ctx, g.ID, "_expired2", long.Add(-time.Minute))
	must(t, "ConsumeSAMLRequest(_expired2)", err)
	for i := range 2 {
		liveRequests = append(liveRequests, MustCreateSAMLRequest(t, s, g.ID, fmt.Sprintf("_live%d", i), live))
	}
	_, err = s.ConsumeSAMLRequest(ctx, g.ID, "_live1", long)
	must(t, "ConsumeSAMLRequest(_live1)", err)

	// Sessions: two expired (one with an SSO record and a live request),
	// one live with an SSO record.
	gone := MustCreateSession(t, s, u.ID, expired)
	must(t, "MarkSessionSSO(expired session)", s.MarkSessionSSO(ctx, gone.ID, g.ID, long))
	orphan := newSAMLRequest(g.ID, "_of_expired_session", live)
	orphan.SessionID = gone.ID
	must(t, "CreateSAMLRequest(of the expired session)", s.CreateSAMLRequest(ctx, orphan))
	MustCreateSession(t, s, u.ID, long)
	kept := MustCreateSession(t, s, u.ID, live)
	must(t, "MarkSessionSSO(live session)", s.MarkSessionSSO(ctx, kept.ID, g.ID, long))

	// Replay-cache entries: one expired, one live.
	must(t, "ConsumeSAMLAssertion(expiring at now)", s.ConsumeSAMLAssertion(ctx, g.ID, "_expired", expired, long))
	must(t, "ConsumeSAMLAssertion(live)", s.ConsumeSAMLAssertion(ctx, g.ID, "_live", live, long))

	// Flows: two expired (one used), one live.
	var flows []*gatehouse.SAMLFlow
	for _, exp := range []time.Time{expired, long, live} {
		f := newSAMLFlow(g.ID, u.ID, exp)
		must(t, "CreateSAMLFlow", s.CreateSAMLFlow(ctx, f))
		flows = append(flows, f)
	}
	_, err = s.ConsumeSAMLFlow(ctx, flows[1].Hash, long.Add(-time.Minute))
	must(t, "ConsumeSAMLFlow(expired flow)", err)

	// What the sweep never touches.
	key, err := s.EnsureInstanceKey(ctx, newInstanceKey(gatehouse.SAMLSPKeyName, "kept"))
	must(t, "EnsureInstanceKey", err)
	logEntry := newSAMLLog(g.ID, "kept")
	logEntry.At = long.Add(-24 * time.Hour)
	must(t, "AppendSAMLLog", s.AppendSAMLLog(ctx, logEntry, 0))

	const want = 3 + 1 + 2 + 2 // requests, assertions, flows, sessions
	n, err := s.DeleteExpiredSAMLState(ctx, now)
	if err != nil || n != want {
		t.Errorf("DeleteExpiredSAMLState(now) = %d, %v, want %d, nil", n, err, want)
	}
	if n, err := s.DeleteExpiredSAMLState(ctx, now); err != nil || n != 0 {
		t.Errorf("DeleteExpiredSAMLState(now) again = %d, %v, want 0, nil", n, err)
	}
	_, err = s.DeleteExpiredSAMLState(ctx, time.Time{})
	wantKind(t, "DeleteExpiredSAMLState(zero)", err, gatehouse.Invalid)

	// What was live is there, looked up at a now at which the expired
	// rows would be live too, had they stayed.
	early := long.Add(-2 * time.Hour)
	got, err := s.FindSAMLRequest(ctx, g.ID, "_live0", early)
	wantFound(t, "FindSAMLRequest(_live0) after the sweep", got, err, liveRequests[0])
	for i := range 3 {
		_, err = s.FindSAMLRequest(ctx, g.ID, fmt.Sprintf("_expired%d", i), early)
		wantKind(t, fmt.Sprintf("FindSAMLRequest(_expired%d) after the sweep", i), err, gatehouse.NotFound)
	}
	_, err = s.FindSAMLRequest(ctx, g.ID, orphan.ID, early)
	wantKind(t, "FindSAMLRequest(of the expired session) after the sweep", err, gatehouse.NotFound)
	gotSession, err := s.FindSessionByHash(ctx, kept.Hash, early)
	wantFound(t, "FindSessionByHash(live) after the sweep", gotSession, err, kept)
	_, err = s.FindSessionByHash(ctx, gone.Hash, early)
	wantKind(t, "FindSessionByHash(expired) after the sweep", err, gatehouse.NotFound)
	_, err = s.FindSessionSSO(ctx, kept.ID, g.ID)
	must(t, "FindSessionSSO(live session) after the sweep", err)
	_, err = s.FindSessionSSO(ctx, gone.ID, g.ID)
	wantKind(t, "FindSessionSSO(expired session) after the sweep", err, gatehouse.NotFound)
	wantKind(t, "ConsumeSAMLAssertion(live) after the sweep",
		s.ConsumeSAMLAssertion(ctx, g.ID, "_live", live.Add(time.Hour), early), gatehouse.Conflict)
	// The expired entry is gone, so even a now before its expiry takes
	// the ID afresh.
	must(t, "ConsumeSAMLAssertion(expired) after the sweep", s.ConsumeSAMLAssertion(ctx, g.ID, "_expired", live, early))
	for i, f := range flows {
		_, err := s.ConsumeSAMLFlow(ctx, f.Hash, early)
		wantLive(t, fmt.Sprintf("ConsumeSAMLFlow(flow %d) after the sweep", i), err, i == 2)
	}
	gotKey, err := s.EnsureInstanceKey(ctx, newInstanceKey(gatehouse.SAMLSPKeyName, "other"))
	wantFound(t, "EnsureInstanceKey after the sweep", gotKey, err, key)
	gotLog, err := s.FindSAMLLogByReference(ctx, g.ID, "kept")
	wantFound(t, "FindSAMLLogByReference after the sweep", gotLog, err, logEntry)
}
