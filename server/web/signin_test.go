package web_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/store"
)

func TestSCIMUserSignsInSPInitiated(t *testing.T) {
	for _, tc := range []struct {
		name     string
		nameID   string // what the IdP sends
		redirect string // the RelayState asked for
		landing  string
	}{
		{"exact NameID", "00u1alice", "", "/-/account"},
		{"NameID in another case", "00U1ALICE", "", "/-/account"},
		{"local RelayState", "00u1alice", "/-/account?tab=groups", "/-/account?tab=groups"},
		{"open redirect", "00u1alice", "//evil.example/x", "/-/account"},
		{"absolute URL", "00u1alice", "https://evil.example/", "/-/account"},
		{"backslash", "00u1alice", "/\\evil.example", "/-/account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
				b := e.browser()
				if status, _ := b.me(); status != http.StatusUnauthorized {
					t.Errorf("GET /api/v4/user before sign-in = %d, want 401", status)
				}
				resp, _ := samltest.SignIn(t, e.crewjam(tc.nameID), b.start("acme.corp", tc.redirect))
				b.continueTo(b.callback("acme.corp", resp, ""), tc.landing)
				b.wantSignedInAs("alice")
			})
		})
	}
}

func TestCookieFlags(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		resp, _ := samltest.SignIn(t, e.crewjam("00u1alice"), b.start("acme.corp", ""))
		b.continueTo(b.callback("acme.corp", resp, ""), "/-/account")
		for _, name := range []string{web.SessionCookie, web.BrowserCookie} {
			c := b.cookies[name]
			if c == nil {
				t.Errorf("no %s cookie", name)
				continue
			}
			if !c.HttpOnly || !c.Secure || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("cookie %s: HttpOnly %v Secure %v SameSite %v Path %q; want HttpOnly, Secure (https base URL), Lax, /",
					name, c.HttpOnly, c.Secure, c.SameSite, c.Path)
			}
		}
	})
}

func TestIdPInitiated(t *testing.T) {
	for _, tc := range []struct {
		name, relay, landing string
	}{
		{"no RelayState", "", "/-/account"},
		{"local RelayState", "/-/account", "/-/account"},
		{"open redirect", "https://evil.example/", "/-/account"},
		{"protocol-relative", "//evil.example", "/-/account"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
				b := e.browser()
				resp := samltest.Unsolicited(t, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), tc.relay)
				b.continueTo(b.callback("acme.corp", resp, tc.relay), tc.landing)
				b.wantSignedInAs("alice")
			})
		})
	}
}

func TestIdPInitiatedRefusedWhenOff(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		e.trust(e.group, e.okta, func(c *gatehouse.SAMLConfig) { c.AllowIdPInitiated = false })
		b := e.browser()
		resp := samltest.Unsolicited(t, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), "")
		e.wantFailure("unsolicited response", e.group, b.callback("acme.corp", resp, ""), http.StatusBadRequest, "invalid")
	})
}

func TestACSByGroupID(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		spec := e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
		spec.Destination, spec.Recipient = e.nodes[0].svc.SP(e.group).ACSURLs[1], e.nodes[0].svc.SP(e.group).ACSURLs[1]
		resp := samltest.Encode(e.okta.Response(t, spec))
		b.continueTo(b.callback(itoa(e.group.ID), resp, ""), "/-/account")
		b.wantSignedInAs("alice")
	})
}

