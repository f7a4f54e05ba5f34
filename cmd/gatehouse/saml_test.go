package main

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSAMLUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no group", []string{"saml", "configure", "--metadata-file", "m.xml"}, "needs --group"},
		{"no source", []string{"saml", "configure", "--group", "g"}, "needs --metadata-file, --metadata-url or --sso-url"},
		{"two sources", []string{"saml", "configure", "--group", "g", "--metadata-file", "m.xml", "--metadata-url", "https://idp/md"}, "give one of"},
		{"sso url alone", []string{"saml", "configure", "--group", "g", "--sso-url", "https://idp/sso", "--idp-entity-id", "urn:idp"}, "needs --cert-file or --fingerprint"},
		{"cert without sso url", []string{"saml", "configure", "--group", "g", "--metadata-file", "m.xml", "--cert-file", "c.pem"}, "go with --sso-url"},
		{"cert and fingerprint", []string{"saml", "configure", "--group", "g", "--sso-url", "https://idp/sso", "--cert-file", "c.pem", "--fingerprint", "ab"}, "not both"},
		{"no entity id", []string{"saml", "configure", "--group", "g", "--sso-url", "https://idp/sso", "--fingerprint", "ab"}, "needs --idp-entity-id"},
		{"bad role", []string{"saml", "configure", "--group", "g", "--metadata-file", "m.xml", "--default-role", "boss"}, "not one of guest"},
		{"bad skew", []string{"saml", "configure", "--group", "g", "--metadata-file", "m.xml", "--clock-skew", "soon"}, "invalid value"},
		{"zero skew", []string{"saml", "configure", "--group", "g", "--metadata-file", "m.xml", "--clock-skew", "0s"}, "must be positive"},
		{"positional", []string{"saml", "configure", "acme"}, "takes flags only"},
		{"show without group", []string{"saml", "show"}, "needs --group"},
		{"show bad base url", []string{"saml", "show", "--group", "g", "--base-url", "ftp://x"}, "--base-url"},
		{"unknown saml command", []string{"saml", "delete"}, "unknown command"},
		{"log without group", []string{"saml", "log", "--limit", "5"}, "needs --group"},
		{"log zero limit", []string{"saml", "log", "--group", "g", "--limit", "0"}, "--limit 0 must be 1 to 1000"},
		{"log negative limit", []string{"saml", "log", "--group", "g", "--limit", "-3"}, "--limit -3 must be 1 to 1000"},
		{"log limit above the log", []string{"saml", "log", "--group", "g", "--limit", "1001"}, "--limit 1001 must be 1 to 1000"},
		{"log limit not a number", []string{"saml", "log", "--group", "g", "--limit", "all"}, "invalid value"},
		{"log bad outcome", []string{"saml", "log", "--group", "g", "--outcome", "Invalid"}, `--outcome "Invalid" is not an outcome`},
		{"log empty outcome", []string{"saml", "log", "--group", "g", "--outcome", ""}, "is not an outcome"},
		{"log bad ref", []string{"saml", "log", "--group", "g", "--ref", "ab cd"}, `--ref "ab cd" is not a reference id`},
		{"log long ref", []string{"saml", "log", "--group", "g", "--ref", strings.Repeat("a", 65)}, "is not a reference id"},
		{"log empty ref", []string{"saml", "log", "--group", "g", "--ref", ""}, "is not a reference id"},
		{"log ref and limit", []string{"saml", "log", "--group", "g", "--ref", "abc", "--limit", "5"}, "leave out --outcome and --limit"},
		{"log ref and outcome", []string{"saml", "log", "--group", "g", "--ref", "abc", "--outcome", "invalid"}, "leave out --outcome and --limit"},
		{"log positional", []string{"saml", "log", "--group", "g", "abc"}, "takes flags only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gh(t, nil, "", tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("gatehouse %v = exit %d, stderr %q; want exit 2 mentioning %q", tt.args, r.code, r.stderr, tt.msg)
			}
		})
	}
}

