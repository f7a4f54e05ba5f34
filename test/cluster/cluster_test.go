// Package cluster runs three "gatehouse serve" processes on loopback over
// one PostgreSQL database, behind a small load balancer that gives them one
// base URL as production does, and proves what must hold when several nodes
// share the database (security.md §5.7 and §5.9): identical SCIM POSTs
// spread over the nodes create one user; a SAML response, or a response to
// one AuthnRequest, signs in once across all nodes; a sign-in started on one
// node finishes on another; and token resets and configuration changes
// reach every node within the documented bound (authTTL, 5 seconds, for
// SCIM tokens and what SCIM caches with them; at once for everything else).
//
// The tests skip when GATEHOUSE_TEST_POSTGRES is unset; CI sets it, so
// there they are mandatory. docs/reliability.md has the results.
package cluster

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
)

// nodes is how many server processes the cluster runs.
const nodes = 3

// nodeHeader routes a request through the load balancer to one node (0 to
// nodes-1); without it the balancer takes the nodes in turn. The balancer
// removes it.
const nodeHeader = "Gatehouse-Test-Node"

// owner owns every group the tests create; its personal access token
// reads the admin API.
const owner = "owner"

func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs three servers")
	}
	if os.Getenv(pgstoretest.EnvDSN) == "" {
		t.Skipf("%s is not set; the cluster tests need PostgreSQL", pgstoretest.EnvDSN)
	}
	start := time.Now()
	c := newCluster(t)
	t.Logf("3 nodes up in %s", time.Since(start).Round(time.Millisecond))
	// The subtests run all at once, each on a group of its own: most of
	// their time is spent waiting (for the command line, and for the
	// staleness bound), and the nodes see a mix of requests, as in
	// production. (Not t.Parallel: -parallel defaults to the number of
	// cores.)
	t.Run("properties", func(t *testing.T) {
		var wg sync.WaitGroup
		defer wg.Wait()
		for _, tt := range []struct {
			name string
			fn   func(*testing.T, *cluster)
		}{
			{"one instance key", testOneInstanceKey},
			{"identical SCIM POSTs create one user", testIdenticalPOSTs},
			{"SAML replay across nodes", testReplay},
			{"SP-initiated flow across nodes", testFlowAcrossNodes},
			{"first SSO races SCIM create", testFirstSignInRacesSCIM},
			{"SCIM token changes", testSCIMTokenChanges},
			{"personal access token revoked", testAccessTokenRevoked},
			{"SAML certificate rotation", testCertificateRotation},
			{"SAML settings", testSAMLSettings},
			{"default role", testDefaultRole},
		} {
			wg.Go(func() { t.Run(tt.name, func(t *testing.T) { tt.fn(t, c) }) })
		}
	})
	// No node answered 500 to anything, whatever the subtests expected.
	got := c.lb.statuses()
	for i, byStatus := range got {
		t.Logf("node %d answered %v", i, byStatus)
		for status, n := range byStatus {
			if status >= 500 {
				t.Errorf("node %d answered %d %d times, want never", i, status, n)
			}
		}
	}
}

// cluster is three serve processes over one database, their load balancer,
// and what the command line needs to reach the database.
type cluster struct {
	bin   string
	env   map[string]string // GATEHOUSE_DB, for the command line
	nodes []*proctest.Server
	lb    *balancer
	base  string       // every node's base URL: the balancer's
	http  *http.Client // follows no redirects
	token string       // owner's personal access token
}

// newCluster builds the binary, creates a schema, starts the balancer and
// then the three nodes, all at once on the empty database (the first
// start's migrations, administrator and instance key race), and creates
// the owner with a personal access token.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	bin := proctest.Build(t)
	dir := t.TempDir()
	secret := filepath.Join(dir, "secret.key")
	b := make([]byte, 48)
	rand.Read(b)
	if err := os.WriteFile(secret, []byte(base64.StdEncoding.EncodeToString(b)), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &cluster{bin: bin, env: map[string]string{"GATEHOUSE_DB": pgstoretest.DSN(t)}}
	// The balancer's address is the nodes' base URL; it serves once they
	// are up.
	c.lb = &balancer{}
	lb := httptest.NewUnstartedServer(c.lb)
	t.Cleanup(lb.Close)
	c.base = "http://" + lb.Listener.Addr().String()
	c.http = newClient(nil)

	env := map[string]string{
		"GATEHOUSE_DB":              c.env["GATEHOUSE_DB"],
		"GATEHOUSE_BASE_URL":        c.base,
		"GATEHOUSE_SECRET_KEY_FILE": secret,
		// The balancer is a trusted proxy: the nodes log the client's
		// address from X-Forwarded-For, as behind a real one.
		"GATEHOUSE_TRUSTED_PROXIES": "127.0.0.1",
	}
	servers := make([]*proctest.Server, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			servers[i], errs[i] = proctest.Launch(bin, proctest.Options{Env: env, Ready: 3 * time.Minute})
		})
	}
	wg.Wait()
	for i, s := range servers {
		if s == nil {
			continue
		}
		t.Cleanup(func() {
			s.Kill()
			if t.Failed() {
				t.Logf("node %d (%s) log:\n%s", i, s.Addr, proctest.Tail(s.Stderr.String(), 60))
			}
		})
	}
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	c.nodes = servers
	targets := make([]*url.URL, nodes)
	for i, s := range servers {
		targets[i], _ = url.Parse(s.URL)
	}
	c.lb.start(targets)
	lb.Start()

	c.gh(t, "user", "create", "--username", owner, "--email", "owner@example.com", "--name", "Olivia Owner")
	c.token = c.gh(t, "token", "create", "--user", owner, "--name", "cluster")
	return c
}