func TestPersonalAccountLinksAfterPassword(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com", Password: alicePassword})
		if err != nil {
			t.Fatal(err)
		}
		// The IdP provisions her personal account: pending until she links.
		si := e.provision("00u1alice", "alice.idp", "alice@example.com")
		if si.State != gatehouse.IdentityPendingLink {
			t.Fatalf("SCIM identity state = %s, want pending_link", si.State)
		}
		b := e.browser()

		// Not signed in: the response passes, but she must sign in first.
		resp := samltest.Unsolicited(t, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), "")
		res := b.callback("acme.corp", resp, "")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in?reason=link") {
			t.Fatalf("callback for a pending link = %d %q, want 303 to the password sign-in", res.status, res.location)
		}
		if page := b.get(res.location); page.status != http.StatusOK || !strings.Contains(page.body, "Sign in with your password first") {
			t.Errorf("sign-in page for a pending link = %d, want the notice\n%s", page.status, page.body)
		}
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("signed in without the password: GET /api/v4/user = %d", status)
		}

		// Wrong password, then the right one.
		if res := b.post("/users/sign_in", url.Values{"login": {"alice"}, "password": {"wrong password here"}}); res.status != http.StatusUnauthorized {
			t.Errorf("sign-in with a wrong password = %d, want 401", res.status)
		}
		res = b.post("/users/sign_in", url.Values{"login": {"alice"}, "password": {alicePassword}, "return_to": {"/groups/acme.corp/-/saml/sso"}})
		if res.status != http.StatusSeeOther || res.location != "/groups/acme.corp/-/saml/sso" {
			t.Fatalf("password sign-in = %d %q", res.status, res.location)
		}
		if page := b.get(res.location); !strings.Contains(page.body, "not linked to") {
			t.Errorf("SSO page for a signed-in unlinked user shows no link prompt:\n%s", page.body)
		}

		// An IdP-initiated response never links, even while signed in.
		resp = samltest.Unsolicited(t, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), "")
		if res := b.callback("acme.corp", resp, ""); !strings.HasPrefix(res.location, "/users/sign_in") {
			t.Errorf("IdP-initiated response while signed in = %d %q, want the password sign-in, not a link", res.status, res.location)
		}

		// SP-initiated from her session: confirm, then linked.
		resp, _ = samltest.SignIn(t, e.crewjam("00u1alice"), b.start("acme.corp", ""))
		res = b.callback("acme.corp", resp, "")
		confirm := b.follow(res)
		if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "Link my account") {
			t.Fatalf("continue of a link = %d, want the confirmation page\n%s", confirm.status, confirm.body)
		}
		token := tokenField.FindStringSubmatch(confirm.body)
		if token == nil {
			t.Fatalf("no token in the confirmation form:\n%s", confirm.body)
		}
		if res := b.do("POST", "/groups/acme.corp/-/saml/continue", url.Values{"token": {token[1]}}, true, "Sec-Fetch-Site", "cross-site"); res.status != http.StatusForbidden {
			t.Errorf("cross-site confirmation = %d, want 403", res.status)
		}
		done := b.post("/groups/acme.corp/-/saml/continue", url.Values{"token": {token[1]}})
		if done.status != http.StatusSeeOther || done.location != "/-/account" {
			t.Fatalf("confirm link = %d %q\n%s", done.status, done.location, done.body)
		}
		b.wantSignedInAs("alice")
		if i, err := e.s.FindIdentityByUser(ctx, e.group.ID, alice.ID); err != nil || i.State != gatehouse.IdentityActive || i.ExternUID != "00u1alice" {
			t.Errorf("identity after linking = %+v, %v; want active 00u1alice", i, err)
		}
		if m, err := e.s.FindMember(ctx, e.group.ID, alice.ID); err != nil || m.State != gatehouse.MemberActive {
			t.Errorf("membership after linking = %+v, %v; want active", m, err)
		}
		if got, err := e.s.FindSCIMIdentity(ctx, e.group.ID, si.SCIMID); err != nil || got.State != gatehouse.IdentityActive {
			t.Errorf("SCIM identity after linking = %+v, %v; want active", got, err)
		}

		// From now on she signs in directly, in a fresh browser.
		fresh := e.browser()
		resp = samltest.Unsolicited(t, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), "")
		fresh.continueTo(fresh.callback("acme.corp", resp, ""), "/-/account")
		fresh.wantSignedInAs("alice")
	})
}

