package saml_test

import (
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"
	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

func TestParseResponseReadsTheSignedAssertion(t *testing.T) {
	s := idp.Spec(acme, now)
	s.InResponseTo = "id-1"
	s.Attributes = append(s.Attributes, samltest.Attribute{Name: "groups", Values: []string{"dev", "ops"}}, samltest.Attribute{Name: "email", Values: []string{"a@example.org"}})
	in := post(acme, idp.Response(t, s), "id-1")
	got := accept(t, acme, idp.Trust(), in, now)
	want := &saml.Assertion{
		ID:           s.AssertionID,
		Issuer:       idp.EntityID,
		NameID:       "00u1alice",
		NameIDFormat: saml.NameIDPersistent,
		SessionIndex: "_session1",
		InResponseTo: "id-1",
		Attributes: map[string][]string{
			"email":  {"alice@example.com", "a@example.org"},
			"name":   {"Alice Example"},
			"groups": {"dev", "ops"},
		},
		IssueInstant: now,
		NotOnOrAfter: now.Add(5*time.Minute + saml.DefaultClockSkew),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseResponse() assertion differs (-want +got):\n%s", diff)
	}
}

func TestParseResponseAccepts(t *testing.T) {
	expired := &samltest.KeyPair{Key: idp.Keys.Key, Cert: idp.Keys.Certificate("idp", now.AddDate(-3, 0, 0), now.AddDate(0, -1, 0))}
	second := samltest.NewIdP("idp-next") // the IdP's next signing key, during a rotation
	second.EntityID = idp.EntityID
	for _, tt := range []struct {
		name  string
		spec  func(s *samltest.Spec)
		trust func(i *saml.IdP)
		input func(in *saml.ResponseInput)
		at    time.Duration
	}{
		{name: "signed assertion in an unsigned response"},
		{name: "signed response, unsigned assertion", spec: func(s *samltest.Spec) { s.SignResponse, s.SignAssertion = true, false }},
		{name: "response and assertion signed", spec: func(s *samltest.Spec) { s.SignResponse = true }},
		{name: "RSA-SHA384", spec: func(s *samltest.Spec) {
			s.AssertionSigner = samltest.Signer{SignatureMethod: samltest.RSASHA384, DigestMethod: samltest.SHA384}
		}},
		{name: "RSA-SHA512", spec: func(s *samltest.Spec) {
			s.AssertionSigner = samltest.Signer{SignatureMethod: samltest.RSASHA512, DigestMethod: samltest.SHA512}
		}},
		{name: "InclusiveNamespaces prefix list (Okta)", spec: func(s *samltest.Spec) {
			s.SignResponse = true
			s.AssertionSigner = samltest.Signer{PrefixList: "xs"}
			s.ResponseSigner = samltest.Signer{PrefixList: "xs"}
		}},
		{name: "no KeyInfo, one trusted certificate", spec: func(s *samltest.Spec) { s.AssertionSigner.NoKeyInfo = true }},
		{name: "addressed to and posted at the group's id URL", spec: func(s *samltest.Spec) {
			s.Destination, s.Recipient = acme.ACSURLs[1], acme.ACSURLs[1]
		}, input: func(in *saml.ResponseInput) { in.ACSURL = acme.ACSURLs[1] }},
		{name: "addressed by path, posted at the id URL", input: func(in *saml.ResponseInput) { in.ACSURL = acme.ACSURLs[1] }},
		{name: "unsigned response without Destination", spec: func(s *samltest.Spec) { s.Destination = "" }},
		{name: "unsigned response without Issuer", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) { r.RemoveChild(samltest.Child(r, "Issuer")) }
		}},
		{name: "SP-initiated", spec: func(s *samltest.Spec) { s.InResponseTo = "id-known" }},
		{name: "SP-initiated with IdP-initiated refused", spec: func(s *samltest.Spec) { s.InResponseTo = "id-known" },
			trust: func(i *saml.IdP) { i.AllowIdPInitiated = false }},
		{name: "email NameID", spec: func(s *samltest.Spec) {
			s.NameID, s.NameIDFormat = "alice@example.com", saml.NameIDEmail
		}},
		{name: "NameID without format", spec: func(s *samltest.Spec) { s.NameIDFormat = "" }},
		{name: "unspecified NameID format", spec: func(s *samltest.Spec) { s.NameIDFormat = saml.NameIDUnspecified }},
		{name: "several audiences, ours among them", spec: func(s *samltest.Spec) {
			s.Audiences = [][]string{{"https://elsewhere.test", acme.EntityID}}
		}},
		{name: "two AudienceRestrictions naming us", spec: func(s *samltest.Spec) {
			s.Audiences = [][]string{{acme.EntityID}, {acme.EntityID, "https://elsewhere.test"}}
		}},
		{name: "no Conditions NotOnOrAfter", spec: func(s *samltest.Spec) { s.NotOnOrAfter = time.Time{} }},
		{name: "expired but pinned certificate", spec: func(s *samltest.Spec) { s.AssertionSigner.Keys = expired },
			trust: func(i *saml.IdP) { i.Certificates = []*x509.Certificate{expired.Cert} }},
		{name: "rotation: signed with the new certificate", spec: func(s *samltest.Spec) { s.AssertionSigner.Keys = second.Keys },
			trust: func(i *saml.IdP) { i.Certificates = append(i.Certificates, second.Keys.Cert) }},
		{name: "rotation: signed with the old certificate",
			trust: func(i *saml.IdP) { i.Certificates = append(i.Certificates, second.Keys.Cert) }},
		{name: "rotation: no KeyInfo, two trusted certificates", spec: func(s *samltest.Spec) {
			s.AssertionSigner = samltest.Signer{Keys: second.Keys, NoKeyInfo: true}
		}, trust: func(i *saml.IdP) { i.Certificates = append(i.Certificates, second.Keys.Cert) }},
		{name: "fingerprint SHA-256", trust: func(i *saml.IdP) {
			i.Certificates, i.Fingerprints = nil, []string{saml.Fingerprint(idp.Keys.Cert, false)}
		}},
		{name: "fingerprint SHA-1 in upper case with colons", trust: func(i *saml.IdP) {
			fp := strings.ToUpper(saml.Fingerprint(idp.Keys.Cert, true))
			var parts []string
			for i := 0; i < len(fp); i += 2 {
				parts = append(parts, fp[i:i+2])
			}
			i.Certificates, i.Fingerprints = nil, []string{strings.Join(parts, ":")}
		}},
		{name: "fingerprint rotation", spec: func(s *samltest.Spec) { s.AssertionSigner.Keys = second.Keys },
			trust: func(i *saml.IdP) {
				i.Certificates = nil
				i.Fingerprints = []string{saml.Fingerprint(idp.Keys.Cert, false), saml.Fingerprint(second.Keys.Cert, false)}
			}},
		{name: "SHA-1 allowed", spec: func(s *samltest.Spec) {
			s.AssertionSigner = samltest.Signer{SignatureMethod: samltest.RSASHA1, DigestMethod: samltest.SHA1}
		}, trust: func(i *saml.IdP) { i.AllowSHA1 = true }},
		{name: "just before the end of the skew", spec: func(s *samltest.Spec) {
			s.NotOnOrAfter, s.SCDNotOnOrAfter = now.Add(2*time.Minute), now.Add(2*time.Minute)
		}, at: 2*time.Minute + saml.DefaultClockSkew - time.Millisecond},
		{name: "just inside the skew before NotBefore", spec: func(s *samltest.Spec) {
			s.NotBefore = now.Add(saml.DefaultClockSkew)
			s.SCDNotBefore = now.Add(saml.DefaultClockSkew)
		}},
		{name: "the largest skew", spec: func(s *samltest.Spec) { s.NotBefore = now.Add(4 * time.Minute) },
			trust: func(i *saml.IdP) { i.ClockSkew = saml.MaxClockSkew }},
		{name: "line-wrapped base64", input: func(in *saml.ResponseInput) {
			var b strings.Builder
			for s := in.SAMLResponse; s != ""; {
				n := min(76, len(s))
				b.WriteString(s[:n] + "\r\n")
				s = s[n:]
			}
			in.SAMLResponse = b.String()
		}},
		{name: "a byte order mark", input: func(in *saml.ResponseInput) {
			raw, _ := base64.StdEncoding.DecodeString(in.SAMLResponse)
			in.SAMLResponse = samltest.Encode(append([]byte("\xef\xbb\xbf"), raw...))
		}},
		{name: "XML declaration and comments between elements", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) { r.InsertChildAt(0, etree.NewComment(" issued by the test IdP ")) }
		}, input: func(in *saml.ResponseInput) {
			raw, _ := base64.StdEncoding.DecodeString(in.SAMLResponse)
			in.SAMLResponse = samltest.Encode(append([]byte(`<?xml version="1.0" encoding="UTF-8"?>`+"\n"), raw...))
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := idp.Spec(acme, now)
			if tt.spec != nil {
				tt.spec(&s)
			}
			trust := idp.Trust()
			if tt.trust != nil {
				tt.trust(&trust)
			}
			in := post(acme, idp.Response(t, s), "id-known")
			if tt.input != nil {
				tt.input(&in)
			}
			a := accept(t, acme, trust, in, now.Add(tt.at))
			if a.NameID != s.NameID || a.ID != s.AssertionID {
				t.Errorf("ParseResponse() read NameID %q, ID %q; want %q, %q", a.NameID, a.ID, s.NameID, s.AssertionID)
			}
		})
	}
}

