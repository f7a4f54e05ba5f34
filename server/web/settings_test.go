package web_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"encoding/xml"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

const settingsPage = "/groups/acme.corp/-/saml"

// people adds to e the owner olga, the developer mia (members of
// acme.corp) and sam, who belongs to no group, all with alicePassword.
func people(t *testing.T, e *env) map[string]*gatehouse.User {
	t.Helper()
	ctx := context.Background()
	out := map[string]*gatehouse.User{}
	for _, p := range []struct {
		name string
		role gatehouse.Role
	}{{"olga", gatehouse.Owner}, {"mia", gatehouse.Developer}, {"sam", 0}} {
		u, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: p.name, Email: p.name + "@example.com", Password: alicePassword})
		if err != nil {
			t.Fatal(err)
		}
		if p.role != 0 {
			if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", p.name, p.role); err != nil {
				t.Fatal(err)
			}
		}
		out[p.name] = u
	}
	return out
}

// signIn is a browser signed in with the password of login.
func (e *env) signIn(login string) *browser {
	e.t.Helper()
	b := e.browser()
	if res := b.post("/users/sign_in", url.Values{"login": {login}, "password": {alicePassword}}); res.status != http.StatusSeeOther {
		e.t.Fatalf("sign in as %s = %d\n%s", login, res.status, res.body)
	}
	return b
}

// upload posts a multipart form with fields and files (field name → file
// contents) to path.
func (b *browser) upload(path string, fields url.Values, files map[string]string, header ...string) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v)
		}
	}
	for k, v := range files {
		fw, err := mw.CreateFormFile(k, k+".dat")
		if err != nil {
			b.t.Fatal(err)
		}
		io.WriteString(fw, v)
	}
	mw.Close()
	r := httptest.NewRequest("POST", samltest.Base+path, &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	for _, c := range b.cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	b.node.h.ServeHTTP(w, r)
	res := w.Result()
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: w.Body.String(), header: res.Header}
}

// wantBody reports each phrase the body lacks; phrases are compared with
// the body's HTML unescaped.
func wantBody(t *testing.T, what string, res response, phrases ...string) {
	t.Helper()
	text := html.UnescapeString(res.body)
	for _, p := range phrases {
		if !strings.Contains(text, p) {
			t.Errorf("%s: the page does not say %q\n%s", what, p, res.body)
		}
	}
}

