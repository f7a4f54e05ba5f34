package samltest

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/gatehouse-sso/gatehouse/saml"
)

// SAML namespaces and values.
const (
	ProtocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	AssertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	Success     = "urn:oasis:names:tc:SAML:2.0:status:Success"
	Bearer      = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// Base is the base URL of the Gatehouse the tests sign in to.
const Base = "https://gatehouse.test"

// SP returns the service provider of the group with the given path and id,
// with the instance key pair "sp".
func SP(path string, id int) saml.SP {
	kp := Keys("sp")
	return saml.SP{
		EntityID: Base + "/groups/" + path,
		ACSURLs: []string{
			Base + "/groups/" + path + "/-/saml/callback",
			Base + "/groups/" + strconv.Itoa(id) + "/-/saml/callback",
		},
		Key:         kp.Key,
		Certificate: kp.Cert,
	}
}

// IdP is a test identity provider.
type IdP struct {
	EntityID string // also its metadata URL, as crewjam's IdentityProvider has it
	SSOURL   string
	Keys     *KeyPair
}

// NewIdP returns the identity provider called name, signing with the key
// pair of the same name.
func NewIdP(name string) *IdP {
	return &IdP{
		EntityID: "https://" + name + ".idp.test/metadata",
		SSOURL:   "https://" + name + ".idp.test/sso",
		Keys:     Keys(name),
	}
}

// Trust returns the IdP settings of a group that trusts idp by its
// certificate and allows IdP-initiated sign-in.
func (idp *IdP) Trust() saml.IdP {
	return saml.IdP{
		EntityID:          idp.EntityID,
		SSOURL:            idp.SSOURL,
		Certificates:      []*x509.Certificate{idp.Keys.Cert},
		AllowIdPInitiated: true,
	}
}

// Attribute is a SAML attribute and its values.
type Attribute struct {
	Name   string
	Values []string
}

// Spec describes a response. Empty strings and zero times leave the
// attribute or element out.
type Spec struct {
	Now          time.Time // IssueInstant of the Response and the Assertion, and AuthnInstant
	ResponseID   string
	AssertionID  string
	Issuer       string // of the Response and the Assertion
	Destination  string
	InResponseTo string // of the Response and the SubjectConfirmationData

	Status        string
	SubStatus     string
	StatusMessage string

	NameID          string
	NameIDFormat    string
	Recipient       string
	SCDNotBefore    time.Time
	SCDNotOnOrAfter time.Time
	NotBefore       time.Time // of Conditions
	NotOnOrAfter    time.Time
	Audiences       [][]string // one list per AudienceRestriction
	SessionIndex    string
	Attributes      []Attribute

	SignResponse    bool
	SignAssertion   bool
	ResponseSigner  Signer
	AssertionSigner Signer

	// EditAssertion changes the Assertion before it is signed, and
	// EditResponse the Response (the Assertion inside it signed already)
	// before the Response is signed.
	EditAssertion func(a *etree.Element)
	EditResponse  func(r *etree.Element)
}

// Spec returns what a well-behaved IdP sends for a sign-in to sp at now, in
// answer to nothing (IdP-initiated): a persistent NameID, an email and a name
// attribute, windows of five minutes, and a signed Assertion in an unsigned
// Response (Microsoft Entra ID's default).
func (idp *IdP) Spec(sp saml.SP, now time.Time) Spec {
	return Spec{
		Now:             now,
		ResponseID:      NewID(),
		AssertionID:     NewID(),
		Issuer:          idp.EntityID,
		Destination:     sp.ACSURLs[0],
		Status:          Success,
		NameID:          "00u1alice",
		NameIDFormat:    saml.NameIDPersistent,
		Recipient:       sp.ACSURLs[0],
		SCDNotOnOrAfter: now.Add(5 * time.Minute),
		NotBefore:       now.Add(-time.Minute),
		NotOnOrAfter:    now.Add(5 * time.Minute),
		Audiences:       [][]string{{sp.EntityID}},
		SessionIndex:    "_session1",
		Attributes: []Attribute{
			{Name: "email", Values: []string{"alice@example.com"}},
			{Name: "name", Values: []string{"Alice Example"}},
		},
		SignAssertion: true,
	}
}

// NewID returns a random XML ID.
func NewID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

// Response builds and signs the response s describes, as XML.
func (idp *IdP) Response(t testing.TB, s Spec) []byte {
	t.Helper()
	a := idp.assertion(s)
	if s.EditAssertion != nil {
		s.EditAssertion(a)
	}
	if s.SignAssertion {
		if err := s.AssertionSigner.Sign(a, idp.Keys); err != nil {
			t.Fatalf("samltest: sign assertion: %v", err)
		}
	}
	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", ProtocolNS)
	r.CreateAttr("xmlns:saml", AssertionNS)
	setAttr(r, "ID", s.ResponseID)
	r.CreateAttr("Version", "2.0")
	setTime(r, "IssueInstant", s.Now)
	setAttr(r, "Destination", s.Destination)
	setAttr(r, "InResponseTo", s.InResponseTo)
	if s.Issuer != "" {
		r.CreateElement("saml:Issuer").SetText(s.Issuer)
	}
	st := r.CreateElement("samlp:Status")
	code := st.CreateElement("samlp:StatusCode")
	code.CreateAttr("Value", s.Status)
	if s.SubStatus != "" {
		code.CreateElement("samlp:StatusCode").CreateAttr("Value", s.SubStatus)
	}
	if s.StatusMessage != "" {
		st.CreateElement("samlp:StatusMessage").SetText(s.StatusMessage)
	}
	r.AddChild(a)
	if s.EditResponse != nil {
		s.EditResponse(r)
	}
	if s.SignResponse {
		if err := s.ResponseSigner.Sign(r, idp.Keys); err != nil {
			t.Fatalf("samltest: sign response: %v", err)
		}
	}
	doc := etree.NewDocument()
	doc.SetRoot(r)
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("samltest: write response: %v", err)
	}
	return b
}

