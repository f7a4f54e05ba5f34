package main

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

// node is one running "gatehouse serve".
type node struct {
	addr   string
	stderr *proctest.Buffer
	stop   func() error
}

// startServe runs "gatehouse serve" in-process on a free loopback port with
// JSON logs and waits until it listens.
func startServe(t *testing.T, env map[string]string, args ...string) *node {
	t.Helper()
	n, err := launchServe(env, args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.stop() })
	return n
}

// launchServe is startServe for any goroutine: it returns what went wrong.
func launchServe(env map[string]string, args ...string) (*node, error) {
	ctx, cancel := context.WithCancel(context.Background())
	errb := &proctest.Buffer{}
	done := make(chan error, 1)
	all := append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...)
	go func() {
		done <- run(ctx, all, func(k string) string { return env[k] }, strings.NewReader(""), io.Discard, errb)
	}()
	var once sync.Once
	var result error
	n := &node{stderr: errb, stop: func() error {
		once.Do(func() { cancel(); result = <-done })
		return result
	}}
	deadline := time.Now().Add(20 * time.Second)
	for n.addr == "" {
		select {
		case err := <-done:
			cancel()
			return nil, fmt.Errorf("serve exited early: %v\n%s", err, errb.String())
		default:
		}
		if time.Now().After(deadline) {
			n.stop()
			return nil, fmt.Errorf("serve did not listen within 20s:\n%s", errb.String())
		}
		sc := bufio.NewScanner(strings.NewReader(errb.String()))
		for sc.Scan() {
			var line struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "listening" {
				n.addr = line.Addr
			}
		}
		time.Sleep(10 * time.Millisecond) // polling the log for the port, not synchronising work
	}
	return n, nil
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServe(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "serve.db")
	n := startServe(t, map[string]string{"GATEHOUSE_DB": db})
	base := "http://" + n.addr

	if code, body := get(t, base+"/-/health"); code != 200 || body != "ok" {
		t.Errorf("GET /-/health = %d %q, want 200 ok", code, body)
	}
	if code, body := get(t, base+"/-/ready"); code != 200 {
		t.Errorf("GET /-/ready = %d %q, want 200", code, body)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "gatehouse_http_requests_total") || !strings.Contains(body, "gatehouse_db_open_connections") {
		t.Errorf("GET /metrics = %d, want Prometheus text with request and pool metrics:\n%.500s", code, body)
	}

	if code, body := get(t, base+"/users/sign_in"); code != 200 || !strings.Contains(body, `action="/users/sign_in"`) {
		t.Errorf("GET /users/sign_in = %d, want the sign-in page:\n%.500s", code, body)
	}
	if code, _ := get(t, base+"/api/v4/user"); code != 401 {
		t.Errorf("GET /api/v4/user without credentials = %d, want 401", code)
	}
	if code, _ := get(t, base+"/groups/nope/-/saml/metadata"); code != 404 {
		t.Errorf("GET metadata of an unknown group = %d, want 404", code)
	}

	// The one-time password is printed once, outside the structured log.
	logs := n.stderr.String()
	if !strings.Contains(logs, `"msg":"database ready"`) {
		t.Errorf("serve did not log which database it uses:\n%s", logs)
	}
	if strings.Count(logs, "one-time password") != 1 {
		t.Fatalf("stderr mentions the one-time password %d times, want once:\n%s", strings.Count(logs, "one-time password"), logs)
	}
	pw := oneTimePassword(t, logs)
	for _, line := range strings.Split(logs, "\n") {
		if strings.HasPrefix(line, "{") && strings.Contains(line, pw) {
			t.Errorf("a structured log line holds the password: %s", line)
		}
	}
	// Signing in with it leads to the forced change, nowhere else.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.PostForm(base+"/users/sign_in", url.Values{"login": {"root"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/-/account/password" {
		t.Errorf("sign-in with the one-time password = %d %q, want 303 to /-/account/password", resp.StatusCode, resp.Header.Get("Location"))
	}
	if err := n.stop(); err != nil {
		t.Errorf("serve after cancel = %v, want nil (graceful shutdown)", err)
	}

	// A second start finds the administrator and prints nothing.
	n2 := startServe(t, map[string]string{"GATEHOUSE_DB": db})
	if strings.Contains(n2.stderr.String(), "one-time password") {
		t.Errorf("second start printed a password again:\n%s", n2.stderr.String())
	}
}

// oneTimePassword picks the indented password line from serve's notice.
func oneTimePassword(t *testing.T, logs string) string {
	t.Helper()
	lines := strings.Split(logs, "\n")
	for i, l := range lines {
		if strings.Contains(l, "one-time password") && i+2 < len(lines) {
			return strings.TrimSpace(lines[i+2])
		}
	}
	t.Fatalf("no password in:\n%s", logs)
	return ""
}

func TestServeInitialPasswordFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwFile, []byte("operator chosen pw\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n := startServe(t, nil, "--db", "sqlite:"+filepath.Join(dir, "g.db"), "--initial-admin-password-file", pwFile)
	if logs := n.stderr.String(); strings.Contains(logs, "one-time password") || strings.Contains(logs, "operator chosen pw") {
		t.Errorf("serve printed a password although one was given:\n%s", logs)
	}

	if err := os.WriteFile(pwFile, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := gh(t, nil, "", "serve", "--db", "sqlite:"+filepath.Join(dir, "h.db"), "--initial-admin-password-file", pwFile)
	if r.code != exitError || !strings.Contains(r.stderr, "at least 8") {
		t.Errorf("serve with a short initial password = exit %d, %q", r.code, r.stderr)
	}
}

func TestServeBadFlags(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	tests := []struct {
		name string
		args []string
		env  map[string]string
		msg  string
	}{
		{"cert without key", []string{"--tls-cert", "c.pem"}, nil, "go together"},
		{"bad proxy", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "10.0.0.0/99"},
		{"bad proxy env", nil, map[string]string{"GATEHOUSE_TRUSTED_PROXIES": "nonsense"}, "nonsense"},
		{"negative SCIM rate", []string{"--scim-rate-limit", "-1"}, nil, "--scim-rate-limit -1: give requests per second"},
		{"SCIM rate not a number", []string{"--scim-rate-limit", "lots"}, nil, "scim-rate-limit"},
		{"infinite SCIM rate env", nil, map[string]string{"GATEHOUSE_SCIM_RATE_LIMIT": "+Inf"}, "--scim-rate-limit +Inf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gh(t, tt.env, "", append([]string{"serve", "--db", db}, tt.args...)...)
			if r.code != exitUsage || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("serve %v = exit %d, %q; want exit 2 mentioning %q", tt.args, r.code, r.stderr, tt.msg)
			}
		})
	}
}

// TestServeNodesStartTogether starts two nodes on one fresh PostgreSQL
// schema at once: migrations run once and exactly one prints root's password.
func TestServeNodesStartTogether(t *testing.T) {
	dbs := databases(t)
	dsn, ok := dbs["postgres"]
	if !ok {
		t.Skip("GATEHOUSE_TEST_POSTGRES not set")
	}
	// Trust authentication ignores the password, so one can be added to
	// check that no log line shows it.
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(u.User.Username(), "hunter2-secret")
	env := map[string]string{"GATEHOUSE_DB": u.String()}
	var wg sync.WaitGroup
	nodes := make([]*node, 2)
	errs := make([]error, 2)
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = launchServe(env) })
	}
	wg.Wait()
	for i, n := range nodes {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		t.Cleanup(func() { n.stop() })
	}
	printed := 0
	for _, n := range nodes {
		printed += strings.Count(n.stderr.String(), "one-time password")
		if logs := n.stderr.String(); strings.Contains(logs, "hunter2-secret") || !strings.Contains(logs, "xxxxx") {
			t.Errorf("node logs show the database password or no redacted URL:\n%s", logs)
		}
		if code, _ := get(t, "http://"+n.addr+"/-/ready"); code != 200 {
			t.Errorf("node %s not ready: %d", n.addr, code)
		}
	}
	if printed != 1 {
		t.Errorf("two nodes printed the one-time password %d times, want 1", printed)
	}
}

// TestServeTLS serves HTTPS directly from --tls-cert and --tls-key.
func TestServeTLS(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	n := startServe(t, nil, "--db", "sqlite:"+filepath.Join(dir, "tls.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get("https://" + n.addr + "/-/health")
	if err != nil {
		t.Fatalf("GET https /-/health: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("GET https /-/health = %d, HSTS %q; want 200 with HSTS", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
	}
	if !strings.Contains(n.stderr.String(), `"base_url":"https://127.0.0.1:`) {
		t.Errorf("base URL is not https by default under TLS:\n%s", n.stderr.String())
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key as PEM files and
// returns them with a pool that trusts the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
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
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestSIGTERM builds the real binary and stops it with SIGTERM, as a process
// manager would: main's signal wiring must turn it into a graceful stop with
// exit status 0.
func TestSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "gatehouse")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--log-format", "json", "--db", "sqlite:"+filepath.Join(dir, "g.db"))
	errb := &proctest.Buffer{}
	cmd.Stderr = errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(errb.String(), `"msg":"listening"`) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("the binary did not listen within 20s:\n%s", errb.String())
		}
		time.Sleep(10 * time.Millisecond) // polling the log, not synchronising work
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM the binary exited with %v, want status 0\n%s", err, errb.String())
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the binary did not stop within 30s of SIGTERM:\n%s", errb.String())
	}
	if !strings.Contains(errb.String(), `"msg":"stopped"`) {
		t.Errorf("no graceful stop in the log:\n%s", errb.String())
	}
}
