package cluster

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// provision creates p in g over SCIM on node i.
func (c *cluster) provision(t *testing.T, i int, g *group, p person) {
	t.Helper()
	if r := c.scim(t, i, g, g.token, http.MethodPost, "/Users", p.body(t)); r.status != http.StatusCreated {
		t.Fatalf("provision %s on node %d = %s", p.UserName, i, r)
	}
}

// outcomes counts g's SAML log entries by outcome, read with saml log; an
// invalid response counts as "invalid: " and the check it failed.
func (c *cluster) outcomes(t *testing.T, g *group) map[string]int {
	t.Helper()
	var entries []struct {
		Outcome string
		Checks  []struct {
			Name string
			OK   bool
		}
	}
	out := c.gh(t, "saml", "log", "--group", g.path, "--limit", "1000", "--json")
	if err := json.Unmarshal([]byte(out), &entries); err != nil {
		t.Fatalf("saml log --json: %v\n%s", err, out)
	}
	m := map[string]int{}
	for _, e := range entries {
		key := e.Outcome
		if n := len(e.Checks); key == "invalid" && n > 0 && !e.Checks[n-1].OK {
			key += ": " + e.Checks[n-1].Name
		}
		m[key]++
	}
	return m
}

// username is the account of the member of g whose SCIM identity has
// externUID, from the admin API.
func (c *cluster) username(t *testing.T, g *group, externUID string) string {
	t.Helper()
	var members []struct {
		Username string
		SCIM     *struct {
			ExternUID string `json:"extern_uid"`
		} `json:"group_scim_identity"`
	}
	if r := c.api(t, -1, "groups/"+g.id+"/members?per_page=100", &members); r.status != http.StatusOK {
		t.Fatalf("members = %s", r)
	}
	for _, m := range members {
		if m.SCIM != nil && m.SCIM.ExternUID == externUID {
			return m.Username
		}
	}
	t.Fatalf("no member of %s has the SCIM extern_uid %s", g.path, externUID)
	return ""
}

// refused reports whether r is the ACS's refusal: a 4xx failure page
// without a redirect.
func refused(r reply) bool {
	return r.status >= 400 && r.status < 500 && r.header.Get("Location") == ""
}

// replayRounds is how many responses testReplay fires at all the nodes at
// once, postsPerNode times at each.
const (
	replayRounds = 10
	postsPerNode = 2
)

// testReplay posts genuine signed responses to the three nodes: each
// signs in exactly once, whether it is posted again afterwards to every
// node, or posted to all of them at once; the SAML log calls every
// refusal a replay.
func testReplay(t *testing.T, c *cluster) {
	g := c.newGroup(t, "replay.check")
	alice := newPerson("alice", 1)
	c.provision(t, 0, g, alice)
	signedIn, replayed := 0, 0

	t.Run("one after the other", func(t *testing.T) {
		for accept := range nodes {
			response := g.signed(t, nil, alice.ExternalID, alice.UserName, "")
			b := c.browser(t)
			// Accepted on one node, finished on the next.
			got, err := b.signIn(t, (accept+1)%nodes, b.callback(t, accept, g, response))
			if err != nil || got == "" {
				t.Fatalf("sign-in on node %d: %v", accept, err)
			}
			signedIn++
			for i := range nodes {
				if r := c.browser(t).callback(t, i, g, response); !refused(r) {
					t.Errorf("the response accepted by node %d, posted again to node %d = %s, want a 4xx refusal", accept, i, r)
				}
				replayed++
			}
		}
	})
	t.Run("at once", func(t *testing.T) {
		for round := range replayRounds {
			response := g.signed(t, nil, alice.ExternalID, alice.UserName, "")
			replies := make([]reply, nodes*postsPerNode)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for k := range replies {
				wg.Go(func() {
					<-start
					replies[k] = c.browser(t).callback(t, k%nodes, g, response)
				})
			}
			close(start)
			wg.Wait()
			accepted := 0
			for k, r := range replies {
				switch {
				case r.status == http.StatusSeeOther:
					accepted++
				case !refused(r):
					t.Errorf("round %d: node %d answered %s, want 303 or a 4xx refusal", round, k%nodes, r)
				}
			}
			if accepted != 1 {
				t.Errorf("round %d: %d of %d posts of one response to %d nodes signed in, want exactly 1", round, accepted, len(replies), nodes)
			}
			signedIn++
			replayed += len(replies) - 1
		}
	})
	got := c.outcomes(t, g)
	if got["signed_in"] != signedIn || got["replayed"] != replayed || len(got) != 2 {
		t.Errorf("SAML log outcomes = %v, want signed_in: %d and replayed: %d only", got, signedIn, replayed)
	}
	t.Logf("%d responses accepted, %d replays refused across %d nodes", got["signed_in"], got["replayed"], nodes)
}

// inflate decodes an HTTP-Redirect binding's SAMLRequest: base64 of
// DEFLATE.
func inflate(t *testing.T, v string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	b, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("SAMLRequest is not DEFLATE: %v", err)
	}
	return string(b)
}

