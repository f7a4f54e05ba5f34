package storetest

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// newSCIMUser returns an unsaved provisioning of a managed account of the
// group with two emails, as provisioning someone new writes it.
func newSCIMUser(groupID int64, name string) *store.NewSCIMUser {
	si := newSCIMIdentity(groupID, 0, name)
	si.Email = name + "@work.example"
	si.Emails = []gatehouse.SCIMEmail{
		{Value: name + "@work.example", Type: "work", Primary: true},
		{Value: name + "@home.example", Type: "home"},
	}
	si.Attributes = json.RawMessage(`{"userName":"` + name + `","name":{"formatted":"Formatted ` + name +
		`"},"urn:example:ext":{"team":"core"}}`)
	return &store.NewSCIMUser{
		User:     newManaged(groupID, name, name+"@work.example", name+"@alt.example"),
		Identity: &gatehouse.Identity{GroupID: groupID, ExternUID: name, State: gatehouse.IdentityActive},
		Member:   &gatehouse.Member{GroupID: groupID, Role: gatehouse.Developer, State: gatehouse.MemberActive},
		SCIM:     si,
		Audit: &gatehouse.AuditEvent{GroupID: groupID, ActorKind: gatehouse.ActorSCIMToken, ActorID: 7,
			Action: "scim_user_provisioned", TargetKind: "scim_identity", TargetID: si.SCIMID, RequestID: "req-" + name,
			Detail: json.RawMessage(`{"role":"developer","big":9007199254740993}`)},
	}
}

// testCreateSCIMUser checks that CreateSCIMUser writes every row of a new
// SCIM user, each carrying the new account's id, as the single writes would.
func testCreateSCIMUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	n := newSCIMUser(g.ID, "alice")
	mustCreateSCIMUser(t, s, n)

	id := n.User.ID
	if id <= 0 || n.Identity.ID <= 0 || n.SCIM.ID <= 0 || n.Audit.ID <= 0 {
		t.Fatalf("CreateSCIMUser left ids unset: user %d, identity %d, SCIM %d, event %d", id, n.Identity.ID, n.SCIM.ID, n.Audit.ID)
	}
	for what, got := range map[string]int64{"Identity": n.Identity.UserID, "Member": n.Member.UserID, "SCIM": n.SCIM.UserID} {
		if got != id {
			t.Errorf("%s.UserID = %d, want the new account's %d", what, got, id)
		}
	}

	user, err := s.FindUserByID(ctx, id)
	must(t, "FindUserByID", err)
	if diff := cmp.Diff(n.User, user, cmpOpts); diff != "" {
		t.Errorf("FindUserByID differs from what CreateSCIMUser returned (-want +got):\n%s", diff)
	}
	ident, err := s.FindIdentityByUser(ctx, g.ID, id)
	must(t, "FindIdentityByUser", err)
	if diff := cmp.Diff(n.Identity, ident, cmpOpts); diff != "" {
		t.Errorf("FindIdentityByUser (-want +got):\n%s", diff)
	}
	m, err := s.FindMember(ctx, g.ID, id)
	must(t, "FindMember", err)
	if diff := cmp.Diff(n.Member, m, cmpOpts); diff != "" {
		t.Errorf("FindMember (-want +got):\n%s", diff)
	}
	si, err := s.FindSCIMIdentity(ctx, g.ID, n.SCIM.SCIMID)
	must(t, "FindSCIMIdentity", err)
	if diff := cmp.Diff(n.SCIM, si, cmpOpts); diff != "" {
		t.Errorf("FindSCIMIdentity (-want +got):\n%s", diff)
	}
	events, _, err := s.ListAuditEvents(ctx, g.ID, store.Page{Limit: 10})
	must(t, "ListAuditEvents", err)
	if len(events) != 1 {
		t.Fatalf("ListAuditEvents = %d events, want 1", len(events))
	}
	if diff := cmp.Diff(n.Audit, events[0], cmpOpts); diff != "" {
		t.Errorf("the audit event (-want +got):\n%s", diff)
	}
	want := fmt.Sprintf(`{"role":"developer","big":9007199254740993,"user_id":%d}`, id)
	if !jsonEqual(events[0].Detail, json.RawMessage(want)) {
		t.Errorf("audit detail = %s, want %s", events[0].Detail, want)
	}

	// The identity is found by every key it was written with, the
	// formatted name included.
	for _, filter := range []string{`userName eq "ALICE"`, `externalId eq "alice"`, `name.formatted eq "formatted alice"`,
		`emails.value eq "alice@home.example"`, `displayName sw "display"`} {
		list, total, err := s.ListSCIMIdentities(ctx, g.ID, mustParseFilter(t, filter), store.Page{Limit: 10})
		wantIDs(t, "ListSCIMIdentities("+filter+")", list, err, scimID, []int64{n.SCIM.ID})
		wantTotal(t, "ListSCIMIdentities("+filter+")", total, 1)
	}

	// A second user of the group writes rows of its own.
	n2 := newSCIMUser(g.ID, "bob")
	n2.Audit.Detail = nil
	mustCreateSCIMUser(t, s, n2)
	if n2.User.ID == id {
		t.Errorf("bob got alice's account id %d", id)
	}
	if want := fmt.Sprintf(`{"user_id":%d}`, n2.User.ID); !jsonEqual(n2.Audit.Detail, json.RawMessage(want)) {
		t.Errorf("audit detail without one = %s, want %s", n2.Audit.Detail, want)
	}
}

