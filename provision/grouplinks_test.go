package provision_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
	"github.com/gatehouse-sso/gatehouse/store"
)

// TestSCIMGroupLinks pushes SCIM groups with the group-links hooks wired
// as serve wires them, and checks each member's role and its audit event:
// added to a linked group, group renamed, member removed, group deleted.
func TestSCIMGroupLinks(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		roles := e.adm.Roles()
		e.svc.OnGroupMembersChanged, e.svc.OnGroupRenamed = roles.SCIMMembersChanged, roles.SCIMMembersChanged
		us := e.users("l", 2)
		if _, _, err := e.adm.AddGroupLink(ctx, admin.System, "acme.corp", "Engineering", gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.adm.AddGroupLink(ctx, admin.System, "acme.corp", "R&D", gatehouse.Maintainer); err != nil {
			t.Fatal(err)
		}
		role := func(u *gatehouse.SCIMIdentity) gatehouse.Role {
			t.Helper()
			m, err := e.s.FindMember(ctx, e.group.ID, u.UserID)
			if err != nil {
				t.Fatal(err)
			}
			return m.Role
		}
		lastCause := func(u *gatehouse.SCIMIdentity) string {
			t.Helper()
			evs, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, ev := range evs {
				if ev.Action == "member_role_changed" && ev.TargetID == fmt.Sprint(u.UserID) {
					return string(ev.Detail)
				}
			}
			return ""
		}

		d, err := scimgroup.Parse([]byte(fmt.Sprintf(`{"displayName":"engineering","members":[{"value":%q},{"value":%q}]}`, us[0].SCIMID, us[1].SCIMID)))
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.svc.CreateGroup(ctx, e.caller, d)
		if err != nil {
			t.Fatal(err)
		}
		g := res.Group
		if got := role(us[0]); got != gatehouse.Developer {
			t.Errorf("added to the linked group: role = %v, want developer", got)
		}
		var detail struct {
			Cause struct{ Kind, Reference string }
		}
		if c := lastCause(us[0]); json.Unmarshal([]byte(c), &detail) != nil || detail.Cause.Kind != "scim_group" || detail.Cause.Reference != g.SCIMID {
			t.Errorf("audit detail = %s, want the SCIM group %s as cause", c, g.SCIMID)
		}

		patch := func(body string) {
			t.Helper()
			if _, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0); err != nil {
				t.Fatal(err)
			}
		}
		patch(`{"Operations":[{"op":"replace","path":"displayName","value":"R&D"}]}`)
		if got := role(us[1]); got != gatehouse.Maintainer {
			t.Errorf("group renamed to a linked name: role = %v, want maintainer", got)
		}
		patch(`{"Operations":[{"op":"replace","path":"displayName","value":"Unlinked"}]}`)
		if got := role(us[1]); got != gatehouse.Guest {
			t.Errorf("group renamed to an unlinked name: role = %v, want guest", got)
		}
		patch(`{"Operations":[{"op":"replace","path":"displayName","value":"Engineering"}]}`)
		patch(fmt.Sprintf(`{"Operations":[{"op":"remove","path":"members[value eq \"%s\"]"}]}`, us[0].SCIMID))
		if got := role(us[0]); got != gatehouse.Guest {
			t.Errorf("removed from the group: role = %v, want guest", got)
		}
		if got := role(us[1]); got != gatehouse.Developer {
			t.Errorf("still in the group: role = %v, want developer", got)
		}
		if err := e.svc.DeleteGroup(ctx, e.caller, g.SCIMID, 0); err != nil {
			t.Fatal(err)
		}
		if got := role(us[1]); got != gatehouse.Guest {
			t.Errorf("group deleted: role = %v, want guest", got)
		}
	})
}

// TestSCIMGroupLinksConcurrent: membership PATCHes of two linked SCIM
// groups run at once, each adding or removing people; afterwards every
// member's role is exactly what the final member sets give (the highest
// link, else the default), whatever order the PATCHes ran in.
func TestSCIMGroupLinksConcurrent(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		roles := e.adm.Roles()
		e.svc.OnGroupMembersChanged, e.svc.OnGroupRenamed = roles.SCIMMembersChanged, roles.SCIMMembersChanged
		for name, r := range map[string]gatehouse.Role{"Engineering": gatehouse.Developer, "Leads": gatehouse.Maintainer} {
			if _, _, err := e.adm.AddGroupLink(ctx, admin.System, "acme.corp", name, r); err != nil {
				t.Fatal(err)
			}
		}
		us := e.users("k", 6)
		groups := map[string]*gatehouse.SCIMGroup{}
		for _, name := range []string{"Engineering", "Leads"} {
			d, err := scimgroup.Parse([]byte(fmt.Sprintf(`{"displayName":%q}`, name)))
			if err != nil {
				t.Fatal(err)
			}
			res, err := e.svc.CreateGroup(ctx, e.caller, d)
			if err != nil {
				t.Fatal(err)
			}
			groups[name] = res.Group
		}
		// Everyone joins both groups at once; then, at once, the even ones
		// leave Leads and the first two leave Engineering.
		run := func(ops map[string][]string) {
			t.Helper()
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			for name, bodies := range ops {
				for _, body := range bodies {
					wg.Add(1)
					go func() {
						defer wg.Done()
						g := groups[name]
						_, err := e.svc.PatchGroup(ctx, e.caller, g.SCIMID, mustPatch(t, body, g.SCIMID), 0)
						errs <- err
					}()
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent PatchGroup: %v", err)
				}
			}
		}
		add := func(u *gatehouse.SCIMIdentity) string {
			return fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, u.SCIMID)
		}
		remove := func(u *gatehouse.SCIMIdentity) string {
			path, _ := json.Marshal(`members[value eq "` + u.SCIMID + `"]`)
			return fmt.Sprintf(`{"Operations":[{"op":"remove","path":%s}]}`, path)
		}
		joins := map[string][]string{}
		for _, u := range us {
			joins["Engineering"] = append(joins["Engineering"], add(u))
			joins["Leads"] = append(joins["Leads"], add(u))
		}
		run(joins)
		leaves := map[string][]string{}
		for i, u := range us {
			if i%2 == 0 {
				leaves["Leads"] = append(leaves["Leads"], remove(u))
			}
			if i < 2 {
				leaves["Engineering"] = append(leaves["Engineering"], remove(u))
			}
		}
		run(leaves)

		for i, u := range us {
			want := gatehouse.Maintainer // still in Leads
			switch {
			case i%2 == 0 && i < 2:
				want = gatehouse.Guest // in neither: the default role
			case i%2 == 0:
				want = gatehouse.Developer // Engineering only
			}
			m, err := e.s.FindMember(ctx, e.group.ID, u.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Role != want {
				t.Errorf("user %d (#%d) after concurrent PATCHes: role %v, want %v", u.UserID, i, m.Role, want)
			}
		}
	})
}
