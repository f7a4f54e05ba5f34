package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newSAMLFlow returns a valid, unsaved sign-in flow of the user in the
// group, expiring at expires.
func newSAMLFlow(groupID, userID int64, expires time.Time) *gatehouse.SAMLFlow {
	return &gatehouse.SAMLFlow{Hash: newHash(), GroupID: groupID, Kind: gatehouse.SAMLFlowSignIn, UserID: userID,
		ExternUID: "alice@idp.example", ExpiresAt: expires}
}

// usedFlow returns f as consuming it at now leaves it.
func usedFlow(f *gatehouse.SAMLFlow, now time.Time) *gatehouse.SAMLFlow {
	u := *f
	u.UsedAt = now.UTC().Truncate(time.Microsecond)
	return &u
}

// testSAMLFlowCRUD creates and consumes continue flows of every kind.
func testSAMLFlowCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")

	full := &gatehouse.SAMLFlow{
		Hash: newHash(), GroupID: g.ID, Kind: gatehouse.SAMLFlowLink, UserID: u.ID, ExternUID: "Zoë@IdP.example",
		RequestID: "_5a1f0c", BrowserHash: newHash(), RelayState: "/groups/acme/-/projects?x=1",
		Detail:    json.RawMessage(`{"email":"zoe@example.org","groups":["a","b"],"name":"Zoë 🦊"}`),
		ExpiresAt: zonedTime,
	}
	must(t, "CreateSAMLFlow(link)", s.CreateSAMLFlow(ctx, full))
	checkStamp(t, "CreateSAMLFlow CreatedAt", full.CreatedAt)
	checkInstant(t, "CreateSAMLFlow ExpiresAt", full.ExpiresAt, zonedTime)
	// A create flow names no user; an IdP-initiated one no request or
	// browser.
	create := &gatehouse.SAMLFlow{Hash: newHash(), GroupID: g.ID, Kind: gatehouse.SAMLFlowCreate,
		ExternUID: "new@idp.example", ExpiresAt: fixedTime}
	must(t, "CreateSAMLFlow(create)", s.CreateSAMLFlow(ctx, create))
	signIn := newSAMLFlow(g.ID, u.ID, fixedTime)
	must(t, "CreateSAMLFlow(sign_in)", s.CreateSAMLFlow(ctx, signIn))
	// A verify flow shows its user (the owner) what a test response held.
	verify := &gatehouse.SAMLFlow{Hash: newHash(), GroupID: g.ID, Kind: gatehouse.SAMLFlowVerify, UserID: u.ID,
		ExternUID: "alice@idp.example", RequestID: "_verify", BrowserHash: newHash(),
		Detail: json.RawMessage(`{"reference":"0a1b2c"}`), ExpiresAt: fixedTime}
	must(t, "CreateSAMLFlow(verify)", s.CreateSAMLFlow(ctx, verify))

	wantKind(t, "CreateSAMLFlow with an existing hash", s.CreateSAMLFlow(ctx, &gatehouse.SAMLFlow{
		Hash: full.Hash, GroupID: g.ID, Kind: gatehouse.SAMLFlowCreate, ExternUID: "x", ExpiresAt: fixedTime}), gatehouse.Conflict)
	ghost := newSAMLFlow(missingID, u.ID, fixedTime)
	wantKind(t, "CreateSAMLFlow(missing group)", s.CreateSAMLFlow(ctx, ghost), gatehouse.NotFound)
	ghost = newSAMLFlow(g.ID, missingID, fixedTime)
	wantKind(t, "CreateSAMLFlow(missing user)", s.CreateSAMLFlow(ctx, ghost), gatehouse.NotFound)
	_, err := s.ConsumeSAMLFlow(ctx, ghost.Hash, beforeExpiry)
	wantKind(t, "ConsumeSAMLFlow(a refused flow)", err, gatehouse.NotFound)

	now := beforeExpiry.Add(987654321 * time.Nanosecond)
	for _, f := range []*gatehouse.SAMLFlow{full, create, signIn, verify} {
		got, err := s.ConsumeSAMLFlow(ctx, f.Hash, now)
		wantFound(t, fmt.Sprintf("ConsumeSAMLFlow(%s)", f.Kind), got, err, usedFlow(f, now))
		if err == nil {
			checkInstant(t, fmt.Sprintf("ConsumeSAMLFlow(%s) UsedAt", f.Kind), got.UsedAt, now)
			checkInstant(t, fmt.Sprintf("ConsumeSAMLFlow(%s) ExpiresAt", f.Kind), got.ExpiresAt, f.ExpiresAt)
		}
		_, err = s.ConsumeSAMLFlow(ctx, f.Hash, now)
		wantKind(t, fmt.Sprintf("ConsumeSAMLFlow(%s) again", f.Kind), err, gatehouse.NotFound)
	}
	_, err = s.ConsumeSAMLFlow(ctx, newHash(), beforeExpiry)
	wantKind(t, "ConsumeSAMLFlow(unknown)", err, gatehouse.NotFound)
	_, err = s.ConsumeSAMLFlow(ctx, []byte("short"), beforeExpiry)
	wantKind(t, "ConsumeSAMLFlow(not a hash)", err, gatehouse.NotFound)
	_, err = s.ConsumeSAMLFlow(ctx, full.Hash, time.Time{})
	wantKind(t, "ConsumeSAMLFlow(now zero)", err, gatehouse.Invalid)

	// A flow consumed in a transaction that rolls back is not used.
	rolled := newSAMLFlow(g.ID, u.ID, fixedTime)
	must(t, "CreateSAMLFlow", s.CreateSAMLFlow(ctx, rolled))
	errBoom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		got, err := q.ConsumeSAMLFlow(ctx, rolled.Hash, now)
		wantFound(t, "ConsumeSAMLFlow inside the transaction", got, err, usedFlow(rolled, now))
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(ConsumeSAMLFlow, fail) = %v, want boom", err)
	}
	got, err := s.ConsumeSAMLFlow(ctx, rolled.Hash, now)
	wantFound(t, "ConsumeSAMLFlow after the rollback", got, err, usedFlow(rolled, now))
}