func TestSettingsAccess(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		people(t, e)
		if _, _, err := e.adm.ResetSCIMTokens(context.Background(), admin.System, "acme.corp"); err != nil {
			t.Fatal(err)
		}
		tokens, _ := e.s.ListSCIMTokens(context.Background(), e.group.ID)
		id := itoa(e.group.ID)
		for _, tc := range []struct {
			name, who, path string
			status          int
			location        string
		}{
			{"owner", "olga", settingsPage, http.StatusOK, ""},
			{"owner by group id", "olga", "/groups/" + id + "/-/saml", http.StatusOK, ""},
			{"member", "mia", settingsPage, http.StatusForbidden, ""},
			{"stranger", "sam", settingsPage, http.StatusNotFound, ""},
			{"stranger, group that does not exist", "sam", "/groups/nowhere/-/saml", http.StatusNotFound, ""},
			{"signed out", "", settingsPage, http.StatusSeeOther, "/users/sign_in?return_to=" + url.QueryEscape(settingsPage)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				b := e.browser()
				if tc.who != "" {
					b = e.signIn(tc.who)
				}
				res := b.get(tc.path)
				if res.status != tc.status || res.location != tc.location {
					t.Fatalf("GET %s as %q = %d %q, want %d %q\n%s", tc.path, tc.who, res.status, res.location, tc.status, tc.location, res.body)
				}
				if tc.status != http.StatusOK {
					if strings.Contains(res.body, "api/scim/v2") {
						t.Errorf("GET %s as %q shows the settings", tc.path, tc.who)
					}
					return
				}
				wantBody(t, "owner's page", res,
					samltest.Base+"/groups/acme.corp", samltest.Base+"/groups/acme.corp/-/saml/callback",
					samltest.Base+"/groups/acme.corp/-/saml/sso", samltest.Base+"/groups/acme.corp/-/saml/metadata",
					"Renaming the group's path changes every one of them", "must equal the SCIM",
					samltest.Base+"/api/scim/v2/groups/"+id, fmt.Sprintf("#%d", tokens[0].ID), "never",
					e.okta.EntityID, "Verify SAML configuration")
				if strings.Contains(res.body, gatehouse.SCIMTokenPrefix) {
					t.Errorf("the page shows a SCIM token secret")
				}
				if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
					t.Errorf("Content-Security-Policy = %q", csp)
				}
			})
		}

		// No POST works for anyone but the owner.
		posts := []struct {
			path string
			form url.Values
		}{
			{settingsPage, url.Values{"mode": {"fingerprint"}, "sso_url": {"https://evil.example/sso"}, "fingerprint": {strings.Repeat("ab", 32)}, "idp_entity_id": {"evil"}}},
			{settingsPage + "/scim_token", url.Values{"action": {"reset"}}},
			{settingsPage + "/scim_token", url.Values{"action": {"revoke"}, "id": {itoa(tokens[0].ID)}}},
			{settingsPage + "/verify", url.Values{}},
			{settingsPage + "/group_links", url.Values{"action": {"add"}, "idp_group": {"x"}, "role": {"owner"}}},
		}
		for _, who := range []struct {
			login  string
			status int
		}{{"", http.StatusUnauthorized}, {"mia", http.StatusForbidden}, {"sam", http.StatusNotFound}} {
			b := e.browser()
			if who.login != "" {
				b = e.signIn(who.login)
			}
			for _, p := range posts {
				if res := b.post(p.path, p.form); res.status != who.status || res.location != "" {
					t.Errorf("POST %s %v as %q = %d %q, want %d", p.path, p.form, who.login, res.status, res.location, who.status)
				}
			}
		}
		after, _ := e.s.ListSCIMTokens(context.Background(), e.group.ID)
		cfg, _ := e.s.FindSAMLConfig(context.Background(), e.group.ID)
		if len(after) != 1 || after[0].ID != tokens[0].ID || cfg.IdPEntityID != e.okta.EntityID {
			t.Errorf("refused POSTs changed something: tokens %v, IdP %q", after, cfg.IdPEntityID)
		}
	})
}

