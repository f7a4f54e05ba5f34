package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/admin"
)

func TestSignInRateLimit(t *testing.T) {
	limits := []struct {
		name string
		// fail makes the failures up to the limit, each through the
		// browser of its node; then the next attempt is refused.
		fail func(e *env, browsers []*browser)
		// next is the attempt that is refused.
		next url.Values
		// elsewhere is an attempt the limit does not refuse: another
		// account, or another address.
		elsewhere  url.Values
		otherIP    bool
		elseStatus int
	}{
		{"per account", func(e *env, bs []*browser) {
			for i := range 10 {
				wantStatus(e.t, bs[i%len(bs)].post("/users/sign_in", url.Values{"login": {"alice"}, "password": {"wrong password " + strconv.Itoa(i)}}), http.StatusUnauthorized)
			}
		}, url.Values{"login": {"ALICE"}, "password": {alicePassword}},
			url.Values{"login": {"bob"}, "password": {alicePassword}}, false, http.StatusSeeOther},
		{"per account that does not exist", func(e *env, bs []*browser) {
			for i := range 10 {
				wantStatus(e.t, bs[i%len(bs)].post("/users/sign_in", url.Values{"login": {"nobody"}, "password": {"wrong password " + strconv.Itoa(i)}}), http.StatusUnauthorized)
			}
		}, url.Values{"login": {"nobody"}, "password": {"wrong password"}},
			url.Values{"login": {"alice"}, "password": {alicePassword}}, false, http.StatusSeeOther},
		{"per IP", func(e *env, bs []*browser) {
			for i := range 50 {
				login := fmt.Sprintf("user%d", i/9) // under the per-account limit
				wantStatus(e.t, bs[i%len(bs)].post("/users/sign_in", url.Values{"login": {login}, "password": {"wrong password"}}), http.StatusUnauthorized)
			}
		}, url.Values{"login": {"alice"}, "password": {alicePassword}},
			url.Values{"login": {"alice"}, "password": {alicePassword}}, true, http.StatusSeeOther},
	}
	for _, tc := range limits {
		t.Run(tc.name, func(t *testing.T) {
			// Two nodes on one database: the failures alternate between
			// them, and count together.
			backends(t, 2, func(t *testing.T, e *env) {
				e.newAlice()
				if _, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "bob", Email: "bob@example.com", Password: alicePassword}); err != nil {
					t.Fatal(err)
				}
				bs := []*browser{e.browser(), e.browser()}
				for i, b := range bs {
					b.node, b.ip = e.nodes[i], "203.0.113.9"
				}
				tc.fail(e, bs)
				for i, b := range bs {
					res := b.post("/users/sign_in", tc.next)
					secs, err := strconv.Atoi(res.header.Get("Retry-After"))
					if res.status != http.StatusTooManyRequests || err != nil || secs < 1 || secs > 15*60 ||
						!strings.Contains(res.body, "Too many sign-in attempts") && !strings.Contains(res.body, "too many failed sign-in attempts") {
						t.Errorf("node %d: the attempt past the limit = %d, Retry-After %q, want 429 with a wait of at most 15 minutes\n%s",
							i, res.status, res.header.Get("Retry-After"), res.body)
					}
				}
				other := e.browser()
				other.node, other.ip = e.nodes[1], "203.0.113.9"
				if tc.otherIP {
					other.ip = "2001:db8:1:2::7"
				}
				if res := other.post("/users/sign_in", tc.elsewhere); res.status != tc.elseStatus {
					t.Errorf("an attempt outside the limit = %d, want %d\n%s", res.status, tc.elseStatus, res.body)
				}
				// When the window ends, attempts are let through again.
				e.clock.advance(15 * time.Minute)
				if res := bs[0].post("/users/sign_in", tc.next); res.status == http.StatusTooManyRequests {
					t.Errorf("the attempt after the window = %d, want it let through", res.status)
				}
			})
		})
	}
}

func TestSignInRateLimitResetsOnSuccess(t *testing.T) {
	backends(t, 2, func(t *testing.T, e *env) {
		e.newAlice()
		bs := []*browser{e.browser(), e.browser()}
		bs[1].node = e.nodes[1]
		wrong := url.Values{"login": {"alice"}, "password": {"wrong password"}}
		for i := range 9 {
			wantStatus(t, bs[i%2].post("/users/sign_in", wrong), http.StatusUnauthorized)
		}
		bs[1].signIn("alice@example.com", alicePassword, "/-/account") // by email: every login of hers is reset
		for i := range 10 {
			wantStatus(t, bs[i%2].post("/users/sign_in", wrong), http.StatusUnauthorized)
		}
		wantStatus(t, bs[0].post("/users/sign_in", wrong), http.StatusTooManyRequests)
	})
}

// TestSignInSameAnswer checks that a wrong password, an unknown account and
// an account without a password get one answer.
func TestSignInSameAnswer(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		e.newAlice()
		e.mustUser("nopassword")
		var first string
		for _, login := range []string{"alice", "nobody", "nopassword", "nobody@example.com"} {
			res := e.browser().post("/users/sign_in", url.Values{"login": {login}, "password": {"wrong password"}})
			body := strings.Replace(res.body, login, "LOGIN", 1)
			if res.status != http.StatusUnauthorized {
				t.Errorf("sign-in as %s = %d, want 401", login, res.status)
			}
			if first == "" {
				first = body
			} else if body != first {
				t.Errorf("sign-in as %s answers another page than for alice:\n%s\nwant\n%s", login, body, first)
			}
		}
	})
}
