package admin_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/google/go-cmp/cmp"
)

var samlNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func certPEM(c *x509.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func ecdsaCertPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ec"},
		NotBefore: samlNow.Add(-time.Hour), NotAfter: samlNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// mustGroup creates the group acme.corp owned by a new user.
func mustGroup(t *testing.T, svc *admin.Service) *gatehouse.Group {
	t.Helper()
	mustUser(t, svc, "alice", "alice@example.com")
	g, err := svc.CreateGroup(context.Background(), admin.System, admin.NewGroup{Path: "acme.corp", Owner: "alice"})
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	return g
}

func TestConfigureSAML(t *testing.T) {
	idp := samltest.NewIdP("okta")
	next := samltest.Keys("okta-next")
	soon := samltest.Keys("okta-soon").Certificate("okta-soon", samlNow.Add(-time.Hour), samlNow.Add(24*time.Hour))
	expired := samltest.Keys("okta-old").Certificate("okta-old", samlNow.Add(-48*time.Hour), samlNow.Add(-time.Hour))
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metadata" {
			http.NotFound(w, r)
			return
		}
		w.Write(idp.Metadata(time.Time{}))
	}))
	defer srv.Close()
	sha256FP := saml.Fingerprint(idp.Keys.Cert, false)
	sha1FP := saml.Fingerprint(idp.Keys.Cert, true)
	files := func(certs ...*x509.Certificate) []admin.PEMFile {
		var out []admin.PEMFile
		for i, c := range certs {
			out = append(out, admin.PEMFile{Name: "cert" + string(rune('1'+i)) + ".pem", Data: certPEM(c)})
		}
		return out
	}

	tests := []struct {
		name     string
		in       admin.SAMLSettings
		wantErr  string // "" for success; else an Invalid error's text
		check    func(t *testing.T, c *gatehouse.SAMLConfig)
		warnings []string // substrings, one per warning
	}{
		{
			name: "metadata file",
			in:   admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}, idp.Keys.Cert, next.Cert), AllowIdPInitiated: true},
			check: func(t *testing.T, c *gatehouse.SAMLConfig) {
				if c.IdPEntityID != idp.EntityID || c.SSOURL != idp.SSOURL || len(c.Certificates) != 2 || c.MetadataXML == "" || c.MetadataURL != "" {
					t.Errorf("config = %+v, want the metadata's entity ID, SSO URL, both certificates and the XML", c)
				}
				if !c.MetadataFetchedAt.Equal(samlNow) || c.ClockSkew != gatehouse.DefaultClockSkew || !c.AllowIdPInitiated {
					t.Errorf("config = %+v, want fetched now, default skew, IdP-initiated allowed", c)
				}
			},
		},
		{
			name: "metadata file with its own entity ID",
			in:   admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), IdPEntityID: idp.EntityID},
		},
		{
			name:    "metadata file with another entity ID",
			in:      admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), IdPEntityID: "https://other.example.com"},
			wantErr: "differs from the metadata's",
		},
		{
			name:    "metadata that expired",
			in:      admin.SAMLSettings{MetadataXML: idp.Metadata(samlNow.Add(-time.Minute))},
			wantErr: "expired",
		},
		{
			name:    "not metadata",
			in:      admin.SAMLSettings{MetadataXML: []byte("<html>login</html>")},
			wantErr: "IdP metadata",
		},
		{
			name: "metadata URL",
			in:   admin.SAMLSettings{MetadataURL: srv.URL + "/metadata"},
			check: func(t *testing.T, c *gatehouse.SAMLConfig) {
				if c.MetadataURL != srv.URL+"/metadata" || c.IdPEntityID != idp.EntityID || c.MetadataXML == "" {
					t.Errorf("config = %+v, want the URL kept and the metadata read", c)
				}
			},
		},
		{name: "metadata URL not https", in: admin.SAMLSettings{MetadataURL: "http://idp.example.com/md"}, wantErr: "https"},
		{name: "metadata URL missing", in: admin.SAMLSettings{MetadataURL: srv.URL + "/nothing"}, wantErr: "404"},
		{
			name: "two certificates",
			in:   admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: files(idp.Keys.Cert, next.Cert), EnforceSSO: true, CreateUsers: true, ClockSkew: 2 * time.Minute},
			check: func(t *testing.T, c *gatehouse.SAMLConfig) {
				if len(c.Certificates) != 2 || c.IdPEntityID != "urn:idp" || !c.EnforceSSO || !c.CreateUsers || c.ClockSkew != 2*time.Minute || c.AllowIdPInitiated {
					t.Errorf("config = %+v, want both certificates and the settings given", c)
				}
			},
		},
		{
			name: "one file with two certificates, one repeated",
			in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: []admin.PEMFile{
				{Name: "both.pem", Data: append(certPEM(idp.Keys.Cert), certPEM(next.Cert)...)}, {Name: "again.pem", Data: certPEM(next.Cert)}}},
			check: func(t *testing.T, c *gatehouse.SAMLConfig) {
				if len(c.Certificates) != 2 {
					t.Errorf("config has %d certificates, want 2", len(c.Certificates))
				}
			},
		},
		{
			name:     "certificates that expire",
			in:       admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: files(soon, expired)},
			warnings: []string{"expires at", "expired at"},
		},
		{
			name: "bad certificate",
			in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: []admin.PEMFile{
				{Name: "good.pem", Data: certPEM(idp.Keys.Cert)}, {Name: "bad.pem", Data: []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")}}},
			wantErr: "certificate bad.pem does not parse",
		},
		{
			name:    "not PEM",
			in:      admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: []admin.PEMFile{{Name: "x.cer", Data: []byte{0x30, 0x82}}}},
			wantErr: "certificate x.cer holds no PEM certificate",
		},
		{
			name:    "a key, not a certificate",
			in:      admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: []admin.PEMFile{{Name: "k.pem", Data: idp.Keys.KeyPEM()}}},
			wantErr: `"RSA PRIVATE KEY" PEM block`,
		},
		{
			name:    "ECDSA certificate",
			in:      admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Certificates: []admin.PEMFile{{Name: "ec.pem", Data: ecdsaCertPEM(t)}}},
			wantErr: "RSA signatures only",
		},
		{
			name: "SHA-256 fingerprint with colons",
			in:   admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: strings.ToUpper(colons(sha256FP))},
			check: func(t *testing.T, c *gatehouse.SAMLConfig) {
				if len(c.Fingerprints) != 1 || c.Fingerprints[0] != sha256FP || len(c.Certificates) != 0 {
					t.Errorf("config fingerprints = %q, want [%s]", c.Fingerprints, sha256FP)
				}
			},
		},
		{
			name:     "SHA-1 fingerprint",
			in:       admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: sha1FP},
			warnings: []string{"SHA-1"},
		},
		{name: "short fingerprint", in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: "abcd"}, wantErr: "not a SHA-256 fingerprint"},
		{name: "fingerprint not hex", in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: strings.Repeat("g", 64)}, wantErr: "not a SHA-256 fingerprint"},
		{name: "SSO URL http", in: admin.SAMLSettings{SSOURL: "http://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: sha256FP}, wantErr: "must be an https URL"},
		{name: "SSO URL without entity ID", in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", Fingerprint: sha256FP}, wantErr: "entity ID (issuer) is required"},
		{name: "SSO URL without trust", in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp"}, wantErr: "certificate or its fingerprint"},
		{name: "certificates and fingerprint", in: admin.SAMLSettings{SSOURL: "https://idp.example.com/sso", IdPEntityID: "urn:idp", Fingerprint: sha256FP, Certificates: files(idp.Keys.Cert)}, wantErr: "not both"},
		{name: "metadata with certificates", in: admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), Certificates: files(idp.Keys.Cert)}, wantErr: "come from the metadata"},
		{name: "two sources", in: admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), MetadataURL: srv.URL + "/metadata"}, wantErr: "one way only"},
		{name: "nothing", in: admin.SAMLSettings{}, wantErr: "give the IdP's metadata"},
		{name: "skew too large", in: admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), ClockSkew: 6 * time.Minute}, wantErr: "clock skew"},
		{name: "negative skew", in: admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), ClockSkew: -time.Second}, wantErr: "clock skew"},
		{name: "bad role", in: admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), DefaultRole: 15}, wantErr: "default role"},
	}
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		svc.Now = func() time.Time { return samlNow }
		svc.MetadataClient = srv.Client()
		g := mustGroup(t, svc)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// Each row starts without a configuration, so a failure
				// can be seen to write nothing.
				if err := svc.Store.DeleteSAMLConfig(ctx, g.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
					t.Fatal(err)
				}
				c, warnings, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", tt.in)
				if tt.wantErr != "" {
					if !gatehouse.IsKind(err, gatehouse.Invalid) || !strings.Contains(gatehouse.ErrorMessage(err), tt.wantErr) {
						t.Errorf("ConfigureSAML = %v, want Invalid mentioning %q", err, tt.wantErr)
					}
					if _, err := svc.Store.FindSAMLConfig(ctx, g.ID); !gatehouse.IsKind(err, gatehouse.NotFound) {
						t.Errorf("after a refused ConfigureSAML, FindSAMLConfig = %v, want NotFound", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("ConfigureSAML: %v", err)
				}
				if len(warnings) != len(tt.warnings) {
					t.Errorf("warnings = %q, want %d mentioning %q", warnings, len(tt.warnings), tt.warnings)
				}
				for i, w := range tt.warnings {
					if i < len(warnings) && !strings.Contains(warnings[i], w) {
						t.Errorf("warning %d = %q, want it to mention %q", i, warnings[i], w)
					}
				}
				stored, err := svc.Store.FindSAMLConfig(ctx, g.ID)
				if err != nil || !stored.Enabled || stored.IdPEntityID != c.IdPEntityID || len(stored.Certificates) != len(c.Certificates) {
					t.Errorf("stored = %+v, %v; want what ConfigureSAML returned, enabled", stored, err)
				}
				if tt.check != nil {
					tt.check(t, stored)
				}
			})
		}
	})
}

