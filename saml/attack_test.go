package saml_test

import (
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

// The attacker holds a genuine response for their own account, mallory,
// and wants to sign in as victim.
const (
	mallory = "00u1mallory"
	victim  = "00u1victim"
)

func makeVictim(a *etree.Element) { samltest.SetNameID(a, victim) }

// genuine returns a genuine response for mallory at acme, signed where
// sign says ("response", "assertion" or "both").
func genuine(t testing.TB, sign string, edit func(s *samltest.Spec)) []byte {
	t.Helper()
	s := idp.Spec(acme, now)
	s.NameID = mallory
	s.SignResponse = sign == "response" || sign == "both"
	s.SignAssertion = sign == "assertion" || sign == "both"
	if edit != nil {
		edit(&s)
	}
	return idp.Response(t, s)
}

// TestSignatureWrapping builds XSW1 to XSW8 (security.md 1.2) from a
// genuine response of the shape each targets. Each must be refused by the
// structure check, never signed in as the victim nor as mallory.
func TestSignatureWrapping(t *testing.T) {
	for _, tt := range []struct {
		name string
		sign string
		xsw  func(testing.TB, []byte, func(*etree.Element)) []byte
	}{
		{"XSW1 original response inside the signature", "response", samltest.XSW1},
		{"XSW2 original response beside the signature", "response", samltest.XSW2},
		{"XSW3 evil assertion before the signed one", "assertion", samltest.XSW3},
		{"XSW4 evil assertion wrapping the signed one", "assertion", samltest.XSW4},
		{"XSW5 original appended, evil keeps the signature", "assertion", samltest.XSW5},
		{"XSW6 original inside the evil assertion's signature", "assertion", samltest.XSW6},
		{"XSW7 evil assertion in Extensions", "assertion", samltest.XSW7},
		{"XSW8 original in a ds:Object", "assertion", samltest.XSW8},
		{"XSW3 against a signed response too", "both", samltest.XSW3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := genuine(t, tt.sign, nil)
			if a := accept(t, acme, idp.Trust(), post(acme, x), now); a.NameID != mallory {
				t.Fatalf("genuine response read as %q, want %q", a.NameID, mallory)
			}
			refuse(t, acme, idp.Trust(), post(acme, tt.xsw(t, x, makeVictim)), now, saml.CheckStructure)
		})
	}
}

// TestCommentInjection: a comment inside a signed NameID or attribute keeps
// the signature valid (security.md 1.1). The value read must be the whole
// one, never the part before the comment.
func TestCommentInjection(t *testing.T) {
	const whole = "victim@corp.example.evil.test"
	for _, sign := range []string{"assertion", "response", "both"} {
		t.Run(sign, func(t *testing.T) {
			x := genuine(t, sign, func(s *samltest.Spec) {
				s.NameID, s.NameIDFormat = whole, saml.NameIDEmail
				s.Attributes = []samltest.Attribute{{Name: "email", Values: []string{whole}}}
			})
			x = samltest.Mutate(t, x, func(r *etree.Element) {
				a := samltest.Child(r, "Assertion")
				samltest.SplitWithComment(samltest.Path(a, "Subject", "NameID"), len("victim@corp.example"))
				samltest.SplitWithComment(samltest.Path(a, "AttributeStatement", "Attribute", "AttributeValue"), len("victim@corp.example"))
			})
			if !strings.Contains(string(x), "victim@corp.example<!---->") {
				t.Fatalf("the mutation did not split the NameID:\n%s", x)
			}
			a := accept(t, acme, idp.Trust(), post(acme, x), now)
			if a.NameID != whole || a.Attributes["email"][0] != whole {
				t.Errorf("ParseResponse() read NameID %q, email %q; want %q for both", a.NameID, a.Attributes["email"], whole)
			}
		})
	}
}