func TestSettingsConfigure(t *testing.T) {
	entra := samltest.NewIdP("entra")
	sha256 := saml.Fingerprint(entra.Keys.Cert, false)
	sha1 := saml.Fingerprint(entra.Keys.Cert, true)
	next := samltest.Keys("entra-next")
	for _, tc := range []struct {
		name   string
		fields url.Values
		files  map[string]string
		check  func(*gatehouse.SAMLConfig) string
		says   []string
	}{
		{"metadata file from crewjam's IdP", url.Values{"mode": {"metadata_file"}, "default_role": {"developer"}, "clock_skew": {"90"}, "allow_idp_initiated": {"1"}},
			map[string]string{"metadata_file": "{crewjam metadata}"},
			func(c *gatehouse.SAMLConfig) string {
				if c.IdPEntityID != samltest.NewIdP("okta").EntityID || len(c.Certificates) != 1 || c.MetadataXML == "" || c.ClockSkew != 90*time.Second || !c.AllowIdPInitiated {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}, []string{"The SAML settings were saved."}},
		{"SSO URL and pasted PEM", url.Values{"mode": {"certificate"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"certificate": {string(entra.Keys.CertPEM())}, "enforce_sso": {"1"}}, nil,
			func(c *gatehouse.SAMLConfig) string {
				if c.IdPEntityID != entra.EntityID || c.SSOURL != entra.SSOURL || len(c.Certificates) != 1 || !c.EnforceSSO || c.AllowIdPInitiated {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}, []string{"The SAML settings were saved.", strings.ToUpper(sha256[:2]) + ":"}},
		{"SSO URL, uploaded PEM and a second pasted for the rotation", url.Values{"mode": {"certificate"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"certificate2": {string(next.CertPEM())}}, map[string]string{"certificate_file": string(entra.Keys.CertPEM())},
			func(c *gatehouse.SAMLConfig) string {
				if len(c.Certificates) != 2 {
					return fmt.Sprintf("%d certificates", len(c.Certificates))
				}
				return ""
			}, []string{"The SAML settings were saved."}},
		{"SHA-256 fingerprint", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID}, "fingerprint": {sha256}}, nil,
			func(c *gatehouse.SAMLConfig) string {
				if len(c.Fingerprints) != 1 || c.Fingerprints[0] != sha256 || len(c.Certificates) != 0 {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}, []string{"The SAML settings were saved."}},
		{"SHA-1 fingerprint with colons", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID}, "fingerprint": {colons(sha1)}}, nil,
			func(c *gatehouse.SAMLConfig) string {
				if len(c.Fingerprints) != 1 || c.Fingerprints[0] != sha1 {
					return fmt.Sprintf("%+v", c)
				}
				return ""
			}, []string{"The SAML settings were saved.", "the fingerprint is SHA-1, which is weak"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				people(t, e)
				files := map[string]string{}
				for k, v := range tc.files {
					if v == "{crewjam metadata}" {
						md, err := xml.Marshal(e.crewjam("x").Metadata())
						if err != nil {
							t.Fatal(err)
						}
						v = string(md)
					}
					files[k] = v
				}
				b := e.signIn("olga")
				res := b.upload(settingsPage, tc.fields, files)
				if res.status != http.StatusOK {
					t.Fatalf("POST settings = %d\n%s", res.status, res.body)
				}
				wantBody(t, "saved", res, tc.says...)
				c, err := e.s.FindSAMLConfig(context.Background(), e.group.ID)
				if err != nil {
					t.Fatal(err)
				}
				if bad := tc.check(c); bad != "" {
					t.Errorf("stored configuration: %s", bad)
				}
				g, _ := e.s.FindGroupByID(context.Background(), e.group.ID)
				if role := tc.fields.Get("default_role"); role != "" && g.DefaultRole.String() != role {
					t.Errorf("default role = %s, want %s", g.DefaultRole, role)
				}
			})
		})
	}
}

func TestSettingsBadInput(t *testing.T) {
	entra := samltest.NewIdP("entra")
	for _, tc := range []struct {
		name   string
		fields url.Values
		files  map[string]string
		status int
		says   string
		kept   string // a value typed that the form shows again (an input's value, else as is)
	}{
		{"no mode", url.Values{"sso_url": {entra.SSOURL}}, nil, 400, "choose how to give the identity provider", entra.SSOURL},
		{"http SSO URL", url.Values{"mode": {"certificate"}, "sso_url": {"http://idp.example/sso"}, "idp_entity_id": {"kept-issuer"},
			"certificate": {string(entra.Keys.CertPEM())}}, nil, 400, "must be an https URL", "kept-issuer"},
		{"certificate that is not PEM", url.Values{"mode": {"certificate"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"certificate": {"not a certificate"}}, nil, 400, "holds no PEM certificate", ">not a certificate</textarea>"},
		{"no certificate", url.Values{"mode": {"certificate"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID}}, nil, 400, "upload or paste", entra.EntityID},
		{"no issuer", url.Values{"mode": {"certificate"}, "sso_url": {entra.SSOURL}, "certificate": {string(entra.Keys.CertPEM())}}, nil, 400, "entity ID (issuer) is required", entra.SSOURL},
		{"short fingerprint", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID}, "fingerprint": {"ab:cd"}}, nil, 400, "is not a SHA-256 fingerprint", "ab:cd"},
		{"metadata that is not metadata", url.Values{"mode": {"metadata_file"}}, map[string]string{"metadata_file": "<html>nope</html>"}, 400, "IdP metadata", ""},
		{"no metadata file", url.Values{"mode": {"metadata_file"}}, nil, 400, "choose the identity provider's metadata file", ""},
		{"metadata URL over http", url.Values{"mode": {"metadata_url"}, "metadata_url": {"http://idp.example/md"}}, nil, 400, "https", "http://idp.example/md"},
		{"metadata file too large", url.Values{"mode": {"metadata_file"}}, map[string]string{"metadata_file": strings.Repeat("x", 600<<10)}, 400, "larger than 512 KiB", ""},
		{"clock skew too large", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"fingerprint": {saml.Fingerprint(entra.Keys.Cert, false)}, "clock_skew": {"3600"}}, nil, 400, "clock skew", "3600"},
		{"clock skew not a number", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"fingerprint": {saml.Fingerprint(entra.Keys.Cert, false)}, "clock_skew": {"soon"}}, nil, 400, "whole number of seconds", "soon"},
		{"unknown role", url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"fingerprint": {saml.Fingerprint(entra.Keys.Cert, false)}, "default_role": {"emperor"}}, nil, 400, "default membership role", entra.SSOURL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				people(t, e)
				b := e.signIn("olga")
				res := b.upload(settingsPage, tc.fields, tc.files)
				if res.status != tc.status {
					t.Fatalf("POST settings = %d, want %d\n%s", res.status, tc.status, res.body)
				}
				wantBody(t, "refused", res, tc.says, "Nothing was saved")
				switch {
				case strings.HasPrefix(tc.kept, ">"):
					wantBody(t, "refused form", res, tc.kept)
				case tc.kept != "":
					wantBody(t, "refused form", res, `value="`+tc.kept+`"`)
				}
				c, err := e.s.FindSAMLConfig(context.Background(), e.group.ID)
				if err != nil || c.IdPEntityID != e.okta.EntityID {
					t.Errorf("the refused form changed the configuration: %+v, %v", c, err)
				}
			})
		})
	}
}

