package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testTxRollback checks that an InTx whose callback fails leaves nothing of
// what it wrote, and returns the callback's error.
func testTxRollback(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	errBoom := errors.New("boom")
	var u *gatehouse.User
	err := s.InTx(ctx, func(q store.Queries) error {
		u = MustCreateManagedUser(t, q, g.ID, "ghost")
		MustCreateIdentity(t, q, g.ID, u.ID, "ghost@idp")
		MustCreateSCIMIdentity(t, q, g.ID, u.ID, "ghost@idp")
		MustPutMember(t, q, g.ID, u.ID, gatehouse.Guest)
		// The transaction sees its own writes.
		got, err := q.FindUserByUsername(ctx, "GHOST")
		wantFound(t, "FindUserByUsername(GHOST) inside the transaction", got, err, u)
		return fmt.Errorf("callback: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Errorf("InTx(callback failing with boom) = %v, want an error wrapping boom", err)
	}

	_, err = s.FindUserByUsername(ctx, "ghost")
	wantKind(t, "FindUserByUsername(ghost) after the rollback", err, gatehouse.NotFound)
	_, err = s.FindUserByID(ctx, u.ID)
	wantKind(t, "FindUserByID(ghost) after the rollback", err, gatehouse.NotFound)
	_, err = s.FindIdentityByExternUID(ctx, g.ID, "ghost@idp")
	wantKind(t, "FindIdentityByExternUID(ghost@idp) after the rollback", err, gatehouse.NotFound)
	_, err = s.FindSCIMIdentityByExternUID(ctx, g.ID, "ghost@idp")
	wantKind(t, "FindSCIMIdentityByExternUID(ghost@idp) after the rollback", err, gatehouse.NotFound)
	_, total, err := s.ListMembers(ctx, g.ID, store.Page{})
	must(t, "ListMembers", err)
	wantTotal(t, "ListMembers after the rollback", total, 0)

	// Nothing of the rolled-back transaction blocks a new one.
	MustCreateManagedUser(t, s, g.ID, "ghost")
}

// testTxCommit checks that a successful InTx lands every write.
func testTxCommit(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	var (
		u  *gatehouse.User
		si *gatehouse.SCIMIdentity
		m  *gatehouse.Member
		e  *gatehouse.AuditEvent
	)
	err := s.InTx(ctx, func(q store.Queries) error {
		u = newManaged(g.ID, "alice", "alice@corp.example")
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		si = newSCIMIdentity(g.ID, u.ID, "alice@idp")
		if err := q.CreateSCIMIdentity(ctx, si); err != nil {
			return err
		}
		m = &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: gatehouse.Developer, State: gatehouse.MemberActive}
		if err := q.PutMember(ctx, m); err != nil {
			return err
		}
		e = &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSCIMToken, ActorID: 1, Action: "scim.user.create",
			TargetKind: "user", TargetID: si.SCIMID}
		return q.CreateAuditEvent(ctx, e)
	})
	must(t, "InTx(create user, SCIM identity, member, event)", err)

	gotUser, err := s.FindManagedUserByEmail(ctx, g.ID, "alice@corp.example")
	wantFound(t, "FindManagedUserByEmail after the commit", gotUser, err, u)
	gotSCIM, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
	wantFound(t, "FindSCIMIdentity after the commit", gotSCIM, err, si)
	gotMember, err := s.FindMember(ctx, g.ID, u.ID)
	wantFound(t, "FindMember after the commit", gotMember, err, m)
	events, _, err := s.ListAuditEvents(ctx, g.ID, store.Page{Limit: 10})
	wantFound(t, "ListAuditEvents after the commit", events, err, []*gatehouse.AuditEvent{e})
}

// testTxConflictRollsBack checks that a Conflict inside InTx, returned by the
// callback, rolls back the transaction's earlier writes too.
func testTxConflictRollsBack(t *testing.T, s store.Store) {
	ctx := t.Context()
	MustCreateUser(t, s, "taken")
	err := s.InTx(ctx, func(q store.Queries) error {
		MustCreateUser(t, q, "fresh")
		return q.CreateUser(ctx, newPersonal("TAKEN", "other@example.org"))
	})
	wantKind(t, "InTx(create fresh, create TAKEN)", err, gatehouse.Conflict)
	_, err = s.FindUserByUsername(ctx, "fresh")
	wantKind(t, "FindUserByUsername(fresh) after the rolled-back transaction", err, gatehouse.NotFound)
	_, err = s.FindPersonalUserByEmail(ctx, "fresh@example.org")
	wantKind(t, "FindPersonalUserByEmail(fresh@example.org) after the rolled-back transaction", err, gatehouse.NotFound)
}

