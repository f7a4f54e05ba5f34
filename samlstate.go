package gatehouse

import (
	"crypto/sha256"
	"encoding/json"
	"encoding/pem"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SAML sign-in keeps its state on the server, in the database, so that a
// flow started on one node finishes on any other and survives a restart
// (security.md §5.7, §5.9): the instance's key pair, the AuthnRequests it
// issued, the assertions it accepted (the replay cache), the one-time flows
// that carry a verified response across the redirect to the continue URL,
// and the browser sessions. Every secret the browser holds (a session
// cookie, a continue token, a nonce cookie) is stored only as its SHA-256.

// The most bytes the text fields of the SAML sign-in state hold.
const (
	SAMLIDLimit         = 256     // an AuthnRequest or assertion ID
	SAMLRelayStateLimit = 2048    // a RelayState
	SAMLFlowDetailLimit = 8 << 10 // a flow's Detail
	InstanceKeyPEMLimit = 64 << 10
)

// SAMLSPKeyName is the name of the SAML service provider's key pair, the
// InstanceKey used for metadata, signed AuthnRequests and encrypted
// assertions.
const SAMLSPKeyName = "saml_sp"

// InstanceKey is a key pair of the instance itself (behaviour.md decision
// 37): one per name, generated once on first start and then the same on
// every node. The caller generates it and, when a --secret-key-file is
// given, seals the private key with that key: Encrypted says PrivateKeyPEM
// holds the sealed PEM, opaque to the store, which keeps the bytes as given.
// CertificatePEM is public (it is in the metadata) and never sealed.
type InstanceKey struct {
	Name           string // what the key is for, such as SAMLSPKeyName
	PrivateKeyPEM  []byte
	CertificatePEM []byte
	Encrypted      bool
	CreatedAt      time.Time
}

// Validate reports the first rule the key breaks. The name is lowercase
// letters, digits and underscores, starting with a letter, at most 64 bytes.
// The certificate is a PEM CERTIFICATE block; the private key, unless
// Encrypted, a PEM block of a private key. Neither is parsed further.
func (k *InstanceKey) Validate() error {
	if !isToken(k.Name, 64) {
		return Errorf(Invalid, "instance key name %q must be lowercase letters, digits and _ (at most 64 bytes)", k.Name)
	}
	if len(k.PrivateKeyPEM) == 0 || len(k.PrivateKeyPEM) > InstanceKeyPEMLimit {
		return Errorf(Invalid, "instance key %s needs a private key of at most %d bytes", k.Name, InstanceKeyPEMLimit)
	}
	if !k.Encrypted {
		if b, _ := pem.Decode(k.PrivateKeyPEM); b == nil || !strings.HasSuffix(b.Type, "PRIVATE KEY") {
			return Errorf(Invalid, "instance key %s: the private key is not a PEM private key (set Encrypted for a sealed one)", k.Name)
		}
	}
	if len(k.CertificatePEM) > InstanceKeyPEMLimit {
		return Errorf(Invalid, "instance key %s: the certificate is longer than %d bytes", k.Name, InstanceKeyPEMLimit)
	}
	if b, _ := pem.Decode(k.CertificatePEM); b == nil || b.Type != "CERTIFICATE" {
		return Errorf(Invalid, "instance key %s: the certificate is not a PEM certificate", k.Name)
	}
	return nil
}

// SAMLRequest is an AuthnRequest the instance sent to a group's IdP,
// remembered until the response answers it (decision 34, security.md §1.12):
// the response's InResponseTo must name a request of the same group, unused
// and unexpired, and the flow must come back to the browser that started it.
type SAMLRequest struct {
	ID         string // the AuthnRequest's ID, which the response's InResponseTo names
	GroupID    int64
	RelayState string // where the browser goes after sign-in, as the flow started it
	// BrowserHash is the SHA-256 of a per-browser nonce cookie: it binds the
	// flow to the browser that started it.
	BrowserHash []byte
	// SessionID is the signed-in session that started the flow, 0 for none.
	// Linking an account happens only in a flow that the account's own
	// signed-in session started (decision 19).
	SessionID int64
	// Verify marks a test of the group's configuration that an owner
	// started ("Verify SAML configuration"): its response signs nobody in
	// and links nothing; the continue step shows the owner what was
	// checked. A verify request always names its session.
	Verify    bool
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until a response consumed it
}

// Expired reports whether the request has expired at now: a request that
// expires exactly at now has.
func (r *SAMLRequest) Expired(now time.Time) bool { return !now.Before(r.ExpiresAt) }

// Validate reports the first rule the request breaks.
func (r *SAMLRequest) Validate() error {
	if r.GroupID <= 0 {
		return Errorf(Invalid, "SAML request needs a group")
	}
	if err := ValidateSAMLID("request", r.ID); err != nil {
		return err
	}
	if err := checkRelayState(r.RelayState); err != nil {
		return err
	}
	if len(r.BrowserHash) != sha256.Size {
		return Errorf(Invalid, "SAML request browser hash must be a SHA-256")
	}
	if r.SessionID < 0 {
		return Errorf(Invalid, "SAML request session %d is not a session id", r.SessionID)
	}
	if r.Verify && r.SessionID == 0 {
		return Errorf(Invalid, "a SAML verify request needs the session of the owner who started it")
	}
	if r.ExpiresAt.IsZero() {
		return Errorf(Invalid, "SAML request needs an expiry")
	}
	return nil
}

// ValidateSAMLID checks an AuthnRequest or assertion ID; what names it in
// the message ("request", "assertion"). IDs are 1 to SAMLIDLimit bytes of
// UTF-8 text without control characters. xs:ID allows less, but the IDs of
// some IdPs break it, and nothing here depends on more.
func ValidateSAMLID(what, id string) error {
	if id == "" || len(id) > SAMLIDLimit {
		return Errorf(Invalid, "SAML %s ID must be 1 to %d bytes", what, SAMLIDLimit)
	}
	if !utf8.ValidString(id) || strings.ContainsFunc(id, unicode.IsControl) {
		return Errorf(Invalid, "SAML %s ID must be text without control characters", what)
	}
	return nil
}

func checkRelayState(s string) error {
	if len(s) > SAMLRelayStateLimit || !validText(s) {
		return Errorf(Invalid, "RelayState must be valid UTF-8 text of at most %d bytes", SAMLRelayStateLimit)
	}
	return nil
}

// Session is a signed-in browser session. The browser holds a random token
// in a cookie; only its SHA-256 is stored, so the database never holds a
// usable cookie.
type Session struct {
	ID         int64
	Hash       []byte // SHA-256 of the cookie's token
	UserID     int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	// PasswordAt is when the user last signed in with the password in this
	// session; zero for a session that only SSO signed in. Linking needs it
	// (decision 19).
	PasswordAt time.Time
}

// Expired reports whether the session has expired at now: a session that
// expires exactly at now has.
func (s *Session) Expired(now time.Time) bool { return !now.Before(s.ExpiresAt) }

// Validate reports the first rule the session breaks.
func (s *Session) Validate() error {
	if s.UserID <= 0 {
		return Errorf(Invalid, "session needs a user")
	}
	if len(s.Hash) != sha256.Size {
		return Errorf(Invalid, "session hash must be a SHA-256")
	}
	if s.ExpiresAt.IsZero() {
		return Errorf(Invalid, "session needs an expiry")
	}
	return nil
}

// SessionSSO records that a session last signed in through a group's SSO at
// At: how fresh the session's SSO is for that group (enforced SSO asks for
// it again when it is too old), and which sessions deprovisioning ends
// (decision 10).
type SessionSSO struct {
	SessionID int64
	GroupID   int64
	At        time.Time
}

// Validate reports the first rule the record breaks.
func (s *SessionSSO) Validate() error {
	if s.SessionID <= 0 || s.GroupID <= 0 {
		return Errorf(Invalid, "session SSO record needs a session and a group")
	}
	if s.At.IsZero() {
		return Errorf(Invalid, "session SSO record needs a time")
	}
	return nil
}

// SAMLFlowKind says what a SAMLFlow finishes.
type SAMLFlowKind string

// The flow kinds.
const (
	// SAMLFlowSignIn signs UserID in: the NameID belongs to a known identity.
	SAMLFlowSignIn SAMLFlowKind = "sign_in"
	// SAMLFlowLink links the signed-in personal account UserID to the NameID
	// (decision 19).
	SAMLFlowLink SAMLFlowKind = "link"
	// SAMLFlowCreate creates a managed account for the NameID on its first
	// sign-in; there is no user yet.
	SAMLFlowCreate SAMLFlowKind = "create"
	// SAMLFlowVerify shows UserID, the owner who started a verify request,
	// what the response's checks found; it signs nobody in.
	SAMLFlowVerify SAMLFlowKind = "verify"
)

// SAMLFlow carries a verified SAML response across the redirect from the ACS
// to the continue URL (decision 38): the ACS, reached by a cross-site POST
// without the session cookie, stores what it verified and answers 303 to a
// same-origin URL holding a one-time continue token; the continue step,
// which has the cookies, consumes the flow and finishes. Only the token's
// SHA-256 is stored.
type SAMLFlow struct {
	Hash      []byte // SHA-256 of the one-time continue token
	GroupID   int64
	Kind      SAMLFlowKind
	UserID    int64  // the user to sign in or link; 0 for SAMLFlowCreate
	ExternUID string // the verified NameID
	RequestID string // the AuthnRequest the response answered; empty when IdP-initiated
	// BrowserHash is the SHA-256 of the browser's nonce cookie the flow is
	// bound to; nil for none.
	BrowserHash []byte
	RelayState  string
	// Detail holds what the next step needs of the assertion (the
	// attributes an account is created from, say), a small JSON object; nil
	// for none.
	Detail    json.RawMessage
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time // zero until consumed
}

// Expired reports whether the flow has expired at now: a flow that expires
// exactly at now has.
func (f *SAMLFlow) Expired(now time.Time) bool { return !now.Before(f.ExpiresAt) }

// Validate reports the first rule the flow breaks. A sign-in or link flow
// names its user; a create flow names none.
func (f *SAMLFlow) Validate() error {
	if len(f.Hash) != sha256.Size {
		return Errorf(Invalid, "SAML flow hash must be a SHA-256")
	}
	if f.GroupID <= 0 {
		return Errorf(Invalid, "SAML flow needs a group")
	}
	switch f.Kind {
	case SAMLFlowSignIn, SAMLFlowLink, SAMLFlowVerify:
		if f.UserID <= 0 {
			return Errorf(Invalid, "SAML %s flow needs a user", f.Kind)
		}
	case SAMLFlowCreate:
		if f.UserID != 0 {
			return Errorf(Invalid, "SAML create flow cannot name a user")
		}
	default:
		return Errorf(Invalid, "SAML flow kind %q is not sign_in, link, create or verify", f.Kind)
	}
	if err := ValidateExternUID(f.ExternUID); err != nil {
		return err
	}
	if !validText(f.ExternUID) {
		return Errorf(Invalid, "extern_uid must not hold NUL characters")
	}
	if f.RequestID != "" {
		if err := ValidateSAMLID("request", f.RequestID); err != nil {
			return err
		}
	}
	if len(f.BrowserHash) != 0 && len(f.BrowserHash) != sha256.Size {
		return Errorf(Invalid, "SAML flow browser hash must be a SHA-256 or nothing")
	}
	if err := checkRelayState(f.RelayState); err != nil {
		return err
	}
	if len(f.Detail) > SAMLFlowDetailLimit {
		return Errorf(Invalid, "SAML flow detail is larger than %d bytes", SAMLFlowDetailLimit)
	}
	if len(f.Detail) > 0 && !jsonText(f.Detail) {
		return Errorf(Invalid, "SAML flow detail is not valid JSON text")
	}
	if f.ExpiresAt.IsZero() {
		return Errorf(Invalid, "SAML flow needs an expiry")
	}
	return nil
}

// isToken reports whether s is 1 to limit bytes of lowercase ASCII letters,
// digits and underscores, starting with a letter.
func isToken(s string, limit int) bool {
	if s == "" || len(s) > limit || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// jsonText reports whether b is a JSON document that every store keeps
// alike: valid JSON in valid UTF-8 without the escapes PostgreSQL's jsonb
// refuses, \u0000 and a surrogate that is not half of a pair.
func jsonText(b []byte) bool {
	if !json.Valid(b) || !utf8.Valid(b) {
		return false
	}
	// In valid JSON a backslash only starts an escape inside a string, and
	// every escape is complete.
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++
		if b[i] != 'u' {
			continue
		}
		r := hex4(b[i+1 : i+5])
		i += 4
		switch {
		case r == 0, r >= 0xDC00 && r <= 0xDFFF:
			return false
		case r >= 0xD800 && r <= 0xDBFF:
			if i+6 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
				return false
			}
			if lo := hex4(b[i+3 : i+7]); lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 decodes the four hex digits of a \u escape that json.Valid accepted.
func hex4(b []byte) rune {
	n, _ := strconv.ParseUint(string(b), 16, 16)
	return rune(n)
}
