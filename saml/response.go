package saml

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/beevik/etree"
	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// ResponseInput is what the ACS received.
type ResponseInput struct {
	SAMLResponse string // the base64 form field
	ACSURL       string // the URL it was posted to; must be one of SP.ACSURLs
	// IsRequestID reports whether id is an unused, unexpired AuthnRequest id
	// this group issued. It may be called more than once and must not
	// consume the id; the caller consumes Assertion.InResponseTo after a
	// successful ParseResponse. nil means there is none, so only
	// IdP-initiated responses can succeed.
	IsRequestID func(id string) bool
}

// Assertion is the verified sign-in a response carries.
type Assertion struct {
	ID           string // for the replay cache
	Issuer       string
	NameID       string // exactly as sent: the identity's extern_uid
	NameIDFormat string // NameIDUnspecified when the IdP sent none
	SessionIndex string
	InResponseTo string // the AuthnRequest id it answers; "" for IdP-initiated
	// Attributes maps each attribute Name to its values, in document order.
	Attributes   map[string][]string
	IssueInstant time.Time
	// NotOnOrAfter is when the replay-cache entry may expire: the latest
	// validity end (Conditions or SubjectConfirmationData) plus the skew.
	NotOnOrAfter time.Time
}

// ParseResponse validates the SAMLResponse an IdP posted to the group's ACS
// and returns the sign-in it carries. The Verdict is never nil: it lists
// the checks made, the failed one last, for the group's SAML log. An error is
// an *Error naming the failed check.
//
// The caller must still consume Assertion.InResponseTo and record
// Assertion.ID in the replay cache (see the package documentation).
// ParseResponse is safe for concurrent use.
func ParseResponse(sp SP, idp IdP, in ResponseInput, now time.Time) (*Assertion, *Verdict, error) {
	setLimits()
	p := &parse{sp: sp, idp: idp, in: in, now: now, v: &Verdict{}}
	a, e := p.run()
	p.v.XML = p.verdictXML()
	if e != nil {
		p.v.fail(e)
		return nil, p.v, e
	}
	return a, p.v, nil
}

// parse holds one ParseResponse call.
type parse struct {
	sp   SP
	idp  IdP
	in   ResponseInput
	now  time.Time
	skew time.Duration
	v    *Verdict

	xml      []byte
	doc      *etree.Document
	shape    shape
	respID   string
	assertID string
	trusted  []*x509.Certificate

	unsignedResp responseView
	signedResp   *responseView  // set once the Response's signature verified
	covered      *assertionView // the Assertion as a verified signature covers it, checked
	coveredBy    []string       // which signatures cover it: "Response", "Assertion"
}

