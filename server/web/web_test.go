package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	crewjam "github.com/crewjam/saml"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

const alicePassword = "correct horse battery staple"

// env is an instance (one or more server nodes over one database) with the
// group acme.corp, whose IdP is okta, and the group other, whose IdP is
// entra.
type env struct {
	t      testing.TB
	s      store.Store
	clock  *clock // every node's
	nodes  []*node
	adm    *admin.Service
	prov   *provision.Service
	group  *gatehouse.Group
	other  *gatehouse.Group
	okta   *samltest.IdP
	entra  *samltest.IdP
	config *gatehouse.SAMLConfig
}

// node is one server of the instance.
type node struct {
	h   http.Handler
	svc *sso.Service
}

// backends runs fn on each backend with an instance of n nodes.
func backends(t *testing.T, n int, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB, int) []store.Store
	}{{"sqlite", sqlitestoretest.OpenShared}, {"postgres", pgstoretest.OpenShared}} {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b.open(t, n))) })
	}
}

func newEnv(t testing.TB, stores []store.Store) *env {
	t.Helper()
	ctx := context.Background()
	s := stores[0]
	e := &env{t: t, s: s, okta: samltest.NewIdP("okta"), entra: samltest.NewIdP("entra"),
		adm:  &admin.Service{Store: s, PasswordParams: fastParams},
		prov: &provision.Service{Store: s}}
	if _, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "owner", Email: "owner@example.com"}); err != nil {
		t.Fatal(err)
	}
	var err error
	if e.group, err = e.adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "owner"}); err != nil {
		t.Fatal(err)
	}
	if e.other, err = e.adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "other", Owner: "owner"}); err != nil {
		t.Fatal(err)
	}
	e.config = e.trust(e.group, e.okta, func(*gatehouse.SAMLConfig) {})
	e.trust(e.other, e.entra, func(*gatehouse.SAMLConfig) {})

	e.clock = &clock{}
	for _, st := range stores {
		n := newNode(t, st)
		n.svc.Now = e.clock.now
		e.nodes = append(e.nodes, n)
	}
	return e
}

// clock is the nodes' clock: the real time, moved on by advance.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// fastParams make the tests' password hashes cheap.
var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// newNode starts a server node over st.
func newNode(t testing.TB, st store.Store) *node {
	t.Helper()
	logw := io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	kp := samltest.Keys("sp")
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", BaseURL: samltest.Base, DB: st,
		Logger: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		t.Fatal(err)
	}
	adm := &admin.Service{Store: st, PasswordParams: fastParams}
	svc := &sso.Service{Store: st, BaseURL: samltest.Base, Keys: sso.KeyPair{Key: kp.Key, Certificate: kp.Cert}, Admin: adm}
	(&web.Handler{SSO: svc, Admin: adm, Secure: true, Metrics: web.NewMetrics(srv.Registry(), false)}).Register(srv)
	return &node{h: srv, svc: svc}
}