func colons(hexFP string) string {
	var parts []string
	for i := 0; i < len(hexFP); i += 2 {
		parts = append(parts, hexFP[i:i+2])
	}
	return strings.Join(parts, ":")
}

func TestConfigureSAMLGroup(t *testing.T) {
	idp := samltest.NewIdP("entra")
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		g := mustGroup(t, svc)
		_, _, err := svc.ConfigureSAML(ctx, admin.System, "nowhere", admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{})})
		wantKind(t, "ConfigureSAML(nowhere)", err, gatehouse.NotFound)
		_, _, err = svc.FindSAMLConfig(ctx, "acme.corp")
		wantKind(t, "FindSAMLConfig before configure", err, gatehouse.NotFound)

		in := admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{}), DefaultRole: gatehouse.Developer}
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "ACME.CORP", in); err != nil {
			t.Fatalf("ConfigureSAML: %v", err)
		}
		// By id, and leaving the default role alone.
		in.DefaultRole = 0
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "1", in); err != nil {
			t.Fatalf("ConfigureSAML by id: %v", err)
		}
		got, c, err := svc.FindSAMLConfig(ctx, "acme.corp")
		if err != nil || got.DefaultRole != gatehouse.Developer || c.IdPEntityID != idp.EntityID {
			t.Errorf("FindSAMLConfig = %+v, %+v, %v; want default role developer and the IdP", got, c, err)
		}
		events, _, err := svc.Store.ListAuditEvents(ctx, g.ID, store.Page{Limit: 10})
		if err != nil || len(events) < 2 || events[0].Action != "saml_configured" || events[1].Action != "saml_configured" {
			t.Fatalf("audit events = %v, %v; want two saml_configured on top", events, err)
		}
		var detail map[string]any
		if err := json.Unmarshal(events[1].Detail, &detail); err != nil || detail["default_role"] != "developer" || detail["previous_default_role"] != "guest" || detail["source"] != "metadata" {
			t.Errorf("first saml_configured detail = %s, want default role developer, previously guest, source metadata", events[1].Detail)
		}
	})
}