func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(e *env)
		nameID  string
		status  int
		outcome string
	}{
		{"deprovisioned", func(e *env) {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			e.patch(si, scimpatch.Operation{Op: "replace", Path: "active", Value: false})
		}, "00u1alice", http.StatusForbidden, "deprovisioned"},
		{"deleted over SCIM", func(e *env) {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			if err := e.prov.Delete(context.Background(), callerOf(e), si.SCIMID, 0); err != nil {
				e.t.Fatal(err)
			}
		}, "00u1alice", http.StatusForbidden, "deprovisioned"},
		{"unknown NameID", func(e *env) {}, "nobody", http.StatusForbidden, "unknown_name_id"},
		{"old extern_uid", func(e *env) {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			e.patch(si, scimpatch.Operation{Op: "replace", Path: "externalId", Value: "00u2alice"})
		}, "00u1alice", http.StatusForbidden, "unknown_name_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				tc.setup(e)
				b := e.browser()
				res := b.callback("acme.corp", e.signed(e.group, e.okta, tc.nameID, ""), "")
				e.wantFailure("callback", e.group, res, tc.status, tc.outcome)
				if tc.outcome == "unknown_name_id" && !strings.Contains(res.body, tc.nameID) {
					t.Errorf("the refusal does not name the NameID %q:\n%s", tc.nameID, res.body)
				}
				if status, _ := b.me(); status != http.StatusUnauthorized {
					t.Errorf("GET /api/v4/user after a refusal = %d, want 401", status)
				}
			})
		})
	}
}

func TestChangedExternUIDSignsIn(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		e.patch(si, scimpatch.Operation{Op: "replace", Path: "externalId", Value: "00u2alice"})
		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u2alice", ""), ""), "/-/account")
		b.wantSignedInAs("alice")
	})
}

func TestReplayAndCrossGroup(t *testing.T) {
	backends(t, 2, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		resp := e.signed(e.group, e.okta, "00u1alice", "")
		b := e.browser()
		b.continueTo(b.callback("acme.corp", resp, ""), "/-/account")
		e.wantFailure("the same response again", e.group, e.browser().callback("acme.corp", resp, ""), http.StatusBadRequest, "replayed")
		second := e.browser()
		second.node = e.nodes[1]
		e.wantFailure("the same response on another node", e.group, second.callback("acme.corp", resp, ""), http.StatusBadRequest, "replayed")

		// A response for acme.corp posted to other's ACS, and one signed by
		// other's IdP for acme.corp.
		fresh := e.signed(e.group, e.okta, "00u1alice", "")
		e.wantFailure("acme.corp's response at other's ACS", e.other, e.browser().callback("other", fresh, ""), http.StatusBadRequest, "invalid")
		forged := e.signed(e.group, e.entra, "00u1alice", "")
		e.wantFailure("other's IdP signing for acme.corp", e.group, e.browser().callback("acme.corp", forged, ""), http.StatusBadRequest, "invalid")
	})
}

func TestFlowAcrossNodes(t *testing.T) {
	backends(t, 2, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		redirect := b.start("acme.corp", "/-/account?from=node0")
		resp, _ := samltest.SignIn(t, e.crewjam("00u1alice"), redirect)
		b.node = e.nodes[1]
		b.continueTo(b.callback("acme.corp", resp, ""), "/-/account?from=node0")
		b.wantSignedInAs("alice")
	})
}

// TestOneResponsePerRequest: an AuthnRequest is answered once. A second
// response the IdP signs for the same request (a second tab, a double
// submit, an attacker holding one) is refused, on SQLite as on PostgreSQL,
// and so is a response naming a request another group made.
func TestOneResponsePerRequest(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		redirect := b.start("acme.corp", "")
		first, _ := samltest.SignIn(t, e.crewjam("00u1alice"), redirect)
		second, _ := samltest.SignIn(t, e.crewjam("00u1alice"), redirect)
		b.continueTo(b.callback("acme.corp", first, ""), "/-/account")
		e.wantFailure("a second response to the same request", e.group, e.browser().callback("acme.corp", second, ""), http.StatusBadRequest, "invalid")

		// other's request, answered by acme.corp's IdP for acme.corp.
		u, err := url.Parse(e.browser().start("other", ""))
		if err != nil {
			t.Fatal(err)
		}
		otherRequest := requestID(t, u.Query().Get("SAMLRequest"))
		e.wantFailure("a response to another group's request", e.group,
			e.browser().callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", otherRequest), ""), http.StatusBadRequest, "invalid")
	})
}

