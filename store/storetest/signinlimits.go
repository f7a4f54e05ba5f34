package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// signInWindow is the window the sign-in counter tests open.
const signInWindow = 15 * time.Minute

// testSignInFailures counts, finds, forgives and resets sign-in failure
// counters, with windows that end at the caller's now.
func testSignInFailures(t *testing.T, s store.Store) {
	ctx := t.Context()
	const key = "login:alice"
	start := fixedTime
	end := start.Add(signInWindow)
	counter := func(count int, start time.Time) *gatehouse.SignInFailures {
		return &gatehouse.SignInFailures{Key: key, Count: count, Start: start, End: start.Add(signInWindow)}
	}

	_, err := s.FindSignInFailures(ctx, key, start)
	wantKind(t, "FindSignInFailures before any failure", err, gatehouse.NotFound)

	steps := []struct {
		name string
		now  time.Time
		want *gatehouse.SignInFailures
	}{
		{"the first failure opens a window", start, counter(1, start)},
		{"a second failure counts in it", start.Add(time.Minute), counter(2, start)},
		{"a microsecond before the window ends", end.Add(-time.Microsecond), counter(3, start)},
		{"when the window ends, a new one opens", end, counter(1, end)},
		{"and counts on", end.Add(time.Second), counter(2, end)},
	}
	for _, st := range steps {
		got, err := s.CountSignInFailure(ctx, key, signInWindow, st.now)
		wantFound(t, "CountSignInFailure("+st.name+")", got, err, st.want)
		if err == nil {
			checkInstant(t, "CountSignInFailure("+st.name+") Start", got.Start, st.want.Start)
		}
	}
	got, err := s.FindSignInFailures(ctx, key, end.Add(time.Minute))
	wantFound(t, "FindSignInFailures", got, err, counter(2, end))
	_, err = s.FindSignInFailures(ctx, key, end.Add(signInWindow))
	wantKind(t, "FindSignInFailures when the window ends", err, gatehouse.NotFound)
	_, err = s.FindSignInFailures(ctx, strings.ToUpper(key), end)
	wantKind(t, "FindSignInFailures(the key in upper case: another key)", err, gatehouse.NotFound)

	// Forgiving takes one back, never below zero, and leaves ended
	// windows and unknown keys alone.
	must(t, "ForgiveSignInFailure", s.ForgiveSignInFailure(ctx, key, end))
	got, err = s.FindSignInFailures(ctx, key, end)
	wantFound(t, "FindSignInFailures after ForgiveSignInFailure", got, err, counter(1, end))
	must(t, "ForgiveSignInFailure again", s.ForgiveSignInFailure(ctx, key, end))
	must(t, "ForgiveSignInFailure at zero", s.ForgiveSignInFailure(ctx, key, end))
	got, err = s.FindSignInFailures(ctx, key, end)
	wantFound(t, "FindSignInFailures after forgiving at zero", got, err, counter(0, end))
	got, err = s.CountSignInFailure(ctx, key, signInWindow, end.Add(time.Second))
	wantFound(t, "CountSignInFailure after forgiving", got, err, counter(1, end))
	must(t, "ForgiveSignInFailure(unknown key)", s.ForgiveSignInFailure(ctx, "login:nobody", end))
	_, err = s.FindSignInFailures(ctx, "login:nobody", end)
	wantKind(t, "FindSignInFailures after forgiving an unknown key", err, gatehouse.NotFound)
	must(t, "ForgiveSignInFailure(ended window)", s.ForgiveSignInFailure(ctx, key, end.Add(signInWindow)))
	got, err = s.CountSignInFailure(ctx, key, signInWindow, end.Add(signInWindow))
	wantFound(t, "CountSignInFailure after forgiving an ended window", got, err, counter(1, end.Add(signInWindow)))

	// Resetting removes the named keys only.
	later := end.Add(signInWindow)
	for _, k := range []string{"ip:203.0.113.7", "ip:2001:db8::/64"} {
		_, err := s.CountSignInFailure(ctx, k, signInWindow, later)
		must(t, "CountSignInFailure("+k+")", err)
	}
	n, err := s.ResetSignInFailures(ctx, key, "ip:203.0.113.7", "login:nobody")
	must(t, "ResetSignInFailures", err)
	if n != 2 {
		t.Errorf("ResetSignInFailures(two counters and an unknown key) = %d, want 2", n)
	}
	_, err = s.FindSignInFailures(ctx, key, later)
	wantKind(t, "FindSignInFailures after ResetSignInFailures", err, gatehouse.NotFound)
	got, err = s.FindSignInFailures(ctx, "ip:2001:db8::/64", later)
	wantFound(t, "FindSignInFailures(a key not reset)", got, err,
		&gatehouse.SignInFailures{Key: "ip:2001:db8::/64", Count: 1, Start: later, End: later.Add(signInWindow)})
	if n, err := s.ResetSignInFailures(ctx); n != 0 || err != nil {
		t.Errorf("ResetSignInFailures() = %d, %v; want 0, nil", n, err)
	}

	// A count in a transaction that rolls back is forgotten.
	errBoom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		got, err := q.CountSignInFailure(ctx, "login:rolled", signInWindow, start)
		must(t, "CountSignInFailure inside the transaction", err)
		if got.Count != 1 {
			t.Errorf("CountSignInFailure inside the transaction = %d, want 1", got.Count)
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(CountSignInFailure, fail) = %v, want boom", err)
	}
	_, err = s.FindSignInFailures(ctx, "login:rolled", start)
	wantKind(t, "FindSignInFailures after the rollback", err, gatehouse.NotFound)
}

