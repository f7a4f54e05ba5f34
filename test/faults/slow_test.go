package faults

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/store/pgstore"
)

// TestSlowDatabase puts a proxy that holds every packet for 5 s between the
// server and PostgreSQL (security.md §5.5). With a request deadline of 2 s,
// every request must be answered 503 within the deadline (plus the margin
// of a shared machine) rather than wait for the database; more clients
// than the pool has connections must not pile connections or goroutines
// up; /-/ready must say the database is unavailable; and all must be well
// again once the delay is gone.
func TestSlowDatabase(t *testing.T) {
	t.Parallel()
	c := startCluster(t)
	bin := binary(t)
	p := startProxy(t, fmt.Sprintf("127.0.0.1:%d", c.port))
	const deadline = 2 * time.Second
	s := startPGServer(t, bin, c, p.port(), deadline)
	ta := s.scim.tally
	admin := c.admin()

	for i := range 20 {
		if o := s.scim.create(fmt.Sprintf("before-%d", i)); o.status != http.StatusCreated {
			t.Fatalf("creation before the fault = %d %s, want 201", o.status, o.detail)
		}
	}
	if got := s.ready(); got != http.StatusOK {
		t.Fatalf("/-/ready before the fault = %d, want 200", got)
	}
	s.scim.http.CloseIdleConnections()
	baseline := goroutines(t, s.srv.URL)
	before := ta.String()

	const delay = 5 * time.Second
	p.setDelay(delay)
	p.resetPeak()
	slowAt := time.Now()

	// Twice as many clients as the pool has connections, each sending
	// three requests one after the other.
	const clients = 2 * pgstore.DefaultMaxConns
	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		slow2xx   int
		peakGo    int
		peakConns int
		readyDown []int
	)
	for w := range clients {
		wg.Go(func() {
			for i := range 3 {
				var o outcome
				if (w+i)%2 == 0 {
					o = s.scim.create(fmt.Sprintf("slow-%d-%d", w, i))
				} else {
					o = s.scim.list(`userName eq "before-1@example.com"`)
				}
				if o.status >= 200 && o.status < 300 {
					mu.Lock()
					slow2xx++
					mu.Unlock()
				}
			}
		})
	}
	// Meanwhile: readiness, the server's goroutines and the sessions
	// PostgreSQL sees from it, sampled while the clients wait.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for sampling := true; sampling; {
		select {
		case <-done:
			sampling = false
		case <-time.After(500 * time.Millisecond): // sampling, not synchronising
		}
		readyDown = append(readyDown, s.ready())
		peakGo = max(peakGo, goroutines(t, s.srv.URL))
		if n, err := c.serverBackends(admin); err == nil {
			peakConns = max(peakConns, n)
		}
	}
	during := time.Since(slowAt)

	// Still slow, and no client asking: the handlers have given up on the
	// database, so the server's goroutines come back down (once the
	// clients' idle keep-alive connections, two goroutines each, are
	// closed).
	s.scim.http.CloseIdleConnections()
	settled := waitFor(t, deadline+margin, "the server's goroutines back near their number before the fault", func() bool {
		return goroutines(t, s.srv.URL) <= baseline+20
	})
	if got := s.ready(); got != http.StatusServiceUnavailable {
		t.Errorf("/-/ready with the database slow = %d, want 503", got)
	}

	p.setDelay(0)
	recovered := waitFor(t, time.Minute, "a creation acknowledged once the delay is gone", func() bool {
		return s.scim.create(fmt.Sprintf("after-%d", time.Now().UnixNano())).status == http.StatusCreated
	})
	readyAgain := waitFor(t, time.Minute, "/-/ready answering 200 once the delay is gone", func() bool { return s.ready() == http.StatusOK })
	for i := range 20 {
		if o := s.scim.create(fmt.Sprintf("after-%d", i)); o.status != http.StatusCreated {
			t.Errorf("creation after the fault = %d %s, want 201", o.status, o.detail)
		}
	}

	ta.check(t)
	slow503 := ta.count(http.StatusServiceUnavailable)
	if slow503 < clients {
		t.Errorf("%d requests answered 503 while the database was slow, want at least %d (one per client)", slow503, clients)
	}
	if slow2xx != 0 {
		t.Errorf("%d requests succeeded through a %v delay with a %v deadline; the fault did not bite", slow2xx, delay, deadline)
	}
	// The server holds at most the pool's connections; a few more may be
	// closing (the proxy shuts a connection the moment the server drops
	// it, but PostgreSQL notices when it next reads).
	if limit := pgstore.DefaultMaxConns + 5; peakConns > limit || int(p.peak.Load()) > limit {
		t.Errorf("PostgreSQL saw up to %d sessions from the server and the proxy %d connections at once, want at most %d (the pool's %d and a few closing)",
			peakConns, p.peak.Load(), limit, pgstore.DefaultMaxConns)
	}
	down := 0
	for _, r := range readyDown {
		if r == http.StatusServiceUnavailable {
			down++
		} else if r != http.StatusOK {
			t.Errorf("/-/ready with the database slow = %d, want 503 (or 200 between packets)", r)
		}
	}
	if down == 0 {
		t.Errorf("/-/ready answered %v while the database was slow, never 503", readyDown)
	}
	t.Logf("before the fault: %s; %d goroutines", before, baseline)
	t.Logf("%d clients × 3 requests through a %v delay took %v; peak %d goroutines (back to ≤ %d within %v), peak %d sessions in pg_stat_activity, %d proxied connections",
		clients, delay, during.Round(time.Millisecond), peakGo, baseline+20, settled.Round(time.Millisecond), peakConns, p.peak.Load())
	t.Logf("/-/ready while slow: %s", strings.Trim(fmt.Sprint(readyDown), "[]"))
	t.Logf("delay removed: first creation acknowledged after %v, /-/ready 200 after %v more", recovered.Round(time.Millisecond), readyAgain.Round(time.Millisecond))
	t.Logf("all requests: %s", ta)
}