func TestContinueTokenSingleUseAndBrowserBound(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		resp, _ := samltest.SignIn(t, e.crewjam("00u1alice"), b.start("acme.corp", ""))
		res := b.callback("acme.corp", resp, "")
		if res.status != http.StatusSeeOther {
			t.Fatalf("callback = %d", res.status)
		}
		thief := e.browser()
		if got := thief.get(res.location); got.status != http.StatusForbidden || thief.cookies[web.SessionCookie] != nil {
			t.Errorf("continue in another browser = %d, cookies %v; want 403 and no session", got.status, thief.cookies)
		}
		// The thief's attempt used the flow up: it cannot be replayed.
		if got := b.get(res.location); got.status != http.StatusBadRequest {
			t.Errorf("continue after its use = %d, want 400", got.status)
		}

		resp, _ = samltest.SignIn(t, e.crewjam("00u1alice"), b.start("acme.corp", ""))
		res = b.callback("acme.corp", resp, "")
		if got := b.get(res.location); got.status != http.StatusSeeOther {
			t.Fatalf("continue = %d", got.status)
		}
		if got := b.get(res.location); got.status != http.StatusBadRequest {
			t.Errorf("the same continue URL twice = %d, want 400", got.status)
		}
		if got := b.get(strings.Replace(res.location, "acme.corp", "other", 1)); got.status != http.StatusBadRequest {
			t.Errorf("continue URL of another group = %d, want 400", got.status)
		}
		for _, bad := range []string{"", "x", strings.Repeat("a", 5000), "%00"} {
			if got := b.get("/groups/acme.corp/-/saml/continue?token=" + bad); got.status != http.StatusBadRequest {
				t.Errorf("continue with token %.20q = %d, want 400", bad, got.status)
			}
		}
	})
}

func TestCreateOnFirstSignIn(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.trust(e.group, e.okta, func(c *gatehouse.SAMLConfig) { c.CreateUsers = true })
		if _, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "bob", Email: "bob@example.com", Password: alicePassword}); err != nil {
			t.Fatal(err)
		}

		// A new NameID with an email nobody has: a managed account.
		spec := e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
		spec.NameID = "00u7carol"
		spec.Attributes = []samltest.Attribute{{Name: "email", Values: []string{"carol@acme.example"}}, {Name: "name", Values: []string{"Carol C"}}}
		b := e.browser()
		b.continueTo(b.callback("acme.corp", samltest.Encode(e.okta.Response(t, spec)), ""), "/-/account")
		b.wantSignedInAs("carol")
		u, err := e.s.FindUserByUsername(ctx, "carol")
		if err != nil || u.Kind != gatehouse.Managed || u.ManagingGroupID != e.group.ID {
			t.Fatalf("created account = %+v, %v; want managed by acme.corp", u, err)
		}
		if m, err := e.s.FindMember(ctx, e.group.ID, u.ID); err != nil || m.Role != e.group.DefaultRole || m.State != gatehouse.MemberActive {
			t.Errorf("membership = %+v, %v; want active at the default role", m, err)
		}

		// An email of a personal account: never linked by email.
		spec = e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
		spec.NameID = "00u8bob"
		spec.Attributes = []samltest.Attribute{{Name: "email", Values: []string{"BOB@example.com"}}}
		res := e.browser().callback("acme.corp", samltest.Encode(e.okta.Response(t, spec)), "")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in") {
			t.Errorf("callback with a personal account's email = %d %q, want 303 to the password sign-in", res.status, res.location)
		}

		// No email attribute: refused.
		spec = e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
		spec.NameID, spec.Attributes = "00u9dan", nil
		e.wantFailure("callback without an email", e.group, e.browser().callback("acme.corp", samltest.Encode(e.okta.Response(t, spec)), ""), http.StatusForbidden, "unknown_name_id")
	})
}

