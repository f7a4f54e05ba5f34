package gatehouse

import (
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Clock skew bounds for SAML validity windows.
const (
	DefaultClockSkew = 60 * time.Second
	MaxClockSkew     = 5 * time.Minute
)

// SAMLConfig is a group's identity-provider configuration. A group has at most
// one. The IdP is trusted through Certificates (PEM, several during a
// rotation) or through Fingerprints (hex SHA-256, or SHA-1 for GitLab parity).
type SAMLConfig struct {
	GroupID           int64
	Enabled           bool
	IdPEntityID       string
	SSOURL            string
	Certificates      []string // PEM-encoded X.509 certificates
	Fingerprints      []string // lowercase hex, no separators
	MetadataXML       string   // the last good IdP metadata, when configured from metadata
	MetadataURL       string   // where metadata is refreshed from, when configured by URL
	MetadataFetchedAt time.Time

	// MetadataRefreshError says why the last refresh of MetadataURL failed,
	// when one has failed since the last good fetch (the last good copy
	// stays in use meanwhile, decision 41): a one-line message for the
	// group's owners (ClampMetadataRefreshError makes one). Empty when no
	// refresh has failed since. A good refresh and a new configuration
	// clear it.
	MetadataRefreshError string
	// MetadataRefreshFailedAt is when that refresh failed; zero exactly
	// when MetadataRefreshError is empty.
	MetadataRefreshFailedAt time.Time

	EnforceSSO        bool
	AllowIdPInitiated bool
	CreateUsers       bool // first SSO of an unknown NameID may create a managed account
	ClockSkew         time.Duration
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// Validate reports the first rule the configuration breaks.
func (c *SAMLConfig) Validate() error {
	if c.GroupID <= 0 {
		return Errorf(Invalid, "SAML configuration needs a group")
	}
	if c.IdPEntityID == "" {
		return Errorf(Invalid, "the IdP entity ID (issuer) is required")
	}
	u, err := url.Parse(c.SSOURL)
	if err != nil || (u.Scheme != "https" && !LoopbackHTTP(u)) || u.Host == "" {
		return Errorf(Invalid, "SSO URL %q must be an https URL", c.SSOURL)
	}
	if len(c.Certificates) == 0 && len(c.Fingerprints) == 0 {
		return Errorf(Invalid, "at least one IdP certificate or fingerprint is required")
	}
	if c.ClockSkew < 0 || c.ClockSkew > MaxClockSkew {
		return Errorf(Invalid, "clock skew %s must be between 0s and %s", c.ClockSkew, MaxClockSkew)
	}
	return ValidateMetadataRefreshError(c.MetadataRefreshError, c.MetadataRefreshFailedAt)
}

// MetadataRefreshErrorLimit bounds SAMLConfig.MetadataRefreshError, in
// bytes.
const MetadataRefreshErrorLimit = 512

// ValidateMetadataRefreshError reports whether msg and at may be stored as
// a SAML configuration's MetadataRefreshError and MetadataRefreshFailedAt:
// both empty, or a message of valid UTF-8 without control characters, at
// most MetadataRefreshErrorLimit bytes, with its time.
func ValidateMetadataRefreshError(msg string, at time.Time) error {
	if (msg == "") != at.IsZero() {
		return Errorf(Invalid, "a failed metadata refresh needs both its message and its time")
	}
	if len(msg) > MetadataRefreshErrorLimit {
		return Errorf(Invalid, "the metadata refresh error is longer than %d bytes", MetadataRefreshErrorLimit)
	}
	if !validText(msg) || strings.ContainsFunc(msg, unicode.IsControl) {
		return Errorf(Invalid, "the metadata refresh error must be one line of UTF-8 text without control characters")
	}
	return nil
}

// ClampMetadataRefreshError makes msg, which may quote a remote server,
// acceptable to ValidateMetadataRefreshError: invalid UTF-8 becomes U+FFFD,
// control characters (line breaks, terminal escapes) become spaces, and a
// message past MetadataRefreshErrorLimit is cut at a character boundary and
// ends with "…". An empty msg becomes "unknown error", since a failure
// needs a message.
func ClampMetadataRefreshError(msg string) string {
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, cleanText(msg))
	if msg = strings.TrimSpace(msg); msg == "" {
		return "unknown error"
	}
	if len(msg) <= MetadataRefreshErrorLimit {
		return msg
	}
	const more = "…"
	return msg[:cutText(msg, MetadataRefreshErrorLimit-len(more))] + more
}
