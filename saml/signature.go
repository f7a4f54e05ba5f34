package saml

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Algorithms a signature may use (security.md 1.18).
const (
	excC14N   = "http://www.w3.org/2001/10/xml-exc-c14n#"
	enveloped = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	rsaSHA1   = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
	sha1Alg   = "http://www.w3.org/2000/09/xmldsig#sha1"
)

var (
	signatureMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256": true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha384": true,
		"http://www.w3.org/2001/04/xmldsig-more#rsa-sha512": true,
	}
	digestMethods = map[string]bool{
		"http://www.w3.org/2001/04/xmlenc#sha256":       true,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": true,
		"http://www.w3.org/2001/04/xmlenc#sha512":       true,
	}
)

// checkSignatureShape enforces the one signature shape this package accepts
// on sig, the Signature directly inside el (a Response or an Assertion):
//
//	<ds:Signature>
//	  <ds:SignedInfo>
//	    <ds:CanonicalizationMethod Algorithm="exc-c14n"/>
//	    <ds:SignatureMethod Algorithm="rsa-sha256|384|512"/>
//	    <ds:Reference URI="#{el's ID}">
//	      <ds:Transforms>
//	        <ds:Transform Algorithm="enveloped-signature"/>
//	        <ds:Transform Algorithm="exc-c14n"/> (optionally with an InclusiveNamespaces prefix list)
//	      </ds:Transforms>
//	      <ds:DigestMethod Algorithm="sha256|384|512"/>
//	      <ds:DigestValue>…</ds:DigestValue>
//	    </ds:Reference>
//	  </ds:SignedInfo>
//	  <ds:SignatureValue>…</ds:SignatureValue>
//	  <ds:KeyInfo> (optional) at most one X509Certificate </ds:KeyInfo>
//	</ds:Signature>
//
// with rsa-sha1 and sha1 added when allowSHA1 is set. Nothing else may appear
// in SignedInfo, Reference or Transforms, so that no reading of the
// signature can differ from goxmldsig's.
func checkSignatureShape(el, sig *etree.Element, allowSHA1 bool) *Error {
	what := "the " + el.Tag + "'s signature"
	bad := func(format string, args ...any) *Error {
		return fail(CheckAlgorithm, what+" "+fmt.Sprintf(format, args...)+": Gatehouse accepts only RSA-SHA256 (or SHA-384, SHA-512) XML signatures with exclusive canonicalization over the signed element; use the IdP's default signing settings", "")
	}
	kids, err := dsigChildren(sig, "SignedInfo", "SignatureValue", "KeyInfo")
	if err != nil {
		return bad("%s", err)
	}
	if len(kids["SignedInfo"]) != 1 || len(kids["SignatureValue"]) != 1 || len(kids["KeyInfo"]) > 1 {
		return bad("must have one SignedInfo, one SignatureValue and at most one KeyInfo")
	}
	if strings.TrimSpace(text(kids["SignatureValue"][0])) == "" {
		return bad("has an empty SignatureValue")
	}
	si, err := dsigChildren(kids["SignedInfo"][0], "CanonicalizationMethod", "SignatureMethod", "Reference")
	if err != nil {
		return bad("%s", err)
	}
	if len(si["CanonicalizationMethod"]) != 1 || len(si["SignatureMethod"]) != 1 {
		return bad("must have one CanonicalizationMethod and one SignatureMethod")
	}
	if len(si["Reference"]) != 1 {
		return bad("has %d References; exactly one is allowed", len(si["Reference"]))
	}
	if alg, _ := attr(si["CanonicalizationMethod"][0], "Algorithm"); alg != excC14N {
		return bad("uses the canonicalization %s", q(alg))
	}
	if alg, _ := attr(si["SignatureMethod"][0], "Algorithm"); !signatureMethods[alg] && !(allowSHA1 && alg == rsaSHA1) {
		if alg == rsaSHA1 {
			return fail(CheckAlgorithm, what+" uses RSA-SHA1, which the group does not accept: set the IdP's signature algorithm to RSA-SHA256, or allow SHA-1 in the group's SAML settings", "")
		}
		return bad("uses the signature method %s", q(alg))
	}

	ref := si["Reference"][0]
	id, _ := attr(el, "ID")
	if id == "" {
		return bad("is on a %s without an ID", el.Tag)
	}
	var uris []string
	for _, a := range ref.Attr {
		if a.Key == "URI" {
			uris = append(uris, a.Space+":"+a.Value)
		}
	}
	if len(uris) != 1 || uris[0] != ":#"+id {
		return bad("has a Reference to %s, not to the %s it is in (#%s)", q(strings.Join(uris, " ")), el.Tag, id)
	}
	rk, err := dsigChildren(ref, "Transforms", "DigestMethod", "DigestValue")
	if err != nil {
		return bad("%s", err)
	}
	if len(rk["Transforms"]) != 1 || len(rk["DigestMethod"]) != 1 || len(rk["DigestValue"]) != 1 {
		return bad("must have one Transforms, one DigestMethod and one DigestValue in its Reference")
	}
	if alg, _ := attr(rk["DigestMethod"][0], "Algorithm"); !digestMethods[alg] && !(allowSHA1 && alg == sha1Alg) {
		if alg == sha1Alg {
			return fail(CheckAlgorithm, what+" uses the SHA-1 digest, which the group does not accept: set the IdP's digest algorithm to SHA-256, or allow SHA-1 in the group's SAML settings", "")
		}
		return bad("uses the digest method %s", q(alg))
	}
	tk, err := dsigChildren(rk["Transforms"][0], "Transform")
	if err != nil {
		return bad("%s", err)
	}
	var algs []string
	for _, t := range tk["Transform"] {
		alg, _ := attr(t, "Algorithm")
		algs = append(algs, alg)
		// Only exc-c14n may carry a child: its InclusiveNamespaces.
		for _, c := range t.ChildElements() {
			if alg != excC14N || c.Tag != "InclusiveNamespaces" || c.NamespaceURI() != excC14N {
				return bad("has a Transform with a %s element", c.Tag)
			}
		}
	}
	if len(algs) != 2 || algs[0] != enveloped || algs[1] != excC14N {
		return bad("has the transforms %s; only enveloped-signature followed by exclusive C14N is allowed", q(strings.Join(algs, " ")))
	}

	if len(kids["KeyInfo"]) == 1 {
		if n := len(keyInfoCerts(kids["KeyInfo"][0])); n > 1 {
			return bad("carries %d certificates in its KeyInfo; at most one is allowed", n)
		}
		for _, c := range kids["KeyInfo"][0].ChildElements() {
			if c.NamespaceURI() == dsigNS && c.Tag == "RetrievalMethod" {
				return bad("has a KeyInfo RetrievalMethod")
			}
		}
	}
	return nil
}

