package server

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// reqInfo is what the middleware learns about a request. One pointer travels in
// the request context, so that the middleware outside the ServeMux can read
// what the route wrapper inside it recorded (the pattern, the renderer) even
// though each layer may hand a shallow copy of the request to the next.
type reqInfo struct {
	id       string
	logger   *slog.Logger
	clientIP netip.Addr
	scheme   string
	host     string

	// Set by the route wrapper once the ServeMux has matched a route.
	route  string
	render ErrorRenderer
	quiet  bool // access-log at Debug: probes and scrapes would drown the log

	rec *responseRecorder // set by the observe middleware
}

type ctxKey struct{}

func infoFrom(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return info
}

// ensureInfo returns the request's reqInfo, attaching a new one (and returning
// the request that carries it) when no middleware has yet.
func ensureInfo(r *http.Request) (*reqInfo, *http.Request) {
	if info := infoFrom(r.Context()); info != nil {
		return info, r
	}
	info := &reqInfo{}
	return info, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info))
}

// RequestID returns the id of the request ctx belongs to: the X-Request-Id a
// trusted proxy sent, or one the server generated. It is echoed in the
// X-Request-Id response header, attached to every log line of the request and
// used as the reference of rendered errors. It returns "" outside a request
// served by a Server.
func RequestID(ctx context.Context) string {
	if info := infoFrom(ctx); info != nil {
		return info.id
	}
	return ""
}

// Logger returns the logger of the request ctx belongs to, which adds the
// request id to every line so that a handler's lines can be found next to the
// access log line. Outside a request it returns slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if info := infoFrom(ctx); info != nil && info.logger != nil {
		return info.logger
	}
	return slog.Default()
}

// ClientIP returns the address of the client that sent r: the rightmost
// X-Forwarded-For hop that is not a trusted proxy when r came from a trusted
// proxy, else the peer address. It is the zero Addr only when r.RemoteAddr is
// not an IP address (which net/http never produces for TCP).
func ClientIP(r *http.Request) netip.Addr {
	if info := infoFrom(r.Context()); info != nil && info.clientIP.IsValid() {
		return info.clientIP
	}
	return remoteIP(r)
}

// Scheme returns "https" or "http": the scheme the client used, which is the
// X-Forwarded-Proto of a trusted proxy, else whether r came over TLS.
func Scheme(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil && info.scheme != "" {
		return info.scheme
	}
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// Host returns the host (and port, if any) the client asked for: the
// X-Forwarded-Host of a trusted proxy, else r.Host. Links shown to users and
// identity providers should be built from the configured base URL instead;
// Host is for diagnostics and for checks that the two agree.
func Host(r *http.Request) string {
	if info := infoFrom(r.Context()); info != nil && info.host != "" {
		return info.host
	}
	return r.Host
}

// remoteIP is the peer address of r's connection.
func remoteIP(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap()
	}
	// RemoteAddr without a port (set by hand, e.g. in tests).
	ip, _ := netip.ParseAddr(r.RemoteAddr)
	return ip.Unmap()
}

// trusted reports whether ip is one of the configured proxies.
func (s *Server) trusted(ip netip.Addr) bool {
	if !ip.IsValid() {
		return false
	}
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// forwardedClient walks X-Forwarded-For from the right, the end the nearest
// proxy appended to, past trusted proxies. The first untrusted hop is the
// client: everything left of it was written by that client and may be forged.
// When every hop is trusted the leftmost is the client. An entry that does not
// parse stops the walk at the last address known good, since a trusted proxy
// would not have written it.
func (s *Server) forwardedClient(r *http.Request, peer netip.Addr) netip.Addr {
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		ip, ok := parseHop(strings.TrimSpace(hops[i]))
		if !ok {
			return client
		}
		client = ip
		if !s.trusted(ip) {
			return client
		}
	}
	return client
}

// parseHop parses one X-Forwarded-For entry: an IP address, optionally with a
// port ("192.0.2.1:1234", "[2001:db8::1]:1234"), as some proxies write it.
func parseHop(s string) (netip.Addr, bool) {
	if ip, err := netip.ParseAddr(s); err == nil {
		return ip.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// lastValue returns the rightmost element of a possibly comma-separated header:
// the one the nearest (trusted) proxy wrote.
func lastValue(h http.Header, name string) string {
	vs := h.Values(name)
	if len(vs) == 0 {
		return ""
	}
	v := vs[len(vs)-1]
	if i := strings.LastIndexByte(v, ','); i >= 0 {
		v = v[i+1:]
	}
	return strings.TrimSpace(v)
}

// validHost accepts what may follow "//" in a URL up to the path: a DNS name
// or IP literal with an optional port. It keeps a forwarded header from
// smuggling a path, user info or spaces into links and logs.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	host := h
	if hh, port, err := net.SplitHostPort(h); err == nil {
		for _, c := range port {
			if c < '0' || c > '9' {
				return false
			}
		}
		host = hh
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		_, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	for _, c := range host {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return host != ""
}

// validRequestID accepts the ids proxies generate (UUIDs, hex, base32/64)
// and nothing that could mangle a header or a log line.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:+/=@", c)) {
			return false
		}
	}
	return true
}

// newRequestID returns 128 random bits in base32, enough that ids never
// collide and cannot be guessed.
func newRequestID() string {
	return rand.Text()
}

// AccessToken returns the token a request carries for the API, in GitLab's
// PRIVATE-TOKEN header or as an "Authorization: Bearer" token: "" when it
// carries none. ok is false when the Authorization header holds something
// other than a Bearer token (Basic, say), which the caller refuses.
func AccessToken(r *http.Request) (token string, ok bool) {
	token = r.Header.Get("PRIVATE-TOKEN")
	if a := r.Header.Get("Authorization"); token == "" && a != "" {
		scheme, t, found := strings.Cut(a, " ")
		if !found || !strings.EqualFold(scheme, "Bearer") {
			return "", false
		}
		token = strings.TrimSpace(t)
	}
	return token, true
}
