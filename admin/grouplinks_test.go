package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
)

// fakeSCIMGroups is the SCIM groups of users, as the SCIM groups code
// would report them.
type fakeSCIMGroups map[int64][]string

func (f fakeSCIMGroups) SCIMGroupNames(_ context.Context, _ store.Queries, _ int64, ids []int64) (map[int64][]string, error) {
	if ids == nil {
		return f, nil
	}
	out := map[int64][]string{}
	for _, id := range ids {
		out[id] = f[id]
	}
	return out, nil
}

// linksFixture is a group with an owner and two members added by SCIM or
// SSO at the default role.
type linksFixture struct {
	svc        *admin.Service
	scim       fakeSCIMGroups
	g          *gatehouse.Group
	owner      *gatehouse.User
	alice, bob *gatehouse.User
}

func newLinksFixture(t *testing.T, svc *admin.Service) *linksFixture {
	t.Helper()
	ctx := context.Background()
	fx := &linksFixture{svc: svc, scim: fakeSCIMGroups{}}
	svc.SCIMGroups = fx.scim
	fx.owner = mustUser(t, svc, "olga", "olga@example.com")
	fx.alice = mustUser(t, svc, "alice", "alice@example.com")
	fx.bob = mustUser(t, svc, "bob", "bob@example.com")
	g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme", Owner: "olga"})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	fx.g = g
	for _, u := range []*gatehouse.User{fx.alice, fx.bob} {
		m := &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: gatehouse.Guest, State: gatehouse.MemberActive}
		if err := svc.Store.PutMember(ctx, m); err != nil {
			t.Fatalf("PutMember(%s): %v", u.Username, err)
		}
	}
	return fx
}

// wantRole checks the user's role in the group; 0 means not a member.
func (fx *linksFixture) wantRole(t *testing.T, what string, u *gatehouse.User, want gatehouse.Role) {
	t.Helper()
	m, err := fx.svc.Store.FindMember(context.Background(), fx.g.ID, u.ID)
	var got gatehouse.Role
	switch {
	case gatehouse.IsKind(err, gatehouse.NotFound):
	case err != nil:
		t.Fatalf("%s: FindMember(%s): %v", what, u.Username, err)
	default:
		got = m.Role
	}
	if got != want {
		t.Errorf("%s: role of %s = %v, want %v", what, u.Username, got, want)
	}
}

// lastRoleEvent returns the newest role event about u: its action and
// detail.
func (fx *linksFixture) lastRoleEvent(t *testing.T, u *gatehouse.User) (string, map[string]any) {
	t.Helper()
	events, _, err := fx.svc.Store.ListAuditEvents(context.Background(), fx.g.ID, store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("ListAuditEvents: %v", err)
	}
	for _, e := range events {
		if e.TargetID == fmt.Sprint(u.ID) && (e.Action == "member_role_changed" || e.Action == "member_removed_by_links") {
			var d map[string]any
			if err := json.Unmarshal(e.Detail, &d); err != nil {
				t.Fatalf("audit detail %s: %v", e.Detail, err)
			}
			return e.Action, d
		}
	}
	return "", nil
}

func (fx *linksFixture) wantEvent(t *testing.T, what string, u *gatehouse.User, action, cause, role string) {
	t.Helper()
	got, d := fx.lastRoleEvent(t, u)
	c, _ := d["cause"].(map[string]any)
	if got != action || c["kind"] != cause || (role != "" && d["role"] != role) {
		t.Errorf("%s: last role event of %s = %s %v, want %s with cause %s and role %q", what, u.Username, got, d, action, cause, role)
	}
}

func (fx *linksFixture) addLink(t *testing.T, name string, role gatehouse.Role) *gatehouse.GroupLink {
	t.Helper()
	l, _, err := fx.svc.AddGroupLink(context.Background(), admin.System, "acme", name, role)
	if err != nil {
		t.Fatalf("AddGroupLink(%s): %v", name, err)
	}
	return l
}

func (fx *linksFixture) scimChanged(t *testing.T, scimID string, added, removed []int64) {
	t.Helper()
	roles := admin.Roles{SCIMGroups: fx.scim}
	err := fx.svc.Store.InTx(context.Background(), func(q store.Queries) error {
		return roles.SCIMMembersChanged(context.Background(), q, fx.g.ID, scimID, added, removed)
	})
	if err != nil {
		t.Fatalf("SCIMMembersChanged: %v", err)
	}
}