// mustCreateSCIMUser creates n, which clashes with nothing.
func mustCreateSCIMUser(t *testing.T, s store.Store, n *store.NewSCIMUser) {
	t.Helper()
	clash, err := s.CreateSCIMUser(t.Context(), n)
	must(t, "CreateSCIMUser("+n.User.Username+")", err)
	if clash != (store.SCIMUserClashes{}) {
		t.Fatalf("CreateSCIMUser(%s) reports clashes %+v, want none", n.User.Username, clash)
	}
}

// testCreateSCIMUserRefused checks that a CreateSCIMUser whose keys are
// held, or that fails on any of its rows, writes none of them and says why:
// the clashes for the keys FindSCIMUserClashes checks, an error of the
// right kind for anything else.
func testCreateSCIMUserRefused(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	taken := MustCreateUser(t, s, "taken")
	held := MustCreateSCIMIdentity(t, s, g.ID, MustCreateUser(t, s, "holder").ID, "held")
	MustCreateIdentity(t, s, g.ID, taken.ID, "saml-held")
	must(t, "CreateUser(other)", s.CreateUser(ctx, newManaged(g.ID, "other", "dup@work.example")))

	tests := []struct {
		name   string
		change func(n *store.NewSCIMUser)
		clash  store.SCIMUserClashes
		kind   gatehouse.Kind // when no clash
	}{
		{"username taken", func(n *store.NewSCIMUser) { n.User.Username = "TAKEN" }, store.SCIMUserClashes{Username: true}, 0},
		{"SCIM extern_uid held", func(n *store.NewSCIMUser) { n.SCIM.ExternUID = "HELD" }, store.SCIMUserClashes{ExternUID: true}, 0},
		{"SCIM userName held", func(n *store.NewSCIMUser) { n.SCIM.UserName = held.UserName }, store.SCIMUserClashes{UserName: true}, 0},
		{"managed email held", func(n *store.NewSCIMUser) { n.User.Emails[0].Address = "DUP@work.example" }, store.SCIMUserClashes{ManagedEmail: true}, 0},
		{"personal email held", func(n *store.NewSCIMUser) { n.User.Emails[0].Address = "Taken@example.org" }, store.SCIMUserClashes{PersonalEmail: true}, 0},
		{"SCIM id held", func(n *store.NewSCIMUser) { n.SCIM.SCIMID = held.SCIMID }, store.SCIMUserClashes{}, gatehouse.Conflict},
		{"SAML extern_uid held", func(n *store.NewSCIMUser) { n.Identity.ExternUID = "Saml-Held" }, store.SCIMUserClashes{}, gatehouse.Conflict},
		{"no such group", func(n *store.NewSCIMUser) {
			n.User.ManagingGroupID, n.Identity.GroupID, n.Member.GroupID = missingID, missingID, missingID
			n.SCIM.GroupID, n.Audit.GroupID = missingID, missingID
		}, store.SCIMUserClashes{}, gatehouse.NotFound},
		{"invalid member role", func(n *store.NewSCIMUser) { n.Member.Role = 3 }, store.SCIMUserClashes{}, gatehouse.Invalid},
		{"invalid SCIM email", func(n *store.NewSCIMUser) { n.SCIM.Emails[1].Value = "a\x00b" }, store.SCIMUserClashes{}, gatehouse.Invalid},
		{"detail not an object", func(n *store.NewSCIMUser) { n.Audit.Detail = json.RawMessage(`[1]`) }, store.SCIMUserClashes{}, gatehouse.Invalid},
		{"a row missing", func(n *store.NewSCIMUser) { n.Member = nil }, store.SCIMUserClashes{}, gatehouse.Invalid},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newSCIMUser(g.ID, fmt.Sprintf("new%d", i))
			tt.change(n)
			before := countRows(t, s, g.ID)
			clash, err := s.CreateSCIMUser(ctx, n)
			if tt.kind != 0 {
				wantKind(t, "CreateSCIMUser("+tt.name+")", err, tt.kind)
			} else if err != nil {
				t.Errorf("CreateSCIMUser(%s) = %v, want the clashes %+v and no error", tt.name, err, tt.clash)
			}
			if clash != tt.clash {
				t.Errorf("CreateSCIMUser(%s) clashes = %+v, want %+v", tt.name, clash, tt.clash)
			}
			if after := countRows(t, s, g.ID); after != before {
				t.Errorf("after a refused CreateSCIMUser the group holds %+v, want %+v as before", after, before)
			}
			if _, err := s.FindUserByUsername(ctx, fmt.Sprintf("new%d", i)); !gatehouse.IsKind(err, gatehouse.NotFound) {
				t.Errorf("FindUserByUsername(new%d) = %v, want NotFound: the account must not be left behind", i, err)
			}
		})
	}
}

