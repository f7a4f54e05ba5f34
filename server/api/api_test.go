package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/api"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// base is the server's public URL in the tests; Link headers are built on
// it.
const base = "https://gatehouse.test"

// env is an instance with three groups:
//
//   - acme.corp, with SAML configured: owner olga, developer dev, and the
//     SCIM users its IdP provisions;
//   - other, with SAML configured: owner bob;
//   - plain, without SAML: owner olga.
//
// stranger belongs to no group; root is the instance administrator. Each
// has a personal access token in tokens.
type env struct {
	t      *testing.T
	s      store.Store
	srv    *server.Server
	adm    *admin.Service
	prov   *provision.Service
	acme   *gatehouse.Group
	other  *gatehouse.Group
	plain  *gatehouse.Group
	users  map[string]*gatehouse.User
	tokens map[string]string
	// now is the API's clock, which decides whether a token has expired.
	now time.Time
}

// backends runs fn on a fresh instance over each backend; PostgreSQL only
// when GATEHOUSE_TEST_POSTGRES is set.
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b.open(t))) })
	}
}

func newEnv(t *testing.T, s store.Store) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{t: t, s: s, users: map[string]*gatehouse.User{}, tokens: map[string]string{}, now: time.Now(),
		adm:  &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
		prov: &provision.Service{Store: s}}
	for _, name := range []string{"olga", "dev", "bob", "stranger", "root"} {
		u, err := e.adm.CreateUser(ctx, admin.System, admin.NewUser{Username: name, Email: name + "@example.com", Admin: name == "root"})
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u
		e.tokens[name] = e.token(name, time.Time{})
	}
	e.acme = e.group("acme.corp", "olga", true)
	e.other = e.group("other", "bob", true)
	e.plain = e.group("plain", "olga", false)
	if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", "dev", gatehouse.Developer); err != nil {
		t.Fatal(err)
	}

	logw := io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", BaseURL: base, DB: s,
		Logger: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		t.Fatal(err)
	}
	signIn := &sso.Service{Store: s, BaseURL: base, Now: func() time.Time { return e.now }}
	(&web.Handler{SSO: signIn}).Register(srv)
	(&api.Handler{Store: s, SSO: signIn, Admin: e.adm, Provision: e.prov}).Register(srv)
	e.srv = srv
	return e
}

// group creates a group owned by owner, with SAML configured when saml.
func (e *env) group(path, owner string, saml bool) *gatehouse.Group {
	e.t.Helper()
	ctx := context.Background()
	g, err := e.adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: path, Owner: owner})
	if err != nil {
		e.t.Fatal(err)
	}
	if saml {
		idp := samltest.NewIdP(path)
		c := &gatehouse.SAMLConfig{GroupID: g.ID, Enabled: true, IdPEntityID: idp.EntityID, SSOURL: idp.SSOURL,
			Certificates: []string{string(idp.Keys.CertPEM())}}
		if err := e.s.PutSAMLConfig(ctx, c); err != nil {
			e.t.Fatal(err)
		}
	}
	return g
}

// token creates a personal access token of the user.
func (e *env) token(user string, expires time.Time) string {
	e.t.Helper()
	tok, _, err := e.adm.CreatePAT(context.Background(), admin.System, admin.NewPAT{User: user, ExpiresAt: expires})
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// provision creates a SCIM user of g as its IdP would.
func (e *env) provision(g *gatehouse.Group, externalID, userName, email string) *gatehouse.SCIMIdentity {
	e.t.Helper()
	body := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":%q,"userName":%q,"name":{"givenName":"Given","familyName":"Family"},"emails":[{"primary":true,"type":"work","value":%q}]}`,
		externalID, userName, email)
	u, err := scim.ParseUser([]byte(body))
	if err != nil {
		e.t.Fatal(err)
	}
	si, err := e.prov.Create(context.Background(), provision.Caller{Group: g, TokenID: 1, RequestID: "test"}, u)
	if err != nil {
		e.t.Fatalf("provision %s: %v", externalID, err)
	}
	return si
}

// request is one API request.
type request struct {
	method, path string
	token        string // as PRIVATE-TOKEN; "" for none
	header       http.Header
	body         string
	contentType  string
}

// response is what the server answered.
type response struct {
	status int
	header http.Header
	body   string
}

func (e *env) do(r request) response {
	e.t.Helper()
	var body io.Reader
	if r.body != "" {
		body = strings.NewReader(r.body)
	}
	req := httptest.NewRequest(r.method, r.path, body)
	if r.token != "" {
		req.Header.Set("PRIVATE-TOKEN", r.token)
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return response{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

// as sends method path with user's token and JSON body (none when "").
func (e *env) as(user, method, path, body string) response {
	e.t.Helper()
	r := request{method: method, path: path, token: e.tokens[user], body: body}
	if body != "" {
		r.contentType = "application/json"
	}
	return e.do(r)
}

// want checks the status and, when wantBody is not "", that the body is
// that JSON document.
func (e *env) want(what string, got response, status int, wantBody string) {
	e.t.Helper()
	if got.status != status {
		e.t.Errorf("%s: status %d, want %d; body %s", what, got.status, status, got.body)
		return
	}
	if wantBody != "" && !sameJSON(got.body, wantBody) {
		e.t.Errorf("%s: body %s, want %s", what, got.body, wantBody)
	}
	if got.body != "" && !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
		e.t.Errorf("%s: Content-Type %q, want application/json", what, got.header.Get("Content-Type"))
	}
}

// sameJSON reports whether two JSON documents are equal as values.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return false
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return string(ja) == string(jb)
}

// messageContains checks that a 4xx body is {"message": …} containing all
// of parts.
func (e *env) messageContains(what string, got response, status int, parts ...string) {
	e.t.Helper()
	if got.status != status {
		e.t.Errorf("%s: status %d, want %d; body %s", what, got.status, status, got.body)
		return
	}
	var b struct{ Message string }
	if err := json.Unmarshal([]byte(got.body), &b); err != nil || b.Message == "" {
		e.t.Errorf("%s: body %s, want {\"message\":…}", what, got.body)
		return
	}
	for _, p := range parts {
		if !strings.Contains(b.Message, p) {
			e.t.Errorf("%s: message %q does not say %q", what, b.Message, p)
		}
	}
}

func itoa(n int64) string { return fmt.Sprint(n) }

// store0 is the first page of ten, newest first for audit events.
func store0() store.Page { return store.Page{Limit: 10} }
