package provision_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// users provisions n SCIM users and returns them.
func (e *env) users(prefix string, n int) []*gatehouse.SCIMIdentity {
	e.t.Helper()
	var out []*gatehouse.SCIMIdentity
	for i := range n {
		name := fmt.Sprintf("%s%d@acme.example", prefix, i)
		out = append(out, e.create(user(e.t, "", name, name)))
	}
	return out
}

// hookCalls records OnGroupMembersChanged calls.
type hookCalls struct {
	mu    sync.Mutex
	calls []string
	fail  error
}

func (h *hookCalls) hook(_ context.Context, _ store.Queries, _ int64, id string, added, removed []int64) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, fmt.Sprintf("%s +%v -%v", id, added, removed))
	return h.fail
}

func (h *hookCalls) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.calls
	h.calls = nil
	return c
}

// memberValues returns the SCIM ids of the SCIM group's members, sorted.
func (e *env) memberValues(g *gatehouse.SCIMGroup) []string {
	e.t.Helper()
	ms, total, err := e.svc.GroupMembers(context.Background(), g, store.Page{Limit: 100000})
	if err != nil {
		e.t.Fatal(err)
	}
	if total != len(ms) {
		e.t.Errorf("GroupMembers total = %d, want %d", total, len(ms))
	}
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.SCIMID)
	}
	slices.Sort(ids)
	return ids
}

func sortedIDs(sis ...*gatehouse.SCIMIdentity) []string {
	var ids []string
	for _, si := range sis {
		ids = append(ids, si.SCIMID)
	}
	slices.Sort(ids)
	return ids
}

func mustPatch(t *testing.T, body, id string) []scimgroup.Change {
	t.Helper()
	ch, err := scimgroup.Patch([]byte(body), id)
	if err != nil {
		t.Fatalf("scimgroup.Patch(%s): %v", body, err)
	}
	return ch
}

func TestGroupLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		h := &hookCalls{}
		e.svc.OnGroupMembersChanged = h.hook
		us := e.users("u", 4)

		d, err := scimgroup.Parse([]byte(fmt.Sprintf(`{"displayName":"Engineering","externalId":"e1","members":[{"value":%q},{"value":"nobody"}]}`, us[0].SCIMID)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.CreateGroup(ctx, e.caller, d)
		if err != nil {
			t.Fatalf("CreateGroup: %v", err)
		}
		g := res.Group
		if !slices.Equal(res.Unknown, []string{"nobody"}) {
			t.Errorf("CreateGroup Unknown = %v, want [nobody]", res.Unknown)
		}
		if got, want := e.memberValues(g), sortedIDs(us[0]); !slices.Equal(got, want) {
			t.Errorf("members after create = %v, want %v", got, want)
		}
		if got, want := h.take(), []string{fmt.Sprintf("%s +[%d] -[]", g.SCIMID, us[0].UserID)}; !slices.Equal(got, want) {
			t.Errorf("hook calls = %v, want %v", got, want)
		}

		dup, _ := scimgroup.Parse([]byte(`{"displayName":"ENGINEERING"}`))
		_, err = e.svc.CreateGroup(ctx, e.caller, dup)
		wantSCIMError(t, "CreateGroup(duplicate displayName)", err, http.StatusConflict, scim.Uniqueness)

		// Okta's delta: remove one, add two; Entra's legacy remove; a remove by filter.
		body := fmt.Sprintf(`{"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"},{"op":"add","path":"members","value":[{"value":%q},{"value":%q,"display":"Two"}]}]}`,
			us[0].SCIMID, us[1].SCIMID, us[2].SCIMID)
		res, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
		if err != nil {
			t.Fatalf("PatchGroup(delta): %v", err)
		}
		if res.Group.Version != 2 {
			t.Errorf("PatchGroup Version = %d, want 2", res.Group.Version)
		}
		if got, want := e.memberValues(g), sortedIDs(us[1], us[2]); !slices.Equal(got, want) {
			t.Errorf("members after delta = %v, want %v", got, want)
		}
		h.take()
		body = fmt.Sprintf(`{"Operations":[{"op":"Remove","path":"members","value":[{"value":%q}]}]}`, us[1].SCIMID)
		if _, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0); err != nil {
			t.Fatalf("PatchGroup(legacy remove): %v", err)
		}
		if got, want := e.memberValues(g), sortedIDs(us[2]); !slices.Equal(got, want) {
			t.Errorf("members after the legacy remove = %v, want %v", got, want)
		}
		if got, want := h.take(), []string{fmt.Sprintf("%s +[] -[%d]", g.SCIMID, us[1].UserID)}; !slices.Equal(got, want) {
			t.Errorf("hook calls = %v, want %v", got, want)
		}

		// Okta's full push, then a rename, then a no-op: no hook call and no new version.
		body = fmt.Sprintf(`{"Operations":[{"op":"replace","path":"members","value":[{"value":%q},{"value":%q}]}]}`, us[2].SCIMID, us[3].SCIMID)
		if _, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0); err != nil {
			t.Fatalf("PatchGroup(full push): %v", err)
		}
		if got, want := h.take(), []string{fmt.Sprintf("%s +[%d] -[]", g.SCIMID, us[3].UserID)}; !slices.Equal(got, want) {
			t.Errorf("hook calls after the full push = %v, want %v (net)", got, want)
		}
		body = fmt.Sprintf(`{"Operations":[{"op":"replace","value":{"id":%q,"displayName":"Eng"}}]}`, g.SCIMID)
		res, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
		if err != nil || res.Group.DisplayName != "Eng" {
			t.Fatalf("PatchGroup(rename) = %+v, %v", res, err)
		}
		v := res.Group.Version
		body = fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, us[3].SCIMID)
		res, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
		if err != nil || res.Group.Version != v {
			t.Errorf("PatchGroup(re-add) = %+v, %v; want version %d unchanged", res, err, v)
		}
		if calls := h.take(); len(calls) != 0 {
			t.Errorf("hook calls after a no-op = %v, want none", calls)
		}
		_, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), v-1)
		wantSCIMError(t, "PatchGroup(stale If-Match)", err, http.StatusPreconditionFailed, "")

		// A failing hook rolls everything back.
		h.fail = errors.New("role recompute failed")
		body = fmt.Sprintf(`{"Operations":[{"op":"replace","path":"displayName","value":"Changed"},{"op":"remove","path":"members"}]}`)
		if _, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0); err == nil {
			t.Fatal("PatchGroup with a failing hook succeeded")
		}
		h.fail = nil
		h.take()
		got, err := e.svc.GetGroup(ctx, e.group.ID, g.SCIMID)
		if err != nil || got.DisplayName != "Eng" || got.Version != v {
			t.Errorf("GetGroup after a rolled-back patch = %+v, %v", got, err)
		}
		if got, want := e.memberValues(g), sortedIDs(us[2], us[3]); !slices.Equal(got, want) {
			t.Errorf("members after a rolled-back patch = %v, want %v", got, want)
		}

		// PUT without members keeps them; with members replaces them.
		put, _ := scimgroup.Parse([]byte(`{"displayName":"Eng2"}`))
		res, err = e.svc.ReplaceGroup(ctx, e.caller, g.SCIMID, put, 0)
		if err != nil || res.Group.DisplayName != "Eng2" || res.Group.ExternalID != "e1" {
			t.Errorf("ReplaceGroup = %+v, %v; want Eng2 keeping externalId e1", res, err)
		}
		if got, want := e.memberValues(g), sortedIDs(us[2], us[3]); !slices.Equal(got, want) {
			t.Errorf("members after a PUT without members = %v, want %v", got, want)
		}
		put, _ = scimgroup.Parse([]byte(`{"displayName":"Eng2","members":[]}`))
		if _, err := e.svc.ReplaceGroup(ctx, e.caller, g.SCIMID, put, 0); err != nil {
			t.Fatal(err)
		}
		if got := e.memberValues(g); len(got) != 0 {
			t.Errorf("members after a PUT with [] = %v, want none", got)
		}

		other, _ := scimgroup.Parse([]byte(`{"displayName":"Sales"}`))
		if _, err := e.svc.CreateGroup(ctx, e.caller, other); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, `{"Operations":[{"op":"replace","path":"displayName","value":"sales"}]}`, g.SCIMID), 0)
		wantSCIMError(t, "PatchGroup(rename to a taken name)", err, http.StatusConflict, scim.Uniqueness)

		events, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, ev := range events {
			if ev.TargetKind == "scim_group" {
				actions = append(actions, ev.Action)
			}
		}
		if len(actions) == 0 || actions[len(actions)-1] != "scim_group_created" {
			t.Errorf("audit actions = %v, want scim_group_* events ending (oldest) with scim_group_created", actions)
		}

		if err := e.svc.DeleteGroup(ctx, e.caller, g.SCIMID, 0); err != nil {
			t.Fatalf("DeleteGroup: %v", err)
		}
		_, err = e.svc.GetGroup(ctx, e.group.ID, g.SCIMID)
		wantSCIMError(t, "GetGroup after delete", err, http.StatusNotFound, "")
		wantSCIMError(t, "DeleteGroup twice", e.svc.DeleteGroup(ctx, e.caller, g.SCIMID, 0), http.StatusNotFound, "")
		_, err = e.svc.PatchGroup(ctx, e.caller, g.SCIMID, nil, 0)
		wantSCIMError(t, "PatchGroup after delete", err, http.StatusNotFound, "")
	})
}