func (p *parse) run() (*Assertion, *Error) {
	if err := p.checkConfig(); err != nil {
		return nil, err
	}
	if err := p.decode(); err != nil {
		return nil, err
	}
	if err := scanXML(p.xml); err != nil {
		return nil, fail(CheckXML, "the response is not XML Gatehouse accepts: "+noMarkup(err.Error()), "")
	}
	p.doc = etree.NewDocument()
	if err := p.doc.ReadFromBytes(p.xml); err != nil {
		return nil, fail(CheckXML, "the response is not well-formed XML", err.Error())
	}
	p.v.pass(CheckXML, "well-formed, no DOCTYPE, within the depth and token limits")

	root := p.doc.Root()
	if root == nil || !is(root, protocolNS, "Response") {
		name := "nothing"
		if root != nil {
			name = q(root.Tag) + " in namespace " + q(root.NamespaceURI())
		}
		return nil, failf(CheckResponse, "the posted document is %s, not a SAML 2.0 Response: the IdP must post a samlp:Response to the ACS URL", name)
	}
	var err *Error
	if p.unsignedResp, err = readResponse(root); err != nil {
		return nil, err
	}
	r := p.unsignedResp
	p.v.InResponseTo = r.InResponseTo
	if r.Version != "2.0" {
		return nil, failf(CheckResponse, "the Response has Version %s; Gatehouse speaks SAML 2.0 only", q(r.Version))
	}
	if r.ID == "" {
		return nil, failf(CheckResponse, "the Response has no ID")
	}
	p.respID = r.ID
	p.v.pass(CheckResponse, "a SAML 2.0 Response, ID %s", q(r.ID))

	if err := checkStatus(r); err != nil {
		return nil, err
	}
	p.v.pass(CheckStatus, "Success")

	if p.shape, err = checkStructure(root); err != nil {
		return nil, err
	}
	p.assertID, _ = attr(p.shape.assertion, "ID")
	p.v.pass(CheckStructure, "one Assertion, directly inside the Response; nothing else wrapped")
	p.v.pass(CheckEncryption, "nothing encrypted")

	if err := p.checkSigned(); err != nil {
		return nil, err
	}
	if err := p.checkCertificates(); err != nil {
		return nil, err
	}

	hints, err := readAssertion(p.shape.assertion)
	if err != nil {
		return nil, err
	}
	// When only the Assertion is signed, crewjam checks the Response's own
	// fields as received (Destination, InResponseTo, Issuer) before it gets
	// to the Assertion's signature. Make every check on the response as
	// received first, so that a mismatch gets this package's message. Here
	// the checks may only refuse: what passes is forgotten, and checked
	// again on what the signature covers.
	if p.shape.respSig == nil {
		saved := p.v
		p.v = &Verdict{}
		err := p.checkAssertion(hints)
		p.v = saved
		if err != nil {
			return nil, err
		}
	}

	ca, cerr := p.crewjam(hints)
	if cerr != nil {
		return nil, p.crewjamError(cerr)
	}
	return p.result(ca)
}

// checkConfig checks the group's settings and that the response was posted
// to one of the group's ACS URLs. A group that trusts no certificate fails
// here, closed.
func (p *parse) checkConfig() *Error {
	var err *Error
	if p.skew, err = p.idp.skew(); err != nil {
		return err
	}
	switch {
	case p.sp.EntityID == "" || len(p.sp.ACSURLs) == 0:
		return configError("the group's SP entity ID or ACS URL is not set")
	case p.idp.EntityID == "":
		return configError("the group's IdP entity ID (Issuer) is not set: upload the IdP's metadata or set its entity ID")
	case !slices.Contains(p.sp.ACSURLs, p.in.ACSURL):
		return configError("the response was posted to %s, which is not an ACS URL of this group (%s)", q(p.in.ACSURL), strings.Join(p.sp.ACSURLs, ", "))
	}
	if _, err := url.Parse(p.in.ACSURL); err != nil {
		return configError("the ACS URL %s does not parse", q(p.in.ACSURL))
	}
	certs := 0
	for _, c := range p.idp.Certificates {
		if c != nil {
			certs++
		}
	}
	fps := 0
	for _, fp := range p.idp.Fingerprints {
		if normalFingerprint(fp) != "" {
			fps++
		}
	}
	if certs == 0 && fps == 0 {
		return configError("the group's SAML configuration trusts no IdP certificate: upload the IdP's signing certificate, its metadata, or the certificate's SHA-256 fingerprint")
	}
	p.v.pass(CheckConfig, "%d trusted certificates, %d fingerprints, clock skew %s, IdP-initiated sign-in %s", certs, fps, p.skew, allowed(p.idp.AllowIdPInitiated))
	return nil
}

func allowed(b bool) string {
	if b {
		return "allowed"
	}
	return "refused"
}