// testSAMLFlowRefused checks that an invalid flow is refused with Invalid
// and not stored.
func testSAMLFlowRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	tests := []struct {
		name string
		bad  func(f *gatehouse.SAMLFlow)
	}{
		{"no group", func(f *gatehouse.SAMLFlow) { f.GroupID = 0 }},
		{"unknown kind", func(f *gatehouse.SAMLFlow) { f.Kind = "relink" }},
		{"create naming a user", func(f *gatehouse.SAMLFlow) { f.Kind = gatehouse.SAMLFlowCreate }},
		{"sign-in naming no user", func(f *gatehouse.SAMLFlow) { f.UserID = 0 }},
		{"short hash", func(f *gatehouse.SAMLFlow) { f.Hash = f.Hash[:8] }},
		{"no extern_uid", func(f *gatehouse.SAMLFlow) { f.ExternUID = "" }},
		{"detail not JSON", func(f *gatehouse.SAMLFlow) { f.Detail = json.RawMessage(`{"a":`) }},
		{"detail with NUL", func(f *gatehouse.SAMLFlow) { f.Detail = json.RawMessage(`{"a":"\u0000"}`) }},
		{"RelayState with NUL", func(f *gatehouse.SAMLFlow) { f.RelayState = "/\x00" }},
		{"no expiry", func(f *gatehouse.SAMLFlow) { f.ExpiresAt = time.Time{} }},
	}
	for _, tt := range tests {
		f := newSAMLFlow(g.ID, u.ID, fixedTime)
		tt.bad(f)
		wantKind(t, "CreateSAMLFlow("+tt.name+")", s.CreateSAMLFlow(ctx, f), gatehouse.Invalid)
		if len(f.Hash) > 8 {
			_, err := s.ConsumeSAMLFlow(ctx, f.Hash, beforeExpiry)
			wantKind(t, "ConsumeSAMLFlow("+tt.name+")", err, gatehouse.NotFound)
		}
	}
}

// testSAMLFlowExpiry checks ConsumeSAMLFlow at nows around a flow's
// expiry, and that the store agrees with SAMLFlow.Expired.
func testSAMLFlowExpiry(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	for _, tc := range expiryCases {
		f := newSAMLFlow(g.ID, u.ID, fixedTime)
		must(t, "CreateSAMLFlow", s.CreateSAMLFlow(ctx, f))
		if f.Expired(tc.now) == tc.live {
			t.Errorf("SAMLFlow.Expired(%s) = %v, want %v", tc.name, f.Expired(tc.now), !tc.live)
		}
		_, err := s.ConsumeSAMLFlow(ctx, f.Hash, tc.now)
		wantLive(t, "ConsumeSAMLFlow("+tc.name+")", err, tc.live)
	}
}

// testRaceSAMLFlow has racers consume one flow at once: exactly one gets
// it, the others NotFound.
func testRaceSAMLFlow(t *testing.T, s store.Store) {
	raceSAMLFlow(t, s, func(int) store.Store { return s })
}

// raceSAMLFlow is testRaceSAMLFlow on the store of each racer; s sets up.
func raceSAMLFlow(t *testing.T, s store.Store, storeOf func(racer int) store.Store) {
	g := MustCreateGroup(t, s, "race-flow")
	u := MustCreateUser(t, s, "race-flow-user")
	f := newSAMLFlow(g.ID, u.ID, fixedTime)
	must(t, "CreateSAMLFlow", s.CreateSAMLFlow(t.Context(), f))
	got := make([]*gatehouse.SAMLFlow, racers)
	errs := race(t, func(ctx context.Context, i int) error {
		var err error
		got[i], err = storeOf(i).ConsumeSAMLFlow(ctx, f.Hash, beforeExpiry)
		return err
	})
	if w := checkOneWinnerKind(t, "ConsumeSAMLFlow", errs, gatehouse.NotFound); w >= 0 {
		wantFound(t, "ConsumeSAMLFlow, the winner's", got[w], nil, usedFlow(f, beforeExpiry))
	}
}
