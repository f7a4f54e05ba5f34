// Package scimlog keeps each group's SCIM request log (behaviour.md
// decisions 17 and 24): RedactBody, RedactQuery and Path take the secrets
// out of what a request carried, and a Writer stores the entries in the
// background, in batches, keeping the newest entries of each group.
//
// The log is diagnostics, not the audit trail: a request never waits for
// its entry, and entries still queued when the process dies, or that do not
// fit the bounded queue, are lost (and counted). Audit events are written
// with the change they record instead.
package scimlog

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-sso/gatehouse"
)

// Defaults of Config.
const (
	// DefaultKeep is how many entries of each group's log are kept.
	DefaultKeep = 1000
	// DefaultQueueSize is how many entries may wait to be written.
	DefaultQueueSize = 10000
	// DefaultQueueBytes bounds the memory that waiting entries hold.
	DefaultQueueBytes = 32 << 20
	// DefaultBatchSize is the most entries written in one transaction.
	DefaultBatchSize = 500
	// DefaultFlushInterval is the longest an entry waits for its batch to
	// fill before the batch is written anyway.
	DefaultFlushInterval = 200 * time.Millisecond
	// DefaultWriteTimeout bounds one batch's write.
	DefaultWriteTimeout = 10 * time.Second
)

// Store is where a Writer writes; store.Store implements it.
type Store interface {
	AppendSCIMRequestLogs(ctx context.Context, entries []*gatehouse.SCIMRequestLog, keep int) error
}

// Config configures a Writer. Only Store is required; zero values mean the
// defaults.
type Config struct {
	Store Store
	// Keep is how many entries of each group are kept (DefaultKeep).
	Keep int
	// QueueSize and QueueBytes bound the entries waiting to be written, in
	// number and in bytes of text (DefaultQueueSize, DefaultQueueBytes).
	QueueSize  int
	QueueBytes int
	// BatchSize is the most entries written in one transaction
	// (DefaultBatchSize).
	BatchSize int
	// FlushInterval is how long an entry may wait for a batch to fill
	// (DefaultFlushInterval).
	FlushInterval time.Duration
	// WriteTimeout bounds each batch's write (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// Logger receives failed writes and drops; nil means slog.Default().
	Logger *slog.Logger
	// Registerer, when set, gets the writer's metric,
	// gatehouse_scim_request_log_dropped_total.
	Registerer prometheus.Registerer
}

// Reasons an entry is dropped, the values of the metric's reason label.
const (
	reasonQueueFull  = "queue_full"  // the queue was full: the database is slower than the requests
	reasonWriteError = "write_error" // the batch's write failed
	reasonInvalid    = "invalid"     // the entry broke a rule Clamp cannot fix (no group, no status)
	reasonClosed     = "closed"      // logged after Close, or not written before Close gave up
)

// Writer writes SCIM request log entries in the background. Log queues an
// entry without ever blocking; one goroutine, started by New and stopped by
// Close, writes the queue in batches of up to BatchSize entries, one
// transaction each, at least every FlushInterval while entries wait, and in
// the same transaction trims every group it wrote to to its newest Keep
// entries. Entries that do not fit the queue, or whose batch fails to be
// written, are dropped, logged and counted; a failed write never reaches
// the request that made the entry.
//
// A Writer is safe for concurrent use.
type Writer struct {
	cfg   Config
	log   *slog.Logger
	queue chan queued

	// mu orders Log against Close: once closed is set under the write
	// lock, no Log can add to the queue, so the final drain sees all of it.
	mu     sync.RWMutex
	closed bool

	queuedBytes atomic.Int64  // text bytes of the entries in the queue or the batch being written
	unreported  atomic.Uint64 // drops not yet logged

	closing chan struct{}      // closed by Close: drain and stop
	stopped chan struct{}      // closed when the goroutine has returned
	abandon context.CancelFunc // cancels the write under way when Close gives up

	dropped *prometheus.CounterVec
}

// queued is one entry in the queue, with the bytes it counts for.
type queued struct {
	e    *gatehouse.SCIMRequestLog
	size int64
}

