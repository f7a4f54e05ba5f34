package saml_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// xmlsec1 returns the path of Debian's xmlsec1, skipping the test when it
// is not installed, unless GATEHOUSE_TEST_XMLSEC=1 makes it mandatory (as
// in CI: apt-get install -y xmlsec1).
func xmlsec1(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("xmlsec1")
	if err != nil {
		if os.Getenv("GATEHOUSE_TEST_XMLSEC") == "1" {
			t.Fatalf("xmlsec1 is not installed, and GATEHOUSE_TEST_XMLSEC=1 requires it: apt-get install -y xmlsec1")
		}
		t.Skip("xmlsec1 is not installed (apt-get install -y xmlsec1); set GATEHOUSE_TEST_XMLSEC=1 to require it")
	}
	return path
}

// signatureTemplate is the Signature xmlsec1 fills in for the element with
// the given ID.
func signatureTemplate(id string) *etree.Element {
	doc := etree.NewDocument()
	err := doc.ReadFromString(`<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">` +
		`<ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		`<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>` +
		`<ds:Reference URI="#` + id + `">` +
		`<ds:Transforms>` +
		`<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>` +
		`<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		`</ds:Transforms>` +
		`<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>` +
		`<ds:DigestValue></ds:DigestValue>` +
		`</ds:Reference>` +
		`</ds:SignedInfo>` +
		`<ds:SignatureValue></ds:SignatureValue>` +
		`<ds:KeyInfo><ds:X509Data></ds:X509Data></ds:KeyInfo>` +
		`</ds:Signature>`)
	if err != nil {
		panic(err)
	}
	return doc.Root()
}

// insertAfterIssuer puts sig into el right after its Issuer.
func insertAfterIssuer(el, sig *etree.Element) {
	el.InsertChildAt(samltest.Child(el, "Issuer").Index()+1, sig)
}

// TestXMLSecInterop signs responses with xmlsec1, an independent XML
// Signature implementation (libxml2 and OpenSSL), and checks that
// ParseResponse accepts them and refuses a tampered copy.
func TestXMLSecInterop(t *testing.T) {
	bin := xmlsec1(t)
	dir := t.TempDir()
	// keyFiles writes a key pair for xmlsec1 and returns its --privkey-pem
	// argument.
	keyFiles := func(name string, kp *samltest.KeyPair) string {
		keyFile := filepath.Join(dir, name+"-key.pem")
		certFile := filepath.Join(dir, name+"-cert.pem")
		if err := os.WriteFile(keyFile, kp.KeyPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(certFile, kp.CertPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		return keyFile + "," + certFile
	}
	current := keyFiles("current", idp.Keys)
	// sign runs xmlsec1 over xml, signing the first empty Signature in
	// document order with the key pair of privkey; the ID attributes of
	// Responses and Assertions are declared on the command line, since
	// there is no DTD.
	signWith := func(t *testing.T, privkey string, xml []byte) []byte {
		t.Helper()
		in := filepath.Join(dir, "in.xml")
		out := filepath.Join(dir, "out.xml")
		if err := os.WriteFile(in, xml, 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "--sign",
			"--privkey-pem", privkey,
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response",
			"--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
			"--output", out, in)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("xmlsec1 --sign: %v\n%s\ninput:\n%s", err, b, xml)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sign := func(t *testing.T, xml []byte) []byte { t.Helper(); return signWith(t, current, xml) }

	for _, tt := range []struct {
		name                string
		response, assertion bool
	}{
		{"assertion signed", false, true},
		{"response signed", true, false},
		{"both signed", true, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := idp.Spec(acme, now)
			s.SignAssertion = false
			if tt.assertion {
				s.EditAssertion = func(a *etree.Element) { insertAfterIssuer(a, signatureTemplate(s.AssertionID)) }
			}
			x := idp.Response(t, s)
			if tt.assertion {
				x = sign(t, x)
			}
			if tt.response {
				// The Response's template comes before the signed
				// Assertion, so xmlsec1 fills it in second.
				x = sign(t, samltest.Mutate(t, x, func(r *etree.Element) { insertAfterIssuer(r, signatureTemplate(s.ResponseID)) }))
			}
			if strings.Contains(string(x), "<ds:SignatureValue></ds:SignatureValue>") || !strings.Contains(string(x), "<ds:X509Certificate>") {
				t.Fatalf("xmlsec1 left a template unsigned:\n%s", x)
			}
			a := accept(t, acme, idp.Trust(), post(acme, x), now)
			if a.NameID != s.NameID {
				t.Errorf("ParseResponse() NameID = %q, want %q", a.NameID, s.NameID)
			}
			tampered := samltest.Mutate(t, x, func(r *etree.Element) { makeVictim(samltest.Child(r, "Assertion")) })
			refuse(t, acme, idp.Trust(), post(acme, tampered), now, saml.CheckSignature)
		})
	}

	// A rotation: the group trusts the current and the next certificate,
	// and xmlsec1 signs with the next key, then with a key of neither.
	t.Run("rotation", func(t *testing.T) {
		next := samltest.Keys("idp-xmlsec-next")
		stranger := samltest.Keys("idp-xmlsec-stranger")
		trust := idp.Trust()
		trust.Certificates = append(trust.Certificates, next.Cert)
		s := idp.Spec(acme, now)
		s.SignAssertion = false
		s.EditAssertion = func(a *etree.Element) { insertAfterIssuer(a, signatureTemplate(s.AssertionID)) }
		x := idp.Response(t, s)
		if a := accept(t, acme, trust, post(acme, signWith(t, keyFiles("next", next), x)), now); a.NameID != s.NameID {
			t.Errorf("ParseResponse() NameID = %q, want %q", a.NameID, s.NameID)
		}
		accept(t, acme, trust, post(acme, sign(t, idp.Response(t, s))), now)
		refuse(t, acme, trust, post(acme, signWith(t, keyFiles("stranger", stranger), idp.Response(t, s))), now, saml.CheckCertificate)
	})
}