func TestGroupLinkRoles(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		fx := newLinksFixture(t, svc)

		// Link added: alice is in Engineering already (SCIM).
		fx.scim[fx.alice.ID] = []string{"Engineering", "ext-eng-1"}
		eng := fx.addLink(t, "engineering", gatehouse.Developer)
		fx.wantRole(t, "link added", fx.alice, gatehouse.Developer)
		fx.wantRole(t, "link added", fx.bob, gatehouse.Guest)
		fx.wantEvent(t, "link added", fx.alice, "member_role_changed", "link_added", "developer")
		if _, _, err := fx.svc.AddGroupLink(ctx, admin.System, "acme", "ENGINEERING", gatehouse.Owner); !gatehouse.IsKind(err, gatehouse.Conflict) {
			t.Errorf("AddGroupLink(ENGINEERING) again = %v, want Conflict", err)
		}

		// Member added to the IdP group.
		fx.scim[fx.bob.ID] = []string{"Engineering"}
		fx.scimChanged(t, "scim-eng", []int64{fx.bob.ID}, nil)
		fx.wantRole(t, "member added to IdP group", fx.bob, gatehouse.Developer)
		fx.wantEvent(t, "member added to IdP group", fx.bob, "member_role_changed", "scim_group", "developer")

		// Two links with different roles: the highest wins.
		fx.addLink(t, "Admins", gatehouse.Maintainer)
		fx.scim[fx.bob.ID] = []string{"Engineering", "Admins"}
		fx.scimChanged(t, "scim-admins", []int64{fx.bob.ID}, nil)
		fx.wantRole(t, "two links", fx.bob, gatehouse.Maintainer)

		// Removed from one IdP group: the other link still holds.
		fx.scim[fx.bob.ID] = []string{"Engineering"}
		fx.scimChanged(t, "scim-admins", nil, []int64{fx.bob.ID})
		fx.wantRole(t, "removed from Admins", fx.bob, gatehouse.Developer)

		// Group renamed: Engineering becomes R&D; the link by its
		// externalId still matches alice, none matches bob.
		fx.scim[fx.alice.ID] = []string{"R&D", "ext-eng-1"}
		fx.scim[fx.bob.ID] = []string{"R&D"}
		fx.scimChanged(t, "scim-eng", []int64{fx.alice.ID, fx.bob.ID}, nil)
		fx.wantRole(t, "group renamed", fx.bob, gatehouse.Guest)
		fx.wantEvent(t, "group renamed", fx.bob, "member_role_changed", "scim_group", "guest")
		fx.wantRole(t, "group renamed", fx.alice, gatehouse.Guest)
		fx.addLink(t, "ext-eng-1", gatehouse.Reporter)
		fx.wantRole(t, "link by externalId", fx.alice, gatehouse.Reporter)

		// Group deleted: removed from every linked group, back to default.
		delete(fx.scim, fx.alice.ID)
		fx.scimChanged(t, "scim-eng", nil, []int64{fx.alice.ID})
		fx.wantRole(t, "group deleted", fx.alice, gatehouse.Guest)

		// An owner's direct role wins over links.
		if _, err := fx.svc.SetMember(ctx, admin.System, "acme", "alice", gatehouse.Reporter); err != nil {
			t.Fatalf("SetMember: %v", err)
		}
		fx.scim[fx.alice.ID] = []string{"Admins"}
		fx.scimChanged(t, "scim-admins", []int64{fx.alice.ID}, nil)
		fx.wantRole(t, "direct role", fx.alice, gatehouse.Reporter)
		m, err := fx.svc.ClearDirectRole(ctx, admin.System, "acme", "alice")
		if err != nil || m.Role != gatehouse.Maintainer || m.RoleSource != gatehouse.RoleFromLink {
			t.Errorf("ClearDirectRole(alice) = %+v, %v; want maintainer from a link", m, err)
		}
		fx.wantEvent(t, "direct role cleared", fx.alice, "member_role_changed", "direct_role_cleared", "maintainer")

		// Removing a link recomputes at once.
		links, err := fx.svc.ListGroupLinks(ctx, "acme")
		if err != nil || len(links) != 3 || links[0].ID != eng.ID {
			t.Fatalf("ListGroupLinks = %v, %v; want 3 links, Engineering first", links, err)
		}
		if _, err := fx.svc.RemoveGroupLink(ctx, admin.System, "acme", links[1].ID); err != nil {
			t.Fatalf("RemoveGroupLink(Admins): %v", err)
		}
		fx.wantRole(t, "link removed", fx.alice, gatehouse.Guest)
		_, d := fx.lastRoleEvent(t, fx.alice)
		if c, _ := d["cause"].(map[string]any); c["kind"] != "link_removed" || c["idp_group"] != "Admins" {
			t.Errorf("link removed: cause = %v, want link_removed naming Admins", d["cause"])
		}
	})
}

