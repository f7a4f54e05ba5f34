package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newSAMLRequest returns a valid, unsaved request of the group with the ID,
// started by no session, expiring at expires.
func newSAMLRequest(groupID int64, id string, expires time.Time) *gatehouse.SAMLRequest {
	return &gatehouse.SAMLRequest{ID: id, GroupID: groupID, RelayState: "/groups/acme/-/projects",
		BrowserHash: newHash(), ExpiresAt: expires}
}

// MustCreateSAMLRequest creates a request of the group with the ID, started
// by no session, expiring at expires.
func MustCreateSAMLRequest(tb testing.TB, q store.Queries, groupID int64, id string, expires time.Time) *gatehouse.SAMLRequest {
	tb.Helper()
	r := newSAMLRequest(groupID, id, expires)
	must(tb, fmt.Sprintf("CreateSAMLRequest(%d, %q)", groupID, id), q.CreateSAMLRequest(tb.Context(), r))
	return r
}

// used returns r as consuming it at now leaves it.
func used(r *gatehouse.SAMLRequest, now time.Time) *gatehouse.SAMLRequest {
	u := *r
	u.UsedAt = now.UTC().Truncate(time.Microsecond)
	return &u
}

// testSAMLRequestCRUD creates, finds and consumes SAML requests.
func testSAMLRequestCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "bravo")
	u := MustCreateUser(t, s, "alice")
	sess := MustCreateSession(t, s, u.ID, fixedTime)

	r := newSAMLRequest(g.ID, "_5a1f0c", zonedTime)
	r.SessionID = sess.ID
	must(t, "CreateSAMLRequest", s.CreateSAMLRequest(ctx, r))
	checkStamp(t, "CreateSAMLRequest CreatedAt", r.CreatedAt)
	checkInstant(t, "CreateSAMLRequest ExpiresAt", r.ExpiresAt, zonedTime)
	got, err := s.FindSAMLRequest(ctx, g.ID, r.ID, beforeExpiry)
	wantFound(t, "FindSAMLRequest", got, err, r)
	if err == nil {
		checkInstant(t, "FindSAMLRequest ExpiresAt", got.ExpiresAt, zonedTime)
		checkInstant(t, "FindSAMLRequest UsedAt", got.UsedAt, time.Time{})
	}
	anon := MustCreateSAMLRequest(t, s, g.ID, "id-without-session", fixedTime)
	got, err = s.FindSAMLRequest(ctx, g.ID, anon.ID, beforeExpiry)
	wantFound(t, "FindSAMLRequest(no session)", got, err, anon)

	// IDs are unique within a group and compared exactly.
	wantKind(t, "CreateSAMLRequest(same group, same ID)", s.CreateSAMLRequest(ctx, newSAMLRequest(g.ID, r.ID, fixedTime)), gatehouse.Conflict)
	elsewhere := MustCreateSAMLRequest(t, s, other.ID, r.ID, fixedTime)
	got, err = s.FindSAMLRequest(ctx, other.ID, r.ID, beforeExpiry)
	wantFound(t, "FindSAMLRequest(other group, same ID)", got, err, elsewhere)
	_, err = s.FindSAMLRequest(ctx, g.ID, "_5A1F0C", beforeExpiry)
	wantKind(t, "FindSAMLRequest(the ID in upper case)", err, gatehouse.NotFound)
	MustCreateSAMLRequest(t, s, g.ID, "_5A1F0C", fixedTime)

	for _, id := range []string{"_unknown", "", "bad\x00id", "bad\xffid"} {
		_, err = s.FindSAMLRequest(ctx, g.ID, id, beforeExpiry)
		wantKind(t, fmt.Sprintf("FindSAMLRequest(%q)", id), err, gatehouse.NotFound)
		_, err = s.ConsumeSAMLRequest(ctx, g.ID, id, beforeExpiry)
		wantKind(t, fmt.Sprintf("ConsumeSAMLRequest(%q)", id), err, gatehouse.NotFound)
	}
	_, err = s.FindSAMLRequest(ctx, g.ID, r.ID, time.Time{})
	wantKind(t, "FindSAMLRequest(now zero)", err, gatehouse.Invalid)
	_, err = s.ConsumeSAMLRequest(ctx, g.ID, r.ID, time.Time{})
	wantKind(t, "ConsumeSAMLRequest(now zero)", err, gatehouse.Invalid)

	ghost := newSAMLRequest(missingID, "_ghost", fixedTime)
	wantKind(t, "CreateSAMLRequest(missing group)", s.CreateSAMLRequest(ctx, ghost), gatehouse.NotFound)
	ghost = newSAMLRequest(g.ID, "_ghost", fixedTime)
	ghost.SessionID = missingID
	wantKind(t, "CreateSAMLRequest(missing session)", s.CreateSAMLRequest(ctx, ghost), gatehouse.NotFound)
	noBrowser := newSAMLRequest(g.ID, "_ghost", fixedTime)
	noBrowser.BrowserHash = nil
	wantKind(t, "CreateSAMLRequest(no browser hash)", s.CreateSAMLRequest(ctx, noBrowser), gatehouse.Invalid)
	_, err = s.FindSAMLRequest(ctx, g.ID, "_ghost", beforeExpiry)
	wantKind(t, "FindSAMLRequest(_ghost) after refused creates", err, gatehouse.NotFound)

	// Consuming returns the request once.
	now := beforeExpiry.Add(123456789 * time.Nanosecond)
	got, err = s.ConsumeSAMLRequest(ctx, g.ID, r.ID, now)
	wantFound(t, "ConsumeSAMLRequest", got, err, used(r, now))
	if err == nil {
		checkInstant(t, "ConsumeSAMLRequest UsedAt", got.UsedAt, now)
	}
	_, err = s.ConsumeSAMLRequest(ctx, g.ID, r.ID, now)
	wantKind(t, "ConsumeSAMLRequest again", err, gatehouse.NotFound)
	_, err = s.FindSAMLRequest(ctx, g.ID, r.ID, now)
	wantKind(t, "FindSAMLRequest after ConsumeSAMLRequest", err, gatehouse.NotFound)
	got, err = s.FindSAMLRequest(ctx, other.ID, r.ID, now)
	wantFound(t, "FindSAMLRequest(other group's, same ID) after consuming acme's", got, err, elsewhere)

	// A request consumed in a transaction that rolls back is not used.
	errBoom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		got, err := q.ConsumeSAMLRequest(ctx, g.ID, anon.ID, now)
		wantFound(t, "ConsumeSAMLRequest inside the transaction", got, err, used(anon, now))
		_, err = q.FindSAMLRequest(ctx, g.ID, anon.ID, now)
		wantKind(t, "FindSAMLRequest inside the transaction, after consuming", err, gatehouse.NotFound)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(ConsumeSAMLRequest, fail) = %v, want boom", err)
	}
	got, err = s.ConsumeSAMLRequest(ctx, g.ID, anon.ID, now)
	wantFound(t, "ConsumeSAMLRequest after the rollback", got, err, used(anon, now))

	// A verify request keeps its mark, found and consumed; a sign-in's
	// reads back unmarked.
	verify := newSAMLRequest(g.ID, "_verify", fixedTime)
	verify.SessionID, verify.Verify = sess.ID, true
	must(t, "CreateSAMLRequest(verify)", s.CreateSAMLRequest(ctx, verify))
	got, err = s.FindSAMLRequest(ctx, g.ID, verify.ID, beforeExpiry)
	wantFound(t, "FindSAMLRequest(verify)", got, err, verify)
	got, err = s.ConsumeSAMLRequest(ctx, g.ID, verify.ID, now)
	wantFound(t, "ConsumeSAMLRequest(verify)", got, err, used(verify, now))
	if err == nil && (!got.Verify || got.SessionID != sess.ID) {
		t.Errorf("ConsumeSAMLRequest(verify) = Verify %v, session %d, want true, %d", got.Verify, got.SessionID, sess.ID)
	}
	noSession := newSAMLRequest(g.ID, "_verify_nobody", fixedTime)
	noSession.Verify = true
	wantKind(t, "CreateSAMLRequest(verify without a session)", s.CreateSAMLRequest(ctx, noSession), gatehouse.Invalid)

	// A request goes with the session that started it.
	started := newSAMLRequest(g.ID, "_started", fixedTime)
	started.SessionID = sess.ID
	must(t, "CreateSAMLRequest(started by the session)", s.CreateSAMLRequest(ctx, started))
	must(t, "DeleteSession", s.DeleteSession(ctx, sess.ID))
	_, err = s.FindSAMLRequest(ctx, g.ID, started.ID, beforeExpiry)
	wantKind(t, "FindSAMLRequest after its session was deleted", err, gatehouse.NotFound)
}

