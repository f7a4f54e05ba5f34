package saml_test

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

func TestNewAuthnRequest(t *testing.T) {
	req, err := saml.NewAuthnRequest(acme, idp.Trust(), "rs-1", now)
	if err != nil {
		t.Fatalf("NewAuthnRequest() error = %v", err)
	}
	u, err := url.Parse(req.RedirectURL)
	if err != nil || u.Scheme+"://"+u.Host+u.Path != idp.SSOURL {
		t.Fatalf("NewAuthnRequest() redirects to %q, want the IdP's SSO URL", req.RedirectURL)
	}
	q := u.Query()
	if q.Get("RelayState") != "rs-1" || q.Get("SigAlg") != samltest.RSASHA256 || q.Get("Signature") == "" {
		t.Errorf("NewAuthnRequest() query %v, want RelayState, an RSA-SHA256 SigAlg and a Signature", q)
	}
	raw, err := base64.StdEncoding.DecodeString(q.Get("SAMLRequest"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	var got crewjam.AuthnRequest
	if err := xml.Unmarshal(body, &got); err != nil {
		t.Fatalf("the SAMLRequest does not parse: %v\n%s", err, body)
	}
	switch {
	case got.ID != req.ID || !got.IssueInstant.Equal(now) || !req.IssueInstant.Equal(now):
		t.Errorf("request ID %q at %v, returned %q at %v; want the same, at %v", got.ID, got.IssueInstant, req.ID, req.IssueInstant, now)
	case got.Destination != idp.SSOURL || got.AssertionConsumerServiceURL != acme.ACSURLs[0] || got.ProtocolBinding != crewjam.HTTPPostBinding:
		t.Errorf("request Destination %q, ACS %q, binding %q", got.Destination, got.AssertionConsumerServiceURL, got.ProtocolBinding)
	case got.Issuer == nil || got.Issuer.Value != acme.EntityID:
		t.Errorf("request Issuer %+v, want %s", got.Issuer, acme.EntityID)
	case got.NameIDPolicy == nil || got.NameIDPolicy.Format == nil || *got.NameIDPolicy.Format != saml.NameIDUnspecified:
		t.Errorf("request NameIDPolicy %+v, want the unspecified format", got.NameIDPolicy)
	}
	if again, _ := saml.NewAuthnRequest(acme, idp.Trust(), "", now); again.ID == req.ID {
		t.Errorf("two requests have the same ID %q", req.ID)
	}

	for _, tt := range []struct {
		name  string
		sp    func(sp *saml.SP)
		trust func(i *saml.IdP)
		relay string
	}{
		{name: "RelayState over 80 bytes", relay: strings.Repeat("r", saml.MaxRelayState+1)},
		{name: "http SSO URL", trust: func(i *saml.IdP) { i.SSOURL = "http://idp.test/sso" }},
		{name: "javascript SSO URL", trust: func(i *saml.IdP) { i.SSOURL = "javascript:alert(1)" }},
		{name: "no SP key", sp: func(sp *saml.SP) { sp.Key = nil }},
		{name: "no ACS URL", sp: func(sp *saml.SP) { sp.ACSURLs = nil }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sp, trust := acme, idp.Trust()
			if tt.sp != nil {
				tt.sp(&sp)
			}
			if tt.trust != nil {
				tt.trust(&trust)
			}
			if _, err := saml.NewAuthnRequest(sp, trust, tt.relay, now); err == nil {
				t.Errorf("NewAuthnRequest() succeeded, want an error")
			}
		})
	}
}

// TestSignInThroughCrewjam runs whole sign-ins against crewjam's
// IdentityProvider, which checks the AuthnRequest (and its signature)
// against Gatehouse's metadata and signs both Response and Assertion.
func TestSignInThroughCrewjam(t *testing.T) {
	md, err := saml.Metadata(acme)
	if err != nil {
		t.Fatal(err)
	}
	cidp := idp.Crewjam(t, md, samltest.Session("00u1alice", now), now)

	t.Run("SP-initiated", func(t *testing.T) {
		req, err := saml.NewAuthnRequest(acme, idp.Trust(), "rs-1", now)
		if err != nil {
			t.Fatal(err)
		}
		resp, relay := samltest.SignIn(t, cidp, req.RedirectURL)
		if relay != "rs-1" {
			t.Errorf("RelayState came back as %q", relay)
		}
		trust := idp.Trust()
		trust.AllowIdPInitiated = false
		in := saml.ResponseInput{SAMLResponse: resp, ACSURL: acme.ACSURLs[0], IsRequestID: func(id string) bool { return id == req.ID }}
		a := accept(t, acme, trust, in, now)
		if a.NameID != "00u1alice" || a.InResponseTo != req.ID || a.SessionIndex != "_index-00u1alice" || a.Attributes["urn:oid:0.9.2342.19200300.100.1.3"][0] != "alice@example.com" {
			t.Errorf("ParseResponse() = %+v", a)
		}
		in.IsRequestID = func(string) bool { return false }
		refuse(t, acme, trust, in, now, saml.CheckInResponseTo)
		// The same response at another group trusting the same IdP.
		in.IsRequestID = func(id string) bool { return id == req.ID }
		in.ACSURL = other.ACSURLs[0]
		refuse(t, other, trust, in, now, saml.CheckDestination)
	})

	t.Run("request signature checked by the IdP", func(t *testing.T) {
		req, _ := saml.NewAuthnRequest(acme, idp.Trust(), "rs-1", now)
		tampered := strings.Replace(req.RedirectURL, "RelayState=rs-1", "RelayState=rs-2", 1)
		w := serveSSO(cidp, tampered)
		if strings.Contains(w, "SAMLResponse") {
			t.Errorf("crewjam's IdP answered a request whose RelayState changed after signing")
		}
	})

	t.Run("IdP-initiated", func(t *testing.T) {
		resp := samltest.Unsolicited(t, cidp, acme.EntityID, "")
		in := saml.ResponseInput{SAMLResponse: resp, ACSURL: acme.ACSURLs[0]}
		if a := accept(t, acme, idp.Trust(), in, now); a.InResponseTo != "" || a.NameID != "00u1alice" {
			t.Errorf("ParseResponse() = %+v, want an unsolicited sign-in of 00u1alice", a)
		}
		trust := idp.Trust()
		trust.AllowIdPInitiated = false
		refuse(t, acme, trust, in, now, saml.CheckInResponseTo)
	})

	t.Run("encrypted assertion", func(t *testing.T) {
		// Offer the IdP an encryption key, which Gatehouse's own metadata
		// never does, and crewjam's IdP encrypts the assertion.
		ed, err := samlsp.ParseMetadata(md)
		if err != nil {
			t.Fatal(err)
		}
		kd := ed.SPSSODescriptors[0].KeyDescriptors[0]
		kd.Use = "encryption"
		ed.SPSSODescriptors[0].KeyDescriptors = append(ed.SPSSODescriptors[0].KeyDescriptors, kd)
		withKey, err := xml.Marshal(ed)
		if err != nil {
			t.Fatal(err)
		}
		resp := samltest.Unsolicited(t, idp.Crewjam(t, withKey, samltest.Session("00u1alice", now), now), acme.EntityID, "")
		raw, _ := base64.StdEncoding.DecodeString(resp)
		if !strings.Contains(string(raw), "EncryptedAssertion") {
			t.Fatalf("crewjam's IdP did not encrypt:\n%s", raw)
		}
		e := refuse(t, acme, idp.Trust(), saml.ResponseInput{SAMLResponse: resp, ACSURL: acme.ACSURLs[0]}, now, saml.CheckEncryption)
		if !strings.Contains(e.Public, "turn off assertion encryption") {
			t.Errorf("Public message %q does not say what to do", e.Public)
		}
	})

	t.Run("trusted from crewjam's metadata", func(t *testing.T) {
		b, _ := xml.Marshal(cidp.Metadata())
		trust, err := saml.ParseIdPMetadata(b, now)
		if err != nil {
			t.Fatal(err)
		}
		trust.AllowIdPInitiated = true
		accept(t, acme, trust, saml.ResponseInput{SAMLResponse: samltest.Unsolicited(t, cidp, acme.EntityID, ""), ACSURL: acme.ACSURLs[0]}, now)
		trust.Certificates = []*x509.Certificate{attacker.Keys.Cert}
		refuse(t, acme, trust, saml.ResponseInput{SAMLResponse: samltest.Unsolicited(t, cidp, acme.EntityID, ""), ACSURL: acme.ACSURLs[0]}, now, saml.CheckCertificate)
	})
}

func serveSSO(cidp *crewjam.IdentityProvider, u string) string {
	w := httptest.NewRecorder()
	cidp.ServeSSO(w, httptest.NewRequest(http.MethodGet, u, nil))
	return w.Body.String()
}
