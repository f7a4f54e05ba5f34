package admin_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
)

// identities gives u a SAML identity and a SCIM identity in g under uid.
func identities(t *testing.T, s store.Store, g *gatehouse.Group, u *gatehouse.User, uid string) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, ExternUID: uid, State: gatehouse.IdentityActive}); err != nil {
		t.Fatalf("CreateIdentity(%s): %v", uid, err)
	}
	si := &gatehouse.SCIMIdentity{SCIMID: "scim-" + uid, GroupID: g.ID, UserID: u.ID, ExternUID: uid, ExternalIDSet: true,
		UserName: u.Username + "@idp.example", State: gatehouse.IdentityActive}
	if err := s.CreateSCIMIdentity(ctx, si); err != nil {
		t.Fatalf("CreateSCIMIdentity(%s): %v", uid, err)
	}
}

func TestMemberViews(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		g := mustGroup(t, svc)
		bob := mustUser(t, svc, "bob", "bob@example.com")
		identities(t, svc.Store, g, bob, "00u1bob")
		if _, err := svc.SetMember(ctx, admin.System, g.Path, "bob", gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		carol := mustUser(t, svc, "carol", "carol@example.com")
		identities(t, svc.Store, g, carol, "00u1carol")
		si, _ := svc.Store.FindSCIMIdentityForUser(ctx, g.ID, carol.ID, false)
		si.State = gatehouse.IdentityInactive
		if err := svc.Store.UpdateSCIMIdentity(ctx, si, 0); err != nil {
			t.Fatal(err)
		}
		stranger := mustUser(t, svc, "stranger", "stranger@example.com")

		views, total, err := svc.ListMemberViews(ctx, g, store.Page{Limit: 50})
		if err != nil || total != 2 || len(views) != 2 {
			t.Fatalf("ListMemberViews = %d views, total %d, %v; want alice and bob", len(views), total, err)
		}
		if v := views[1]; v.User.Username != "bob" || v.SAMLState() != "linked" || v.SCIMState() != "active" {
			t.Errorf("bob's view: %s SAML %s SCIM %s; want linked, active", v.User.Username, v.SAMLState(), v.SCIMState())
		}
		if v := views[0]; v.SAMLState() != "none" || v.SCIMState() != "none" {
			t.Errorf("alice's view: SAML %s SCIM %s; want none, none", v.SAMLState(), v.SCIMState())
		}
		gone, n, err := svc.ListDeprovisioned(ctx, g, store.Page{Limit: 50})
		if err != nil || n != 1 || len(gone) != 1 || gone[0].User.ID != carol.ID || gone[0].Member != nil || gone[0].SCIMState() != "inactive" {
			t.Errorf("ListDeprovisioned = %v, %d, %v; want carol, inactive, no membership", gone, n, err)
		}
		if _, err := svc.FindMemberView(ctx, g, stranger.ID); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("FindMemberView(stranger) = %v, want NotFound", err)
		}
		if v, err := svc.FindMemberView(ctx, g, carol.ID); err != nil || v.Identity == nil {
			t.Errorf("FindMemberView(carol) = %v, %v; want her identities", v, err)
		}
	})
}

