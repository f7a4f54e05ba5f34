package crash

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/internal/acklog"
	"github.com/gatehouse-sso/gatehouse/internal/proctest"
)

// nextTag builds the "next release": today's binary plus migration 90001
// (store/internal/sqldb/testnext), which adds a nullable column to
// scim_identities and fills it in.
const nextTag = "gatehouse_testnext"

// TestTwoVersionsDuringMigration is a rolling upgrade under SCIM load
// (security.md §5.10): today's binary serves, the next release starts on
// the same database and migrates it while the old one goes on writing,
// then another old node starts on the newer schema. Load runs over every
// node the whole time. No request may fail, every acknowledged write must
// be there, no user doubled. On SQLite the nodes are processes sharing one
// file, which the store supports (WAL and a busy timeout; sqlitestore's
// package comment).
func TestTwoVersionsDuringMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary twice")
	}
	old, next := binary(t), binary(t, nextTag)
	seed := seed(t)
	for i, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel() // the backends wait on different things
			f := setup(t, old, b)
			l := newLoad(f, killWriters, seed+uint64(i))
			l.untilError = false // every request must be answered

			a := f.start(t, old)
			l.nodes.set(a.URL)
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { l.run(ctx); close(done) }()
			stopped := false
			stop := func() {
				if !stopped {
					stopped = true
					cancel()
					<-done
				}
			}
			defer stop()

			waitAcks(t, f.acks, f.acks.Count(acklog.Ack)+40)
			// The next release migrates while the old node writes.
			n := f.start(t, next)
			if !strings.Contains(n.Stderr.String(), `"version":90001`) {
				t.Errorf("the next release did not apply migration 90001:\n%s", proctest.Tail(n.Stderr.String(), 20))
			}
			l.nodes.set(a.URL, n.URL)
			waitAcks(t, f.acks, f.acks.Count(acklog.Ack)+80)
			// An old node starting now finds a newer schema: it warns and
			// serves.
			a2 := f.start(t, old)
			if !strings.Contains(a2.Stderr.String(), "newer than this binary") {
				t.Errorf("the old binary on the newer schema did not warn:\n%s", proctest.Tail(a2.Stderr.String(), 20))
			}
			l.nodes.set(a.URL, n.URL, a2.URL)
			before := map[string]int{a.URL: l.stats.acksBy(a.URL), n.URL: l.stats.acksBy(n.URL), a2.URL: 0}
			waitAcks(t, f.acks, f.acks.Count(acklog.Ack)+120)
			stop()

			for _, s := range []*proctest.Server{a, n, a2} {
				if got := l.stats.acksBy(s.URL); got <= before[s.URL] {
					t.Errorf("node %s acknowledged no write once all three ran (%d before, %d after)", s.URL, before[s.URL], got)
				}
				if logs := s.Stderr.String(); strings.Contains(logs, `"level":"ERROR"`) {
					t.Errorf("node %s logged errors:\n%s", s.URL, grepLines(logs, `"level":"ERROR"`, 10))
				}
			}
			if p := l.stats.problems; len(p) > 0 {
				t.Errorf("wrong answers:\n%s", strings.Join(p, "\n"))
			}
			if n := l.stats.count5xx(false); n > 0 {
				t.Errorf("%d answers were 5xx, want none", n)
			}
			if n := l.stats.unknown.Load() + l.stats.refused.Load() + l.stats.truncated.Load() + l.stats.failed.Load(); n > 0 {
				t.Errorf("%d requests were not acknowledged, want all: %v", n, l.stats)
			}
			// Both versions read the same users.
			vOld, vNext := f.verify(t, a.URL), f.verify(t, n.URL)
			for _, s := range []*proctest.Server{a, n, a2} {
				if err := s.Term(shutdownTimeout + 15*time.Second); err != nil {
					t.Errorf("SIGTERM %s: %v", s.URL, err)
				}
			}
			f.checkDatabase(t)
			f.checkNextColumn(t)
			t.Logf("%s: %d writes acknowledged (old node %d, next release %d, old node on the newer schema %d), %d acknowledged users checked through each version, %d lost; clients saw: %v",
				b.name, f.acks.Count(acklog.Ack), l.stats.acksBy(a.URL), l.stats.acksBy(n.URL), l.stats.acksBy(a2.URL), vOld.checked, vOld.lost+vNext.lost, l.stats)
		})
	}
}

// checkNextColumn checks that migration 90001's column is there.
func (f *fixture) checkNextColumn(t *testing.T) {
	t.Helper()
	db := f.openDB(t)
	defer db.Close()
	var filled, empty int
	if err := db.QueryRow(`SELECT COUNT(testnext_note), COUNT(*) - COUNT(testnext_note) FROM scim_identities`).Scan(&filled, &empty); err != nil {
		t.Fatalf("reading migration 90001's column: %v", err)
	}
	t.Logf("scim_identities.testnext_note: %d rows filled in by the migration, %d written since without it", filled, empty)
}

// grepLines returns up to n lines of s that contain sub.
func grepLines(s, sub string, n int) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) && len(out) < n {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