// refusal is a genuine response, signed as the IdP was (mis)configured to
// sign it, that the group must refuse.
type refusal struct {
	name  string
	spec  func(s *samltest.Spec)
	trust func(i *saml.IdP)
	input func(in *saml.ResponseInput)
	at    time.Duration // after now
	check string
	want  string // in the Public message
}

func runRefusals(t *testing.T, rows []refusal) {
	t.Helper()
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			s := idp.Spec(acme, now)
			if tt.spec != nil {
				tt.spec(&s)
			}
			trust := idp.Trust()
			if tt.trust != nil {
				tt.trust(&trust)
			}
			in := post(acme, idp.Response(t, s), "id-known")
			if tt.input != nil {
				tt.input(&in)
			}
			e := refuse(t, acme, trust, in, now.Add(tt.at), tt.check)
			if !strings.Contains(e.Public, tt.want) {
				t.Errorf("Public message %q does not say %q", e.Public, tt.want)
			}
		})
	}
}

func TestParseResponseRefusesConfigurationAndInput(t *testing.T) {
	runRefusals(t, []refusal{
		{name: "clock skew over the maximum", trust: func(i *saml.IdP) { i.ClockSkew = 6 * time.Minute },
			check: saml.CheckConfig, want: "clock skew"},
		{name: "negative clock skew", trust: func(i *saml.IdP) { i.ClockSkew = -time.Second },
			check: saml.CheckConfig, want: "clock skew"},
		{name: "nothing trusted", trust: func(i *saml.IdP) { i.Certificates = nil },
			check: saml.CheckConfig, want: "trusts no IdP certificate"},
		{name: "only a malformed fingerprint", trust: func(i *saml.IdP) { i.Certificates, i.Fingerprints = nil, []string{"abc"} },
			check: saml.CheckConfig, want: "trusts no IdP certificate"},
		{name: "no IdP entity ID", trust: func(i *saml.IdP) { i.EntityID = "" },
			check: saml.CheckConfig, want: "entity ID"},
		{name: "posted to another group's ACS URL", input: func(in *saml.ResponseInput) { in.ACSURL = other.ACSURLs[0] },
			check: saml.CheckConfig, want: "not an ACS URL of this group"},
		{name: "empty form value", input: func(in *saml.ResponseInput) { in.SAMLResponse = "" },
			check: saml.CheckEncoding, want: "no SAMLResponse"},
		{name: "not base64", input: func(in *saml.ResponseInput) { in.SAMLResponse = "<samlp:Response/>" },
			check: saml.CheckEncoding, want: "not base64"},
		{name: "form value over the limit", input: func(in *saml.ResponseInput) {
			in.SAMLResponse = strings.Repeat("A", saml.MaxResponseSize+1)
		}, check: saml.CheckSize, want: "at most"},
		{name: "decoded XML over the limit", input: func(in *saml.ResponseInput) {
			in.SAMLResponse = samltest.Encode([]byte("<a>" + strings.Repeat("x", saml.MaxXMLSize) + "</a>"))
		}, check: saml.CheckSize, want: "decoded response"},
		{name: "Version 1.1", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) { r.SelectAttr("Version").Value = "1.1" }
		}, check: saml.CheckResponse, want: "SAML 2.0 only"},
		{name: "no Response ID", spec: func(s *samltest.Spec) { s.ResponseID = "" },
			check: saml.CheckResponse, want: "no ID"},
		{name: "a LogoutResponse", input: func(in *saml.ResponseInput) {
			in.SAMLResponse = samltest.Encode([]byte(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_1" Version="2.0"/>`))
		}, check: saml.CheckResponse, want: "not a SAML 2.0 Response"},
		{name: "a Response in another namespace", input: func(in *saml.ResponseInput) {
			in.SAMLResponse = samltest.Encode([]byte(`<Response xmlns="urn:oasis:names:tc:SAML:1.0:protocol" ID="_1"/>`))
		}, check: saml.CheckResponse, want: "not a SAML 2.0 Response"},
	})
}