// racers is how many goroutines race to create the same row.
const racers = 8

// race runs fn(i) for i in [0, racers) at once, each in its own goroutine,
// released together, and returns their errors. A deadline turns a deadlock
// into errors.
func race(t *testing.T, fn func(ctx context.Context, i int) error) []error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var (
		ready, done sync.WaitGroup
		start       = make(chan struct{})
		errs        = make([]error, racers)
	)
	ready.Add(racers)
	for i := range racers {
		done.Go(func() {
			ready.Done()
			<-start
			errs[i] = fn(ctx, i)
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return errs
}

// checkOneWinner reports an error unless exactly one of errs is nil and all
// others are Conflict, and returns the winner's index (-1 for none).
func checkOneWinner(t *testing.T, op string, errs []error) int {
	t.Helper()
	return checkOneWinnerKind(t, op, errs, gatehouse.Conflict)
}

// checkOneWinnerKind is checkOneWinner for losers that get the error kind
// loser.
func checkOneWinnerKind(t *testing.T, op string, errs []error, loser gatehouse.Kind) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("%s: racers %d and %d both succeeded, want exactly one", op, winner, i)
		default:
			wantKind(t, fmt.Sprintf("%s: racer %d", op, i), err, loser)
		}
	}
	if winner < 0 {
		t.Errorf("%s: no racer succeeded, want exactly one", op)
	}
	return winner
}

// caseVariant spells s with the letters whose bit is set in mask in upper
// case, so that racers use different spellings of one canonical key.
func caseVariant(s string, mask int) string {
	b := []byte(strings.ToLower(s))
	for i := range b {
		if mask&(1<<i) != 0 {
			b[i] = strings.ToUpper(string(b[i]))[0]
		}
	}
	return string(b)
}

// testRaceSCIMIdentity has racers each create, in one transaction, a managed
// account of their own and a SCIM identity with the same extern_uid and
// userName in different case: exactly one wins, the rest get Conflict, and
// only the winner's rows exist.
func testRaceSCIMIdentity(t *testing.T, s store.Store) {
	g := MustCreateGroup(t, s, "acme")
	errs := race(t, func(ctx context.Context, i int) error {
		return s.InTx(ctx, func(q store.Queries) error {
			u := newManaged(g.ID, fmt.Sprintf("racer%d", i), fmt.Sprintf("racer%d@corp.example", i))
			if err := q.CreateUser(ctx, u); err != nil {
				return err
			}
			uid := caseVariant("racer@idp", i)
			return q.CreateSCIMIdentity(ctx, newSCIMIdentity(g.ID, u.ID, uid))
		})
	})
	winner := checkOneWinner(t, "InTx(CreateUser, CreateSCIMIdentity(racer@idp))", errs)

	ctx := t.Context()
	list, total, err := s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 100})
	must(t, "ListSCIMIdentities", err)
	if total != 1 || len(list) != 1 {
		t.Fatalf("ListSCIMIdentities after the race = %d rows, total %d, want 1, 1", len(list), total)
	}
	for i := range racers {
		u, err := s.FindUserByUsername(ctx, fmt.Sprintf("racer%d", i))
		switch {
		case i == winner:
			if err != nil || u.ID != list[0].UserID {
				t.Errorf("FindUserByUsername(winner racer%d) = %v, %v, want the SCIM identity's user %d", i, u, err, list[0].UserID)
			}
		default:
			wantKind(t, fmt.Sprintf("FindUserByUsername(racer%d), a loser", i), err, gatehouse.NotFound)
		}
	}
}

// testRaceUsername has racers create personal accounts whose usernames differ
// only in case: exactly one wins and the rest get Conflict.
func testRaceUsername(t *testing.T, s store.Store) {
	errs := race(t, func(ctx context.Context, i int) error {
		return s.CreateUser(ctx, newPersonal(caseVariant("racer", i), fmt.Sprintf("racer%d@example.org", i)))
	})
	winner := checkOneWinner(t, "CreateUser(racer in some case)", errs)

	ctx := t.Context()
	for i := range racers {
		_, err := s.FindPersonalUserByEmail(ctx, fmt.Sprintf("racer%d@example.org", i))
		if i == winner {
			must(t, "FindPersonalUserByEmail(the winner's)", err)
		} else {
			wantKind(t, fmt.Sprintf("FindPersonalUserByEmail(racer%d@example.org), a loser's", i), err, gatehouse.NotFound)
		}
	}
	got, err := s.FindUserByUsername(ctx, "RACER")
	if err != nil || got.Username != caseVariant("racer", winner) {
		t.Errorf("FindUserByUsername(RACER) = %v, %v, want the winner %q", got, err, caseVariant("racer", winner))
	}
}

