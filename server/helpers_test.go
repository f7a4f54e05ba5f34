package server

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Every store can back a server.
var _ DB = store.Store(nil)

// fakeDB is a DB whose answers the test sets.
type fakeDB struct {
	pingErr error
	stats   map[string]sql.DBStats
}

func (f *fakeDB) Ping(ctx context.Context) error { return f.pingErr }
func (f *fakeDB) Stats() map[string]sql.DBStats  { return f.stats }

// logBuffer collects JSON log lines; it is safe for the concurrent writes of a
// real server's goroutines.
type logBuffer struct{ proctest.Buffer }

// lines returns the log records decoded.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q is not JSON: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

// find returns the log records whose msg is msg.
func (b *logBuffer) find(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, m := range b.lines(t) {
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// newTestServer returns a server over cfg, filling in a fake DB and a logger
// that writes to the returned buffer when cfg has none.
func newTestServer(t *testing.T, cfg Config) (*Server, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if cfg.DB == nil {
		cfg.DB = &fakeDB{}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s, logs
}

// serve runs one request through s in the test's goroutine.
func serve(t *testing.T, s *Server, r *http.Request) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, r)
	res := rec.Result()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

// decodeError decodes a RenderJSONError body.
func decodeError(t *testing.T, body string) errorBody {
	t.Helper()
	var e errorBody
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", body, err)
	}
	return e
}