var newToken = regexp.MustCompile(`id="new-token" class="copy" value="(` + gatehouse.SCIMTokenPrefix + `[^"]+)"`)

// scimStatus is the status of GET …/Users on the group's SCIM endpoint
// (by id) with the bearer token, on a fresh server (no token cache).
func (e *env) scimStatus(token string) int {
	e.t.Helper()
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", BaseURL: samltest.Base, DB: e.s,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		e.t.Fatal(err)
	}
	(&scimhttp.Handler{Store: e.s, Provision: &provision.Service{Store: e.s}, BaseURL: samltest.Base}).Register(srv)
	r := httptest.NewRequest("GET", samltest.Base+"/api/scim/v2/groups/"+itoa(e.group.ID)+"/Users", nil)
	r.Header.Set("Authorization", "Bearer "+token)
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, r)
	return w.Code
}

// tokenAction presses a SCIM token button and returns the page and the
// new token it shows, if any.
func (b *browser) tokenAction(form url.Values, status int) (response, string) {
	b.t.Helper()
	res := b.post(settingsPage+"/scim_token", form)
	if res.status != status {
		b.t.Fatalf("POST scim_token %v = %d, want %d\n%s", form, res.status, status, res.body)
	}
	m := newToken.FindStringSubmatch(res.body)
	if m == nil {
		return res, ""
	}
	return res, m[1]
}

