package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

// signedIn creates an account with a password, makes it a member of the
// group with role (none when role is 0), and returns a browser signed in
// as it.
func (e *env) signedIn(username string, role gatehouse.Role) (*browser, *gatehouse.User) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: username, Email: username + "@example.com", Password: alicePassword})
	if err != nil {
		e.t.Fatal(err)
	}
	if role != 0 {
		if _, err := e.adm.SetMember(ctx, admin.System, e.group.Path, username, role); err != nil {
			e.t.Fatal(err)
		}
	}
	b := e.browser()
	if res := b.post("/users/sign_in", url.Values{"login": {username}, "password": {alicePassword}}); res.status != http.StatusSeeOther {
		e.t.Fatalf("password sign-in of %s = %d\n%s", username, res.status, res.body)
	}
	return b, u
}

// wantPage checks a page's status and that its body holds each of want.
func wantPage(t *testing.T, what string, res response, status int, want ...string) {
	t.Helper()
	if res.status != status {
		t.Errorf("%s = %d %q, want %d\n%s", what, res.status, res.location, status, mainOf(res.body))
		return
	}
	for _, w := range want {
		if !strings.Contains(res.body, w) {
			t.Errorf("%s: the page lacks %q\n%s", what, w, mainOf(res.body))
		}
	}
}

// mainOf is the page's main element, what a failure message shows.
func mainOf(body string) string {
	if _, after, ok := strings.Cut(body, "<main>"); ok {
		return after
	}
	return body
}

func TestOwnerPagesRefusals(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		alice, err := e.s.FindUserByID(context.Background(), si.UserID)
		if err != nil {
			t.Fatal(err)
		}
		resp := e.signed(e.group, e.okta, "nobody", "")
		failed := e.browser().callback("acme.corp", resp, "")
		ref := refPattern.FindStringSubmatch(failed.body)[1]

		owner, _ := e.signedIn("boss", gatehouse.Owner)
		dev, _ := e.signedIn("dev", gatehouse.Developer)
		stranger, _ := e.signedIn("stranger", 0)
		if _, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "erin", Email: "erin@example.com"}); err != nil {
			t.Fatal(err)
		}
		out := e.browser()

		aliceID := itoa(alice.ID)
		for _, tc := range []struct {
			name, method, path string
			form               url.Values
			ownerStatus        int
		}{
			{"members", "GET", "/groups/acme.corp/-/members", nil, http.StatusOK},
			{"members by group id", "GET", "/groups/" + itoa(e.group.ID) + "/-/members", nil, http.StatusOK},
			{"identity", "GET", "/groups/acme.corp/-/members/" + aliceID, nil, http.StatusOK},
			{"SAML log", "GET", "/groups/acme.corp/-/saml/log", nil, http.StatusOK},
			{"SAML log entry", "GET", "/groups/acme.corp/-/saml/log/" + ref, nil, http.StatusOK},
			{"SCIM log", "GET", "/groups/acme.corp/-/scim/log", nil, http.StatusOK},
			{"add member", "POST", "/groups/acme.corp/-/members", url.Values{"username": {"erin"}, "role": {"guest"}}, http.StatusSeeOther},
			{"change role", "POST", "/groups/acme.corp/-/members/" + aliceID + "/role", url.Values{"role": {"reporter"}}, http.StatusSeeOther},
			{"set extern_uid", "POST", "/groups/acme.corp/-/members/" + aliceID + "/extern_uid", url.Values{"extern_uid": {"00u9alice"}}, http.StatusSeeOther},
		} {
			t.Run(tc.name, func(t *testing.T) {
				req := func(b *browser, header ...string) response {
					return b.do(tc.method, tc.path, tc.form, true, header...)
				}
				if res := req(out); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in?return_to=") {
					t.Errorf("signed out: %s %s = %d %q, want 303 to the sign-in page", tc.method, tc.path, res.status, res.location)
				} else if back, _ := url.Parse(res.location); tc.method == "GET" && back.Query().Get("return_to") != tc.path {
					t.Errorf("signed out: return_to = %q, want %q", back.Query().Get("return_to"), tc.path)
				}
				wantPage(t, "stranger: "+tc.path, req(stranger), http.StatusNotFound)
				wantPage(t, "developer: "+tc.path, req(dev), http.StatusForbidden, "only an owner")
				if tc.method == "POST" {
					wantPage(t, "cross-site: "+tc.path, req(owner, "Sec-Fetch-Site", "cross-site"), http.StatusForbidden, "another site")
				}
				wantPage(t, "owner: "+tc.path, req(owner), tc.ownerStatus)
			})
		}
		// Another group's owner is a stranger to this one.
		if res := owner.get("/groups/other/-/members"); res.status != http.StatusNotFound {
			t.Errorf("boss on other's members = %d, want 404", res.status)
		}
	})
}

