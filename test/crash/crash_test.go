package crash

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
)

// Bounds of TestKill9UnderSCIMWrites: rounds per backend, writers, and the
// window in which each round's kill falls.
const (
	killRounds  = 10
	killWriters = 4
	killEarly   = 50 * time.Millisecond
	killLate    = 800 * time.Millisecond
)

// TestKill9UnderSCIMWrites runs SCIM writers against the real server and
// kills it with SIGKILL at a random moment, killRounds times on one
// database per backend; after each restart every acknowledged write must
// be there, whole (security.md §5.1, 5.2, 5.8).
func TestKill9UnderSCIMWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the binary")
	}
	bin := binary(t)
	seed := seed(t)
	for i, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel() // the backends wait on different things
			began := time.Now()
			f := setup(t, bin, b)
			l := newLoad(f, killWriters, seed+uint64(i))
			rng := rand.New(rand.NewPCG(seed, uint64(100+i)))
			var checked int
			for round := 1; round <= killRounds; round++ {
				srv := f.start(t, bin)
				if round > 1 {
					checked += f.verify(t, srv.URL).checked
					if t.Failed() {
						t.Fatalf("after the kill of round %d", round-1)
					}
				}
				l.nodes.set(srv.URL)
				after := killEarly + time.Duration(rng.Int64N(int64(killLate-killEarly)))
				ctx, cancel := context.WithCancel(context.Background())
				done := make(chan struct{})
				go func() { l.run(ctx); close(done) }()
				time.Sleep(after) // the moment of the crash, not a synchronisation
				srv.Kill()
				cancel()
				<-done
				acked := f.acks.Count(acklog.Ack)
				t.Logf("round %d: killed after %v; %d writes acknowledged so far", round, after, acked)
				f.checkDatabase(t)
			}
			srv := f.start(t, bin)
			final := f.verify(t, srv.URL)
			checked += final.checked
			if err := srv.Term(45 * time.Second); err != nil {
				t.Errorf("SIGTERM after the last round: %v", err)
			}
			f.checkDatabase(t)
			if p := l.stats.problems; len(p) > 0 {
				t.Errorf("wrong answers:\n%v", p)
			}
			if n := l.stats.count5xx(false); n > 0 {
				t.Errorf("%d answers were 5xx, want none", n)
			}
			t.Logf("%s: %d rounds in %v, %d writes acknowledged, %d acknowledged users checked after the last restart (%d checks over all restarts), %d lost, failed: %v",
				b.name, killRounds, time.Since(began).Round(time.Millisecond), f.acks.Count(acklog.Ack), final.checked, checked, final.lost, t.Failed())
			t.Logf("clients saw: %v", l.stats)
			if b.sqlite == "" {
				// The server process is what crashes here, not PostgreSQL,
				// so these do not decide the outcome; they are recorded.
				t.Logf("PostgreSQL: %s", f.pgSettings(t, "fsync", "synchronous_commit"))
			}
		})
	}
}
