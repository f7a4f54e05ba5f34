package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/server"
)

// publicGroupRoutes are the group routes anyone may use: the SAML
// endpoints a person signs in through. Every other route under
// /groups/{group}/-/ is an owner's.
var publicGroupRoutes = map[string]bool{
	"GET /groups/{group}/-/saml/metadata":  true,
	"GET /groups/{group}/-/saml/sso":       true,
	"POST /groups/{group}/-/saml/sso":      true,
	"POST /groups/{group}/-/saml/callback": true,
	"GET /groups/{group}/-/saml/continue":  true,
	"POST /groups/{group}/-/saml/continue": true,
}

// TestEveryOwnerRouteRefusesOthers asks the server for its routes and
// checks each owner route under /groups/{group}/-/, GET and POST alike,
// as a member below owner (403), a signed-in stranger (404, as for a group
// that does not exist) and a signed-out browser (sent to sign in, or 401),
// and as the owner, who is let in. A route added later is checked without
// changing this test.
func TestEveryOwnerRouteRefusesOthers(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		ref := refPattern.FindStringSubmatch(e.browser().callback("acme.corp", e.signed(e.group, e.okta, "nobody", ""), "").body)[1]
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		dev, _ := e.signedIn("dev", gatehouse.Developer)
		stranger, _ := e.signedIn("stranger", 0)
		values := map[string]string{"group": "acme.corp", "user_id": strconv.FormatInt(si.UserID, 10), "ref": ref}

		var routes []string
		for _, p := range e.nodes[0].h.(*server.Server).Routes() {
			method, path, _ := strings.Cut(p, " ")
			if strings.HasPrefix(path, "/groups/{group}/-/") && !publicGroupRoutes[p] && (method == "GET" || method == "POST") {
				routes = append(routes, p)
			}
		}
		if len(routes) < 10 {
			t.Fatalf("only %d owner routes found (%v); the route listing is broken", len(routes), routes)
		}
		t.Logf("owner routes: %v", routes)
		for _, p := range routes {
			method, pattern, _ := strings.Cut(p, " ")
			path := pattern
			for k, v := range values {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			if strings.Contains(path, "{") {
				t.Errorf("%s: no test value for a parameter of %s", p, path)
				continue
			}
			send := func(b *browser) response {
				if method == "POST" {
					return b.post(path, url.Values{})
				}
				return b.get(path)
			}
			if res := send(dev); res.status != http.StatusForbidden {
				t.Errorf("%s as a developer = %d %q, want 403", p, res.status, res.location)
			}
			if res := send(stranger); res.status != http.StatusNotFound {
				t.Errorf("%s as a stranger = %d %q, want 404", p, res.status, res.location)
			}
			res := send(e.browser())
			signIn := res.status == http.StatusSeeOther && strings.HasPrefix(res.location, "/users/sign_in")
			if !signIn && res.status != http.StatusUnauthorized {
				t.Errorf("%s signed out = %d %q, want 303 to /users/sign_in or 401", p, res.status, res.location)
			}
			if method == "GET" {
				if res := send(owner); res.status != http.StatusOK {
					t.Errorf("%s as the owner = %d %q, want 200", p, res.status, res.location)
				}
			} else if res := send(owner); res.status == http.StatusForbidden || res.status == http.StatusNotFound || res.status >= 500 {
				// An empty form is bad input for the owner, never a refusal.
				t.Errorf("%s as the owner with an empty form = %d, want a 2xx, 3xx or a 400 saying what is missing\n%s", p, res.status, mainOf(res.body))
			}
		}
	})
}