// TestFirstSignInAfterSCIMCreate: the IdP's SCIM provisions the person
// between the ACS deciding to create an account and the continue step
// creating it (a first sign-in racing the SCIM POST). The continue step
// must then sign in the account SCIM made, under the same checks as any
// sign-in, and never make a second account.
func TestFirstSignInAfterSCIMCreate(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.trust(e.group, e.okta, func(c *gatehouse.SAMLConfig) { c.CreateUsers = true })
		for _, tt := range []struct {
			name, nameID, scimExternalID, local string
			deprovision                         bool
			status                              int
			title                               string // of the failure page
		}{
			{"SCIM made the same NameID", "00u7carol", "00u7carol", "carol", false, http.StatusSeeOther, ""},
			{"SCIM made and deprovisioned it", "00u8dave", "00u8dave", "dave", true, http.StatusForbidden, "Your access was removed"},
			{"SCIM made the email under another NameID", "00u9erin", "other-erin", "erin", false, http.StatusForbidden, "No account for this sign-in"},
		} {
			t.Run(tt.name, func(t *testing.T) {
				local := tt.local
				email := local + "@acme.example"
				spec := e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
				spec.NameID = tt.nameID
				spec.Attributes = []samltest.Attribute{{Name: "email", Values: []string{email}}}
				b := e.browser()
				res := b.callback("acme.corp", samltest.Encode(e.okta.Response(t, spec)), "")
				if res.status != http.StatusSeeOther || !strings.Contains(res.location, "/-/saml/continue") {
					t.Fatalf("callback = %d %q, want 303 to the continue URL (a create flow)", res.status, res.location)
				}
				si := e.provision(tt.scimExternalID, local, email)
				if tt.deprovision {
					e.patch(si, scimpatch.Operation{Op: "replace", Path: "active", Value: false})
				}
				done := b.get(res.location)
				if done.status != tt.status {
					t.Fatalf("continue = %d %q, want %d\n%s", done.status, done.location, tt.status, done.body)
				}
				if tt.status == http.StatusSeeOther {
					u, err := e.s.FindUserByID(ctx, si.UserID)
					if err != nil {
						t.Fatal(err)
					}
					b.wantSignedInAs(u.Username)
				} else {
					if !strings.Contains(done.body, tt.title) {
						t.Errorf("continue: the page does not say %q:\n%s", tt.title, done.body)
					}
					if status, _ := b.me(); status != http.StatusUnauthorized {
						t.Errorf("GET /api/v4/user = %d, want 401", status)
					}
				}
				// One account has the email, and it is the one SCIM made.
				if u, err := e.s.FindManagedUserByEmail(ctx, e.group.ID, email); err != nil || u.ID != si.UserID {
					t.Errorf("the managed account with %s = %+v, %v; want SCIM's, user %d", email, u, err, si.UserID)
				}
			})
		}
	})
}

