package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore"
)

func runServe(ctx context.Context, c *cli) error {
	fs := c.newFlags("serve", "[--addr 127.0.0.1:8080] [--db URL] [--base-url URL] [flags]")
	db := dbFlag(fs)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on (env GATEHOUSE_ADDR)")
	baseURL := fs.String("base-url", "", "public URL of this server, used in SCIM and SAML URLs (default http://ADDR; env GATEHOUSE_BASE_URL)")
	logFormat := fs.String("log-format", "text", "log format: text or json (env GATEHOUSE_LOG_FORMAT)")
	tlsCert := fs.String("tls-cert", "", "PEM certificate file: serve HTTPS directly (with --tls-key; env GATEHOUSE_TLS_CERT)")
	tlsKey := fs.String("tls-key", "", "PEM private key file for --tls-cert (env GATEHOUSE_TLS_KEY)")
	proxies := fs.String("trusted-proxies", "", "comma-separated CIDRs or IPs whose X-Forwarded-* headers are believed (env GATEHOUSE_TRUSTED_PROXIES)")
	groupLabels := fs.Bool("metrics-group-labels", false, "label SCIM and SAML metrics with the group path (only with few groups: every group adds series; env GATEHOUSE_METRICS_GROUP_LABELS)")
	adminPWFile := fs.String("initial-admin-password-file", "", "file holding the password of the first administrator, root (default: generate a one-time password and print it once)")
	if err := c.parse(fs); err != nil {
		return err
	}
	log, err := newLogger(c.stderr, *logFormat)
	if err != nil {
		return err
	}
	trusted, err := server.ParseTrustedProxies(*proxies)
	if err != nil {
		return usagef("--trusted-proxies: %v", err)
	}
	if (*tlsCert == "") != (*tlsKey == "") {
		return usagef("--tls-cert and --tls-key go together; give both or neither")
	}
	var initialPW string
	if *adminPWFile != "" {
		b, err := os.ReadFile(*adminPWFile)
		if err != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "--initial-admin-password-file: %v", err)
		}
		initialPW = strings.TrimRight(string(b), "\r\n")
		if err := password.Check(initialPW); err != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "--initial-admin-password-file: %v", err)
		}
	}
	s, err := openStore(ctx, *db, log)
	if err != nil {
		return err
	}
	defer s.Close()
	if info, err := s.SchemaInfo(ctx); err == nil {
		log.Info("database ready", "db", pgstore.RedactDSN(*db), "schema_version", info.Current)
	}

	created, pw, err := (&admin.Service{Store: s}).Bootstrap(ctx, initialPW)
	if err != nil {
		return fmt.Errorf("create the first administrator: %w", err)
	}
	if created && initialPW == "" {
		// Straight to stderr, never through the structured log, so log
		// collectors do not keep it.
		fmt.Fprintf(c.stderr, "\nCreated the administrator %q with the one-time password:\n\n    %s\n\nSign in and change it; it is not shown again.\n\n", admin.RootUsername, pw)
	} else if created {
		log.Info("created the administrator from --initial-admin-password-file", "username", admin.RootUsername)
	}

	srv, err := server.New(server.Config{
		Addr:           *addr,
		BaseURL:        *baseURL, // empty: the server's default for addr and TLS
		TLSCertFile:    *tlsCert,
		TLSKeyFile:     *tlsKey,
		TrustedProxies: trusted,
		Logger:         log,
		DB:             s,
	})
	if err != nil {
		return usagef("%v", err)
	}
	requestLog, err := scimlog.New(scimlog.Config{Store: s, Logger: log, Registerer: srv.Registry()})
	if err != nil {
		return err
	}
	(&scimhttp.Handler{
		Store:      s,
		Provision:  &provision.Service{Store: s},
		BaseURL:    srv.BaseURL().String(),
		Metrics:    scimhttp.NewMetrics(srv.Registry(), *groupLabels),
		RequestLog: requestLog,
	}).Register(srv)
	keys, err := ephemeralKeyPair()
	if err != nil {
		return err
	}
	(&web.Handler{
		SSO:     &sso.Service{Store: s, BaseURL: srv.BaseURL().String(), Keys: keys},
		Secure:  srv.BaseURL().Scheme == "https",
		Metrics: web.NewMetrics(srv.Registry(), *groupLabels),
	}).Register(srv)
	runErr := srv.Run(ctx)
	// The requests have finished: write the log entries still queued before
	// the store closes (deferred above). A crash loses them; that is the
	// documented price of never making a request wait for its log entry.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := requestLog.Close(cctx); err != nil {
		log.Warn("the SCIM request log was not fully written at shutdown", "err", err)
	}
	return runErr
}

func runMigrate(ctx context.Context, c *cli) error {
	fs := c.newFlags("migrate", "[--db URL]")
	db := dbFlag(fs)
	if err := c.parse(fs); err != nil {
		return err
	}
	return c.withStore(ctx, *db, func(s store.Store) error {
		info, err := s.SchemaInfo(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.stderr, "schema at version %d (this binary knows up to %d)\n", info.Current, info.Known)
		return nil
	})
}

// ephemeralKeyPair generates an SP key pair that lives as long as the
// process. It is a stand-in: the integrator replaces it with
// instancekey.Load, which keeps one key pair in the database for every node
// (behaviour.md decision 37). With it, each restart changes the SP
// certificate in the metadata.
func ephemeralKeyPair() (sso.KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return sso.KeyPair{}, fmt.Errorf("generate the SAML key pair: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()),
		Subject:      pkix.Name{CommonName: "Gatehouse SAML SP"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return sso.KeyPair{}, fmt.Errorf("create the SAML certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return sso.KeyPair{}, fmt.Errorf("parse the SAML certificate: %w", err)
	}
	return sso.KeyPair{Key: key, Certificate: cert}, nil
}