// TestMultipleAssertions (security.md 1.3): exactly one Assertion, directly
// in the Response.
func TestMultipleAssertions(t *testing.T) {
	second := func(t *testing.T, name string) *etree.Element {
		s := idp.Spec(acme, now)
		s.NameID = name
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(idp.Response(t, s)); err != nil {
			t.Fatal(err)
		}
		return samltest.Child(doc.Root(), "Assertion")
	}
	for _, tt := range []struct {
		name  string
		x     func(t *testing.T) []byte
		check string
	}{
		{"two genuinely signed assertions", func(t *testing.T) []byte {
			return samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) { r.AddChild(second(t, victim)) })
		}, saml.CheckStructure},
		{"two assertions in a signed response", func(t *testing.T) []byte {
			return genuine(t, "response", func(s *samltest.Spec) {
				s.EditResponse = func(r *etree.Element) { r.AddChild(second(t, victim)) }
			})
		}, saml.CheckStructure},
		{"a signed assertion inside the signed assertion's Advice", func(t *testing.T) []byte {
			return genuine(t, "assertion", func(s *samltest.Spec) {
				s.EditAssertion = func(a *etree.Element) {
					adv := etree.NewElement("saml:Advice")
					adv.AddChild(second(t, victim))
					a.InsertChildAt(samltest.Child(a, "Conditions").Index()+1, adv)
				}
			})
		}, saml.CheckStructure},
		{"an assertion inside the Subject", func(t *testing.T) []byte {
			return samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) {
				samltest.Path(r, "Assertion", "Subject").AddChild(second(t, victim))
			})
		}, saml.CheckStructure},
		{"an assertion in another namespace beside ours", func(t *testing.T) []byte {
			return samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) {
				e := etree.NewElement("x:Assertion")
				e.CreateAttr("xmlns:x", "urn:evil")
				r.AddChild(e)
			})
		}, saml.CheckStructure},
		{"an EncryptedAssertion beside the assertion", func(t *testing.T) []byte {
			return samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) { r.CreateElement("saml:EncryptedAssertion") })
		}, saml.CheckEncryption},
		{"no assertion", func(t *testing.T) []byte {
			return samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) { r.RemoveChild(samltest.Child(r, "Assertion")) })
		}, saml.CheckStructure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refuse(t, acme, idp.Trust(), post(acme, tt.x(t)), now, tt.check)
		})
	}
}

// TestSignatureStripping (security.md 1.4): the Assertion or the Response
// must be signed; with a signed Assertion in an unsigned Response, what
// decides comes from the Assertion, and the Response's own fields can only
// make it fail.
func TestSignatureStripping(t *testing.T) {
	stripAll := func(r *etree.Element) {
		samltest.RemoveSignature(r)
		samltest.RemoveSignature(samltest.Child(r, "Assertion"))
	}
	for _, tt := range []struct {
		name   string
		sign   string
		mutate func(r *etree.Element)
		check  string // "" for accepted
	}{
		{"assertion signature stripped", "assertion", stripAll, saml.CheckSigned},
		{"response signature stripped", "response", stripAll, saml.CheckSigned},
		{"both stripped", "both", stripAll, saml.CheckSigned},
		{"response signature stripped, assertion still signed", "both", samltest.RemoveSignature, ""},
		{"assertion signature stripped under a signed response", "both", func(r *etree.Element) {
			samltest.RemoveSignature(samltest.Child(r, "Assertion"))
		}, saml.CheckSignature},
		{"NameID changed in a signed assertion", "assertion", func(r *etree.Element) { makeVictim(samltest.Child(r, "Assertion")) }, saml.CheckSignature},
		{"NameID changed under a signed response", "response", func(r *etree.Element) { makeVictim(samltest.Child(r, "Assertion")) }, saml.CheckSignature},
		{"attribute added to a signed assertion", "assertion", func(r *etree.Element) {
			samltest.Path(r, "Assertion", "AttributeStatement").AddChild(samltest.Path(r, "Assertion", "AttributeStatement", "Attribute").Copy())
		}, saml.CheckSignature},
		{"unsigned Response readdressed to another group", "assertion", func(r *etree.Element) {
			r.SelectAttr("Destination").Value = other.ACSURLs[0]
		}, saml.CheckDestination},
		{"assertion signature moved onto the Response", "assertion", func(r *etree.Element) {
			a := samltest.Child(r, "Assertion")
			sig := samltest.Child(a, "Signature")
			a.RemoveChild(sig)
			r.InsertChildAt(1, sig)
		}, saml.CheckAlgorithm},
		{"assertion signature moved into the Subject", "assertion", func(r *etree.Element) {
			a := samltest.Child(r, "Assertion")
			sig := samltest.Child(a, "Signature")
			a.RemoveChild(sig)
			samltest.Child(a, "Subject").AddChild(sig)
		}, saml.CheckStructure},
		{"a second signature on the assertion", "assertion", func(r *etree.Element) {
			a := samltest.Child(r, "Assertion")
			a.AddChild(samltest.Child(a, "Signature").Copy())
		}, saml.CheckStructure},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, tt.sign, nil), tt.mutate)
			if tt.check == "" {
				accept(t, acme, idp.Trust(), post(acme, x), now)
				return
			}
			refuse(t, acme, idp.Trust(), post(acme, x), now, tt.check)
		})
	}
}