// testSignInFailuresRefused checks that bad keys, windows and times are
// Invalid and write nothing.
func testSignInFailuresRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	for _, tc := range []struct {
		name   string
		key    string
		window time.Duration
		now    time.Time
	}{
		{"no key", "", signInWindow, fixedTime},
		{"a key with a space", "login:a b", signInWindow, fixedTime},
		{"a key with NUL", "login:a\x00", signInWindow, fixedTime},
		{"a key of invalid UTF-8", "login:\xff", signInWindow, fixedTime},
		{"a long key", "login:" + strings.Repeat("a", gatehouse.SignInKeyLimit), signInWindow, fixedTime},
		{"no window", "login:a", 0, fixedTime},
		{"a negative window", "login:a", -time.Minute, fixedTime},
		{"a window under a microsecond", "login:a", time.Nanosecond, fixedTime},
		{"no now", "login:a", signInWindow, time.Time{}},
	} {
		_, err := s.CountSignInFailure(ctx, tc.key, tc.window, tc.now)
		wantKind(t, "CountSignInFailure("+tc.name+")", err, gatehouse.Invalid)
	}
	for _, tc := range []struct {
		name string
		key  string
		now  time.Time
	}{
		{"no key", "", fixedTime},
		{"a key with a space", "login:a b", fixedTime},
		{"no now", "login:a", time.Time{}},
	} {
		_, err := s.FindSignInFailures(ctx, tc.key, tc.now)
		wantKind(t, "FindSignInFailures("+tc.name+")", err, gatehouse.Invalid)
		wantKind(t, "ForgiveSignInFailure("+tc.name+")", s.ForgiveSignInFailure(ctx, tc.key, tc.now), gatehouse.Invalid)
	}
	_, err := s.ResetSignInFailures(ctx, "login:a", "")
	wantKind(t, "ResetSignInFailures(an empty key)", err, gatehouse.Invalid)
	_, err = s.DeleteExpiredSignInFailures(ctx, time.Time{})
	wantKind(t, "DeleteExpiredSignInFailures(no now)", err, gatehouse.Invalid)

	// Nothing was written: the first failure of the key opens its window.
	got, err := s.CountSignInFailure(ctx, "login:a", signInWindow, fixedTime)
	wantFound(t, "CountSignInFailure after the refused calls", got, err,
		&gatehouse.SignInFailures{Key: "login:a", Count: 1, Start: fixedTime, End: fixedTime.Add(signInWindow)})
}

// testSignInFailuresSweep checks that DeleteExpiredSignInFailures removes
// the counters whose window has ended at now, and only those.
func testSignInFailuresSweep(t *testing.T, s store.Store) {
	ctx := t.Context()
	for i, start := range []time.Time{fixedTime, fixedTime.Add(time.Minute), fixedTime.Add(time.Hour)} {
		_, err := s.CountSignInFailure(ctx, fmt.Sprintf("ip:192.0.2.%d", i), signInWindow, start)
		must(t, "CountSignInFailure", err)
	}
	now := fixedTime.Add(time.Minute + signInWindow) // the first two have ended
	n, err := s.DeleteExpiredSignInFailures(ctx, now)
	must(t, "DeleteExpiredSignInFailures", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSignInFailures = %d, want 2", n)
	}
	if _, err := s.FindSignInFailures(ctx, "ip:192.0.2.2", now); err != nil {
		t.Errorf("FindSignInFailures(the live counter) after the sweep = %v, want it kept", err)
	}
	// An ended counter that was swept starts again at 1, as one that was
	// not would.
	got, err := s.CountSignInFailure(ctx, "ip:192.0.2.0", signInWindow, now)
	wantFound(t, "CountSignInFailure after the sweep", got, err,
		&gatehouse.SignInFailures{Key: "ip:192.0.2.0", Count: 1, Start: now, End: now.Add(signInWindow)})
	if n, err := s.DeleteExpiredSignInFailures(ctx, now); n != 0 || err != nil {
		t.Errorf("DeleteExpiredSignInFailures again = %d, %v; want 0, nil", n, err)
	}
}

// testRaceSignInFailures has racers count failures of one key at once:
// every failure counts once.
func testRaceSignInFailures(t *testing.T, s store.Store) {
	raceSignInFailures(t, s, func(int) store.Store { return s })
}

// raceSignInFailures is testRaceSignInFailures on the store of each racer;
// s checks the result.
func raceSignInFailures(t *testing.T, s store.Store, storeOf func(racer int) store.Store) {
	const key = "login:race"
	counts := make([]int, racers)
	errs := race(t, func(ctx context.Context, i int) error {
		f, err := storeOf(i).CountSignInFailure(ctx, key, signInWindow, fixedTime)
		if err == nil {
			counts[i] = f.Count
		}
		return err
	})
	for i, err := range errs {
		must(t, fmt.Sprintf("CountSignInFailure(racer %d)", i), err)
	}
	// Each racer saw the count its own failure made: 1 to racers, once each.
	slices.Sort(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Errorf("the racers' counts = %v, want 1 to %d, each once", counts, racers)
			break
		}
	}
	got, err := s.FindSignInFailures(t.Context(), key, fixedTime)
	wantFound(t, "FindSignInFailures after the race", got, err,
		&gatehouse.SignInFailures{Key: key, Count: racers, Start: fixedTime, End: fixedTime.Add(signInWindow)})
}
