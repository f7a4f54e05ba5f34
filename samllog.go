package gatehouse

import (
	"encoding/json"
	"time"
)

// The most bytes the fields of a SAML log entry hold (Clamp cuts the
// longer values that come from outside).
const (
	// SAMLLogResponseLimit bounds Response, truncation marker included. A
	// response with its signatures and certificates trimmed is a few KiB;
	// twice SCIMLogBodyLimit leaves room for IdPs that send many
	// attributes.
	SAMLLogResponseLimit  = 16 << 10
	SAMLLogChecksLimit    = 8 << 10 // Checks
	SAMLLogNameIDLimit    = 1024    // NameID, as ValidateExternUID allows
	SAMLLogUserAgentLimit = 512     // UserAgent
	SAMLLogFieldLimit     = 256     // RequestID, ClientIP
	SAMLLogTokenLimit     = 64      // Outcome, ReferenceID
)

// SAMLLogEntry is one entry of a group's SAML log: a SAML response that
// reached the group's ACS and what became of it, kept so that the group's
// owners can see why a sign-in failed (behaviour.md decisions 16 and 17).
// The failure page shows the entry's ReferenceID, which the owner looks up.
// The log keeps the newest entries of each group.
//
// Nothing secret is ever in an entry: the response is decoded XML with its
// signatures trimmed, and an encrypted assertion stays encrypted.
type SAMLLogEntry struct {
	ID      int64
	GroupID int64
	At      time.Time // when the response arrived
	// Outcome says what became of the response (signed_in, link_required,
	// refused, …): lowercase letters, digits and _, starting with a letter.
	Outcome string
	// ReferenceID is shown on the failure page; it is unique within the
	// group: 1 to SAMLLogTokenLimit ASCII letters, digits, - and _.
	ReferenceID string
	NameID      string // the NameID the response carried, verified or not
	RequestID   string // the AuthnRequest it answered (InResponseTo); empty when IdP-initiated
	// Response is the decoded response with its signatures trimmed, at most
	// SAMLLogResponseLimit bytes; a longer one is cut and ends with a marker
	// saying how much was dropped.
	Response string
	// Checks is the verdict of each check, a JSON document; nil for none.
	Checks    json.RawMessage
	ClientIP  string // the client's address as the server saw it
	UserAgent string
}

// Validate reports the first rule the entry breaks. Every text field must
// be valid UTF-8 without NUL characters and within its limit, and Checks
// JSON that both databases store alike.
func (e *SAMLLogEntry) Validate() error {
	if e.GroupID <= 0 {
		return Errorf(Invalid, "SAML log entry needs a group")
	}
	if !isToken(e.Outcome, SAMLLogTokenLimit) {
		return Errorf(Invalid, "SAML log outcome %q must be lowercase letters, digits and _ (at most %d bytes)", e.Outcome, SAMLLogTokenLimit)
	}
	if !ValidSAMLLogReference(e.ReferenceID) {
		return Errorf(Invalid, "SAML log reference id %q must be 1 to %d ASCII letters, digits, - and _", e.ReferenceID, SAMLLogTokenLimit)
	}
	if err := checkTextFields("SAML log", []textField{
		{"NameID", e.NameID, SAMLLogNameIDLimit},
		{"request id", e.RequestID, SAMLLogFieldLimit},
		{"response", e.Response, SAMLLogResponseLimit},
		{"client IP", e.ClientIP, SAMLLogFieldLimit},
		{"user agent", e.UserAgent, SAMLLogUserAgentLimit},
	}); err != nil {
		return err
	}
	if len(e.Checks) > SAMLLogChecksLimit {
		return Errorf(Invalid, "SAML log checks are larger than %d bytes", SAMLLogChecksLimit)
	}
	if len(e.Checks) > 0 && !jsonText(e.Checks) {
		return Errorf(Invalid, "SAML log checks are not valid JSON text")
	}
	return nil
}

// Clamp makes the fields of e that come from outside (the NameID, the
// request id, the response, the client's address and user agent)
// acceptable to Validate: invalid UTF-8 and NUL characters become U+FFFD,
// and a value past its limit is cut at a character boundary, the response
// with the truncation marker of ClampSCIMLogBody. Outcome, ReferenceID and
// Checks are the server's own and are left alone.
func (e *SAMLLogEntry) Clamp() {
	e.NameID = clampText(e.NameID, SAMLLogNameIDLimit)
	e.RequestID = clampText(e.RequestID, SAMLLogFieldLimit)
	e.Response = clampBody(e.Response, 0, SAMLLogResponseLimit)
	e.ClientIP = clampText(e.ClientIP, SAMLLogFieldLimit)
	e.UserAgent = clampText(e.UserAgent, SAMLLogUserAgentLimit)
}

// ValidSAMLLogReference reports whether s has the form of a SAML log
// reference id, so that a lookup of anything else needs no query.
func ValidSAMLLogReference(s string) bool {
	if s == "" || len(s) > SAMLLogTokenLimit {
		return false
	}
	for i := range len(s) {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return true
}