// New starts a writer. It fails when cfg has no Store or the metric cannot
// be registered.
func New(cfg Config) (*Writer, error) {
	if cfg.Store == nil {
		return nil, errors.New("scimlog: Config.Store is required")
	}
	defaults := []struct {
		v *int
		d int
	}{{&cfg.Keep, DefaultKeep}, {&cfg.QueueSize, DefaultQueueSize}, {&cfg.QueueBytes, DefaultQueueBytes}, {&cfg.BatchSize, DefaultBatchSize}}
	for _, f := range defaults {
		if *f.v <= 0 {
			*f.v = f.d
		}
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = DefaultFlushInterval
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	w := &Writer{
		cfg:     cfg,
		log:     cfg.Logger,
		queue:   make(chan queued, cfg.QueueSize),
		closing: make(chan struct{}),
		stopped: make(chan struct{}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gatehouse_scim_request_log_dropped_total",
			Help: "SCIM request log entries that were never stored, by reason: queue_full (the database fell behind), write_error, invalid, closed (at shutdown).",
		}, []string{"reason"}),
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	for _, r := range []string{reasonQueueFull, reasonWriteError, reasonInvalid, reasonClosed} {
		w.dropped.WithLabelValues(r) // every reason is exported, at 0 until it happens
	}
	if cfg.Registerer != nil {
		if err := cfg.Registerer.Register(w.dropped); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	w.abandon = cancel
	go w.run(ctx)
	return w, nil
}

// Log queues e to be written and reports whether it was queued. It never
// blocks: when the queue is full, or after Close, e is dropped and counted.
// Log first makes e's text fields acceptable (gatehouse.SCIMRequestLog.Clamp)
// and drops an entry that still breaks a rule. The caller must not change e
// afterwards.
func (w *Writer) Log(e *gatehouse.SCIMRequestLog) bool {
	e.Clamp()
	if err := e.Validate(); err != nil {
		w.drop(reasonInvalid, 1)
		w.log.Warn("SCIM request log entry dropped", "err", err, "request_id", e.RequestID)
		return false
	}
	size := int64(len(e.RequestBody) + len(e.ResponseBody) + len(e.Path) + len(e.Note) + len(e.UserAgent) + 256)
	w.mu.RLock()
	defer w.mu.RUnlock()
	if w.closed {
		w.drop(reasonClosed, 1)
		return false
	}
	if w.queuedBytes.Add(size) > int64(w.cfg.QueueBytes) {
		w.queuedBytes.Add(-size)
		w.drop(reasonQueueFull, 1)
		return false
	}
	select {
	case w.queue <- queued{e, size}:
		return true
	default:
		w.queuedBytes.Add(-size)
		w.drop(reasonQueueFull, 1)
		return false
	}
}

// Close stops taking entries, writes those queued and stops the writer's
// goroutine. When ctx ends first it abandons the write under way and the
// entries not yet written (counted as dropped), and returns ctx's error.
// Close the writer before the store it writes to. Calling Close again
// waits in the same way and returns nil once the writer has stopped.
func (w *Writer) Close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.closing)
	}
	w.mu.Unlock()
	select {
	case <-w.stopped:
		return nil
	case <-ctx.Done():
		w.abandon()
		<-w.stopped
		return ctx.Err()
	}
}

// drop counts n dropped entries.
func (w *Writer) drop(reason string, n int) {
	w.dropped.WithLabelValues(reason).Add(float64(n))
	w.unreported.Add(uint64(n))
}

// run is the writer's goroutine: it gathers batches and writes them until
// Close, then writes what is left. ctx is cancelled when Close gives up.
func (w *Writer) run(ctx context.Context) {
	defer close(w.stopped)
	defer w.abandon()
	batch := make([]queued, 0, w.cfg.BatchSize)
	// The timer runs only while a batch waits, so an idle writer never
	// wakes up.
	timer := time.NewTimer(w.cfg.FlushInterval)
	timer.Stop()
	flush := func() {
		w.write(ctx, batch)
		clear(batch) // let the entries go
		batch = batch[:0]
	}
	for {
		select {
		case q := <-w.queue:
			if len(batch) == 0 {
				timer.Reset(w.cfg.FlushInterval)
			}
			batch = append(batch, q)
			if len(batch) >= w.cfg.BatchSize {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		case <-w.closing:
			timer.Stop()
			// Log adds nothing after closing is closed, so the queue
			// holds all that is left.
		drain:
			for {
				select {
				case q := <-w.queue:
					batch = append(batch, q)
					if len(batch) >= w.cfg.BatchSize {
						flush()
					}
				default:
					break drain
				}
			}
			if len(batch) > 0 {
				flush()
			}
			return
		}
	}
}

// write stores one batch. When a group of the batch no longer exists, the
// other groups' entries are written on their own, so that one deleted group
// does not cost the rest.
func (w *Writer) write(ctx context.Context, batch []queued) {
	if len(batch) == 0 {
		return
	}
	entries := make([]*gatehouse.SCIMRequestLog, len(batch))
	var size int64
	for i, q := range batch {
		entries[i] = q.e
		size += q.size
	}
	defer w.queuedBytes.Add(-size)

	err := w.append(ctx, entries)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		err = nil
		for _, group := range byGroup(entries) {
			if gerr := w.append(ctx, group); gerr != nil {
				w.fail(ctx, group, gerr)
			}
		}
	}
	if err != nil {
		w.fail(ctx, entries, err)
	}
	if n := w.unreported.Swap(0); n > 0 {
		w.log.Warn("SCIM request log entries dropped", "count", n,
			"hint", "see gatehouse_scim_request_log_dropped_total for the reasons")
	}
}

func (w *Writer) append(ctx context.Context, entries []*gatehouse.SCIMRequestLog) error {
	ctx, cancel := context.WithTimeout(ctx, w.cfg.WriteTimeout)
	defer cancel()
	return w.cfg.Store.AppendSCIMRequestLogs(ctx, entries, w.cfg.Keep)
}

// fail counts the entries of a failed write as dropped and logs why.
func (w *Writer) fail(ctx context.Context, entries []*gatehouse.SCIMRequestLog, err error) {
	if ctx.Err() != nil {
		w.drop(reasonClosed, len(entries))
		return
	}
	w.drop(reasonWriteError, len(entries))
	w.log.Warn("writing the SCIM request log failed", "entries", len(entries), "err", err)
}

// byGroup splits entries by group, keeping their order within each.
func byGroup(entries []*gatehouse.SCIMRequestLog) [][]*gatehouse.SCIMRequestLog {
	var groups [][]*gatehouse.SCIMRequestLog
	index := map[int64]int{}
	for _, e := range entries {
		i, ok := index[e.GroupID]
		if !ok {
			i = len(groups)
			index[e.GroupID] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], e)
	}
	return groups
}
