package samltest

import (
	"fmt"
	"html"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	dsig "github.com/russellhaering/goxmldsig"
)

// Crewjam returns crewjam/saml's IdentityProvider acting as idp at now for
// the one service provider whose metadata is spMetadata, signing in
// session's user. It signs both the Response and the Assertion with
// RSA-SHA256, and encrypts the assertion if the SP metadata offers an
// encryption key.
func (idp *IdP) Crewjam(t testing.TB, spMetadata []byte, session *crewjam.Session, now time.Time) *crewjam.IdentityProvider {
	t.Helper()
	md, err := samlsp.ParseMetadata(spMetadata)
	if err != nil {
		t.Fatalf("samltest: parse SP metadata: %v", err)
	}
	entity, _ := url.Parse(idp.EntityID)
	sso, _ := url.Parse(idp.SSOURL)
	return &crewjam.IdentityProvider{
		Key:                     idp.Keys.Key,
		Certificate:             idp.Keys.Cert,
		MetadataURL:             *entity,
		SSOURL:                  *sso,
		ServiceProviderProvider: oneSP{md},
		SessionProvider:         fixedSession{session},
		Clock:                   dsig.NewFakeClockAt(now),
		Logger:                  log.New(testLog{t}, "crewjam IdP: ", 0),
	}
}

// testLog writes crewjam's log to the test's.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// Session returns a crewjam session for the user with the given NameID.
func Session(nameID string, now time.Time) *crewjam.Session {
	return &crewjam.Session{
		ID:           "session-" + nameID,
		CreateTime:   now.Add(-time.Minute),
		ExpireTime:   now.Add(time.Hour),
		Index:        "_index-" + nameID,
		NameID:       nameID,
		NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
		UserName:     "alice",
		UserEmail:    "alice@example.com",
	}
}

// SignIn follows redirectURL, an AuthnRequest for the HTTP-Redirect binding,
// through crewjam's IdP (which checks the request and its signature against
// the SP metadata) and returns the SAMLResponse and RelayState it posts to
// the ACS.
func SignIn(t testing.TB, cidp *crewjam.IdentityProvider, redirectURL string) (samlResponse, relayState string) {
	t.Helper()
	w := httptest.NewRecorder()
	cidp.ServeSSO(w, httptest.NewRequest(http.MethodGet, redirectURL, nil))
	return postedForm(t, w)
}

// Unsolicited returns the SAMLResponse crewjam's IdP posts for an
// IdP-initiated sign-in to the SP spEntityID.
func Unsolicited(t testing.TB, cidp *crewjam.IdentityProvider, spEntityID, relayState string) string {
	t.Helper()
	w := httptest.NewRecorder()
	cidp.ServeIDPInitiated(w, httptest.NewRequest(http.MethodGet, cidp.SSOURL.String(), nil), spEntityID, relayState)
	resp, _ := postedForm(t, w)
	return resp
}

var (
	formResponse = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)
	formRelay    = regexp.MustCompile(`name="RelayState" value="([^"]*)"`)
)

func postedForm(t testing.TB, w *httptest.ResponseRecorder) (string, string) {
	t.Helper()
	body := w.Body.String()
	m := formResponse.FindStringSubmatch(body)
	if w.Code != http.StatusOK || m == nil {
		t.Fatalf("samltest: crewjam's IdP answered %d without a SAMLResponse form:\n%s", w.Code, body)
	}
	relay := ""
	if r := formRelay.FindStringSubmatch(body); r != nil {
		relay = html.UnescapeString(r[1])
	}
	return html.UnescapeString(m[1]), relay
}

type oneSP struct{ md *crewjam.EntityDescriptor }

func (s oneSP) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	if id != s.md.EntityID {
		return nil, fmt.Errorf("unknown service provider %q: %w", id, os.ErrNotExist)
	}
	return s.md, nil
}

type fixedSession struct{ s *crewjam.Session }

func (f fixedSession) GetSession(http.ResponseWriter, *http.Request, *crewjam.IdpAuthnRequest) *crewjam.Session {
	return f.s
}