func TestBadInput(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		b := e.browser()
		for _, tc := range []struct {
			name   string
			method string
			path   string
			form   url.Values
			status int
		}{
			{"unknown group metadata", "GET", "/groups/nope/-/saml/metadata", nil, http.StatusNotFound},
			{"unknown group ACS", "POST", "/groups/nope/-/saml/callback", url.Values{"SAMLResponse": {"x"}}, http.StatusNotFound},
			{"group without SAML", "GET", "/groups/owner-less/-/saml/sso", nil, http.StatusNotFound},
			{"no SAMLResponse", "POST", "/groups/acme.corp/-/saml/callback", url.Values{}, http.StatusBadRequest},
			{"two SAMLResponses", "POST", "/groups/acme.corp/-/saml/callback", url.Values{"SAMLResponse": {"a", "b"}}, http.StatusBadRequest},
			{"not base64", "POST", "/groups/acme.corp/-/saml/callback", url.Values{"SAMLResponse": {"%%%"}}, http.StatusBadRequest},
			{"huge group id", "GET", "/groups/99999999999999999999999/-/saml/sso", nil, http.StatusNotFound},
		} {
			res := b.do(tc.method, tc.path, tc.form, false)
			if res.status != tc.status {
				t.Errorf("%s: %s %s = %d, want %d\n%s", tc.name, tc.method, tc.path, res.status, tc.status, res.body)
			}
		}
		for _, form := range []url.Values{{}, {"SAMLResponse": {"a", "b"}}, {"SAMLResponse": {"a"}, "RelayState": {"/a", "/b"}}} {
			e.wantFailure("malformed form "+form.Encode(), e.group, b.do("POST", "/groups/acme.corp/-/saml/callback", form, false), http.StatusBadRequest, "invalid")
		}
		if res := b.get("/groups/acme.corp/-/saml/metadata"); res.status != http.StatusOK || !strings.Contains(res.body, samltest.Base+"/groups/acme.corp/-/saml/callback") {
			t.Errorf("metadata = %d\n%s", res.status, res.body)
		}
		if res := b.do("POST", "/users/sign_in", url.Values{"login": {"owner"}, "password": {"x"}}, false, "Sec-Fetch-Site", "cross-site"); res.status != http.StatusForbidden {
			t.Errorf("cross-site password sign-in = %d, want 403", res.status)
		}
	})
}

func TestAPIUserWithToken(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		tok, _, err := e.adm.CreatePAT(ctx, admin.System, admin.NewPAT{User: "owner"})
		if err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		for _, tc := range []struct {
			name   string
			header []string
			status int
		}{
			{"PRIVATE-TOKEN", []string{"PRIVATE-TOKEN", tok}, http.StatusOK},
			{"Bearer", []string{"Authorization", "Bearer " + tok}, http.StatusOK},
			{"wrong token", []string{"PRIVATE-TOKEN", gatehouse.PATPrefix + strings.Repeat("A", 43)}, http.StatusUnauthorized},
			{"junk", []string{"Authorization", "Basic abc"}, http.StatusUnauthorized},
			{"nothing", nil, http.StatusUnauthorized},
		} {
			res := b.do("GET", "/api/v4/user", nil, false, tc.header...)
			if res.status != tc.status {
				t.Errorf("%s: GET /api/v4/user = %d, want %d", tc.name, res.status, tc.status)
			}
			if tc.status == http.StatusOK && !strings.Contains(res.body, `"username":"owner"`) {
				t.Errorf("%s: body %s, want the owner", tc.name, res.body)
			}
		}
	})
}

func TestSignOut(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		if _, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com", Password: alicePassword}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		if res := b.post("/users/sign_in", url.Values{"login": {"alice@example.com"}, "password": {alicePassword}}); res.status != http.StatusSeeOther || res.location != "/-/account" {
			t.Fatalf("sign-in by email = %d %q", res.status, res.location)
		}
		old := b.cookies[web.SessionCookie].Value
		if res := b.get("/-/account"); res.status != http.StatusOK || !strings.Contains(res.body, "alice") {
			t.Errorf("account page = %d", res.status)
		}
		b.post("/users/sign_out", url.Values{})
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("after sign-out GET /api/v4/user = %d", status)
		}
		b.cookies[web.SessionCookie] = &http.Cookie{Name: web.SessionCookie, Value: old}
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("the old session cookie after sign-out: GET /api/v4/user = %d, want 401", status)
		}
	})
}

func TestLinkRefusedUnderAnotherNameID(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com", Password: alicePassword})
		if err != nil {
			t.Fatal(err)
		}
		e.provision("00u1alice", "alice.idp", "alice@example.com")
		b := e.browser()
		if res := b.post("/users/sign_in", url.Values{"login": {"alice"}, "password": {alicePassword}}); res.status != http.StatusSeeOther {
			t.Fatalf("password sign-in = %d", res.status)
		}
		resp, _ := samltest.SignIn(t, e.crewjam("00u1mallory"), b.start("acme.corp", ""))
		e.wantFailure("link under another NameID", e.group, b.callback("acme.corp", resp, ""), http.StatusForbidden, "not_linkable")
		if m, err := e.s.FindMember(ctx, e.group.ID, alice.ID); err != nil || m.State != gatehouse.MemberPendingLink {
			t.Errorf("membership = %+v, %v; want still pending", m, err)
		}
	})
}

