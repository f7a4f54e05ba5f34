package saml_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

func TestVerdict(t *testing.T) {
	t.Run("success lists every check", func(t *testing.T) {
		_, v, err := saml.ParseResponse(acme, idp.Trust(), post(acme, genuine(t, "both", nil)), now)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range v.Checks {
			if !c.OK {
				t.Errorf("check %s failed on success: %s", c.Name, c.Detail)
			}
			names = append(names, c.Name)
		}
		want := []string{
			saml.CheckConfig, saml.CheckSize, saml.CheckEncoding, saml.CheckXML, saml.CheckResponse, saml.CheckStatus,
			saml.CheckStructure, saml.CheckEncryption, saml.CheckSigned, saml.CheckAlgorithm, saml.CheckCertificate,
			saml.CheckSignature, saml.CheckDestination, saml.CheckIssuer, saml.CheckRecipient, saml.CheckAudience,
			saml.CheckTime, saml.CheckInResponseTo, saml.CheckSubject, saml.CheckAssertion,
		}
		if diff := cmp.Diff(want, names); diff != "" {
			t.Errorf("verdict checks differ (-want +got):\n%s", diff)
		}
		fp := saml.Fingerprint(idp.Keys.Cert, false)
		if !strings.Contains(v.XML, "[certificate, SHA-256 "+fp+"]") || !strings.Contains(v.XML, "[signature, 344 characters]") || !strings.Contains(v.XML, "00u1mallory") {
			t.Errorf("verdict XML does not show the trimmed signature, the certificate's fingerprint and the NameID:\n%s", v.XML)
		}
		if sig, ok := find(v.Checks, saml.CheckSignature); !ok || strings.Count(sig.Detail, fp) != 2 {
			t.Errorf("signature check %+v does not name the certificate of both signatures", sig)
		}
	})
	t.Run("failure is the last check", func(t *testing.T) {
		x := genuine(t, "assertion", func(s *samltest.Spec) { s.Audiences = [][]string{{other.EntityID}} })
		_, v, err := saml.ParseResponse(acme, idp.Trust(), post(acme, x), now)
		failed, ok := v.Failed()
		if err == nil || !ok || failed.Name != saml.CheckAudience || failed.Detail != err.(*saml.Error).Private {
			t.Errorf("Failed() = %+v, %v for the error %v", failed, ok, err)
		}
		if _, ok := find(v.Checks, saml.CheckTime); ok {
			t.Errorf("verdict lists checks after the failure: %+v", v.Checks)
		}
	})
	t.Run("refused response names the request it claims to answer", func(t *testing.T) {
		x := genuine(t, "assertion", func(s *samltest.Spec) {
			s.InResponseTo = "_claimed"
			s.Audiences = [][]string{{other.EntityID}}
		})
		_, v, err := saml.ParseResponse(acme, idp.Trust(), post(acme, x, "_claimed"), now)
		if err == nil || v.InResponseTo != "_claimed" {
			t.Errorf("ParseResponse(wrong audience) = %v, InResponseTo %q, want an error and _claimed", err, v.InResponseTo)
		}
	})
	t.Run("expired certificate", func(t *testing.T) {
		expired := &samltest.KeyPair{Key: idp.Keys.Key, Cert: idp.Keys.Certificate("idp", now.AddDate(-2, 0, 0), now.AddDate(0, 0, -3))}
		x := genuine(t, "assertion", func(s *samltest.Spec) { s.AssertionSigner.Keys = expired })
		trust := idp.Trust()
		trust.Certificates = append(trust.Certificates, expired.Cert)
		_, v, err := saml.ParseResponse(acme, trust, post(acme, x), now)
		if err != nil {
			t.Fatal(err)
		}
		if c, _ := find(v.Checks, saml.CheckCertificate); !strings.Contains(c.Detail, "expired on 2026-02-27") {
			t.Errorf("certificate check %q does not warn of the expiry", c.Detail)
		}
	})
	t.Run("large response is capped", func(t *testing.T) {
		x := genuine(t, "assertion", func(s *samltest.Spec) {
			var many []string
			for range 2000 {
				many = append(many, "a-rather-long-group-name-for-the-verdict-cap")
			}
			s.Attributes = append(s.Attributes, samltest.Attribute{Name: "groups", Values: many})
		})
		_, v, err := saml.ParseResponse(acme, idp.Trust(), post(acme, x), now)
		if err != nil {
			t.Fatal(err)
		}
		if len(x) < 2*saml.MaxVerdictXML || len(v.XML) > saml.MaxVerdictXML+100 || !strings.HasSuffix(v.XML, "more bytes not kept -->") {
			t.Errorf("verdict XML of a %d-byte response is %d bytes, ending %q", len(x), len(v.XML), v.XML[len(v.XML)-40:])
		}
	})
	t.Run("unparsed response is trimmed too", func(t *testing.T) {
		x := samltest.InsertBeforeRoot(genuine(t, "assertion", nil), "<!DOCTYPE r>")
		_, v, _ := saml.ParseResponse(acme, idp.Trust(), post(acme, x), now)
		if !strings.Contains(v.XML, "<!DOCTYPE r>") || !strings.Contains(v.XML, "SignatureValue>[trimmed]") || !strings.Contains(v.XML, "X509Certificate>[trimmed]") {
			t.Errorf("verdict XML of an unparsed response is not the trimmed text:\n%s", v.XML)
		}
	})
}

func find(checks []saml.Check, name string) (saml.Check, bool) {
	for _, c := range checks {
		if c.Name == name {
			return c, true
		}
	}
	return saml.Check{}, false
}
