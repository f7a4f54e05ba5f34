package server

import (
	"context"
	"crypto/tls"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-sso/gatehouse"
)

// Defaults of the Config fields left at their zero value.
const (
	DefaultAddr              = "127.0.0.1:8080"
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 60 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultRequestTimeout    = 15 * time.Second
	DefaultMaxBodyBytes      = 1 << 20 // 1 MiB: SAML responses and SCIM bodies are far smaller
)

// DB is what the server needs of the database: a readiness probe and pool
// statistics for metrics. A store.Store satisfies it.
type DB interface {
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Stats reports connection-pool statistics by pool name.
	Stats() map[string]sql.DBStats
}

// Config configures a Server. Every field is optional unless its comment says
// otherwise; a zero value means the documented default. New validates all
// fields at once and reports every problem in one error.
type Config struct {
	// Addr is the TCP address Run listens on, host:port. Default
	// "127.0.0.1:8080". An empty host listens on every interface.
	Addr string

	// BaseURL is the public URL of the server, as users and identity providers
	// reach it (behind a proxy: the proxy's URL). It must be an absolute http or
	// https URL without query, fragment or user info; a trailing slash is
	// dropped. Routes are always served at the root, so a proxy that publishes
	// the server under a path prefix must strip it. Default
	// DefaultBaseURL(Addr), with https instead of http when TLS is configured.
	BaseURL string

	// TLSCertFile and TLSKeyFile, when both set, make the server speak HTTPS
	// itself (PEM files, the certificate file may hold the chain). Leave both
	// empty behind a TLS-terminating proxy. Setting only one is an error. The
	// files are read once by New: a renewed certificate needs a restart.
	TLSCertFile string
	TLSKeyFile  string

	// TrustedProxies lists the networks of the reverse proxies whose
	// X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and X-Request-Id
	// headers are believed. Requests from anywhere else have these headers
	// ignored, since any client can send them. Default: none.
	// ParseTrustedProxies reads the flag syntax.
	TrustedProxies []netip.Prefix

	// Logger receives the access log, errors and lifecycle messages. Default
	// slog.Default().
	Logger *slog.Logger

	// DB is the database behind /-/ready and the pool metrics. Required.
	DB DB

	// ReadHeaderTimeout bounds reading a request's headers; it is what stops
	// slow-loris clients. Default 10s.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included. Default 30s.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of the request headers to the
	// end of the response. Default 60s.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a keep-alive connection waits for the next
	// request. Default 120s.
	IdleTimeout time.Duration
	// ShutdownTimeout bounds how long Serve waits, once its context is
	// cancelled, for requests in flight to finish before it closes their
	// connections. Default 30s.
	ShutdownTimeout time.Duration
	// DrainDelay is how long Serve, once its context is cancelled, goes on
	// serving with /-/ready answering 503 (and keep-alives off) before it
	// closes the listener, so that a load balancer probing readiness stops
	// sending requests before they would be refused. Default 0: close at
	// once.
	DrainDelay time.Duration
	// RequestTimeout bounds the work of one request: its context ends after
	// this long, so a database that stops answering (or answers slowly)
	// turns into a 503 saying so instead of a request that waits without
	// end, and a connection-pool wait ends with it. It should stay below
	// WriteTimeout, or the connection is cut before the 503 is written.
	// Default 15s.
	RequestTimeout time.Duration

	// MaxBodyBytes bounds every request body; a handler that reads past it gets
	// an *http.MaxBytesError, which is rendered as 413. Default 1 MiB.
	MaxBodyBytes int64

	// Registry receives the server's metrics and is what /metrics serves.
	// Default: a private registry with the Go and process collectors. A
	// registry given here gets only the gatehouse metrics (add the runtime
	// collectors to it if wanted), and must not be shared by two Servers: their
	// metrics would collide.
	Registry *prometheus.Registry
}

// DefaultBaseURL returns the base URL used when none is configured for a
// server listening on addr: http://{addr}, with 127.0.0.1 in place of an empty
// or unspecified host (0.0.0.0, ::) since those are not addresses a browser or
// an identity provider can reach. An addr without a port is used as is.
func DefaultBaseURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// ParseTrustedProxies parses a comma-separated list of CIDR prefixes
// ("10.0.0.0/8") and bare IP addresses ("192.0.2.7", a one-address prefix), the
// syntax of --trusted-proxies. Spaces around entries and empty entries are
// ignored, so "" yields no proxies. The error names the first bad entry.
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		p, err := parseProxy(f)
		if err != nil {
			return nil, gatehouse.Errorf(gatehouse.Invalid,
				"trusted proxy %q is neither an IP address nor a CIDR prefix like 10.0.0.0/8", f)
		}
		out = append(out, p)
	}
	return out, nil
}