// testRaceSAMLRequest has racers consume one request at once: exactly one
// gets it, the others NotFound.
func testRaceSAMLRequest(t *testing.T, s store.Store) {
	raceSAMLRequest(t, s, func(int) store.Store { return s })
}

// raceSAMLRequest is testRaceSAMLRequest on the store of each racer; s
// sets up.
func raceSAMLRequest(t *testing.T, s store.Store, storeOf func(racer int) store.Store) {
	g := MustCreateGroup(t, s, "race-request")
	r := MustCreateSAMLRequest(t, s, g.ID, "_race", fixedTime)
	got := make([]*gatehouse.SAMLRequest, racers)
	errs := race(t, func(ctx context.Context, i int) error {
		var err error
		got[i], err = storeOf(i).ConsumeSAMLRequest(ctx, g.ID, r.ID, beforeExpiry)
		return err
	})
	if w := checkOneWinnerKind(t, "ConsumeSAMLRequest(_race)", errs, gatehouse.NotFound); w >= 0 {
		wantFound(t, "ConsumeSAMLRequest(_race), the winner's", got[w], nil, used(r, beforeExpiry))
	}
	_, err := s.FindSAMLRequest(t.Context(), g.ID, r.ID, beforeExpiry)
	wantKind(t, "FindSAMLRequest after the race", err, gatehouse.NotFound)
}

// testSAMLRequestExpiry checks FindSAMLRequest and ConsumeSAMLRequest at
// nows around a request's expiry, and that the store agrees with
// SAMLRequest.Expired.
func testSAMLRequestExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	for i, tc := range expiryCases {
		r := MustCreateSAMLRequest(t, s, g.ID, fmt.Sprintf("_expiry%d", i), fixedTime)
		if r.Expired(tc.now) == tc.live {
			t.Errorf("SAMLRequest.Expired(%s) = %v, want %v", tc.name, r.Expired(tc.now), !tc.live)
		}
		_, err := s.FindSAMLRequest(ctx, g.ID, r.ID, tc.now)
		wantLive(t, "FindSAMLRequest("+tc.name+")", err, tc.live)
		_, err = s.ConsumeSAMLRequest(ctx, g.ID, r.ID, tc.now)
		wantLive(t, "ConsumeSAMLRequest("+tc.name+")", err, tc.live)
	}
}