func TestSettingsSCIMTokens(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		people(t, e)
		b := e.signIn("olga")
		if res := b.get(settingsPage); !strings.Contains(res.body, "Generate a SCIM token") {
			t.Errorf("a group without tokens offers no Generate button\n%s", res.body)
		}
		res, first := b.tokenAction(url.Values{"action": {"reset"}}, http.StatusOK)
		if first == "" {
			t.Fatalf("Generate shows no token\n%s", res.body)
		}
		wantBody(t, "generated", res, "Copy it now", "shown only this once", "The group's first SCIM token was generated.")
		if strings.Contains(res.body, "replaces every earlier one") {
			t.Errorf("the first token is said to replace earlier ones\n%s", res.body)
		}
		if got := e.scimStatus(first); got != http.StatusOK {
			t.Errorf("GET Users with the new token = %d, want 200", got)
		}
		page := b.get(settingsPage)
		if strings.Contains(page.body, first) || strings.Contains(page.body, gatehouse.SCIMTokenPrefix) {
			t.Errorf("the settings page shows the token again")
		}
		wantBody(t, "page with a token", page, "Reset SCIM token", "Add a second token", "Revoke")

		// Reset replaces it.
		res, second := b.tokenAction(url.Values{"action": {"reset"}}, http.StatusOK)
		if second == "" || second == first {
			t.Fatalf("Reset shows token %q after %q", second, first)
		}
		wantBody(t, "reset", res, "replaces every earlier one")
		if a, b := e.scimStatus(first), e.scimStatus(second); a != http.StatusUnauthorized || b != http.StatusOK {
			t.Errorf("after reset: old token %d, new %d, want 401 and 200", a, b)
		}

		// A second one for a rotation; then no third.
		res, third := b.tokenAction(url.Values{"action": {"create"}}, http.StatusOK)
		if third == "" || e.scimStatus(second) != http.StatusOK || e.scimStatus(third) != http.StatusOK {
			t.Errorf("after adding a second token both must work")
		}
		if strings.Contains(res.body, "Add a second token") {
			t.Errorf("a group with two tokens is offered a third")
		}
		res, none := b.tokenAction(url.Values{"action": {"create"}}, http.StatusConflict)
		if none != "" {
			t.Errorf("a third token was made")
		}
		wantBody(t, "third token", res, "already has 2 SCIM tokens")

		// Revoke the older one.
		tokens, _ := e.s.ListSCIMTokens(context.Background(), e.group.ID)
		var oldest int64
		for _, tk := range tokens {
			if oldest == 0 || tk.ID < oldest {
				oldest = tk.ID
			}
		}
		res, _ = b.tokenAction(url.Values{"action": {"revoke"}, "id": {itoa(oldest)}}, http.StatusOK)
		wantBody(t, "revoked", res, "was revoked")
		if a, b := e.scimStatus(second), e.scimStatus(third); a != http.StatusUnauthorized || b != http.StatusOK {
			t.Errorf("after revoking: revoked token %d, other %d, want 401 and 200", a, b)
		}
		b.tokenAction(url.Values{"action": {"revoke"}, "id": {itoa(oldest)}}, http.StatusNotFound)
		b.tokenAction(url.Values{"action": {"explode"}}, http.StatusBadRequest)

		// Another group's token cannot be revoked from this page.
		_, otherTok, err := e.adm.ResetSCIMTokens(context.Background(), admin.System, "other")
		if err != nil {
			t.Fatal(err)
		}
		b.tokenAction(url.Values{"action": {"revoke"}, "id": {itoa(otherTok.ID)}}, http.StatusNotFound)
	})
}

func TestSettingsCrossOrigin(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		people(t, e)
		b := e.signIn("olga")
		entra := samltest.NewIdP("entra")
		for _, p := range []struct {
			path string
			form url.Values
		}{
			{settingsPage, url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID}, "fingerprint": {saml.Fingerprint(entra.Keys.Cert, false)}}},
			{settingsPage + "/scim_token", url.Values{"action": {"reset"}}},
			{settingsPage + "/verify", url.Values{}},
			{settingsPage + "/group_links", url.Values{"action": {"add"}, "idp_group": {"x"}, "role": {"owner"}}},
		} {
			for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
				res := b.do("POST", p.path, p.form, true, h...)
				if res.status != http.StatusForbidden || !strings.Contains(res.body, "sent from another site") {
					t.Errorf("cross-origin POST %s (%s) = %d, want 403\n%s", p.path, h[0], res.status, res.body)
				}
			}
		}
		res := b.upload(settingsPage, url.Values{"mode": {"fingerprint"}, "sso_url": {entra.SSOURL}, "idp_entity_id": {entra.EntityID},
			"fingerprint": {saml.Fingerprint(entra.Keys.Cert, false)}}, nil, "Sec-Fetch-Site", "cross-site")
		if res.status != http.StatusForbidden {
			t.Errorf("cross-site multipart POST = %d, want 403", res.status)
		}
		c, _ := e.s.FindSAMLConfig(context.Background(), e.group.ID)
		tokens, _ := e.s.ListSCIMTokens(context.Background(), e.group.ID)
		if c.IdPEntityID != e.okta.EntityID || len(tokens) != 0 {
			t.Errorf("cross-origin POSTs changed something: IdP %q, %d tokens", c.IdPEntityID, len(tokens))
		}
	})
}