// decode checks the size of the form value and decodes it into p.xml.
// Line breaks and spaces in the base64 are ignored (IdPs wrap it).
func (p *parse) decode() *Error {
	s := p.in.SAMLResponse
	if s == "" {
		return failf(CheckEncoding, "the form carried no SAMLResponse: the IdP must post the response with the HTTP-POST binding")
	}
	if len(s) > MaxResponseSize {
		return failf(CheckSize, "the SAMLResponse is %d bytes; Gatehouse reads at most %d: ask the IdP to send fewer attributes (group claims are the usual cause)", len(s), MaxResponseSize)
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return fail(CheckEncoding, "the SAMLResponse is not base64: the IdP must post the response with the HTTP-POST binding", err.Error())
	}
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if len(b) > MaxXMLSize {
		return failf(CheckSize, "the decoded response is %d bytes; Gatehouse reads at most %d: ask the IdP to send fewer attributes (group claims are the usual cause)", len(b), MaxXMLSize)
	}
	p.xml = b
	p.v.pass(CheckSize, "%d bytes of base64, %d bytes of XML", len(p.in.SAMLResponse), len(b))
	p.v.pass(CheckEncoding, "base64")
	return nil
}

// checkStatus refuses a Response whose status is not Success, whatever it
// carries (security.md 1.19).
func checkStatus(r responseView) *Error {
	if r.Status == statusSuccess {
		return nil
	}
	status := shortStatus(r.Status)
	if r.SubStatus != "" {
		status += " / " + shortStatus(r.SubStatus)
	}
	msg := ""
	if r.StatusMessage != "" {
		msg = ", with the message " + q(r.StatusMessage)
	}
	hint := "check the IdP's sign-in log"
	switch {
	case strings.HasSuffix(r.SubStatus, ":RequestDenied"):
		hint = "the user is probably not assigned to this application in the IdP"
	case strings.HasSuffix(r.SubStatus, ":AuthnFailed"):
		hint = "the user did not manage to sign in at the IdP"
	case strings.HasSuffix(r.SubStatus, ":InvalidNameIDPolicy"):
		hint = "the IdP cannot send the NameID format Gatehouse asks for (unspecified); check its NameID settings"
	}
	return failf(CheckStatus, "the IdP did not sign the user in: it answered %s%s; %s", q(status), msg, hint)
}

func shortStatus(s string) string {
	if s == "" {
		return "(no status)"
	}
	return strings.TrimPrefix(s, "urn:oasis:names:tc:SAML:2.0:status:")
}

// checkSigned refuses a response in which neither the Response nor the
// Assertion carries a signature, and checks the shape of those that do.
func (p *parse) checkSigned() *Error {
	s := p.shape
	switch {
	case s.respSig == nil && s.assertSig == nil:
		return failf(CheckSigned, "neither the Response nor the Assertion is signed: set the IdP to sign the assertion (or the whole response); Gatehouse refuses unsigned responses")
	case s.respSig != nil && s.assertSig != nil:
		p.v.pass(CheckSigned, "the Response and the Assertion")
	case s.respSig != nil:
		p.v.pass(CheckSigned, "the Response (the Assertion inside it is covered)")
	default:
		p.v.pass(CheckSigned, "the Assertion (the Response around it is not signed, so only the Assertion's content is trusted)")
	}
	var algs []string
	for _, pair := range [][2]*etree.Element{{s.root, s.respSig}, {s.assertion, s.assertSig}} {
		if pair[1] == nil {
			continue
		}
		if err := checkSignatureShape(pair[0], pair[1], p.idp.AllowSHA1); err != nil {
			return err
		}
		algs = append(algs, signatureAlgorithms(pair[0].Tag, pair[1]))
	}
	p.v.pass(CheckAlgorithm, "%s", strings.Join(algs, "; "))
	return nil
}

// signatureAlgorithms describes the algorithms of a well-shaped signature.
func signatureAlgorithms(tag string, sig *etree.Element) string {
	si := children(sig, dsigNS, "SignedInfo")[0]
	sm, _ := attr(children(si, dsigNS, "SignatureMethod")[0], "Algorithm")
	ref := children(si, dsigNS, "Reference")[0]
	dm, _ := attr(children(ref, dsigNS, "DigestMethod")[0], "Algorithm")
	return fmt.Sprintf("the %s: %s, digest %s, exclusive C14N", tag, lastPart(sm), lastPart(dm))
}