// trust configures g to trust idp, then applies edit.
func (e *env) trust(g *gatehouse.Group, idp *samltest.IdP, edit func(*gatehouse.SAMLConfig)) *gatehouse.SAMLConfig {
	e.t.Helper()
	c := &gatehouse.SAMLConfig{GroupID: g.ID, Enabled: true, IdPEntityID: idp.EntityID, SSOURL: idp.SSOURL,
		Certificates: []string{string(idp.Keys.CertPEM())}, AllowIdPInitiated: true}
	edit(c)
	if err := e.s.PutSAMLConfig(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// provision creates a SCIM user of the group.
func (e *env) provision(externalID, userName, email string) *gatehouse.SCIMIdentity {
	e.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":%q,"userName":%q,"name":{"givenName":"Given","familyName":"Family"},"emails":[{"primary":true,"type":"work","value":%q}]}`,
		externalID, userName, email)
	u, err := scim.ParseUser([]byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	si, err := e.prov.Create(context.Background(), provision.Caller{Group: e.group, TokenID: 1, RequestID: "test"}, u)
	if err != nil {
		e.t.Fatal(err)
	}
	return si
}

func (e *env) patch(si *gatehouse.SCIMIdentity, op scimpatch.Operation) {
	e.t.Helper()
	if _, err := e.prov.Patch(context.Background(), provision.Caller{Group: e.group, TokenID: 1, RequestID: "test"}, si.SCIMID, []scimpatch.Operation{op}, 0); err != nil {
		e.t.Fatal(err)
	}
}

// browser is a browser with its cookies, talking to one node at a time.
type browser struct {
	t       testing.TB
	node    *node
	cookies map[string]*http.Cookie
	// ip is the client's address; "" leaves httptest's.
	ip string
}

func (e *env) browser() *browser {
	return &browser{t: e.t, node: e.nodes[0], cookies: map[string]*http.Cookie{}}
}

// response is a finished request.
type response struct {
	status   int
	location string
	body     string
	header   http.Header
}

// do sends a request; withCookies false leaves the cookies out, as a
// browser does on the IdP's cross-site POST.
func (b *browser) do(method, path string, form url.Values, withCookies bool, header ...string) response {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, samltest.Base+path, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if b.ip != "" {
		r.RemoteAddr = net.JoinHostPort(b.ip, "40000")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	if withCookies {
		for _, c := range b.cookies {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	w := httptest.NewRecorder()
	b.node.h.ServeHTTP(w, r)
	res := w.Result()
	for _, c := range res.Cookies() {
		if c.MaxAge < 0 {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c
		}
	}
	return response{status: res.StatusCode, location: res.Header.Get("Location"), body: w.Body.String(), header: res.Header}
}

func (b *browser) get(path string) response { b.t.Helper(); return b.do("GET", path, nil, true) }
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	return b.do("POST", path, form, true)
}

// start begins an SP-initiated sign-in and returns the IdP URL.
func (b *browser) start(group, redirect string) string {
	b.t.Helper()
	res := b.post("/groups/"+group+"/-/saml/sso", url.Values{"redirect": {redirect}})
	if res.status != http.StatusFound || !strings.HasPrefix(res.location, "https://") {
		b.t.Fatalf("POST sso = %d %q, want 302 to the IdP\n%s", res.status, res.location, res.body)
	}
	return res.location
}

// callback posts a SAMLResponse to the group's ACS, without cookies.
func (b *browser) callback(group, samlResponse, relayState string) response {
	b.t.Helper()
	form := url.Values{"SAMLResponse": {samlResponse}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	return b.do("POST", "/groups/"+group+"/-/saml/callback", form, false)
}

// follow GETs a 303's location.
func (b *browser) follow(res response) response {
	b.t.Helper()
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/") {
		b.t.Fatalf("got %d %q, want 303 to a local path\n%s", res.status, res.location, res.body)
	}
	return b.get(res.location)
}

// me is GET /api/v4/user with the browser's cookies.
func (b *browser) me() (int, map[string]any) {
	b.t.Helper()
	res := b.get("/api/v4/user")
	var m map[string]any
	if res.status == http.StatusOK {
		if err := json.Unmarshal([]byte(res.body), &m); err != nil {
			b.t.Fatalf("GET /api/v4/user: %v in %s", err, res.body)
		}
	}
	return res.status, m
}

func (b *browser) wantSignedInAs(username string) {
	b.t.Helper()
	status, m := b.me()
	if status != http.StatusOK || m["username"] != username {
		b.t.Errorf("GET /api/v4/user = %d %v, want 200 for %s", status, m, username)
	}
}

// crewjam is crewjam's IdP acting as okta for the group, signing in nameID.
func (e *env) crewjam(nameID string) *crewjam.IdentityProvider {
	e.t.Helper()
	md, err := e.nodes[0].svc.Metadata(e.group)
	if err != nil {
		e.t.Fatal(err)
	}
	return e.okta.Crewjam(e.t, md, samltest.Session(nameID, time.Now()), time.Now())
}

// signed is a response of the test signer for the group g of IdP idp.
func (e *env) signed(g *gatehouse.Group, idp *samltest.IdP, nameID, inResponseTo string) string {
	e.t.Helper()
	spec := idp.Spec(e.nodes[0].svc.SP(g), time.Now())
	spec.NameID = nameID
	spec.InResponseTo = inResponseTo
	return samltest.Encode(idp.Response(e.t, spec))
}

var refPattern = regexp.MustCompile(`Reference: <span class="ref">([0-9a-f]+)</span>`)

// wantFailure checks a failure page: its status, that it never redirects,
// and that its reference id is in the group's SAML log with the outcome.
func (e *env) wantFailure(what string, g *gatehouse.Group, res response, status int, outcome string) {
	e.t.Helper()
	if res.status != status || res.location != "" {
		e.t.Errorf("%s = %d %q, want %d and no redirect\n%s", what, res.status, res.location, status, res.body)
		return
	}
	if strings.Contains(res.body, "<saml") || strings.Contains(res.body, "goroutine") {
		e.t.Errorf("%s: the failure page shows XML or a stack trace:\n%s", what, res.body)
	}
	m := refPattern.FindStringSubmatch(res.body)
	if m == nil {
		e.t.Errorf("%s: the failure page shows no reference id:\n%s", what, res.body)
		return
	}
	entry, err := e.s.FindSAMLLogByReference(context.Background(), g.ID, m[1])
	if err != nil {
		e.t.Errorf("%s: FindSAMLLogByReference(%s) = %v", what, m[1], err)
		return
	}
	if entry.Outcome != outcome {
		e.t.Errorf("%s: SAML log outcome = %q, want %q", what, entry.Outcome, outcome)
	}
}

// continueTo checks that an ACS answer leads, through the continue URL, to
// location, signed in.
func (b *browser) continueTo(res response, location string) {
	b.t.Helper()
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/groups/") {
		b.t.Fatalf("callback = %d %q, want 303 to the continue URL\n%s", res.status, res.location, res.body)
	}
	done := b.get(res.location)
	if done.status != http.StatusSeeOther || done.location != location {
		b.t.Fatalf("continue = %d %q, want 303 to %s\n%s", done.status, done.location, location, done.body)
	}
}

var tokenField = regexp.MustCompile(`name="token" value="([^"]+)"`)

func nowUTC() time.Time { return time.Now().UTC() }

func itoa(id int64) string { return fmt.Sprint(id) }

func callerOf(e *env) provision.Caller {
	return provision.Caller{Group: e.group, TokenID: 1, RequestID: "test"}
}

// newAlice creates the personal account alice, with alicePassword.
func (e *env) newAlice() *gatehouse.User {
	e.t.Helper()
	u, err := e.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com", Password: alicePassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// signIn signs the browser in with the password and checks that it lands
// on location.
func (b *browser) signIn(login, pw, location string) {
	b.t.Helper()
	res := b.post("/users/sign_in", url.Values{"login": {login}, "password": {pw}})
	if res.status != http.StatusSeeOther || res.location != location {
		b.t.Fatalf("sign-in as %s = %d %q, want 303 to %s\n%s", login, res.status, res.location, location, res.body)
	}
}

// crossSite posts the form as if another site's page sent it.
func (b *browser) crossSite(path string, form url.Values) response {
	b.t.Helper()
	return b.do("POST", path, form, true, "Sec-Fetch-Site", "cross-site")
}

// mustUser creates a personal account with the username and no password.
func (e *env) mustUser(username string) *gatehouse.User {
	e.t.Helper()
	return storetest.MustCreateUser(e.t, e.s, username)
}

// wantStatus stops the test unless the response has the status.
func wantStatus(t testing.TB, res response, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("got %d, want %d\n%s", res.status, status, res.body)
	}
}