// metadataServer serves whatever body and status are set, on loopback.
type metadataServer struct {
	mu     sync.Mutex
	status int
	body   []byte
	// during, when set, runs once, while the next request waits for its
	// answer: what happens elsewhere while a refresh fetches.
	during func()
	*httptest.Server
}

func newMetadataServer(body []byte) *metadataServer {
	m := &metadataServer{status: http.StatusOK, body: body}
	m.Server = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		during := m.during
		m.during = nil
		m.mu.Unlock()
		if during != nil {
			during()
		}
		m.mu.Lock()
		defer m.mu.Unlock()
		w.WriteHeader(m.status)
		w.Write(m.body)
	}))
	return m
}

// whileFetching sets what runs during the next request.
func (m *metadataServer) whileFetching(fn func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.during = fn
}

func (m *metadataServer) serve(status int, body []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.status, m.body = status, body
}

func TestRefreshSAMLMetadata(t *testing.T) {
	idp := samltest.NewIdP("onelogin")
	next := samltest.Keys("onelogin-next").Cert
	other := samltest.NewIdP("intruder")
	other.SSOURL = idp.SSOURL
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		now := samlNow
		svc.Now = func() time.Time { return now }
		md := newMetadataServer(idp.Metadata(time.Time{}))
		defer md.Close()
		svc.MetadataClient = md.Client()
		g := mustGroup(t, svc)
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataURL: md.URL}); err != nil {
			t.Fatalf("ConfigureSAML: %v", err)
		}
		// A group configured by file is never fetched.
		mustUser(t, svc, "bob", "bob@example.com")
		if _, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "byfile", Owner: "bob"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "byfile", admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{})}); err != nil {
			t.Fatal(err)
		}

		steps := []struct {
			name      string
			after     time.Duration // since the previous step
			status    int
			body      []byte
			tried     bool
			wantErr   string
			wantAdded int
			wantCerts int
			// wantFailedEvents counts the saml_metadata_refresh_failed
			// events so far: one per new failure message, not per hour.
			wantFailedEvents int
		}{
			{"too early", time.Hour, 200, idp.Metadata(time.Time{}, idp.Keys.Cert, next), false, "", 0, 1, 0},
			{"new certificate", 12 * time.Hour, 200, idp.Metadata(time.Time{}, idp.Keys.Cert, next), true, "", 1, 2, 0},
			{"old certificate dropped by the IdP", 12 * time.Hour, 200, idp.Metadata(time.Time{}, next), true, "", 0, 2, 0},
			{"server error", 12 * time.Hour, 500, []byte("oops"), true, "500", 0, 2, 1},
			{"same failure an hour later", time.Hour, 500, []byte("oops again"), true, "500", 0, 2, 1},
			{"failure retried", time.Hour, 200, []byte("<notmetadata/>"), true, "IdP metadata", 0, 2, 2},
			{"expired", time.Hour, 200, idp.Metadata(samlNow, next), true, "expired", 0, 2, 3},
			{"another entity ID", time.Hour, 200, other.Metadata(time.Time{}), true, "entity ID", 0, 2, 4},
			{"good again", time.Hour, 200, idp.Metadata(time.Time{}, next), true, "", 0, 2, 4},
			{"failing after a good refresh", 12 * time.Hour, 500, []byte("oops"), true, "500", 0, 2, 5},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				now = now.Add(st.after)
				md.serve(st.status, st.body)
				before, err := svc.Store.FindSAMLConfig(ctx, g.ID)
				if err != nil {
					t.Fatal(err)
				}
				results, err := svc.RefreshSAMLMetadata(ctx, admin.System)
				if err != nil {
					t.Fatalf("RefreshSAMLMetadata: %v", err)
				}
				if !st.tried {
					if len(results) != 0 {
						t.Errorf("RefreshSAMLMetadata = %+v, want nothing tried", results)
					}
					return
				}
				if len(results) != 1 || results[0].GroupID != g.ID {
					t.Fatalf("RefreshSAMLMetadata = %+v, want acme.corp alone", results)
				}
				r := results[0]
				if r.RecordErr != nil {
					t.Errorf("RefreshSAMLMetadata RecordErr = %v, want nil", r.RecordErr)
				}
				after, err := svc.Store.FindSAMLConfig(ctx, g.ID)
				if err != nil {
					t.Fatal(err)
				}
				if st.wantErr != "" {
					if r.Err == nil || !strings.Contains(r.Err.Error(), st.wantErr) {
						t.Errorf("refresh error = %v, want one mentioning %q", r.Err, st.wantErr)
					}
					if after.MetadataXML != before.MetadataXML || !after.MetadataFetchedAt.Equal(before.MetadataFetchedAt) ||
						after.SSOURL != before.SSOURL || !after.UpdatedAt.Equal(before.UpdatedAt) {
						t.Errorf("a failed refresh changed the stored metadata, SSO URL or UpdatedAt")
					}
					if want := gatehouse.ErrorMessage(r.Err); after.MetadataRefreshError != want || !after.MetadataRefreshFailedAt.Equal(now) {
						t.Errorf("stored refresh error %q at %s, want %q at %s", after.MetadataRefreshError, after.MetadataRefreshFailedAt, want, now)
					}
				} else {
					if r.Err != nil || !after.MetadataFetchedAt.Equal(now) || after.MetadataXML != string(st.body) {
						t.Errorf("refresh = %+v; stored fetched at %s; want success now with the new XML", r, after.MetadataFetchedAt)
					}
					if after.MetadataRefreshError != "" || !after.MetadataRefreshFailedAt.IsZero() {
						t.Errorf("stored refresh error %q at %s after a good refresh, want none", after.MetadataRefreshError, after.MetadataRefreshFailedAt)
					}
				}
				if len(r.Added) != st.wantAdded || len(after.Certificates) != st.wantCerts {
					t.Errorf("added %q, %d certificates trusted; want %d added, %d trusted", r.Added, len(after.Certificates), st.wantAdded, st.wantCerts)
				}
				if st.wantAdded > 0 {
					events, _, err := svc.Store.ListAuditEvents(ctx, g.ID, store.Page{Limit: 1})
					if err != nil || len(events) != 1 || events[0].Action != "saml_certificate_added" || !strings.Contains(string(events[0].Detail), saml.Fingerprint(next, false)) {
						t.Errorf("latest audit event = %v, %v; want saml_certificate_added naming the new certificate", events, err)
					}
				}
				failed := auditEvents(t, svc, g.ID, "saml_metadata_refresh_failed")
				if len(failed) != st.wantFailedEvents {
					t.Errorf("%d saml_metadata_refresh_failed audit events, want %d", len(failed), st.wantFailedEvents)
				}
				if st.wantErr != "" && len(failed) > 0 {
					var detail map[string]any
					if err := json.Unmarshal(failed[0].Detail, &detail); err != nil || detail["error"] != after.MetadataRefreshError || detail["metadata_url"] != md.URL {
						t.Errorf("latest saml_metadata_refresh_failed detail = %s, want the error %q and the URL", failed[0].Detail, after.MetadataRefreshError)
					}
				}
			})
		}

		// Configuring again clears the failure the last step recorded.
		md.serve(200, idp.Metadata(time.Time{}))
		c, _, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataURL: md.URL})
		if err != nil {
			t.Fatalf("ConfigureSAML: %v", err)
		}
		got, err := svc.Store.FindSAMLConfig(ctx, g.ID)
		if err != nil || got.MetadataRefreshError != "" || !got.MetadataRefreshFailedAt.IsZero() || c.MetadataRefreshError != "" {
			t.Errorf("FindSAMLConfig after ConfigureSAML = %+v, %v; want no refresh error", got, err)
		}
	})
}

