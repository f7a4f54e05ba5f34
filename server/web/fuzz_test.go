package web_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// FuzzACS posts any SAMLResponse (the XML before base64), RelayState and
// extra form text to the group's assertion consumer service, as a browser
// posts the IdP's form. Whatever is posted, the answer is never a 5xx, and
// nobody is signed in but alice, the one person the IdP's genuine
// signatures name: victim, whom the attacks among the seeds claim to be,
// never.
//
// The seeds are genuine responses (crewjam/saml's IdP and the test
// signer, both signing alice in at the start of the run), the signature
// wrapping attacks built from them, and broken forms. A genuine response
// is accepted once; its replays, like everything else, are refused.
func FuzzACS(f *testing.F) {
	e := newEnv(f, sqlitestoretest.OpenShared(f, 1))
	e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
	e.provision("00u1victim", "victim@acme.example", "victim@acme.example")
	sp := e.nodes[0].svc.SP(e.group)
	decode := func(s string) []byte {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	signed := func(sign string) []byte {
		s := e.okta.Spec(sp, time.Now())
		s.SignResponse = sign == "response" || sign == "both"
		s.SignAssertion = sign == "assertion" || sign == "both"
		return e.okta.Response(f, s)
	}
	victim := func(a *etree.Element) { samltest.SetNameID(a, "00u1victim") }

	crew := decode(samltest.Unsolicited(f, e.crewjam("00u1alice"), e.nodes[0].svc.EntityID(e.group), ""))
	f.Add(crew, "", "")
	f.Add(crew, "/-/account?tab=groups", "")
	f.Add(crew, "https://evil.example/", "&SAMLResponse=x")
	for _, sign := range []string{"assertion", "response", "both"} {
		x := signed(sign)
		f.Add(x, "", "")
		f.Add(samltest.InsertBeforeRoot(x, `<!DOCTYPE r [<!ENTITY a "a">]>`), "", "")
	}
	a, r := signed("assertion"), signed("response")
	for _, xsw := range []func(testing.TB, []byte, func(*etree.Element)) []byte{samltest.XSW3, samltest.XSW4, samltest.XSW5, samltest.XSW6, samltest.XSW7, samltest.XSW8} {
		f.Add(xsw(f, a, victim), "", "")
	}
	f.Add(samltest.XSW1(f, r, victim), "", "")
	f.Add(samltest.XSW2(f, r, victim), "", "")
	f.Add(samltest.Mutate(f, a, func(r *etree.Element) { victim(samltest.Child(r, "Assertion")) }), "", "")
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`), "", "")
	f.Add([]byte{}, "", "%zz")
	f.Add([]byte("x"), "a", "&RelayState=b")

	h := e.nodes[0].h
	// The check below sees a sign-in: a genuine response, posted as the
	// fuzzer posts, signs alice in.
	if got := signedInAs(f, h, url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(signed("assertion"))}}.Encode()); got != "alice" {
		f.Fatalf("a genuine response signed in %q, want alice", got)
	}
	f.Fuzz(func(t *testing.T, xml []byte, relayState, extra string) {
		form := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(xml)}}
		if relayState != "" {
			form.Set("RelayState", relayState)
		}
		if got := signedInAs(t, h, form.Encode()+extra); got != "" && got != "alice" {
			t.Fatalf("signed in as %q, want alice or nobody:\n%s", got, xml)
		}
	})
}

// signedInAs posts the form to acme.corp's ACS, follows an acceptance to
// the continue step, and returns whom the session that gives is for ("" for
// nobody). It fails t on any 5xx, and on a session cookie from the ACS
// itself.
func signedInAs(t testing.TB, h http.Handler, form string) string {
	t.Helper()
	res := serve(h, "POST", "/groups/acme.corp/-/saml/callback", form, nil)
	if res.status >= 500 {
		t.Fatalf("ACS answered %d:\n%s", res.status, res.body)
	}
	for _, c := range res.cookies {
		if c.Name == web.SessionCookie && c.MaxAge >= 0 {
			t.Fatalf("ACS answered %d with a session cookie", res.status)
		}
	}
	if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/groups/acme.corp/-/saml/continue") {
		return ""
	}
	done := serve(h, "GET", res.location, "", nil)
	if done.status >= 500 {
		t.Fatalf("continue answered %d:\n%s", done.status, done.body)
	}
	me := serve(h, "GET", "/api/v4/user", "", done.cookies)
	if me.status != http.StatusOK {
		return ""
	}
	var u struct{ Username string }
	if err := json.Unmarshal([]byte(me.body), &u); err != nil || u.Username == "" {
		t.Fatalf("GET /api/v4/user = %s: %v", me.body, err)
	}
	return u.Username
}

// served is an answer of serve.
type served struct {
	status   int
	location string
	body     string
	cookies  []*http.Cookie
}

// serve sends one request to h, with the cookies, and a form body when
// body is not empty.
func serve(h http.Handler, method, target, body string, cookies []*http.Cookie) served {
	r := httptest.NewRequest(method, samltest.Base+target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for _, c := range cookies {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	res := w.Result()
	return served{status: res.StatusCode, location: res.Header.Get("Location"), body: w.Body.String(), cookies: res.Cookies()}
}
