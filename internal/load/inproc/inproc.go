// Package inproc starts Gatehouse servers in-process on loopback for the
// load tool and its tests: a new group with a SCIM token and, given an
// identity provider, the group's SAML configuration trusting it.
package inproc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"slices"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/instancekey"
	"github.com/gatehouse-sso/gatehouse/internal/load"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/api"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/server/web"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/storeurl"
)

// Config says what to start.
type Config struct {
	DB    string // sqlite:PATH or postgres://…
	Nodes int    // servers on the database; 0 means 1
	// IdP, when set, is the identity provider the group trusts (by
	// certificate, IdP-initiated sign-in allowed).
	IdP    *load.IdP
	Logger *slog.Logger // nil: errors only, to nowhere
}

// Cluster is the running servers.
type Cluster struct {
	SCIM  []string // the group's SCIM base URL on each node
	Nodes []string // each node's base URL, http://127.0.0.1:PORT
	Group string   // the group's path
	Token string   // its SCIM token

	stops []func()
}

// Close stops the servers and closes their stores.
func (c *Cluster) Close() {
	for _, s := range slices.Backward(c.stops) {
		s()
	}
	c.stops = nil
}

// Start opens the database, makes a group and a SCIM token (and, given an
// IdP, the group's SAML configuration trusting it), and serves the whole of
// Gatehouse on cfg.Nodes loopback ports, each node with its own store, as
// separate processes would. The nodes share one public base URL, the
// first's, as nodes behind a load balancer do.
func Start(ctx context.Context, cfg Config) (*Cluster, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n := max(cfg.Nodes, 1)
	cl := &Cluster{}
	fail := func(err error) (*Cluster, error) { cl.Close(); return nil, err }
	s, err := storeurl.Open(ctx, cfg.DB, log)
	if err != nil {
		return nil, err
	}
	cl.stops = append(cl.stops, func() { s.Close() })
	b := make([]byte, 4)
	rand.Read(b)
	suffix := hex.EncodeToString(b)
	svc := &admin.Service{Store: s, PasswordParams: password.DefaultParams}
	if _, err := svc.CreateUser(ctx, admin.System, admin.NewUser{Username: "load-owner-" + suffix, Email: "load-owner-" + suffix + "@load.example"}); err != nil {
		return fail(err)
	}
	g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "load." + suffix, Owner: "load-owner-" + suffix})
	if err != nil {
		return fail(err)
	}
	cl.Group = g.Path
	if cl.Token, _, err = svc.ResetSCIMTokens(ctx, admin.System, g.Path); err != nil {
		return fail(err)
	}
	if cfg.IdP != nil {
		_, _, err := svc.ConfigureSAML(ctx, admin.System, g.Path, admin.SAMLSettings{
			SSOURL: cfg.IdP.SSOURL, IdPEntityID: cfg.IdP.EntityID, AllowIdPInitiated: true,
			Certificates: []admin.PEMFile{{Name: "gatehouse-load IdP", Data: cfg.IdP.CertPEM()}}})
		if err != nil {
			return fail(fmt.Errorf("configure the group's SAML: %w", err))
		}
	}
	lns := make([]net.Listener, n)
	for i := range lns {
		if lns[i], err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return fail(err)
		}
		ln := lns[i]
		cl.stops = append(cl.stops, func() { ln.Close() })
	}
	base := "http://" + lns[0].Addr().String()
	for i, ln := range lns {
		ns := s
		if i > 0 {
			if ns, err = storeurl.Open(ctx, cfg.DB, log); err != nil {
				return fail(err)
			}
			cl.stops = append(cl.stops, func() { ns.Close() })
		}
		stop, err := serve(ns, ln, base, log)
		if err != nil {
			return fail(err)
		}
		cl.stops = append(cl.stops, stop)
		cl.Nodes = append(cl.Nodes, "http://"+ln.Addr().String())
		cl.SCIM = append(cl.SCIM, fmt.Sprintf("http://%s%s%d", ln.Addr(), scimhttp.Prefix, g.ID))
	}
	return cl, nil
}

// serve serves SCIM, SAML sign-in and the API over s on ln, as gatehouse
// serve does, until the returned stop is called.
func serve(s store.Store, ln net.Listener, base string, log *slog.Logger) (func(), error) {
	ctx := context.Background()
	keys, err := instancekey.Load(ctx, s, nil)
	if err != nil {
		return nil, err
	}
	srv, err := server.New(server.Config{Addr: ln.Addr().String(), BaseURL: base, Logger: log, DB: s})
	if err != nil {
		return nil, err
	}
	// The SCIM request log is on, as in gatehouse serve: its writes share
	// the database with the load.
	requestLog, err := scimlog.New(scimlog.Config{Store: s, Logger: log})
	if err != nil {
		return nil, err
	}
	accounts := &admin.Service{Store: s}
	provisioning := &provision.Service{Store: s,
		OnGroupMembersChanged: accounts.Roles().SCIMMembersChanged, OnGroupRenamed: accounts.Roles().SCIMMembersChanged}
	(&scimhttp.Handler{Store: s, Provision: provisioning, BaseURL: base, RequestLog: requestLog}).Register(srv)
	signIn := &sso.Service{Store: s, BaseURL: base, Keys: sso.KeyPair{Key: keys.Key, Certificate: keys.Certificate}, Admin: accounts}
	(&web.Handler{SSO: signIn, Admin: accounts}).Register(srv)
	(&api.Handler{Store: s, SSO: signIn, Admin: accounts, Provision: provisioning}).Register(srv)
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	return func() {
		cancel()
		<-done
		requestLog.Close(context.Background())
	}, nil
}
