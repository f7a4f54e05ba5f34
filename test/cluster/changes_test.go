package cluster

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// authTTL is how long a node trusts a SCIM token it verified, and the group
// it opens, without asking the database (scimhttp's authTTL): the bound
// interfaces.md gives commands to reach running servers.
const authTTL = 5 * time.Second

// clockMargin allows for the nodes' and the test's reading of the one
// system clock; it is not a wait for work to finish.
const clockMargin = 100 * time.Millisecond

// pollEvery is how often testSCIMTokenChanges asks every node again.
const pollEvery = 100 * time.Millisecond

// tokenIDs lists the ids of g's SCIM tokens.
func (c *cluster) tokenIDs(t *testing.T, g *group) []string {
	t.Helper()
	var list []struct{ ID json.Number }
	out := c.gh(t, "scim", "token", "list", "--group", g.path, "--json")
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("scim token list --json: %v\n%s", err, out)
	}
	var ids []string
	for _, tok := range list {
		ids = append(ids, tok.ID.String())
	}
	return ids
}

// testSCIMTokenChanges resets and revokes a group's SCIM token while every
// node keeps being asked with it: the new token works on every node at
// once; the old one may still open a node for at most authTTL after the
// command returned (each node's cache), and from then on every node
// refuses it.
func testSCIMTokenChanges(t *testing.T, c *cluster) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, tt := range []struct {
		name string
		// prepare runs before the nodes verify the old token and
		// returns the token that replaces it, if known then.
		prepare func(t *testing.T, g *group) string
		// change makes the change and returns the new token.
		change func(t *testing.T, g *group, prepared string) string
	}{
		{
			name:    "scim token reset",
			prepare: func(*testing.T, *group) string { return "" },
			change: func(t *testing.T, g *group, _ string) string {
				return c.gh(t, "scim", "token", "reset", "--group", g.path)
			},
		},
		{
			name: "scim token revoke during a rotation",
			prepare: func(t *testing.T, g *group) string {
				return c.gh(t, "scim", "token", "create", "--group", g.path)
			},
			change: func(t *testing.T, g *group, second string) string {
				ids := c.tokenIDs(t, g)
				if len(ids) != 2 {
					t.Fatalf("the group has tokens %v, want 2", ids)
				}
				// The first listed is the oldest, the one reset made.
				c.gh(t, "scim", "token", "revoke", "--group", g.path, "--id", ids[0])
				return second
			},
		},
	} {
		wg.Go(func() {
			t.Run(tt.name, func(t *testing.T) {
				g := c.newGroup(t, "token."+strings.ReplaceAll(tt.name, " ", "-"))
				old := g.token
				prepared := tt.prepare(t, g)
				for i := range nodes {
					for _, tok := range []string{old, prepared} {
						if tok == "" {
							continue
						}
						if r := c.scim(t, i, g, tok, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusOK {
							t.Fatalf("before the change, node %d = %s", i, r)
						}
					}
				}
				// Every node is asked with the old token every pollEvery,
				// before, during and after the change, so that each has
				// it cached, freshly or not, when the change commits.
				type probe struct {
					node   int
					sent   time.Time
					status int
				}
				var (
					mu     sync.Mutex
					probes []probe
					poller sync.WaitGroup
				)
				stop := make(chan struct{})
				poller.Go(func() {
					for {
						for i := range nodes {
							sent := time.Now()
							r := c.scim(t, i, g, old, http.MethodGet, "/Users?count=1", "")
							if r.status != http.StatusOK && (r.status != http.StatusUnauthorized || !isSCIMError(r)) {
								t.Errorf("the old token on node %d = %s, want 200 or a SCIM 401", i, r)
							}
							mu.Lock()
							probes = append(probes, probe{i, sent, r.status})
							mu.Unlock()
						}
						select {
						case <-stop:
							return
						case <-time.After(pollEvery): // polling the nodes, not waiting for work
						}
					}
				})
				newToken := tt.change(t, g, prepared)
				changed := time.Now() // the command has committed
				for i := range nodes {
					if r := c.scim(t, i, g, newToken, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusOK {
						t.Errorf("the new token on node %d right after the change = %s, want 200", i, r)
					}
				}
				bound := changed.Add(authTTL + clockMargin)
				time.Sleep(time.Until(bound)) // the documented bound, which this test proves
				close(stop)
				poller.Wait()

				// No request sent after the bound was let in; from then on
				// every node refuses the old token.
				lastOK := make([]time.Duration, nodes)
				firstRefusal := make([]time.Duration, nodes)
				for i := range firstRefusal {
					lastOK[i], firstRefusal[i] = -1, -1
				}
				for _, p := range probes {
					after := p.sent.Sub(changed)
					switch {
					case p.status == http.StatusOK && p.sent.After(bound):
						t.Errorf("node %d let the old token in %s after the change, later than authTTL (%s)", p.node, after.Round(time.Millisecond), authTTL)
					case p.status == http.StatusOK && after >= 0:
						lastOK[p.node] = after
					case p.status == http.StatusUnauthorized && after >= 0 && firstRefusal[p.node] < 0:
						firstRefusal[p.node] = after
					}
				}
				for i := range nodes {
					if r := c.scim(t, i, g, old, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusUnauthorized || !isSCIMError(r) {
						t.Errorf("the old token on node %d, %s after the change = %s, want a SCIM 401", i, time.Since(changed).Round(time.Millisecond), r)
					}
					if r := c.scim(t, i, g, newToken, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusOK {
						t.Errorf("the new token on node %d = %s, want 200", i, r)
					}
				}
				for i := range nodes {
					t.Logf("node %d: old token last accepted %s, first refused %s after the change", i, since(lastOK[i]), since(firstRefusal[i]))
				}
			})
		})
	}
}

// since prints a duration measured from a change, or "never" for -1.
func since(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return "+" + d.Round(time.Millisecond).String()
}

// testAccessTokenRevoked revokes a personal access token that every node
// has just accepted: the admin API refuses it on every node at once
// (personal access tokens are not cached).
func testAccessTokenRevoked(t *testing.T, c *cluster) {
	g := c.newGroup(t, "pat.check")
	var created struct {
		ID    json.Number
		Token string
	}
	out := c.gh(t, "token", "create", "--user", owner, "--name", "revoke-me", "--json")
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("token create --json: %v\n%s", err, out)
	}
	get := func(i int) reply {
		return c.send(t, c.http, i, http.MethodGet, "/api/v4/groups/"+g.id+"/members", http.Header{"Authorization": {"Bearer " + created.Token}}, "")
	}
	for i := range nodes {
		if r := get(i); r.status != http.StatusOK {
			t.Fatalf("before the revocation, node %d = %s", i, r)
		}
	}
	c.gh(t, "token", "revoke", "--id", created.ID.String())
	for i := range nodes {
		if r := get(i); r.status != http.StatusUnauthorized {
			t.Errorf("the revoked token on node %d right after = %s, want 401", i, r)
		}
	}
}

// testCertificateRotation rotates the IdP's signing certificate: while
// both are trusted, each key signs in on every node; once the old one is
// removed, a response it signed is refused by every node at once, and the
// new key's are accepted everywhere (the SAML configuration is read from
// the database on every response).
func testCertificateRotation(t *testing.T, c *cluster) {
	g := c.newGroup(t, "rotate.check")
	alice := newPerson("rotate", 1)
	c.provision(t, 0, g, alice)
	newKeys := samltest.Keys(g.path + ".new")
	newCert := filepath.Join(t.TempDir(), "idp-new.pem")
	if err := os.WriteFile(newCert, newKeys.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	keys := map[string]*samltest.KeyPair{"old": g.idp.Keys, "new": newKeys}
	post := func(i int, key string) reply {
		return c.browser(t).callback(t, i, g, g.signed(t, keys[key], alice.ExternalID, alice.UserName, ""))
	}

	c.configure(t, g, "--cert-file", g.cert, "--cert-file", newCert)
	for i := range nodes {
		for _, key := range []string{"old", "new"} {
			if r := post(i, key); r.status != http.StatusSeeOther {
				t.Fatalf("during the rotation, the %s key on node %d = %s, want 303", key, i, r)
			}
		}
	}
	c.configure(t, g, "--cert-file", newCert)
	for i := range nodes {
		if r := post(i, "old"); !refused(r) {
			t.Errorf("the removed key on node %d right after = %s, want a 4xx refusal", i, r)
		}
		if r := post(i, "new"); r.status != http.StatusSeeOther {
			t.Errorf("the new key on node %d right after = %s, want 303", i, r)
		}
	}
	invalid := "invalid: " + saml.CheckCertificate
	if got := c.outcomes(t, g); got[invalid] != nodes || got["signed_in"] != 3*nodes || len(got) != 2 {
		t.Errorf("SAML log outcomes = %v, want %s: %d, signed_in: %d", got, invalid, nodes, 3*nodes)
	}
}

// testSAMLSettings turns IdP-initiated sign-in off and on again while every
// node has just accepted one: each change holds on every node at once.
func testSAMLSettings(t *testing.T, c *cluster) {
	g := c.newGroup(t, "settings.check")
	alice := newPerson("settings", 1)
	c.provision(t, 0, g, alice)
	unsolicited := func(i int) reply {
		return c.browser(t).callback(t, i, g, g.signed(t, nil, alice.ExternalID, alice.UserName, ""))
	}
	for i := range nodes {
		if r := unsolicited(i); r.status != http.StatusSeeOther {
			t.Fatalf("IdP-initiated on node %d = %s, want 303", i, r)
		}
	}
	c.configure(t, g, "--cert-file", g.cert, "--allow-idp-initiated=false")
	for i := range nodes {
		if r := unsolicited(i); !refused(r) {
			t.Errorf("IdP-initiated on node %d right after it was turned off = %s, want a 4xx refusal", i, r)
		}
		// SP-initiated still works: started on this node, answered on
		// the next.
		b := c.browser(t)
		start := b.post(t, i, "/groups/"+g.path+"/-/saml/sso", url.Values{})
		if start.status != http.StatusFound {
			t.Fatalf("SSO start on node %d = %s", i, start)
		}
		id := authnRequestID(t, start.header.Get("Location"))
		next := (i + 1) % nodes
		if _, err := b.signIn(t, next, b.callback(t, next, g, g.signed(t, nil, alice.ExternalID, alice.UserName, id))); err != nil {
			t.Errorf("SP-initiated from node %d to node %d with IdP-initiated off: %v", i, next, err)
		}
	}
	c.configure(t, g, "--cert-file", g.cert)
	for i := range nodes {
		if r := unsolicited(i); r.status != http.StatusSeeOther {
			t.Errorf("IdP-initiated on node %d right after it was turned on = %s, want 303", i, r)
		}
	}
}

// testDefaultRole changes the group's default role while every node has
// just verified the group's SCIM token, and with it cached the group: a
// SCIM POST may give the old role for at most authTTL after the change, and
// from then on every node gives the new one.
func testDefaultRole(t *testing.T, c *cluster) {
	g := c.newGroup(t, "role.check")
	for i := range nodes {
		if r := c.scim(t, i, g, g.token, http.MethodGet, "/Users?count=1", ""); r.status != http.StatusOK {
			t.Fatalf("GET /Users on node %d = %s", i, r)
		}
	}
	c.configure(t, g, "--cert-file", g.cert, "--default-role", "developer")
	changed := time.Now()
	var early []person
	for i := range nodes {
		p := newPerson(fmt.Sprintf("early%d-", i), i)
		c.provision(t, i, g, p)
		early = append(early, p)
	}
	if wait := time.Until(changed.Add(authTTL + clockMargin)); wait > 0 {
		time.Sleep(wait) // the documented bound, which this test proves
	}
	var late []person
	for i := range nodes {
		p := newPerson(fmt.Sprintf("late%d-", i), i)
		c.provision(t, i, g, p)
		late = append(late, p)
	}

	var members []struct {
		Username    string
		AccessLevel int `json:"access_level"`
		SCIM        *struct {
			ExternUID string `json:"extern_uid"`
		} `json:"group_scim_identity"`
	}
	if r := c.api(t, 0, "groups/"+g.id+"/members?per_page=100", &members); r.status != http.StatusOK {
		t.Fatalf("members = %s", r)
	}
	level := map[string]int{}
	for _, m := range members {
		if m.SCIM != nil {
			level[m.SCIM.ExternUID] = m.AccessLevel
		}
	}
	const developer = 30
	for i, p := range late {
		if level[p.ExternalID] != developer {
			t.Errorf("provisioned on node %d %s after the change: access level %d, want %d (developer)", i, authTTL, level[p.ExternalID], developer)
		}
	}
	for i, p := range early {
		t.Logf("provisioned on node %d right after the change: access level %d", i, level[p.ExternalID])
	}
}