func TestSignInVerdict(t *testing.T) {
	at := time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC)
	saml := &gatehouse.SAMLConfig{Enabled: true}
	active := &gatehouse.User{Username: "bob", State: gatehouse.UserActive}
	member := &gatehouse.Member{Role: gatehouse.Developer, State: gatehouse.MemberActive}
	ident := &gatehouse.Identity{ExternUID: "00u1bob", State: gatehouse.IdentityActive}
	scim := func(state gatehouse.IdentityState, uid string) *gatehouse.SCIMIdentity {
		return &gatehouse.SCIMIdentity{ExternUID: uid, State: state}
	}
	linked := admin.MemberView{User: active, Member: member, Identity: ident, SCIM: scim(gatehouse.IdentityActive, "00u1bob")}
	with := func(edit func(*admin.SignInFacts)) admin.SignInFacts {
		f := admin.SignInFacts{SAML: saml, MemberView: linked}
		edit(&f)
		return f
	}
	for _, tc := range []struct {
		name   string
		facts  admin.SignInFacts
		reason string
		says   string
	}{
		{"linked member", with(func(*admin.SignInFacts) {}), "ok", `NameID "00u1bob"`},
		{"signed in under the same NameID in another case", with(func(f *admin.SignInFacts) {
			f.LastResponse = &gatehouse.SAMLLogEntry{NameID: "00U1BOB", At: at, Outcome: "signed_in"}
		}), "ok", "can sign in"},
		{"no SAML configuration", with(func(f *admin.SignInFacts) { f.SAML = nil }), "saml_not_configured", "not configured"},
		{"SAML turned off", with(func(f *admin.SignInFacts) { f.SAML = &gatehouse.SAMLConfig{} }), "saml_not_configured", "turned off"},
		{"blocked", with(func(f *admin.SignInFacts) {
			f.User = &gatehouse.User{Username: "bob", State: gatehouse.UserBlocked}
		}), "blocked", "blocked"},
		{"inactive SCIM identity", with(func(f *admin.SignInFacts) {
			f.SCIM, f.Member = scim(gatehouse.IdentityInactive, "00u1bob"), nil
		}), "deprovisioned", "active: false"},
		{"deleted SCIM identity", with(func(f *admin.SignInFacts) {
			f.SCIM, f.Member = scim(gatehouse.IdentityDeleted, "00u1bob"), nil
		}), "deprovisioned", "deleted"},
		{"no identity", with(func(f *admin.SignInFacts) { f.Identity, f.SCIM = nil, nil }), "no_identity", "no SAML identity"},
		{"provisioned, not linked", with(func(f *admin.SignInFacts) {
			f.Identity, f.SCIM = nil, scim(gatehouse.IdentityPendingLink, "00u1bob")
			f.Member = &gatehouse.Member{Role: gatehouse.Guest, State: gatehouse.MemberPendingLink}
		}), "pending_link", "password first"},
		{"pending SAML identity", with(func(f *admin.SignInFacts) {
			f.Identity = &gatehouse.Identity{ExternUID: "00u1bob", State: gatehouse.IdentityPendingLink}
		}), "pending_link", "not linked"},
		{"pending membership", with(func(f *admin.SignInFacts) {
			f.Member = &gatehouse.Member{Role: gatehouse.Guest, State: gatehouse.MemberPendingLink}
		}), "pending_link", "password first"},
		{"SAML and SCIM disagree", with(func(f *admin.SignInFacts) { f.SCIM = scim(gatehouse.IdentityActive, "bob@acme.example") }),
			"uid_mismatch", `SCIM externalId is "bob@acme.example"`},
		{"IdP sent another NameID", with(func(f *admin.SignInFacts) {
			f.LastResponse = &gatehouse.SAMLLogEntry{NameID: "bob@acme.example", At: at, Outcome: "unknown_name_id", ReferenceID: "ab12"}
		}), "name_id_mismatch", `last sent NameID "bob@acme.example" at 2025-03-01 09:30:00 UTC (reference ab12), but the identity's extern_uid is "00u1bob"`},
		{"not a member", with(func(f *admin.SignInFacts) { f.Member = nil }), "not_member", "not a member"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := tc.facts.Verdict()
			if v.Reason != tc.reason || v.OK != (tc.reason == "ok") || !strings.Contains(v.Message+" "+v.Next, tc.says) {
				t.Errorf("Verdict() = %+v, want reason %s saying %q", v, tc.reason, tc.says)
			}
		})
	}
}

