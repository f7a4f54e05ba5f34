package load

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Summary is the outcome of one workload: how many operations succeeded,
// how fast, their latency percentiles, and every HTTP status the workload's
// requests got. An operation is what the workload does for one user (a
// sync's lookup and create, a sign-in's four requests) or one request
// (a filter GET, a page).
type Summary struct {
	Workload string `json:"workload"`
	IdP      string `json:"idp,omitempty"`
	// Count is the operations that succeeded; Errors those that failed.
	Count  int `json:"count"`
	Errors int `json:"errors"`
	// Skipped are operations not attempted: users already present at a
	// sync, users whose state an earlier unanswered write left unknown.
	Skipped  int     `json:"skipped,omitempty"`
	Requests int     `json:"requests"`
	Elapsed  float64 `json:"elapsed_s"`
	PerSec   float64 `json:"per_s"` // successful operations per second
	P50      float64 `json:"p50_ms"`
	P95      float64 `json:"p95_ms"`
	P99      float64 `json:"p99_ms"`
	Max      float64 `json:"max_ms"`
	// Status counts the workload's requests by HTTP status; "network" is
	// a request that got no answer.
	Status map[string]int `json:"status"`
	// Parts are the latencies of each kind of request the operations
	// made ("GET filter", "POST /Users", …), answered or not.
	Parts      []Part `json:"parts,omitempty"`
	FirstError string `json:"first_error,omitempty"`
	// Users is what a paged read saw; Replays and ReplaysAccepted what a
	// sign-in run replayed (a replay accepted is a security failure).
	Users           int `json:"users,omitempty"`
	Replays         int `json:"replays,omitempty"`
	ReplaysAccepted int `json:"replays_accepted"`
}

