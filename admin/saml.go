package admin

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/samlfetch"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MetadataRefreshInterval is how old a group's fetched metadata may get
// before RefreshSAMLMetadata fetches it again (decision 41).
const MetadataRefreshInterval = 12 * time.Hour

// certExpiryWarning is how long before a trusted certificate expires
// ConfigureSAML and SAMLWarnings warn about it.
const certExpiryWarning = 30 * 24 * time.Hour

// metadataStaleAfter is how old a group's fetched metadata may get before
// SAMLWarnings says that refreshes are not succeeding: two refresh
// intervals, so that one missed refresh is not yet worth a warning.
const metadataStaleAfter = 2 * MetadataRefreshInterval

// PEMFile is a file's contents and the name it is called by in messages.
type PEMFile struct {
	Name string // such as the file's path
	Data []byte // one or more PEM CERTIFICATE blocks
}

// SAMLSettings is what ConfigureSAML needs. The IdP is given in exactly one
// of three ways: MetadataXML, MetadataURL, or SSOURL with Certificates or a
// Fingerprint (and then IdPEntityID).
type SAMLSettings struct {
	// MetadataXML is the IdP's metadata document, as uploaded.
	MetadataXML []byte
	// MetadataURL is where the IdP publishes its metadata: fetched now,
	// then refreshed every MetadataRefreshInterval.
	MetadataURL string
	// SSOURL is the IdP's single sign-on URL (https), for configuration
	// without metadata.
	SSOURL string
	// Certificates are the IdP's signing certificates; several during a
	// rotation.
	Certificates []PEMFile
	// Fingerprint trusts the certificate in a response's KeyInfo when its
	// fingerprint matches (decision 35): hex SHA-256, or SHA-1 with a
	// warning. Colons, spaces and letter case do not matter.
	Fingerprint string
	// IdPEntityID is the IdP's issuer: required without metadata; with
	// metadata it may be given only if it is the metadata's.
	IdPEntityID string

	// DefaultRole is the group's default membership role (a group
	// setting, decision 25); zero leaves it as it is.
	DefaultRole gatehouse.Role
	EnforceSSO  bool
	// ClockSkew is the leeway on validity windows; zero means
	// gatehouse.DefaultClockSkew, at most gatehouse.MaxClockSkew.
	ClockSkew time.Duration
	// AllowIdPInitiated accepts sign-ins the IdP starts. The command line
	// sets it unless told otherwise (decision 34).
	AllowIdPInitiated bool
	// CreateUsers lets the first SSO of an unknown NameID create a managed
	// account.
	CreateUsers bool
}

// metadataClient is the HTTP client metadata is fetched with.
func (s *Service) metadataClient() *http.Client {
	if s.MetadataClient != nil {
		return s.MetadataClient
	}
	return samlfetch.NewClient()
}