// TestCertificateSubstitution (security.md 1.5, 1.13): only the group's
// certificates verify, KeyInfo only selects among them, and in fingerprint
// mode only a certificate with a configured fingerprint is used.
func TestCertificateSubstitution(t *testing.T) {
	sameName := &samltest.KeyPair{Key: attacker.Keys.Key, Cert: attacker.Keys.Certificate("idp", now.AddDate(-1, 0, 0), now.AddDate(1, 0, 0))}
	fingerprint := func(i *saml.IdP) {
		i.Certificates, i.Fingerprints = nil, []string{saml.Fingerprint(idp.Keys.Cert, false)}
	}
	third := samltest.NewIdP("idp-third")
	for _, tt := range []struct {
		name   string
		signer samltest.Signer
		trust  func(i *saml.IdP)
		check  string
	}{
		{"attacker's key and certificate", samltest.Signer{Keys: attacker.Keys}, nil, saml.CheckCertificate},
		{"attacker's certificate with the IdP's subject", samltest.Signer{Keys: sameName}, nil, saml.CheckCertificate},
		{"attacker's key, no KeyInfo", samltest.Signer{Keys: attacker.Keys, NoKeyInfo: true}, nil, saml.CheckSignature},
		{"attacker's key under the IdP's certificate", samltest.Signer{Keys: attacker.Keys, KeyInfoCert: idp.Keys.Cert}, nil, saml.CheckSignature},
		{"fingerprint mode: attacker's certificate", samltest.Signer{Keys: attacker.Keys}, fingerprint, saml.CheckCertificate},
		{"fingerprint mode: attacker's key under the IdP's certificate", samltest.Signer{Keys: attacker.Keys, KeyInfoCert: idp.Keys.Cert}, fingerprint, saml.CheckSignature},
		{"fingerprint mode: no certificate in the signature", samltest.Signer{NoKeyInfo: true}, fingerprint, saml.CheckCertificate},
		{"fingerprint mode: the SHA-1 of another certificate", samltest.Signer{}, func(i *saml.IdP) {
			i.Certificates, i.Fingerprints = nil, []string{saml.Fingerprint(attacker.Keys.Cert, true)}
		}, saml.CheckCertificate},
		{"rotation: a third certificate", samltest.Signer{Keys: third.Keys}, func(i *saml.IdP) {
			i.Certificates = append(i.Certificates, samltest.Keys("idp-next").Cert)
		}, saml.CheckCertificate},
		{"another group's IdP certificate", samltest.Signer{}, func(i *saml.IdP) {
			i.Certificates = []*x509.Certificate{samltest.Keys("other-idp").Cert}
		}, saml.CheckCertificate},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := genuine(t, "assertion", func(s *samltest.Spec) { s.AssertionSigner = tt.signer })
			trust := idp.Trust()
			if tt.trust != nil {
				tt.trust(&trust)
			}
			refuse(t, acme, trust, post(acme, x), now, tt.check)
		})
	}

	t.Run("a KeyInfo certificate the Response adds", func(t *testing.T) {
		// A Response signed by the attacker around a genuine signed
		// assertion: every signature present must verify.
		x := genuine(t, "assertion", func(s *samltest.Spec) {
			s.SignResponse, s.ResponseSigner = true, samltest.Signer{Keys: attacker.Keys}
		})
		refuse(t, acme, idp.Trust(), post(acme, x), now, saml.CheckCertificate)
	})
}