// Part is the latency of one kind of request.
type Part struct {
	Kind  string  `json:"kind"`
	Count int     `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

// ServerErrors is the number of requests answered 5xx.
func (s *Summary) ServerErrors() int {
	n := 0
	for k, v := range s.Status {
		if len(k) == 3 && k[0] == '5' {
			n += v
		}
	}
	return n
}

// Failed reports whether the workload had anything wrong: a failed
// operation, a 5xx, or an accepted replay.
func (s *Summary) Failed() bool {
	return s.Errors > 0 || s.ServerErrors() > 0 || s.ReplaysAccepted > 0
}

func (s *Summary) String() string {
	var b strings.Builder
	name := s.Workload
	if s.IdP != "" {
		name += " (" + s.IdP + ")"
	}
	fmt.Fprintf(&b, "%s: %d ok, %d errors in %.2fs = %.1f/s", name, s.Count, s.Errors, s.Elapsed, s.PerSec)
	if s.Skipped > 0 {
		fmt.Fprintf(&b, ", %d skipped", s.Skipped)
	}
	if s.Users > 0 {
		fmt.Fprintf(&b, ", %d users", s.Users)
	}
	fmt.Fprintf(&b, "\n  latency p50=%s p95=%s p99=%s max=%s", ms(s.P50), ms(s.P95), ms(s.P99), ms(s.Max))
	codes := slices.Sorted(maps.Keys(s.Status))
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%s×%d", c, s.Status[c])
	}
	fmt.Fprintf(&b, "\n  %d requests: %s", s.Requests, strings.Join(parts, " "))
	if len(s.Parts) > 1 {
		for _, p := range s.Parts {
			fmt.Fprintf(&b, "\n    %-22s n=%d p50=%s p99=%s max=%s", p.Kind, p.Count, ms(p.P50), ms(p.P99), ms(p.Max))
		}
	}
	if s.Replays > 0 {
		fmt.Fprintf(&b, "\n  replays sent: %d, replays accepted: %d", s.Replays, s.ReplaysAccepted)
	}
	if n := s.ServerErrors(); n > 0 {
		fmt.Fprintf(&b, "\n  !!! %d SERVER ERRORS (5xx) !!!", n)
	}
	if s.ReplaysAccepted > 0 {
		fmt.Fprintf(&b, "\n  !!! %d REPLAYED RESPONSES ACCEPTED !!!", s.ReplaysAccepted)
	}
	if s.FirstError != "" {
		fmt.Fprintf(&b, "\n  first error: %s", s.FirstError)
	}
	return b.String()
}

// ms formats milliseconds with a precision that suits their size.
func ms(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0fms", v)
	case v >= 10:
		return fmt.Sprintf("%.1fms", v)
	default:
		return fmt.Sprintf("%.2fms", v)
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted durations: the smallest value with at least p % of the values at
// or below it. Zero for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted)) + 0.999999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// recorder collects one workload's measurements; safe for concurrent use.
type recorder struct {
	name, idp string
	start     time.Time

	total        atomic.Int64 // operations planned, for progress; 0: unknown
	done, failed atomic.Int64

	mu       sync.Mutex
	lat      []time.Duration
	kinds    map[string][]time.Duration
	status   map[string]int
	requests int
	skipped  int
	firstErr string
	users    int
	replays  int
	accepted int
}

func newRecorder(name, idp string, total int) *recorder {
	r := &recorder{name: name, idp: idp, start: time.Now(), status: map[string]int{}, kinds: map[string][]time.Duration{}}
	r.total.Store(int64(total))
	return r
}

// request counts one HTTP request of a kind, its status (0: no answer)
// and how long it took.
func (r *recorder) request(kind string, status int, d time.Duration) {
	k := "network"
	if status > 0 {
		k = strconv.Itoa(status)
	}
	r.mu.Lock()
	r.status[k]++
	r.requests++
	r.kinds[kind] = append(r.kinds[kind], d)
	r.mu.Unlock()
}

func (r *recorder) ok(d time.Duration) {
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
	r.done.Add(1)
}

func (r *recorder) fail(err error) {
	r.mu.Lock()
	if r.firstErr == "" {
		r.firstErr = err.Error()
	}
	r.mu.Unlock()
	r.failed.Add(1)
}

func (r *recorder) skip() {
	r.mu.Lock()
	r.skipped++
	r.mu.Unlock()
}

func (r *recorder) summary() *Summary {
	elapsed := time.Since(r.start)
	r.mu.Lock()
	defer r.mu.Unlock()
	lat := slices.Clone(r.lat)
	slices.Sort(lat)
	f := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	s := &Summary{
		Workload: r.name, IdP: r.idp,
		Count: len(lat), Errors: int(r.failed.Load()), Skipped: r.skipped, Requests: r.requests,
		Elapsed: elapsed.Seconds(),
		P50:     f(Percentile(lat, 50)), P95: f(Percentile(lat, 95)), P99: f(Percentile(lat, 99)), Max: f(Percentile(lat, 100)),
		Status: maps.Clone(r.status), FirstError: r.firstErr,
		Users: r.users, Replays: r.replays, ReplaysAccepted: r.accepted,
	}
	for _, k := range slices.Sorted(maps.Keys(r.kinds)) {
		d := slices.Clone(r.kinds[k])
		slices.Sort(d)
		s.Parts = append(s.Parts, Part{Kind: k, Count: len(d), P50: f(Percentile(d, 50)), P99: f(Percentile(d, 99)), Max: f(Percentile(d, 100))})
	}
	if elapsed > 0 {
		s.PerSec = float64(s.Count) / elapsed.Seconds()
	}
	return s
}

// Progress prints one line about the running workload every Every to Out
// (a terminal: every second; a log file: every few seconds).
type Progress struct {
	Out   io.Writer // nil: no progress
	Every time.Duration
}

// watch prints r's progress until the returned stop is called.
func (p Progress) watch(r *recorder) (stop func()) {
	if p.Out == nil || p.Every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(p.Every)
		defer t.Stop()
		last, lastAt := int64(0), time.Now()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				n, e := r.done.Load(), r.failed.Load()
				rate := float64(n-last) / now.Sub(lastAt).Seconds()
				last, lastAt = n, now
				total := "?"
				if n := r.total.Load(); n > 0 {
					total = strconv.FormatInt(n, 10)
				}
				r.mu.Lock()
				s5 := 0
				for k, v := range r.status {
					if k[0] == '5' {
						s5 += v
					}
				}
				r.mu.Unlock()
				warn := ""
				if s5 > 0 {
					warn = fmt.Sprintf(" (%d answered 5xx!)", s5)
				}
				fmt.Fprintf(p.Out, "%s: %d/%s done, %.0f/s, %d errors%s, %s\n", r.name, n+e, total, rate, e, warn, now.Sub(r.start).Round(time.Second))
			}
		}
	})
	return func() { close(done); wg.Wait() }
}
