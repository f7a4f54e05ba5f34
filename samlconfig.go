package gatehouse

import (
	"net/url"
	"time"
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
	return nil
}
