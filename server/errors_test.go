package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestErrorRendering(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantMsg    string
	}{
		{"invalid", gatehouse.Errorf(gatehouse.Invalid, "path must not be empty"), 400, "path must not be empty"},
		{"unauthenticated", gatehouse.Errorf(gatehouse.Unauthenticated, "token expired"), 401, "token expired"},
		{"forbidden", gatehouse.Errorf(gatehouse.Forbidden, "owners only"), 403, "owners only"},
		{"not found", gatehouse.Errorf(gatehouse.NotFound, "no such group"), 404, "no such group"},
		{"conflict", gatehouse.Errorf(gatehouse.Conflict, "path is taken"), 409, "path is taken"},
		{"unavailable", &gatehouse.Error{Kind: gatehouse.Unavailable, Err: errors.New("dial tcp 10.0.0.5:5432: refused")}, 503, "unavailable"},
		{"deadline", fmt.Errorf("list users: %w", context.DeadlineExceeded), 503, "the request did not finish in time; try again"},
		{"wrapped kind", fmt.Errorf("find group: %w", gatehouse.Errorf(gatehouse.NotFound, "no such group")), 404, "no such group"},
		{"plain error", errors.New("pq: relation users does not exist"), 500, "internal error"},
		{"internal with message", &gatehouse.Error{Kind: gatehouse.Internal, Message: "disk layout broken"}, 500, "internal error"},
		{"body too large", fmt.Errorf("decode: %w", &http.MaxBytesError{Limit: 10}), 413, "request body is larger than the limit of 10 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, logs := newTestServer(t, Config{})
			s.HandleFunc("GET /fail", func(w http.ResponseWriter, r *http.Request) error {
				w.Header().Set("WWW-Authenticate", `Bearer realm="gatehouse"`)
				return tt.err
			})
			res, body := serve(t, s, httptest.NewRequest("GET", "/fail", nil))
			if res.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Errorf("Content-Type = %q, want JSON", ct)
			}
			if h := res.Header.Get("WWW-Authenticate"); h == "" {
				t.Error("header set by the handler was dropped")
			}
			wantRetry := ""
			if tt.wantStatus == http.StatusServiceUnavailable {
				wantRetry = RetryAfter
			}
			if h := res.Header.Get("Retry-After"); h != wantRetry {
				t.Errorf("Retry-After = %q, want %q", h, wantRetry)
			}
			e := decodeError(t, body)
			if e.Message != tt.wantMsg {
				t.Errorf("message = %q, want %q", e.Message, tt.wantMsg)
			}
			id := res.Header.Get("X-Request-Id")
			if e.Reference == "" || e.Reference != id {
				t.Errorf("reference = %q, want the request id %q", e.Reference, id)
			}

			// The log line carries the reference and the full error, whatever was
			// rendered.
			msg := "request rejected"
			if tt.wantStatus >= 500 {
				msg = "request failed"
			}
			recs := logs.find(t, msg)
			if len(recs) != 1 {
				t.Fatalf("%d %q log lines, want 1; log:\n%s", len(recs), msg, logs)
			}
			if recs[0]["request_id"] != e.Reference || recs[0]["err"] != tt.err.Error() {
				t.Errorf("log line = %v, want request_id %q and err %q", recs[0], e.Reference, tt.err)
			}
		})
	}
}

