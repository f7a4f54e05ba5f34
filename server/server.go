// Package server is the HTTP assembly of Gatehouse: one listener, one
// ServeMux with Go 1.22 patterns, the middleware every request passes through,
// and the one place where errors returned by handlers become responses.
//
// The surfaces (SCIM, SAML, the admin API, web pages) register their routes on
// a Server with Handle. Their handlers return errors instead of writing error
// responses, as in caddy; the Server logs each error with the request id and
// renders it, as JSON by default or with the route's own ErrorRenderer.
//
// Every request passes, outermost first, through: security headers, client
// information (X-Forwarded-* believed only from Config.TrustedProxies), the
// request id, the access log and metrics, panic recovery, the body limit, and
// the request deadline (Config.RequestTimeout).
// Built in are GET /-/health (the process is up), GET /-/ready (the database
// answers and the server is not shutting down) and GET /metrics (Prometheus).
//
// A Server is safe for concurrent use; routes may be registered while it
// serves, though they normally all are before Run.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gatehouse-sso/gatehouse"
)

// Server serves Gatehouse's HTTP surface. Create it with New.
type Server struct {
	cfg      *settings
	log      *slog.Logger
	mux      *http.ServeMux
	handler  http.Handler // the middleware chain around mux
	registry *prometheus.Registry
	metrics  *httpMetrics

	mu       sync.Mutex // protects patterns
	patterns []string   // every pattern registered, for Routes

	// draining is closed when shutdown begins; /-/ready answers 503 from then
	// on so that load balancers stop sending new requests.
	draining  chan struct{}
	drainOnce sync.Once
}

// New validates cfg, reporting every problem at once in an error of kind
// gatehouse.Invalid, and returns a Server with the built-in routes registered.
// It reads the TLS files, if any, and registers the metrics on cfg.Registry; it
// does not listen yet.
func New(cfg Config) (*Server, error) {
	c, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	reg, m, err := registerMetrics(c.Registry, c.DB)
	if err != nil {
		return nil, &gatehouse.Error{Kind: gatehouse.Invalid, Op: "server.New",
			Message: "invalid configuration: metrics registry already has gatehouse metrics", Err: err}
	}
	s := &Server{
		cfg:      c,
		log:      c.Logger,
		mux:      http.NewServeMux(),
		registry: reg,
		metrics:  m,
		draining: make(chan struct{}),
	}
	s.handler = chain(s.mux,
		s.securityHeaders,
		s.clientInfo,
		s.requestID,
		s.observe,
		s.recoverPanics,
		s.limitBody,
		s.deadline,
	)

	quiet := func(rt *route) { rt.quiet = true }
	s.HandleFunc("GET /-/health", s.health, quiet)
	s.HandleFunc("GET /-/ready", s.ready, quiet)
	s.HandleHTTP("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelError),
		// A broken collector should not blank every other metric.
		ErrorHandling: promhttp.ContinueOnError,
	}), quiet)
	return s, nil
}

// BaseURL returns the public base URL, without a trailing slash. The caller
// may modify the returned URL.
func (s *Server) BaseURL() *url.URL {
	u := *s.cfg.baseURL
	return &u
}

// Registry returns the registry /metrics serves, for packages that add their
// own metrics.
func (s *Server) Registry() *prometheus.Registry {
	return s.registry
}

// Handle registers h for pattern, a ServeMux pattern such as
// "GET /api/scim/v2/groups/{group}/Users". Errors h returns are logged and
// rendered with RenderJSONError, or the renderer given by WithErrorRenderer.
// Like http.ServeMux.Handle, it panics when the pattern is malformed or
// conflicts with one already registered: that is a programming error found at
// start-up, not a condition to handle.
func (s *Server) Handle(pattern string, h Handler, opts ...HandleOption) {
	rt := &route{}
	for _, o := range opts {
		o(rt)
	}
	s.register(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.enterRoute(r, rt)
		if err := h.ServeHTTPErr(w, r); err != nil {
			s.handleError(w, r, err)
		}
	}))
}

// register adds h to the mux and remembers its pattern.
func (s *Server) register(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h) // panics on a bad pattern, before it is remembered
	s.mu.Lock()
	s.patterns = append(s.patterns, pattern)
	s.mu.Unlock()
}

