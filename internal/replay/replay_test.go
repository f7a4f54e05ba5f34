package replay

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeT is a tb that records what a run reports instead of failing the
// test. Like *testing.T, it runs each subtest in its own goroutine so that
// Fatalf can stop it with runtime.Goexit.
type fakeT struct {
	name string
	ctx  context.Context
	rec  *record
}

type record struct {
	mu      sync.Mutex
	entries []entry // in the order reported
	failed  map[string]bool
	names   []string // every test and subtest run, in order
}

type entry struct {
	test, kind, msg string
}

func newFakeT(t *testing.T) *fakeT {
	return &fakeT{name: "T", ctx: t.Context(), rec: &record{failed: map[string]bool{}}}
}

func (f *fakeT) Helper()                  {}
func (f *fakeT) Context() context.Context { return f.ctx }

func (f *fakeT) Errorf(format string, args ...any) { f.report("error", format, args...) }

func (f *fakeT) Fatalf(format string, args ...any) {
	f.report("fatal", format, args...)
	runtime.Goexit()
}

func (f *fakeT) report(kind, format string, args ...any) {
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	f.rec.entries = append(f.rec.entries, entry{f.name, kind, fmt.Sprintf(format, args...)})
	for n := f.name; ; n = n[:strings.LastIndex(n, "/")] {
		f.rec.failed[n] = true
		if !strings.Contains(n, "/") {
			break
		}
	}
}

func (f *fakeT) Run(name string, fn func(tb)) bool {
	sub := &fakeT{name: f.name + "/" + name, ctx: f.ctx, rec: f.rec}
	f.rec.mu.Lock()
	f.rec.names = append(f.rec.names, sub.name)
	f.rec.mu.Unlock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(sub)
	}()
	<-done
	f.rec.mu.Lock()
	defer f.rec.mu.Unlock()
	return !f.rec.failed[sub.name]
}

// messages returns what test (a full name such as "T/seq/02-get") reported.
func (r *record) messages(test string) []string {
	var out []string
	for _, e := range r.entries {
		if e.test == test {
			out = append(out, e.kind+": "+e.msg)
		}
	}
	return out
}

// runFake runs run with a fakeT and returns its record.
func runFake(t *testing.T, c Config, paths ...string) *record {
	t.Helper()
	f := newFakeT(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		run(f, c, paths)
	}()
	<-done
	return f.rec
}

// writeFixtures creates a directory named seq holding the given files.
func writeFixtures(t *testing.T, files map[string]string) string {
	t.Helper()
	return writeFixturesIn(t, "seq", files)
}

