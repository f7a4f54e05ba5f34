package storetest

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// testValidation checks that every write validates its value: an invalid one
// is refused with Invalid and writes nothing.
func testValidation(t *testing.T, s store.Store) {
	ctx := t.Context()
	g := MustCreateGroup(t, s, "acme")
	u := MustCreateUser(t, s, "alice")
	si := MustCreateSCIMIdentity(t, s, g.ID, u.ID, "alice@idp")
	bob := MustCreateUser(t, s, "bob")
	_, hash := gatehouse.NewToken(gatehouse.PATPrefix)

	// Each row makes an invalid write; written checks that nothing landed.
	tests := []struct {
		name    string
		write   func() error
		written func(t *testing.T)
	}{
		{
			name: "group path with ..",
			write: func() error {
				return s.CreateGroup(ctx, &gatehouse.Group{Path: "a..b", Name: "A", DefaultRole: gatehouse.Guest})
			},
			written: func(t *testing.T) {
				_, total, err := s.ListGroups(ctx, store.Page{})
				must(t, "ListGroups", err)
				wantTotal(t, "ListGroups", total, 1)
			},
		},
		{
			name:  "group with role 12",
			write: func() error { return s.CreateGroup(ctx, &gatehouse.Group{Path: "twelve", Name: "T", DefaultRole: 12}) },
			written: func(t *testing.T) {
				_, err := s.FindGroupByPath(ctx, "twelve")
				wantKind(t, "FindGroupByPath(twelve)", err, gatehouse.NotFound)
			},
		},
		{
			name: "group update to a reserved path",
			write: func() error {
				up := *g
				up.Path = "admin"
				return s.UpdateGroup(ctx, &up)
			},
			written: func(t *testing.T) {
				got, err := s.FindGroupByID(ctx, g.ID)
				wantFound(t, "FindGroupByID", got, err, g)
			},
		},
		{
			name:    "user without email",
			write:   func() error { return s.CreateUser(ctx, newPersonal("noemail")) },
			written: usernameFree(s, "noemail"),
		},
		{
			name: "user with two primary emails",
			write: func() error {
				v := newPersonal("twoprimary", "a@example.org", "b@example.org")
				v.Emails[1].Primary = true
				return s.CreateUser(ctx, v)
			},
			written: usernameFree(s, "twoprimary"),
		},
		{
			name:    "user with a non-ASCII username",
			write:   func() error { return s.CreateUser(ctx, newPersonal("Ünal", "unal@example.org")) },
			written: usernameFree(s, "Ünal"),
		},
		{
			name:    "managed user without its group",
			write:   func() error { return s.CreateUser(ctx, newManaged(0, "nogroup", "nogroup@example.org")) },
			written: usernameFree(s, "nogroup"),
		},
		{
			name: "user update to an invalid email",
			write: func() error {
				up := *u
				up.Emails = []gatehouse.Email{{Address: "Alice <alice@example.org>", Primary: true}}
				return s.UpdateUser(ctx, &up)
			},
			written: func(t *testing.T) {
				got, err := s.FindUserByID(ctx, u.ID)
				wantFound(t, "FindUserByID", got, err, u)
			},
		},
		{
			name: "member with role 12",
			write: func() error {
				return s.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: 12, State: gatehouse.MemberActive})
			},
			written: func(t *testing.T) {
				_, err := s.FindMember(ctx, g.ID, u.ID)
				wantKind(t, "FindMember", err, gatehouse.NotFound)
			},
		},
		{
			name: "SAML identity in state inactive",
			write: func() error {
				return s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, ExternUID: "x", State: gatehouse.IdentityInactive})
			},
			written: func(t *testing.T) {
				_, err := s.FindIdentityByUser(ctx, g.ID, u.ID)
				wantKind(t, "FindIdentityByUser", err, gatehouse.NotFound)
			},
		},
		{
			name: "SAML identity without extern_uid",
			write: func() error {
				return s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, State: gatehouse.IdentityActive})
			},
			written: func(t *testing.T) {
				_, err := s.FindIdentityByUser(ctx, g.ID, u.ID)
				wantKind(t, "FindIdentityByUser", err, gatehouse.NotFound)
			},
		},
		{
			name: "SCIM identity update with attributes that are not JSON",
			write: func() error {
				up := *si
				up.Attributes = json.RawMessage(`{"userName":`)
				return s.UpdateSCIMIdentity(ctx, &up, 0)
			},
			written: func(t *testing.T) {
				got, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
				wantFound(t, "FindSCIMIdentity", got, err, si)
			},
		},
		{
			name: "SCIM identity with an email that is not UTF-8",
			write: func() error {
				up := *si
				up.Emails = []gatehouse.SCIMEmail{{Value: "ok@example.org"}, {Value: "\xffbad@example.org", Type: "work"}}
				return s.UpdateSCIMIdentity(ctx, &up, 0)
			},
			written: func(t *testing.T) {
				got, err := s.FindSCIMIdentity(ctx, g.ID, si.SCIMID)
				wantFound(t, "FindSCIMIdentity", got, err, si)
			},
		},
		{
			name: "SCIM identity with a NUL in an email type",
			write: func() error {
				v := newSCIMIdentity(g.ID, bob.ID, "nulemail")
				v.Emails = []gatehouse.SCIMEmail{{Value: "bob@example.org", Type: "wo\x00rk"}}
				return s.CreateSCIMIdentity(ctx, v)
			},
			written: func(t *testing.T) {
				_, err := s.FindSCIMIdentityByExternUID(ctx, g.ID, "nulemail")
				wantKind(t, "FindSCIMIdentityByExternUID", err, gatehouse.NotFound)
			},
		},
		{
			name: "SCIM identity without SCIM id",
			write: func() error {
				v := newSCIMIdentity(g.ID, bob.ID, "noscimid")
				v.SCIMID = ""
				return s.CreateSCIMIdentity(ctx, v)
			},
			written: func(t *testing.T) {
				_, err := s.FindSCIMIdentityByExternUID(ctx, g.ID, "noscimid")
				wantKind(t, "FindSCIMIdentityByExternUID", err, gatehouse.NotFound)
			},
		},
		{
			name: "personal access token with a short hash",
			write: func() error {
				return s.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: u.ID, Name: "short", Hash: hash[:16]})
			},
			written: noPATs(s, u.ID),
		},
		{
			name: "personal access token without name",
			write: func() error {
				return s.CreatePAT(ctx, &gatehouse.PersonalAccessToken{UserID: u.ID, Hash: hash})
			},
			written: noPATs(s, u.ID),
		},
		{
			name: "SAML configuration with an http SSO URL",
			write: func() error {
				return s.PutSAMLConfig(ctx, &gatehouse.SAMLConfig{GroupID: g.ID, IdPEntityID: "x", SSOURL: "http://idp.example/sso", Fingerprints: []string{"ab"}})
			},
			written: func(t *testing.T) {
				_, err := s.FindSAMLConfig(ctx, g.ID)
				wantKind(t, "FindSAMLConfig", err, gatehouse.NotFound)
			},
		},
		{
			name: "SAML configuration with a metadata refresh error but no time",
			write: func() error {
				return s.PutSAMLConfig(ctx, &gatehouse.SAMLConfig{GroupID: g.ID, IdPEntityID: "x", SSOURL: "https://idp.example/sso",
					Fingerprints: []string{"ab"}, MetadataRefreshError: "failed"})
			},
			written: func(t *testing.T) {
				_, err := s.FindSAMLConfig(ctx, g.ID)
				wantKind(t, "FindSAMLConfig", err, gatehouse.NotFound)
			},
		},
		{
			name: "audit event with an unknown actor kind",
			write: func() error {
				return s.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: "robot", Action: "x"})
			},
			written: noAuditEvents(s, g.ID),
		},
		{
			name: "audit event with detail that is not JSON",
			write: func() error {
				return s.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSystem, Action: "x", Detail: json.RawMessage("{")})
			},
			written: noAuditEvents(s, g.ID),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantKind(t, tc.name, tc.write(), gatehouse.Invalid)
			tc.written(t)
		})
	}
}

// usernameFree returns a check that no account holds the username.
func usernameFree(s store.Store, username string) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		if taken, err := s.UsernameTaken(t.Context(), username); err != nil || taken {
			t.Errorf("UsernameTaken(%q) = %v, %v, want false, nil", username, taken, err)
		}
	}
}

// noPATs returns a check that the user has no personal access token.
func noPATs(s store.Store, userID int64) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		list, err := s.ListPATs(t.Context(), userID)
		wantFound(t, "ListPATs", list, err, nil)
	}
}

// noAuditEvents returns a check that the group has no audit event.
func noAuditEvents(s store.Store, groupID int64) func(t *testing.T) {
	return func(t *testing.T) {
		t.Helper()
		_, total, err := s.ListAuditEvents(t.Context(), groupID, store.Page{})
		must(t, "ListAuditEvents", err)
		wantTotal(t, "ListAuditEvents", total, 0)
	}
}