func TestMembersPage(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		owner, boss := e.signedIn("boss", gatehouse.Owner)
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		// carol has a personal account the IdP provisions: pending link.
		if _, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "carol", Email: "carol@example.com"}); err != nil {
			t.Fatal(err)
		}
		e.provision("00u1carol", "carol.idp", "carol@example.com")
		dan := e.provision("00u1dan", "dan@acme.example", "dan@acme.example")
		e.patch(dan, scimpatch.Operation{Op: "replace", Path: "active", Value: false})
		if _, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "erin", Email: "erin@example.com"}); err != nil {
			t.Fatal(err)
		}
		// alice signs in once.
		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""), "/-/account")

		page := owner.get("/groups/acme.corp/-/members")
		wantPage(t, "members", page, http.StatusOK, "4 members", "Deprovisioned by the identity provider")
		rows := rowsOf(page.body)
		for _, tc := range []struct{ user, want string }{
			{"alice", "linked as <code>00u1alice</code>"},
			{"alice", "active (<code>00u1alice</code>)"},
			{"alice", "UTC"}, // her last SSO sign-in
			{"carol", "not linked"},
			{"carol", "pending link (<code>00u1carol</code>)"},
			{"carol", "(pending link: no access until linked)"},
			{"dan", "inactive (<code>00u1dan</code>)"},
			{"boss", "never"},
			{"boss", "not linked"},
			{"boss", "<option value=\"owner\" selected>"},
		} {
			if !strings.Contains(rows[tc.user], tc.want) {
				t.Errorf("the row of %s lacks %q:\n%s", tc.user, tc.want, rows[tc.user])
			}
		}

		// Add erin, change her role, and the notices come from the database.
		res := owner.post("/groups/acme.corp/-/members", url.Values{"username": {"Erin"}, "role": {"developer"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("add erin = %d\n%s", res.status, res.body)
		}
		wantPage(t, "after adding erin", owner.follow(res), http.StatusOK, "erin is now a developer of acme.corp.")
		erin, _ := e.s.FindUserByUsername(ctx, "erin")
		res = owner.post("/groups/acme.corp/-/members/"+itoa(erin.ID)+"/role", url.Values{"role": {"maintainer"}})
		wantPage(t, "after changing erin's role", owner.follow(res), http.StatusOK, "erin is now a maintainer")
		if m, err := e.s.FindMember(ctx, e.group.ID, erin.ID); err != nil || m.Role != gatehouse.Maintainer {
			t.Errorf("erin's membership = %+v, %v; want maintainer", m, err)
		}

		// acme.corp has two owners (owner and boss): demote one, then the
		// last is refused.
		ownerUser, _ := e.s.FindUserByUsername(ctx, "owner")
		res = owner.post("/groups/acme.corp/-/members/"+itoa(ownerUser.ID)+"/role", url.Values{"role": {"guest"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("demote owner = %d\n%s", res.status, res.body)
		}
		res = owner.post("/groups/acme.corp/-/members/"+itoa(boss.ID)+"/role", url.Values{"role": {"developer"}})
		wantPage(t, "demote the last owner", res, http.StatusBadRequest, "boss is the last owner of acme.corp; make another member owner first.")
		if m, _ := e.s.FindMember(ctx, e.group.ID, boss.ID); m.Role != gatehouse.Owner {
			t.Errorf("boss's role after the refusal = %s, want owner", m.Role)
		}

		for _, tc := range []struct {
			name, path string
			form       url.Values
			status     int
			says       string
		}{
			{"unknown user", "/groups/acme.corp/-/members", url.Values{"username": {"nobody"}, "role": {"guest"}}, http.StatusNotFound, "user \"nobody\" not found."},
			{"no username", "/groups/acme.corp/-/members", url.Values{"username": {""}, "role": {"guest"}}, http.StatusBadRequest, "enter the username"},
			{"a number", "/groups/acme.corp/-/members", url.Values{"username": {"1"}, "role": {"guest"}}, http.StatusBadRequest, "not a number"},
			{"bad role", "/groups/acme.corp/-/members", url.Values{"username": {"erin"}, "role": {"boss"}}, http.StatusBadRequest, "is not one of guest"},
			{"role of a non-member", "/groups/acme.corp/-/members/" + itoa(dan.UserID) + "/role", url.Values{"role": {"guest"}}, http.StatusNotFound, "not a member of acme.corp"},
			{"role of no such user", "/groups/acme.corp/-/members/99999/role", url.Values{"role": {"guest"}}, http.StatusNotFound, "not a member"},
			{"role of a bad id", "/groups/acme.corp/-/members/x1/role", url.Values{"role": {"guest"}}, http.StatusNotFound, "user ids are numbers"},
			{"no role", "/groups/acme.corp/-/members/" + itoa(erin.ID) + "/role", url.Values{}, http.StatusBadRequest, "is not one of guest"},
		} {
			wantPage(t, tc.name, owner.post(tc.path, tc.form), tc.status, html.EscapeString(tc.says))
		}
		wantPage(t, "bad page", owner.get("/groups/acme.corp/-/members?page=abc"), http.StatusBadRequest, "whole number")
		if res := owner.get("/groups/acme.corp/-/members?page=7"); res.status != http.StatusOK || !strings.Contains(res.body, "No members on this page") {
			t.Errorf("page 7 = %d, want an empty page", res.status)
		}
	})
}

var rowPattern = regexp.MustCompile(`(?s)<tr>\s*<td><a href="/groups/[^"]+/-/members/\d+">([^<]+)</a>.*?</tr>`)

// rowsOf returns each table row of the members page by username (the
// last one wins).
func rowsOf(body string) map[string]string {
	rows := map[string]string{}
	for _, m := range rowPattern.FindAllStringSubmatch(body, -1) {
		rows[m[1]] = m[0]
	}
	return rows
}

func TestMembersPaged(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		for i := range 55 {
			name := "user" + itoa(int64(i)) + "x"
			if _, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: name, Email: name + "@example.com"}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", name, gatehouse.Guest); err != nil {
				t.Fatal(err)
			}
		}
		first := owner.get("/groups/acme.corp/-/members")
		wantPage(t, "page 1", first, http.StatusOK, "57 members", `href="/groups/acme.corp/-/members?page=2" rel="next"`)
		if n := len(rowsOf(first.body)); n != 50 {
			t.Errorf("page 1 has %d rows, want 50", n)
		}
		second := owner.get("/groups/acme.corp/-/members?page=2")
		wantPage(t, "page 2", second, http.StatusOK, `href="/groups/acme.corp/-/members" rel="prev"`)
		if n := len(rowsOf(second.body)); n != 7 || strings.Contains(second.body, `rel="next"`) {
			t.Errorf("page 2 has %d rows (want 7) and a next link: %v", n, strings.Contains(second.body, `rel="next"`))
		}
	})
}

