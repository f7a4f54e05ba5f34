package saml_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// signedNameIDs are the NameIDs the fuzz seeds carry under a valid
// signature. No input may sign anyone else in: that would be a forgery.
var signedNameIDs = map[string]bool{"00u1alice": true, mallory: true, "victim@corp.example.evil.test": true}

// FuzzParseResponse feeds ParseResponse decoded responses, from genuine
// ones of every shape and their attacks. It checks that nothing panics,
// that every outcome is either an assertion or an *Error naming its check
// (the verdict agreeing), that messages carry no markup, and that nothing
// but a genuinely signed NameID is ever accepted.
func FuzzParseResponse(f *testing.F) {
	for _, sign := range []string{"assertion", "response", "both"} {
		x := genuine(f, sign, nil)
		f.Add(x)
		f.Add(samltest.Mutate(f, x, func(r *etree.Element) { makeVictim(samltest.Child(r, "Assertion")) }))
		f.Add(samltest.InsertBeforeRoot(x, `<!DOCTYPE r [<!ENTITY a "a">]>`))
	}
	a := genuine(f, "assertion", nil)
	r := genuine(f, "response", nil)
	for _, xsw := range []func(testing.TB, []byte, func(*etree.Element)) []byte{samltest.XSW3, samltest.XSW4, samltest.XSW5, samltest.XSW6, samltest.XSW7, samltest.XSW8} {
		f.Add(xsw(f, a, makeVictim))
	}
	f.Add(samltest.XSW1(f, r, makeVictim))
	f.Add(samltest.XSW2(f, r, makeVictim))
	f.Add(samltest.Mutate(f, genuine(f, "assertion", func(s *samltest.Spec) {
		s.NameID = "victim@corp.example.evil.test"
	}), func(r *etree.Element) {
		samltest.SplitWithComment(samltest.Path(r, "Assertion", "Subject", "NameID"), len("victim@corp.example"))
	}))
	f.Add(samltest.Mutate(f, a, func(r *etree.Element) {
		samltest.Path(r, "Assertion", "Subject", "SubjectConfirmation", "SubjectConfirmationData").CreateAttr("xmlns:Recipient", other.ACSURLs[0])
	}))
	f.Add([]byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0" IssueInstant="2026-03-02T10:00:00Z"/>`))

	trust := idp.Trust()
	f.Fuzz(func(t *testing.T, xml []byte) {
		in := post(acme, xml, "id-known")
		a, v, err := saml.ParseResponse(acme, trust, in, now)
		if v == nil || len(v.Checks) == 0 {
			t.Fatalf("ParseResponse() verdict %v has no checks", v)
		}
		failed, isFailed := v.Failed()
		if err != nil {
			var e *saml.Error
			if !errors.As(err, &e) || e.Check == "" || e.Public == "" || strings.ContainsAny(e.Public, "<>") {
				t.Fatalf("ParseResponse() error %#v is not an *Error with a check and a safe message", err)
			}
			if a != nil || !isFailed || failed.Name != e.Check {
				t.Fatalf("ParseResponse() = %v, %v with the verdict's failure %+v", a, err, failed)
			}
			return
		}
		if a == nil || isFailed {
			t.Fatalf("ParseResponse() succeeded with assertion %v and verdict failure %+v", a, failed)
		}
		if !signedNameIDs[a.NameID] {
			t.Fatalf("ParseResponse() accepted NameID %q, which no signature covers", a.NameID)
		}
	})
}
