// Package saml is the pure SAML 2.0 service-provider core of Gatehouse: it
// builds AuthnRequests for the HTTP-Redirect binding, validates the Responses
// an identity provider posts to a group's assertion consumer service (ACS),
// reads IdP metadata and writes the SP metadata. It does no I/O, keeps no
// state between calls and imports nothing else of Gatehouse; every function
// that depends on time takes now.
//
// Signatures are verified by crewjam/saml (with goxmldsig underneath); this
// package adds the checks the attack catalogue in docs/security.md asks for
// where crewjam is lenient, and names every failure in words a group owner
// can act on.
//
// # How ParseResponse reads a response
//
// The response is decoded and checked against size, depth and token limits,
// and any DOCTYPE is refused, before a tree is built. The tree must be a
// Response with exactly one Assertion as a direct child and no Assertion,
// Response or ds:Object anywhere else; every Signature must be a direct child
// of the Response or of that Assertion and have the one shape this package
// accepts (exclusive C14N, enveloped-signature, one Reference to its parent,
// RSA with SHA-256 or better). Checks on this unverified tree may only refuse.
//
// crewjam then verifies the signatures through a verifier this package
// supplies: it trusts only the group's certificates (or, in fingerprint mode,
// a KeyInfo certificate whose fingerprint the group configured), and every
// check that may accept (issuer, destination, recipient, audience, times,
// InResponseTo, NameID) runs on the element the signature covers, as parsed
// from the bytes that were digested. crewjam's own checks run as well, and
// the identity it reads must equal the one read here, or the response is
// refused.
//
// The result is an Assertion and a Verdict that lists each check and its
// outcome, for the group's SAML log. A failure is an *Error naming its check,
// with a message that is safe to show and says what to change.
//
// # What the caller does
//
// ParseResponse does not consume request ids or remember assertions: the
// caller must consume Assertion.InResponseTo (when not empty) as a used
// AuthnRequest id, and record Assertion.ID in the replay cache until
// Assertion.NotOnOrAfter, refusing the sign-in if it was recorded before.
//
// # crewjam's globals
//
// crewjam reads its clock-skew and issue-delay limits from package variables.
// The first call to ParseResponse, NewAuthnRequest, ParseIdPMetadata or
// Metadata sets them, once, to MaxClockSkew and MaxAssertionAge, and nothing
// changes them afterwards; the group's own, narrower skew is enforced here
// on the verified assertion.
// Programs that use crewjam elsewhere must not change those variables.
package saml
