package main

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/demo"
	"github.com/gatehouse-sso/gatehouse/instancekey"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/api"
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
	secretKeyFile := fs.String("secret-key-file", "", "file holding a secret of at least 32 bytes that seals the SAML SP private key in the database; every node the same file (env GATEHOUSE_SECRET_KEY_FILE)")
	demoMode := fs.Bool("demo", false, "demo mode, for trying Gatehouse only: a group \"demo\" whose identity provider is a built-in simulator (env GATEHOUSE_DEMO)")
	drainDelay := fs.Duration("drain-delay", 0, "on SIGTERM, go on serving this long while /-/ready answers 503, so load balancers stop sending requests before the listener closes (env GATEHOUSE_DRAIN_DELAY)")
	requestTimeout := fs.Duration("request-timeout", server.DefaultRequestTimeout, "longest a request may work, database waits included; past it the answer is 503 (env GATEHOUSE_REQUEST_TIMEOUT)")
	scimRate := fs.Float64("scim-rate-limit", scimhttp.DefaultRateLimit, "SCIM requests per second one group may make of this server (a second's worth at once) before it is answered 429 with Retry-After; 0 turns the limit off (env GATEHOUSE_SCIM_RATE_LIMIT)")
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
	if *requestTimeout <= 0 {
		return usagef("--request-timeout %v: give a positive duration such as 15s", *requestTimeout)
	}
	if *scimRate < 0 || math.IsNaN(*scimRate) || math.IsInf(*scimRate, 0) {
		return usagef("--scim-rate-limit %v: give requests per second, such as 500, or 0 for no limit", *scimRate)
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
		if err := admin.CheckPassword(admin.RootUsername, initialPW); err != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "--initial-admin-password-file: %s", gatehouse.ErrorMessage(err))
		}
	}
	var secretKey []byte // nil: none given
	if *secretKeyFile != "" {
		b, err := os.ReadFile(*secretKeyFile)
		if err != nil {
			return gatehouse.Errorf(gatehouse.Invalid, "--secret-key-file: %v", err)
		}
		secretKey = append([]byte{}, b...)
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
		fmt.Fprintf(c.stderr, "\nCreated the administrator %q with the one-time password:\n\n    %s\n\nSign in with it to choose a new password; it is not shown again.\n\n", admin.RootUsername, pw)
	} else if created {
		log.Info("created the administrator from --initial-admin-password-file", "username", admin.RootUsername)
	}

	// samlKeys signs the groups' AuthnRequests and is in their SP
	// metadata: the SAML sign-in routes take it.
	samlKeys, err := instancekey.Load(ctx, s, secretKey)
	if err != nil {
		return fmt.Errorf("load the SAML SP key pair: %w", err)
	}
	if secretKey == nil {
		log.Warn("the SAML SP private key is stored unencrypted in the database; give serve --secret-key-file (the same file on every node) to seal a new instance's key")
	}

	srv, err := server.New(server.Config{
		Addr:           *addr,
		BaseURL:        *baseURL, // empty: the server's default for addr and TLS
		TLSCertFile:    *tlsCert,
		TLSKeyFile:     *tlsKey,
		TrustedProxies: trusted,
		Logger:         log,
		DB:             s,
		DrainDelay:     *drainDelay,
		RequestTimeout: *requestTimeout,
	})
	if err != nil {
		return usagef("%v", err)
	}
	var demoIdP *demo.Demo // nil: no demo
	if *demoMode {
		demoIdP, err = demo.Setup(ctx, demo.Config{
			Store:   s,
			SSO:     &sso.Service{Store: s, BaseURL: srv.BaseURL().String(), Keys: sso.KeyPair{Key: samlKeys.Key, Certificate: samlKeys.Certificate}},
			SCIM:    srv, // the SCIM routes are registered below, before it serves
			BaseURL: srv.BaseURL().String(),
		})
		if err != nil {
			return fmt.Errorf("set up demo mode: %w", err)
		}
		log.Warn("demo mode: the demo group's identity provider is a simulator that signs anyone in; do not use this instance for real accounts")
		fmt.Fprintf(c.stderr, "\nDemo: open %s\n\n", demoIdP.SignInURL())
	}
	requestLog, err := scimlog.New(scimlog.Config{Store: s, Logger: log, Registerer: srv.Registry()})
	if err != nil {
		return err
	}
	accounts := &admin.Service{Store: s}
	// A SCIM group's membership change, or its new name, recomputes the
	// roles group links give, in the same transaction.
	provisioning := &provision.Service{Store: s,
		OnGroupMembersChanged: accounts.Roles().SCIMMembersChanged, OnGroupRenamed: accounts.Roles().SCIMMembersChanged}
	(&scimhttp.Handler{
		Store:      s,
		Provision:  provisioning,
		BaseURL:    srv.BaseURL().String(),
		Metrics:    scimhttp.NewMetrics(srv.Registry(), *groupLabels),
		RequestLog: requestLog,
		RateLimit:  *scimRate,
	}).Register(srv)
	signIn := &sso.Service{Store: s, BaseURL: srv.BaseURL().String(), Keys: sso.KeyPair{Key: samlKeys.Key, Certificate: samlKeys.Certificate},
		Admin: accounts}
	(&web.Handler{
		SSO:     signIn,
		Admin:   accounts,
		Secure:  srv.BaseURL().Scheme == "https",
		Metrics: web.NewMetrics(srv.Registry(), *groupLabels),
		Demo:    demoIdP,
	}).Register(srv)
	(&api.Handler{
		Store:     s,
		SSO:       signIn,
		Admin:     accounts,
		Provision: provisioning,
	}).Register(srv)
	refreshCtx, stopRefresh := context.WithCancel(ctx)
	refreshDone := make(chan struct{})
	go func() {
		defer close(refreshDone)
		refreshMetadata(refreshCtx, &admin.Service{Store: s}, log, metadataCheckInterval)
	}()
	sweepDone := make(chan struct{})
	go func() {
		defer close(sweepDone)
		sweepExpired(refreshCtx, signIn, log, sweepInterval)
	}()
	runErr := srv.Run(ctx)
	stopRefresh()
	<-refreshDone
	<-sweepDone
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