func TestGroupLinkLastOwner(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		fx := newLinksFixture(t, svc)
		// The owner's role handed to links (as by `member set --role auto`)
		// while they are the only owner: links never demote them.
		fx.scim[fx.owner.ID] = []string{"Staff"}
		fx.addLink(t, "Staff", gatehouse.Developer)
		m, err := fx.svc.ClearDirectRole(ctx, admin.System, "acme", "olga")
		if err != nil || m.Role != gatehouse.Owner {
			t.Fatalf("ClearDirectRole(last owner) = %+v, %v; want still owner", m, err)
		}
		fx.wantRole(t, "last owner", fx.owner, gatehouse.Owner)
		if _, err := fx.svc.SetLinksOnly(ctx, admin.System, "acme", true); err != nil {
			t.Fatalf("SetLinksOnly: %v", err)
		}
		fx.wantRole(t, "last owner, links only", fx.owner, gatehouse.Owner)

		// Links only: members with no link leave; a direct role stays.
		fx.wantRole(t, "links only", fx.alice, 0)
		fx.wantEvent(t, "links only", fx.alice, "member_removed_by_links", "links_only_changed", "")
		fx.wantRole(t, "links only", fx.bob, 0)

		// A link to owner makes a second owner; then the first may drop.
		fx.scim[fx.alice.ID] = []string{"Owners"}
		if _, err := fx.svc.SetMember(ctx, admin.System, "acme", "alice", gatehouse.Guest); err != nil {
			t.Fatal(err)
		}
		if _, err := fx.svc.ClearDirectRole(ctx, admin.System, "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		fx.wantRole(t, "links only, no link", fx.alice, 0)
		if _, err := fx.svc.SetMember(ctx, admin.System, "acme", "alice", gatehouse.Guest); err != nil {
			t.Fatal(err)
		}
		fx.addLink(t, "Owners", gatehouse.Owner)
		if _, err := fx.svc.ClearDirectRole(ctx, admin.System, "acme", "alice"); err != nil {
			t.Fatal(err)
		}
		fx.wantRole(t, "link to owner", fx.alice, gatehouse.Owner)
		if _, err := fx.svc.ClearDirectRole(ctx, admin.System, "acme", "olga"); err != nil {
			t.Fatal(err)
		}
		fx.wantRole(t, "no longer the last owner", fx.owner, gatehouse.Developer)
	})
}

func TestSAMLGroups(t *testing.T) {
	attrs := map[string][]string{
		"groups": {"a"}, "Groups": {"b"},
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": {"0b8c3f7e-6d8c-4a1e-9b1e-2f1d5c6a7b8c"},
		"GROUPS": {"c"},
		"email":  {"x@example.com"},
	}
	got, ok := admin.SAMLGroups(attrs)
	if !ok || len(got) != 4 {
		t.Errorf("SAMLGroups(%v) = %v, %v; want four values", attrs, got, ok)
	}
	if _, ok := admin.SAMLGroups(map[string][]string{"email": {"x"}}); ok {
		t.Errorf("SAMLGroups(no groups attribute) found one")
	}
	for _, tt := range []struct {
		attrs map[string][]string
		want  bool
	}{
		{map[string][]string{"http://schemas.microsoft.com/claims/groups.link": {"https://graph.windows.net/tenant/users/oid/getMemberObjects"}}, true},
		{map[string][]string{"HTTP://SCHEMAS.MICROSOFT.COM/CLAIMS/GROUPS.LINK": {"x"}}, true},
		{attrs, false},
		{nil, false},
	} {
		if got := admin.SAMLGroupsOverage(tt.attrs); got != tt.want {
			t.Errorf("SAMLGroupsOverage(%v) = %v, want %v", tt.attrs, got, tt.want)
		}
	}
}