func lastPart(alg string) string {
	if i := strings.LastIndexByte(alg, '#'); i >= 0 {
		return alg[i+1:]
	}
	return alg
}

// checkCertificates decides which certificates the signatures may be
// verified with: the group's certificates, and a certificate a signature
// carries in its KeyInfo whose fingerprint the group configured. Every
// certificate a signature carries must be one of them (security.md 1.5).
func (p *parse) checkCertificates() *Error {
	var trusted []*x509.Certificate
	for _, c := range p.idp.Certificates {
		if c != nil && !containsCert(trusted, c) {
			trusted = append(trusted, c)
		}
	}
	fps := map[string]bool{}
	for _, fp := range p.idp.Fingerprints {
		if fp = normalFingerprint(fp); fp != "" {
			fps[fp] = true
		}
	}
	var notes []string
	for _, pair := range []struct {
		what string
		sig  *etree.Element
	}{{"Response", p.shape.respSig}, {"Assertion", p.shape.assertSig}} {
		if pair.sig == nil {
			continue
		}
		cert, err := signatureCert(pair.sig)
		switch {
		case err != nil:
			return fail(CheckCertificate, "the "+pair.what+"'s signature carries a certificate that does not parse", err.Error())
		case cert == nil && len(trusted) == 0:
			return failf(CheckCertificate, "the %s's signature carries no certificate, and the group trusts the IdP by fingerprint, which needs the certificate in the signature: set the IdP to include its certificate, or upload the certificate to the group instead", pair.what)
		case cert == nil:
			notes = append(notes, fmt.Sprintf("the %s's signature names no certificate; each trusted certificate is tried", pair.what))
			continue
		case containsCert(trusted, cert):
		case fps[fingerprintSHA256(cert.Raw)] || fps[fingerprintSHA1(cert.Raw)]:
			trusted = append(trusted, cert)
		default:
			return failf(CheckCertificate, "the %s is signed with a certificate the group does not trust (%s): if the IdP rotated its signing certificate, add the new certificate (or its SHA-256 fingerprint) to the group's SAML settings", pair.what, describeCert(cert))
		}
		note := fmt.Sprintf("the %s's signature names %s", pair.what, describeCert(cert))
		if p.now.After(cert.NotAfter) {
			note += fmt.Sprintf(" (it expired on %s: still accepted, but renew it at the IdP)", cert.NotAfter.UTC().Format(time.DateOnly))
		}
		notes = append(notes, note)
	}
	if len(trusted) == 0 {
		return failf(CheckCertificate, "no trusted certificate to verify the signature with")
	}
	p.trusted = trusted
	p.v.pass(CheckCertificate, "%s", strings.Join(notes, "; "))
	return nil
}

func containsCert(certs []*x509.Certificate, c *x509.Certificate) bool {
	for _, x := range certs {
		if x.Equal(c) {
			return true
		}
	}
	return false
}

// describeCert names a certificate for a message.
func describeCert(c *x509.Certificate) string {
	return fmt.Sprintf("subject %s, SHA-256 fingerprint %s", q(c.Subject.String()), fingerprintSHA256(c.Raw))
}