// TestCrossGroup (security.md 1.13): a response acme's IdP genuinely
// signed for acme is refused at other, even when other trusts the very
// same IdP.
func TestCrossGroup(t *testing.T) {
	x := genuine(t, "assertion", nil)
	accept(t, acme, idp.Trust(), post(acme, x), now)
	refuse(t, other, idp.Trust(), post(other, x), now, saml.CheckDestination)

	x = genuine(t, "assertion", func(s *samltest.Spec) { s.Destination = "" })
	refuse(t, other, idp.Trust(), post(other, x), now, saml.CheckRecipient)

	x = genuine(t, "both", func(s *samltest.Spec) {
		s.Destination, s.Recipient = other.ACSURLs[0], other.ACSURLs[0]
	})
	refuse(t, other, idp.Trust(), post(other, x), now, saml.CheckAudience)

	// Posted to acme's ACS, but the handler resolved the other group.
	in := post(acme, genuine(t, "assertion", nil))
	refuse(t, other, idp.Trust(), in, now, saml.CheckConfig)
}

// TestParserAttacks (security.md 1.6): no DOCTYPE at all, bounded depth,
// tokens and size, and a quick answer.
func TestParserAttacks(t *testing.T) {
	x := genuine(t, "assertion", nil)
	deep := func(n int) string { return strings.Repeat("<x>", n) + strings.Repeat("</x>", n) }
	for _, tt := range []struct {
		name string
		x    []byte
		want string
	}{
		{"XXE", samltest.InsertBeforeRoot(x, `<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>`), "DOCTYPE"},
		{"external DTD", samltest.InsertBeforeRoot(x, `<!DOCTYPE r SYSTEM "https://evil.test/r.dtd">`), "DOCTYPE"},
		{"billion laughs", samltest.InsertBeforeRoot(x, `<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;"><!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;"><!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;"><!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">]>`), "DOCTYPE"},
		{"ATTLIST default", samltest.InsertBeforeRoot(x, `<!DOCTYPE samlp:Response [<!ATTLIST ds:Signature xmlns:ds CDATA #FIXED "urn:evil"><!ATTLIST saml:Assertion ID ID #IMPLIED>]>`), "DOCTYPE"},
		{"inert DOCTYPE", samltest.InsertBeforeRoot(x, `<!DOCTYPE samlp:Response>`), "DOCTYPE"},
		{"deep nesting in a signed attribute value", genuine(t, "assertion", func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				v := samltest.Path(a, "AttributeStatement", "Attribute", "AttributeValue")
				doc := etree.NewDocument()
				doc.ReadFromString(deep(40))
				v.AddChild(doc.Root())
			}
		}), "nested more than 32"},
		{"5000 deep", samltest.Mutate(t, x, func(r *etree.Element) {
			doc := etree.NewDocument()
			doc.ReadFromString(deep(5000))
			r.AddChild(doc.Root())
		}), "nested more than 32"},
		{"too many tokens", samltest.Mutate(t, x, func(r *etree.Element) {
			v := samltest.Path(r, "Assertion", "AttributeStatement", "Attribute", "AttributeValue")
			for range saml.MaxTokens / 2 {
				v.CreateElement("x")
			}
		}), "more than 50000 XML tokens"},
		{"too many attributes", samltest.Mutate(t, x, func(r *etree.Element) {
			for i := range saml.MaxAttrs {
				r.CreateAttr("a"+strings.Repeat("b", i), "c")
			}
		}), "more than 64 attributes"},
		{"too many namespaces in scope", samltest.Mutate(t, x, func(r *etree.Element) {
			el := r
			for i := range saml.MaxNamespaces / 4 {
				el = el.CreateElement("x")
				for j := range 5 {
					el.CreateAttr(fmt.Sprintf("xmlns:p%d-%d", i, j), "urn:x")
				}
			}
		}), "more than 64 namespace declarations"},
		{"a processing instruction", samltest.InsertBeforeRoot(x, `<?xml-stylesheet href="https://evil.test/x.xsl"?>`), "processing instruction"},
		{"a non-UTF-8 encoding", append([]byte(`<?xml version="1.0" encoding="ISO-8859-1"?>`), x...), "not well-formed"},
		{"a duplicated attribute", []byte(strings.Replace(string(x), `Version="2.0"`, `Version="2.0" Version="2.0"`, 1)), "appears twice"},
		{"text after the root", append(append([]byte{}, x...), "trailing"...), "outside the root"},
		{"two roots", append(append([]byte{}, x...), x...), "more than one root"},
		// encoding/xml in Go 1.26 refuses names with two colons itself;
		// the scan refuses the colon names it still reads.
		{"x::Root", samltest.Mutate(t, x, func(r *etree.Element) { r.CreateElement("x::Root") }), "not well-formed"},
		{"colons in a local name", samltest.Mutate(t, x, func(r *etree.Element) { r.CreateElement("saml:Name:x") }), "not well-formed"},
		{"two colons in an attribute name", samltest.Mutate(t, x, func(r *etree.Element) { r.CreateAttr("a::b", "c") }), "not well-formed"},
		{"a name starting with a colon", []byte(strings.Replace(string(x), "<samlp:Status>", "<:Status/><samlp:Status>", 1)), "not a valid qualified name"},
		{"a name ending with a colon", []byte(strings.Replace(string(x), "<samlp:Status>", "<samlp:/><samlp:Status>", 1)), "not a valid qualified name"},
		{"an attribute name ending with a colon", []byte(strings.Replace(string(x), "<samlp:Status>", `<samlp:Status saml:="x">`, 1)), "not a valid qualified name"},
		{"not XML", []byte("SAMLResponse"), "outside the root"},
		{"unclosed", []byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">`), "ends inside an element"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			e := refuse(t, acme, idp.Trust(), post(acme, tt.x), now, saml.CheckXML)
			if !strings.Contains(e.Public, tt.want) {
				t.Errorf("Public message %q does not say %q", e.Public, tt.want)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("ParseResponse took %s to refuse it", d)
			}
		})
	}
}

