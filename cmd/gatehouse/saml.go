package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/store"
)

// fileList is a flag that may be given several times.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

// maxInputFile bounds the files saml configure reads.
const maxInputFile = 1 << 20

func readInput(flagName, path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err == nil && st.Size() > maxInputFile {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "--%s %s is larger than %d bytes", flagName, path, maxInputFile)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "--%s: %v", flagName, err)
	}
	return b, nil
}

func runSAMLConfigure(ctx context.Context, c *cli) error {
	fs := c.newFlags("saml configure", "--group P (--metadata-file F | --metadata-url URL | --sso-url URL (--cert-file F | --fingerprint HEX) [--idp-entity-id ID]) [--default-role R] [--enforce-sso] [--clock-skew 60s] [--allow-idp-initiated=false] [--create-users] [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	metadataFile := fs.String("metadata-file", "", "the IdP's SAML metadata XML file")
	metadataURL := fs.String("metadata-url", "", "https URL of the IdP's metadata: fetched now and every 12 hours by serve")
	ssoURL := fs.String("sso-url", "", "the IdP's single sign-on URL (https), without metadata")
	var certFiles fileList
	fs.Var(&certFiles, "cert-file", "PEM file of the IdP's signing certificate, with --sso-url (give it twice during a rotation)")
	fingerprint := fs.String("fingerprint", "", "SHA-256 fingerprint (hex, colons allowed) of the IdP's signing certificate, with --sso-url; SHA-1 accepted with a warning")
	entityID := fs.String("idp-entity-id", "", "the IdP's entity ID (issuer); required with --sso-url")
	roleName := fs.String("default-role", "", "role of members added by SCIM or SSO: guest, reporter, developer, maintainer or owner (default: unchanged; new groups have guest)")
	enforce := fs.Bool("enforce-sso", false, "only people with a linked SAML identity in the group can be added as members")
	skew := fs.Duration("clock-skew", gatehouse.DefaultClockSkew, "leeway on the assertions' validity windows, at most 5m")
	idpInitiated := fs.Bool("allow-idp-initiated", true, "accept sign-ins started from the IdP's dashboard")
	createUsers := fs.Bool("create-users", false, "let the first SSO of an unknown person create a managed account")
	asJSON := fs.Bool("json", false, "print the stored configuration as JSON")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	sources := 0
	for _, v := range []string{*metadataFile, *metadataURL, *ssoURL} {
		if v != "" {
			sources++
		}
	}
	switch {
	case sources == 0:
		return usagef("saml configure needs --metadata-file, --metadata-url or --sso-url")
	case sources > 1:
		return usagef("give one of --metadata-file, --metadata-url and --sso-url")
	case *ssoURL == "" && (len(certFiles) > 0 || *fingerprint != ""):
		return usagef("--cert-file and --fingerprint go with --sso-url; metadata carries its certificates")
	case *ssoURL != "" && len(certFiles) == 0 && *fingerprint == "":
		return usagef("--sso-url needs --cert-file or --fingerprint")
	case len(certFiles) > 0 && *fingerprint != "":
		return usagef("give --cert-file or --fingerprint, not both")
	case *ssoURL != "" && *entityID == "":
		return usagef("--sso-url needs --idp-entity-id (the IdP's issuer)")
	}
	in := admin.SAMLSettings{
		MetadataURL:       *metadataURL,
		SSOURL:            *ssoURL,
		Fingerprint:       *fingerprint,
		IdPEntityID:       *entityID,
		EnforceSSO:        *enforce,
		ClockSkew:         *skew,
		AllowIdPInitiated: *idpInitiated,
		CreateUsers:       *createUsers,
	}
	if *skew <= 0 {
		return usagef("--clock-skew %s must be positive, at most %s", *skew, gatehouse.MaxClockSkew)
	}
	if *roleName != "" {
		role, err := gatehouse.ParseRole(*roleName)
		if err != nil {
			return usagef("--default-role: %s", gatehouse.ErrorMessage(err))
		}
		in.DefaultRole = role
	}
	if *metadataFile != "" {
		b, err := readInput("metadata-file", *metadataFile)
		if err != nil {
			return err
		}
		if len(b) == 0 {
			return gatehouse.Errorf(gatehouse.Invalid, "--metadata-file %s is empty", *metadataFile)
		}
		in.MetadataXML = b
	}
	for _, f := range certFiles {
		b, err := readInput("cert-file", f)
		if err != nil {
			return err
		}
		in.Certificates = append(in.Certificates, admin.PEMFile{Name: f, Data: b})
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		svc := &admin.Service{Store: s}
		cfg, warnings, err := svc.ConfigureSAML(ctx, admin.System, *group, in)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			fmt.Fprintf(c.stderr, "gatehouse: warning: %s\n", w)
		}
		g, err := admin.FindGroup(ctx, s, *group)
		if err != nil {
			return err
		}
		if *asJSON {
			obj := samlJSON(g, cfg, time.Now())
			obj["warnings"] = append([]string{}, warnings...)
			return c.printResult(true, "", obj)
		}
		fmt.Fprintf(c.stderr, "SAML configured for %s (IdP %s); run \"gatehouse saml show --group %s\" for the values to enter in the IdP\n", g.Path, cfg.IdPEntityID, g.Path)
		return nil
	})
}

