package web_test

import (
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/demo"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// demoBase is the base URL of the demo tests: a newcomer's, on loopback
// over http.
const demoBase = "http://127.0.0.1:8080"

const demoBanner = "Demo mode: the identity provider is a simulator. Do not use this instance for real accounts."

// demoEnv is a whole server as serve wires it, with or without --demo.
type demoEnv struct {
	t    *testing.T
	s    store.Store
	srv  *server.Server
	log  *scimlog.Writer
	demo *demo.Demo // nil without --demo
}

// demoBackends runs fn on each backend.
func demoBackends(t *testing.T, fn func(t *testing.T, s store.Store)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) { fn(t, b.open(t)) })
	}
}

// newDemoEnv starts a server over s as serve does, with --demo when on.
func newDemoEnv(t *testing.T, s store.Store, on bool) *demoEnv {
	t.Helper()
	ctx := context.Background()
	if _, _, err := (&admin.Service{Store: s}).Bootstrap(ctx, "root password for tests"); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", BaseURL: demoBase, DB: s, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	rl, err := scimlog.New(scimlog.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rl.Close(context.Background()) })
	(&scimhttp.Handler{Store: s, Provision: &provision.Service{Store: s}, BaseURL: demoBase, RequestLog: rl}).Register(srv)
	kp := samltest.Keys("sp")
	svc := &sso.Service{Store: s, BaseURL: demoBase, Keys: sso.KeyPair{Key: kp.Key, Certificate: kp.Cert}}
	e := &demoEnv{t: t, s: s, srv: srv, log: rl}
	if on {
		if e.demo, err = demo.Setup(ctx, demo.Config{Store: s, SSO: svc, SCIM: srv, BaseURL: demoBase}); err != nil {
			t.Fatal(err)
		}
	}
	(&web.Handler{SSO: svc, Demo: e.demo}).Register(srv)
	return e
}

func (e *demoEnv) browser() *browser {
	return &browser{t: e.t, node: &node{h: e.srv}, cookies: map[string]*http.Cookie{}}
}

func TestDemoOffByDefault(t *testing.T) {
	demoBackends(t, func(t *testing.T, s store.Store) {
		e := newDemoEnv(t, s, false)
		b := e.browser()
		for _, path := range []string{"/-/demo/idp", "/-/demo/idp/sso?SAMLRequest=x"} {
			if res := b.get(path); res.status != http.StatusNotFound {
				t.Errorf("GET %s without --demo = %d, want 404", path, res.status)
			}
		}
		if res := b.post("/-/demo/idp/provision", url.Values{}); res.status != http.StatusNotFound && res.status != http.StatusMethodNotAllowed {
			t.Errorf("POST /-/demo/idp/provision without --demo = %d, want 404", res.status)
		}
		if _, err := s.FindGroupByPath(context.Background(), demo.GroupPath); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("FindGroupByPath(demo) without --demo = %v, want NotFound", err)
		}
		if res := b.get("/users/sign_in"); res.status != http.StatusOK || strings.Contains(res.body, "Demo mode") {
			t.Errorf("GET /users/sign_in without --demo = %d, shows the demo banner: %v", res.status, strings.Contains(res.body, "Demo mode"))
		}
	})
}

func TestDemoBannerOnEveryPage(t *testing.T) {
	demoBackends(t, func(t *testing.T, s store.Store) {
		e := newDemoEnv(t, s, true)
		b := e.browser()
		for _, tt := range []struct {
			path   string
			status int
		}{
			{"/users/sign_in", http.StatusOK},
			{"/groups/demo/-/saml/sso", http.StatusOK},
			{"/-/demo/idp", http.StatusOK},
			{"/groups/nope/-/saml/sso", http.StatusNotFound}, // an error page
		} {
			res := b.get(tt.path)
			if res.status != tt.status || !strings.Contains(res.body, demoBanner) {
				t.Errorf("GET %s = %d, banner %v; want %d with the demo banner\n%s", tt.path, res.status, strings.Contains(res.body, demoBanner), tt.status, res.body)
			}
		}
		if res := b.get("/-/demo/idp"); !strings.Contains(res.body, "This is a simulator") {
			t.Errorf("the simulator page does not say it is a simulator:\n%s", res.body)
		}
	})
}

var (
	requestField  = regexp.MustCompile(`name="request" value="([0-9a-f]+)"`)
	responseField = regexp.MustCompile(`name="SAMLResponse" value="([^"]+)"`)
	relayField    = regexp.MustCompile(`name="RelayState" value="([^"]*)"`)
	actionField   = regexp.MustCompile(`<form method="post" action="([^"]+)">\s*<input type="hidden" name="SAMLResponse"`)
)

// provision presses "Provision sample users".
func (e *demoEnv) provision(b *browser) {
	e.t.Helper()
	res := b.post("/-/demo/idp/provision", url.Values{})
	if res.status != http.StatusSeeOther || res.location != "/-/demo/idp?provisioned=3" {
		e.t.Fatalf("POST provision = %d %q, want 303 back with 3 provisioned\n%s", res.status, res.location, res.body)
	}
}

