package scimlog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-sso/gatehouse"
)

// fakeStore records the batches a Writer appends. When gate is set, each
// append first says so on entered and then waits for gate (or its context).
type fakeStore struct {
	mu      sync.Mutex
	batches [][]*gatehouse.SCIMRequestLog
	keeps   []int
	fail    func(entries []*gatehouse.SCIMRequestLog) error
	gate    chan struct{}
	entered chan struct{}
	written chan int // receives each stored batch's size, when set
}

func (f *fakeStore) AppendSCIMRequestLogs(ctx context.Context, entries []*gatehouse.SCIMRequestLog, keep int) error {
	if f.gate != nil {
		f.entered <- struct{}{}
		select {
		case <-f.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if f.fail != nil {
		if err := f.fail(entries); err != nil {
			return err
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, slices.Clone(entries))
	f.keeps = append(f.keeps, keep)
	f.mu.Unlock()
	if f.written != nil {
		f.written <- len(entries)
	}
	return nil
}

// requestIDs returns the request ids of every stored entry, batch by batch.
func (f *fakeStore) requestIDs() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var all [][]string
	for _, b := range f.batches {
		var ids []string
		for _, e := range b {
			ids = append(ids, e.RequestID)
		}
		all = append(all, ids)
	}
	return all
}

func entry(groupID int64, id string) *gatehouse.SCIMRequestLog {
	return &gatehouse.SCIMRequestLog{GroupID: groupID, RequestID: id, Method: "GET", Path: "/Users", Status: 200, Operation: "list_users"}
}

// newWriter starts a writer over st with cfg, a fresh registry and no log
// output, and closes it at the end of the test.
func newWriter(t *testing.T, st Store, cfg Config) (*Writer, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	cfg.Store, cfg.Registerer, cfg.Logger = st, reg, slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := New(cfg)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	t.Cleanup(func() { w.Close(context.Background()) })
	return w, reg
}

// dropped reads gatehouse_scim_request_log_dropped_total{reason} from reg.
func dropped(t *testing.T, reg *prometheus.Registry, reason string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "gatehouse_scim_request_log_dropped_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "reason" && l.GetValue() == reason {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no gatehouse_scim_request_log_dropped_total{reason=%q}", reason)
	return 0
}

func mustLog(t *testing.T, w *Writer, e *gatehouse.SCIMRequestLog) {
	t.Helper()
	if !w.Log(e) {
		t.Fatalf("Log(%s) = false, want true", e.RequestID)
	}
}

func TestWriterBatchesBySize(t *testing.T) {
	st := &fakeStore{written: make(chan int, 10)}
	w, _ := newWriter(t, st, Config{BatchSize: 3, FlushInterval: time.Hour, Keep: 7})
	for i := range 7 {
		mustLog(t, w, entry(1, fmt.Sprint(i)))
	}
	<-st.written
	<-st.written // two full batches, without waiting for the interval
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	want := [][]string{{"0", "1", "2"}, {"3", "4", "5"}, {"6"}}
	if got := st.requestIDs(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", got, want)
	}
	if want := []int{7, 7, 7}; !slices.Equal(st.keeps, want) {
		t.Errorf("keep passed to the store = %v, want %v", st.keeps, want)
	}
}

func TestWriterFlushesAfterInterval(t *testing.T) {
	st := &fakeStore{written: make(chan int, 10)}
	w, _ := newWriter(t, st, Config{BatchSize: 100, FlushInterval: 5 * time.Millisecond})
	mustLog(t, w, entry(1, "a"))
	mustLog(t, w, entry(2, "b"))
	select {
	case n := <-st.written:
		if n != 2 {
			// The two may straddle a flush; the rest comes next.
			if m := <-st.written; n+m != 2 {
				t.Errorf("flushed %d then %d entries, want 2 in all", n, m)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatal("nothing written 10s after two entries with a 5ms flush interval")
	}
	if got := st.requestIDs(); len(got) == 0 || got[0][0] != "a" {
		t.Errorf("batches = %v, want a first", got)
	}
}

func TestWriterDropsWhenFull(t *testing.T) {
	st := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	w, reg := newWriter(t, st, Config{QueueSize: 2, BatchSize: 1, FlushInterval: time.Hour})
	mustLog(t, w, entry(1, "writing"))
	<-st.entered // the writer holds "writing" and waits for the store
	mustLog(t, w, entry(1, "queued1"))
	mustLog(t, w, entry(1, "queued2"))
	start := time.Now()
	if w.Log(entry(1, "dropped")) {
		t.Errorf("Log with a full queue = true, want false")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Log with a full queue took %v, want no wait", d)
	}
	if got := dropped(t, reg, reasonQueueFull); got != 1 {
		t.Errorf("dropped{queue_full} = %v, want 1", got)
	}
	go func() {
		for range st.entered {
			st.gate <- struct{}{}
		}
	}()
	st.gate <- struct{}{}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	close(st.entered)
	want := [][]string{{"writing"}, {"queued1"}, {"queued2"}}
	if got := st.requestIDs(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", got, want)
	}
}

func TestWriterBoundsQueuedBytes(t *testing.T) {
	st := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	w, reg := newWriter(t, st, Config{QueueBytes: 6000, BatchSize: 1, FlushInterval: time.Hour})
	big := func(id string) *gatehouse.SCIMRequestLog {
		e := entry(1, id)
		e.RequestBody = strings.Repeat("x", 4000)
		return e
	}
	mustLog(t, w, big("writing"))
	<-st.entered
	if w.Log(big("too much")) {
		t.Errorf("Log past QueueBytes = true, want false")
	}
	mustLog(t, w, entry(1, "small"))
	if got := dropped(t, reg, reasonQueueFull); got != 1 {
		t.Errorf("dropped{queue_full} = %v, want 1", got)
	}
	st.gate <- struct{}{}
	<-st.entered
	st.gate <- struct{}{}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	want := [][]string{{"writing"}, {"small"}}
	if got := st.requestIDs(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", got, want)
	}
}

func TestWriterCloseFlushes(t *testing.T) {
	st := &fakeStore{}
	w, reg := newWriter(t, st, Config{BatchSize: 2, FlushInterval: time.Hour})
	for i := range 5 {
		mustLog(t, w, entry(1, fmt.Sprint(i)))
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	var got []string
	for _, b := range st.requestIDs() {
		got = append(got, b...)
	}
	if want := []string{"0", "1", "2", "3", "4"}; !slices.Equal(got, want) {
		t.Errorf("written after Close = %v, want %v", got, want)
	}
	if w.Log(entry(1, "late")) {
		t.Errorf("Log after Close = true, want false")
	}
	if got := dropped(t, reg, reasonClosed); got != 1 {
		t.Errorf("dropped{closed} = %v, want 1", got)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Errorf("second Close() = %v, want nil", err)
	}
}

func TestWriterCloseGivesUp(t *testing.T) {
	st := &fakeStore{gate: make(chan struct{}), entered: make(chan struct{}, 10)}
	w, reg := newWriter(t, st, Config{BatchSize: 1, FlushInterval: time.Hour})
	mustLog(t, w, entry(1, "stuck"))
	<-st.entered // the store never answers
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := w.Close(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Close(cancelled) = %v, want context.Canceled", err)
	}
	if got := dropped(t, reg, reasonClosed); got != 1 {
		t.Errorf("dropped{closed} = %v, want 1 (the abandoned write)", got)
	}
}

func TestWriterWriteError(t *testing.T) {
	st := &fakeStore{written: make(chan int, 10)}
	st.fail = func(entries []*gatehouse.SCIMRequestLog) error {
		if entries[0].RequestID == "bad" {
			return &gatehouse.Error{Kind: gatehouse.Unavailable, Message: "the database is unavailable"}
		}
		return nil
	}
	w, reg := newWriter(t, st, Config{BatchSize: 2, FlushInterval: time.Hour})
	mustLog(t, w, entry(1, "bad"))
	mustLog(t, w, entry(1, "lost"))
	mustLog(t, w, entry(1, "good"))
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got, want := st.requestIDs(), [][]string{{"good"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches = %v, want %v", got, want)
	}
	if got := dropped(t, reg, reasonWriteError); got != 2 {
		t.Errorf("dropped{write_error} = %v, want 2", got)
	}
}

func TestWriterGroupGone(t *testing.T) {
	st := &fakeStore{}
	st.fail = func(entries []*gatehouse.SCIMRequestLog) error {
		for _, e := range entries {
			if e.GroupID == 99 {
				return &gatehouse.Error{Kind: gatehouse.NotFound, Message: "group 99 not found"}
			}
		}
		return nil
	}
	w, reg := newWriter(t, st, Config{BatchSize: 4, FlushInterval: time.Hour})
	for _, e := range []*gatehouse.SCIMRequestLog{entry(1, "a1"), entry(99, "gone"), entry(2, "b1"), entry(1, "a2")} {
		mustLog(t, w, e)
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if got, want := st.requestIDs(), [][]string{{"a1", "a2"}, {"b1"}}; !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches = %v, want %v (each live group's entries, on their own)", got, want)
	}
	if got := dropped(t, reg, reasonWriteError); got != 1 {
		t.Errorf("dropped{write_error} = %v, want 1", got)
	}
}

func TestWriterLogClampsAndRefuses(t *testing.T) {
	st := &fakeStore{}
	w, reg := newWriter(t, st, Config{FlushInterval: time.Hour})
	e := entry(1, "long")
	e.RequestBody = strings.Repeat("a", 3*gatehouse.SCIMLogBodyLimit)
	e.UserAgent = "agent\xff" + strings.Repeat("b", 1000)
	mustLog(t, w, e)
	if w.Log(entry(0, "no group")) {
		t.Errorf("Log(entry without a group) = true, want false")
	}
	if err := w.Close(t.Context()); err != nil {
		t.Fatalf("Close() = %v", err)
	}
	if err := e.Validate(); err != nil {
		t.Errorf("the logged entry breaks Validate after Log: %v", err)
	}
	if !strings.HasSuffix(e.RequestBody, "bytes]") || len(e.UserAgent) > gatehouse.SCIMLogUserAgentLimit {
		t.Errorf("Log did not clamp the entry: body ends …%q, user agent %d bytes", tail(e.RequestBody), len(e.UserAgent))
	}
	if got := dropped(t, reg, reasonInvalid); got != 1 {
		t.Errorf("dropped{invalid} = %v, want 1", got)
	}
}

func TestNewNeedsStore(t *testing.T) {
	if _, err := New(Config{}); err == nil {
		t.Error("New(Config{}) = nil error, want one: Store is required")
	}
}
