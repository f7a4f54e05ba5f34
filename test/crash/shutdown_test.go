package crash

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

// shutdownTimeout is serve's (server.DefaultShutdownTimeout): how long it
// lets requests in flight finish after SIGTERM.
const shutdownTimeout = 30 * time.Second

// TestSIGTERMUnderSCIMWrites stops the real server with SIGTERM while SCIM
// writers run, once with --drain-delay and once without, on each backend:
// every answer is whole and right, nothing is a 500, every acknowledged
// write is there after the restart, /-/ready answers 503 from the signal
// on, and the process exits 0 within the shutdown timeout.
func TestSIGTERMUnderSCIMWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	seed := seed(t)
	for i, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel() // the backends wait on different things
			f := setup(t, bin, b)
			l := newLoad(f, killWriters, seed+uint64(i))
			for round, delay := range []time.Duration{3 * time.Second, 0} {
				srv := f.start(t, bin, "--drain-delay", delay.String())
				if round > 0 {
					f.verify(t, srv.URL)
				}
				l.nodes.set(srv.URL)
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { l.run(ctx); close(done) }()
				p := startProbe(srv.URL)
				unknown := l.stats.unknownKeptAlive.Load()

				// Stop it once the writers are well under way.
				waitAcks(t, f.acks, f.acks.Count(acklog.Ack)+40)
				p.signalled.Store(true)
				began := time.Now()
				err := srv.Term(delay + shutdownTimeout + 15*time.Second)
				took := time.Since(began)
				cancel()
				<-done
				ready := p.stop()

				if err != nil {
					t.Errorf("drain delay %v: after SIGTERM: %v, want exit status 0", delay, err)
				}
				if took > delay+shutdownTimeout {
					t.Errorf("drain delay %v: exited %v after SIGTERM, later than the drain delay and shutdown timeout", delay, took)
				}
				if !strings.Contains(srv.Stderr.String(), `"msg":"stopped"`) {
					t.Errorf("drain delay %v: no graceful stop in the log:\n%s", delay, proctest.Tail(srv.Stderr.String(), 20))
				}
				if ready.bad != "" {
					t.Errorf("drain delay %v: /-/ready: %s", delay, ready.bad)
				}
				// During a drain delay every request on a kept-alive
				// connection gets an answer; only without one may a request
				// that races the closing of an idle connection get none (the
				// client's to retry, as after any connection loss). A new
				// connection may still land in the listener's backlog as it
				// closes, and be reset.
				if n := l.stats.unknownKeptAlive.Load() - unknown; delay > 0 && n > 0 {
					t.Errorf("drain delay %v: %d requests on kept-alive connections got no answer, want all answered", delay, n)
				}
				if delay > 0 && ready.draining == 0 {
					t.Errorf("drain delay %v: /-/ready never answered 503 while draining (%d probes after SIGTERM)", delay, ready.after)
				}
				t.Logf("drain delay %v: exited 0 %v after SIGTERM; /-/ready after it: %d × 503, then connection refused; clients so far: %v",
					delay, took.Round(time.Millisecond), ready.draining, l.stats)
			}
			srv := f.start(t, bin)
			final := f.verify(t, srv.URL)
			srv.Kill()
			f.checkDatabase(t)
			if p := l.stats.problems; len(p) > 0 {
				t.Errorf("wrong answers:\n%s", strings.Join(p, "\n"))
			}
			if n := l.stats.count5xx(true); n > 0 {
				t.Errorf("%d answers were 5xx other than 503, want none", n)
			}
			if n := l.stats.truncated.Load(); n > 0 {
				t.Errorf("%d answers were cut off, want none", n)
			}
			t.Logf("%s: %d writes acknowledged, %d acknowledged users checked, %d lost", b.name, f.acks.Count(acklog.Ack), final.checked, final.lost)
		})
	}
}

// waitAcks waits until the log holds n acknowledgements; the bound is a
// deadline against a hang, not a measure.
func waitAcks(t *testing.T, w *acklog.Writer, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for w.Count(acklog.Ack) < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d writes acknowledged within a minute", w.Count(acklog.Ack), n)
		}
		time.Sleep(10 * time.Millisecond) // polling a counter
	}
}

// probe asks /-/ready again and again, as a load balancer does.
type probe struct {
	signalled atomic.Bool // set just before SIGTERM
	quit      chan struct{}
	wg        sync.WaitGroup
	res       probeResult
}

type probeResult struct {
	after    int    // probes answered after SIGTERM
	draining int    // of them, 503 "shutting down"
	bad      string // the first wrong answer
}

func startProbe(base string) *probe {
	p := &probe{quit: make(chan struct{})}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	p.wg.Go(func() {
		for {
			select {
			case <-p.quit:
				return
			case <-time.After(20 * time.Millisecond): // a probe interval
			}
			resp, err := c.Get(base + "/-/ready")
			// Read after the answer: false means it came before SIGTERM.
			after := p.signalled.Load()
			if err != nil {
				if after && errors.Is(err, syscall.ECONNREFUSED) {
					return // the listener is closed: the probe's work is done
				}
				if p.res.bad == "" && !after {
					p.res.bad = "before SIGTERM: " + err.Error()
				}
				continue
			}
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case rerr != nil:
				if p.res.bad == "" {
					p.res.bad = "answer cut off: " + rerr.Error()
				}
			case !after && resp.StatusCode != http.StatusOK:
				if p.res.bad == "" {
					p.res.bad = "before SIGTERM: " + resp.Status + " " + string(b)
				}
			case after && resp.StatusCode == http.StatusServiceUnavailable && string(b) == "shutting down":
				p.res.after++
				p.res.draining++
			case after && resp.StatusCode == http.StatusOK && p.res.draining == 0:
				p.res.after++ // the signal is on its way
			case after:
				if p.res.bad == "" {
					p.res.bad = "after SIGTERM: " + resp.Status + " " + string(b)
				}
			}
		}
	})
	return p
}

// stop ends the probe and returns what it saw.
func (p *probe) stop() probeResult {
	close(p.quit)
	p.wg.Wait()
	return p.res
}