func TestParseResponseRefusesMisaddressed(t *testing.T) {
	otherIdP := samltest.NewIdP("other-idp")
	runRefusals(t, []refusal{
		// 1.19
		{name: "status RequestDenied with an assertion", spec: func(s *samltest.Spec) {
			s.Status, s.SubStatus = "urn:oasis:names:tc:SAML:2.0:status:Responder", "urn:oasis:names:tc:SAML:2.0:status:RequestDenied"
			s.StatusMessage = "User not assigned <script>"
		}, check: saml.CheckStatus, want: "not assigned to this application"},
		{name: "status with a signed response", spec: func(s *samltest.Spec) {
			s.Status, s.SignResponse = "urn:oasis:names:tc:SAML:2.0:status:Requester", true
		}, check: saml.CheckStatus, want: `"Requester"`},
		// 1.10
		{name: "Issuer of another IdP", spec: func(s *samltest.Spec) { s.Issuer = otherIdP.EntityID },
			check: saml.CheckIssuer, want: `Issuer is "https://other-idp.idp.test/metadata", but the group expects "https://idp.idp.test/metadata"`},
		{name: "Issuer differing only in case", spec: func(s *samltest.Spec) { s.Issuer = strings.ToUpper(idp.EntityID) },
			check: saml.CheckIssuer, want: "set the group's IdP entity ID"},
		{name: "Response Issuer wrong, Assertion Issuer right", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) { samltest.Child(r, "Issuer").SetText(otherIdP.EntityID) }
		}, check: saml.CheckIssuer, want: "the Response's Issuer"},
		{name: "signed Response Issuer wrong", spec: func(s *samltest.Spec) {
			s.SignResponse = true
			s.EditResponse = func(r *etree.Element) { samltest.Child(r, "Issuer").SetText(otherIdP.EntityID) }
		}, check: saml.CheckIssuer, want: "the Response's Issuer"},
		{name: "no Assertion Issuer", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { a.RemoveChild(samltest.Child(a, "Issuer")) }
		}, check: saml.CheckIssuer, want: "no Issuer"},
		{name: "Destination of another group", spec: func(s *samltest.Spec) { s.Destination = other.ACSURLs[0] },
			check: saml.CheckDestination, want: "not this group's ACS URL"},
		{name: "signed Response without Destination", spec: func(s *samltest.Spec) { s.Destination, s.SignResponse = "", true },
			check: saml.CheckDestination, want: "has no Destination"},
		{name: "Destination and Recipient disagree", spec: func(s *samltest.Spec) { s.Destination = acme.ACSURLs[1] },
			check: saml.CheckDestination, want: "differs from the assertion's Recipient"},
		{name: "Recipient of another group", spec: func(s *samltest.Spec) { s.Recipient, s.Destination = other.ACSURLs[0], "" },
			check: saml.CheckRecipient, want: "Recipient is \"https://gatehouse.test/groups/other/-/saml/callback\""},
		{name: "no Recipient", spec: func(s *samltest.Spec) { s.Recipient = "" },
			check: saml.CheckRecipient, want: "names no Recipient"},
		{name: "Audience of another group", spec: func(s *samltest.Spec) { s.Audiences = [][]string{{other.EntityID}} },
			check: saml.CheckAudience, want: `Audience is "https://gatehouse.test/groups/other", expected "https://gatehouse.test/groups/acme": set the IdP's Audience (Identifier, Entity ID) to https://gatehouse.test/groups/acme`},
		{name: "Audience with a trailing slash", spec: func(s *samltest.Spec) { s.Audiences = [][]string{{acme.EntityID + "/"}} },
			check: saml.CheckAudience, want: "expected"},
		{name: "no AudienceRestriction", spec: func(s *samltest.Spec) { s.Audiences = nil },
			check: saml.CheckAudience, want: "no AudienceRestriction"},
		{name: "an empty AudienceRestriction", spec: func(s *samltest.Spec) { s.Audiences = [][]string{{acme.EntityID}, {}} },
			check: saml.CheckAudience, want: "Audience is empty"},
		{name: "one of two AudienceRestrictions misses us", spec: func(s *samltest.Spec) {
			s.Audiences = [][]string{{acme.EntityID}, {other.EntityID}}
		}, check: saml.CheckAudience, want: "expected"},
		{name: "no Conditions", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { a.RemoveChild(samltest.Child(a, "Conditions")) }
		}, check: saml.CheckAudience, want: "no AudienceRestriction"},
	})
}

