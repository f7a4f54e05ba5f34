package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// TestRefreshMetadataLoop runs serve's refresher against a loopback test
// server (the client is injected here only) and sees it trust a new
// certificate and log a failing refresh.
func TestRefreshMetadataLoop(t *testing.T) {
	idp := samltest.NewIdP("loop-idp")
	next := samltest.Keys("loop-idp-next").Cert
	body := make(chan []byte, 1)
	body <- idp.Metadata(time.Time{})
	current := idp.Metadata(time.Time{})
	ts := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case current = <-body:
		default:
		}
		if current == nil {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		w.Write(current)
	}))
	defer ts.Close()
	s := sqlitestoretest.Open(t)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	svc := &admin.Service{Store: s, MetadataClient: ts.Client(), Now: func() time.Time { return now }}
	if _, err := svc.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	g, err := svc.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.ConfigureSAML(ctx, admin.System, "acme.corp", admin.SAMLSettings{MetadataURL: ts.URL}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		serve   []byte
		wantLog string
	}{
		{"new certificate", idp.Metadata(time.Time{}, idp.Keys.Cert, next), "new signing certificate"},
		{"server down", nil, "the last good copy stays in use"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now = now.Add(13 * time.Hour) // due; set before the loop starts
			body <- tt.serve
			logs := &proctest.Buffer{}
			log := slog.New(slog.NewTextHandler(logs, nil))
			loopCtx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				refreshMetadata(loopCtx, svc, log, time.Hour)
			}()
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(logs.String(), tt.wantLog) && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond) // polling the log, not synchronising work
			}
			cancel()
			<-done
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "acme.corp") {
				t.Errorf("refresher logged:\n%s\nwant %q for acme.corp", logs.String(), tt.wantLog)
			}
		})
	}
	c, err := s.FindSAMLConfig(ctx, g.ID)
	if err != nil || len(c.Certificates) != 2 {
		t.Errorf("after the refreshes the group trusts %d certificates (%v), want 2: the failure kept the last good copy", len(c.Certificates), err)
	}
}

func TestServeSecretKeyFile(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "k.db")
	secret := writeFile(t, dir, "secret", []byte(strings.Repeat("k", 44)+"\n"))
	other := writeFile(t, dir, "other", []byte(strings.Repeat("o", 44)))
	short := writeFile(t, dir, "short", []byte("tiny\n"))

	n := startServe(t, map[string]string{"GATEHOUSE_DB": db, "GATEHOUSE_SECRET_KEY_FILE": secret})
	if strings.Contains(n.stderr.String(), "stored unencrypted") {
		t.Errorf("serve with a secret key warned about an unencrypted key:\n%s", n.stderr.String())
	}
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no secret key", nil, "needs the --secret-key-file"},
		{"another secret key", []string{"--secret-key-file", other}, "sealed with another secret key"},
		{"short secret key", []string{"--secret-key-file", short}, "at least 32 bytes"},
		{"missing file", []string{"--secret-key-file", filepath.Join(dir, "none")}, "--secret-key-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gh(t, nil, "", append([]string{"serve", "--addr", "127.0.0.1:0", "--db", db}, tt.args...)...)
			if r.code != exitError || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("serve %v = exit %d, %q; want exit 1 mentioning %q", tt.args, r.code, r.stderr, tt.msg)
			}
		})
	}
	n = startServe(t, nil, "--db", db, "--secret-key-file", secret)
	n.stop()

	plain := startServe(t, nil, "--db", "sqlite:"+filepath.Join(dir, "plain.db"))
	if !strings.Contains(plain.stderr.String(), "stored unencrypted") {
		t.Errorf("serve without a secret key did not warn:\n%s", plain.stderr.String())
	}
}

// TestSweepExpiredLoop runs serve's sweeper over a replay-cache entry and a
// sign-in failure counter, and sees both go once their time is over and
// nothing go before.
func TestSweepExpiredLoop(t *testing.T) {
	s := sqlitestoretest.Open(t)
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	adm := &admin.Service{Store: s, Now: func() time.Time { return start }}
	if _, err := adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "alice", Email: "alice@example.com"}); err != nil {
		t.Fatal(err)
	}
	g, err := adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConsumeSAMLAssertion(ctx, g.ID, "_assertion-1", start.Add(5*time.Minute), start); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	now := start.Add(time.Minute) // the entry is still guarding
	svc := &sso.Service{Store: s, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }}
	if n, err := svc.DeleteExpired(ctx); err != nil || n != 0 {
		t.Fatalf("DeleteExpired before the entry expired = %d, %v; want 0", n, err)
	}
	if err := s.ConsumeSAMLAssertion(ctx, g.ID, "_assertion-1", start.Add(10*time.Minute), now); !gatehouse.IsKind(err, gatehouse.Conflict) {
		t.Fatalf("the replay cache after a sweep = %v; want Conflict: the entry must still be there", err)
	}

	mu.Lock()
	now = start.Add(6 * time.Minute)
	mu.Unlock()
	logs := &proctest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	loopCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); sweepExpired(loopCtx, svc, log, 5*time.Millisecond) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "deleted expired sign-in state") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if !strings.Contains(logs.String(), "rows=1") {
		t.Errorf("the sweeper logged:\n%s\nwant one row deleted", logs.String())
	}
	if n, err := svc.DeleteExpired(ctx); err != nil || n != 0 {
		t.Errorf("DeleteExpired after the sweep = %d, %v; want nothing left", n, err)
	}
}
