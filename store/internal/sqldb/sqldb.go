// Package sqldb is the one implementation of store.Store over database/sql
// that store/sqlitestore and store/pgstore share. The SQL is written once, in
// the dialect both databases accept ($1-style placeholders, RETURNING, ON
// CONFLICT … DO UPDATE, partial indexes); what differs is gathered in a
// Dialect: how a time is bound, how a driver error is classified, and how
// a SCIM filter's co is written. The schemas, one migration directory per
// database, live here too (Migrations), next to the queries that depend on
// them. SCIM filters become SQL in filter.go.
//
// Writes that take more than one statement run in one transaction, so a
// failure leaves nothing half-written; InTx makes a caller's whole sequence
// one transaction.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Dialect is what differs between the databases.
type Dialect struct {
	// Name prefixes the Op of every error ("sqlitestore", "pgstore").
	Name string
	// BindTime returns the value bound for a non-zero time, which the store has
	// already converted to UTC and truncated to microseconds: int64
	// microseconds since the Unix epoch for SQLite, the time for PostgreSQL.
	// Zero times are bound as NULL without calling BindTime. Reading needs no
	// hook: the scanner accepts either form.
	BindTime func(t time.Time) any
	// Classify explains a driver error.
	Classify func(err error) Class
	// Contains returns a condition true when the text in column col
	// contains the text that the placeholder arg binds, compared byte for
	// byte (SCIM's co on canonical keys and ids). The databases share no
	// function for it, and LIKE differs between them (SQLite's ignores ASCII
	// case and both treat % and _ as wildcards).
	Contains func(col, arg string) string
	// BatchRows is how many rows one multi-row write of SetMemberRoles
	// holds; 0 means 50. SQLite's driver looks each parameter's name up
	// in a list as long as the statement's parameters, so binding costs
	// the square of a statement's size there; PostgreSQL gains from more
	// rows per round trip.
	BatchRows int
	// LateralJoins makes reads of an identity's emails a LATERAL subquery
	// (PostgreSQL; see emailsJoin).
	LateralJoins bool
	// AdHocArgs lead the arguments of queries whose text holds a compiled
	// SCIM filter, whose best plan depends on the values bound: PostgreSQL
	// gets pgx's QueryExecModeCacheDescribe, which plans each run with its
	// values, while fixed queries keep pgx's prepared statements and
	// PostgreSQL's generic plans (planned once per connection).
	AdHocArgs []any
	// WritableCTEs lets one statement insert into several tables, each
	// INSERT in a WITH taking ids from another's RETURNING (PostgreSQL;
	// see CreateSCIMUser).
	WritableCTEs bool
}

// Class is what a Dialect can tell about a driver error.
type Class struct {
	// Kind is Conflict for a unique violation, NotFound for a foreign-key
	// violation, Unavailable when the database cannot be reached or is busy,
	// and Internal for anything else.
	Kind gatehouse.Kind
	// Constraint names what was violated, when the driver says: PostgreSQL
	// reports the index or foreign-key name; SQLite reports the columns of a
	// unique index ("users.username_key") or, for an expression index, its
	// name, and nothing for a foreign key.
	Constraint string
	// Message, when set, replaces the generic message of an Unavailable
	// error with one that says what is wrong, such as a full disk, in
	// words a client can pass on (no file names, no hosts).
	Message string
}

