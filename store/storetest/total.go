package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// checkSCIMTotal reports an error unless every page of the group's whole
// list of SCIM identities (no filter) says the group has want live
// identities, and a page large enough lists that many. The pages include
// those whose total the store cannot take from the rows it read (Limit 0,
// full pages, pages past the start and past the end).
func checkSCIMTotal(t *testing.T, q store.Queries, when string, groupID int64, want int) {
	t.Helper()
	ctx := t.Context()
	for _, p := range []store.Page{{Limit: 0}, {Limit: 1}, {Offset: 1, Limit: 1}, {Offset: want + 5, Limit: 10}, {AfterID: 1, Limit: 1}, {Limit: 1000}} {
		op := fmt.Sprintf("ListSCIMIdentities(%d, %+v) %s", groupID, p, when)
		rows, total, err := q.ListSCIMIdentities(ctx, groupID, nil, p)
		if err != nil {
			t.Errorf("%s = %v, want nil", op, err)
			continue
		}
		wantTotal(t, op, total, want)
		if p.Limit == 1000 && len(rows) != want {
			t.Errorf("%s = %d rows, want %d", op, len(rows), want)
		}
	}
}

// testSCIMIdentityTotal checks that the total of a group's whole list of
// SCIM identities stays exact through every change of the group's live
// identities: creates, changes of state (inactive and pending identities
// count, deleted ones do not), creates in another group, refused writes and
// rolled-back transactions, and that a transaction sees its own changes.
func testSCIMIdentityTotal(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "other")
	checkSCIMTotal(t, s, "of a new group", g.ID, 0)
	checkSCIMTotal(t, s, "of a missing group", missingID, 0)

	n := 0
	create := func(group *gatehouse.Group, state gatehouse.IdentityState) *gatehouse.SCIMIdentity {
		t.Helper()
		n++
		name := fmt.Sprintf("user%d", n)
		si := newSCIMIdentity(group.ID, MustCreateManagedUser(t, s, group.ID, name).ID, name+"@idp.example")
		si.State = state
		must(t, fmt.Sprintf("CreateSCIMIdentity(%s, %s)", name, state), s.CreateSCIMIdentity(ctx, si))
		return si
	}
	set := func(si *gatehouse.SCIMIdentity, state gatehouse.IdentityState) {
		t.Helper()
		si.State = state
		must(t, fmt.Sprintf("UpdateSCIMIdentity(%s, %s)", si.UserName, state), s.UpdateSCIMIdentity(ctx, si, 0))
	}

	a, b, c := create(g, gatehouse.IdentityActive), create(g, gatehouse.IdentityActive), create(g, gatehouse.IdentityActive)
	checkSCIMTotal(t, s, "after 3 creates", g.ID, 3)
	o1 := create(other, gatehouse.IdentityActive)
	create(other, gatehouse.IdentityInactive)
	checkSCIMTotal(t, s, "after 2 creates in another group", g.ID, 3)
	checkSCIMTotal(t, s, "of the other group", other.ID, 2)

	steps := []struct {
		name        string
		do          func()
		want, other int // the totals of g and other afterwards
	}{
		{"deactivate", func() { set(a, gatehouse.IdentityInactive) }, 3, 2},
		{"deactivate again", func() { set(a, gatehouse.IdentityInactive) }, 3, 2},
		{"pending link", func() { set(b, gatehouse.IdentityPendingLink) }, 3, 2},
		{"reactivate", func() { set(a, gatehouse.IdentityActive) }, 3, 2},
		{"delete", func() { set(c, gatehouse.IdentityDeleted) }, 2, 2},
		{"update a deleted identity", func() { c.DisplayName = "changed"; set(c, gatehouse.IdentityDeleted) }, 2, 2},
		{"delete an inactive identity", func() { set(b, gatehouse.IdentityInactive); set(b, gatehouse.IdentityDeleted) }, 1, 2},
		{"undelete", func() { set(b, gatehouse.IdentityActive) }, 2, 2},
		{"create a deleted identity", func() { create(g, gatehouse.IdentityDeleted) }, 2, 2},
		{"create an inactive identity", func() { create(g, gatehouse.IdentityInactive) }, 3, 2},
		{"delete in another group", func() { set(o1, gatehouse.IdentityDeleted) }, 3, 1},
		{"refused create", func() {
			dup := newSCIMIdentity(g.ID, MustCreateManagedUser(t, s, g.ID, "dup").ID, a.ExternUID)
			wantKind(t, "CreateSCIMIdentity(a taken extern_uid)", s.CreateSCIMIdentity(ctx, dup), gatehouse.Conflict)
		}, 3, 1},
		{"refused update", func() {
			stale := *a
			stale.State = gatehouse.IdentityDeleted
			wantKind(t, "UpdateSCIMIdentity(deleted, stale version)", s.UpdateSCIMIdentity(ctx, &stale, a.Version-1), gatehouse.Conflict)
		}, 3, 1},
		{"rolled-back transaction", func() {
			errBoom := errors.New("boom")
			err := s.InTx(ctx, func(q store.Queries) error {
				u := MustCreateManagedUser(t, q, g.ID, "ghost")
				MustCreateSCIMIdentity(t, q, g.ID, u.ID, "ghost@idp.example")
				gone := *a
				gone.State = gatehouse.IdentityDeleted
				must(t, "UpdateSCIMIdentity(a, deleted) in the transaction", q.UpdateSCIMIdentity(ctx, &gone, 0))
				back := *o1
				back.State = gatehouse.IdentityActive
				must(t, "UpdateSCIMIdentity(o1, active) in the transaction", q.UpdateSCIMIdentity(ctx, &back, 0))
				// The transaction sees its own changes.
				checkSCIMTotal(t, q, "inside the transaction", g.ID, 3)
				checkSCIMTotal(t, q, "of the other group inside the transaction", other.ID, 2)
				return errBoom
			})
			if !errors.Is(err, errBoom) {
				t.Errorf("InTx(…, boom) = %v, want boom", err)
			}
		}, 3, 1},
		{"committed transaction", func() {
			must(t, "InTx", s.InTx(ctx, func(q store.Queries) error {
				for i := range 3 {
					name := fmt.Sprintf("tx%d", i)
					MustCreateSCIMIdentity(t, q, g.ID, MustCreateManagedUser(t, q, g.ID, name).ID, name+"@idp.example")
				}
				gone := *a
				gone.State = gatehouse.IdentityDeleted
				if err := q.UpdateSCIMIdentity(ctx, &gone, 0); err != nil {
					return err
				}
				*a = gone
				checkSCIMTotal(t, q, "inside the transaction", g.ID, 5)
				return nil
			}))
		}, 5, 1},
	}
	for _, st := range steps {
		st.do()
		checkSCIMTotal(t, s, "after "+st.name, g.ID, st.want)
		checkSCIMTotal(t, s, "of the other group after "+st.name, other.ID, st.other)
	}
}