// crewjam runs crewjam's ServiceProvider over the response, with p as its
// signature verifier.
//
// hints is the Assertion as received, not verified: it says which ACS URL and
// request ids crewjam is to expect, from among those of the group, and
// crewjam then checks that what is signed names them.
func (p *parse) crewjam(hints assertionView) (*crewjam.Assertion, error) {
	// crewjam compares the Recipient with one ACS URL; give it the one the
	// assertion names if it is one of the group's (checked again on what the
	// signature covers), or else the URL the response was posted to.
	acs := p.in.ACSURL
	if len(hints.bearers) > 0 && slices.Contains(p.sp.ACSURLs, hints.bearers[0].Recipient) {
		acs = hints.bearers[0].Recipient
	}
	acsURL, err := url.Parse(acs)
	if err != nil {
		return nil, configError("the ACS URL %s does not parse", q(acs))
	}
	current, _ := url.Parse(p.in.ACSURL)

	// The request ids crewjam may accept: those the response names that
	// this group issued. crewjam checks that what is signed names one of
	// them; this package checks the same itself.
	var ids []string
	candidates := []string{p.unsignedResp.InResponseTo}
	for _, b := range hints.bearers {
		candidates = append(candidates, b.InResponseTo)
	}
	for _, id := range candidates {
		if id != "" && p.in.IsRequestID != nil && !slices.Contains(ids, id) && p.in.IsRequestID(id) {
			ids = append(ids, id)
		}
	}

	var kds []crewjam.KeyDescriptor
	for _, c := range p.trusted {
		kds = append(kds, crewjam.KeyDescriptor{Use: "signing", KeyInfo: crewjam.KeyInfo{X509Data: crewjam.X509Data{
			X509Certificates: []crewjam.X509Certificate{{Data: base64.StdEncoding.EncodeToString(c.Raw)}},
		}}})
	}
	csp := &crewjam.ServiceProvider{
		EntityID:    p.sp.EntityID,
		Key:         p.sp.Key,
		Certificate: p.sp.Certificate,
		AcsURL:      *acsURL,
		IDPMetadata: &crewjam.EntityDescriptor{
			EntityID: p.idp.EntityID,
			IDPSSODescriptors: []crewjam.IDPSSODescriptor{{SSODescriptor: crewjam.SSODescriptor{
				RoleDescriptor: crewjam.RoleDescriptor{KeyDescriptors: kds},
			}}},
		},
		AllowIDPInitiated: p.idp.AllowIdPInitiated,
		SignatureVerifier: p,
		Clock:             dsig.NewFakeClockAt(p.now),
		// Certificate expiry is reported in the verdict, not enforced: the
		// certificate is pinned by the group (decision 14).
		IgnoreCertificateExpiry: true,
		RejectSHA1Signatures:    !p.idp.AllowSHA1,
		RejectUnknownConditions: true,
	}
	return csp.ParseXMLResponse(p.xml, ids, *current)
}

// crewjamError turns an error from crewjam into an *Error: the one this
// package's verifier returned through crewjam, or one classified by
// crewjam's error kinds.
func (p *parse) crewjamError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	detail := err.Error()
	var ire *crewjam.InvalidResponseError
	if errors.As(err, &ire) && ire.PrivateErr != nil {
		detail = ire.PrivateErr.Error()
	}
	var bad crewjam.ErrBadStatus
	switch {
	case errors.As(err, &bad):
		return fail(CheckStatus, "the IdP did not sign the user in", detail)
	case errors.Is(err, crewjam.ErrUntrustedCertificate):
		return fail(CheckCertificate, "the response is signed with a certificate the group does not trust", detail)
	case errors.Is(err, crewjam.ErrInvalidSignature):
		return fail(CheckSignature, "the response's signature does not verify", detail)
	case errors.Is(err, crewjam.ErrExpired), errors.Is(err, crewjam.ErrNotYetValid):
		return fail(CheckTime, "the response is outside its validity period", detail)
	case errors.Is(err, crewjam.ErrIssuerMismatch):
		return fail(CheckIssuer, "the response's Issuer is not the group's IdP entity ID", detail)
	case errors.Is(err, crewjam.ErrDestinationMismatch) && strings.Contains(detail, "Recipient"):
		return fail(CheckRecipient, "the assertion's Recipient is not this group's ACS URL", detail)
	case errors.Is(err, crewjam.ErrDestinationMismatch):
		return fail(CheckDestination, "the Response's Destination is not this group's ACS URL", detail)
	case errors.Is(err, crewjam.ErrRequestIDMismatch):
		return fail(CheckInResponseTo, "the response does not answer a sign-in request of this group", detail)
	case errors.Is(err, crewjam.ErrAudienceMismatch):
		return fail(CheckAudience, "the assertion is not restricted to this group's entity ID", detail)
	case errors.Is(err, crewjam.ErrMalformedMessage):
		return fail(CheckXML, "the response is malformed", detail)
	}
	return fail(CheckAssertion, "the assertion is not acceptable", detail)
}