func runSAMLShow(ctx context.Context, c *cli) error {
	fs := c.newFlags("saml show", "--group P [--base-url URL] [--json]")
	db := dbFlag(fs)
	group := fs.String("group", "", "group path or id")
	addr := fs.String("addr", "127.0.0.1:8080", "the server's listen address, for the default base URL (env GATEHOUSE_ADDR)")
	baseURL := fs.String("base-url", "", "the server's public URL, as serve's --base-url (default http://ADDR; env GATEHOUSE_BASE_URL)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if err := c.parse(fs); err != nil {
		return err
	}
	if err := require(fs, "group"); err != nil {
		return err
	}
	base := *baseURL
	if base == "" {
		base = server.DefaultBaseURL(*addr)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return usagef("--base-url %q must be an http:// or https:// URL with a host, no query", base)
	}
	base = strings.TrimRight(base, "/")
	return c.withStore(ctx, *db, func(s store.Store) error {
		g, cfg, err := (&admin.Service{Store: s}).FindSAMLConfig(ctx, *group)
		if err != nil {
			return err
		}
		now := time.Now()
		sp := admin.ServiceProvider(base, g)
		warnings := admin.SAMLWarnings(cfg, now)
		for _, w := range warnings {
			fmt.Fprintf(c.stderr, "gatehouse: warning: %s\n", w)
		}
		if *asJSON {
			obj := samlJSON(g, cfg, now)
			obj["sp"] = map[string]any{
				"entity_id": sp.EntityID, "acs_url": sp.ACSURL, "sso_url": sp.SSOURL, "metadata_url": sp.MetadataURL,
			}
			obj["warnings"] = append([]string{}, warnings...)
			return c.printResult(true, "", obj)
		}
		tw := tabwriter.NewWriter(c.stdout, 2, 4, 2, ' ', 0)
		row := func(k, v string) { fmt.Fprintf(tw, "%s\t%s\n", k, v) }
		row("group", g.Path+" (id "+strconv.FormatInt(g.ID, 10)+")")
		row("idp_entity_id", cfg.IdPEntityID)
		row("idp_sso_url", cfg.SSOURL)
		if cfg.MetadataURL != "" {
			row("metadata_url", cfg.MetadataURL)
			row("metadata_fetched_at", cfg.MetadataFetchedAt.UTC().Format(time.RFC3339))
			if msg, at := admin.MetadataRefreshFailure(cfg); msg != "" {
				row("metadata_refresh", "failed at "+at.UTC().Format(time.RFC3339)+": "+msg)
			}
		}
		for _, ce := range admin.SAMLCertificates(cfg, now) {
			state := "expires"
			if ce.Expired {
				state = "EXPIRED"
			}
			row("certificate", fmt.Sprintf("sha256 %s, %s, %s %s", ce.SHA256, ce.Subject, state, ce.NotAfter.Format(time.RFC3339)))
		}
		for _, fp := range cfg.Fingerprints {
			row("fingerprint", fp)
		}
		row("default_role", g.DefaultRole.String())
		row("enforce_sso", strconv.FormatBool(cfg.EnforceSSO))
		row("allow_idp_initiated", strconv.FormatBool(cfg.AllowIdPInitiated))
		row("create_users", strconv.FormatBool(cfg.CreateUsers))
		row("clock_skew", cfg.ClockSkew.String())
		row("sp_entity_id", sp.EntityID)
		row("sp_acs_url", sp.ACSURL)
		row("sp_sso_url", sp.SSOURL)
		row("sp_metadata_url", sp.MetadataURL)
		return tw.Flush()
	})
}

// samlJSON is a group's SAML configuration as saml show --json prints it.
func samlJSON(g *gatehouse.Group, c *gatehouse.SAMLConfig, now time.Time) map[string]any {
	certs := []map[string]any{}
	for _, ce := range admin.SAMLCertificates(c, now) {
		certs = append(certs, map[string]any{"sha256": ce.SHA256, "subject": ce.Subject, "not_after": ce.NotAfter, "expired": ce.Expired})
	}
	obj := map[string]any{
		"group_id":            g.ID,
		"group_path":          g.Path,
		"enabled":             c.Enabled,
		"idp_entity_id":       c.IdPEntityID,
		"idp_sso_url":         c.SSOURL,
		"metadata_url":        c.MetadataURL,
		"metadata_fetched_at": timeOrNil(c.MetadataFetchedAt),
		"certificates":        certs,
		"fingerprints":        append([]string{}, c.Fingerprints...),
		"default_role":        g.DefaultRole.String(),
		"enforce_sso":         c.EnforceSSO,
		"allow_idp_initiated": c.AllowIdPInitiated,
		"create_users":        c.CreateUsers,
		"clock_skew_seconds":  c.ClockSkew.Seconds(),
	}
	// Why and when the last metadata refresh failed; null when it did not.
	var refreshErr, failedAt any
	if msg, at := admin.MetadataRefreshFailure(c); msg != "" {
		refreshErr, failedAt = msg, at
	}
	obj["metadata_refresh_error"], obj["metadata_refresh_failed_at"] = refreshErr, failedAt
	return obj
}