func TestIdentityPageChangesExternUID(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		e.provision("00u1bob", "bob@acme.example", "bob@acme.example")
		path := "/groups/acme.corp/-/members/" + itoa(si.UserID)

		// The IdP switched its NameID to the email: the sign-in fails, and
		// the page says why.
		e.wantFailure("NameID changed at the IdP", e.group, e.browser().callback("acme.corp", e.signed(e.group, e.okta, "alice@acme.example", ""), ""),
			http.StatusForbidden, "unknown_name_id")
		wantPage(t, "identity page", owner.get(path), http.StatusOK,
			"Cannot sign in", html.EscapeString(`The identity provider last sent NameID "alice@acme.example"`),
			html.EscapeString(`but the identity's extern_uid is "00u1alice"`),
			"userName", "alice@acme.example", "Given Family", "must be exactly the NameID")

		// Another identity's value, in any case, is refused and nothing moves.
		res := owner.post(path+"/extern_uid", url.Values{"extern_uid": {"00U1BOB"}})
		wantPage(t, "bob's extern_uid", res, http.StatusConflict, "is already used by bob", "letter case is ignored")
		wantPage(t, "empty extern_uid", owner.post(path+"/extern_uid", url.Values{"extern_uid": {""}}), http.StatusBadRequest, "extern_uid cannot be blank")

		res = owner.post(path+"/extern_uid", url.Values{"extern_uid": {"alice@acme.example"}})
		if res.status != http.StatusSeeOther {
			t.Fatalf("set extern_uid = %d\n%s", res.status, res.body)
		}
		wantPage(t, "after the change", owner.follow(res), http.StatusOK, "The extern_uid is saved", "linked")

		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "alice@acme.example", ""), ""), "/-/account")
		b.wantSignedInAs("alice")
		e.wantFailure("the old NameID", e.group, e.browser().callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""),
			http.StatusForbidden, "unknown_name_id")
		got, err := e.prov.Get(context.Background(), e.group.ID, si.SCIMID)
		if err != nil || got.ExternUID != "alice@acme.example" {
			t.Errorf("SCIM identity after the change = %+v, %v; want externalId alice@acme.example, same id", got, err)
		}
		wantPage(t, "identity page after signing in", owner.get(path), http.StatusOK, "Can sign in", html.EscapeString(`NameID "alice@acme.example"`))

		wantPage(t, "a stranger's page", owner.get("/groups/acme.corp/-/members/99999"), http.StatusNotFound)
		wantPage(t, "a bad id", owner.get("/groups/acme.corp/-/members/abc"), http.StatusNotFound)
	})
}