func TestSearchLogs(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		g := mustGroup(t, svc)
		for i, e := range []struct{ outcome, nameID string }{
			{"signed_in", "Alice"}, {"invalid", ""}, {"unknown_name_id", "bob"}, {"signed_in", "alice"}, {"signed_in", "carol"},
		} {
			entry := &gatehouse.SAMLLogEntry{GroupID: g.ID, Outcome: e.outcome, NameID: e.nameID, ReferenceID: "ref" + itoa(int64(i))}
			if err := svc.Store.AppendSAMLLog(ctx, entry, 0); err != nil {
				t.Fatal(err)
			}
		}
		refs := func(l []*gatehouse.SAMLLogEntry) string {
			var s []string
			for _, e := range l {
				s = append(s, e.ReferenceID)
			}
			return strings.Join(s, " ")
		}
		for _, tc := range []struct {
			name string
			f    admin.SAMLLogSearch
			want string
			more bool
		}{
			{"all", admin.SAMLLogSearch{Limit: 10}, "ref4 ref3 ref2 ref1 ref0", false},
			{"first page", admin.SAMLLogSearch{Limit: 2}, "ref4 ref3", true},
			{"second page", admin.SAMLLogSearch{Offset: 2, Limit: 2}, "ref2 ref1", true},
			{"signed in", admin.SAMLLogSearch{Outcome: "signed_in", Limit: 10}, "ref4 ref3 ref0", false},
			{"NameID any case", admin.SAMLLogSearch{NameID: "ALICE", Limit: 10}, "ref3 ref0", false},
			{"both", admin.SAMLLogSearch{NameID: "alice", Outcome: "invalid", Limit: 10}, "", false},
		} {
			got, more, err := svc.SearchSAMLLog(ctx, g, tc.f)
			if err != nil || refs(got) != tc.want || more != tc.more {
				t.Errorf("SearchSAMLLog(%s) = %q, %v, %v; want %q, %v", tc.name, refs(got), more, err, tc.want, tc.more)
			}
		}
		_, _, err := svc.SearchSAMLLog(ctx, g, admin.SAMLLogSearch{Limit: 0})
		wantKind(t, "SearchSAMLLog(limit 0)", err, gatehouse.Invalid)

		var logs []*gatehouse.SCIMRequestLog
		for _, e := range []struct {
			method, path string
			status       int
		}{{"POST", "/Users", 201}, {"GET", "/Users?filter=userName", 200}, {"PATCH", "/Users/1", 404}} {
			logs = append(logs, &gatehouse.SCIMRequestLog{GroupID: g.ID, Method: e.method, Path: e.path, Status: e.status})
		}
		if err := svc.Store.AppendSCIMRequestLogs(ctx, logs, 0); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			f    admin.SCIMLogSearch
			want string
		}{
			{"all", admin.SCIMLogSearch{Limit: 10}, "PATCH GET POST"},
			{"method", admin.SCIMLogSearch{Method: "post", Limit: 10}, "POST"},
			{"status", admin.SCIMLogSearch{Status: 404, Limit: 10}, "PATCH"},
			{"path", admin.SCIMLogSearch{Path: "USERNAME", Limit: 10}, "GET"},
		} {
			got, _, err := svc.SearchSCIMLog(ctx, g, tc.f)
			var methods []string
			for _, e := range got {
				methods = append(methods, e.Method)
			}
			if err != nil || strings.Join(methods, " ") != tc.want {
				t.Errorf("SearchSCIMLog(%s) = %v, %v; want %s", tc.name, methods, err, tc.want)
			}
		}
	})
}

func TestExplainSignInReadsTheLog(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		g := mustGroup(t, svc)
		bob := mustUser(t, svc, "bob", "bob@example.com")
		identities(t, svc.Store, g, bob, "00u1bob")
		if _, err := svc.SetMember(ctx, admin.System, g.Path, "bob", gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		if err := svc.Store.PutSAMLConfig(ctx, &gatehouse.SAMLConfig{GroupID: g.ID, Enabled: true, IdPEntityID: "https://idp.example",
			SSOURL: "https://idp.example/sso", Fingerprints: []string{strings.Repeat("ab", 32)}}); err != nil {
			t.Fatal(err)
		}
		if _, v, err := svc.ExplainSignIn(ctx, g, bob.ID); err != nil || !v.OK {
			t.Fatalf("ExplainSignIn before any response = %+v, %v; want OK", v, err)
		}
		// The IdP sends bob's email as NameID: refused, and the response
		// names bob.
		e := &gatehouse.SAMLLogEntry{GroupID: g.ID, Outcome: "unknown_name_id", NameID: "bob@example.com", ReferenceID: "r1",
			Response: "<Attribute Name=\"email\"><AttributeValue>BOB@example.com</AttributeValue></Attribute>"}
		if err := svc.Store.AppendSAMLLog(ctx, e, 0); err != nil {
			t.Fatal(err)
		}
		// Someone else's refusal afterwards does not count.
		if err := svc.Store.AppendSAMLLog(ctx, &gatehouse.SAMLLogEntry{GroupID: g.ID, Outcome: "unknown_name_id", NameID: "eve", ReferenceID: "r2"}, 0); err != nil {
			t.Fatal(err)
		}
		f, v, err := svc.ExplainSignIn(ctx, g, bob.ID)
		if err != nil || v.Reason != "name_id_mismatch" || f.LastResponse == nil || f.LastResponse.ReferenceID != "r1" {
			t.Errorf("ExplainSignIn after a response under another NameID = %+v, %v; want name_id_mismatch from r1", v, err)
		}
		// Once bob signs in under his extern_uid, the verdict is OK again.
		if err := svc.Store.AppendSAMLLog(ctx, &gatehouse.SAMLLogEntry{GroupID: g.ID, Outcome: "signed_in", NameID: "00u1bob", ReferenceID: "r3"}, 0); err != nil {
			t.Fatal(err)
		}
		if _, v, err := svc.ExplainSignIn(ctx, g, bob.ID); err != nil || !v.OK {
			t.Errorf("ExplainSignIn after a sign-in = %+v, %v; want OK", v, err)
		}
	})
}

