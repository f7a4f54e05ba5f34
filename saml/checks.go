package saml

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// checkResponse checks the Response's own fields: Issuer, Destination and
// IssueInstant. r is what a verified signature covers when r.signed is set;
// otherwise these checks may only refuse.
func (p *parse) checkResponse(r responseView) *Error {
	from := ""
	if !r.signed {
		from = " (the Response is not signed; only a mismatch counts)"
	}
	if r.hasIssuer && r.Issuer != p.idp.EntityID {
		return p.issuerError("Response", r.Issuer)
	}
	switch {
	case r.Destination == "" && r.signed:
		return failf(CheckDestination, "the signed Response has no Destination: set the IdP to send the Destination (it is the ACS URL %s)", p.sp.ACSURLs[0])
	case r.Destination != "" && !slices.Contains(p.sp.ACSURLs, r.Destination):
		return failf(CheckDestination, "the Response's Destination is %s, not this group's ACS URL: set the IdP's ACS URL (Reply URL, Single sign-on URL) to %s", q(r.Destination), p.sp.ACSURLs[0])
	case r.Destination != "":
		p.v.pass(CheckDestination, "the Response is addressed to %s%s", r.Destination, from)
	}
	if err := p.checkIssueInstant("Response", r.IssueInstant); err != nil {
		return err
	}
	return nil
}