// Config assembles a DB.
type Config struct {
	Dialect Dialect
	// Reader serves reads outside transactions; Writer serves every write and
	// every transaction. They are the same pool for PostgreSQL. SQLite uses a
	// one-connection writer (it allows one writer at a time anyway, and a
	// single connection turns lock contention into a queue in Go) and a
	// read-only pool beside it.
	Reader, Writer *sql.DB
	// Pools names the pools for Stats.
	Pools map[string]*sql.DB
	// Known is the newest migration version the binary carries.
	Known int64
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// CacheStatements prepares each query once per pool and connection
	// (SQLite: compiling a statement is a large part of a short query's
	// cost; pgx caches statements itself).
	CacheStatements bool
	// BatchWrites runs write transactions on one goroutine and commits those
	// that queue up together (SQLite, which has one writer anyway; see
	// batcher).
	BatchWrites bool
	// Committed, when set, is called after every write transaction (or
	// batch of them) commits. It must return at once. SQLite uses it to
	// wake the goroutine that checkpoints its WAL, so that the writer does
	// not checkpoint itself.
	Committed func()
	// Close releases what the pools depend on (pgx's pool), after the pools
	// are closed. May be nil.
	Close func() error
}

// DB implements store.Store. It is safe for concurrent use.
type DB struct {
	*queries
	reader, writer *sql.DB
	pools          map[string]*sql.DB
	known          int64
	closeFn        func() error
}

var _ store.Store = (*DB)(nil)

// New returns a store over the pools in cfg. It runs no migration: the
// backend has done that before.
func New(cfg Config) *DB {
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	committed := cfg.Committed
	if committed == nil {
		committed = func() {}
	}
	env := &env{d: cfg.Dialect, now: now, committed: committed, scimLogFloors: &trimFloors{}, seeks: &seeks{}}
	var r, w execer = cfg.Reader, cfg.Writer
	if cfg.CacheStatements {
		env.readCache, env.writeCache = newStmtCache(cfg.Reader), newStmtCache(cfg.Writer)
		r, w = cachedDB{cfg.Reader, env.readCache}, cachedDB{cfg.Writer, env.writeCache}
	}
	if cfg.BatchWrites {
		env.batch = newBatcher(env, cfg.Writer)
	}
	return &DB{
		queries: &queries{env: env, r: r, w: w, writer: cfg.Writer},
		reader:  cfg.Reader,
		writer:  cfg.Writer,
		pools:   cfg.Pools,
		known:   cfg.Known,
		closeFn: cfg.Close,
	}
}

// env is what every queries value shares.
type env struct {
	d   Dialect
	now func() time.Time
	// readCache and writeCache hold prepared statements of the two pools
	// when Config.CacheStatements is set; nil otherwise.
	readCache, writeCache *stmtCache
	// batch runs the write transactions when Config.BatchWrites is set.
	batch *batcher
	// committed is Config.Committed, or a function that does nothing.
	committed func()
	// scimLogFloors makes trimming the SCIM request log cheap.
	scimLogFloors *trimFloors
	// newUserSQL holds the text of CreateSCIMUser's one statement once it
	// is built (a string).
	newUserSQL atomic.Value
	// seeks makes paging through a group's SCIM identities cheap.
	seeks *seeks
	// samlLogFloors makes trimming the SAML log cheap; its zero value is
	// ready.
	samlLogFloors trimFloors
}

// execer is what *sql.DB and *sql.Tx have in common.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries implements store.Queries on a pair of executors: the pools outside
// a transaction, one *sql.Tx for both inside.
type queries struct {
	*env
	r, w   execer
	writer *sql.DB // set outside a transaction: where atomic begins one
}

// inTx reports whether q runs inside a transaction (InTx's, or one that
// atomic began).
func (q *queries) inTx() bool { return q.writer == nil }

// InTx implements store.Store.
func (db *DB) InTx(ctx context.Context, fn func(q store.Queries) error) error {
	return db.queries.atomic(ctx, "InTx", func(q *queries) error { return fn(q) })
}

// atomic runs fn in a transaction: q's own when q is already in one, a new
// writer transaction otherwise. Methods that write more than one statement
// use it so that they land whole.
func (q *queries) atomic(ctx context.Context, op string, fn func(q *queries) error) error {
	if q.inTx() {
		return fn(q)
	}
	if q.batch != nil {
		return q.batch.do(ctx, op, fn)
	}
	return q.runTx(ctx, q.writer, op, fn)
}