func TestSAMLCommands(t *testing.T) {
	idp := samltest.NewIdP("cli-idp")
	next := samltest.Keys("cli-idp-next").Cert
	dir := t.TempDir()
	mdFile := writeFile(t, dir, "metadata.xml", idp.Metadata(time.Time{}))
	cert1 := writeFile(t, dir, "c1.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Keys.Cert.Raw}))
	cert2 := writeFile(t, dir, "c2.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: next.Raw}))
	bad := writeFile(t, dir, "bad.pem", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"GATEHOUSE_DB": db, "GATEHOUSE_BASE_URL": "https://sso.example.com/"}
			ok := func(args ...string) result {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != exitOK {
					t.Fatalf("gatehouse %v = exit %d, stderr %q", args, r.code, r.stderr)
				}
				return r
			}
			fails := func(code int, msg string, args ...string) {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != code || !strings.Contains(r.stderr, msg) {
					t.Errorf("gatehouse %v = exit %d, stderr %q; want exit %d mentioning %q", args, r.code, r.stderr, code, msg)
				}
			}
			ok("user", "create", "--username", "alice", "--email", "alice@example.com")
			ok("group", "create", "--path", "acme.corp", "--owner", "alice")

			fails(exitNotFound, "no SAML configuration", "saml", "show", "--group", "acme.corp")
			fails(exitNotFound, `group "nowhere" not found`, "saml", "configure", "--group", "nowhere", "--metadata-file", mdFile)
			fails(exitNotFound, `group "nowhere" not found`, "saml", "show", "--group", "nowhere")
			fails(exitError, "no such file", "saml", "configure", "--group", "acme.corp", "--metadata-file", filepath.Join(dir, "missing.xml"))
			fails(exitError, "certificate "+bad+" does not parse", "saml", "configure", "--group", "acme.corp",
				"--sso-url", "https://idp.example.com/sso", "--idp-entity-id", "urn:idp", "--cert-file", cert1, "--cert-file", bad)
			fails(exitError, "must be an https URL", "saml", "configure", "--group", "acme.corp",
				"--sso-url", "http://idp.example.com/sso", "--idp-entity-id", "urn:idp", "--cert-file", cert1)
			fails(exitError, "https", "saml", "configure", "--group", "acme.corp", "--metadata-url", "http://idp.example.com/md")
			// The command line always uses the guarded client.
			fails(exitError, "loopback", "saml", "configure", "--group", "acme.corp", "--metadata-url", "https://127.0.0.1:9/md")
			fails(exitError, "private", "saml", "configure", "--group", "acme.corp", "--metadata-url", "https://10.0.0.1:9/md")
			fails(exitError, "clock skew", "saml", "configure", "--group", "acme.corp", "--metadata-file", mdFile, "--clock-skew", "10m")
			fails(exitNotFound, "no SAML configuration", "saml", "show", "--group", "acme.corp")

			r := ok("saml", "configure", "--group", "acme.corp", "--metadata-file", mdFile, "--default-role", "developer")
			if r.stdout != "" || !strings.Contains(r.stderr, "saml show") {
				t.Errorf("saml configure printed %q, stderr %q; want nothing on stdout and a hint on stderr", r.stdout, r.stderr)
			}
			r = ok("saml", "show", "--group", "1")
			for _, want := range []string{
				"idp_entity_id        " + idp.EntityID,
				"sha256 " + saml.Fingerprint(idp.Keys.Cert, false),
				"default_role         developer",
				"allow_idp_initiated  true",
				"clock_skew           1m0s",
				"sp_entity_id         https://sso.example.com/groups/acme.corp\n",
				"sp_acs_url           https://sso.example.com/groups/acme.corp/-/saml/callback\n",
				"sp_sso_url           https://sso.example.com/groups/acme.corp/-/saml/sso\n",
				"sp_metadata_url      https://sso.example.com/groups/acme.corp/-/saml/metadata\n",
			} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("saml show printed:\n%s\nwant a line with %q", r.stdout, want)
				}
			}

			r = ok("saml", "configure", "--group", "acme.corp", "--sso-url", "https://idp.example.com/sso", "--idp-entity-id", "urn:idp",
				"--cert-file", cert1, "--cert-file", cert2, "--enforce-sso", "--clock-skew", "2m", "--allow-idp-initiated=false", "--create-users", "--json")
			var got map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("saml configure --json printed %q: %v", r.stdout, err)
			}
			if certs, _ := got["certificates"].([]any); len(certs) != 2 || got["idp_entity_id"] != "urn:idp" || got["enforce_sso"] != true ||
				got["allow_idp_initiated"] != false || got["create_users"] != true || got["clock_skew_seconds"] != 120.0 || got["default_role"] != "developer" {
				t.Errorf("saml configure --json = %s, want two certificates and the settings given", r.stdout)
			}

			r = ok("saml", "configure", "--group", "acme.corp", "--sso-url", "https://idp.example.com/sso", "--idp-entity-id", "urn:idp",
				"--fingerprint", saml.Fingerprint(idp.Keys.Cert, true))
			if !strings.Contains(r.stderr, "warning: the fingerprint is SHA-1") {
				t.Errorf("SHA-1 fingerprint: stderr %q, want a warning", r.stderr)
			}
			env["GATEHOUSE_BASE_URL"] = ""
			r = ok("saml", "show", "--group", "acme.corp", "--addr", "0.0.0.0:9000", "--json")
			got = nil
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("saml show --json printed %q: %v", r.stdout, err)
			}
			sp, _ := got["sp"].(map[string]any)
			fps, _ := got["fingerprints"].([]any)
			if sp["acs_url"] != "http://127.0.0.1:9000/groups/acme.corp/-/saml/callback" || len(fps) != 1 || fps[0] != saml.Fingerprint(idp.Keys.Cert, true) {
				t.Errorf("saml show --json = %s, want the default base URL and the SHA-1 fingerprint", r.stdout)
			}
		})
	}
}

