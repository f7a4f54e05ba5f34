package load

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

func TestProgress(t *testing.T) {
	rec := newRecorder("sync", "entra", 50)
	for range 7 {
		rec.ok(time.Millisecond)
	}
	rec.fail(errTest)
	rec.request("POST /Users", 500, time.Millisecond)
	var out proctest.Buffer
	stop := Progress{Out: &out, Every: time.Millisecond}.watch(rec)
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(out.String(), "\n") && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	stop()
	line, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(line, "sync: 8/50 done, ") || !strings.Contains(line, "1 errors (1 answered 5xx!)") {
		t.Errorf("progress line = %q", line)
	}
	if got := (Progress{}).watch(rec); got == nil {
		t.Error("a Progress without output returns no stop")
	}
}

var errTest = &statusError{"POST", "/Users", 500, []byte("<html><title>Broken</title></html>")}

func TestStatusErrorShowsThePageTitle(t *testing.T) {
	if got, want := errTest.Error(), "POST /Users = 500: Broken"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestCallWaitsOutThrottling: a 429 is counted, waited out for its
// Retry-After and sent again with the same body; a server that keeps
// answering 429 is given up on after maxThrottled tries.
func TestCallWaitsOutThrottling(t *testing.T) {
	var calls atomic.Int32
	var bodies sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		bodies.Store(n, string(b))
		if r.URL.Path == "/always" || n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusCreated)
	}))
	defer srv.Close()
	tg := NewTarget("tok", 1, srv.URL)
	rec := newRecorder("test", "entra", 1)
	start := time.Now()
	r, err := tg.call(t.Context(), rec, http.MethodPost, "/Users", map[string]string{"userName": "a"})
	if err != nil || r.status != http.StatusCreated {
		t.Fatalf("call = %d, %v; want 201 after the 429", r.status, err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("call returned after %v, want it to wait out Retry-After: 1", d)
	}
	b1, _ := bodies.Load(int32(1))
	b2, _ := bodies.Load(int32(2))
	if b1 != `{"userName":"a"}` || b2 != b1 {
		t.Errorf("bodies sent = %q then %q, want the same JSON twice", b1, b2)
	}
	if rec.status["429"] != 1 || rec.status["201"] != 1 {
		t.Errorf("statuses counted = %v, want one 429 and one 201", rec.status)
	}

	// Given up on: a cancelled context ends the wait at once.
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	calls.Store(0)
	r, err = tg.call(ctx, rec, http.MethodGet, "/always", nil)
	if r.status != http.StatusTooManyRequests || err == nil || calls.Load() != 2 {
		t.Errorf("call to a server that always throttles, cancelled after 1.5 s = %d, %v after %d requests; want 429, the context's error, 2 requests",
			r.status, err, calls.Load())
	}
}
