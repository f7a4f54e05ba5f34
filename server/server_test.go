package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

func TestHealthAndReady(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		pingErr    error
		wantStatus int
		wantBody   string
	}{
		{"health", "/-/health", nil, 200, "ok"},
		{"health ignores the database", "/-/health", errors.New("down"), 200, "ok"},
		{"ready", "/-/ready", nil, 200, "ok"},
		{"not ready", "/-/ready", &gatehouse.Error{Kind: gatehouse.Unavailable,
			Err: errors.New("dial postgres://gh:hunter2@db.internal:5432: connection refused")}, 503, "database unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{DB: &fakeDB{pingErr: tt.pingErr}})
			res, body := serve(t, s, httptest.NewRequest("GET", tt.path, nil))
			if res.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.path, res.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if tt.pingErr != nil && tt.path == "/-/ready" && !strings.Contains(logs.String(), "connection refused") {
				t.Errorf("the ping error was not logged; log:\n%s", logs)
			}
		})
	}
}

func TestRequestIDAndAccessLog(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.HandleFunc("POST /groups/{group}/things", func(w http.ResponseWriter, r *http.Request) error {
		Logger(r.Context()).Info("handler says hi", "group", r.PathValue("group"))
		if got, want := RequestID(r.Context()), w.Header().Get("X-Request-Id"); got != want {
			t.Errorf("RequestID(ctx) = %q, want the response header %q", got, want)
		}
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "created")
		return nil
	})

	paths := []struct {
		method, path string
		wantRoute    string
		wantStatus   int
	}{
		{"POST", "/groups/acme/things?token=secret", "POST /groups/{group}/things", 201},
		{"GET", "/groups/acme/things", "unmatched", 405},
		{"GET", "/nowhere", "unmatched", 404},
		{"GET", "/-/health", "GET /-/health", 200},
	}
	ids := map[string]bool{}
	for _, p := range paths {
		r := httptest.NewRequest(p.method, p.path, nil)
		r.RemoteAddr = "192.0.2.44:5000"
		res, body := serve(t, s, r)
		id := res.Header.Get("X-Request-Id")
		if id == "" || ids[id] {
			t.Errorf("%s %s: X-Request-Id = %q, want a fresh id", p.method, p.path, id)
		}
		ids[id] = true

		var line map[string]any
		for _, rec := range logs.find(t, "request") {
			if rec["request_id"] == id {
				line = rec
			}
		}
		if line == nil {
			t.Fatalf("%s %s: no access log line with request id %q; log:\n%s", p.method, p.path, id, logs)
		}
		want := map[string]any{
			"method": p.method, "route": p.wantRoute, "status": float64(p.wantStatus),
			"bytes": float64(len(body)), "client_ip": "192.0.2.44",
		}
		for k, v := range want {
			if line[k] != v {
				t.Errorf("%s %s: access log %s = %v, want %v", p.method, p.path, k, line[k], v)
			}
		}
		if _, ok := line["duration"]; !ok {
			t.Errorf("%s %s: access log lacks duration", p.method, p.path)
		}
		if strings.Contains(line["path"].(string), "secret") {
			t.Errorf("access log path %q contains the query", line["path"])
		}
		wantLevel := "INFO"
		if p.wantRoute == "GET /-/health" {
			wantLevel = "DEBUG" // probes stay out of the normal log
		}
		if line["level"] != wantLevel {
			t.Errorf("%s %s: access log level = %v, want %s", p.method, p.path, line["level"], wantLevel)
		}
	}

	hi := logs.find(t, "handler says hi")
	if len(hi) != 1 || !ids[hi[0]["request_id"].(string)] {
		t.Errorf("handler log line = %v, want it to carry the request id", hi)
	}
}

func TestSecurityHeaders(t *testing.T) {
	tests := []struct {
		name     string
		baseURL  string
		wantHSTS bool
	}{
		{"plain http", "http://127.0.0.1:8080", false},
		{"https behind a proxy", "https://sso.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := newTestServer(t, Config{BaseURL: tt.baseURL})
			s.HandleFunc("GET /err", func(w http.ResponseWriter, r *http.Request) error {
				return gatehouse.Errorf(gatehouse.Forbidden, "no")
			})
			for _, path := range []string{"/-/health", "/err", "/missing"} {
				res, _ := serve(t, s, httptest.NewRequest("GET", path, nil))
				if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
					t.Errorf("GET %s X-Content-Type-Options = %q, want nosniff", path, got)
				}
				if got := res.Header.Get("Referrer-Policy"); got != "no-referrer" {
					t.Errorf("GET %s Referrer-Policy = %q, want no-referrer", path, got)
				}
				if got := res.Header.Get("Strict-Transport-Security"); (got != "") != tt.wantHSTS {
					t.Errorf("GET %s Strict-Transport-Security = %q, want present=%v", path, got, tt.wantHSTS)
				}
			}
		})
	}
}

// startServing runs s.Serve on a fresh loopback listener and returns its base
// URL, the cancel that stops it and a channel with Serve's result.
func startServing(t *testing.T, s *Server) (url string, cancel context.CancelFunc, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- s.Serve(ctx, ln)
		// Closed so that the cleanup's receive returns even when the test has
		// taken the result already.
		close(errc)
	}()
	t.Cleanup(func() {
		cancel()
		<-errc
	})
	scheme := "http"
	if s.cfg.tls != nil {
		scheme = "https"
	}
	return scheme + "://" + ln.Addr().String(), cancel, errc
}

