package scimhttp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// env is a running server with one group ("acme.corp", with a dot) and its
// SCIM token, plus a second group with its own token.
type env struct {
	// skew moves the handler's clock forward (nanoseconds), for tests of
	// what expires.
	skew       atomic.Int64
	t          *testing.T
	s          store.Store
	url        string // the server's base URL
	group      *gatehouse.Group
	token      string
	other      *gatehouse.Group
	otherToken string
}

// byPath and byID are the group's SCIM base URLs in both forms.
func (e *env) byPath() string { return e.url + scimhttp.Prefix + e.group.Path }
func (e *env) byID() string   { return fmt.Sprintf("%s%s%d", e.url, scimhttp.Prefix, e.group.ID) }

// backends runs fn against a fresh server on each backend.
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) { fn(t, newEnv(t, b.open(t))) })
	}
}

// newEnv starts a server over s; each configure hook may adjust the SCIM
// handler (and use the server's registry) before it is registered.
func newEnv(t *testing.T, s store.Store, configure ...func(*scimhttp.Handler, *server.Server)) *env {
	t.Helper()
	ctx := context.Background()
	adm := &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}
	if _, err := adm.CreateUser(ctx, admin.System, admin.NewUser{Username: "owner", Email: "owner@example.com"}); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, s: s}
	var err error
	if e.group, err = adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "acme.corp", Owner: "owner"}); err != nil {
		t.Fatal(err)
	}
	if e.other, err = adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "other", Owner: "owner"}); err != nil {
		t.Fatal(err)
	}
	if e.token, _, err = adm.ResetSCIMTokens(ctx, admin.System, "acme.corp"); err != nil {
		t.Fatal(err)
	}
	if e.otherToken, _, err = adm.ResetSCIMTokens(ctx, admin.System, "other"); err != nil {
		t.Fatal(err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logw := io.Discard
	if testing.Verbose() {
		logw = os.Stderr
	}
	srv, err := server.New(server.Config{Addr: ln.Addr().String(), DB: s, Logger: slog.New(slog.NewTextHandler(logw, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h := &scimhttp.Handler{Store: s, Provision: &provision.Service{Store: s}, BaseURL: srv.BaseURL().String(),
		Metrics: scimhttp.NewMetrics(srv.Registry(), false),
		Now:     func() time.Time { return time.Now().Add(time.Duration(e.skew.Load())) }}
	for _, c := range configure {
		c(h, srv)
	}
	h.Register(srv)
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	e.url = srv.BaseURL().String()
	return e
}

// response is what do returned.
type response struct {
	status int
	header http.Header
	body   string
}

// do sends a request with the token (when not empty) and returns the answer.
func (e *env) do(method, url, token, contentType, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