// TestNamespaceSmuggling (security.md 1.7, 1.8): exclusive C14N leaves
// unused namespace declarations out of what is signed, so one named after
// an attribute (xmlns:Recipient="…") keeps the signature valid. The real
// attribute must be read, whichever comes first.
func TestNamespaceSmuggling(t *testing.T) {
	smuggle := func(el *etree.Element, name, value string, first bool) {
		el.CreateAttr("xmlns:"+name, value)
		if first {
			attrs := el.Attr
			el.Attr = append([]etree.Attr{attrs[len(attrs)-1]}, attrs[:len(attrs)-1]...)
		}
	}
	scd := func(r *etree.Element) *etree.Element {
		return samltest.Path(r, "Assertion", "Subject", "SubjectConfirmation", "SubjectConfirmationData")
	}
	for _, first := range []bool{false, true} {
		order := "after"
		if first {
			order = "before"
		}
		t.Run("Recipient, "+order, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "assertion", func(s *samltest.Spec) { s.Destination = "" }), func(r *etree.Element) {
				smuggle(scd(r), "Recipient", other.ACSURLs[0], first)
			})
			if !strings.Contains(string(x), `xmlns:Recipient="`+other.ACSURLs[0]) {
				t.Fatalf("the mutation did not add the declaration:\n%s", x)
			}
			accept(t, acme, idp.Trust(), post(acme, x), now)
			// Reading the smuggled value would pass other's recipient
			// check and fail only at the audience.
			refuse(t, other, idp.Trust(), post(other, x), now, saml.CheckRecipient)
		})
		t.Run("InResponseTo, "+order, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) {
				smuggle(scd(r), "InResponseTo", "id-known", first)
				smuggle(r, "InResponseTo", "id-known", first)
			})
			trust := idp.Trust()
			trust.AllowIdPInitiated = false
			refuse(t, acme, trust, post(acme, x, "id-known"), now, saml.CheckInResponseTo)
		})
		t.Run("NotOnOrAfter, "+order, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "response", func(s *samltest.Spec) {
				s.NotOnOrAfter, s.SCDNotOnOrAfter = now.Add(time.Minute), now.Add(time.Minute)
			}), func(r *etree.Element) {
				smuggle(scd(r), "NotOnOrAfter", "2099-01-01T00:00:00Z", first)
				smuggle(samltest.Path(r, "Assertion", "Conditions"), "NotOnOrAfter", "2099-01-01T00:00:00Z", first)
			})
			refuse(t, acme, idp.Trust(), post(acme, x), now.Add(3*time.Minute), saml.CheckTime)
		})
		t.Run("Destination, "+order, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "response", nil), func(r *etree.Element) {
				smuggle(r, "Destination", other.ACSURLs[0], first)
			})
			accept(t, acme, idp.Trust(), post(acme, x), now)
			refuse(t, other, idp.Trust(), post(other, x), now, saml.CheckDestination)
		})
		t.Run("attribute Name, "+order, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "assertion", nil), func(r *etree.Element) {
				smuggle(samltest.Path(r, "Assertion", "AttributeStatement", "Attribute"), "Name", "admin", first)
			})
			a := accept(t, acme, idp.Trust(), post(acme, x), now)
			if _, ok := a.Attributes["admin"]; ok || len(a.Attributes["email"]) != 1 {
				t.Errorf("ParseResponse() read the attributes %v; want email, not admin", a.Attributes)
			}
		})
	}
	for _, tt := range []struct {
		name   string
		mutate func(r *etree.Element)
	}{
		{"xmlns:ID on the assertion", func(r *etree.Element) {
			samltest.Child(r, "Assertion").CreateAttr("xmlns:ID", "_evil")
		}},
		{"a prefixed ID before the real one", func(r *etree.Element) {
			a := samltest.Child(r, "Assertion")
			a.CreateAttr("xmlns:x", "urn:x")
			a.Attr = append([]etree.Attr{{Space: "x", Key: "ID", Value: "_evil"}}, a.Attr...)
		}},
		{"the assertion's ID repeated on the Response", func(r *etree.Element) {
			r.SelectAttr("ID").Value = samltest.Child(r, "Assertion").SelectAttrValue("ID", "")
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := samltest.Mutate(t, genuine(t, "assertion", nil), tt.mutate)
			refuse(t, acme, idp.Trust(), post(acme, x), now, saml.CheckStructure)
		})
	}
}