// authnRequestID is the ID of the AuthnRequest in an HTTP-Redirect URL, read
// as an IdP would.
func authnRequestID(t *testing.T, redirect string) string {
	t.Helper()
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	xml := inflate(t, u.Query().Get("SAMLRequest"))
	_, rest, ok := strings.Cut(xml, ` ID="`)
	id, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 || id == "" {
		t.Fatalf("no ID in the AuthnRequest %s", xml)
	}
	return id
}

// testFlowAcrossNodes starts SP-initiated sign-ins on one node and
// finishes them on another, through crewjam/saml's IdP (which checks the
// AuthnRequest's signature against the SP metadata): the AuthnRequest
// lives in the database, so the response to it signs in on any node, once;
// a second response to the same request is refused on the third node, and
// so is the accepted response itself. At once, of three responses to one
// request posted to the three nodes, exactly one signs in.
func testFlowAcrossNodes(t *testing.T, c *cluster) {
	g := c.newGroup(t, "flow.check")
	alice := newPerson("flow", 1)
	c.provision(t, 2, g, alice)
	md := c.send(t, c.http, 1, http.MethodGet, "/groups/"+g.path+"/-/saml/metadata", nil, "")
	if md.status != http.StatusOK {
		t.Fatalf("metadata = %s", md)
	}
	idp := func() *crewjam.IdentityProvider {
		now := time.Now()
		return g.idp.Crewjam(t, md.body, samltest.Session(alice.ExternalID, now), now)
	}
	// start begins a sign-in of b on node i; it returns the IdP's URL.
	start := func(b *browser, i int, relay string) string {
		t.Helper()
		r := b.post(t, i, "/groups/"+g.path+"/-/saml/sso", url.Values{"redirect": {relay}})
		loc := r.header.Get("Location")
		if r.status != http.StatusFound || !strings.HasPrefix(loc, g.idp.SSOURL) {
			t.Fatalf("SSO start on node %d = %s (Location %q), want 302 to the IdP", i, r, loc)
		}
		return loc
	}

	username := c.username(t, g, alice.ExternalID)
	for a := range nodes {
		bn, cn := (a+1)%nodes, (a+2)%nodes
		b := c.browser(t)
		relay := fmt.Sprintf("/-/account?from=node%d", a)
		redirect := start(b, a, relay)
		id := authnRequestID(t, redirect)
		response, _ := samltest.SignIn(t, idp(), redirect)
		acs := b.callback(t, bn, g, response)
		if loc := acs.header.Get("Location"); acs.status != http.StatusSeeOther || !strings.Contains(loc, "/-/saml/continue") {
			t.Fatalf("request %s from node %d, response at node %d = %s, want 303 to continue", id, a, bn, acs)
		}
		cont := b.get(t, bn, acs.header.Get("Location"))
		if cont.status != http.StatusSeeOther || cont.header.Get("Location") != relay {
			t.Errorf("continue on node %d = %d to %q, want 303 to %q (the RelayState node %d stored)", bn, cont.status, cont.header.Get("Location"), relay, a)
		}
		if got, err := b.me(t, cn); err != nil || got != username {
			t.Errorf("after the sign-in, node %d sees %q, %v; want %s signed in", cn, got, err, username)
		}

		// The same response, and a new one to the same request, at the
		// third node.
		again := c.browser(t)
		if r := again.callback(t, cn, g, response); !refused(r) {
			t.Errorf("the accepted response at node %d = %s, want a 4xx refusal", cn, r)
		}
		second, _ := samltest.SignIn(t, idp(), redirect)
		if second == response {
			t.Fatal("crewjam signed the same response twice; the test needs two")
		}
		if r := b.callback(t, cn, g, second); !refused(r) {
			t.Errorf("a second response to request %s at node %d = %s, want a 4xx refusal", id, cn, r)
		}
	}

	t.Run("at once", func(t *testing.T) {
		for round := range replayRounds {
			b := c.browser(t)
			redirect := start(b, round%nodes, "")
			responses := make([]string, nodes)
			for i := range responses {
				responses[i], _ = samltest.SignIn(t, idp(), redirect)
			}
			replies := make([]reply, nodes)
			begin := make(chan struct{})
			var wg sync.WaitGroup
			for i := range replies {
				wg.Go(func() {
					<-begin
					replies[i] = b.callback(t, i, g, responses[i])
				})
			}
			close(begin)
			wg.Wait()
			accepted := 0
			for i, r := range replies {
				switch {
				case r.status == http.StatusSeeOther:
					accepted++
				case !refused(r):
					t.Errorf("round %d: node %d answered %s, want 303 or a 4xx refusal", round, i, r)
				}
			}
			if accepted != 1 {
				t.Errorf("round %d: %d of %d responses to one AuthnRequest signed in, want exactly 1", round, accepted, nodes)
			}
		}
	})
	// A refused response to a request already used is a replay when it
	// reached the request's consumption, and fails the InResponseTo check
	// ("invalid") when the request was gone before; either way it signed
	// nobody in.
	got := c.outcomes(t, g)
	invalid := "invalid: " + saml.CheckInResponseTo
	wantIn, wantOut := nodes+replayRounds, 2*nodes+(nodes-1)*replayRounds
	if got["signed_in"] != wantIn || got["replayed"]+got[invalid] != wantOut || len(got) > 3 {
		t.Errorf("SAML log outcomes = %v, want signed_in: %d and %d replayed or %s only", got, wantIn, wantOut, invalid)
	}
	t.Logf("%d sign-ins across nodes, %d refused (SAML log: %v)", got["signed_in"], got["replayed"]+got[invalid], got)
}

