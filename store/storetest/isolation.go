package storetest

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// tenant is one group with a row of every group-scoped kind.
type tenant struct {
	group    *gatehouse.Group
	user     *gatehouse.User // managed by the group; a member with a SAML and a SCIM identity
	only     *gatehouse.User // a personal account that is a member of this group only
	member   *gatehouse.Member
	identity *gatehouse.Identity
	scim     *gatehouse.SCIMIdentity
	token    *gatehouse.SCIMToken
	config   *gatehouse.SAMLConfig
	event    *gatehouse.AuditEvent
	log      *gatehouse.SCIMRequestLog
}

// newTenant creates a group named name and one row of every kind in it.
// Both tenants' managed accounts share the address same@corp.example; each
// also has <name>@own.example.
func newTenant(t *testing.T, s store.Store, name string) *tenant {
	t.Helper()
	ctx := t.Context()
	tn := &tenant{group: MustCreateGroup(t, s, name)}
	tn.user = newManaged(tn.group.ID, name+"-user", "same@corp.example", name+"@own.example")
	must(t, "CreateUser(managed)", s.CreateUser(ctx, tn.user))
	tn.only = MustCreateUser(t, s, name+"-only")
	tn.member = MustPutMember(t, s, tn.group.ID, tn.user.ID, gatehouse.Developer)
	MustPutMember(t, s, tn.group.ID, tn.only.ID, gatehouse.Owner)
	tn.identity = MustCreateIdentity(t, s, tn.group.ID, tn.user.ID, name+"@idp.example")
	tn.scim = MustCreateSCIMIdentity(t, s, tn.group.ID, tn.user.ID, name+"@idp.example")
	_, tn.token = MustCreateSCIMToken(t, s, tn.group.ID)
	tn.config = &gatehouse.SAMLConfig{
		GroupID: tn.group.ID, Enabled: true, IdPEntityID: "https://" + name + ".idp.example",
		SSOURL: "https://" + name + ".idp.example/sso", Fingerprints: []string{"ab"},
	}
	must(t, "PutSAMLConfig", s.PutSAMLConfig(ctx, tn.config))
	tn.event = &gatehouse.AuditEvent{GroupID: tn.group.ID, ActorKind: gatehouse.ActorSystem, Action: name + ".event",
		Detail: json.RawMessage(`{"tenant":"` + name + `"}`)}
	must(t, "CreateAuditEvent", s.CreateAuditEvent(ctx, tn.event))
	tn.log = newSCIMLog(tn.group.ID, name+"-request")
	must(t, "AppendSCIMRequestLogs", s.AppendSCIMRequestLogs(ctx, []*gatehouse.SCIMRequestLog{tn.log}, 1))
	return tn
}