// checkAssertion makes every check on the Assertion a and on the Response
// around it (p.response()), in the order a Verdict lists them. a is what a
// verified signature covers, except in the first pass of run, which may
// only refuse.
func (p *parse) checkAssertion(a assertionView) *Error {
	r := p.response()
	if err := p.checkResponse(r); err != nil {
		return err
	}
	if a.Version != "2.0" {
		return failf(CheckAssertion, "the Assertion has Version %s; Gatehouse speaks SAML 2.0 only", q(a.Version))
	}
	if a.ID == "" || len(a.ID) > MaxIDSize || strings.ContainsFunc(a.ID, unicode.IsSpace) {
		return failf(CheckAssertion, "the Assertion's ID %s is empty, longer than %d bytes or has spaces", q(a.ID), MaxIDSize)
	}

	// Issuer.
	if !a.hasIssuer {
		return failf(CheckIssuer, "the Assertion has no Issuer: the IdP must name itself in every assertion")
	}
	if a.Issuer != p.idp.EntityID {
		return p.issuerError("Assertion", a.Issuer)
	}
	p.v.pass(CheckIssuer, "%s", a.Issuer)

	// The bearer confirmation: Recipient, and Destination agreeing with it.
	if len(a.bearers) != 1 {
		return failf(CheckAssertion, "the Assertion has %d bearer SubjectConfirmations; Gatehouse accepts exactly one", len(a.bearers))
	}
	b := a.bearers[0]
	if !b.hasData {
		return failf(CheckAssertion, "the bearer SubjectConfirmation has no SubjectConfirmationData")
	}
	if b.Recipient == "" {
		return failf(CheckRecipient, "the assertion names no Recipient: set the IdP to send it (it is the ACS URL %s)", p.sp.ACSURLs[0])
	}
	if !slices.Contains(p.sp.ACSURLs, b.Recipient) {
		return failf(CheckRecipient, "the assertion's Recipient is %s, not this group's ACS URL %s: set the IdP's ACS URL (Reply URL, Single sign-on URL) to %s; a response meant for another group or application is refused", q(b.Recipient), p.sp.ACSURLs[0], p.sp.ACSURLs[0])
	}
	if r.Destination != "" && r.Destination != b.Recipient {
		return failf(CheckDestination, "the Response's Destination %s differs from the assertion's Recipient %s: both must be the ACS URL %s", q(r.Destination), q(b.Recipient), p.sp.ACSURLs[0])
	}
	p.v.pass(CheckRecipient, "%s", b.Recipient)

	// Audience.
	if !a.hasConditions || len(a.audiences) == 0 {
		return failf(CheckAudience, "the assertion has no AudienceRestriction, so it is not restricted to this group: set the IdP's Audience (Identifier, Entity ID) to %s", p.sp.EntityID)
	}
	for _, list := range a.audiences {
		if !slices.Contains(list, p.sp.EntityID) {
			return failf(CheckAudience, "the assertion's Audience is %s, expected %s: set the IdP's Audience (Identifier, Entity ID) to %s", quoteAll(list), q(p.sp.EntityID), p.sp.EntityID)
		}
	}
	p.v.pass(CheckAudience, "%s", p.sp.EntityID)
	if len(a.unknownConditions) > 0 {
		return failf(CheckAssertion, "the assertion's Conditions hold %s, which Gatehouse does not understand, so it cannot tell whether the assertion is valid", quoteAll(a.unknownConditions))
	}

	// Times.
	if err := p.checkIssueInstant("Assertion", a.IssueInstant); err != nil {
		return err
	}
	if err := p.checkWindow("the assertion (its Conditions)", a.NotBefore, a.NotOnOrAfter); err != nil {
		return err
	}
	if b.NotOnOrAfter.IsZero() {
		return failf(CheckTime, "the bearer SubjectConfirmationData has no NotOnOrAfter; SAML requires one")
	}
	if err := p.checkWindow("the assertion's bearer confirmation (SubjectConfirmationData)", b.NotBefore, b.NotOnOrAfter); err != nil {
		return err
	}
	for _, s := range a.authn {
		if !s.SessionNotOnOrAfter.IsZero() && !p.now.Before(s.SessionNotOnOrAfter.Add(p.skew)) {
			return failf(CheckTime, "the IdP session ended at %s (SessionNotOnOrAfter): sign in at the IdP again", stamp(s.SessionNotOnOrAfter))
		}
	}
	p.v.pass(CheckTime, "issued at %s; valid until %s (allowed clock skew %s)", stamp(a.IssueInstant), stamp(b.NotOnOrAfter), p.skew)

	// InResponseTo (decision 34): the signed confirmation's value decides;
	// the Response's must agree with it.
	irt := b.InResponseTo
	if r.InResponseTo != irt {
		return failf(CheckInResponseTo, "the Response answers the request %s but the assertion answers %s; they must agree", q(r.InResponseTo), q(irt))
	}
	switch {
	case irt == "" && !p.idp.AllowIdPInitiated:
		return failf(CheckInResponseTo, "the response was not asked for (an IdP-initiated sign-in), and the group accepts only sign-ins started at Gatehouse: start at the group's SSO URL, or allow IdP-initiated sign-in in the group's SAML settings")
	case irt == "":
		p.v.pass(CheckInResponseTo, "IdP-initiated (unsolicited), which the group allows")
	case p.in.IsRequestID == nil || !p.in.IsRequestID(irt):
		return failf(CheckInResponseTo, "the response answers the sign-in request %s, which this group did not issue, or which expired or was already used: start the sign-in again", q(irt))
	default:
		p.v.pass(CheckInResponseTo, "answers the request %s", irt)
	}

	// Subject (decision 40, security.md 1.14).
	if err := p.checkSubject(a); err != nil {
		return err
	}

	if len(a.authn) == 0 {
		return failf(CheckAssertion, "the assertion has no AuthnStatement, so it does not say that the user signed in")
	}
	p.v.pass(CheckAssertion, "ID %s, %d attributes", a.ID, len(a.attributes))
	return nil
}