// Routes returns the patterns registered so far, sorted, as they were given
// to Handle, HandleFunc and HandleHTTP ("GET /api/v4/user"). Tests use it to
// hold documents that list routes, such as an OpenAPI document, to what is
// really served.
func (s *Server) Routes() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.patterns))
}

// HandleFunc registers f for pattern, as Handle does.
func (s *Server) HandleFunc(pattern string, f func(http.ResponseWriter, *http.Request) error, opts ...HandleOption) {
	s.Handle(pattern, HandlerFunc(f), opts...)
}

// HandleHTTP registers a plain http.Handler for pattern, for handlers that
// write all their responses themselves (file servers, third-party handlers).
// It still gets the middleware; the renderer option only affects how a panic
// is rendered.
func (s *Server) HandleHTTP(pattern string, h http.Handler, opts ...HandleOption) {
	rt := &route{}
	for _, o := range opts {
		o(rt)
	}
	s.register(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.enterRoute(r, rt)
		h.ServeHTTP(w, r)
	}))
}

// enterRoute records the matched route for the middleware outside the mux.
// r.Pattern is read here, inside the route, because the mux sets it only on
// the request it hands to the route; and because requests the mux answers
// itself (404, 405, redirects) never get here, they stay "unmatched".
func (s *Server) enterRoute(r *http.Request, rt *route) {
	info, _ := ensureInfo(r)
	info.route = r.Pattern
	info.render = rt.render
	info.quiet = rt.quiet
}

// ServeHTTP serves r through the middleware and the routes, so a Server can
// be mounted in an httptest.Server or another http.Server.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.handler.ServeHTTP(w, r)
}

// Run listens on Config.Addr and serves until ctx is cancelled, then shuts
// down gracefully (see Serve).
func (s *Server) Run(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Addr)
	if err != nil {
		return &gatehouse.Error{Kind: gatehouse.Unavailable, Op: "server.Run",
			Message: fmt.Sprintf("cannot listen on %s", s.cfg.Addr), Err: err}
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln (closing it when done) until ctx is cancelled. Then
// /-/ready starts answering 503, requests are still served for
// Config.DrainDelay (each connection closed after its response), the
// listener closes, idle connections close, and Serve waits up to
// Config.ShutdownTimeout for requests in flight to finish before it closes
// their connections. It returns nil after a clean shutdown, and an error
// when serving failed or the drain timed out. Requests' contexts do not
// derive from ctx, so cancelling ctx lets them complete. Serve is meant to
// be called once per Server.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           http.HandlerFunc(s.serveDraining),
		TLSConfig:         s.cfg.tls,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	useTLS := hs.TLSConfig != nil // read before the serving goroutine owns hs
	served := make(chan error, 1)
	go func() {
		if useTLS {
			served <- hs.ServeTLS(ln, "", "") // the certificate is in TLSConfig
		} else {
			served <- hs.Serve(ln)
		}
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "base_url", s.cfg.BaseURL, "tls", useTLS)

	select {
	case err := <-served:
		// Serve returned without Shutdown: the listener failed.
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	if d := s.cfg.DrainDelay; d > 0 {
		// Logged before draining begins, so that anyone who sees the drain
		// (a test waiting on s.draining) finds it in the log.
		s.log.Info("draining", "drain_delay", d.String())
	}
	s.drainOnce.Do(func() { close(s.draining) })
	start := time.Now()
	if d := s.cfg.DrainDelay; d > 0 {
		// Still serving, but /-/ready says 503 and every response closes
		// its connection (serveDraining), so clients come back through the
		// load balancer to another node.
		select {
		case <-time.After(d):
		case err := <-served:
			return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
		}
	}
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		hs.Close() // cut the requests that did not finish in time
		return fmt.Errorf("shut down: %w", err)
	}
	s.log.Info("stopped", "drained_in", time.Since(start).String())
	return nil
}

// serveDraining serves r, closing its connection after the response once
// shutdown has begun. Idle keep-alive connections are left open meanwhile:
// closing one races with a request its client may be sending on it, which
// would get no answer at all, while a request on it now gets a whole answer
// and the client then opens a new connection.
func (s *Server) serveDraining(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.draining:
		w.Header().Set("Connection", "close")
	default:
	}
	s.handler.ServeHTTP(w, r)
}

var _ http.Handler = (*Server)(nil)
