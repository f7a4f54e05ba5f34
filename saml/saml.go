package saml

import (
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	crewjam "github.com/crewjam/saml"
)

// Limits. A response over any of them is refused before its signature is
// looked at.
const (
	// MaxResponseSize is the longest SAMLResponse form value ParseResponse
	// reads, in bytes of base64 (line breaks included).
	MaxResponseSize = 1 << 20
	// MaxXMLSize is the longest decoded response, in bytes.
	MaxXMLSize = 512 << 10
	// MaxDepth is the deepest nesting of elements; a SAML response needs
	// about ten.
	MaxDepth = 32
	// MaxTokens is the most XML tokens (start and end tags, text runs,
	// comments) a response may have.
	MaxTokens = 50000
	// MaxAttrs is the most attributes, namespace declarations included,
	// one element may carry.
	MaxAttrs = 64
	// MaxNamespaces is the most namespace declarations in scope at any
	// element (each costs canonicalization time for every element below).
	MaxNamespaces = 64
	// MaxNameIDSize is the longest NameID, in bytes: the longest extern_uid
	// Gatehouse stores.
	MaxNameIDSize = 1024
	// MaxIDSize is the longest assertion ID, in bytes (the replay cache key).
	MaxIDSize = 256
	// MaxMetadataSize is the longest IdP metadata document ParseIdPMetadata
	// reads, in bytes.
	MaxMetadataSize = 1 << 20
	// MaxRelayState is the longest RelayState NewAuthnRequest sends, in
	// bytes (saml-bindings §3.4.3).
	MaxRelayState = 80
	// MaxVerdictXML is the most bytes of response XML a Verdict keeps.
	MaxVerdictXML = 64 << 10
)

// Time limits.
const (
	// DefaultClockSkew is the skew allowed when IdP.ClockSkew is zero.
	DefaultClockSkew = 60 * time.Second
	// MaxClockSkew is the largest skew a group may allow.
	MaxClockSkew = 5 * time.Minute
	// MaxAssertionAge is how long after its IssueInstant a response or
	// assertion is still accepted, whatever its NotOnOrAfter says. It is a
	// fixed cap: the group's skew does not widen it.
	MaxAssertionAge = 5 * time.Minute
)

// NameID formats.
const (
	NameIDUnspecified = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
	NameIDEmail       = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	NameIDPersistent  = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
	NameIDTransient   = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
)

// SP is this service provider as one group's IdP sees it.
type SP struct {
	EntityID string // {base}/groups/{path}
	// ACSURLs are the group's assertion consumer service URLs: by path
	// (canonical, first) and by numeric id. A response addressed to either
	// is accepted (decision 33).
	ACSURLs     []string
	Key         crypto.Signer // the instance key pair (RSA)
	Certificate *x509.Certificate
}

// IdP is the group's trusted identity provider.
type IdP struct {
	EntityID string
	SSOURL   string // HTTP-Redirect binding
	// Certificates are trusted for signatures; several at once during a
	// rotation.
	Certificates []*x509.Certificate
	// Fingerprints are lowercase hex SHA-256 (64 characters) or SHA-1 (40,
	// GitLab parity) fingerprints. A certificate in a signature's KeyInfo is
	// trusted when its fingerprint is one of them (decision 35); no other
	// KeyInfo certificate ever is.
	Fingerprints []string
	// AllowSHA1 accepts SHA-1 signature and digest methods, refused
	// otherwise.
	AllowSHA1         bool
	AllowIdPInitiated bool
	// ClockSkew is the leeway on every validity window; 0 means
	// DefaultClockSkew, and it may not exceed MaxClockSkew.
	ClockSkew time.Duration
}

// skew returns the group's clock skew, or an error if it is out of range.
func (idp IdP) skew() (time.Duration, *Error) {
	switch {
	case idp.ClockSkew == 0:
		return DefaultClockSkew, nil
	case idp.ClockSkew < 0 || idp.ClockSkew > MaxClockSkew:
		return 0, configError("the group's clock skew %s is outside 0s to %s", idp.ClockSkew, MaxClockSkew)
	}
	return idp.ClockSkew, nil
}

// Fingerprint returns the lowercase hex SHA-256 fingerprint of cert, or its
// SHA-1 fingerprint if sha1 is set: the form IdP.Fingerprints holds. It
// returns "" for a nil certificate.
func Fingerprint(cert *x509.Certificate, sha1 bool) string {
	if cert == nil {
		return ""
	}
	if sha1 {
		return fingerprintSHA1(cert.Raw)
	}
	return fingerprintSHA256(cert.Raw)
}

func fingerprintSHA256(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

func fingerprintSHA1(der []byte) string {
	sum := sha1.Sum(der)
	return hex.EncodeToString(sum[:])
}

// normalFingerprint returns fp in lowercase without separators, or "" if it
// is not 40 or 64 hex digits.
func normalFingerprint(fp string) string {
	fp = strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(fp))
	if len(fp) != 40 && len(fp) != 64 {
		return ""
	}
	if _, err := hex.DecodeString(fp); err != nil {
		return ""
	}
	return fp
}

// limitsOnce sets crewjam's global limits the first time this package is
// used (see the package documentation).
var limitsOnce sync.Once

func setLimits() {
	limitsOnce.Do(func() {
		crewjam.MaxClockSkew = MaxClockSkew
		crewjam.MaxIssueDelay = MaxAssertionAge
	})
}
