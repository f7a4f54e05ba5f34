package server

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientInfo(t *testing.T) {
	proxies, err := ParseTrustedProxies("10.0.0.0/8, 2001:db8::1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		remote     string
		tls        bool
		header     http.Header
		wantIP     string
		wantScheme string
		wantHost   string
	}{
		{
			name:   "direct client",
			remote: "203.0.113.9:5555",
			wantIP: "203.0.113.9", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "direct over TLS",
			remote: "203.0.113.9:5555", tls: true,
			wantIP: "203.0.113.9", wantScheme: "https", wantHost: "sso.example.com",
		},
		{
			name:   "spoofed headers from an untrusted client are ignored",
			remote: "203.0.113.9:5555",
			header: http.Header{
				"X-Forwarded-For":   {"198.51.100.1"},
				"X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host":  {"evil.example"},
			},
			wantIP: "203.0.113.9", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "trusted proxy",
			remote: "10.1.2.3:40000",
			header: http.Header{
				"X-Forwarded-For":   {"198.51.100.1"},
				"X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host":  {"login.example.com"},
			},
			wantIP: "198.51.100.1", wantScheme: "https", wantHost: "login.example.com",
		},
		{
			name:   "client-forged hops left of the real client are ignored",
			remote: "10.1.2.3:40000",
			header: http.Header{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1"}},
			wantIP: "198.51.100.1", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "chain of trusted proxies across header lines",
			remote: "10.1.2.3:40000",
			header: http.Header{"X-Forwarded-For": {"1.2.3.4, 198.51.100.1", "10.9.9.9"}},
			wantIP: "198.51.100.1", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "all hops trusted",
			remote: "10.1.2.3:40000",
			header: http.Header{"X-Forwarded-For": {"10.5.5.5, 10.9.9.9"}},
			wantIP: "10.5.5.5", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "hop with port",
			remote: "10.1.2.3:40000",
			header: http.Header{"X-Forwarded-For": {"[2001:db8::99]:1234"}},
			wantIP: "2001:db8::99", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "garbage hop stops at the last good address",
			remote: "10.1.2.3:40000",
			header: http.Header{"X-Forwarded-For": {"198.51.100.1, unknown"}},
			wantIP: "10.1.2.3", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "no X-Forwarded-For from a proxy",
			remote: "10.1.2.3:40000",
			wantIP: "10.1.2.3", wantScheme: "http", wantHost: "sso.example.com",
		},
		{
			name:   "v6 proxy, nearest proto and host win, bad values ignored",
			remote: "[2001:db8::1]:40000",
			header: http.Header{
				"X-Forwarded-For":   {"198.51.100.1"},
				"X-Forwarded-Proto": {"http, HTTPS"},
				"X-Forwarded-Host":  {"login.example.com/evil path"},
			},
			wantIP: "198.51.100.1", wantScheme: "https", wantHost: "sso.example.com",
		},
		{
			name:   "unknown proto ignored",
			remote: "10.1.2.3:40000", tls: true,
			header: http.Header{"X-Forwarded-Proto": {"gopher"}, "X-Forwarded-Host": {"[2001:db8::5]:8443"}},
			wantIP: "10.1.2.3", wantScheme: "https", wantHost: "[2001:db8::5]:8443",
		},
		{
			name:   "v4-mapped peer address is trusted as v4",
			remote: "[::ffff:10.1.2.3]:40000",
			header: http.Header{"X-Forwarded-For": {"198.51.100.1"}},
			wantIP: "198.51.100.1", wantScheme: "http", wantHost: "sso.example.com",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{TrustedProxies: proxies})
			s.HandleFunc("GET /who", func(w http.ResponseWriter, r *http.Request) error {
				fmt.Fprintf(w, "%s %s %s", ClientIP(r), Scheme(r), Host(r))
				return nil
			})
			r := httptest.NewRequest("GET", "http://sso.example.com/who", nil)
			r.RemoteAddr = tt.remote
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for k, vs := range tt.header {
				r.Header[k] = vs
			}
			_, body := serve(t, s, r)
			want := fmt.Sprintf("%s %s %s", netip.MustParseAddr(tt.wantIP), tt.wantScheme, tt.wantHost)
			if body != want {
				t.Errorf("client info = %q, want %q", body, want)
			}
		})
	}
}

func TestAccessorsOutsideServer(t *testing.T) {
	r := httptest.NewRequest("GET", "http://h.example/x", nil)
	r.RemoteAddr = "192.0.2.1:1234"
	if got := ClientIP(r); got != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("ClientIP = %v, want the peer", got)
	}
	if got := Scheme(r); got != "http" {
		t.Errorf("Scheme = %q, want http", got)
	}
	if got := Host(r); got != "h.example" {
		t.Errorf("Host = %q, want h.example", got)
	}
	if got := RequestID(r.Context()); got != "" {
		t.Errorf("RequestID = %q, want empty", got)
	}
	if Logger(r.Context()) == nil {
		t.Error("Logger = nil, want the default logger")
	}
}

func TestRequestIDFromProxy(t *testing.T) {
	proxies, _ := ParseTrustedProxies("10.0.0.0/8")
	s, _ := newTestServer(t, Config{TrustedProxies: proxies})
	tests := []struct {
		name     string
		remote   string
		incoming string
		keep     bool
	}{
		{"trusted proxy id kept", "10.0.0.1:1", "3f0c8a4e-0b1d-4a43-9d3e-0d4d8f6a2b11", true},
		{"untrusted client id replaced", "203.0.113.9:1", "3f0c8a4e-0b1d-4a43-9d3e-0d4d8f6a2b11", false},
		{"insane id from proxy replaced", "10.0.0.1:1", "a b\"c", false},
		{"overlong id from proxy replaced", "10.0.0.1:1", string(make([]byte, 200)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/-/health", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Request-Id", tt.incoming)
			res, _ := serve(t, s, r)
			got := res.Header.Get("X-Request-Id")
			if (got == tt.incoming) != tt.keep || got == "" {
				t.Errorf("X-Request-Id = %q for incoming %q, want kept=%v", got, tt.incoming, tt.keep)
			}
		})
	}
}