func TestMetrics(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""), "/-/account")
		b.callback("acme.corp", e.signed(e.group, e.okta, "nobody", ""), "")
		body := b.get("/metrics").body
		for _, want := range []string{
			`gatehouse_saml_signins_total{outcome="signed_in"} 1`,
			`gatehouse_saml_signins_total{outcome="unknown_name_id"} 1`,
			`gatehouse_saml_acs_duration_seconds_count 2`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
	})
}

// brokenCache is a store whose replay cache cannot be written.
type brokenCache struct{ store.Store }

func (brokenCache) ConsumeSAMLAssertion(context.Context, int64, string, time.Time, time.Time) error {
	return gatehouse.Errorf(gatehouse.Unavailable, "the database is away")
}

func TestReplayCacheFailsClosed(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		b.node = newNode(t, brokenCache{e.s})
		e.wantFailure("callback while the replay cache fails", e.group, b.callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""), http.StatusServiceUnavailable, "unavailable")
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v4/user = %d, want 401", status)
		}
	})
}

// brokenLog is a store whose SAML log cannot be written.
type brokenLog struct{ store.Store }

func (brokenLog) AppendSAMLLog(context.Context, *gatehouse.SAMLLogEntry, int) error {
	return gatehouse.Errorf(gatehouse.Unavailable, "the database's disk is full")
}

// TestSAMLLogFailsClosed: a sign-in whose SAML log entry cannot be written
// is refused, and nobody is signed in. A good response gets the page of a
// sign-in the database kept from finishing, a refused one its own page;
// neither shows a reference (no entry has it), both the request id.
func TestSAMLLogFailsClosed(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		b.node = newNode(t, brokenLog{e.s})
		for _, tt := range []struct {
			name, nameID string
			status       int
			title        string
		}{
			{"a good response", "00u1alice", http.StatusServiceUnavailable, "Sign-in is not available right now"},
			{"an unknown NameID", "nobody", http.StatusForbidden, "No account for this sign-in"},
		} {
			res := b.callback("acme.corp", e.signed(e.group, e.okta, tt.nameID, ""), "")
			if res.status != tt.status || res.location != "" {
				t.Errorf("%s while the SAML log fails = %d %q, want %d and no redirect", tt.name, res.status, res.location, tt.status)
			}
			for _, want := range []string{tt.title, "Request id:"} {
				if !strings.Contains(res.body, want) {
					t.Errorf("%s while the SAML log fails: the page does not say %q:\n%s", tt.name, want, res.body)
				}
			}
			if strings.Contains(res.body, "Reference:") {
				t.Errorf("%s while the SAML log fails: the page shows a reference that no log entry has:\n%s", tt.name, res.body)
			}
		}
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v4/user = %d, want 401", status)
		}
	})
}

func TestDeprovisionEndsTheSSOSession(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""), "/-/account")
		b.wantSignedInAs("alice")
		e.patch(si, scimpatch.Operation{Op: "replace", Path: "active", Value: false})
		if status, _ := b.me(); status != http.StatusUnauthorized {
			t.Errorf("GET /api/v4/user after deprovisioning = %d, want 401", status)
		}
	})
}