// VerifySignature implements crewjam's SignatureVerifier; crewjam calls
// VerifySignedElement instead.
func (p *parse) VerifySignature(ctx *dsig.ValidationContext, el *etree.Element) error {
	_, err := p.VerifySignedElement(ctx, el)
	return err
}

// VerifySignedElement implements crewjam's SignedElementVerifier. crewjam
// calls it for the Response and for the Assertion, each when it carries a
// signature, with el detached from the document. It checks the signature's
// shape, verifies it against the trusted certificates, and runs this
// package's checks on what the signature covers, which crewjam then reads
// from too.
func (p *parse) VerifySignedElement(ctx *dsig.ValidationContext, el *etree.Element) (*etree.Element, error) {
	id, _ := attr(el, "ID")
	isResponse := el.Tag == "Response" && id == p.respID
	if !isResponse && !(el.Tag == "Assertion" && id == p.assertID) {
		return nil, fail(CheckStructure, "the response holds a signed element Gatehouse did not expect", fmt.Sprintf("crewjam verifies <%s ID=%s>", el.Tag, q(id)))
	}
	sig := signatureChild(el)
	if sig == nil {
		return nil, failf(CheckSigned, "the %s lost its signature", el.Tag)
	}
	if err := checkSignatureShape(el, sig, p.idp.AllowSHA1); err != nil {
		return nil, err
	}
	roots, err := ctx.CertificateStore.Certificates()
	if err != nil {
		return nil, fail(CheckCertificate, "no trusted certificate to verify the signature with", err.Error())
	}
	signed, cert, err := verifySignature(ctx, el, roots)
	if err != nil {
		return nil, fail(CheckSignature, fmt.Sprintf("the %s's signature does not verify with the group's trusted certificate: the response was changed after it was signed, or signed with another key", el.Tag), err.Error())
	}
	p.v.note(CheckSignature, fmt.Sprintf("the %s's signature verifies with the certificate %s", el.Tag, fingerprintSHA256(cert.Raw)))

	var a *etree.Element
	if isResponse {
		rv, err := readResponse(signed)
		if err != nil {
			return nil, err
		}
		rv.signed = true
		if rv.ID != p.respID {
			return nil, failf(CheckStructure, "the signed Response is not the one received")
		}
		p.signedResp = &rv
		if err := checkStatus(rv); err != nil {
			return nil, err
		}
		as := children(signed, assertionNS, "Assertion")
		if len(as) != 1 {
			return nil, failf(CheckStructure, "the signed Response holds %d Assertions", len(as))
		}
		a = as[0]
	} else {
		a = signed
	}
	av, verr := readAssertion(a)
	if verr != nil {
		return nil, verr
	}
	if av.ID != p.assertID || (p.covered != nil && p.covered.ID != av.ID) {
		return nil, failf(CheckStructure, "the signed Assertion is not the one received")
	}
	if p.covered == nil {
		if err := p.checkAssertion(av); err != nil {
			return nil, err
		}
		p.covered = &av
	}
	p.coveredBy = append(p.coveredBy, el.Tag)
	return signed, nil
}

// response returns the view of the Response the checks use: the signed one
// once verified, else the one as received.
func (p *parse) response() responseView {
	if p.signedResp != nil {
		return *p.signedResp
	}
	return p.unsignedResp
}