// ConfigureSAML sets the group's SAML configuration, replacing any it had,
// and, when in.DefaultRole is set, the group's default role, in one
// transaction with a "saml_configured" audit event. A metadata URL is
// fetched before anything is written. It returns the stored configuration
// and warnings for the caller to show (a SHA-1 fingerprint, a certificate
// that has expired or expires within 30 days). Errors: NotFound (group),
// Invalid (what to fix).
func (s *Service) ConfigureSAML(ctx context.Context, a Actor, groupRef string, in SAMLSettings) (*gatehouse.SAMLConfig, []string, error) {
	if err := checkSAMLSources(in); err != nil {
		return nil, nil, err
	}
	if in.DefaultRole != 0 && !in.DefaultRole.Valid() {
		return nil, nil, gatehouse.Errorf(gatehouse.Invalid, "default role %d is not one of guest, reporter, developer, maintainer, owner", in.DefaultRole)
	}
	if in.ClockSkew == 0 {
		in.ClockSkew = gatehouse.DefaultClockSkew
	}
	if in.ClockSkew < 0 || in.ClockSkew > gatehouse.MaxClockSkew {
		return nil, nil, gatehouse.Errorf(gatehouse.Invalid, "clock skew %s must be between 1s and %s", in.ClockSkew, gatehouse.MaxClockSkew)
	}
	// Look the group up first, so that a wrong group is not answered with
	// a fetch.
	if _, err := FindGroup(ctx, s.Store, groupRef); err != nil {
		return nil, nil, err
	}
	now := s.now()
	c := &gatehouse.SAMLConfig{
		Enabled:           true,
		EnforceSSO:        in.EnforceSSO,
		AllowIdPInitiated: in.AllowIdPInitiated,
		CreateUsers:       in.CreateUsers,
		ClockSkew:         in.ClockSkew,
	}
	var warnings []string
	source := "certificates"
	switch {
	case in.MetadataURL != "":
		source = "metadata_url"
		data, err := samlfetch.Fetch(ctx, s.metadataClient(), in.MetadataURL)
		if err != nil {
			return nil, nil, err
		}
		if err := applyMetadata(c, data, in.IdPEntityID, now); err != nil {
			return nil, nil, err
		}
		c.MetadataURL = in.MetadataURL
	case len(in.MetadataXML) > 0:
		source = "metadata"
		if err := applyMetadata(c, in.MetadataXML, in.IdPEntityID, now); err != nil {
			return nil, nil, err
		}
	default:
		if err := checkHTTPS("SSO URL", in.SSOURL); err != nil {
			return nil, nil, err
		}
		if strings.TrimSpace(in.IdPEntityID) == "" {
			return nil, nil, gatehouse.Errorf(gatehouse.Invalid, "the IdP entity ID (issuer) is required without metadata: copy it from the IdP (--idp-entity-id)")
		}
		c.IdPEntityID = strings.TrimSpace(in.IdPEntityID)
		c.SSOURL = in.SSOURL
		if in.Fingerprint != "" {
			source = "fingerprint"
			fp, warn, err := parseFingerprint(in.Fingerprint)
			if err != nil {
				return nil, nil, err
			}
			c.Fingerprints = []string{fp}
			if warn != "" {
				warnings = append(warnings, warn)
			}
		} else {
			for _, f := range in.Certificates {
				certs, err := parseCertificates(f)
				if err != nil {
					return nil, nil, err
				}
				for _, cert := range certs {
					c.Certificates = appendCert(c.Certificates, cert)
				}
			}
		}
	}
	warnings = append(warnings, certWarnings(c.Certificates, now)...)

	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		// A metadata refresh writes under the same lock, after checking
		// that the configuration it read is still there, so it never
		// overwrites this one.
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		c.GroupID = g.ID
		detail := map[string]any{
			"source":              source,
			"idp_entity_id":       c.IdPEntityID,
			"sso_url":             c.SSOURL,
			"certificates":        certFingerprints(c.Certificates),
			"fingerprints":        c.Fingerprints,
			"enforce_sso":         c.EnforceSSO,
			"allow_idp_initiated": c.AllowIdPInitiated,
			"create_users":        c.CreateUsers,
			"clock_skew_seconds":  int(c.ClockSkew / time.Second),
		}
		if c.MetadataURL != "" {
			detail["metadata_url"] = c.MetadataURL
		}
		if in.DefaultRole != 0 && in.DefaultRole != g.DefaultRole {
			detail["previous_default_role"] = g.DefaultRole.String()
			g.DefaultRole = in.DefaultRole
			if err := q.UpdateGroup(ctx, g); err != nil {
				return err
			}
		}
		detail["default_role"] = g.DefaultRole.String()
		if err := q.PutSAMLConfig(ctx, c); err != nil {
			return err
		}
		return s.audit(ctx, q, a, g.ID, "saml_configured", "saml_config", g.ID, detail)
	})
	if err != nil {
		return nil, nil, err
	}
	return c, warnings, nil
}

// FindSAMLConfig returns the group and its SAML configuration. NotFound
// when the group does not exist or has no configuration.
func (s *Service) FindSAMLConfig(ctx context.Context, groupRef string) (*gatehouse.Group, *gatehouse.SAMLConfig, error) {
	g, err := FindGroup(ctx, s.Store, groupRef)
	if err != nil {
		return nil, nil, err
	}
	c, err := s.Store.FindSAMLConfig(ctx, g.ID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return g, nil, gatehouse.Errorf(gatehouse.NotFound, "group %s has no SAML configuration; set one with saml configure", g.Path)
	}
	if err != nil {
		return nil, nil, err
	}
	return g, c, nil
}

// checkSAMLSources checks that the IdP is given in exactly one way.
func checkSAMLSources(in SAMLSettings) error {
	n := 0
	for _, given := range []bool{len(in.MetadataXML) > 0, in.MetadataURL != "", in.SSOURL != ""} {
		if given {
			n++
		}
	}
	switch {
	case n == 0:
		return gatehouse.Errorf(gatehouse.Invalid, "give the IdP's metadata (a file or a URL), or its SSO URL with its certificate or fingerprint")
	case n > 1:
		return gatehouse.Errorf(gatehouse.Invalid, "give the IdP in one way only: metadata file, metadata URL, or SSO URL with certificate or fingerprint")
	}
	trust := len(in.Certificates) > 0 || in.Fingerprint != ""
	switch {
	case in.SSOURL == "" && trust:
		return gatehouse.Errorf(gatehouse.Invalid, "certificates and fingerprints come from the metadata; give them only with an SSO URL")
	case in.SSOURL != "" && !trust:
		return gatehouse.Errorf(gatehouse.Invalid, "with an SSO URL, give the IdP's signing certificate or its fingerprint")
	case len(in.Certificates) > 0 && in.Fingerprint != "":
		return gatehouse.Errorf(gatehouse.Invalid, "give certificates or a fingerprint, not both")
	}
	return nil
}