// TestGroupConcurrentPatches runs membership PATCHes of one group at once:
// every add lands and the member set is that of some order of them.
func TestGroupConcurrentPatches(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var hookMu sync.Mutex
		net := map[int64]int{}
		e.svc.OnGroupMembersChanged = func(_ context.Context, _ store.Queries, _ int64, _ string, added, removed []int64) error {
			hookMu.Lock()
			defer hookMu.Unlock()
			for _, id := range added {
				net[id]++
			}
			for _, id := range removed {
				net[id]--
			}
			return nil
		}
		us := e.users("c", 8)
		d, _ := scimgroup.Parse([]byte(`{"displayName":"Racers"}`))
		res, err := e.svc.CreateGroup(ctx, e.caller, d)
		if err != nil {
			t.Fatal(err)
		}
		g := res.Group
		var wg sync.WaitGroup
		errs := make(chan error, 2*len(us))
		for _, u := range us {
			wg.Add(2)
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, u.SCIMID)
				_, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
				errs <- err
			}()
			go func() {
				defer wg.Done()
				body := fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q}]},{"op":"replace","path":"externalId","value":%q}]}`, u.SCIMID, u.SCIMID)
				_, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("concurrent PatchGroup: %v", err)
			}
		}
		if got, want := e.memberValues(g), sortedIDs(us...); !slices.Equal(got, want) {
			t.Errorf("members after concurrent adds = %v, want %v", got, want)
		}
		for _, u := range us {
			if net[u.UserID] != 1 {
				t.Errorf("hook saw user %d added %d times net, want 1", u.UserID, net[u.UserID])
			}
		}
		final, err := e.svc.GetGroup(ctx, e.group.ID, g.SCIMID)
		if err != nil {
			t.Fatal(err)
		}
		// Every externalId patch changes the group; of each user's two
		// adds, only the first does.
		if final.Version < 1+int64(len(us)) || final.Version > 1+int64(2*len(us)) {
			t.Errorf("version after %d patches = %d, want %d to %d", 2*len(us), final.Version, 1+len(us), 1+2*len(us))
		}
	})
}

// BenchmarkGroupPatchAdd5000 is one PATCH that adds 5,000 members to one
// group (and, to repeat, one that removes them again, untimed), on SQLite
// and, when its variable is set, PostgreSQL.
func BenchmarkGroupPatchAdd5000(b *testing.B) {
	b.Run("sqlite", func(b *testing.B) { benchGroupPatchAdd(b, sqlitestoretest.Open(b)) })
	b.Run("postgres", func(b *testing.B) { benchGroupPatchAdd(b, pgstoretest.Open(b)) })
}

func benchGroupPatchAdd(b *testing.B, s store.Store) {
	const n = 5000
	ctx := context.Background()
	adm := &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	if _, err := adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "owner", Email: "owner@example.com"}); err != nil {
		b.Fatal(err)
	}
	g, err := adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "bench", Owner: "owner"})
	if err != nil {
		b.Fatal(err)
	}
	svc := &provision.Service{Store: s}
	c := provision.Caller{Group: g, TokenID: 1}
	var members []map[string]string
	for i := range n {
		body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"user%d@bench.example",
"emails":[{"primary":true,"type":"work","value":"user%d@bench.example"}]}`, i, i)
		u, err := scim.ParseUser([]byte(body))
		if err != nil {
			b.Fatal(err)
		}
		si, err := svc.Create(ctx, c, u)
		if err != nil {
			b.Fatal(err)
		}
		members = append(members, map[string]string{"value": si.SCIMID, "display": u.UserName})
	}
	d, _ := scimgroup.Parse([]byte(`{"displayName":"Everyone"}`))
	res, err := svc.CreateGroup(ctx, c, d)
	if err != nil {
		b.Fatal(err)
	}
	id := res.Group.SCIMID
	add := mustPatchB(b, map[string]any{"Operations": []any{map[string]any{"op": "add", "path": "members", "value": members}}}, id)
	removeAll := mustPatchB(b, map[string]any{"Operations": []any{map[string]any{"op": "remove", "path": "members"}}}, id)
	for b.Loop() {
		res, err := svc.PatchGroup(ctx, c, id, add, 0)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if len(res.Unknown) != 0 {
			b.Fatalf("unknown members: %d", len(res.Unknown))
		}
		if _, err := svc.PatchGroup(ctx, c, id, removeAll, 0); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func mustPatchB(b *testing.B, body map[string]any, id string) []scimgroup.Change {
	b.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	ch, err := scimgroup.Patch(raw, id)
	if err != nil {
		b.Fatal(err)
	}
	return ch
}
