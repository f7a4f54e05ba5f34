package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

// TestRequestTimeout has handlers wait for a database that never answers:
// the request's context ends after RequestTimeout and the answer is a 503
// that says so, never a 500 or a request that waits without end.
func TestRequestTimeout(t *testing.T) {
	s, logs := newTestServer(t, Config{RequestTimeout: 50 * time.Millisecond})
	wait := func(ctx context.Context) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Minute): // far past any deadline the test sets
			return nil
		}
	}
	s.HandleFunc("GET /bare", func(w http.ResponseWriter, r *http.Request) error {
		return fmt.Errorf("find user: %w", wait(r.Context()))
	})
	s.HandleFunc("GET /store", func(w http.ResponseWriter, r *http.Request) error {
		err := wait(r.Context())
		// What the stores return for a query that ran out of time.
		return &gatehouse.Error{Kind: gatehouse.Unavailable, Op: "sqldb.FindUser",
			Message: "the database did not answer in time; try again", Err: err}
	})
	s.HandleFunc("GET /deadline", func(w http.ResponseWriter, r *http.Request) error {
		d, ok := r.Context().Deadline()
		if !ok {
			return fmt.Errorf("the request's context has no deadline")
		}
		fmt.Fprint(w, time.Until(d) <= 50*time.Millisecond)
		return nil
	})

	tests := []struct {
		path, message string
	}{
		{"/bare", "the request did not finish in time; try again"},
		{"/store", "the database did not answer in time; try again"},
	}
	for _, tt := range tests {
		res, body := serve(t, s, httptest.NewRequest("GET", tt.path, nil))
		if res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET %s = %d %s, want 503", tt.path, res.StatusCode, body)
			continue
		}
		if got := decodeError(t, body).Message; got != tt.message {
			t.Errorf("GET %s message = %q, want %q", tt.path, got, tt.message)
		}
	}
	if res, body := serve(t, s, httptest.NewRequest("GET", "/deadline", nil)); res.StatusCode != 200 || body != "true" {
		t.Errorf("GET /deadline = %d %q, want 200 true (a deadline within RequestTimeout)", res.StatusCode, body)
	}
	if n := len(logs.find(t, "request failed")); n != 2 {
		t.Errorf("%d \"request failed\" log lines, want 2", n)
	}
}

// TestRequestTimeoutNotClientClosed: a handler that reports its work
// canceled because the request ran out of time answers 503; only a client
// that went away gets nothing (499 in the log).
func TestRequestTimeoutNotClientClosed(t *testing.T) {
	s, _ := newTestServer(t, Config{RequestTimeout: 20 * time.Millisecond})
	s.HandleFunc("GET /canceled", func(w http.ResponseWriter, r *http.Request) error {
		<-r.Context().Done()
		// Some drivers report an interrupted query as canceled whatever
		// ended the context.
		return &gatehouse.Error{Kind: gatehouse.Unavailable, Message: "the request was canceled before the database answered",
			Err: context.Canceled}
	})
	res, body := serve(t, s, httptest.NewRequest("GET", "/canceled", nil))
	if res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("GET /canceled past the request deadline = %d %q, want 503", res.StatusCode, body)
	}
}
