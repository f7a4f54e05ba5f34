package storetest

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newInstanceKey returns a valid, unsaved key pair with the name, told apart
// from others by tag.
func newInstanceKey(name, tag string) *gatehouse.InstanceKey {
	return &gatehouse.InstanceKey{
		Name:           name,
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("key " + tag)}),
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("certificate " + tag)}),
	}
}

// ensured returns k as EnsureInstanceKey stores it, with its CreatedAt.
func ensured(k *gatehouse.InstanceKey, got *gatehouse.InstanceKey) *gatehouse.InstanceKey {
	want := *k
	if got != nil {
		want.CreatedAt = got.CreatedAt
	}
	return &want
}

// testInstanceKeyEnsure checks that the first key of a name is stored and
// every later one of the name gets it back, bytes and all, and that an
// invalid key, or one of a rolled-back transaction, is not stored.
func testInstanceKeyEnsure(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.FindInstanceKey(ctx, gatehouse.SAMLSPKeyName)
	wantKind(t, "FindInstanceKey before any key", err, gatehouse.NotFound)
	first := newInstanceKey(gatehouse.SAMLSPKeyName, "first")
	got, err := s.EnsureInstanceKey(ctx, first)
	must(t, "EnsureInstanceKey(first)", err)
	checkStamp(t, "EnsureInstanceKey(first).CreatedAt", got.CreatedAt)
	want := ensured(first, got)
	wantFound(t, "EnsureInstanceKey(first)", got, err, want)
	if !first.CreatedAt.IsZero() {
		t.Errorf("EnsureInstanceKey changed its argument's CreatedAt to %v, want it left alone", first.CreatedAt)
	}

	found, err := s.FindInstanceKey(ctx, gatehouse.SAMLSPKeyName)
	wantFound(t, "FindInstanceKey after the first", found, err, want)

	// A later key of the name, whatever its bytes, gets the first.
	second := newInstanceKey(gatehouse.SAMLSPKeyName, "second")
	second.PrivateKeyPEM, second.Encrypted = []byte{0, 1, 0xfe, 0xff}, true
	got, err = s.EnsureInstanceKey(ctx, second)
	wantFound(t, "EnsureInstanceKey(second of the name)", got, err, want)

	// Another name is another key; sealed bytes come back as they went in.
	sealed := newInstanceKey("sealed_key", "sealed")
	sealed.PrivateKeyPEM, sealed.Encrypted = []byte{0, 0xff, '\n', 0, 'x'}, true
	got, err = s.EnsureInstanceKey(ctx, sealed)
	wantFound(t, "EnsureInstanceKey(sealed)", got, err, ensured(sealed, got))

	// An invalid key writes nothing: a valid one of its name is stored next.
	bad := newInstanceKey("fresh", "bad")
	bad.CertificatePEM = nil
	_, err = s.EnsureInstanceKey(ctx, bad)
	wantKind(t, "EnsureInstanceKey(no certificate)", err, gatehouse.Invalid)
	fresh := newInstanceKey("fresh", "good")
	got, err = s.EnsureInstanceKey(ctx, fresh)
	wantFound(t, "EnsureInstanceKey(fresh) after an invalid one", got, err, ensured(fresh, got))

	// A key ensured in a transaction that rolls back is not stored.
	errBoom := errors.New("boom")
	err = s.InTx(ctx, func(q store.Queries) error {
		k := newInstanceKey("rolled", "rolled back")
		got, err := q.EnsureInstanceKey(ctx, k)
		wantFound(t, "EnsureInstanceKey(rolled) inside the transaction", got, err, ensured(k, got))
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(EnsureInstanceKey, fail) = %v, want boom", err)
	}
	after := newInstanceKey("rolled", "after")
	got, err = s.EnsureInstanceKey(ctx, after)
	wantFound(t, "EnsureInstanceKey(rolled) after the rollback", got, err, ensured(after, got))
}

// testRaceInstanceKey has racers each ensure a key pair of their own under
// one name, as nodes starting together do: all succeed and all get the
// same key, one of theirs.
func testRaceInstanceKey(t *testing.T, s store.Store) {
	raceInstanceKey(t, func(int) store.Store { return s })
}

// raceInstanceKey is testRaceInstanceKey on the store of each racer.
func raceInstanceKey(t *testing.T, storeOf func(racer int) store.Store) {
	keys := make([]*gatehouse.InstanceKey, racers)
	got := make([]*gatehouse.InstanceKey, racers)
	errs := race(t, func(ctx context.Context, i int) error {
		keys[i] = newInstanceKey(gatehouse.SAMLSPKeyName, fmt.Sprintf("racer %d", i))
		var err error
		got[i], err = storeOf(i).EnsureInstanceKey(ctx, keys[i])
		return err
	})
	for i, err := range errs {
		must(t, fmt.Sprintf("EnsureInstanceKey(racer %d)", i), err)
	}
	winner := -1
	for i, k := range keys {
		if string(k.PrivateKeyPEM) == string(got[0].PrivateKeyPEM) {
			winner = i
		}
	}
	if winner < 0 {
		t.Fatalf("EnsureInstanceKey returned a key no racer gave: %q", got[0].PrivateKeyPEM)
	}
	want := ensured(keys[winner], got[0])
	for i := range racers {
		wantFound(t, fmt.Sprintf("EnsureInstanceKey(racer %d)", i), got[i], nil, want)
	}
}