// verify starts "Verify SAML configuration" in b and returns the IdP URL.
func (b *browser) verify() string {
	b.t.Helper()
	res := b.post(settingsPage+"/verify", url.Values{})
	if res.status != http.StatusFound || !strings.HasPrefix(res.location, "https://") {
		b.t.Fatalf("POST verify = %d %q, want 302 to the IdP\n%s", res.status, res.location, res.body)
	}
	return res.location
}

func TestVerifySAMLConfiguration(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		ppl := people(t, e)
		olga := ppl["olga"]

		t.Run("success signs nobody in and links nothing", func(t *testing.T) {
			b := e.signIn("olga")
			session := b.cookies["gatehouse_session"].Value
			resp, _ := samltest.SignIn(t, e.crewjam("00u1olga"), b.verify())
			cb := b.callback("acme.corp", resp, "")
			if cb.status != http.StatusSeeOther || b.cookies["gatehouse_session"].Value != session {
				t.Fatalf("callback = %d %q, want 303 to the continue step and the same session", cb.status, cb.location)
			}
			res := b.follow(cb)
			if res.status != http.StatusOK {
				t.Fatalf("continue = %d %q, want 200\n%s", res.status, res.location, res.body)
			}
			wantBody(t, "verify page", res, "passed every check", "nobody was signed in", "00u1olga",
				"urn:oasis:names:tc:SAML:2.0:nameid-format:persistent", "signature", "audience", "pass",
				"alice@example.com", "none (your account is not linked")
			if strings.Contains(res.body, ">fail<") {
				t.Errorf("a passing response shows a failed check\n%s", res.body)
			}
			if c := b.cookies["gatehouse_session"]; c == nil || c.Value != session {
				t.Errorf("the test changed the session cookie")
			}
			b.wantSignedInAs("olga")
			if _, err := e.s.FindIdentityByExternUID(ctx, e.group.ID, "00u1olga"); !gatehouse.IsKind(err, gatehouse.NotFound) {
				t.Errorf("FindIdentityByExternUID(00u1olga) = %v, want NotFound: the test linked an identity", err)
			}
			if _, err := e.s.FindIdentityByUser(ctx, e.group.ID, olga.ID); !gatehouse.IsKind(err, gatehouse.NotFound) {
				t.Errorf("FindIdentityByUser(olga) = %v, want NotFound", err)
			}
			// Nothing to replay: the continue URL and the response were used.
			if again := b.get(cb.location); again.status == http.StatusOK {
				t.Errorf("the continue URL of a test works twice")
			}
			e.wantFailure("the test's response again", e.group, e.browser().callback("acme.corp", resp, ""), http.StatusBadRequest, "invalid")
			// A stranger's browser cannot see the result.
			other := e.signIn("olga")
			resp, _ = samltest.SignIn(t, e.crewjam("00u1olga"), other.verify())
			cb = other.callback("acme.corp", resp, "")
			if res := e.browser().get(cb.location); res.status != http.StatusForbidden || strings.Contains(res.body, "00u1olga") {
				t.Errorf("continue of a test in another browser = %d, want 403 without the result\n%s", res.status, res.body)
			}
		})

		t.Run("untrusted key shows the failed check", func(t *testing.T) {
			b := e.signIn("olga")
			attacker := &samltest.IdP{EntityID: e.okta.EntityID, SSOURL: e.okta.SSOURL, Keys: samltest.Keys("attacker")}
			md, err := e.nodes[0].svc.Metadata(e.group)
			if err != nil {
				t.Fatal(err)
			}
			cidp := attacker.Crewjam(t, md, samltest.Session("00u1olga", time.Now()), time.Now())
			resp, _ := samltest.SignIn(t, cidp, b.verify())
			res := b.callback("acme.corp", resp, "")
			if res.status != http.StatusBadRequest || res.location != "" {
				t.Fatalf("callback = %d %q, want 400 and no redirect\n%s", res.status, res.location, res.body)
			}
			wantBody(t, "failed test", res, "The response was refused", "by the check “certificate”", "fail", "nobody was signed in")
			if strings.Contains(res.body, "<saml") {
				t.Errorf("the page shows XML")
			}
			// The same forged response without a test request gets the
			// usual failure page.
			b2 := e.browser()
			resp, _ = samltest.SignIn(t, cidp, b2.start("acme.corp", ""))
			e.wantFailure("untrusted sign-in", e.group, b2.callback("acme.corp", resp, ""), http.StatusBadRequest, "invalid")
			if strings.Contains(b2.callback("acme.corp", resp, "").body, "Verify SAML configuration") {
				t.Errorf("a sign-in's failure shows the test page")
			}
		})

		t.Run("stored NameID differs", func(t *testing.T) {
			if err := e.s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: e.group.ID, UserID: olga.ID, ExternUID: "olga@acme.example", State: gatehouse.IdentityActive}); err != nil {
				t.Fatal(err)
			}
			b := e.signIn("olga")
			resp, _ := samltest.SignIn(t, e.crewjam("00u1olga"), b.verify())
			res := b.follow(b.callback("acme.corp", resp, ""))
			wantBody(t, "verify page", res, `must match the stored NameID of "olga@acme.example"`, "passed every check")
			ident, err := e.s.FindIdentityByUser(ctx, e.group.ID, olga.ID)
			if err != nil || ident.ExternUID != "olga@acme.example" {
				t.Errorf("the test changed the identity: %+v, %v", ident, err)
			}
			// An email NameID gets the advice too.
			resp, _ = samltest.SignIn(t, e.crewjam("olga2@acme.example"), b.verify())
			res = b.follow(b.callback("acme.corp", resp, ""))
			wantBody(t, "email NameID", res, "instead of email")
		})

		t.Run("group links without a groups attribute", func(t *testing.T) {
			link, _, err := e.adm.AddGroupLink(ctx, admin.System, e.group.Path, "Engineering", gatehouse.Developer)
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if _, err := e.adm.RemoveGroupLink(ctx, admin.System, e.group.Path, link.ID); err != nil {
					t.Fatal(err)
				}
			}()
			b := e.signIn("olga")
			resp, _ := samltest.SignIn(t, e.crewjam("00u1olga"), b.verify())
			res := b.follow(b.callback("acme.corp", resp, ""))
			wantBody(t, "verify page", res, "The group has 1 group links, but the response carries no groups attribute", "passed every check")
		})

		t.Run("only owners", func(t *testing.T) {
			if res := e.signIn("mia").post(settingsPage+"/verify", url.Values{}); res.status != http.StatusForbidden {
				t.Errorf("POST verify as a member = %d, want 403", res.status)
			}
		})
	})
}

