package saml_test

import (
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

var (
	now = samltest.Now
	// acme (id 7) and other (id 8) are two groups on the same Gatehouse.
	acme  = samltest.SP("acme", 7)
	other = samltest.SP("other", 8)
	// idp is acme's identity provider; attacker signs with a key nobody
	// trusts.
	idp      = samltest.NewIdP("idp")
	attacker = samltest.NewIdP("attacker")
)

func TestMain(m *testing.M) {
	// Package saml sets crewjam's global limits on its first call; make
	// one before any test runs crewjam's IdP, which reads them.
	saml.ParseResponse(acme, saml.IdP{}, saml.ResponseInput{}, now)
	os.Exit(m.Run())
}

// post returns the input of xml posted to sp's canonical ACS URL, where ids
// are the request ids the group issued and has not used.
func post(sp saml.SP, xml []byte, ids ...string) saml.ResponseInput {
	return saml.ResponseInput{
		SAMLResponse: samltest.Encode(xml),
		ACSURL:       sp.ACSURLs[0],
		IsRequestID: func(id string) bool {
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			return false
		},
	}
}

// accept parses in and fails the test unless the response is accepted.
func accept(t *testing.T, sp saml.SP, trust saml.IdP, in saml.ResponseInput, at time.Time) *saml.Assertion {
	t.Helper()
	a, v, err := saml.ParseResponse(sp, trust, in, at)
	if err != nil {
		t.Fatalf("ParseResponse() error = %v, want success", err)
	}
	if a == nil || v == nil {
		t.Fatalf("ParseResponse() = %v, %v, want an assertion and a verdict", a, v)
	}
	checkVerdict(t, v, in, "")
	return a
}

// refuse parses in and fails the test unless the response is refused by
// check. It returns the error.
func refuse(t *testing.T, sp saml.SP, trust saml.IdP, in saml.ResponseInput, at time.Time, check string) *saml.Error {
	t.Helper()
	a, v, err := saml.ParseResponse(sp, trust, in, at)
	if err == nil {
		t.Fatalf("ParseResponse() = %+v, want refused by the %q check", a, check)
	}
	var e *saml.Error
	if !errors.As(err, &e) {
		t.Fatalf("ParseResponse() error %v is a %T, want *saml.Error", err, err)
	}
	if a != nil {
		t.Errorf("ParseResponse() returned an assertion with the error %v", err)
	}
	if e.Check != check {
		t.Errorf("ParseResponse() refused by the %q check, want %q: %v", e.Check, check, err)
	}
	if e.Public == "" || strings.ContainsAny(e.Public, "<>") || !strings.HasPrefix(e.Private, e.Public) {
		t.Errorf("error Public %q, Private %q: want a Public message without markup that Private begins with", e.Public, e.Private)
	}
	checkVerdict(t, v, in, check)
	return e
}

// checkVerdict checks what every verdict promises: checks in order, the
// failed one (named failed, "" for none) last; every message safe to show;
// no signature value or certificate in its XML.
func checkVerdict(t *testing.T, v *saml.Verdict, in saml.ResponseInput, failed string) {
	t.Helper()
	if v == nil || len(v.Checks) == 0 {
		t.Fatalf("verdict %v has no checks", v)
	}
	for i, c := range v.Checks {
		if c.Name == "" || c.Detail == "" {
			t.Errorf("verdict check %d = %+v, want a name and a detail", i, c)
		}
		if !c.OK && i != len(v.Checks)-1 {
			t.Errorf("verdict check %d (%s) failed but is not the last", i, c.Name)
		}
	}
	got, isFailed := v.Failed()
	switch {
	case failed == "" && isFailed:
		t.Errorf("verdict failed %q on success", got.Name)
	case failed != "" && (!isFailed || got.Name != failed):
		t.Errorf("verdict Failed() = %+v, %v, want the %q check", got, isFailed, failed)
	}
	if len(v.XML) > saml.MaxVerdictXML+100 {
		t.Errorf("verdict XML is %d bytes, over the cap", len(v.XML))
	}
	if raw, err := base64.StdEncoding.DecodeString(in.SAMLResponse); err == nil {
		for _, secret := range between(string(raw), "SignatureValue>", "</") {
			if len(secret) > 20 && strings.Contains(v.XML, secret) {
				t.Errorf("verdict XML holds a signature value")
			}
		}
		for _, cert := range between(string(raw), "X509Certificate>", "</") {
			if len(cert) > 20 && strings.Contains(v.XML, cert) {
				t.Errorf("verdict XML holds a certificate")
			}
		}
	}
}

// between returns the strings between each from and the next to in s.
func between(s, from, to string) []string {
	var out []string
	for {
		i := strings.Index(s, from)
		if i < 0 {
			return out
		}
		s = s[i+len(from):]
		j := strings.Index(s, to)
		if j < 0 {
			return out
		}
		out = append(out, s[:j])
		s = s[j:]
	}
}
