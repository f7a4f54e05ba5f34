package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSessionExpiry(t *testing.T) {
	for _, tc := range []struct {
		name string
		// steps are the waits, each followed by a request.
		steps    []time.Duration
		signedIn bool
	}{
		{"in use", []time.Duration{time.Hour, time.Hour, time.Hour}, true},
		{"idle", []time.Duration{2 * time.Hour}, false},
		{"almost idle", []time.Duration{2*time.Hour - 2*time.Minute}, true},
		{"past its lifetime, though in use", []time.Duration{90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute,
			90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute,
			90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute, 90 * time.Minute}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				e.newAlice()
				b := e.browser()
				b.signIn("alice", alicePassword, "/-/account")
				status := http.StatusOK
				for _, d := range tc.steps {
					e.clock.advance(d)
					if status, _ = b.me(); status != http.StatusOK {
						break
					}
				}
				if got := status == http.StatusOK; got != tc.signedIn {
					t.Errorf("GET /api/v4/user after %v = %d, want signed in %v", tc.steps, status, tc.signedIn)
				}
				if tc.signedIn {
					return
				}
				if res := b.get("/-/account"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in") {
					t.Errorf("account page of an expired session = %d %q, want 303 to the sign-in", res.status, res.location)
				}
				if res := b.post("/-/account/tokens", url.Values{"name": {"late"}}); res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in") {
					t.Errorf("token create of an expired session = %d %q, want 303 to the sign-in", res.status, res.location)
				}
				if page := b.get("/groups/acme.corp/-/saml/sso"); strings.Contains(page.body, "You are signed in") {
					t.Errorf("the SSO page takes an expired session as signed in:\n%s", page.body)
				}
			})
		})
	}
}
