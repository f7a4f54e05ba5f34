package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testSAMLAssertionReplay checks the replay cache: the first use of an
// assertion ID in a group succeeds, later ones are Conflict until the
// entry expires, and then the entry is taken over.
func testSAMLAssertionReplay(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "bravo")
	consume := func(groupID int64, id string, expires, now time.Time) error {
		return s.ConsumeSAMLAssertion(ctx, groupID, id, expires, now)
	}
	const id = "_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75"

	must(t, "ConsumeSAMLAssertion(first use)", consume(g.ID, id, fixedTime, beforeExpiry))
	steps := []struct {
		name    string
		groupID int64
		id      string
		expires time.Time
		now     time.Time
		kind    gatehouse.Kind // Internal for success
	}{
		{"the same response again", g.ID, id, fixedTime, beforeExpiry, gatehouse.Conflict},
		{"again, with a later expiry", g.ID, id, fixedTime.Add(time.Hour), beforeExpiry.Add(time.Second), gatehouse.Conflict},
		{"a microsecond before the entry expires", g.ID, id, fixedTime.Add(time.Hour), fixedTime.Add(-time.Microsecond), gatehouse.Conflict},
		{"the ID in upper case", g.ID, strings.ToUpper(id), fixedTime, beforeExpiry, gatehouse.Internal},
		{"the ID in another group", other.ID, id, fixedTime, beforeExpiry, gatehouse.Internal},
		{"the ID in the other group again", other.ID, id, fixedTime, beforeExpiry, gatehouse.Conflict},
		// The entry has expired at now: the next use takes it over, with
		// the new expiry, and is then refused until that one.
		{"when the entry expires", g.ID, id, fixedTime.Add(time.Hour), fixedTime, gatehouse.Internal},
		{"after the take-over", g.ID, id, fixedTime.Add(2 * time.Hour), fixedTime.Add(time.Minute), gatehouse.Conflict},
		{"before the new expiry", g.ID, id, fixedTime.Add(2 * time.Hour), fixedTime.Add(time.Hour - time.Microsecond), gatehouse.Conflict},
		{"at the new expiry", g.ID, id, fixedTime.Add(2 * time.Hour), fixedTime.Add(time.Hour), gatehouse.Internal},
	}
	for _, st := range steps {
		err := consume(st.groupID, st.id, st.expires, st.now)
		op := "ConsumeSAMLAssertion(" + st.name + ")"
		if st.kind == gatehouse.Internal {
			must(t, op, err)
		} else {
			wantKind(t, op, err, st.kind)
		}
	}

	// Refused calls write nothing: the ID's first valid use succeeds.
	refused := []struct {
		name    string
		groupID int64
		id      string
		expires time.Time
		now     time.Time
		kind    gatehouse.Kind
	}{
		{"no group", 0, "_fresh", fixedTime, beforeExpiry, gatehouse.Invalid},
		{"missing group", missingID, "_fresh", fixedTime, beforeExpiry, gatehouse.NotFound},
		{"no ID", g.ID, "", fixedTime, beforeExpiry, gatehouse.Invalid},
		{"an ID with NUL", g.ID, "_fresh\x00", fixedTime, beforeExpiry, gatehouse.Invalid},
		{"an ID of invalid UTF-8", g.ID, "_fresh\xff", fixedTime, beforeExpiry, gatehouse.Invalid},
		{"a long ID", g.ID, "_" + strings.Repeat("f", gatehouse.SAMLIDLimit), fixedTime, beforeExpiry, gatehouse.Invalid},
		{"expiring at now", g.ID, "_fresh", beforeExpiry, beforeExpiry, gatehouse.Invalid},
		{"expiring within now's microsecond", g.ID, "_fresh", beforeExpiry.Add(500 * time.Nanosecond), beforeExpiry, gatehouse.Invalid},
		{"expired before now", g.ID, "_fresh", beforeExpiry.Add(-time.Second), beforeExpiry, gatehouse.Invalid},
		{"no expiry", g.ID, "_fresh", time.Time{}, beforeExpiry, gatehouse.Invalid},
		{"no now", g.ID, "_fresh", fixedTime, time.Time{}, gatehouse.Invalid},
	}
	for _, tt := range refused {
		wantKind(t, "ConsumeSAMLAssertion("+tt.name+")", consume(tt.groupID, tt.id, tt.expires, tt.now), tt.kind)
	}
	must(t, "ConsumeSAMLAssertion(_fresh) after the refused calls", consume(g.ID, "_fresh", fixedTime, beforeExpiry))

	// A use in a transaction that rolls back is forgotten.
	errBoom := errors.New("boom")
	err := s.InTx(ctx, func(q store.Queries) error {
		must(t, "ConsumeSAMLAssertion inside the transaction", q.ConsumeSAMLAssertion(ctx, g.ID, "_rolled", fixedTime, beforeExpiry))
		wantKind(t, "ConsumeSAMLAssertion again inside the transaction",
			q.ConsumeSAMLAssertion(ctx, g.ID, "_rolled", fixedTime, beforeExpiry), gatehouse.Conflict)
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(ConsumeSAMLAssertion, fail) = %v, want boom", err)
	}
	must(t, "ConsumeSAMLAssertion(_rolled) after the rollback", consume(g.ID, "_rolled", fixedTime, beforeExpiry))
}

// testRaceSAMLAssertion has racers post one assertion at once, new and
// then again after its entry expired: each time exactly one succeeds and
// the others get Conflict.
func testRaceSAMLAssertion(t *testing.T, s store.Store) {
	raceSAMLAssertion(t, s, func(int) store.Store { return s })
}

// raceSAMLAssertion is testRaceSAMLAssertion on the store of each racer; s
// sets up.
func raceSAMLAssertion(t *testing.T, s store.Store, storeOf func(racer int) store.Store) {
	g := MustCreateGroup(t, s, "race-assertion")
	const id = "_race"
	for _, round := range []struct {
		name         string
		expires, now time.Time
	}{
		{"new", fixedTime, beforeExpiry},
		{"expired entry", fixedTime.Add(time.Hour), fixedTime},
	} {
		errs := race(t, func(ctx context.Context, i int) error {
			return storeOf(i).ConsumeSAMLAssertion(ctx, g.ID, id, round.expires, round.now)
		})
		checkOneWinner(t, fmt.Sprintf("ConsumeSAMLAssertion(%s, %s)", id, round.name), errs)
		wantKind(t, "ConsumeSAMLAssertion after the race ("+round.name+")",
			s.ConsumeSAMLAssertion(t.Context(), g.ID, id, round.expires, round.now), gatehouse.Conflict)
	}
}