func TestGracefulShutdownDrains(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	entered := make(chan struct{})
	release := make(chan struct{})
	s.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		<-release
		io.WriteString(w, "finished")
		return nil
	})
	base, cancel, done := startServing(t, s)

	type result struct {
		status int
		body   string
		err    error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get(base + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{res.StatusCode, string(b), err}
	}()

	<-entered
	cancel()
	<-s.draining // shutdown has begun

	// Readiness reports the shutdown while the slow request is still running.
	res, body := serve(t, s, httptest.NewRequest("GET", "/-/ready", nil))
	if res.StatusCode != 503 || body != "shutting down" {
		t.Errorf("GET /-/ready during shutdown = %d %q, want 503 shutting down", res.StatusCode, body)
	}

	close(release)
	r := <-got
	if r.err != nil || r.status != 200 || r.body != "finished" {
		t.Errorf("in-flight request = %d %q %v, want 200 finished", r.status, r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve = %v, want nil after a clean shutdown", err)
	}
	if len(logs.find(t, "listening")) != 1 || len(logs.find(t, "stopped")) != 1 {
		t.Errorf("lifecycle not logged; log:\n%s", logs)
	}

	// The listener is closed.
	if _, err := http.Get(base + "/-/health"); err == nil {
		t.Error("GET after shutdown succeeded, want the connection refused")
	}
}

// TestDrainDelay checks that, for Config.DrainDelay after shutdown begins,
// the server still serves requests, /-/ready answers 503 and every response
// closes its connection. The delay is long, so that no timing matters; the
// test ends Serve by closing its listener.
func TestDrainDelay(t *testing.T) {
	s, logs := newTestServer(t, Config{DrainDelay: time.Hour})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	// The listener accepts before Serve runs; wait until it serves.
	if res, err := http.Get(base + "/-/health"); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}

	cancel()
	<-s.draining
	for _, tt := range []struct {
		path   string
		status int
		body   string
	}{
		{"/-/ready", 503, "shutting down"},
		{"/-/health", 200, "ok"},
	} {
		res, err := http.Get(base + tt.path)
		if err != nil {
			t.Fatalf("GET %s while draining: %v", tt.path, err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != tt.status || string(b) != tt.body || !res.Close {
			t.Errorf("GET %s while draining = %d %q (closes the connection: %v), want %d %q closing it", tt.path, res.StatusCode, b, res.Close, tt.status, tt.body)
		}
	}
	if len(logs.find(t, "draining")) != 1 {
		t.Errorf("the drain is not logged; log:\n%s", logs)
	}
	ln.Close()
	if err := <-done; err == nil {
		t.Error("Serve after its listener closed = nil, want an error")
	}
}

func TestShutdownTimeout(t *testing.T) {
	s, _ := newTestServer(t, Config{ShutdownTimeout: 50 * time.Millisecond})
	entered := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	s.HandleFunc("GET /stuck", func(w http.ResponseWriter, r *http.Request) error {
		close(entered)
		<-release
		return nil
	})
	base, cancel, done := startServing(t, s)
	go func() {
		if res, err := http.Get(base + "/stuck"); err == nil {
			res.Body.Close()
		}
	}()
	<-entered
	cancel()
	if err := <-done; err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Serve = %v, want the drain deadline exceeded", err)
	}
}

func TestRun(t *testing.T) {
	// Hold a port so that Run's listen fails.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	s, _ := newTestServer(t, Config{Addr: ln.Addr().String()})
	err = s.Run(context.Background())
	if !gatehouse.IsKind(err, gatehouse.Unavailable) || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Errorf("Run on a taken address = %v, want unavailable naming the address", err)
	}

	// On a free port, Run serves until cancelled.
	s, logs := newTestServer(t, Config{Addr: "127.0.0.1:0"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx); err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if len(logs.find(t, "listening")) != 1 {
		t.Errorf("Run did not log listening; log:\n%s", logs)
	}
}

func TestTLS(t *testing.T) {
	certFile, keyFile, pool := writeCert(t)
	s, _ := newTestServer(t, Config{TLSCertFile: certFile, TLSKeyFile: keyFile})
	base, _, _ := startServing(t, s)

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	res, err := client.Get(base + "/-/health")
	if err != nil {
		t.Fatalf("GET over TLS: %v", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || string(body) != "ok" {
		t.Errorf("GET /-/health over TLS = %d %q, want 200 ok", res.StatusCode, body)
	}
	if res.TLS == nil {
		t.Error("response did not come over TLS")
	}
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS header when serving TLS directly")
	}

	// Plain HTTP on the TLS port is refused, not served.
	res, err = http.Get(strings.Replace(base, "https://", "http://", 1) + "/-/health")
	if err == nil {
		if res.StatusCode == 200 {
			t.Error("plain HTTP was served on the TLS port")
		}
		res.Body.Close()
	}
}

// writeCert writes a self-signed certificate for 127.0.0.1 and its key to
// temporary files and returns them with a pool that trusts the certificate.
func writeCert(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "gatehouse test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{netip.MustParseAddr("127.0.0.1").AsSlice()},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestRoutes(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	noop := func(http.ResponseWriter, *http.Request) error { return nil }
	s.HandleFunc("PATCH /api/v4/things/{id}", noop)
	s.HandleHTTP("GET /static/", http.NotFoundHandler())
	s.HandleFunc("GET /api/v4/things", noop)
	got := s.Routes()
	want := []string{"GET /-/health", "GET /-/ready", "GET /api/v4/things", "GET /metrics", "GET /static/", "PATCH /api/v4/things/{id}"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Routes() = %q, want %q", got, want)
	}
}