// testGroupIsolation gives two groups a row of every kind and checks that no
// call scoped to group B reaches, changes or lists a row of group A, even
// when handed the row's id, extern_uid or user.
func testGroupIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := newTenant(t, s, "acme")
	b := newTenant(t, s, "bravo")
	bid := b.group.ID

	tests := []struct {
		name string
		call func() error
	}{
		{"FindSCIMIdentity(B, A's SCIM id)", func() error { _, err := s.FindSCIMIdentity(ctx, bid, a.scim.SCIMID); return err }},
		{"FindSCIMIdentityByExternUID(B, A's extern_uid)", func() error {
			_, err := s.FindSCIMIdentityByExternUID(ctx, bid, a.scim.ExternUID)
			return err
		}},
		{"FindSCIMIdentityByUserName(B, A's userName)", func() error {
			_, err := s.FindSCIMIdentityByUserName(ctx, bid, a.scim.UserName)
			return err
		}},
		{"FindSCIMIdentityForUser(B, A's user, include deleted)", func() error {
			_, err := s.FindSCIMIdentityForUser(ctx, bid, a.user.ID, true)
			return err
		}},
		{"UpdateSCIMIdentity(group B, A's row id)", func() error {
			up := *a.scim
			up.GroupID = bid
			up.DisplayName = "hijacked"
			return s.UpdateSCIMIdentity(ctx, &up, 0)
		}},
		{"UpdateSCIMIdentity(group B, A's row id, A's version)", func() error {
			up := *a.scim
			up.GroupID = bid
			up.DisplayName = "hijacked"
			return s.UpdateSCIMIdentity(ctx, &up, a.scim.Version)
		}},
		{"FindIdentityByExternUID(B, A's extern_uid)", func() error {
			_, err := s.FindIdentityByExternUID(ctx, bid, a.identity.ExternUID)
			return err
		}},
		{"FindIdentityByUser(B, A's user)", func() error { _, err := s.FindIdentityByUser(ctx, bid, a.user.ID); return err }},
		{"UpdateIdentity(group B, A's row id)", func() error {
			up := *a.identity
			up.GroupID = bid
			up.ExternUID = "hijacked"
			return s.UpdateIdentity(ctx, &up)
		}},
		{"DeleteIdentity(B, A's id)", func() error { return s.DeleteIdentity(ctx, bid, a.identity.ID) }},
		{"DeleteSCIMToken(B, A's token id)", func() error { return s.DeleteSCIMToken(ctx, bid, a.token.ID) }},
		{"FindMember(B, A's member)", func() error { _, err := s.FindMember(ctx, bid, a.only.ID); return err }},
		{"DeleteMember(B, A's member)", func() error { return s.DeleteMember(ctx, bid, a.only.ID) }},
		{"FindManagedUserByEmail(B, A's managed user's own address)", func() error {
			_, err := s.FindManagedUserByEmail(ctx, bid, "acme@own.example")
			return err
		}},
	}
	for _, tc := range tests {
		wantKind(t, tc.name, tc.call(), gatehouse.NotFound)
	}

	// A's rows are unchanged.
	gotSCIM, err := s.FindSCIMIdentity(ctx, a.group.ID, a.scim.SCIMID)
	wantFound(t, "FindSCIMIdentity(A)", gotSCIM, err, a.scim)
	gotID, err := s.FindIdentityByUser(ctx, a.group.ID, a.user.ID)
	wantFound(t, "FindIdentityByUser(A)", gotID, err, a.identity)
	gotMember, err := s.FindMember(ctx, a.group.ID, a.only.ID)
	if err != nil || gotMember.Role != gatehouse.Owner {
		t.Errorf("FindMember(A, A's owner) = %+v, %v, want the owner membership", gotMember, err)
	}
	gotToken, err := s.FindSCIMTokenByHash(ctx, a.token.Hash)
	wantFound(t, "FindSCIMTokenByHash(A's token)", gotToken, err, a.token)

	// Each group's lookups by shared values find that group's rows.
	gotUser, err := s.FindManagedUserByEmail(ctx, bid, "same@corp.example")
	wantFound(t, "FindManagedUserByEmail(B, same@corp.example)", gotUser, err, b.user)
	gotConfig, err := s.FindSAMLConfig(ctx, bid)
	wantFound(t, "FindSAMLConfig(B)", gotConfig, err, b.config)

	// B's lists hold only B's rows.
	members, total, err := s.ListMembers(ctx, bid, store.Page{Limit: 100})
	wantIDs(t, "ListMembers(B)", members, err, func(m *gatehouse.Member) int64 { return m.UserID }, []int64{b.user.ID, b.only.ID})
	wantTotal(t, "ListMembers(B)", total, 2)
	ids, total, err := s.ListIdentities(ctx, bid, store.Page{Limit: 100})
	wantFound(t, "ListIdentities(B)", ids, err, []*gatehouse.Identity{b.identity})
	wantTotal(t, "ListIdentities(B)", total, 1)
	scims, total, err := s.ListSCIMIdentities(ctx, bid, nil, store.Page{Limit: 100})
	wantFound(t, "ListSCIMIdentities(B)", scims, err, []*gatehouse.SCIMIdentity{b.scim})
	wantTotal(t, "ListSCIMIdentities(B)", total, 1)
	tokens, err := s.ListSCIMTokens(ctx, bid)
	wantFound(t, "ListSCIMTokens(B)", tokens, err, []*gatehouse.SCIMToken{b.token})
	events, total, err := s.ListAuditEvents(ctx, bid, store.Page{Limit: 100})
	wantFound(t, "ListAuditEvents(B)", events, err, []*gatehouse.AuditEvent{b.event})
	wantTotal(t, "ListAuditEvents(B)", total, 1)
	logs, total, err := s.ListSCIMRequestLogs(ctx, bid, store.Page{Limit: 100})
	wantFound(t, "ListSCIMRequestLogs(B)", logs, err, []*gatehouse.SCIMRequestLog{b.log})
	wantTotal(t, "ListSCIMRequestLogs(B)", total, 1)
	if n, err := s.CountMembersWithRole(ctx, bid, gatehouse.Owner); err != nil || n != 1 {
		t.Errorf("CountMembersWithRole(B, owner) = %d, %v, want 1, nil", n, err)
	}

	// Recording B's failed metadata refresh leaves A's configuration.
	must(t, "SetSAMLMetadataRefreshError(B)", s.SetSAMLMetadataRefreshError(ctx, bid, "bravo's IdP failed", fixedTime))
	gotConfig, err = s.FindSAMLConfig(ctx, a.group.ID)
	wantFound(t, "FindSAMLConfig(A) after SetSAMLMetadataRefreshError(B)", gotConfig, err, a.config)

	// Deleting all of B's tokens and B's configuration leaves A's.
	if n, err := s.DeleteSCIMTokens(ctx, bid); err != nil || n != 1 {
		t.Errorf("DeleteSCIMTokens(B) = %d, %v, want 1, nil", n, err)
	}
	must(t, "DeleteSAMLConfig(B)", s.DeleteSAMLConfig(ctx, bid))
	tokens, err = s.ListSCIMTokens(ctx, a.group.ID)
	wantFound(t, "ListSCIMTokens(A) after DeleteSCIMTokens(B)", tokens, err, []*gatehouse.SCIMToken{a.token})
	gotConfig, err = s.FindSAMLConfig(ctx, a.group.ID)
	wantFound(t, "FindSAMLConfig(A) after DeleteSAMLConfig(B)", gotConfig, err, a.config)

	// Trimming B's log to one entry leaves A's.
	must(t, "AppendSCIMRequestLogs(B, keep 1)", s.AppendSCIMRequestLogs(ctx, []*gatehouse.SCIMRequestLog{newSCIMLog(bid, "bravo-2")}, 1))
	logs, total, err = s.ListSCIMRequestLogs(ctx, a.group.ID, store.Page{Limit: 100})
	wantFound(t, "ListSCIMRequestLogs(A) after trimming B's log", logs, err, []*gatehouse.SCIMRequestLog{a.log})
	wantTotal(t, "ListSCIMRequestLogs(A) after trimming B's log", total, 1)
}