// TestSignatureShape (security.md 1.18): one allowed shape, algorithms on an
// allow-list. The signatures here are valid for what they name; only the
// shape is refused.
func TestSignatureShape(t *testing.T) {
	empty := ""
	responseRef := "#response"
	for _, tt := range []struct {
		name   string
		signer samltest.Signer
		trust  func(i *saml.IdP)
		mutate func(sig *etree.Element)
		want   string
	}{
		{name: "RSA-SHA1", signer: samltest.Signer{SignatureMethod: samltest.RSASHA1, DigestMethod: samltest.SHA1}, want: "RSA-SHA1, which the group does not accept"},
		{name: "SHA-1 digest under RSA-SHA256", signer: samltest.Signer{DigestMethod: samltest.SHA1}, want: "SHA-1 digest"},
		{name: "SHA-1 digest with SHA-1 allowed is fine, HMAC is not", signer: samltest.Signer{SignatureMethod: samltest.HMACSHA1, DigestMethod: samltest.SHA1},
			trust: func(i *saml.IdP) { i.AllowSHA1 = true }, want: "signature method"},
		{name: "canonicalization with comments", signer: samltest.Signer{Canonicalizer: samltest.ExcC14NWithComments,
			Transforms: []string{samltest.Enveloped, samltest.ExcC14NWithComments}}, want: "canonicalization"},
		{name: "C14N 1.1 transform", signer: samltest.Signer{Transforms: []string{samltest.Enveloped, samltest.C14N11}}, want: "transforms"},
		{name: "no canonicalization transform", signer: samltest.Signer{Transforms: []string{samltest.Enveloped}}, want: "transforms"},
		{name: "an XPath transform", signer: samltest.Signer{Transforms: []string{samltest.Enveloped, samltest.ExcC14N, samltest.XPathFilter}}, want: "transforms"},
		{name: "Reference URI empty", signer: samltest.Signer{ReferenceURI: &empty}, want: "Reference to"},
		{name: "Reference to another element", signer: samltest.Signer{ReferenceURI: &responseRef}, want: "Reference to"},
		{name: "two References", signer: samltest.Signer{TwoReferences: true}, want: "2 References"},
		{name: "a prefixed URI", mutate: func(sig *etree.Element) {
			ref := samltest.Path(sig, "SignedInfo", "Reference")
			ref.CreateAttr("xmlns:x", "urn:x")
			ref.CreateAttr("x:URI", "#elsewhere")
		}, want: "Reference to"},
		{name: "two certificates in KeyInfo", mutate: func(sig *etree.Element) {
			d := samltest.Path(sig, "KeyInfo", "X509Data")
			d.AddChild(samltest.Child(d, "X509Certificate").Copy())
		}, want: "2 certificates"},
		{name: "a RetrievalMethod", mutate: func(sig *etree.Element) {
			samltest.Child(sig, "KeyInfo").CreateElement("ds:RetrievalMethod").CreateAttr("URI", "https://evil.test/key")
		}, want: "RetrievalMethod"},
		{name: "a second SignedInfo", mutate: func(sig *etree.Element) {
			sig.InsertChildAt(0, samltest.Child(sig, "SignedInfo").Copy())
		}, want: "one SignedInfo"},
		{name: "an unknown element in SignedInfo", mutate: func(sig *etree.Element) {
			samltest.Child(sig, "SignedInfo").CreateElement("ds:Manifest")
		}, want: "unexpected Manifest"},
		{name: "an empty SignatureValue", mutate: func(sig *etree.Element) {
			samltest.Child(sig, "SignatureValue").SetText("")
		}, want: "empty SignatureValue"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			x := genuine(t, "assertion", func(s *samltest.Spec) { s.AssertionSigner = tt.signer; s.ResponseID = "response" })
			if tt.mutate != nil {
				x = samltest.Mutate(t, x, func(r *etree.Element) { tt.mutate(samltest.Path(r, "Assertion", "Signature")) })
			}
			trust := idp.Trust()
			if tt.trust != nil {
				tt.trust(&trust)
			}
			e := refuse(t, acme, trust, post(acme, x), now, saml.CheckAlgorithm)
			if !strings.Contains(e.Public, tt.want) {
				t.Errorf("Public message %q does not say %q", e.Public, tt.want)
			}
		})
	}
}