// colons spells a hex fingerprint with colons between bytes.
func colons(fp string) string {
	var parts []string
	for i := 0; i < len(fp); i += 2 {
		parts = append(parts, fp[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestSettingsCertificates(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		people(t, e)
		now := time.Now()
		pemOf := func(c *x509.Certificate) string {
			return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
		}
		soon := e.okta.Keys.Certificate("okta-soon", now.AddDate(-1, 0, 0), now.AddDate(0, 0, 10))
		gone := e.okta.Keys.Certificate("okta-gone", now.AddDate(-1, 0, 0), now.AddDate(0, 0, -3))
		e.trust(e.group, e.okta, func(c *gatehouse.SAMLConfig) {
			c.Certificates = append(c.Certificates, pemOf(soon), pemOf(gone))
		})
		res := e.signIn("olga").get(settingsPage)
		wantBody(t, "certificates", res, "CN=okta-soon", "CN=okta-gone", "expires within 30 days", ">expired<",
			"certificate okta-soon (SHA-256 "+saml.Fingerprint(soon, false)+") expires at",
			"certificate okta-gone (SHA-256 "+saml.Fingerprint(gone, false)+") expired at",
			colons(strings.ToUpper(saml.Fingerprint(e.okta.Keys.Cert, false))))
		if strings.Count(res.body, "expires within 30 days") != 1 {
			t.Errorf("more than one certificate is marked as expiring soon")
		}
	})
}