// applyMetadata fills c from an IdP metadata document.
func applyMetadata(c *gatehouse.SAMLConfig, data []byte, entityID string, now time.Time) error {
	idp, err := parseMetadata(data, now)
	if err != nil {
		return err
	}
	if entityID = strings.TrimSpace(entityID); entityID != "" && entityID != idp.EntityID {
		return gatehouse.Errorf(gatehouse.Invalid, "the IdP entity ID %q differs from the metadata's %q; leave it out to use the metadata's", entityID, idp.EntityID)
	}
	c.IdPEntityID = idp.EntityID
	c.SSOURL = idp.SSOURL
	c.Certificates = nil
	for _, cert := range idp.Certificates {
		c.Certificates = appendCert(c.Certificates, cert)
	}
	c.MetadataXML = string(data)
	c.MetadataFetchedAt = now
	return nil
}

// parseMetadata is saml.ParseIdPMetadata with its refusal as Invalid.
func parseMetadata(data []byte, now time.Time) (saml.IdP, error) {
	idp, err := saml.ParseIdPMetadata(data, now)
	var se *saml.Error
	if errors.As(err, &se) {
		return saml.IdP{}, gatehouse.Errorf(gatehouse.Invalid, "IdP metadata: %s", se.Public)
	}
	return idp, err
}

func checkHTTPS(what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return gatehouse.Errorf(gatehouse.Invalid, "%s %q must be an https URL, such as https://idp.example.com/sso", what, raw)
	}
	return nil
}

// parseFingerprint normalises a fingerprint to lowercase hex without
// separators; a SHA-1 one comes with a warning.
func parseFingerprint(fp string) (string, string, error) {
	norm := strings.ToLower(strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(fp)))
	if _, err := hex.DecodeString(norm); err != nil || len(norm) != 64 && len(norm) != 40 {
		return "", "", gatehouse.Errorf(gatehouse.Invalid,
			"fingerprint %q is not a SHA-256 fingerprint (64 hex digits, colons allowed) or a SHA-1 one (40)", fp)
	}
	if len(norm) == 40 {
		return norm, "the fingerprint is SHA-1, which is weak: prefer the certificate itself or its SHA-256 fingerprint", nil
	}
	return norm, "", nil
}

// parseCertificates reads every CERTIFICATE block of f; at least one, and
// each an RSA certificate.
func parseCertificates(f PEMFile) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := f.Data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return nil, gatehouse.Errorf(gatehouse.Invalid, "certificate %s holds a %q PEM block; give the IdP's signing certificate (BEGIN CERTIFICATE)", f.Name, b.Type)
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, gatehouse.Errorf(gatehouse.Invalid, "certificate %s does not parse: %v", f.Name, err)
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			return nil, gatehouse.Errorf(gatehouse.Invalid, "certificate %s has a %s key; Gatehouse verifies RSA signatures only", f.Name, cert.PublicKeyAlgorithm)
		}
		certs = append(certs, cert)
	}
	if len(certs) == 0 {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "certificate %s holds no PEM certificate (-----BEGIN CERTIFICATE-----)", f.Name)
	}
	return certs, nil
}

// appendCert appends cert in PEM unless list holds it already.
func appendCert(list []string, cert *x509.Certificate) []string {
	p := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}))
	if slices.Contains(list, p) {
		return list
	}
	return append(list, p)
}

// decodeCerts parses stored PEM certificates, skipping any that do not
// parse (ConfigureSAML stores only ones that do), for display.
func decodeCerts(list []string) []*x509.Certificate {
	certs, _ := TrustedCertificates(list)
	return certs
}

// TrustedCertificates parses a configuration's stored certificates (PEM,
// each holding one or more CERTIFICATE blocks), the ones sign-in verifies
// against. It returns those that parse, and an error naming the first that
// does not.
func TrustedCertificates(list []string) ([]*x509.Certificate, error) {
	var out []*x509.Certificate
	var first error
	for i, p := range list {
		found := false
		for rest := []byte(p); ; {
			var b *pem.Block
			if b, rest = pem.Decode(rest); b == nil {
				break
			}
			if b.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(b.Bytes)
			if err != nil {
				if first == nil {
					first = fmt.Errorf("IdP certificate %d does not parse: %w", i+1, err)
				}
				continue
			}
			out, found = append(out, c), true
		}
		if !found && first == nil {
			first = fmt.Errorf("IdP certificate %d is not a PEM certificate", i+1)
		}
	}
	return out, first
}