// checkSubject checks the NameID.
func (p *parse) checkSubject(a assertionView) *Error {
	switch {
	case !a.hasSubject:
		return failf(CheckSubject, "the assertion has no Subject")
	case a.hasBaseID:
		return failf(CheckSubject, "the assertion's Subject is a BaseID; Gatehouse needs a NameID")
	case !a.hasNameID:
		return failf(CheckSubject, "the assertion has no NameID: set the IdP's Name ID (Name identifier)")
	}
	switch a.NameIDFormat {
	case "", NameIDUnspecified, NameIDPersistent, NameIDEmail:
	case NameIDTransient:
		return failf(CheckSubject, "the NameID format is transient, which changes at every sign-in and cannot identify a person: set the IdP's NameID format to persistent (or unspecified or email address)")
	default:
		return failf(CheckSubject, "the NameID format %s is not accepted: set the IdP's NameID format to persistent, unspecified or email address", q(a.NameIDFormat))
	}
	v := a.NameID
	switch {
	case strings.TrimSpace(v) == "":
		return failf(CheckSubject, "the NameID is empty: set the IdP's Name ID to a stable, unique user identifier")
	case len(v) > MaxNameIDSize:
		return failf(CheckSubject, "the NameID is %d bytes; Gatehouse accepts at most %d", len(v), MaxNameIDSize)
	case !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl):
		return failf(CheckSubject, "the NameID %s contains control characters or line breaks", q(v))
	}
	if a.SPNameQualifier != "" && a.SPNameQualifier != p.sp.EntityID {
		return failf(CheckSubject, "the NameID is qualified for %s, not this group (%s)", q(a.SPNameQualifier), p.sp.EntityID)
	}
	format := a.NameIDFormat
	if format == "" {
		format = NameIDUnspecified
	}
	p.v.pass(CheckSubject, "NameID %s (%s)", q(v), format[strings.LastIndexByte(format, ':')+1:])
	return nil
}

func (p *parse) issuerError(what, got string) *Error {
	return failf(CheckIssuer, "the %s's Issuer is %s, but the group expects %s: if the response comes from the right IdP, set the group's IdP entity ID (Issuer) to %s, or upload the IdP's metadata again", what, q(got), q(p.idp.EntityID), q(got))
}

// checkIssueInstant refuses a message issued in the future (beyond the skew)
// or more than MaxAssertionAge ago.
func (p *parse) checkIssueInstant(what string, t time.Time) *Error {
	switch {
	case t.After(p.now.Add(p.skew)):
		return failf(CheckTime, "the %s was issued at %s, %s ahead of Gatehouse's clock (allowed clock skew %s): check the IdP's clock, or raise the group's clock skew (at most %s)", what, stamp(t), t.Sub(p.now).Round(time.Second), p.skew, MaxClockSkew)
	case p.now.After(t.Add(MaxAssertionAge)):
		return failf(CheckTime, "the %s was issued at %s, %s ago; Gatehouse accepts it for %s after it is issued: sign in again (a response that old was delayed, or replayed)", what, stamp(t), p.now.Sub(t).Round(time.Second), MaxAssertionAge)
	}
	return nil
}

// checkWindow refuses a validity window that has not started or has ended,
// with the group's skew. NotOnOrAfter is exclusive: at that instant plus
// the skew the window has ended. A zero bound is absent.
func (p *parse) checkWindow(what string, notBefore, notOnOrAfter time.Time) *Error {
	switch {
	case !notBefore.IsZero() && p.now.Before(notBefore.Add(-p.skew)):
		return failf(CheckTime, "%s is not valid until %s, %s from now by Gatehouse's clock (allowed clock skew %s): check the IdP's clock, or raise the group's clock skew (at most %s)", what, stamp(notBefore), notBefore.Sub(p.now).Round(time.Second), p.skew, MaxClockSkew)
	case !notOnOrAfter.IsZero() && !p.now.Before(notOnOrAfter.Add(p.skew)):
		return failf(CheckTime, "%s expired at %s, %s ago (allowed clock skew %s): sign in again; if this happens on every sign-in, check the IdP's clock", what, stamp(notOnOrAfter), p.now.Sub(notOnOrAfter).Round(time.Second), p.skew)
	}
	return nil
}

func stamp(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

func quoteAll(list []string) string {
	if len(list) == 0 {
		return "empty"
	}
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = q(s)
	}
	return strings.Join(out, ", ")
}