// TestSetMemberUnderEnforcedSSO: while a group enforces SSO, only people
// with a linked SAML identity of the group, and no inactive SCIM identity
// there, can be added; changing an existing member's role stays possible.
func TestSetMemberUnderEnforcedSSO(t *testing.T) {
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		g := mustGroup(t, svc)
		linked := mustUser(t, svc, "linked", "linked@example.com")
		identities(t, svc.Store, g, linked, "00u1linked")
		gone := mustUser(t, svc, "gone", "gone@example.com")
		identities(t, svc.Store, g, gone, "00u1gone")
		si, err := svc.Store.FindSCIMIdentityForUser(ctx, g.ID, gone.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		si.State = gatehouse.IdentityInactive
		if err := svc.Store.UpdateSCIMIdentity(ctx, si, 0); err != nil {
			t.Fatal(err)
		}
		mustUser(t, svc, "stranger", "stranger@example.com")
		mustUser(t, svc, "early", "early@example.com")
		if _, err := svc.SetMember(ctx, admin.System, g.Path, "early", gatehouse.Developer); err != nil {
			t.Fatalf("SetMember before SSO is enforced: %v", err)
		}
		enforce := func(on bool) {
			t.Helper()
			c := &gatehouse.SAMLConfig{GroupID: g.ID, Enabled: true, IdPEntityID: "https://idp.example/md", SSOURL: "https://idp.example/sso",
				Fingerprints: []string{strings.Repeat("ab", 32)}, EnforceSSO: on, ClockSkew: gatehouse.DefaultClockSkew}
			if err := svc.Store.PutSAMLConfig(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		enforce(true)
		for _, tc := range []struct {
			user string
			want gatehouse.Kind // 0: added
			msg  string
		}{
			{"linked", 0, ""},
			{"stranger", gatehouse.Invalid, "is not linked to the group's SAML identity provider"},
			{"gone", gatehouse.Invalid, "inactive SCIM identity"},
			{"early", 0, ""}, // a role change of a member
		} {
			_, err := svc.SetMember(ctx, admin.System, g.Path, tc.user, gatehouse.Maintainer)
			if tc.want == 0 {
				if err != nil {
					t.Errorf("SetMember(%s) under enforced SSO: %v", tc.user, err)
				}
				continue
			}
			wantKind(t, "SetMember("+tc.user+")", err, tc.want)
			if err != nil && (!strings.Contains(err.Error(), tc.msg) || !strings.Contains(err.Error(), "enforces SSO")) {
				t.Errorf("SetMember(%s) = %q, want a message with %q that names the enforcement", tc.user, err, tc.msg)
			}
		}
		enforce(false)
		if _, err := svc.SetMember(ctx, admin.System, g.Path, "stranger", gatehouse.Guest); err != nil {
			t.Errorf("SetMember(stranger) with SSO no longer enforced: %v", err)
		}
	})
}