// metadataCheckInterval is how often serve looks for IdP metadata due for
// a refresh (admin.MetadataRefreshInterval after its last good fetch); a
// failed refresh is so tried again an hour later.
const metadataCheckInterval = time.Hour

// refreshMetadata refreshes the groups' IdP metadata at start and then
// every interval until ctx ends, logging what changed and what failed.
func refreshMetadata(ctx context.Context, svc *admin.Service, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		results, err := svc.RefreshSAMLMetadata(ctx, admin.System)
		for _, r := range results {
			switch {
			case r.Err != nil:
				log.Warn("the IdP metadata refresh failed; the last good copy stays in use", "group", r.Path, "err", gatehouse.ErrorMessage(r.Err))
				if r.RecordErr != nil {
					log.Error("recording the failed IdP metadata refresh failed; saml show will not warn about it", "group", r.Path, "err", r.RecordErr)
				}
			case len(r.Added) > 0:
				log.Info("the IdP metadata brings a new signing certificate, now trusted next to the old ones", "group", r.Path, "sha256", r.Added)
			default:
				log.Debug("refreshed the IdP metadata", "group", r.Path)
			}
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("refreshing the IdP metadata stopped early", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sweepInterval is how often serve deletes expired sign-in state.
const sweepInterval = 10 * time.Minute

// sweepExpired deletes expired sign-in state (SAML requests, the replay
// cache, continue flows, sessions, sign-in failure counters) every
// interval until ctx ends. Every node runs it; the deletes are idempotent.
func sweepExpired(ctx context.Context, svc *sso.Service, log *slog.Logger, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := svc.DeleteExpired(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("deleting expired sign-in state failed; it is tried again later", "err", err)
		case n > 0:
			log.Debug("deleted expired sign-in state", "rows", n)
		}
	}
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