// auditEvents returns the group's audit events with the action, newest
// first.
func auditEvents(t *testing.T, svc *admin.Service, groupID int64, action string) []*gatehouse.AuditEvent {
	t.Helper()
	events, _, err := svc.Store.ListAuditEvents(context.Background(), groupID, store.Page{Limit: 1000})
	if err != nil {
		t.Fatalf("ListAuditEvents: %v", err)
	}
	var out []*gatehouse.AuditEvent
	for _, e := range events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

// TestRefreshSAMLMetadataReconfigured checks that a refresh that fails
// while the owner reconfigures records nothing on the new configuration.
func TestRefreshSAMLMetadataReconfigured(t *testing.T) {
	idp := samltest.NewIdP("okta")
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		now := samlNow
		svc.Now = func() time.Time { return now }
		md := newMetadataServer(idp.Metadata(time.Time{}))
		defer md.Close()
		svc.MetadataClient = md.Client()
		g := mustGroup(t, svc)
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataURL: md.URL}); err != nil {
			t.Fatalf("ConfigureSAML: %v", err)
		}
		now = now.Add(13 * time.Hour)
		md.serve(http.StatusServiceUnavailable, []byte("down"))
		var reconfigured *gatehouse.SAMLConfig
		md.whileFetching(func() {
			var err error
			reconfigured, _, err = svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataXML: idp.Metadata(time.Time{})})
			if err != nil {
				t.Errorf("ConfigureSAML while the refresh fetches: %v", err)
			}
		})
		results, err := svc.RefreshSAMLMetadata(ctx, admin.System)
		if err != nil || len(results) != 1 || results[0].Err == nil || results[0].RecordErr != nil {
			t.Fatalf("RefreshSAMLMetadata = %+v, %v; want acme.corp failed, nothing failing to record", results, err)
		}
		got, err := svc.Store.FindSAMLConfig(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(reconfigured, got); diff != "" {
			t.Errorf("configuration after the failed refresh differs from the owner's (-owner +stored):\n%s", diff)
		}
		if n := len(auditEvents(t, svc, g.ID, "saml_metadata_refresh_failed")); n != 0 {
			t.Errorf("%d saml_metadata_refresh_failed audit events, want none", n)
		}
	})
}