func TestParseResponseRefusesOutsideTime(t *testing.T) {
	skew := saml.DefaultClockSkew
	runRefusals(t, []refusal{
		{name: "Conditions not valid yet", spec: func(s *samltest.Spec) { s.NotBefore = now.Add(skew + time.Second) },
			check: saml.CheckTime, want: "Conditions) is not valid until 2026-03-02T10:01:01Z"},
		{name: "Conditions NotOnOrAfter is exclusive", spec: func(s *samltest.Spec) {
			s.NotOnOrAfter, s.SCDNotOnOrAfter = now.Add(2*time.Minute), now.Add(time.Hour)
		}, at: 2*time.Minute + skew, check: saml.CheckTime, want: "Conditions) expired at 2026-03-02T10:02:00Z"},
		{name: "SubjectConfirmationData expired", spec: func(s *samltest.Spec) {
			s.NotOnOrAfter, s.SCDNotOnOrAfter = now.Add(time.Hour), now.Add(time.Minute)
		}, at: time.Minute + skew, check: saml.CheckTime, want: "SubjectConfirmationData) expired"},
		{name: "SubjectConfirmationData not valid yet", spec: func(s *samltest.Spec) { s.SCDNotBefore = now.Add(2 * time.Minute) },
			check: saml.CheckTime, want: "SubjectConfirmationData) is not valid until"},
		{name: "SubjectConfirmationData without NotOnOrAfter", spec: func(s *samltest.Spec) { s.SCDNotOnOrAfter = time.Time{} },
			check: saml.CheckTime, want: "has no NotOnOrAfter"},
		{name: "issued in the future", spec: func(s *samltest.Spec) { s.Now = now.Add(skew + time.Second) },
			check: saml.CheckTime, want: "ahead of Gatehouse's clock"},
		{name: "assertion older than the cap", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				a.SelectAttr("IssueInstant").Value = now.Add(-saml.MaxAssertionAge - time.Second).Format(time.RFC3339)
			}
		}, check: saml.CheckTime, want: "Gatehouse accepts it for 5m0s"},
		{name: "response older than the cap", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) {
				r.SelectAttr("IssueInstant").Value = now.Add(-saml.MaxAssertionAge - time.Second).Format(time.RFC3339)
			}
		}, check: saml.CheckTime, want: "the Response was issued"},
		{name: "malformed NotOnOrAfter", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { samltest.Child(a, "Conditions").SelectAttr("NotOnOrAfter").Value = "tomorrow" }
		}, check: saml.CheckTime, want: `"tomorrow" is not a UTC date`},
		{name: "time without a time zone", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				samltest.Path(a, "Subject", "SubjectConfirmation", "SubjectConfirmationData").SelectAttr("NotOnOrAfter").Value = "2026-03-02T10:05:00"
			}
		}, check: saml.CheckTime, want: "not a UTC date"},
		{name: "no IssueInstant", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { a.RemoveAttr("IssueInstant") }
		}, check: saml.CheckTime, want: "IssueInstant is missing"},
		{name: "the group's narrower skew", spec: func(s *samltest.Spec) {
			s.NotOnOrAfter, s.SCDNotOnOrAfter = now.Add(2*time.Minute), now.Add(2*time.Minute)
		}, trust: func(i *saml.IdP) { i.ClockSkew = 10 * time.Second },
			at: 2*time.Minute + 30*time.Second, check: saml.CheckTime, want: "allowed clock skew 10s"},
		{name: "IdP session ended", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				samltest.Child(a, "AuthnStatement").CreateAttr("SessionNotOnOrAfter", now.Add(-2*time.Minute).Format(time.RFC3339))
			}
		}, check: saml.CheckTime, want: "IdP session ended"},
	})
}