func writeFixturesIn(t *testing.T, name string, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// scimServer is a toy SCIM user endpoint, just enough to replay a create,
// get, filter and delete, plus /echo, which describes the request it got,
// and /gzip, which answers gzip-compressed when asked to.
type scimServer struct {
	mu    sync.Mutex
	next  int
	users map[string]map[string]any
	uris  []string // RequestURI of every request
}

const testBasePath = "/api/scim/v2/groups/acme.corp"

func newSCIMServer(t *testing.T) (*httptest.Server, *scimServer) {
	s := &scimServer{users: map[string]map[string]any{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, s
}

func (s *scimServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.uris = append(s.uris, r.RequestURI)
	reply := func(status int, v any) {
		w.Header().Set("Content-Type", "application/scim+json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(v)
	}
	scimError := func(status int) {
		reply(status, map[string]any{"schemas": []string{"urn:ietf:params:scim:api:messages:2.0:Error"}, "status": fmt.Sprint(status), "detail": http.StatusText(status)})
	}
	rest, ok := strings.CutPrefix(r.URL.Path, testBasePath)
	if !ok {
		scimError(http.StatusNotFound)
		return
	}
	if strings.HasPrefix(rest, "/echo") {
		var body any
		json.NewDecoder(r.Body).Decode(&body)
		reply(http.StatusOK, map[string]any{
			"method": r.Method, "requestURI": r.RequestURI, "host": r.Host,
			"userAgent": r.Header.Values("User-Agent"), "accept": r.Header.Values("Accept"),
			"body": body,
		})
		return
	}
	if rest == "/gzip" {
		w.Header().Set("Content-Type", "application/scim+json")
		w.Header().Set("Content-Encoding", "gzip")
		zw := gzip.NewWriter(w)
		fmt.Fprintf(zw, `{"compressed": true}`)
		zw.Close()
		return
	}
	if r.Header.Get("Authorization") != "Bearer secret" {
		scimError(http.StatusUnauthorized)
		return
	}
	switch id, _ := strings.CutPrefix(rest, "/Users/"); {
	case rest == "/Users" && r.Method == http.MethodPost:
		var u map[string]any
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			scimError(http.StatusBadRequest)
			return
		}
		s.next++
		id := fmt.Sprintf("u%d", s.next)
		u["id"] = id
		delete(u, "password")
		s.users[id] = u
		w.Header().Set("Location", "http://"+r.Host+testBasePath+"/Users/"+id)
		reply(http.StatusCreated, u)
	case rest == "/Users" && r.Method == http.MethodGet:
		found := []any{}
		for _, u := range s.users {
			if strings.Contains(r.URL.Query().Get("filter"), fmt.Sprintf("%q", u["userName"])) {
				found = append(found, u)
			}
		}
		reply(http.StatusOK, map[string]any{
			"schemas":      []string{"urn:ietf:params:scim:api:messages:2.0:ListResponse"},
			"totalResults": len(found), "startIndex": 1, "itemsPerPage": len(found), "Resources": found,
		})
	case s.users[id] == nil:
		scimError(http.StatusNotFound)
	case r.Method == http.MethodGet:
		reply(http.StatusOK, s.users[id])
	case r.Method == http.MethodPatch:
		s.users[id]["active"] = false
		w.WriteHeader(http.StatusNoContent)
	case r.Method == http.MethodDelete:
		delete(s.users, id)
		w.WriteHeader(http.StatusNoContent)
	default:
		scimError(http.StatusMethodNotAllowed)
	}
}

// A whole provisioning sequence, with the real *testing.T: captures flow
// from the create to the later steps.
func TestRunSequence(t *testing.T) {
	srv, _ := newSCIMServer(t)
	Run(t, Config{
		Base: srv.URL + testBasePath,
		Vars: map[string]string{"token": "secret"},
	}, "testdata/sequence")
}

func TestRunReportsSubtestsInOrder(t *testing.T) {
	srv, _ := newSCIMServer(t)
	rec := runFake(t, Config{Base: srv.URL + testBasePath, Vars: map[string]string{"token": "secret"}}, "testdata/sequence")
	if len(rec.entries) != 0 {
		t.Errorf("a passing sequence reported %q", rec.entries)
	}
	want := []string{
		"T/sequence", "T/sequence/01-lookup", "T/sequence/02-create", "T/sequence/03-get",
		"T/sequence/04-filter", "T/sequence/05-disable", "T/sequence/06-delete", "T/sequence/07-get-deleted",
	}
	if diff := cmp.Diff(want, rec.names); diff != "" {
		t.Errorf("subtests (-want +got):\n%s", diff)
	}
}

func TestRunSendsTargetAndHeadersAsWritten(t *testing.T) {
	srv, s := newSCIMServer(t)
	dir := writeFixtures(t, map[string]string{
		"01.http": `GET /echo?filter=userName+eq+%22a%40b%22&startIndex=1
=== 200

{"requestURI": "` + testBasePath + `/echo?filter=userName+eq+%22a%40b%22&startIndex=1", "userAgent": null}
`,
		// Raw quotes and a trailing & stay as they are.
		"02.http": `GET /echo?filter=userName+eq+"x+y"&
=== 200

{{any}}
`,
		"03.http": `PUT /echo?
User-Agent: Okta SCIM Client 1.0.0
Accept: application/scim+json
Host: example.test

{"a": "{{token}}"}
=== 200

{"method": "PUT", "requestURI": "` + testBasePath + `/echo?", "userAgent": ["Okta SCIM Client 1.0.0"], "host": "example.test", "body": {"a": "secret"}}
`,
		"04.http": `GET {{other}}/echo/../echo
=== 200

{"requestURI": "` + testBasePath + `/echo/../echo"}
`,
	})
	rec := runFake(t, Config{
		Base: srv.URL + testBasePath,
		Vars: map[string]string{"token": "secret", "other": srv.URL + testBasePath},
	}, dir)
	if len(rec.entries) != 0 {
		t.Fatalf("run reported %q", rec.entries)
	}
	want := []string{
		testBasePath + `/echo?filter=userName+eq+%22a%40b%22&startIndex=1`,
		testBasePath + `/echo?filter=userName+eq+"x+y"&`,
		testBasePath + `/echo?`,
		testBasePath + `/echo/../echo`,
	}
	if diff := cmp.Diff(want, s.uris); diff != "" {
		t.Errorf("request URIs the server saw (-want +got):\n%s", diff)
	}
}

func TestRunFailureMessage(t *testing.T) {
	srv, _ := newSCIMServer(t)
	dir := writeFixtures(t, map[string]string{
		"01-create.http": `# Creates a user.
POST /Users
Content-Type: application/scim+json
Authorization: Bearer {{token}}

{"userName": "bjensen", "active": true, "password": "p", "zz": "` + strings.Repeat("x", 3000) + `"}
=== 201
Content-Type: application/json
Location: {{base}}/Users/{{*id}}

{"id": "{{*id}}", "userName": "BJENSEN", "active": true, "emails": [], "password": "{{absent}}"}
`,
		"02-wrong-status.http": `GET /Users/{{id}}
Authorization: Bearer wrong

=== 200

{"id": "{{id}}"}
`,
		"03-empty-wanted.http": `GET /Users/{{id}}
Authorization: Bearer {{token}}

=== 200
`,
	})
	rec := runFake(t, Config{Base: srv.URL + testBasePath, Vars: map[string]string{"token": "secret"}}, dir)

	create := rec.messages("T/seq/01-create")
	if len(create) != 1 {
		t.Fatalf("01-create reported %d messages, want 1: %q", len(create), create)
	}
	msg := create[0]
	for _, want := range []string{
		"error: " + filepath.Join(dir, "01-create.http") + ": the response does not match:",
		`header Content-Type: got "application/scim+json; charset=utf-8", want media type "application/json"`,
		`$.emails: missing, want array []`,
		`$.userName: got "bjensen", want "BJENSEN"`,
		"--- request\nPOST " + srv.URL + testBasePath + "/Users\nContent-Type: application/scim+json\nAuthorization: Bearer {{token}}\n",
		"… (", // the long request body is cut
		"--- want\n=== 201\nContent-Type: application/json\nLocation: {{base}}/Users/{{*id}}\n",
		"--- got\n201 Created\n",
		"Location: " + srv.URL + testBasePath + "/Users/u1\n",
		"\n  \"userName\": \"bjensen\"", // the actual body, indented
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("01-create message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "secret") {
		t.Errorf("01-create message shows the token:\n%s", msg)
	}
	if strings.Contains(msg, "$.id") || strings.Contains(msg, "password") && !strings.Contains(msg, `"password": "p"`) {
		t.Errorf("01-create message reports a member that matched:\n%s", msg)
	}

	// The capture survived the mismatch, so 02 ran with id = u1 and failed on
	// its status only.
	wrong := rec.messages("T/seq/02-wrong-status")
	if len(wrong) != 1 || !strings.Contains(wrong[0], "the response does not match:\n    status: got 401, want 200\n--- request\nGET "+srv.URL+testBasePath+"/Users/u1\n") {
		t.Errorf("02-wrong-status reported %q, want one status mismatch for /Users/u1", wrong)
	}
	empty := rec.messages("T/seq/03-empty-wanted")
	if len(empty) != 1 || !strings.Contains(empty[0], "body: got ") || !strings.Contains(empty[0], "bytes, want none") {
		t.Errorf("03-empty-wanted reported %q, want a non-empty body reported", empty)
	}
}

func TestRunStatusAlternatives(t *testing.T) {
	srv, _ := newSCIMServer(t)
	dir := writeFixtures(t, map[string]string{
		"01.http": "POST /Users\nAuthorization: Bearer {{token}}\n\n{\"userName\": \"a\"}\n=== 201\n\n{\"id\": \"{{*id}}\"}\n",
		// The server answers 204: accepted, and its empty body is right
		// although a 200 would have had to match the JSON.
		"02.http": "PATCH /Users/{{id}}\nAuthorization: Bearer {{token}}\n\n{}\n=== 200|204\n\n{\"active\": false}\n",
		"03.http": "GET /Users/{{id}}\nAuthorization: Bearer {{token}}\n\n=== 200|204\n\n{\"active\": false}\n",
		"04.http": "DELETE /Users/{{id}}\nAuthorization: Bearer {{token}}\n\n=== 200|202\n",
	})
	rec := runFake(t, Config{Base: srv.URL + testBasePath, Vars: map[string]string{"token": "secret"}}, dir)
	for _, name := range []string{"01", "02", "03"} {
		if m := rec.messages("T/seq/" + name); len(m) != 0 {
			t.Errorf("%s reported %q", name, m)
		}
	}
	if m := rec.messages("T/seq/04"); len(m) != 1 || !strings.Contains(m[0], "status: got 204, want 200 or 202") {
		t.Errorf("04 reported %q, want a status mismatch", m)
	}
}

func TestRunUndefinedVariableAfterFailedCapture(t *testing.T) {
	srv, _ := newSCIMServer(t)
	dir := writeFixtures(t, map[string]string{
		"01.http": "POST /Users\nAuthorization: Bearer nope\n\n{\"userName\": \"a\"}\n=== 201\n\n{\"id\": \"{{*id}}\"}\n",
		"02.http": "GET /Users/{{id}}\nAuthorization: Bearer {{token}}\n\n=== 200\n\n{{any}}\n",
		"03.http": "GET /Users\nAuthorization: Bearer {{token}}\n\n=== 200\n\n{\"totalResults\": 0}\n",
	})
	rec := runFake(t, Config{Base: srv.URL + testBasePath, Vars: map[string]string{"token": "secret"}}, dir)
	if m := rec.messages("T/seq/01"); len(m) != 1 || !strings.Contains(m[0], "status: got 401, want 201") {
		t.Errorf("01 reported %q, want a status mismatch", m)
	}
	want := "fatal: " + filepath.Join(dir, "02.http") + ": request target: {{id}} is not defined: neither Config.Vars nor an earlier capture set it"
	if diff := cmp.Diff([]string{want}, rec.messages("T/seq/02")); diff != "" {
		t.Errorf("02 messages (-want +got):\n%s", diff)
	}
	if m := rec.messages("T/seq/03"); len(m) != 0 {
		t.Errorf("03, which needs no capture, reported %q", m)
	}
}

func TestRunCaptureScopes(t *testing.T) {
	srv, _ := newSCIMServer(t)
	create := "POST /Users\nAuthorization: Bearer {{token}}\n\n{\"userName\": \"a\"}\n=== 201\n\n{\"id\": \"{{*id}}\"}\n"
	get := "GET /Users/{{id}}\nAuthorization: Bearer {{token}}\n\n=== 200\n\n{\"id\": \"{{id}}\"}\n"
	a := writeFixturesIn(t, "a", map[string]string{"01.http": create, "02.http": get})
	b := writeFixturesIn(t, "b", map[string]string{"01.http": get})
	vars := map[string]string{"token": "secret"}
	rec := runFake(t, Config{Base: srv.URL + testBasePath, Vars: vars}, a, b)
	if m := append(rec.messages("T/a/01"), rec.messages("T/a/02")...); len(m) != 0 {
		t.Errorf("the first directory reported %q", m)
	}
	// The second directory's step must not see the first directory's id.
	if m := rec.messages("T/b/01"); len(m) != 1 || !strings.Contains(m[0], "{{id}} is not defined") {
		t.Errorf("a directory saw another's capture: %q", m)
	}
	if _, ok := vars["id"]; ok || len(vars) != 1 {
		t.Errorf("Run changed Config.Vars: %v", vars)
	}

	// Files named one by one share one scope.
	rec = runFake(t, Config{Base: srv.URL + testBasePath, Vars: vars}, filepath.Join(a, "01.http"), filepath.Join(b, "01.http"))
	if len(rec.entries) != 0 {
		t.Errorf("loose files did not share captures: %q", rec.entries)
	}
}

func TestRunGzip(t *testing.T) {
	srv, _ := newSCIMServer(t)
	dir := writeFixtures(t, map[string]string{
		"01.http": "GET /gzip\nAccept-Encoding: gzip,deflate\n\n=== 200\nContent-Type: application/scim+json\n\n{\"compressed\": true}\n",
	})
	if rec := runFake(t, Config{Base: srv.URL + testBasePath}, dir); len(rec.entries) != 0 {
		t.Errorf("run reported %q", rec.entries)
	}
}

func TestRunSetupErrors(t *testing.T) {
	srv, _ := newSCIMServer(t)
	empty := t.TempDir()
	bad := writeFixtures(t, map[string]string{"01.http": "GET /Users\n\n"})
	rel := writeFixtures(t, map[string]string{"01.http": "GET Users\n=== 200\n"})
	tests := []struct {
		name  string
		c     Config
		paths []string
		test  string
		want  string
	}{
		{"no paths", Config{}, nil, "T", "no fixture paths given"},
		{"missing path", Config{}, []string{"testdata/nope"}, "T", "no such file or directory"},
		{"empty directory", Config{}, []string{empty}, "T", "holds no .http fixtures"},
		{"parse error", Config{Base: srv.URL}, []string{bad}, "T/seq/01", "01.http: no response line"},
		{"relative target without slash", Config{Base: srv.URL}, []string{rel}, "T/seq/01", `request target "Users": want a path starting with /`},
		{"no base", Config{}, []string{"testdata/sequence/01-lookup.http"}, "T/01-lookup", "Config.Base is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := runFake(t, tt.c, tt.paths...)
			m := rec.messages(tt.test)
			if len(m) != 1 || !strings.HasPrefix(m[0], "fatal: ") || !strings.Contains(m[0], tt.want) {
				t.Errorf("%s reported %q, want one fatal error containing %q (all: %q)", tt.test, m, tt.want, rec.entries)
			}
		})
	}
}
