package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
)

func TestOneTimePassword(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		created, oneTime, err := e.adm.Bootstrap(ctx, "")
		if err != nil || !created {
			t.Fatalf("Bootstrap = %v, %v; want the administrator created", created, err)
		}
		b := e.browser()
		b.signIn("root", oneTime, "/-/account/password")
		if page := b.get("/-/account/password"); page.status != http.StatusOK || !strings.Contains(page.body, "Choose a new password") ||
			!strings.Contains(page.body, `<label for="current_password">One-time password</label>`) {
			t.Errorf("password page after a one-time sign-in = %d, want the forced change\n%s", page.status, page.body)
		}

		// Until the change, the session does nothing else.
		for _, tc := range []struct {
			name, method, path string
			form               url.Values
			status             int
			location           string // a prefix; "" for no redirect
		}{
			{"account page", "GET", "/-/account", nil, http.StatusSeeOther, "/-/account/password?return_to=%2F-%2Faccount"},
			{"API", "GET", "/api/v4/user", nil, http.StatusForbidden, ""},
			{"create a token", "POST", "/-/account/tokens", url.Values{"name": {"sneaky"}}, http.StatusSeeOther, "/-/account/password"},
			{"unlink", "POST", "/-/account/identities/acme.corp/unlink", url.Values{"confirm": {"yes"}}, http.StatusSeeOther, "/-/account/password"},
			{"SSO page", "GET", "/groups/acme.corp/-/saml/sso", nil, http.StatusForbidden, ""},
			{"SSO start", "POST", "/groups/acme.corp/-/saml/sso", url.Values{}, http.StatusForbidden, ""},
		} {
			res := b.do(tc.method, tc.path, tc.form, true)
			if res.status != tc.status || !strings.HasPrefix(res.location, tc.location) || (tc.location == "") != (res.location == "") {
				t.Errorf("%s before the change: %s %s = %d %q, want %d %q", tc.name, tc.method, tc.path, res.status, res.location, tc.status, tc.location)
			}
		}
		if res := b.get("/groups/acme.corp/-/saml/sso"); !strings.Contains(res.body, `href="/-/account/password"`) {
			t.Errorf("the refusal does not link to the password page:\n%s", res.body)
		}
		root, err := e.s.FindUserByUsername(ctx, "root")
		if err != nil {
			t.Fatal(err)
		}
		if ts, err := e.s.ListPATs(ctx, root.ID); err != nil || len(ts) != 0 {
			t.Errorf("tokens after a refused create = %v, %v; want none", ts, err)
		}

		// Refused changes keep the one-time password.
		for _, tc := range []struct {
			name, current, next string
			status              int
			says                string
		}{
			{"too short", oneTime, "short", http.StatusBadRequest, "at least 8 characters"},
			{"wrong one-time password", "not the one-time password", "a good new password", http.StatusForbidden, "current password is wrong"},
		} {
			res := b.post("/-/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "confirm_password": {tc.next}})
			if res.status != tc.status || !strings.Contains(res.body, tc.says) {
				t.Errorf("%s: change = %d, want %d saying %q\n%s", tc.name, res.status, tc.status, tc.says, res.body)
			}
		}

		const chosen = "a good new password"
		res := b.post("/-/account/password", url.Values{"current_password": {oneTime}, "new_password": {chosen}, "confirm_password": {chosen}})
		if res.status != http.StatusSeeOther || res.location != "/-/account?notice=password_changed" {
			t.Fatalf("change = %d %q, want 303 to the account page\n%s", res.status, res.location, res.body)
		}
		if page := b.get(res.location); page.status != http.StatusOK || !strings.Contains(page.body, "Your password was changed") {
			t.Errorf("account page after the change = %d\n%s", page.status, page.body)
		}
		b.wantSignedInAs("root")
		root, err = e.s.FindUserByUsername(ctx, "root")
		if err != nil || root.PasswordExpired {
			t.Errorf("root after the change = %+v, %v; want PasswordExpired cleared", root, err)
		}

		fresh := e.browser()
		if res := fresh.post("/users/sign_in", url.Values{"login": {"root"}, "password": {oneTime}}); res.status != http.StatusUnauthorized {
			t.Errorf("sign-in with the spent one-time password = %d, want 401", res.status)
		}
		fresh.signIn("root", chosen, "/-/account")
	})
}