// dsigChildren sorts el's child elements by name, allowing only the given
// ds: elements.
func dsigChildren(el *etree.Element, allowed ...string) (map[string][]*etree.Element, error) {
	out := map[string][]*etree.Element{}
	for _, c := range el.ChildElements() {
		ok := c.NamespaceURI() == dsigNS
		if ok {
			ok = false
			for _, a := range allowed {
				ok = ok || c.Tag == a
			}
		}
		if !ok {
			return nil, fmt.Errorf("has an unexpected %s element in its %s", c.Tag, el.Tag)
		}
		out[c.Tag] = append(out[c.Tag], c)
	}
	return out, nil
}

// keyInfoCerts returns the X509Certificate elements of a KeyInfo.
func keyInfoCerts(keyInfo *etree.Element) []*etree.Element {
	var out []*etree.Element
	for _, d := range children(keyInfo, dsigNS, "X509Data") {
		out = append(out, children(d, dsigNS, "X509Certificate")...)
	}
	return out
}

// signatureCert returns the certificate in sig's KeyInfo, nil if there is
// none, or an error if it does not parse.
func signatureCert(sig *etree.Element) (*x509.Certificate, error) {
	if sig == nil {
		return nil, nil
	}
	for _, ki := range children(sig, dsigNS, "KeyInfo") {
		for _, c := range keyInfoCerts(ki) {
			return parseCertText(text(c))
		}
	}
	return nil, nil
}

// parseCertText parses a base64 DER certificate with any whitespace in it.
func parseCertText(s string) (*x509.Certificate, error) {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return nil, errors.New("the certificate is not base64")
	}
	return x509.ParseCertificate(der)
}

// verifySignature verifies the enveloped signature of el with goxmldsig,
// trusting only roots, and returns what the signature covers (parsed from the
// canonical bytes that were digested) and the certificate that verified it.
// With a certificate in KeyInfo, goxmldsig uses it only if it equals one of
// roots; without one, each root is tried on its own.
func verifySignature(ctx *dsig.ValidationContext, el *etree.Element, roots []*x509.Certificate) (*etree.Element, *x509.Certificate, error) {
	sig := signatureChild(el)
	if sig != nil && len(children(sig, dsigNS, "KeyInfo")) > 0 {
		cert, err := signatureCert(sig)
		if err != nil {
			return nil, nil, err
		}
		signed, err := ctx.Validate(el)
		if err != nil {
			return nil, nil, err
		}
		return signed, cert, nil
	}
	err := errors.New("no trusted certificate")
	for _, root := range roots {
		one := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{root}})
		one.IdAttribute = ctx.IdAttribute
		one.Clock = ctx.Clock
		var signed *etree.Element
		if signed, err = one.Validate(el); err == nil {
			return signed, root, nil
		}
	}
	return nil, nil, err
}

// signatureChild returns the ds:Signature directly inside el, or nil.
func signatureChild(el *etree.Element) *etree.Element {
	for _, c := range el.ChildElements() {
		if is(c, dsigNS, "Signature") {
			return c
		}
	}
	return nil
}