func TestInternalErrorDetailsNotRendered(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	secret := "connect postgres://gatehouse:hunter2@db.internal/gatehouse: refused"
	s.HandleFunc("POST /boom", func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("create user: %w", errors.New(secret))
	})
	res, body := serve(t, s, httptest.NewRequest("POST", "/boom", nil))
	if res.StatusCode != 500 {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
	if strings.Contains(body, "hunter2") || strings.Contains(body, "create user") {
		t.Errorf("body %q leaks the internal error", body)
	}
	ref := decodeError(t, body).Reference
	var found bool
	for _, rec := range logs.find(t, "request failed") {
		if rec["request_id"] == ref && strings.Contains(rec["err"].(string), secret) {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line with reference %q and the error; log:\n%s", ref, logs)
	}
}

func TestCustomRenderer(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	scimRender := func(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"%d","detail":%q}`, status, ErrorMessage(err))
	}
	s.HandleFunc("GET /scim/Users/{id}", func(w http.ResponseWriter, r *http.Request) error {
		return gatehouse.Errorf(gatehouse.NotFound, "user %s not found", r.PathValue("id"))
	}, WithErrorRenderer(scimRender))
	s.HandleFunc("GET /scim/panic", func(w http.ResponseWriter, r *http.Request) error {
		panic("bad")
	}, WithErrorRenderer(scimRender))

	res, body := serve(t, s, httptest.NewRequest("GET", "/scim/Users/42", nil))
	want := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"404","detail":"user 42 not found"}`
	if res.StatusCode != 404 || body != want {
		t.Errorf("GET /scim/Users/42 = %d %s, want 404 %s", res.StatusCode, body, want)
	}
	res, body = serve(t, s, httptest.NewRequest("GET", "/scim/panic", nil))
	want = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"500","detail":"internal error"}`
	if res.StatusCode != 500 || body != want {
		t.Errorf("GET /scim/panic = %d %s, want 500 %s", res.StatusCode, body, want)
	}
}

func TestPanicRecovery(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.HandleFunc("GET /panic", func(w http.ResponseWriter, r *http.Request) error {
		var m map[string]int
		m["x"] = 1 // a real runtime panic: assignment to a nil map
		return nil
	})
	s.HandleHTTP("GET /plain-panic", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("plain handler")
	}))
	s.HandleFunc("GET /ok", func(w http.ResponseWriter, r *http.Request) error {
		io.WriteString(w, "fine")
		return nil
	})

	for _, path := range []string{"/panic", "/plain-panic"} {
		res, body := serve(t, s, httptest.NewRequest("GET", path, nil))
		if res.StatusCode != 500 {
			t.Errorf("GET %s status = %d, want 500", path, res.StatusCode)
		}
		e := decodeError(t, body)
		if e.Message != "internal error" || e.Reference != res.Header.Get("X-Request-Id") {
			t.Errorf("GET %s body = %+v, want internal error with the request id", path, e)
		}
		var logged bool
		for _, rec := range logs.find(t, "panic serving request") {
			if rec["request_id"] == e.Reference && strings.Contains(rec["stack"].(string), "goroutine") {
				logged = true
			}
		}
		if !logged {
			t.Errorf("GET %s: no panic log line with stack and request id %q; log:\n%s", path, e.Reference, logs)
		}
		var accessLogged bool
		for _, rec := range logs.find(t, "request") {
			if rec["request_id"] == e.Reference && rec["status"] == float64(500) {
				accessLogged = true
			}
		}
		if !accessLogged {
			t.Errorf("GET %s: access log line lacks status 500; log:\n%s", path, logs)
		}
	}

	// Over a real connection too: the server keeps serving after a panic.
	ts := httptest.NewServer(s)
	defer ts.Close()
	for _, path := range []string{"/panic", "/ok"} {
		res, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		res.Body.Close()
		want := map[string]int{"/panic": 500, "/ok": 200}[path]
		if res.StatusCode != want {
			t.Errorf("GET %s over TCP = %d, want %d", path, res.StatusCode, want)
		}
	}
}

func TestAbortHandlerPassesThrough(t *testing.T) {
	s, _ := newTestServer(t, Config{})
	s.HandleFunc("GET /abort", func(w http.ResponseWriter, r *http.Request) error {
		panic(http.ErrAbortHandler)
	})
	defer func() {
		if p := recover(); p != http.ErrAbortHandler {
			t.Errorf("recovered %v, want http.ErrAbortHandler passed on to net/http", p)
		}
	}()
	s.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/abort", nil))
}

func TestBodyLimit(t *testing.T) {
	s, _ := newTestServer(t, Config{MaxBodyBytes: 16})
	s.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) error {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return fmt.Errorf("read body: %w", err)
		}
		w.Write(b)
		return nil
	})
	tests := []struct {
		name       string
		body       string
		wantStatus int
	}{
		{"at the limit", strings.Repeat("a", 16), 200},
		{"over the limit", strings.Repeat("a", 17), 413},
		{"far over", strings.Repeat("a", 1<<20), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := serve(t, s, httptest.NewRequest("POST", "/echo", strings.NewReader(tt.body)))
			if res.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", res.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 413 {
				if e := decodeError(t, body); e.Message != "request body is larger than the limit of 16 bytes" {
					t.Errorf("message = %q, want the limit", e.Message)
				}
			}
		})
	}
}

func TestErrorAfterResponseStarted(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.HandleFunc("GET /half", func(w http.ResponseWriter, r *http.Request) error {
		io.WriteString(w, "partial")
		return errors.New("stream broke")
	})
	res, body := serve(t, s, httptest.NewRequest("GET", "/half", nil))
	if res.StatusCode != 200 || body != "partial" {
		t.Errorf("GET /half = %d %q, want the started response left alone", res.StatusCode, body)
	}
	if len(logs.find(t, "request failed")) != 1 {
		t.Errorf("the error was not logged; log:\n%s", logs)
	}
}

func TestClientGoneAway(t *testing.T) {
	s, logs := newTestServer(t, Config{})
	s.HandleFunc("GET /wait", func(w http.ResponseWriter, r *http.Request) error {
		<-r.Context().Done()
		return fmt.Errorf("list users: %w", r.Context().Err())
	})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	serve(t, s, httptest.NewRequest("GET", "/wait", nil).WithContext(ctx))
	if n := len(logs.find(t, "request failed")); n != 0 {
		t.Errorf("a client that went away was logged as a server failure; log:\n%s", logs)
	}
	access := logs.find(t, "request")
	if len(access) != 1 || access[0]["status"] != float64(499) {
		t.Errorf("access log = %v, want status 499", access)
	}
}

// statusErr is a protocol error with its own status, as scim.Error is.
type statusErr struct{ status int }

func (e statusErr) Error() string   { return "protocol error" }
func (e statusErr) HTTPStatus() int { return e.status }

func TestErrorStatusOwnStatus(t *testing.T) {
	for _, st := range []int{412, 501, 409} {
		err := fmt.Errorf("wrapped: %w", statusErr{st})
		if got := ErrorStatus(err); got != st {
			t.Errorf("ErrorStatus(error with status %d) = %d", st, got)
		}
	}
}