// gh runs a command of the binary on the cluster's database and returns
// its standard output, trimmed.
func (c *cluster) gh(t *testing.T, args ...string) string {
	t.Helper()
	out, err := proctest.Run(c.bin, c.env, "", args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// balancer is the load balancer in front of the nodes: a reverse proxy
// that keeps the Host header and adds X-Forwarded-For, as nginx or a cloud
// load balancer does, and takes the nodes in turn unless a request names
// one in nodeHeader. It counts the answers of each node by status.
type balancer struct {
	targets []*url.URL
	proxy   *httputil.ReverseProxy
	next    atomic.Uint64

	mu     sync.Mutex
	counts []map[int]int // per node, answers by status
}

// start sets the nodes; call it before the balancer serves.
func (b *balancer) start(targets []*url.URL) {
	b.targets = targets
	b.counts = make([]map[int]int, len(targets))
	for i := range b.counts {
		b.counts[i] = map[int]int{}
	}
	b.proxy = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			i := int(b.next.Add(1) % uint64(len(b.targets)))
			if v := pr.In.Header.Get(nodeHeader); v != "" {
				i, _ = strconv.Atoi(v)
			}
			pr.Out.Header.Del(nodeHeader)
			pr.SetURL(b.targets[i])
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: 64},
		ModifyResponse: func(resp *http.Response) error {
			for i, u := range b.targets {
				if u.Host == resp.Request.URL.Host {
					b.mu.Lock()
					b.counts[i][resp.StatusCode]++
					b.mu.Unlock()
				}
			}
			return nil
		},
	}
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if v := r.Header.Get(nodeHeader); v != "" {
		if i, err := strconv.Atoi(v); err != nil || i < 0 || i >= len(b.targets) {
			http.Error(w, "no node "+v, http.StatusBadRequest)
			return
		}
	}
	b.proxy.ServeHTTP(w, r)
}

// statuses returns a copy of the answers of each node by status.
func (b *balancer) statuses() []map[int]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]map[int]int, len(b.counts))
	for i, m := range b.counts {
		out[i] = map[int]int{}
		for k, v := range m {
			out[i][k] = v
		}
	}
	return out
}