func TestIdentityPageVerdicts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		setup func(e *env) int64
		says  string
	}{
		{"deprovisioned", func(e *env) int64 {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			e.patch(si, scimpatch.Operation{Op: "replace", Path: "active", Value: false})
			return si.UserID
		}, "The identity provider deprovisioned alice"},
		{"deleted", func(e *env) int64 {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			if err := e.prov.Delete(context.Background(), callerOf(e), si.SCIMID, 0); err != nil {
				e.t.Fatal(err)
			}
			return si.UserID
		}, "SCIM identity was deleted"},
		{"pending link", func(e *env) int64 {
			u, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "carol", Email: "carol@example.com"})
			if err != nil {
				e.t.Fatal(err)
			}
			e.provision("00u1carol", "carol.idp", "carol@example.com")
			return u.ID
		}, "sign in to Gatehouse with their password first"},
		{"no identity", func(e *env) int64 {
			u, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "erin", Email: "erin@example.com"})
			if err != nil {
				e.t.Fatal(err)
			}
			if _, err := e.adm.SetMember(context.Background(), admin.System, "acme.corp", "erin", gatehouse.Guest); err != nil {
				e.t.Fatal(err)
			}
			return u.ID
		}, "erin has no SAML identity in this group"},
		{"blocked", func(e *env) int64 {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			u, _ := e.s.FindUserByID(context.Background(), si.UserID)
			u.State = gatehouse.UserBlocked
			if err := e.s.UpdateUser(context.Background(), u); err != nil {
				e.t.Fatal(err)
			}
			return u.ID
		}, "The account alice is blocked"},
		{"SAML not configured", func(e *env) int64 {
			si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
			if err := e.s.DeleteSAMLConfig(context.Background(), e.group.ID); err != nil {
				e.t.Fatal(err)
			}
			return si.UserID
		}, "SAML single sign-on is not configured"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				owner, _ := e.signedIn("boss", gatehouse.Owner)
				id := tc.setup(e)
				wantPage(t, tc.name, owner.get("/groups/acme.corp/-/members/"+itoa(id)), http.StatusOK, "Cannot sign in", tc.says)
			})
		})
	}
}