// posted reads the simulator's HTTP-POST page and sends the form to the
// ACS, as the Continue button does.
func (e *demoEnv) posted(b *browser, page response) response {
	e.t.Helper()
	m, a := responseField.FindStringSubmatch(page.body), actionField.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil || a == nil || !strings.Contains(page.body, ">Continue</button>") {
		e.t.Fatalf("simulator answer = %d, want the form with SAMLResponse and a Continue button\n%s", page.status, page.body)
	}
	acs := html.UnescapeString(a[1])
	if want := demoBase + "/groups/demo/-/saml/callback"; acs != want {
		e.t.Fatalf("the form posts to %s, want the ACS %s", acs, want)
	}
	form := url.Values{"SAMLResponse": {html.UnescapeString(m[1])}}
	if r := relayField.FindStringSubmatch(page.body); r != nil {
		form.Set("RelayState", html.UnescapeString(r[1]))
	}
	// Same-origin POST: the browser sends its cookies.
	return b.post(strings.TrimPrefix(acs, demoBase), form)
}

// wantEmail checks who GET /api/v4/user says is signed in.
func wantEmail(t *testing.T, b *browser, email string) {
	t.Helper()
	status, m := b.me()
	if status != http.StatusOK || m["email"] != email {
		t.Errorf("GET /api/v4/user = %d %v, want 200 for %s", status, m, email)
	}
}

// spInitiated starts at the group's sign-in page and returns the
// simulator's page for the AuthnRequest, and its URL.
func spInitiated(t *testing.T, b *browser) (response, string) {
	t.Helper()
	res := b.post("/groups/demo/-/saml/sso", url.Values{})
	if res.status != http.StatusFound || !strings.HasPrefix(res.location, demoBase+"/-/demo/idp/sso?SAMLRequest=") {
		t.Fatalf("POST /groups/demo/-/saml/sso = %d %q, want 302 to the simulator", res.status, res.location)
	}
	path := strings.TrimPrefix(res.location, demoBase)
	return b.get(path), path
}

func TestDemoEndToEnd(t *testing.T) {
	demoBackends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		e := newDemoEnv(t, s, true)
		b := e.browser()
		e.provision(b)

		// The sample people are real SCIM identities, made over the SCIM
		// endpoint: its request log has the requests.
		g := e.demo.Group()
		ids, n, err := s.ListSCIMIdentities(ctx, g.ID, nil, store.Page{Limit: 10})
		if err != nil || n != len(demo.Samples) {
			t.Fatalf("ListSCIMIdentities = %d, %v; want %d", n, err, len(demo.Samples))
		}
		if err := e.log.Close(ctx); err != nil {
			t.Fatal(err)
		}
		logs, _, err := s.ListSCIMRequestLogs(ctx, g.ID, store.Page{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		creates := 0
		for _, l := range logs {
			if l.Method == http.MethodPost && l.Status == http.StatusCreated {
				creates++
			}
		}
		if creates != len(demo.Samples) {
			t.Errorf("SCIM request log has %d successful POSTs, want %d", creates, len(demo.Samples))
		}
		// Pressing the button again provisions nobody twice.
		if res := b.post("/-/demo/idp/provision", url.Values{}); res.location != "/-/demo/idp?provisioned=0" {
			t.Errorf("second provisioning = %d %q, want nothing to do", res.status, res.location)
		}

		// SP-initiated: the group's sign-in page, the simulator, a pick,
		// the signed response to the ACS, the continue step.
		page, _ := spInitiated(t, b)
		m := requestField.FindStringSubmatch(page.body)
		if page.status != http.StatusOK || m == nil || !strings.Contains(page.body, "Ada Lovelace") {
			t.Fatalf("simulator page = %d, want the verified request and the users\n%s", page.status, page.body)
		}
		ada := demo.Samples[0]
		answer := b.post("/-/demo/idp/sso", url.Values{"request": {m[1]}, "name_id": {ada.ExternalID}})
		b.continueTo(e.posted(b, answer), "/-/account")
		wantEmail(t, b, ada.Email)
		// The request is answered once.
		if again := b.post("/-/demo/idp/sso", url.Values{"request": {m[1]}, "name_id": {ada.ExternalID}}); again.status != http.StatusBadRequest {
			t.Errorf("answering the same request twice = %d, want 400", again.status)
		}

		// IdP-initiated.
		b2 := e.browser()
		grace := demo.Samples[1]
		b2.continueTo(e.posted(b2, b2.post("/-/demo/idp/initiate", url.Values{"name_id": {grace.ExternalID}})), "/-/account")
		wantEmail(t, b2, grace.Email)

		// Deprovisioned over SCIM, Linus is refused.
		linus := demo.Samples[2]
		var linusID string
		for _, si := range ids {
			if si.ExternUID == linus.ExternalID {
				linusID = si.SCIMID
			}
		}
		if res := b.post("/-/demo/idp/users/"+linusID+"/active", url.Values{"active": {"false"}}); res.status != http.StatusSeeOther {
			t.Fatalf("Deprovision = %d\n%s", res.status, res.body)
		}
		if si, err := s.FindSCIMIdentity(ctx, g.ID, linusID); err != nil || si.State != gatehouse.IdentityInactive {
			t.Fatalf("Linus after Deprovision = %v, %v; want inactive", si, err)
		}
		b3 := e.browser()
		refused := e.posted(b3, b3.post("/-/demo/idp/initiate", url.Values{"name_id": {linus.ExternalID}}))
		if refused.status != http.StatusForbidden || !strings.Contains(refused.body, "removed") || !strings.Contains(refused.body, demoBanner) {
			t.Errorf("deprovisioned sign-in = %d, want 403 and the refusal page\n%s", refused.status, refused.body)
		}
		if status, _ := b3.me(); status != http.StatusUnauthorized {
			t.Errorf("deprovisioned user signed in: GET /api/v4/user = %d", status)
		}
		// "Provision sample users" assigns him again.
		if res := b.post("/-/demo/idp/provision", url.Values{}); res.location != "/-/demo/idp?provisioned=1" {
			t.Errorf("provisioning after a deprovisioning = %d %q, want 1 reactivated", res.status, res.location)
		}
	})
}