// newClient returns a client that follows no redirects, with jar (nil for
// none) holding its cookies.
func newClient(jar http.CookieJar) *http.Client {
	return &http.Client{
		Jar:           jar,
		Timeout:       2 * time.Minute,
		Transport:     &http.Transport{MaxIdleConnsPerHost: 64},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// reply is an answer, read in full.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) String() string {
	body := string(r.body)
	if len(body) > 400 {
		body = body[:400] + "…"
	}
	return fmt.Sprintf("%d %s", r.status, body)
}

// send sends a request through the balancer to node i, or to the
// balancer's choice when i < 0. A transport error fails t and returns a
// zero reply.
func (c *cluster) send(t *testing.T, client *http.Client, i int, method, path string, header http.Header, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if i >= 0 {
		req.Header.Set(nodeHeader, strconv.Itoa(i))
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("%s %s on node %d: %v", method, path, i, err)
		return reply{}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("%s %s on node %d: reading the body: %v", method, path, i, err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// group is a group the test created, with its SCIM token and its IdP.
type group struct {
	path  string
	id    string
	token string // its SCIM token
	idp   *samltest.IdP
	cert  string // the file of the IdP's certificate
	sp    saml.SP
}

// newGroup creates the group path owned by owner, trusting a test IdP of
// its own (configured with extra flags of saml configure), with a SCIM
// token.
func (c *cluster) newGroup(t *testing.T, path string, configure ...string) *group {
	t.Helper()
	g := &group{path: path, idp: samltest.NewIdP(path)}
	g.id = c.gh(t, "group", "create", "--path", path, "--name", path, "--owner", owner)
	g.cert = filepath.Join(t.TempDir(), "idp.pem")
	if err := os.WriteFile(g.cert, g.idp.Keys.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	c.configure(t, g, append([]string{"--cert-file", g.cert}, configure...)...)
	g.token = c.gh(t, "scim", "token", "reset", "--group", path)
	g.sp = saml.SP{
		EntityID: c.base + "/groups/" + path,
		ACSURLs:  []string{c.base + "/groups/" + path + "/-/saml/callback", c.base + "/groups/" + g.id + "/-/saml/callback"},
	}
	return g
}

// configure runs saml configure for g's IdP with the flags given (which
// must name the certificates).
func (c *cluster) configure(t *testing.T, g *group, flags ...string) {
	t.Helper()
	c.gh(t, append([]string{"saml", "configure", "--group", g.path, "--sso-url", g.idp.SSOURL, "--idp-entity-id", g.idp.EntityID}, flags...)...)
}

// scim sends a SCIM request for g with token to node i.
func (c *cluster) scim(t *testing.T, i int, g *group, token, method, path, body string) reply {
	t.Helper()
	h := http.Header{"Authorization": {"Bearer " + token}}
	if body != "" {
		h.Set("Content-Type", "application/scim+json")
	}
	return c.send(t, c.http, i, method, "/api/scim/v2/groups/"+g.path+path, h, body)
}

// api sends GET path of the admin API as owner to node i and decodes the
// answer into v.
func (c *cluster) api(t *testing.T, i int, path string, v any) reply {
	t.Helper()
	r := c.send(t, c.http, i, http.MethodGet, "/api/v4/"+path, http.Header{"PRIVATE-TOKEN": {c.token}}, "")
	if r.status == http.StatusOK && v != nil {
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Errorf("GET /api/v4/%s on node %d: %v in %s", path, i, err, r)
		}
	}
	return r
}

// signed is a response of g's IdP, signed with keys (nil: the IdP's own),
// for nameID, in answer to inResponseTo ("" for IdP-initiated).
func (g *group) signed(t *testing.T, keys *samltest.KeyPair, nameID, email, inResponseTo string) string {
	t.Helper()
	idp := *g.idp
	if keys != nil {
		idp.Keys = keys
	}
	spec := idp.Spec(g.sp, time.Now())
	spec.NameID, spec.InResponseTo = nameID, inResponseTo
	spec.Attributes = []samltest.Attribute{{Name: "email", Values: []string{email}}, {Name: "name", Values: []string{nameID}}}
	return samltest.Encode(idp.Response(t, spec))
}

// browser is one person's browser: its cookies, sent to the balancer's
// one origin whichever node answers.
type browser struct {
	c      *cluster
	client *http.Client
}

func (c *cluster) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{c: c, client: newClient(jar)}
}

// post posts a form of one of the instance's pages to node i, with the
// Origin header a browser sends and no Fetch Metadata, as older browsers
// do: the node's cross-origin check then compares the Origin with the
// Host header, which the balancer passes on.
func (b *browser) post(t *testing.T, i int, path string, form url.Values) reply {
	t.Helper()
	return b.c.send(t, b.client, i, http.MethodPost, path,
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {b.c.base}}, form.Encode())
}

// get GETs path (a local path) from node i.
func (b *browser) get(t *testing.T, i int, path string) reply {
	t.Helper()
	return b.c.send(t, b.client, i, http.MethodGet, path, nil, "")
}

// callback posts samlResponse to g's ACS on node i.
func (b *browser) callback(t *testing.T, i int, g *group, samlResponse string) reply {
	t.Helper()
	// The IdP's page posts it: a cross-site POST.
	u, _ := url.Parse(g.idp.SSOURL)
	return b.c.send(t, b.client, i, http.MethodPost, "/groups/"+g.path+"/-/saml/callback",
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "Origin": {u.Scheme + "://" + u.Host}, "Sec-Fetch-Site": {"cross-site"}},
		url.Values{"SAMLResponse": {samlResponse}}.Encode())
}

// signIn follows an accepted ACS answer (a 303 to the continue step) on
// node i and returns the username GET /api/v4/user then gives, on node
// i too; "" and an error when any step fails.
func (b *browser) signIn(t *testing.T, i int, acs reply) (string, error) {
	t.Helper()
	loc := acs.header.Get("Location")
	if acs.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/") {
		return "", fmt.Errorf("ACS answered %s, want 303 to a local path", acs)
	}
	cont := b.get(t, i, loc)
	if cont.status != http.StatusSeeOther {
		return "", fmt.Errorf("continue answered %s, want 303", cont)
	}
	return b.me(t, i)
}

// me is GET /api/v4/user on node i: the signed-in username.
func (b *browser) me(t *testing.T, i int) (string, error) {
	t.Helper()
	r := b.get(t, i, "/api/v4/user")
	var u struct{ Username string }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &u) != nil {
		return "", fmt.Errorf("GET /api/v4/user = %s, want 200 and a user", r)
	}
	return u.Username, nil
}

// testOneInstanceKey checks that the three nodes, started at once on an
// empty database, agree on one SAML SP certificate: each group's metadata
// is the same byte for byte on every node.
func testOneInstanceKey(t *testing.T, c *cluster) {
	g := c.newGroup(t, "key.check")
	var first []byte
	for i := range nodes {
		r := c.send(t, c.http, i, http.MethodGet, "/groups/"+g.path+"/-/saml/metadata", nil, "")
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("X509Certificate")) {
			t.Fatalf("metadata on node %d = %s", i, r)
		}
		if first == nil {
			first = r.body
		} else if !bytes.Equal(r.body, first) {
			t.Errorf("node %d's metadata differs from node 0's: the nodes did not agree on one SP key", i)
		}
	}
}

func usernames(users []struct{ Username string }) []string {
	var out []string
	for _, u := range users {
		out = append(out, u.Username)
	}
	slices.Sort(out)
	return out
}