// runTx begins a writer transaction, runs fn, and commits when fn returns
// nil. fn's error comes back unchanged; a panic rolls back and goes on.
func (e *env) runTx(ctx context.Context, writer *sql.DB, op string, fn func(q *queries) error) error {
	tx, err := writer.BeginTx(ctx, nil)
	if err != nil {
		return e.fail(op, err, nil)
	}
	committed := false
	defer func() {
		if !committed {
			// The rollback error is of no interest: either fn's error or
			// the panic says what went wrong, and a failed rollback leaves
			// nothing behind once the connection is discarded.
			_ = tx.Rollback()
		}
	}()
	var x execer = tx
	if e.writeCache != nil {
		x = cachedTx{tx, e.writeCache}
	}
	if err := fn(&queries{env: e, r: x, w: x}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return e.fail(op, err, nil)
	}
	committed = true
	e.committed()
	if e.writeCache != nil {
		// The writer connection is free again: prepare what the
		// transaction ran uncached.
		e.writeCache.preparePending(ctx)
	}
	return nil
}

// Ping implements store.Store.
func (db *DB) Ping(ctx context.Context) error {
	// A query rather than PingContext, so that the answer comes from the
	// database itself on both backends.
	var one int
	if err := db.reader.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return db.env.fail("Ping", err, nil)
	}
	return nil
}

// SchemaInfo implements store.Store.
func (db *DB) SchemaInfo(ctx context.Context) (store.SchemaInfo, error) {
	var current sql.NullInt64
	err := db.reader.QueryRowContext(ctx, "SELECT MAX(version_id) FROM goose_db_version").Scan(&current)
	if err != nil {
		return store.SchemaInfo{}, db.env.fail("SchemaInfo", err, nil)
	}
	return store.SchemaInfo{Current: current.Int64, Known: db.known}, nil
}

// Stats implements store.Store.
func (db *DB) Stats() map[string]sql.DBStats {
	m := make(map[string]sql.DBStats, len(db.pools))
	for name, p := range db.pools {
		m[name] = p.Stats()
	}
	return m
}

// Close implements store.Store.
func (db *DB) Close() error {
	if db.env.batch != nil {
		db.env.batch.close()
	}
	for _, c := range []*stmtCache{db.env.readCache, db.env.writeCache} {
		if c != nil {
			c.close()
		}
	}
	var errs []error
	closed := map[*sql.DB]bool{}
	for _, p := range []*sql.DB{db.reader, db.writer} {
		if !closed[p] {
			closed[p] = true
			errs = append(errs, p.Close())
		}
	}
	if db.closeFn != nil {
		errs = append(errs, db.closeFn())
	}
	if err := errors.Join(errs...); err != nil {
		return &gatehouse.Error{Kind: gatehouse.Internal, Op: db.d.Name + ".Close", Message: "closing the database failed", Err: err}
	}
	return nil
}

// clock returns the current time as stored: UTC, whole microseconds.
func (e *env) clock() time.Time { return e.now().UTC().Truncate(time.Microsecond) }

// t returns the value to bind for t: NULL for the zero time, else the
// dialect's form of t in UTC truncated to microseconds.
func (e *env) t(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return e.d.BindTime(t.UTC().Truncate(time.Microsecond))
}

// stored returns t as the store keeps it: UTC, whole microseconds, and the
// zero time unchanged. Writes put it back into the caller's value so that it
// equals what a later read returns.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullID binds 0 as NULL, for optional references.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// timeCol scans a time column in either dialect's form into a time.Time in
// UTC; NULL becomes the zero time.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(v).UTC()
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

// idCol scans a nullable id column; NULL becomes 0.
type idCol struct{ id *int64 }

// Scan implements sql.Scanner.
func (c idCol) Scan(src any) error {
	var n sql.NullInt64
	if err := n.Scan(src); err != nil {
		return err
	}
	*c.id = n.Int64
	return nil
}