// TestEncryptedAssertionsRefused (security.md 1.20): Gatehouse does not
// accept encrypted assertions; crewjam's IdP encrypts when the SP metadata
// offers an encryption key.
func TestEncryptedAssertionsRefused(t *testing.T) {
	x := genuine(t, "assertion", func(s *samltest.Spec) {
		s.EditAssertion = func(a *etree.Element) {
			subj := samltest.Child(a, "Subject")
			subj.RemoveChild(samltest.Child(subj, "NameID"))
			subj.InsertChildAt(0, etree.NewElement("saml:EncryptedID"))
		}
	})
	refuse(t, acme, idp.Trust(), post(acme, x), now, saml.CheckEncryption)
}

// TestParseResponseKeepsNoState: the same response parses the same way
// twice. Refusing the second use is the replay cache's job, keyed on
// Assertion.ID until Assertion.NotOnOrAfter (security.md 1.9).
func TestParseResponseKeepsNoState(t *testing.T) {
	in := post(acme, genuine(t, "both", nil))
	a1 := accept(t, acme, idp.Trust(), in, now)
	a2 := accept(t, acme, idp.Trust(), in, now)
	if a1.ID != a2.ID || !a1.NotOnOrAfter.Equal(a2.NotOnOrAfter) {
		t.Errorf("two parses gave %q until %v and %q until %v", a1.ID, a1.NotOnOrAfter, a2.ID, a2.NotOnOrAfter)
	}
}
