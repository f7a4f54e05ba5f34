package scimhttp_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scimlog"
	"github.com/gatehouse-sso/gatehouse/server"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// FuzzSCIMEndpoint sends any method, target, Content-Type and body, with
// the group's valid token, to the SCIM endpoint as the server runs it (the
// middleware, the handler, the request log, a SQLite store). Whatever the
// request, the answer is never a 5xx, every error is an RFC 7644 error
// document, and every other non-empty body is JSON.
//
// Each input that may write runs against a group of its own, created for
// it with two users and a SCIM group, so that an input's answer does not
// depend on the inputs before it (GET and HEAD share one). Targets and
// bodies may name those resources as {{user}} (or {{id}}), {{user2}} and
// {{group}}, and the group's base URL as {{base}}, as the replay fixtures
// do; the seeds are the fixtures' requests.
func FuzzSCIMEndpoint(f *testing.F) {
	for _, s := range replaySeeds(f) {
		f.Add(s.method, s.target, s.contentType, []byte(s.body))
	}
	f.Add("GET", "/Users?filter=userName+eq+%22x%22&startIndex=0&count=-1&attributes=emails.value", "", []byte{})
	f.Add("PATCH", "/Users/{{user}}", "application/json; charset=utf-8", []byte(`{"Operations":[{"op":"replace","path":"emails[type eq \"work\"].value","value":"a@b.c"}]}`))
	f.Add("PUT", "/Groups/{{group}}", "application/scim+json", []byte(`{"displayName":"G","members":[{"value":"{{user}}"},{"value":"{{user2}}"}]}`))
	f.Add("DELETE", "/Users/{{user2}}/", "", []byte{})
	f.Add("GET", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "", []byte{})

	fz := newFuzzEnv(f)
	f.Fuzz(func(t *testing.T, method, target, contentType string, body []byte) {
		// A request that never ends is a bug the fuzzer cannot see (it
		// just stops making progress): crash with every goroutine's
		// stack, which makes go test keep the input.
		hung := time.AfterFunc(hangAfter, func() {
			buf := make([]byte, 1<<20)
			panic(fmt.Sprintf("%s %q hung for %s:\n%s", method, target, hangAfter, buf[:runtime.Stack(buf, true)]))
		})
		defer hung.Stop()
		fz.check(t, method, target, contentType, body)
	})
}

// hangAfter is how long one input may take before the fuzz targets call
// it hung: far longer than any request takes, even on a busy machine.
const hangAfter = time.Minute

// fuzzEnv is the server FuzzSCIMEndpoint sends its requests to.
type fuzzEnv struct {
	adm  *admin.Service
	srv  *server.Server
	log  *proctest.Buffer // the server's log of the current input
	base string           // the server's base URL
	n    int              // groups created so far
	// cur is the group of the next input; nil when the last input may
	// have changed it. GET and HEAD share a group, so that reading costs
	// no set-up.
	cur *fuzzGroup
}