// TestSAMLShowRefreshWarning checks that saml show warns about a failed
// metadata refresh and about stale metadata, on standard error and in
// --json, and that saml configure clears the failure.
func TestSAMLShowRefreshWarning(t *testing.T) {
	idp := samltest.NewIdP("cli-refresh-idp")
	mdFile := writeFile(t, t.TempDir(), "metadata.xml", idp.Metadata(time.Time{}))
	const (
		mdURL = "https://idp.example.com/metadata"
		msg   = "fetching the metadata from https://idp.example.com/metadata failed: the server answered 503 Service Unavailable"
	)
	fetched := time.Now().UTC().Add(-30 * time.Hour).Truncate(time.Second)
	failed := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			env := map[string]string{"GATEHOUSE_DB": db}
			ok := func(args ...string) result {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != exitOK {
					t.Fatalf("gatehouse %v = exit %d, stderr %q", args, r.code, r.stderr)
				}
				return r
			}
			ok("user", "create", "--username", "alice", "--email", "alice@example.com")
			ok("group", "create", "--path", "acme.corp", "--owner", "alice")
			ok("saml", "configure", "--group", "acme.corp", "--metadata-file", mdFile)

			// The command line reaches no test server, so set what serve
			// keeps after its refreshes of a metadata URL failed for a
			// day.
			s, err := openStore(ctx, db, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			g, err := s.FindGroupByPath(ctx, "acme.corp")
			if err != nil {
				t.Fatal(err)
			}
			c, err := s.FindSAMLConfig(ctx, g.ID)
			if err != nil {
				t.Fatal(err)
			}
			c.MetadataURL, c.MetadataFetchedAt = mdURL, fetched
			if err := s.PutSAMLConfig(ctx, c); err != nil {
				t.Fatal(err)
			}
			if err := s.SetSAMLMetadataRefreshError(ctx, g.ID, msg, failed); err != nil {
				t.Fatal(err)
			}

			failedWarning := "gatehouse: warning: the last metadata refresh failed at " + failed.Format(time.RFC3339) + ": " + msg +
				"; the last good copy from " + fetched.Format(time.RFC3339) + " stays in use\n"
			staleWarning := "gatehouse: warning: the IdP metadata was last fetched at " + fetched.Format(time.RFC3339) + ", more than 24 hours ago"
			r := ok("saml", "show", "--group", "acme.corp")
			if !strings.Contains(r.stderr, failedWarning) || !strings.Contains(r.stderr, staleWarning) {
				t.Errorf("saml show stderr = %q, want %q and %q", r.stderr, failedWarning, staleWarning)
			}
			if want := "metadata_refresh     failed at " + failed.Format(time.RFC3339) + ": " + msg + "\n"; !strings.Contains(r.stdout, want) {
				t.Errorf("saml show printed:\n%s\nwant a line with %q", r.stdout, want)
			}

			r = ok("saml", "show", "--group", "acme.corp", "--json")
			var got map[string]any
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("saml show --json printed %q: %v", r.stdout, err)
			}
			warnings, _ := got["warnings"].([]any)
			if got["metadata_refresh_error"] != msg || got["metadata_refresh_failed_at"] != failed.Format(time.RFC3339) || len(warnings) != 2 {
				t.Errorf("saml show --json = %s, want the refresh error, its time and two warnings", r.stdout)
			}
			if !strings.Contains(r.stderr, failedWarning) {
				t.Errorf("saml show --json stderr = %q, want %q", r.stderr, failedWarning)
			}

			ok("saml", "configure", "--group", "acme.corp", "--metadata-file", mdFile)
			c, err = s.FindSAMLConfig(ctx, g.ID)
			if err != nil || c.MetadataRefreshError != "" || !c.MetadataRefreshFailedAt.IsZero() {
				t.Errorf("FindSAMLConfig after saml configure = %+v, %v; want no refresh error", c, err)
			}
			r = ok("saml", "show", "--group", "acme.corp", "--json")
			got = nil
			if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
				t.Fatalf("saml show --json printed %q: %v", r.stdout, err)
			}
			warnings, _ = got["warnings"].([]any)
			if v, ok := got["metadata_refresh_error"]; !ok || v != nil || got["metadata_refresh_failed_at"] != nil || warnings == nil || len(warnings) != 0 || r.stderr != "" {
				t.Errorf("saml show --json after saml configure = %s, stderr %q; want null refresh fields, no warnings", r.stdout, r.stderr)
			}
		})
	}
}