// testRaceLockGroup has racers each lock the group, count its SCIM tokens
// and add one only while there is none: with the lock exactly one token is
// created on every backend; without it, PostgreSQL's racers would all see
// zero and all insert.
func testRaceLockGroup(t *testing.T, s store.Store) {
	g := MustCreateGroup(t, s, "acme")
	errs := race(t, func(ctx context.Context, i int) error {
		return s.InTx(ctx, func(q store.Queries) error {
			if err := q.LockGroup(ctx, g.ID); err != nil {
				return err
			}
			ts, err := q.ListSCIMTokens(ctx, g.ID)
			if err != nil {
				return err
			}
			if len(ts) > 0 {
				return gatehouse.Errorf(gatehouse.Conflict, "the group has a token")
			}
			_, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
			return q.CreateSCIMToken(ctx, &gatehouse.SCIMToken{GroupID: g.ID, Hash: hash})
		})
	})
	checkOneWinner(t, "InTx(LockGroup, ListSCIMTokens, CreateSCIMToken)", errs)
	ts, err := s.ListSCIMTokens(t.Context(), g.ID)
	must(t, "ListSCIMTokens", err)
	if len(ts) != 1 {
		t.Errorf("ListSCIMTokens after the race = %d tokens, want 1", len(ts))
	}
	wantKind(t, "LockGroup(missing group)", s.LockGroup(t.Context(), g.ID+1000), gatehouse.NotFound)
	must(t, "LockGroup outside a transaction", s.LockGroup(t.Context(), g.ID))
}

// testTxConcurrentMixed runs many transactions at once, some of which fail
// and some of which panic, as a busy server does (SQLite commits those that
// queue up together): each lands whole or not at all, whatever the others
// in its batch did, and a panic reaches its own caller.
func testTxConcurrentMixed(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = 48
	type outcome int
	const (
		commit outcome = iota
		fail
		panics
	)
	plan := func(i int) outcome {
		switch {
		case i%3 == 1:
			return fail
		case i%5 == 2:
			return panics
		}
		return commit
	}
	errBoom := errors.New("boom")
	var wg sync.WaitGroup
	results := make([]any, n)
	for i := range n {
		wg.Go(func() {
			defer func() {
				if v := recover(); v != nil {
					results[i] = v
				}
			}()
			err := s.InTx(ctx, func(q store.Queries) error {
				g := &gatehouse.Group{Path: fmt.Sprintf("mixed%d", i), Name: "Mixed", DefaultRole: gatehouse.Guest}
				if err := q.CreateGroup(ctx, g); err != nil {
					return err
				}
				if err := q.CreateUser(ctx, newPersonal(fmt.Sprintf("mixed%d", i), fmt.Sprintf("mixed%d@example.org", i))); err != nil {
					return err
				}
				switch plan(i) {
				case fail:
					return errBoom
				case panics:
					panic(fmt.Sprintf("panic %d", i))
				}
				return nil
			})
			results[i] = err
		})
	}
	wg.Wait()
	for i := range n {
		want := plan(i)
		switch got := results[i]; want {
		case commit:
			if got != nil {
				t.Errorf("transaction %d = %v, want nil", i, got)
			}
		case fail:
			if err, ok := got.(error); !ok || !errors.Is(err, errBoom) {
				t.Errorf("transaction %d = %v, want boom", i, got)
			}
		case panics:
			if got != fmt.Sprintf("panic %d", i) {
				t.Errorf("transaction %d recovered %v, want its own panic", i, got)
			}
		}
		_, gErr := s.FindGroupByPath(ctx, fmt.Sprintf("mixed%d", i))
		_, uErr := s.FindUserByUsername(ctx, fmt.Sprintf("mixed%d", i))
		if want == commit {
			if gErr != nil || uErr != nil {
				t.Errorf("transaction %d committed, but its group (%v) or user (%v) is missing", i, gErr, uErr)
			}
			continue
		}
		wantKind(t, fmt.Sprintf("group of rolled-back transaction %d", i), gErr, gatehouse.NotFound)
		wantKind(t, fmt.Sprintf("user of rolled-back transaction %d", i), uErr, gatehouse.NotFound)
	}
}