// firstSignIns is how many people testFirstSignInRacesSCIM provisions.
const firstSignIns = 20

// testFirstSignInRacesSCIM signs people in for the first time through a
// group that creates accounts on first SSO, on node 0, while node 1 takes
// the IdP's SCIM POST of the same person at the same moment (security.md
// §5.7): never a 500, one account per person whichever wins, and the person
// signed in at once either way (into the account SCIM made, when it won).
func testFirstSignInRacesSCIM(t *testing.T, c *cluster) {
	g := c.newGroup(t, "first.sso", "--create-users")
	ssoCodes, scimCodes := map[int]int{}, map[int]int{}
	firstAccount := map[string]string{} // person → the account the racing sign-in got
	for n := range firstSignIns {
		p := newPerson("first", n)
		b := c.browser(t)
		acs := b.callback(t, 0, g, g.signed(t, nil, p.ExternalID, p.UserName, ""))
		loc := acs.header.Get("Location")
		if acs.status != http.StatusSeeOther || !strings.Contains(loc, "/-/saml/continue") {
			t.Fatalf("%s: first SSO = %s, want 303 to continue", p.UserName, acs)
		}
		var cont, post reply
		begin := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() { <-begin; cont = b.get(t, 0, loc) })
		wg.Go(func() { <-begin; post = c.scim(t, 1, g, g.token, http.MethodPost, "/Users", p.body(t)) })
		close(begin)
		wg.Wait()
		ssoCodes[cont.status]++
		scimCodes[post.status]++
		if cont.status != http.StatusSeeOther {
			t.Errorf("%s: continue = %s, want 303 (signed in, into whichever account was made first)", p.UserName, cont)
		} else if u, err := b.me(t, 0); err != nil {
			t.Errorf("%s: after the continue step: %v", p.UserName, err)
		} else {
			firstAccount[p.UserName] = u
		}
		if post.status != http.StatusCreated && !(post.status == http.StatusConflict && isSCIMError(post)) {
			t.Errorf("%s: SCIM POST = %s, want 201 or a SCIM 409", p.UserName, post)
		}
	}
	t.Logf("%d first sign-ins against SCIM POSTs: continue %v, SCIM %v", firstSignIns, ssoCodes, scimCodes)

	// Everyone signs in now, on node 2, as one account each.
	seen := map[string]bool{}
	for n := range firstSignIns {
		p := newPerson("first", n)
		b := c.browser(t)
		u, err := b.signIn(t, 2, b.callback(t, 2, g, g.signed(t, nil, p.ExternalID, p.UserName, "")))
		if err != nil {
			t.Errorf("%s signs in afterwards: %v", p.UserName, err)
			continue
		}
		if seen[u] {
			t.Errorf("%s signed in as %s, someone else's account", p.UserName, u)
		}
		if first, ok := firstAccount[p.UserName]; ok && first != u {
			t.Errorf("%s signed in as %s during the race and as %s afterwards", p.UserName, first, u)
		}
		seen[u] = true
	}
	var members []struct{ Username string }
	if r := c.api(t, 2, "groups/"+g.id+"/members?per_page=100", &members); r.status != http.StatusOK {
		t.Fatalf("members = %s", r)
	}
	if len(members) != firstSignIns+1 {
		t.Errorf("the group has %d members, want %d people and the owner: %v", len(members), firstSignIns+1, usernames(members))
	}
	var identities []struct {
		ExternUID string `json:"extern_uid"`
	}
	if r := c.api(t, 2, "groups/"+g.id+"/saml/identities?per_page=100", &identities); r.status != http.StatusOK {
		t.Fatalf("saml/identities = %s", r)
	}
	if len(identities) != firstSignIns {
		t.Errorf("the group has %d SAML identities, want %d", len(identities), firstSignIns)
	}
	if r := c.api(t, 2, "groups/"+g.id+"/scim/identities?per_page=100", &identities); r.status != http.StatusOK {
		t.Fatalf("scim/identities = %s", r)
	}
	if len(identities) != scimCodes[http.StatusCreated] {
		t.Errorf("the group has %d SCIM identities, want one per 201 (%d)", len(identities), scimCodes[http.StatusCreated])
	}
}