func TestSAMLLogPage(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		b := e.browser()
		b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), ""), "/-/account")
		unknown := e.browser().callback("acme.corp", e.signed(e.group, e.okta, "<b>nobody</b>", ""), "")
		unknownRef := refPattern.FindStringSubmatch(unknown.body)[1]
		forged := e.browser().callback("acme.corp", e.signed(e.group, e.entra, "00u1alice", ""), "")
		forgedRef := refPattern.FindStringSubmatch(forged.body)[1]

		log := "/groups/acme.corp/-/saml/log"
		const signedIn = `class="ok">signed_in<`
		all := owner.get(log)
		wantPage(t, "SAML log", all, http.StatusOK, "signed_in", "unknown_name_id", "invalid", unknownRef, forgedRef, "&lt;b&gt;nobody&lt;/b&gt;")
		if strings.Contains(all.body, "<b>nobody") {
			t.Errorf("the SAML log shows a NameID unescaped")
		}
		if i, j := strings.Index(all.body, forgedRef), strings.Index(all.body, unknownRef); i > j {
			t.Errorf("the SAML log is not newest first")
		}
		for _, tc := range []struct {
			name, query string
			has, lacks  []string
		}{
			{"outcome", "?outcome=unknown_name_id", []string{unknownRef}, []string{forgedRef, signedIn}},
			// A response that fails its checks has no NameID: it was never verified.
			{"NameID", "?name_id=00U1ALICE", []string{signedIn}, []string{unknownRef, forgedRef}},
			{"both", "?outcome=signed_in&name_id=00u1alice", []string{signedIn}, []string{unknownRef, forgedRef}},
			{"neither", "?outcome=invalid&name_id=00u1alice", []string{"No response matches"}, []string{unknownRef, forgedRef, signedIn}},
		} {
			res := owner.get(log + tc.query)
			wantPage(t, "SAML log "+tc.name, res, http.StatusOK, tc.has...)
			for _, s := range tc.lacks {
				if strings.Contains(res.body, s) {
					t.Errorf("SAML log %s shows %q", tc.name, s)
				}
			}
		}
		wantPage(t, "a bad outcome", owner.get(log+"?outcome=Bad!"), http.StatusBadRequest, "Choose an outcome")
		wantPage(t, "a bad page", owner.get(log+"?page=-1"), http.StatusBadRequest, "whole number")

		// The reference box opens the entry.
		res := owner.get(log + "?ref=" + forgedRef)
		if res.status != http.StatusSeeOther || res.location != log+"/"+forgedRef {
			t.Fatalf("reference search = %d %q, want 303 to the entry", res.status, res.location)
		}
		entry := owner.get(res.location)
		wantPage(t, "entry", entry, http.StatusOK, forgedRef, "00u1alice", "FAIL", "pass", "certificate",
			"&lt;samlp:Response", "192.0.2.1")
		if strings.Contains(entry.body, "<samlp:Response") || strings.Contains(entry.body, "<saml:Assertion") {
			t.Errorf("the entry page shows the response XML unescaped")
		}
		wantPage(t, "a malformed reference", owner.get(log+"?ref=no+such+thing"), http.StatusBadRequest, "is not a reference id")
		wantPage(t, "an unknown reference", owner.get(log+"/0000000000000000"), http.StatusNotFound, "no entry in group acme.corp")
		// Another group's reference is not this group's.
		other := e.browser().callback("other", e.signed(e.other, e.entra, "x", ""), "")
		wantPage(t, "other's reference", owner.get(log+"/"+refPattern.FindStringSubmatch(other.body)[1]), http.StatusNotFound)
	})
}

func TestSCIMLogPage(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		token, _, err := e.adm.ResetSCIMTokens(ctx, admin.System, "acme.corp")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Config{Addr: "127.0.0.1:0", BaseURL: samltest.Base, DB: e.s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		w, err := scimlog.New(scimlog.Config{Store: e.s})
		if err != nil {
			t.Fatal(err)
		}
		(&scimhttp.Handler{Store: e.s, Provision: &provision.Service{Store: e.s}, BaseURL: samltest.Base, RequestLog: w}).Register(srv)
		// A user whose body carries a password, then one the endpoint
		// refuses (no email): 201, then 400.
		for _, body := range []string{
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u1alice","userName":"alice@acme.example","password":"hunter2-secret","emails":[{"primary":true,"value":"alice@acme.example"}]}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u1alice","userName":"alice2@acme.example"}`,
		} {
			r := httptest.NewRequest("POST", samltest.Base+"/api/scim/v2/groups/acme.corp/Users?access_token="+token, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("Content-Type", "application/scim+json")
			srv.ServeHTTP(httptest.NewRecorder(), r)
		}
		if err := w.Close(ctx); err != nil {
			t.Fatal(err)
		}

		page := owner.get("/groups/acme.corp/-/scim/log")
		wantPage(t, "SCIM log", page, http.StatusOK, "POST", "/Users", "→ 201", "→ 400", "at least one email address", "[FILTERED]", "alice@acme.example", "&#34;externalId&#34;")
		for _, secret := range []string{"hunter2-secret", token, strings.TrimPrefix(token, gatehouse.SCIMTokenPrefix)} {
			if strings.Contains(page.body, secret) {
				t.Errorf("the SCIM log page shows the secret %q", secret)
			}
		}
		if res := owner.get("/groups/acme.corp/-/scim/log?status=400"); !strings.Contains(res.body, "→ 400") || strings.Contains(res.body, "→ 201") {
			t.Errorf("status filter: want only the 400\n%s", mainOf(res.body))
		}
		if res := owner.get("/groups/acme.corp/-/scim/log?method=get"); !strings.Contains(res.body, "No request matches") {
			t.Errorf("method filter: want no GET\n%s", res.body)
		}
		if res := owner.get("/groups/acme.corp/-/scim/log?path=users"); strings.Count(res.body, "<section") != 2 {
			t.Errorf("path filter: want both requests\n%s", res.body)
		}
		for _, q := range []string{"?method=BREW", "?status=abc", "?status=1000", "?page=0"} {
			wantPage(t, "SCIM log"+q, owner.get("/groups/acme.corp/-/scim/log"+q), http.StatusBadRequest)
		}
	})
}