// An owner set a sample person's extern_uid to a wrong value: the
// simulator still sends the person's attributes with the NameID it knows
// them by, as a real IdP does, so the owner's identity page ties the
// refused sign-in to them and says which NameID came.
func TestDemoWrongExternUIDExplained(t *testing.T) {
	demoBackends(t, func(t *testing.T, s store.Store) {
		ctx := context.Background()
		e := newDemoEnv(t, s, true)
		e.provision(e.browser())
		g := e.demo.Group()
		ada := demo.Samples[0]
		si, err := s.FindSCIMIdentityByExternUID(ctx, g.ID, ada.ExternalID)
		if err != nil {
			t.Fatal(err)
		}
		root, err := s.FindUserByUsername(ctx, admin.RootUsername)
		if err != nil {
			t.Fatal(err)
		}
		caller := provision.Caller{Group: g, UserID: root.ID}
		if err := (&provision.Service{Store: s}).SetUserExternUID(ctx, caller, si.UserID, "ada@wrong.example"); err != nil {
			t.Fatal(err)
		}

		b := e.browser()
		refused := e.posted(b, b.post("/-/demo/idp/initiate", url.Values{"name_id": {ada.ExternalID}}))
		if refused.status != http.StatusForbidden || !strings.Contains(refused.body, "No account for this sign-in") {
			t.Fatalf("sign-in with the NameID the IdP knows = %d, want 403 and no account\n%s", refused.status, refused.body)
		}
		_, v, err := (&admin.Service{Store: s}).ExplainSignIn(ctx, g, si.UserID)
		if err != nil || v.Reason != "name_id_mismatch" || !strings.Contains(v.Message, ada.ExternalID) {
			t.Errorf("ExplainSignIn(ada) = %+v, %v; want name_id_mismatch naming %s", v, err, ada.ExternalID)
		}
	})
}

func TestDemoRefusesBadAuthnRequest(t *testing.T) {
	demoBackends(t, func(t *testing.T, s store.Store) {
		e := newDemoEnv(t, s, true)
		b := e.browser()
		_, path := spInitiated(t, b)
		u, err := url.Parse(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name   string
			change func(q url.Values)
		}{
			{"signature of another request", func(q url.Values) {
				other, _ := url.Parse(strings.TrimPrefix(b.post("/groups/demo/-/saml/sso", url.Values{}).location, demoBase))
				q.Set("Signature", other.Query().Get("Signature"))
			}},
			{"unsigned", func(q url.Values) { q.Del("Signature"); q.Del("SigAlg") }},
			{"RelayState added", func(q url.Values) { q.Set("RelayState", "/evil") }},
			{"SHA-1", func(q url.Values) { q.Set("SigAlg", "http://www.w3.org/2000/09/xmldsig#rsa-sha1") }},
			{"not a request", func(q url.Values) { q.Set("SAMLRequest", "bm90IGEgcmVxdWVzdA==") }},
		} {
			t.Run(tt.name, func(t *testing.T) {
				q := u.Query()
				tt.change(q)
				res := b.get(u.Path + "?" + q.Encode())
				if res.status != http.StatusBadRequest || !strings.Contains(res.body, "refused the sign-in request") || requestField.MatchString(res.body) {
					t.Errorf("GET the simulator with a tampered request = %d, want 400 and no pick\n%s", res.status, res.body)
				}
			})
		}
		if res := b.get(path); res.status != http.StatusOK || !requestField.MatchString(res.body) {
			t.Errorf("GET the simulator with the genuine request = %d, want 200 and the pick\n%s", res.status, res.body)
		}
	})
}