func TestParseResponseInResponseTo(t *testing.T) {
	runRefusals(t, []refusal{
		{name: "a request this group did not issue", spec: func(s *samltest.Spec) { s.InResponseTo = "id-unknown" },
			check: saml.CheckInResponseTo, want: `request "id-unknown", which this group did not issue`},
		{name: "no request ids at all", spec: func(s *samltest.Spec) { s.InResponseTo = "id-known" },
			input: func(in *saml.ResponseInput) { in.IsRequestID = nil }, check: saml.CheckInResponseTo, want: "did not issue"},
		{name: "unsolicited, IdP-initiated refused", trust: func(i *saml.IdP) { i.AllowIdPInitiated = false },
			check: saml.CheckInResponseTo, want: "allow IdP-initiated sign-in"},
		{name: "Response and assertion disagree", spec: func(s *samltest.Spec) {
			s.InResponseTo = "id-known"
			s.EditResponse = func(r *etree.Element) { r.SelectAttr("InResponseTo").Value = "id-other" }
		}, input: func(in *saml.ResponseInput) { in.IsRequestID = func(string) bool { return true } },
			check: saml.CheckInResponseTo, want: "must agree"},
		{name: "unsigned Response claims a request the assertion does not answer", spec: func(s *samltest.Spec) {
			s.EditResponse = func(r *etree.Element) { r.CreateAttr("InResponseTo", "id-known") }
		}, trust: func(i *saml.IdP) { i.AllowIdPInitiated = false }, check: saml.CheckInResponseTo, want: "must agree"},
		{name: "assertion answers a request, the Response names none", spec: func(s *samltest.Spec) {
			s.InResponseTo = "id-known"
			s.EditResponse = func(r *etree.Element) { r.RemoveAttr("InResponseTo") }
		}, check: saml.CheckInResponseTo, want: "must agree"},
	})
}