// rowCounts are the numbers of a group's rows that CreateSCIMUser writes.
type rowCounts struct{ members, identities, scim, events int }

func countRows(t *testing.T, s store.Store, groupID int64) rowCounts {
	t.Helper()
	ctx := t.Context()
	var c rowCounts
	var err error
	_, c.members, err = s.ListMembers(ctx, groupID, store.Page{})
	must(t, "ListMembers", err)
	_, c.identities, err = s.ListIdentities(ctx, groupID, store.Page{})
	must(t, "ListIdentities", err)
	_, c.scim, err = s.ListSCIMIdentities(ctx, groupID, nil, store.Page{})
	must(t, "ListSCIMIdentities", err)
	_, c.events, err = s.ListAuditEvents(ctx, groupID, store.Page{})
	must(t, "ListAuditEvents", err)
	return c
}

// testFindSCIMUserClashes checks each key FindSCIMUserClashes reports, by
// canonical key and within the group where the key is the group's.
func testFindSCIMUserClashes(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	other := MustCreateGroup(t, s, "other")
	must(t, "CreateUser(managed)", s.CreateUser(ctx, newManaged(g.ID, "managed", "managed@acme.example")))
	must(t, "CreateUser(elsewhere)", s.CreateUser(ctx, newManaged(other.ID, "elsewhere", "elsewhere@acme.example")))
	MustCreateUser(t, s, "Personal") // personal@example.org
	live := MustCreateSCIMIdentity(t, s, g.ID, MustCreateUser(t, s, "liveuser").ID, "live-uid")
	live.UserName = "Live.Name"
	must(t, "UpdateSCIMIdentity", s.UpdateSCIMIdentity(ctx, live, 0))
	gone := MustCreateSCIMIdentity(t, s, g.ID, MustCreateUser(t, s, "goneuser").ID, "gone-uid")
	gone.State = gatehouse.IdentityDeleted
	must(t, "UpdateSCIMIdentity(deleted)", s.UpdateSCIMIdentity(ctx, gone, 0))
	MustCreateSCIMIdentity(t, s, other.ID, MustCreateUser(t, s, "otheruser").ID, "other-uid")

	none := store.SCIMUserKeys{ExternUID: "nobody", UserName: "nobody", Email: "nobody@example.org", Username: "nobody"}
	tests := []struct {
		name string
		keys func(k *store.SCIMUserKeys)
		want store.SCIMUserClashes
	}{
		{"nothing", func(*store.SCIMUserKeys) {}, store.SCIMUserClashes{}},
		{"extern_uid", func(k *store.SCIMUserKeys) { k.ExternUID = "LIVE-UID" }, store.SCIMUserClashes{ExternUID: true}},
		{"userName", func(k *store.SCIMUserKeys) { k.UserName = "live.name" }, store.SCIMUserClashes{UserName: true}},
		{"deleted identity", func(k *store.SCIMUserKeys) { k.ExternUID, k.UserName = "gone-uid", "gone-uid" }, store.SCIMUserClashes{}},
		{"another group's identity", func(k *store.SCIMUserKeys) { k.ExternUID, k.UserName = "other-uid", "other-uid" }, store.SCIMUserClashes{}},
		{"managed email", func(k *store.SCIMUserKeys) { k.Email = "Managed@ACME.example" }, store.SCIMUserClashes{ManagedEmail: true}},
		{"another group's managed email", func(k *store.SCIMUserKeys) { k.Email = "elsewhere@acme.example" }, store.SCIMUserClashes{}},
		{"personal email", func(k *store.SCIMUserKeys) { k.Email = "PERSONAL@example.org" }, store.SCIMUserClashes{PersonalEmail: true}},
		{"username", func(k *store.SCIMUserKeys) { k.Username = "ELSEWHERE" }, store.SCIMUserClashes{Username: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := none
			tt.keys(&k)
			got, err := s.FindSCIMUserClashes(ctx, g.ID, k)
			must(t, "FindSCIMUserClashes", err)
			if got != tt.want {
				t.Errorf("FindSCIMUserClashes(%+v) = %+v, want %+v", k, got, tt.want)
			}
			if got.Known() != (tt.want.ExternUID || tt.want.UserName || tt.want.ManagedEmail || tt.want.PersonalEmail) {
				t.Errorf("Known() = %v for %+v", got.Known(), got)
			}
		})
	}
}