func newFuzzEnv(f testing.TB) *fuzzEnv {
	s := sqlitestoretest.Open(f)
	fz := &fuzzEnv{adm: &admin.Service{Store: s, PasswordParams: password.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}, log: &proctest.Buffer{}}
	if _, err := fz.adm.CreateUser(context.Background(), admin.System, admin.NewUser{Username: "owner", Email: "owner@example.com"}); err != nil {
		f.Fatal(err)
	}
	// Warnings and errors only: a panic's stack is logged as an error.
	logger := slog.New(slog.NewTextHandler(fz.log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DB: s, Logger: logger})
	if err != nil {
		f.Fatal(err)
	}
	rl, err := scimlog.New(scimlog.Config{Store: s, Logger: logger, Registerer: srv.Registry()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { rl.Close(context.Background()) })
	(&scimhttp.Handler{Store: s, Provision: &provision.Service{Store: s}, BaseURL: srv.BaseURL().String(),
		Metrics: scimhttp.NewMetrics(srv.Registry(), false), RequestLog: rl}).Register(srv)
	fz.srv, fz.base = srv, srv.BaseURL().String()
	return fz
}

// fuzzGroup is a group made for the inputs, with its resources.
type fuzzGroup struct {
	base   string            // the group's SCIM base path
	token  string            // its SCIM token
	expand *strings.Replacer // {{user}}, {{user2}}, {{group}}, {{base}}
}

// newGroup creates a group, its token, two users and a SCIM group with
// the first user as member.
func (fz *fuzzEnv) newGroup(t *testing.T) *fuzzGroup {
	ctx := context.Background()
	fz.n++
	g, err := fz.adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: "g" + strconv.Itoa(fz.n), Owner: "owner"})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := fz.adm.ResetSCIMTokens(ctx, admin.System, g.Path)
	if err != nil {
		t.Fatal(err)
	}
	base := scimhttp.Prefix + g.Path
	vars := map[string]string{"{{base}}": fz.base + base}
	for _, r := range []struct{ name, path, body string }{
		{"{{user}}", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u1","userName":"alice@acme.example","emails":[{"value":"alice@acme.example","primary":true,"type":"work"}],"name":{"givenName":"Alice","familyName":"A"}}`},
		{"{{user2}}", "/Users", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u2","userName":"bob@acme.example","active":true,"emails":[{"value":"bob@acme.example"}]}`},
		{"{{group}}", "/Groups", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"externalId":"g1","displayName":"Engineering","members":[{"value":"{{user}}"}]}`},
	} {
		status, _, b := fz.do(t, "POST", base+r.path, token, scimhttp.ContentType, []byte(strings.ReplaceAll(r.body, "{{user}}", vars["{{user}}"])))
		var doc struct{ ID string }
		if status != http.StatusCreated || json.Unmarshal(b, &doc) != nil || doc.ID == "" {
			t.Fatalf("creating %s: POST %s = %d %s", r.name, r.path, status, b)
		}
		vars[r.name] = doc.ID
	}
	vars["{{id}}"] = vars["{{user}}"]
	var pairs []string
	for k, v := range vars {
		pairs = append(pairs, k, v)
	}
	return &fuzzGroup{base: base, token: token, expand: strings.NewReplacer(pairs...)}
}

// check sends one fuzzed request to the group and checks the answer.
func (fz *fuzzEnv) check(t *testing.T, method, target, contentType string, body []byte) {
	// A request the HTTP server itself would refuse never reaches the
	// handler: skip it.
	for _, s := range []string{method, target, contentType} {
		if strings.ContainsAny(s, "\r\n\x00") {
			return
		}
	}
	if method == "" || strings.ContainsAny(method, " \t") || strings.ContainsAny(target, " \t") {
		return
	}
	if fz.cur == nil {
		fz.cur = fz.newGroup(t)
	}
	g := fz.cur
	if method != http.MethodGet && method != http.MethodHead {
		fz.cur = nil // the request may change the group: the next input gets a new one
	}
	target = g.base + g.expand.Replace(target)
	body = []byte(g.expand.Replace(string(body)))
	token := g.token

	fz.log.Reset()
	status, header, b := fz.do(t, method, target, token, contentType, body)
	if status < 0 {
		return // not a request the HTTP server would read
	}
	show := func() string {
		return fmt.Sprintf("%s %s\nContent-Type: %s\n\n%s\n=== %d\n%s\nserver log:\n%s", method, target, contentType, body, status, b, fz.log.String())
	}
	if status >= 500 {
		t.Fatalf("answered %d:\n%s", status, show())
	}
	switch {
	case status >= 400:
		var e struct {
			Schemas []string
			Status  string
			Detail  string
		}
		if err := json.Unmarshal(b, &e); err != nil || len(e.Schemas) != 1 || e.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" ||
			e.Status != strconv.Itoa(status) || e.Detail == "" || header.Get("Content-Type") != scimhttp.ContentType {
			t.Fatalf("error is not a SCIM error document of its status:\n%s", show())
		}
	case status >= 300 && status < 400:
		// The only redirects are net/http's: a path with "." or ".."
		// segments or doubled slashes to its clean form, or a subtree's
		// path to its trailing slash.
		if loc := header.Get("Location"); !muxRedirect(target, loc) {
			t.Fatalf("redirect to %q is not the path's clean form:\n%s", loc, show())
		}
	case len(b) > 0 && !json.Valid(b):
		t.Fatalf("body is not JSON:\n%s", show())
	}
}

// muxRedirect reports whether loc is where net/http's ServeMux sends a
// request for target: the cleaned path (a trailing slash kept), or the
// path with a slash added, with the query unchanged.
func muxRedirect(target, loc string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	got, _, _ := strings.Cut(loc, "?")
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	return got == clean || got == u.Path+"/" || got == u.EscapedPath()+"/"
}

// do sends a request through the server as an HTTP server would read it
// from the wire, and returns the answer; status -1 means the request
// could not be read.
func (fz *fuzzEnv) do(t *testing.T, method, target, token, contentType string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	var raw bytes.Buffer
	fmt.Fprintf(&raw, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n", method, target, strings.TrimPrefix(fz.base, "http://"), token, len(body))
	if contentType != "" {
		fmt.Fprintf(&raw, "Content-Type: %s\r\n", contentType)
	}
	raw.WriteString("\r\n")
	raw.Write(body)
	r, err := http.ReadRequest(bufio.NewReader(&raw))
	if err != nil {
		return -1, nil, nil
	}
	r.RemoteAddr = "192.0.2.1:40000"
	w := httptest.NewRecorder()
	fz.srv.ServeHTTP(w, r)
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b
}

// seed is a request of a replay fixture.
type seed struct{ method, target, contentType, body string }

// replaySeeds reads the requests of the replay fixtures of this package
// and of internal/replay: real identity-provider traffic.
func replaySeeds(tb testing.TB) []seed {
	var files []string
	for _, pattern := range []string{"testdata/replay/*/*.http", "../../internal/replay/testdata/*/*.http"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			tb.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		tb.Fatal("no replay fixtures to seed from")
	}
	var seeds []seed
	seen := map[seed]bool{} // IdPs send many requests alike; each costs the fuzzer's baseline time
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		s, ok := parseFixture(string(b))
		if !ok {
			tb.Fatalf("%s: no request", file)
		}
		if !seen[s] {
			seen[s] = true
			seeds = append(seeds, s)
		}
	}
	return seeds
}

// parseFixture reads the request of a replay fixture (internal/replay's
// format): comments, METHOD TARGET, headers, a blank line, the body up to
// the "===" line. The target is made relative to the group's base.
func parseFixture(text string) (seed, bool) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	i := 0
	for i < len(lines) && (strings.TrimSpace(lines[i]) == "" || strings.HasPrefix(lines[i], "#")) {
		i++
	}
	if i == len(lines) {
		return seed{}, false
	}
	method, target, ok := strings.Cut(lines[i], " ")
	if !ok {
		return seed{}, false
	}
	for _, p := range []string{"{{base_by_path}}", "{{base_by_id}}", "{{base}}"} {
		target = strings.TrimPrefix(target, p)
	}
	s := seed{method: method, target: strings.TrimSpace(target)}
	for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "" && !strings.HasPrefix(lines[i], "==="); i++ {
		if name, value, ok := strings.Cut(lines[i], ":"); ok && strings.EqualFold(name, "Content-Type") {
			s.contentType = strings.TrimSpace(value)
		}
	}
	start := i
	for i < len(lines) && !strings.HasPrefix(lines[i], "===") {
		i++
	}
	s.body = strings.TrimSpace(strings.Join(lines[start:i], "\n"))
	return s, true
}
