package server

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-sso/gatehouse"
)

func TestDefaultBaseURL(t *testing.T) {
	tests := []struct {
		name, addr, want string
	}{
		{"host and port", "127.0.0.1:8080", "http://127.0.0.1:8080"},
		{"empty host", ":8080", "http://127.0.0.1:8080"},
		{"unspecified v4", "0.0.0.0:9000", "http://127.0.0.1:9000"},
		{"unspecified v6", "[::]:9000", "http://127.0.0.1:9000"},
		{"name", "sso.example.com:443", "http://sso.example.com:443"},
		{"v6", "[::1]:8080", "http://[::1]:8080"},
		{"no port", "localhost", "http://localhost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DefaultBaseURL(tt.addr); got != tt.want {
				t.Errorf("DefaultBaseURL(%q) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestParseTrustedProxies(t *testing.T) {
	p := netip.MustParsePrefix
	tests := []struct {
		name    string
		in      string
		want    []netip.Prefix
		wantErr string // substring of the error; "" for success
	}{
		{name: "empty", in: "", want: nil},
		{name: "blanks", in: " , ,", want: nil},
		{name: "cidrs and ips", in: "10.0.0.0/8, 192.0.2.7,2001:db8::/32 ,::1",
			want: []netip.Prefix{p("10.0.0.0/8"), p("192.0.2.7/32"), p("2001:db8::/32"), p("::1/128")}},
		{name: "host bits masked", in: "10.1.2.3/8", want: []netip.Prefix{p("10.0.0.0/8")}},
		{name: "v4-mapped ip", in: "::ffff:10.0.0.1", want: []netip.Prefix{p("10.0.0.1/32")}},
		{name: "bad bits", in: "10.0.0.0/33", wantErr: `"10.0.0.0/33"`},
		{name: "names the bad entry", in: "10.0.0.1, proxy.internal", wantErr: `"proxy.internal"`},
		{name: "ip with port", in: "10.0.0.1:80", wantErr: `"10.0.0.1:80"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTrustedProxies(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !gatehouse.IsKind(err, gatehouse.Invalid) {
					t.Errorf("ParseTrustedProxies(%q) error = %v, want an invalid error naming %s", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Errorf("ParseTrustedProxies(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  Config
		want []string // substrings the error must all contain
	}{
		{"cert without key", Config{TLSCertFile: "cert.pem"}, []string{"no key file"}},
		{"key without cert", Config{TLSKeyFile: "key.pem"}, []string{"no certificate file"}},
		{"unreadable pair", Config{TLSCertFile: garbage, TLSKeyFile: garbage}, []string{"TLS certificate and key"}},
		{"relative base URL", Config{BaseURL: "sso.example.com"}, []string{`base URL "sso.example.com"`, "http:// or https://"}},
		{"base URL scheme", Config{BaseURL: "ftp://sso.example.com"}, []string{"http:// or https://"}},
		{"base URL without host", Config{BaseURL: "https://"}, []string{"has no host"}},
		{"base URL with query", Config{BaseURL: "https://sso.example.com/?a=b"}, []string{"query"}},
		{"base URL with user", Config{BaseURL: "https://u:p@sso.example.com"}, []string{"user name"}},
		{"bad addr", Config{Addr: "8080"}, []string{`address "8080"`}},
		{"invalid proxy prefix", Config{TrustedProxies: []netip.Prefix{{}}}, []string{"trusted proxy 1"}},
		{"negative timeout", Config{WriteTimeout: -time.Second}, []string{"write timeout"}},
		{"negative body limit", Config{MaxBodyBytes: -1}, []string{"maximum body size"}},
		{"negative request timeout", Config{RequestTimeout: -time.Second}, []string{"request timeout"}},
		{"request timeout past write timeout", Config{RequestTimeout: time.Minute, WriteTimeout: time.Minute},
			[]string{"request timeout 1m0s must be shorter than the write timeout 1m0s"}},
		{"all at once", Config{TLSCertFile: "c.pem", BaseURL: "nope", MaxBodyBytes: -1},
			[]string{"no key file", `base URL "nope"`, "maximum body size"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.DB == nil {
				tt.cfg.DB = &fakeDB{}
			}
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("New(%+v) succeeded, want an error", tt.cfg)
			}
			if !gatehouse.IsKind(err, gatehouse.Invalid) {
				t.Errorf("New error kind = %v, want invalid", gatehouse.ErrorKind(err))
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("New error = %q, want it to contain %q", err, w)
				}
			}
		})
	}

	t.Run("no DB", func(t *testing.T) {
		_, err := New(Config{})
		if err == nil || !strings.Contains(err.Error(), "DB is required") {
			t.Errorf("New without DB error = %v, want DB is required", err)
		}
	})
	t.Run("shared registry", func(t *testing.T) {
		reg := prometheus.NewRegistry()
		if _, err := New(Config{DB: &fakeDB{}, Registry: reg}); err != nil {
			t.Fatalf("first New: %v", err)
		}
		if _, err := New(Config{DB: &fakeDB{}, Registry: reg}); err == nil {
			t.Error("second New on the same registry succeeded, want an error")
		}
	})
}

func TestNewDefaults(t *testing.T) {
	certFile, keyFile, _ := writeCert(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"default addr", Config{}, "http://127.0.0.1:8080"},
		{"addr", Config{Addr: ":9090"}, "http://127.0.0.1:9090"},
		{"tls makes https", Config{Addr: "0.0.0.0:8443", TLSCertFile: certFile, TLSKeyFile: keyFile}, "https://127.0.0.1:8443"},
		{"trailing slash dropped", Config{BaseURL: "https://sso.example.com/"}, "https://sso.example.com"},
		{"path kept", Config{BaseURL: "https://example.com/sso/"}, "https://example.com/sso"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, tt.cfg)
			if got := s.BaseURL().String(); got != tt.want {
				t.Errorf("BaseURL() = %q, want %q", got, tt.want)
			}
		})
	}

	s, _ := newTestServer(t, Config{})
	c := s.cfg
	if c.ReadHeaderTimeout != 10*time.Second || c.ReadTimeout != 30*time.Second || c.WriteTimeout != 60*time.Second ||
		c.IdleTimeout != 120*time.Second || c.ShutdownTimeout != 30*time.Second || c.MaxBodyBytes != 1<<20 ||
		c.RequestTimeout != 15*time.Second {
		t.Errorf("defaults = %+v, want the documented ones", c.Config)
	}
}
