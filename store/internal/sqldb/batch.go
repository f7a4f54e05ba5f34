package sqldb

import (
	"context"
	"database/sql"
	"fmt"
)

// maxBatch bounds how many transactions share one commit.
const maxBatch = 64

// batcher runs the write transactions of a single-writer database (SQLite) on
// one goroutine and commits those that queue up while a commit is under way
// together ("group commit"). Each caller's transaction after the batch's
// first runs inside its own SAVEPOINT (the first is rolled back with the
// whole database transaction, which holds nothing else yet): when its
// function fails (or panics), only its own writes are rolled back, so each
// still lands whole or not at all; when the shared COMMIT fails, every
// transaction of the batch fails. Callers wait for the commit, so a nil error
// still means the writes are durable as far as the database promises. A
// commit is most of the cost of a short write transaction (the WAL frames of
// every index page it touched), and an initial sync from an IdP queues many
// of them at once.
//
// Nothing waits to fill a batch: a transaction that finds the writer idle
// runs at once, and those that arrive while it runs join it before the
// commit.
type batcher struct {
	env  *env
	db   *sql.DB
	reqs chan *txReq
	done chan struct{}
}

// txReq is one caller's transaction.
type txReq struct {
	ctx    context.Context
	op     string
	fn     func(q *queries) error
	result chan txResult
}

type txResult struct {
	err      error
	panicked bool
	panicVal any
}

func newBatcher(e *env, db *sql.DB) *batcher {
	b := &batcher{env: e, db: db, reqs: make(chan *txReq), done: make(chan struct{})}
	go b.loop()
	return b
}

// do runs fn as one transaction of some batch and returns its outcome,
// re-raising a panic of fn in the caller's goroutine.
func (b *batcher) do(ctx context.Context, op string, fn func(q *queries) error) error {
	r := &txReq{ctx: ctx, op: op, fn: fn, result: make(chan txResult, 1)}
	select {
	case b.reqs <- r:
	case <-ctx.Done():
		return b.env.fail(op, ctx.Err(), nil)
	case <-b.done:
		return b.env.fail(op, fmt.Errorf("the store is closed"), nil)
	}
	res := <-r.result
	if res.panicked {
		panic(res.panicVal)
	}
	return res.err
}

// close stops the loop after the batch under way.
func (b *batcher) close() { close(b.done) }

func (b *batcher) loop() {
	for {
		var first *txReq
		select {
		case first = <-b.reqs:
		case <-b.done:
			return
		}
		b.run(first)
	}
}

// next returns a transaction that is waiting to join the batch under way,
// or nil when none is.
func (b *batcher) next() *txReq {
	select {
	case r := <-b.reqs:
		return r
	default:
		return nil
	}
}

// run executes one batch in one database transaction: first, then every
// transaction that queues up while the batch runs (up to maxBatch), so that
// those arriving during the batch share its commit instead of waiting for
// it and paying for a commit of their own. A commit writes every page the
// batch changed, which for a SCIM create is one page of each of a dozen
// indexes, whether the batch holds one create or many.
func (b *batcher) run(first *txReq) {
	batch := []*txReq{first}
	var results []txResult
	finish := func() {
		for i, r := range batch {
			r.result <- results[i]
		}
	}
	failAll := func(op string, err error) {
		for len(results) < len(batch) {
			results = append(results, txResult{})
		}
		for i := range results {
			if !results[i].panicked && results[i].err == nil {
				results[i].err = b.env.fail(op, err, nil)
			}
		}
	}
	// The batch's transaction is not any one caller's: a caller that gives
	// up must not roll back the others.
	ctx := context.Background()
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		failAll(first.op, err)
		finish()
		return
	}
	var x execer = tx
	if b.env.writeCache != nil {
		x = cachedTx{tx, b.env.writeCache}
	}
	q := &queries{env: b.env, r: x, w: x}
	for i := 0; i < len(batch); i++ {
		r := batch[i]
		if i == 0 {
			// Nobody has joined yet, so the first transaction needs no
			// savepoint of its own (a savepoint copies every page its
			// transaction changes, a twentieth of the writer's time): when
			// it fails, the batch's transaction rolls back with nothing
			// else in it.
			res := b.first(r, q)
			results = append(results, res)
			if res.err != nil || res.panicked {
				_ = tx.Rollback()
				finish()
				return
			}
		} else {
			res, err := b.member(ctx, x, q, r)
			results = append(results, res)
			if err != nil {
				// The transaction is unusable: nothing of the batch lands.
				_ = tx.Rollback()
				failAll(r.op, err)
				finish()
				return
			}
		}
		if len(batch) < maxBatch {
			if r := b.next(); r != nil {
				batch = append(batch, r)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		failAll(first.op, err)
	} else {
		b.env.committed()
	}
	if b.env.writeCache != nil {
		b.env.writeCache.preparePending(ctx)
	}
	finish()
}

// first runs the batch's first transaction, alone in the database
// transaction so far, without a savepoint.
func (b *batcher) first(r *txReq, q *queries) txResult {
	if err := r.ctx.Err(); err != nil {
		return txResult{err: b.env.fail(r.op, err, nil)}
	}
	return call(r.fn, q)
}

// member runs one caller's transaction of the batch inside its own
// savepoint, rolled back to when fn fails or panics. The error is set when
// the savepoint itself failed and the batch's transaction cannot go on.
func (b *batcher) member(ctx context.Context, tx execer, q *queries, r *txReq) (txResult, error) {
	if err := r.ctx.Err(); err != nil {
		return txResult{err: b.env.fail(r.op, err, nil)}, nil
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT batch_member"); err != nil {
		return txResult{err: b.env.fail(r.op, err, nil)}, nil
	}
	res := call(r.fn, q)
	if res.err != nil || res.panicked {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO batch_member"); err != nil {
			return res, err
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE batch_member"); err != nil {
		return res, err
	}
	return res, nil
}

// call runs fn, turning a panic into a result the caller re-raises.
func call(fn func(q *queries) error, q *queries) (res txResult) {
	defer func() {
		if v := recover(); v != nil {
			res = txResult{panicked: true, panicVal: v}
		}
	}()
	return txResult{err: fn(q)}
}