func TestOneTimePasswordKeepsReturnTo(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		if _, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "carol", Email: "carol@example.com",
			Password: alicePassword, PasswordExpired: true}); err != nil {
			t.Fatal(err)
		}
		b := e.browser()
		res := b.post("/users/sign_in", url.Values{"login": {"carol"}, "password": {alicePassword}, "return_to": {"/groups/acme.corp/-/saml/sso"}})
		if res.status != http.StatusSeeOther || res.location != "/-/account/password?return_to=%2Fgroups%2Facme.corp%2F-%2Fsaml%2Fsso" {
			t.Fatalf("sign-in = %d %q, want the password page keeping return_to", res.status, res.location)
		}
		res = b.post("/-/account/password", url.Values{"current_password": {alicePassword}, "new_password": {"another fine password"},
			"confirm_password": {"another fine password"}, "return_to": {"/groups/acme.corp/-/saml/sso"}})
		if res.status != http.StatusSeeOther || res.location != "/groups/acme.corp/-/saml/sso" {
			t.Errorf("change = %d %q, want 303 back to where the sign-in was going", res.status, res.location)
		}
	})
}

func TestChangePassword(t *testing.T) {
	const next = "an entirely new password"
	for _, tc := range []struct {
		name                  string
		current, next, repeat string
		status                int
		says                  string
	}{
		{"success", alicePassword, next, next, http.StatusSeeOther, ""},
		{"wrong current password", "wrong password here", next, next, http.StatusForbidden, "The current password is wrong"},
		{"too short", alicePassword, "short", "short", http.StatusBadRequest, "at least 8 characters"},
		{"unchanged", alicePassword, alicePassword, alicePassword, http.StatusBadRequest, "must differ from the current one"},
		{"confirmation differs", alicePassword, next, next + "!", http.StatusBadRequest, "confirmation differ"},
		{"too long", alicePassword, strings.Repeat("x", password.MaxLength+1), strings.Repeat("x", password.MaxLength+1), http.StatusBadRequest, "at most 1024 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				e.newAlice()
				b, other := e.browser(), e.browser()
				b.signIn("alice", alicePassword, "/-/account")
				other.signIn("alice@example.com", alicePassword, "/-/account")

				res := b.post("/-/account/password", url.Values{"current_password": {tc.current}, "new_password": {tc.next}, "confirm_password": {tc.repeat}})
				if res.status != tc.status || !strings.Contains(res.body, tc.says) {
					t.Fatalf("change = %d, want %d saying %q\n%s", res.status, tc.status, tc.says, res.body)
				}
				// This browser stays signed in either way.
				b.wantSignedInAs("alice")
				newWorks, oldWorks := http.StatusSeeOther, http.StatusUnauthorized
				otherStatus := http.StatusUnauthorized
				if tc.status != http.StatusSeeOther {
					newWorks, oldWorks, otherStatus = http.StatusUnauthorized, http.StatusSeeOther, http.StatusOK
				}
				if status, _ := other.me(); status != otherStatus {
					t.Errorf("the other browser's session after the change: GET /api/v4/user = %d, want %d", status, otherStatus)
				}
				if res := e.browser().post("/users/sign_in", url.Values{"login": {"alice"}, "password": {tc.next}}); tc.next != alicePassword && res.status != newWorks {
					t.Errorf("sign-in with the new password = %d, want %d", res.status, newWorks)
				}
				if res := e.browser().post("/users/sign_in", url.Values{"login": {"alice"}, "password": {alicePassword}}); res.status != oldWorks {
					t.Errorf("sign-in with the old password = %d, want %d", res.status, oldWorks)
				}
			})
		})
	}
}

func TestChangePasswordRefusals(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.newAlice()
		b := e.browser()
		if res := b.get("/-/account/password"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in") {
			t.Errorf("password page signed out = %d %q, want 303 to the sign-in", res.status, res.location)
		}
		b.signIn("alice", alicePassword, "/-/account")
		form := url.Values{"current_password": {alicePassword}, "new_password": {"an entirely new password"}, "confirm_password": {"an entirely new password"}}
		if res := b.crossSite("/-/account/password", form); res.status != http.StatusForbidden {
			t.Errorf("cross-site change = %d, want 403", res.status)
		}
		e.browser().signIn("alice", alicePassword, "/-/account") // the password did not change

		// A managed account has no password: it is told why.
		e.provision("00u1bob", "bob@acme.example", "bob@acme.example")
		bob := e.browser()
		bob.continueTo(bob.callback("acme.corp", e.signed(e.group, e.okta, "00u1bob", ""), ""), "/-/account")
		page := bob.get("/-/account/password")
		if page.status != http.StatusOK || !strings.Contains(page.body, "has no password") || strings.Contains(page.body, "<form method=\"post\" action=\"/-/account/password\"") {
			t.Errorf("password page of a managed account = %d, want the explanation and no form\n%s", page.status, page.body)
		}
		if res := bob.post("/-/account/password", form); res.status != http.StatusForbidden || !strings.Contains(res.body, "has no password") {
			t.Errorf("change of a managed account = %d, want 403 with the explanation\n%s", res.status, res.body)
		}
	})
}