func TestParseResponseRefusesSubject(t *testing.T) {
	runRefusals(t, []refusal{
		{name: "transient NameID", spec: func(s *samltest.Spec) { s.NameIDFormat = saml.NameIDTransient },
			check: saml.CheckSubject, want: "transient"},
		{name: "X.509 subject NameID", spec: func(s *samltest.Spec) {
			s.NameIDFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"
		}, check: saml.CheckSubject, want: "is not accepted"},
		{name: "empty NameID", spec: func(s *samltest.Spec) { s.NameID = "" }, check: saml.CheckSubject, want: "empty"},
		{name: "blank NameID", spec: func(s *samltest.Spec) { s.NameID = "   " }, check: saml.CheckSubject, want: "empty"},
		{name: "NameID over the limit", spec: func(s *samltest.Spec) { s.NameID = strings.Repeat("a", saml.MaxNameIDSize+1) },
			check: saml.CheckSubject, want: "at most 1024"},
		{name: "NameID with a line break", spec: func(s *samltest.Spec) { s.NameID = "alice\nadmin" },
			check: saml.CheckSubject, want: "line breaks"},
		{name: "no NameID", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				samltest.Child(a, "Subject").RemoveChild(samltest.Path(a, "Subject", "NameID"))
			}
		}, check: saml.CheckSubject, want: "no NameID"},
		{name: "NameID for another SP", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				samltest.Path(a, "Subject", "NameID").CreateAttr("SPNameQualifier", other.EntityID)
			}
		}, check: saml.CheckSubject, want: "qualified for"},
		{name: "no AuthnStatement", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { a.RemoveChild(samltest.Child(a, "AuthnStatement")) }
		}, check: saml.CheckAssertion, want: "no AuthnStatement"},
		{name: "assertion Version 1.1", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { a.SelectAttr("Version").Value = "1.1" }
		}, check: saml.CheckAssertion, want: "SAML 2.0 only"},
		{name: "two bearer confirmations", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				subj := samltest.Child(a, "Subject")
				subj.AddChild(samltest.Child(subj, "SubjectConfirmation").Copy())
			}
		}, check: saml.CheckAssertion, want: "2 bearer SubjectConfirmations"},
		{name: "no bearer confirmation", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) {
				samltest.Path(a, "Subject", "SubjectConfirmation").SelectAttr("Method").Value = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
			}
		}, check: saml.CheckAssertion, want: "0 bearer SubjectConfirmations"},
		{name: "a condition Gatehouse does not understand", spec: func(s *samltest.Spec) {
			s.EditAssertion = func(a *etree.Element) { samltest.Child(a, "Conditions").CreateElement("saml:Condition") }
		}, check: saml.CheckAssertion, want: "does not understand"},
		{name: "assertion without an ID", spec: func(s *samltest.Spec) { s.AssertionID, s.SignAssertion, s.SignResponse = "", false, true },
			check: saml.CheckAssertion, want: "ID"},
	})
}