// testRaceSCIMIdentityTotal has racers create SCIM identities in one group
// at once, each in transactions shaped like a SCIM POST, while others
// delete: none may fail for anything but the conflicts it provokes (no
// deadlock, no serialization failure), and the total must equal what
// landed. Half the racers also create an account whose username their
// neighbour takes too, one before and one after its SCIM identity, so that
// a store that locked the group's count when the identity is written,
// rather than as the transaction commits, would deadlock.
func testRaceSCIMIdentityTotal(t *testing.T, s store.Store) {
	g := MustCreateGroup(t, s, "acme")
	const perRacer = 5
	var doomed []*gatehouse.SCIMIdentity
	for i := range racers {
		name := fmt.Sprintf("doomed%d", i)
		doomed = append(doomed, MustCreateSCIMIdentity(t, s, g.ID, MustCreateManagedUser(t, s, g.ID, name).ID, name+"@idp"))
	}
	wins := make([]int, racers)
	errs := race(t, func(ctx context.Context, i int) error {
		var errs []error
		for k := range perRacer {
			err := s.InTx(ctx, func(q store.Queries) error {
				name := fmt.Sprintf("racer%d-%d", i, k)
				u := newManaged(g.ID, name, name+"@corp.example")
				if err := q.CreateUser(ctx, u); err != nil {
					return err
				}
				shared := newPersonal(fmt.Sprintf("shared%d-%d", i/2, k), fmt.Sprintf("shared%d-%d@example.org", i, k))
				if i%2 == 1 {
					if err := q.CreateUser(ctx, shared); err != nil {
						return err
					}
				}
				if err := q.CreateSCIMIdentity(ctx, newSCIMIdentity(g.ID, u.ID, name+"@idp")); err != nil {
					return err
				}
				if i%2 == 0 {
					if err := q.CreateUser(ctx, shared); err != nil {
						return err
					}
				}
				m := &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive}
				if err := q.PutMember(ctx, m); err != nil {
					return err
				}
				return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSystem, Action: "scim.user.create"})
			})
			switch {
			case err == nil:
				wins[i]++
			case gatehouse.IsKind(err, gatehouse.Conflict):
				// The neighbour took the shared username first.
			default:
				errs = append(errs, err)
			}
		}
		gone := *doomed[i]
		gone.State = gatehouse.IdentityDeleted
		errs = append(errs, s.UpdateSCIMIdentity(ctx, &gone, 0))
		return errors.Join(errs...)
	})
	want := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("racer %d: %v, want only Conflict errors", i, err)
		}
		want += wins[i]
	}
	// Of each pair of neighbours exactly one takes each shared username.
	if want != racers/2*perRacer {
		t.Errorf("%d transactions landed, want %d (one of each pair of neighbours, %d times)", want, racers/2*perRacer, perRacer)
	}
	checkSCIMTotal(t, s, "after the race", g.ID, want)
}
