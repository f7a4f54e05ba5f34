package samltest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	_ "crypto/sha1"   // for crypto.SHA1
	_ "crypto/sha512" // for crypto.SHA384 and crypto.SHA512
	"crypto/x509"
	"encoding/base64"
	"fmt"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"
)

// XML Signature algorithm identifiers.
const (
	RSASHA1   = dsig.RSASHA1SignatureMethod
	RSASHA256 = dsig.RSASHA256SignatureMethod
	RSASHA384 = dsig.RSASHA384SignatureMethod
	RSASHA512 = dsig.RSASHA512SignatureMethod
	HMACSHA1  = "http://www.w3.org/2000/09/xmldsig#hmac-sha1"
	SHA1      = "http://www.w3.org/2000/09/xmldsig#sha1"
	SHA256    = "http://www.w3.org/2001/04/xmlenc#sha256"
	SHA384    = "http://www.w3.org/2001/04/xmldsig-more#sha384"
	SHA512    = "http://www.w3.org/2001/04/xmlenc#sha512"

	ExcC14N             = "http://www.w3.org/2001/10/xml-exc-c14n#"
	ExcC14NWithComments = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
	C14N11              = "http://www.w3.org/2006/12/xml-c14n11"
	Enveloped           = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
	XPathFilter         = "http://www.w3.org/TR/1999/REC-xpath-19991116"
)

// Signer makes an enveloped XML signature. Its zero value signs as IdPs do
// by default: RSA-SHA256, SHA-256 digest, exclusive C14N, the
// enveloped-signature and exclusive C14N transforms, one Reference to the
// element's ID and the certificate in KeyInfo. The other fields build the
// shapes an SP must refuse; the signature stays valid for the digest and
// canonicalization it names, so that only the shape is wrong.
type Signer struct {
	Keys            *KeyPair // nil: the IdP's
	SignatureMethod string   // "": RSASHA256
	DigestMethod    string   // "": SHA256
	Canonicalizer   string   // CanonicalizationMethod of SignedInfo; "": ExcC14N
	Transforms      []string // nil: Enveloped, ExcC14N
	PrefixList      string   // an InclusiveNamespaces PrefixList on the exclusive C14N transform
	ReferenceURI    *string  // nil: "#" + the element's ID
	TwoReferences   bool     // add a second, identical Reference
	NoKeyInfo       bool     // leave KeyInfo out
	// KeyInfoCert is the certificate put in KeyInfo; nil: the signing
	// key's own.
	KeyInfoCert *x509.Certificate
}

var hashes = map[string]crypto.Hash{
	RSASHA1: crypto.SHA1, RSASHA256: crypto.SHA256, RSASHA384: crypto.SHA384, RSASHA512: crypto.SHA512,
	SHA1: crypto.SHA1, SHA256: crypto.SHA256, SHA384: crypto.SHA384, SHA512: crypto.SHA512,
}

// Sign adds an enveloped signature to el, right after its Issuer (or first,
// if it has none). el must declare the namespaces it uses itself.
func (s Signer) Sign(el *etree.Element, keys *KeyPair) error {
	if s.Keys != nil {
		keys = s.Keys
	}
	sigMethod := or(s.SignatureMethod, RSASHA256)
	digestMethod := or(s.DigestMethod, SHA256)
	transforms := s.Transforms
	if transforms == nil {
		transforms = []string{Enveloped, ExcC14N}
	}

	// The digest over el, canonicalized as the transforms say.
	var c14n dsig.Canonicalizer = dsig.MakeNullCanonicalizer()
	for _, t := range transforms {
		switch t {
		case ExcC14N:
			c14n = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(s.PrefixList)
		case ExcC14NWithComments:
			c14n = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList(s.PrefixList)
		case C14N11:
			c14n = dsig.MakeC14N11Canonicalizer()
		}
	}
	body, err := c14n.Canonicalize(el.Copy()) // it canonicalizes in place
	if err != nil {
		return fmt.Errorf("canonicalize: %w", err)
	}
	digest := sum(hashOr(digestMethod), body)

	sig := etree.NewElement("ds:Signature")
	sig.CreateAttr("xmlns:ds", dsig.Namespace)
	si := sig.CreateElement("ds:SignedInfo")
	si.CreateElement("ds:CanonicalizationMethod").CreateAttr("Algorithm", or(s.Canonicalizer, ExcC14N))
	si.CreateElement("ds:SignatureMethod").CreateAttr("Algorithm", sigMethod)
	uri := "#" + el.SelectAttrValue("ID", "")
	if s.ReferenceURI != nil {
		uri = *s.ReferenceURI
	}
	refs := 1
	if s.TwoReferences {
		refs = 2
	}
	for range refs {
		ref := si.CreateElement("ds:Reference")
		ref.CreateAttr("URI", uri)
		ts := ref.CreateElement("ds:Transforms")
		for _, t := range transforms {
			tr := ts.CreateElement("ds:Transform")
			tr.CreateAttr("Algorithm", t)
			if (t == ExcC14N || t == ExcC14NWithComments) && s.PrefixList != "" {
				in := tr.CreateElement("ec:InclusiveNamespaces")
				in.CreateAttr("xmlns:ec", ExcC14N)
				in.CreateAttr("PrefixList", s.PrefixList)
			}
		}
		ref.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", digestMethod)
		ref.CreateElement("ds:DigestValue").SetText(base64.StdEncoding.EncodeToString(digest))
	}

	// The signature over SignedInfo, canonicalized where it will sit.
	ctx, err := etreeutils.NSBuildParentContext(si)
	if err != nil {
		return err
	}
	detached, err := etreeutils.NSDetatch(ctx, si)
	if err != nil {
		return err
	}
	var siC14N dsig.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if s.Canonicalizer == ExcC14NWithComments {
		siC14N = dsig.MakeC14N10ExclusiveWithCommentsCanonicalizerWithPrefixList("")
	}
	canonical, err := siC14N.Canonicalize(detached)
	if err != nil {
		return err
	}
	h := hashOr(sigMethod)
	value, err := rsa.SignPKCS1v15(rand.Reader, keys.Key, h, sum(h, canonical))
	if err != nil {
		return err
	}
	sig.CreateElement("ds:SignatureValue").SetText(base64.StdEncoding.EncodeToString(value))
	if !s.NoKeyInfo {
		cert := keys.Cert
		if s.KeyInfoCert != nil {
			cert = s.KeyInfoCert
		}
		sig.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
			SetText(base64.StdEncoding.EncodeToString(cert.Raw))
	}

	at := 0
	for i, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && c.Tag == "Issuer" {
			at = i + 1
			break
		}
	}
	el.InsertChildAt(at, sig)
	return nil
}

func or(s, dflt string) string {
	if s == "" {
		return dflt
	}
	return s
}

// hashOr returns the hash an algorithm names, SHA-256 for one it does not
// know (HMAC, say: the signature is then simply wrong).
func hashOr(alg string) crypto.Hash {
	if h, ok := hashes[alg]; ok {
		return h
	}
	return crypto.SHA256
}

func sum(h crypto.Hash, b []byte) []byte {
	w := h.New()
	w.Write(b)
	return w.Sum(nil)
}