// TestRefreshSAMLMetadataFailureElsewhere checks that a failure recorded
// while a good refresh fetches (another node, whose fetch failed) does not
// stop the good one, which then clears it.
func TestRefreshSAMLMetadataFailureElsewhere(t *testing.T) {
	idp := samltest.NewIdP("okta")
	next := samltest.Keys("okta-next").Cert
	backends(t, func(t *testing.T, svc *admin.Service) {
		ctx := context.Background()
		now := samlNow
		svc.Now = func() time.Time { return now }
		md := newMetadataServer(idp.Metadata(time.Time{}))
		defer md.Close()
		svc.MetadataClient = md.Client()
		g := mustGroup(t, svc)
		if _, _, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataURL: md.URL}); err != nil {
			t.Fatalf("ConfigureSAML: %v", err)
		}
		now = now.Add(13 * time.Hour)
		good := idp.Metadata(time.Time{}, idp.Keys.Cert, next)
		var elsewhere []admin.MetadataRefresh
		md.whileFetching(func() {
			md.serve(http.StatusBadGateway, []byte("bad gateway"))
			var err error
			elsewhere, err = svc.RefreshSAMLMetadata(ctx, admin.System)
			if err != nil {
				t.Errorf("RefreshSAMLMetadata elsewhere: %v", err)
			}
			c, err := svc.Store.FindSAMLConfig(ctx, g.ID)
			if err != nil || c.MetadataRefreshError == "" {
				t.Errorf("FindSAMLConfig after the failure elsewhere = %+v, %v; want its error recorded", c, err)
			}
			md.serve(http.StatusOK, good)
		})
		results, err := svc.RefreshSAMLMetadata(ctx, admin.System)
		if err != nil || len(results) != 1 || results[0].Err != nil || len(results[0].Added) != 1 {
			t.Fatalf("RefreshSAMLMetadata = %+v, %v; want acme.corp refreshed with a new certificate", results, err)
		}
		if len(elsewhere) != 1 || elsewhere[0].Err == nil || elsewhere[0].RecordErr != nil {
			t.Errorf("RefreshSAMLMetadata elsewhere = %+v, want acme.corp failed and recorded", elsewhere)
		}
		got, err := svc.Store.FindSAMLConfig(ctx, g.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.MetadataXML != string(good) || !got.MetadataFetchedAt.Equal(now) || len(got.Certificates) != 2 {
			t.Errorf("stored metadata fetched at %s with %d certificates, want the good copy of now with 2", got.MetadataFetchedAt, len(got.Certificates))
		}
		if got.MetadataRefreshError != "" || !got.MetadataRefreshFailedAt.IsZero() {
			t.Errorf("stored refresh error %q at %s after the good refresh, want none", got.MetadataRefreshError, got.MetadataRefreshFailedAt)
		}
	})
}

