package saml

import (
	"crypto/rsa"
	"net/url"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"
)

// AuthnRequest is a sign-in request to send the browser to.
type AuthnRequest struct {
	ID           string // store it for the group until the response comes back (ResponseInput.IsRequestID)
	RedirectURL  string // the IdP's SSO URL with SAMLRequest, RelayState, SigAlg and Signature
	IssueInstant time.Time
}

// NewAuthnRequest builds an AuthnRequest for the HTTP-Redirect binding,
// asking for the response at the group's canonical ACS URL (sp.ACSURLs[0])
// with the HTTP-POST binding and a NameID of format unspecified.
//
// The request is signed with sp.Key (RSA-SHA256, the query-string signature
// of saml-bindings §3.4.4.1), as the SP metadata announces: IdPs that know
// the SP certificate can check it, and the others ignore the signature.
// relayState is sent as is and may be at most MaxRelayState bytes; it should
// be an opaque key into server-side state, never a URL.
func NewAuthnRequest(sp SP, idp IdP, relayState string, now time.Time) (AuthnRequest, error) {
	setLimits()
	if err := checkSP(sp); err != nil {
		return AuthnRequest{}, err
	}
	sso, err := url.Parse(idp.SSOURL)
	if err != nil || (sso.Scheme != "https" && !loopbackHTTP(sso)) || sso.Host == "" {
		return AuthnRequest{}, configError("the IdP's SSO URL %s is not an https URL", q(idp.SSOURL))
	}
	if len(relayState) > MaxRelayState {
		return AuthnRequest{}, configError("the RelayState is %d bytes; at most %d may be sent", len(relayState), MaxRelayState)
	}
	acs, err := url.Parse(sp.ACSURLs[0])
	if err != nil {
		return AuthnRequest{}, configError("the ACS URL %s does not parse", q(sp.ACSURLs[0]))
	}
	csp := &crewjam.ServiceProvider{
		EntityID:                    sp.EntityID,
		Key:                         sp.Key,
		Certificate:                 sp.Certificate,
		AcsURL:                      *acs,
		SignatureMethod:             dsig.RSASHA256SignatureMethod,
		AuthnNameIDFormat:           crewjam.UnspecifiedNameIDFormat,
		SendUnspecifiedNameIDFormat: true,
		LimitRelayStateLength:       true,
		Clock:                       dsig.NewFakeClockAt(now),
	}
	req, err := csp.MakeAuthenticationRequest(idp.SSOURL, crewjam.HTTPRedirectBinding, crewjam.HTTPPostBinding)
	if err != nil {
		return AuthnRequest{}, fail(CheckConfig, "the sign-in request could not be built", err.Error())
	}
	u, err := req.Redirect(relayState, csp)
	if err != nil {
		return AuthnRequest{}, fail(CheckConfig, "the sign-in request could not be signed", err.Error())
	}
	return AuthnRequest{ID: req.ID, RedirectURL: u.String(), IssueInstant: req.IssueInstant}, nil
}

// checkSP checks what requests and metadata need of sp.
func checkSP(sp SP) *Error {
	switch {
	case sp.EntityID == "":
		return configError("the SP entity ID is not set")
	case len(sp.ACSURLs) == 0:
		return configError("the group has no ACS URL")
	case sp.Key == nil || sp.Certificate == nil:
		return configError("the SP key pair is not set")
	}
	if _, ok := sp.Key.Public().(*rsa.PublicKey); !ok {
		return configError("the SP key is not an RSA key")
	}
	if pub, ok := sp.Certificate.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(sp.Key.Public()) {
		return configError("the SP certificate does not belong to the SP key")
	}
	return nil
}