func certFingerprints(list []string) []string {
	out := []string{}
	for _, c := range decodeCerts(list) {
		out = append(out, saml.Fingerprint(c, false))
	}
	return out
}

// certWarnings warns about certificates that have expired or expire soon.
func certWarnings(list []string, now time.Time) []string {
	var out []string
	for _, c := range decodeCerts(list) {
		switch {
		case !now.Before(c.NotAfter):
			out = append(out, fmt.Sprintf("certificate %s (SHA-256 %s) expired at %s: signatures still verify, but replace it in the IdP",
				c.Subject.CommonName, saml.Fingerprint(c, false), c.NotAfter.UTC().Format(time.RFC3339)))
		case c.NotAfter.Sub(now) < certExpiryWarning:
			out = append(out, fmt.Sprintf("certificate %s (SHA-256 %s) expires at %s: plan its rotation",
				c.Subject.CommonName, saml.Fingerprint(c, false), c.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	return out
}

// SAMLServiceProvider is what a group owner copies into the IdP
// (behaviour.md decision 33), and where sign-in takes responses.
type SAMLServiceProvider struct {
	EntityID    string // {base}/groups/{path}
	ACSURL      string // {base}/groups/{path}/-/saml/callback
	SSOURL      string // {base}/groups/{path}/-/saml/sso
	MetadataURL string // {base}/groups/{path}/-/saml/metadata
	// ACSURLByID is the ACS by the group's numeric id, accepted too.
	ACSURLByID string // {base}/groups/{id}/-/saml/callback
}

// ServiceProvider returns the group's SP values under the server's public
// base URL (without a trailing slash).
func ServiceProvider(baseURL string, g *gatehouse.Group) SAMLServiceProvider {
	groups := strings.TrimRight(baseURL, "/") + "/groups/"
	root := groups + g.Path
	return SAMLServiceProvider{
		EntityID:    root,
		ACSURL:      root + "/-/saml/callback",
		SSOURL:      root + "/-/saml/sso",
		MetadataURL: root + "/-/saml/metadata",
		ACSURLByID:  groups + strconv.FormatInt(g.ID, 10) + "/-/saml/callback",
	}
}

// SAMLCertificate describes a trusted certificate, for display.
type SAMLCertificate struct {
	SHA256   string
	Subject  string
	NotAfter time.Time
	Expired  bool
}

// SAMLCertificates describes the configuration's trusted certificates at
// now.
func SAMLCertificates(c *gatehouse.SAMLConfig, now time.Time) []SAMLCertificate {
	var out []SAMLCertificate
	for _, cert := range decodeCerts(c.Certificates) {
		out = append(out, SAMLCertificate{
			SHA256:   saml.Fingerprint(cert, false),
			Subject:  cert.Subject.String(),
			NotAfter: cert.NotAfter.UTC(),
			Expired:  !now.Before(cert.NotAfter),
		})
	}
	return out
}

// MetadataRefreshFailure returns why and when the configuration's last
// metadata refresh failed, while the last good copy stays in use; "" when
// it did not fail. A failure recorded before the last good fetch is
// ignored: an older release, during a rolling upgrade, stores good copies
// and configurations without clearing it.
func MetadataRefreshFailure(c *gatehouse.SAMLConfig) (msg string, at time.Time) {
	if c.MetadataURL == "" || c.MetadataRefreshError == "" || c.MetadataRefreshFailedAt.Before(c.MetadataFetchedAt) {
		return "", time.Time{}
	}
	return c.MetadataRefreshError, c.MetadataRefreshFailedAt
}

// SAMLWarnings says in plain language what the group's owners should act
// on in the configuration at now: the last metadata refresh failed, the
// metadata has not been refreshed for more than two refresh intervals, a
// trusted certificate has expired or expires within 30 days. saml show and
// the settings page show them as they are; none is a reason to refuse
// sign-ins.
func SAMLWarnings(c *gatehouse.SAMLConfig, now time.Time) []string {
	var out []string
	if msg, at := MetadataRefreshFailure(c); msg != "" {
		out = append(out, fmt.Sprintf("the last metadata refresh failed at %s: %s; the last good copy from %s stays in use",
			at.UTC().Format(time.RFC3339), msg, c.MetadataFetchedAt.UTC().Format(time.RFC3339)))
	}
	if c.MetadataURL != "" && !c.MetadataFetchedAt.IsZero() && now.Sub(c.MetadataFetchedAt) > metadataStaleAfter {
		out = append(out, fmt.Sprintf("the IdP metadata was last fetched at %s, more than %d hours ago: refreshes from %s are not succeeding; check that gatehouse serve is running and can reach it",
			c.MetadataFetchedAt.UTC().Format(time.RFC3339), int(metadataStaleAfter.Hours()), c.MetadataURL))
	}
	return append(out, certWarnings(c.Certificates, now)...)
}