// result checks that the assertion crewjam accepted is the one this
// package's checks ran on, and returns it.
func (p *parse) result(ca *crewjam.Assertion) (*Assertion, *Error) {
	a := p.covered
	if ca == nil || a == nil || len(p.coveredBy) == 0 {
		return nil, failf(CheckSigned, "no verified signature covers the assertion")
	}
	nameID, format := "", ""
	if ca.Subject != nil && ca.Subject.NameID != nil {
		nameID, format = ca.Subject.NameID.Value, ca.Subject.NameID.Format
	}
	if ca.ID != a.ID || ca.Issuer.Value != a.Issuer || nameID != a.NameID || format != a.NameIDFormat {
		return nil, fail(CheckStructure, "the assertion reads differently to two XML readers, which only a crafted response does",
			fmt.Sprintf("crewjam read ID %s, Issuer %s, NameID %s (%s); Gatehouse read %s, %s, %s (%s)",
				q(ca.ID), q(ca.Issuer.Value), q(nameID), q(format), q(a.ID), q(a.Issuer), q(a.NameID), q(a.NameIDFormat)))
	}

	b := a.bearers[0]
	out := &Assertion{
		ID:           a.ID,
		Issuer:       a.Issuer,
		NameID:       a.NameID,
		NameIDFormat: a.NameIDFormat,
		InResponseTo: b.InResponseTo,
		IssueInstant: a.IssueInstant,
		Attributes:   map[string][]string{},
	}
	if out.NameIDFormat == "" {
		out.NameIDFormat = NameIDUnspecified
	}
	if len(a.authn) > 0 {
		out.SessionIndex = a.authn[0].SessionIndex
	}
	for _, at := range a.attributes {
		out.Attributes[at.Name] = append(out.Attributes[at.Name], at.Values...)
	}
	end := b.NotOnOrAfter
	if a.NotOnOrAfter.After(end) {
		end = a.NotOnOrAfter
	}
	out.NotOnOrAfter = end.Add(p.skew)
	return out, nil
}

// verdictXML returns the response for the Verdict: the tree with signature
// values and certificates trimmed, or the raw text if it did not parse, at
// most MaxVerdictXML bytes.
func (p *parse) verdictXML() string {
	var s string
	if p.doc != nil && p.doc.Root() != nil {
		trim(p.doc.Root())
		var buf bytes.Buffer
		if _, err := p.doc.WriteTo(&buf); err == nil {
			s = buf.String()
		}
	} else {
		s = rawTrim.ReplaceAllString(strings.ToValidUTF8(string(p.xml), "\uFFFD"), "${1}[trimmed]")
	}
	if len(s) > MaxVerdictXML {
		i := MaxVerdictXML
		for i > 0 && s[i]&0xC0 == 0x80 {
			i--
		}
		s = s[:i] + fmt.Sprintf("\n<!-- %d more bytes not kept -->", len(s)-i)
	}
	return s
}

// rawTrim finds the content of signature values, certificates and
// ciphertexts in a response that did not parse.
var rawTrim = regexp.MustCompile(`((?:SignatureValue|X509Certificate|CipherValue)[^<>]*>)[^<]*`)

// trim replaces, in the tree below el, each SignatureValue with its length
// and each X509Certificate with its fingerprint. The tree is not used for
// anything else afterwards.
func trim(el *etree.Element) {
	stack := []*etree.Element{el}
	for len(stack) > 0 {
		e := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch e.Tag {
		case "SignatureValue":
			e.SetText(fmt.Sprintf("[signature, %d characters]", len(strings.TrimSpace(text(e)))))
			continue
		case "X509Certificate":
			if c, err := parseCertText(text(e)); err == nil {
				e.SetText("[certificate, SHA-256 " + fingerprintSHA256(c.Raw) + "]")
			} else {
				e.SetText("[certificate that does not parse]")
			}
			continue
		case "CipherValue":
			e.SetText("[ciphertext]")
			continue
		}
		stack = append(stack, e.ChildElements()...)
	}
}