// TestCertificateRotationThroughCrewjam rotates the IdP's signing key the
// way an owner does it: the group trusts the old and the new certificate at
// once, crewjam's IdentityProvider signs with either, and both sign in;
// once the old certificate is dropped, its signatures are refused.
func TestCertificateRotationThroughCrewjam(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		next := &samltest.IdP{EntityID: e.okta.EntityID, SSOURL: e.okta.SSOURL, Keys: samltest.Keys("okta-next")}
		md, err := e.nodes[0].svc.Metadata(e.group)
		if err != nil {
			t.Fatal(err)
		}
		signer := func(idp *samltest.IdP) *crewjam.IdentityProvider {
			return idp.Crewjam(t, md, samltest.Session("00u1alice", time.Now()), time.Now())
		}
		e.trust(e.group, e.okta, func(c *gatehouse.SAMLConfig) {
			c.Certificates = append(c.Certificates, string(next.Keys.CertPEM()))
		})
		for _, tc := range []struct {
			name string
			idp  *samltest.IdP
		}{{"old key", e.okta}, {"new key", next}} {
			b := e.browser()
			resp, _ := samltest.SignIn(t, signer(tc.idp), b.start("acme.corp", ""))
			b.continueTo(b.callback("acme.corp", resp, ""), "/-/account")
			b.wantSignedInAs("alice")
			b = e.browser()
			b.continueTo(b.callback("acme.corp", samltest.Unsolicited(t, signer(tc.idp), e.nodes[0].svc.EntityID(e.group), ""), ""), "/-/account")
			b.wantSignedInAs("alice")
		}

		// The rotation is over: only the new certificate is trusted.
		e.trust(e.group, next, func(*gatehouse.SAMLConfig) {})
		b := e.browser()
		resp, _ := samltest.SignIn(t, signer(e.okta), b.start("acme.corp", ""))
		e.wantFailure("a response signed with the retired key", e.group, b.callback("acme.corp", resp, ""), http.StatusBadRequest, "invalid")
		b = e.browser()
		resp, _ = samltest.SignIn(t, signer(next), b.start("acme.corp", ""))
		b.continueTo(b.callback("acme.corp", resp, ""), "/-/account")
		b.wantSignedInAs("alice")
	})
}

// requestID reads the ID of a redirect-binding SAMLRequest (base64 of
// raw DEFLATE).
func requestID(t *testing.T, samlRequest string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlRequest)
	if err != nil {
		t.Fatal(err)
	}
	xml, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<20))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(` ID="([^"]+)"`).FindSubmatch(xml)
	if m == nil {
		t.Fatalf("no ID in the AuthnRequest %s", xml)
	}
	return string(m[1])
}

// TestIdPStatusMessageIsEscaped: the IdP's StatusMessage of a refused
// response is shown, on the person's failure page and in the owner's SAML
// log entry, as quoted text, never as markup (security.md §1.19).
func TestIdPStatusMessageIsEscaped(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		people(t, e)
		const markup = `<script>alert("owned")</script><img src=x onerror=alert(1)>`
		spec := e.okta.Spec(e.nodes[0].svc.SP(e.group), nowUTC())
		spec.Status = "urn:oasis:names:tc:SAML:2.0:status:Responder"
		spec.SubStatus = "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
		spec.StatusMessage = markup
		res := e.browser().callback("acme.corp", samltest.Encode(e.okta.Response(t, spec)), "")
		e.wantFailure("a refused response with markup in its StatusMessage", e.group, res, http.StatusBadRequest, "invalid")
		if strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, "<img src") {
			t.Errorf("the failure page renders the IdP's markup:\n%s", res.body)
		}
		m := refPattern.FindStringSubmatch(res.body)
		if m == nil {
			t.Fatal("no reference on the failure page")
		}
		page := e.signIn("olga").get("/groups/acme.corp/-/saml/log/" + m[1])
		if page.status != http.StatusOK {
			t.Fatalf("the owner's log entry = %d", page.status)
		}
		if strings.Contains(page.body, "<script>alert") || strings.Contains(page.body, "<img src") {
			t.Errorf("the owner's SAML log entry renders the IdP's markup:\n%s", page.body)
		}
		if !strings.Contains(page.body, `with the message &#34;\u003cscript\u003ealert(`) {
			t.Errorf("the owner's SAML log entry does not show the StatusMessage as quoted text:\n%s", page.body)
		}
	})
}