func parseProxy(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		// Masked so that 10.1.2.3/8 means 10.0.0.0/8, as every firewall reads it.
		return p.Masked(), nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	ip = ip.Unmap()
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// settings is a validated Config with defaults applied, plus what New derived
// from it.
type settings struct {
	Config
	baseURL *url.URL
	tls     *tls.Config // nil when the server speaks plain HTTP
}

// validate applies defaults and checks every field, collecting all problems so
// that an operator fixes a configuration in one round.
func (c Config) validate() (*settings, error) {
	s := &settings{Config: c}
	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}

	if s.Addr == "" {
		s.Addr = DefaultAddr
	}
	if _, _, err := net.SplitHostPort(s.Addr); err != nil {
		bad("address %q is not host:port", s.Addr)
	}

	switch {
	case s.TLSCertFile != "" && s.TLSKeyFile != "":
		cert, err := tls.LoadX509KeyPair(s.TLSCertFile, s.TLSKeyFile)
		if err != nil {
			bad("TLS certificate and key: %v", err)
		} else {
			s.tls = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
		}
	case s.TLSCertFile != "":
		bad("a TLS certificate file is set but no key file: set both or neither")
	case s.TLSKeyFile != "":
		bad("a TLS key file is set but no certificate file: set both or neither")
	}

	if s.BaseURL == "" {
		s.BaseURL = DefaultBaseURL(s.Addr)
		if s.TLSCertFile != "" || s.TLSKeyFile != "" {
			s.BaseURL = "https" + strings.TrimPrefix(s.BaseURL, "http")
		}
	}
	if u, msg := parseBaseURL(s.BaseURL); msg != "" {
		bad("base URL %q %s", s.BaseURL, msg)
	} else {
		s.baseURL = u
		s.BaseURL = u.String()
	}

	for i, p := range s.TrustedProxies {
		if !p.IsValid() {
			bad("trusted proxy %d is not a valid prefix", i+1)
		}
	}

	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	if s.DB == nil {
		bad("no database: DB is required")
	}

	durations := []struct {
		name string
		d    *time.Duration
		def  time.Duration
	}{
		{"read header timeout", &s.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"read timeout", &s.ReadTimeout, DefaultReadTimeout},
		{"write timeout", &s.WriteTimeout, DefaultWriteTimeout},
		{"idle timeout", &s.IdleTimeout, DefaultIdleTimeout},
		{"shutdown timeout", &s.ShutdownTimeout, DefaultShutdownTimeout},
		{"request timeout", &s.RequestTimeout, DefaultRequestTimeout},
	}
	for _, d := range durations {
		switch {
		case *d.d < 0:
			bad("%s %v is negative", d.name, *d.d)
		case *d.d == 0:
			*d.d = d.def
		}
	}
	if s.DrainDelay < 0 {
		bad("drain delay %v is negative", s.DrainDelay)
	}
	if s.RequestTimeout > 0 && s.WriteTimeout > 0 && s.RequestTimeout >= s.WriteTimeout {
		bad("request timeout %v must be shorter than the write timeout %v, or the answer to a late request is never sent", s.RequestTimeout, s.WriteTimeout)
	}
	switch {
	case s.MaxBodyBytes < 0:
		bad("maximum body size %d is negative", s.MaxBodyBytes)
	case s.MaxBodyBytes == 0:
		s.MaxBodyBytes = DefaultMaxBodyBytes
	}

	if len(problems) > 0 {
		return nil, &gatehouse.Error{
			Kind:    gatehouse.Invalid,
			Op:      "server.New",
			Message: "invalid configuration: " + strings.Join(problems, "; "),
		}
	}
	return s, nil
}

// parseBaseURL parses and normalizes a base URL; msg says what is wrong with
// it, completing a sentence that starts with the URL.
func parseBaseURL(s string) (u *url.URL, msg string) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, "does not parse"
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, "must start with http:// or https://"
	case u.Host == "" || u.Hostname() == "":
		return nil, "has no host"
	case u.User != nil:
		return nil, "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery:
		return nil, "must not have a query"
	case u.Fragment != "":
		return nil, "must not have a fragment"
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, ""
}
