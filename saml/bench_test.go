package saml_test

import (
	"crypto/x509"
	"fmt"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// benchResponse is a genuine, signed response of about 8 KB: the Response
// signed (RSA-SHA256, exclusive C14N), its Assertion inside it, with an
// email, a name and 50 group values.
func benchResponse(b *testing.B) []byte {
	s := idp.Spec(acme, now)
	s.SignResponse, s.SignAssertion = true, false
	var groups []string
	for i := range 50 {
		groups = append(groups, fmt.Sprintf("engineering-team-%02d", i))
	}
	s.Attributes = append(s.Attributes, samltest.Attribute{Name: "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", Values: groups})
	x := idp.Response(b, s)
	if len(x) < 7000 || len(x) > 9000 {
		b.Fatalf("the benchmark response is %d bytes, not about 8 KB", len(x))
	}
	return x
}

// BenchmarkParseResponse measures the ACS's work for one response: every
// check, crewjam's verification and the verdict.
func BenchmarkParseResponse(b *testing.B) {
	x := benchResponse(b)
	in := post(acme, x)
	trust := idp.Trust()
	b.SetBytes(int64(len(x)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := saml.ParseResponse(acme, trust, in, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifySignature is the floor ParseResponse is measured
// against: parse the same response with etree, canonicalize it and verify
// its RSA-SHA256 signature with goxmldsig, nothing else.
func BenchmarkVerifySignature(b *testing.B) {
	x := benchResponse(b)
	store := &dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{idp.Keys.Cert}}
	b.SetBytes(int64(len(x)))
	b.ReportAllocs()
	for b.Loop() {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(x); err != nil {
			b.Fatal(err)
		}
		ctx := dsig.NewDefaultValidationContext(store)
		ctx.Clock = dsig.NewFakeClockAt(now)
		if _, err := ctx.Validate(doc.Root()); err != nil {
			b.Fatal(err)
		}
	}
}