func (idp *IdP) assertion(s Spec) *etree.Element {
	a := etree.NewElement("saml:Assertion")
	a.CreateAttr("xmlns:saml", AssertionNS)
	a.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	a.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	setAttr(a, "ID", s.AssertionID)
	a.CreateAttr("Version", "2.0")
	setTime(a, "IssueInstant", s.Now)
	if s.Issuer != "" {
		a.CreateElement("saml:Issuer").SetText(s.Issuer)
	}
	subj := a.CreateElement("saml:Subject")
	nameID := subj.CreateElement("saml:NameID")
	setAttr(nameID, "Format", s.NameIDFormat)
	nameID.SetText(s.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", Bearer)
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	setAttr(scd, "InResponseTo", s.InResponseTo)
	setTime(scd, "NotBefore", s.SCDNotBefore)
	setTime(scd, "NotOnOrAfter", s.SCDNotOnOrAfter)
	setAttr(scd, "Recipient", s.Recipient)
	cond := a.CreateElement("saml:Conditions")
	setTime(cond, "NotBefore", s.NotBefore)
	setTime(cond, "NotOnOrAfter", s.NotOnOrAfter)
	for _, list := range s.Audiences {
		ar := cond.CreateElement("saml:AudienceRestriction")
		for _, aud := range list {
			ar.CreateElement("saml:Audience").SetText(aud)
		}
	}
	as := a.CreateElement("saml:AuthnStatement")
	setTime(as, "AuthnInstant", s.Now)
	setAttr(as, "SessionIndex", s.SessionIndex)
	as.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	if len(s.Attributes) > 0 {
		st := a.CreateElement("saml:AttributeStatement")
		for _, at := range s.Attributes {
			ae := st.CreateElement("saml:Attribute")
			ae.CreateAttr("Name", at.Name)
			for _, v := range at.Values {
				ve := ae.CreateElement("saml:AttributeValue")
				ve.CreateAttr("xsi:type", "xs:string")
				ve.SetText(v)
			}
		}
	}
	return a
}

func setAttr(el *etree.Element, name, value string) {
	if value != "" {
		el.CreateAttr(name, value)
	}
}

func setTime(el *etree.Element, name string, t time.Time) {
	if !t.IsZero() {
		el.CreateAttr(name, t.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
}

// Encode returns the SAMLResponse form value of a response.
func Encode(xml []byte) string {
	return base64.StdEncoding.EncodeToString(xml)
}