func TestSAMLWarnings(t *testing.T) {
	valid := samltest.Keys("warn-valid").Certificate("warn-valid", samlNow.Add(-time.Hour), samlNow.Add(365*24*time.Hour))
	soon := samltest.Keys("warn-soon").Certificate("warn-soon", samlNow.Add(-time.Hour), samlNow.Add(24*time.Hour))
	expired := samltest.Keys("warn-old").Certificate("warn-old", samlNow.Add(-48*time.Hour), samlNow.Add(-time.Hour))
	fetched := samlNow.Add(-13 * time.Hour)
	byURL := func(change func(c *gatehouse.SAMLConfig)) *gatehouse.SAMLConfig {
		c := &gatehouse.SAMLConfig{GroupID: 1, IdPEntityID: "urn:idp", SSOURL: "https://idp.example/sso",
			Certificates: []string{string(certPEM(valid))}, MetadataURL: "https://idp.example/metadata", MetadataFetchedAt: fetched}
		if change != nil {
			change(c)
		}
		return c
	}
	tests := []struct {
		name string
		c    *gatehouse.SAMLConfig
		want []string // each a part of one warning, in order
	}{
		{"fresh", byURL(nil), nil},
		{"refresh failed", byURL(func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "the server answered 503 Service Unavailable", samlNow.Add(-time.Hour)
		}), []string{"the last metadata refresh failed at 2026-03-02T09:00:00Z: the server answered 503 Service Unavailable; the last good copy from 2026-03-01T21:00:00Z stays in use"}},
		{"refresh failed before the last good fetch", byURL(func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "old failure", fetched.Add(-time.Hour)
		}), nil},
		{"refresh failed, then configured by file", byURL(func(c *gatehouse.SAMLConfig) {
			c.MetadataURL = ""
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "old failure", samlNow.Add(-time.Hour)
		}), nil},
		{"stale", byURL(func(c *gatehouse.SAMLConfig) { c.MetadataFetchedAt = samlNow.Add(-25 * time.Hour) }),
			[]string{"last fetched at 2026-03-01T09:00:00Z, more than 24 hours ago: refreshes from https://idp.example/metadata are not succeeding"}},
		{"failing and stale", byURL(func(c *gatehouse.SAMLConfig) {
			c.MetadataFetchedAt = samlNow.Add(-30 * time.Hour)
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "unreachable", samlNow.Add(-time.Hour)
		}), []string{"failed at 2026-03-02T09:00:00Z: unreachable", "more than 24 hours ago"}},
		{"stale by file is never refreshed", byURL(func(c *gatehouse.SAMLConfig) {
			c.MetadataURL, c.MetadataFetchedAt = "", samlNow.Add(-100*24*time.Hour)
		}), nil},
		{"certificates", byURL(func(c *gatehouse.SAMLConfig) {
			c.Certificates = []string{string(certPEM(expired)), string(certPEM(valid)), string(certPEM(soon))}
		}), []string{"certificate warn-old (SHA-256 " + saml.Fingerprint(expired, false) + ") expired at", "certificate warn-soon (SHA-256 " + saml.Fingerprint(soon, false) + ") expires at"}},
		{"fingerprints only", byURL(func(c *gatehouse.SAMLConfig) { c.Certificates, c.Fingerprints = nil, []string{"ab"} }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := admin.SAMLWarnings(tt.c, samlNow)
			ok := len(got) == len(tt.want)
			for i := 0; ok && i < len(got); i++ {
				ok = strings.Contains(got[i], tt.want[i])
			}
			if !ok {
				t.Errorf("SAMLWarnings = %q, want %d warnings containing %q", got, len(tt.want), tt.want)
			}
		})
	}
}
