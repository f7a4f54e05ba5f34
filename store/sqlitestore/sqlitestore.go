// Package sqlitestore is Gatehouse's embedded store: store.Store on one SQLite
// file, through the pure-Go modernc.org/sqlite driver (no cgo).
//
// The file is opened by a writer pool of one connection, which every
// write and transaction uses (SQLite admits one writer at a time, and one
// connection makes writers queue in Go rather than contend for the file
// lock), and a pool of read-only connections that serve plain reads
// concurrently, which WAL mode allows while a write is in progress. A third
// connection checkpoints the WAL in the background (checkpointer).
// Migrations run in Open. Several processes may open the same file, and may
// open a new file at the same moment.
//
// Because there is one write connection, an InTx callback must write only
// through the Queries it is handed: a write through the Store itself would
// wait for the connection the transaction holds until its context ends.
package sqlitestore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb"
)

// readConns is the size of the read pool. Each connection has its own page
// cache, so more than a few buys little for a service this size.
const readConns = 4

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Logger receives applied migrations and the warning that the database
	// schema is newer than this binary. Nil discards them.
	Logger *slog.Logger
	// Now is the clock that stamps created and updated times. Nil means
	// time.Now.
	Now func() time.Time
}

// pragmas configure every connection. They are constants, and the path is
// escaped (see dsn), so nothing from configuration can add a pragma: modernc
// executes each _pragma value as SQL.
//
//   - busy_timeout(5000): wait up to 5 s for another connection's lock
//     instead of failing at once with SQLITE_BUSY. The driver applies it
//     before the other pragmas, which may themselves need a lock.
//   - journal_mode(WAL): readers never block the writer or each other, and
//     commits append to the log instead of rewriting pages.
//   - synchronous(NORMAL): with WAL, fsync at checkpoints rather than at
//     every commit. The database stays consistent after a power loss; the
//     last commits before it may roll back.
//   - foreign_keys(1): SQLite does not enforce foreign keys unless asked,
//     per connection.
const pragmas = "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(1)"

// writerParams: _txlock=immediate makes BEGIN take the write lock at once.
// A deferred transaction that reads and then writes must upgrade its lock,
// and when another writer got there first SQLite fails it with SQLITE_BUSY
// without waiting; taking the lock up front makes it wait (busy_timeout).
//
// temp_store(MEMORY) keeps savepoint journals in memory. Group commit runs
// every transaction inside a SAVEPOINT, whose journal copies each page the
// transaction changes; past 64 KiB SQLite spills it to a temporary file,
// one write(2) per page, which made large transactions (a batch of SCIM
// request log entries, seeding) spend a third of their time in system
// calls. The journal lives only as long as the transaction, and the writer
// runs no queries that would build large temporary tables.
//
// The writer keeps SQLite's default page cache: a 64 MiB cache, a 16 MiB
// WAL between checkpoints and mmap_size were tried and made a 100,000-user
// sync a third slower, with stalls of two seconds (docs/performance.md).
// Checkpoints run on a connection of their own (checkpointer);
// wal_autocheckpoint(4000) lets the writer checkpoint only when that one
// has fallen 16 MiB behind.
const writerParams = pragmas + "&_pragma=temp_store(MEMORY)&_pragma=wal_autocheckpoint(4000)&_txlock=immediate"

// readerParams: query_only(1) makes a write through the read pool an error
// instead of a second writer. Readers need no journal_mode: WAL mode is
// recorded in the file, which the writer has converted before any reader
// opens, and a pragma that may write has no place on a read connection.
// foreign_keys and synchronous only matter to writes.
const readerParams = "_pragma=busy_timeout(5000)&_pragma=query_only(1)"

// pathEscaper escapes what SQLite's URI filenames give a meaning to ('%'
// escapes, '?' starts the parameters, '#' the fragment).
var pathEscaper = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// dsn returns the driver's DSN for the file at path.
func dsn(path, params string) string {
	return "file:" + pathEscaper.Replace(path) + "?" + params
}

// Open opens, creating it if needed, the SQLite database at path and applies
// the pending migrations. path names a file: an in-memory database would not
// be shared by the two pools. A database migrated by a newer release is
// accepted with a warning to opts.Logger.
//
// Errors are *gatehouse.Error: Invalid for an unusable path, Unavailable
// when the file cannot be opened or stays locked, Internal otherwise.
func Open(ctx context.Context, path string, opts Options) (store.Store, error) {
	const op = "sqlitestore.Open"
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, &gatehouse.Error{Kind: gatehouse.Invalid, Op: op,
			Message: fmt.Sprintf("SQLite database path %q must name a file (in-memory databases and URIs are not supported)", path)}
	}
	fail := func(what string, err error) error {
		kind := classify(err).Kind
		if kind != gatehouse.Unavailable {
			kind = gatehouse.Internal
		}
		return &gatehouse.Error{Kind: kind, Op: op, Message: fmt.Sprintf("%s the SQLite database %q failed", what, path), Err: err}
	}

	// The writer's one connection stays open: opening one re-runs the
	// pragmas.
	writer, err := openPool(ctx, path, writerParams, 1)
	if err != nil {
		return nil, fail("opening", err)
	}
	known, err := sqldb.Migrate(ctx, sqldb.MigrateConfig{
		Dialect: goose.DialectSQLite3,
		Dir:     sqldb.SQLiteDir,
		DB:      writer,
		Logger:  opts.Logger,
	})
	if err != nil {
		writer.Close()
		return nil, fail("migrating", err)
	}

	// The reader opens after migrating, so that the file is already in WAL
	// mode and its journal_mode pragma has nothing to change.
	reader, err := openPool(ctx, path, readerParams, readConns)
	if err != nil {
		writer.Close()
		return nil, fail("opening", err)
	}
	cpDB, err := openPool(ctx, path, checkpointParams, 1)
	if err != nil {
		reader.Close()
		writer.Close()
		return nil, fail("opening", err)
	}
	cp := newCheckpointer(cpDB, opts.Logger)

	return sqldb.New(sqldb.Config{
		Dialect: dialect,
		Reader:  reader,
		Writer:  writer,
		Pools:   map[string]*sql.DB{"read": reader, "write": writer},
		Known:   known,
		Now:     opts.Now,
		// Compiling a statement is a large share of a short query's cost.
		CacheStatements: true,
		// One writer at a time either way; writers that queue share a commit.
		BatchWrites: true,
		Committed:   cp.committed,
		Close:       cp.close,
	}), nil
}

// openPool opens a pool of up to n connections to the file at path with
// params, all kept open once made, and connects its first.
func openPool(ctx context.Context, path, params string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn(path, params))
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	if err := connect(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// connectTimeout bounds how long connect retries.
const connectTimeout = 30 * time.Second

// connect opens db's first connection, which applies the pragmas. Switching
// a new file to WAL needs an exclusive lock, and when several connections
// race for it SQLite fails some with SQLITE_BUSY at once, without waiting
// (waiting could deadlock), so connect tries again for a while.
func connect(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(connectTimeout)
	for attempt := 1; ; attempt++ {
		err := db.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(min(time.Duration(attempt)*10*time.Millisecond, 200*time.Millisecond)):
		}
	}
}

// dialect is SQLite's sqldb.Dialect: times are stored as integer
// microseconds since the Unix epoch; instr finds text in text, byte for
// byte.
var dialect = sqldb.Dialect{
	Name:     "sqlitestore",
	BindTime: func(t time.Time) any { return t.UnixMicro() },
	Classify: classify,
	Contains: func(col, arg string) string { return "instr(" + col + ", " + arg + ") > 0" },
}

// The messages of the Unavailable errors a full or failing disk causes.
// Clients see them (a SCIM error's detail), so they name no file.
const (
	DiskFullMessage = "the database's disk is full, so nothing can be written; reads still work, and writes work again once space is freed"
	IOErrorMessage  = "the database's disk failed to read or write; try again"
)

// classify explains a modernc.org/sqlite error.
func classify(err error) sqldb.Class {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		if errors.Is(err, driver.ErrBadConn) || errors.Is(err, sql.ErrConnDone) {
			return sqldb.Class{Kind: gatehouse.Unavailable}
		}
		return sqldb.Class{Kind: gatehouse.Internal}
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return sqldb.Class{Kind: gatehouse.Conflict, Constraint: uniqueConstraint(se.Error())}
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		// SQLite does not say which key failed.
		return sqldb.Class{Kind: gatehouse.NotFound}
	}
	switch se.Code() & 0xff { // the primary result code
	case sqlite3.SQLITE_FULL:
		// The write is refused whole (the transaction rolls back) and the
		// file stays sound; writes work again once there is space.
		return sqldb.Class{Kind: gatehouse.Unavailable, Message: DiskFullMessage}
	case sqlite3.SQLITE_IOERR:
		return sqldb.Class{Kind: gatehouse.Unavailable, Message: IOErrorMessage}
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_INTERRUPT: // a canceled context interrupts the statement
		return sqldb.Class{Kind: gatehouse.Unavailable}
	}
	return sqldb.Class{Kind: gatehouse.Internal}
}

// uniqueConstraint extracts what a UNIQUE failure names from its message:
// "… UNIQUE constraint failed: users.username_key (2067)" gives
// "users.username_key", and "… UNIQUE constraint failed: index 'name' …"
// (an index on expressions) gives "name".
func uniqueConstraint(msg string) string {
	const marker = "UNIQUE constraint failed: "
	i := strings.Index(msg, marker)
	if i < 0 {
		return ""
	}
	s := msg[i+len(marker):]
	if j := strings.LastIndex(s, " ("); j >= 0 {
		s = s[:j]
	}
	if name, ok := strings.CutPrefix(s, "index '"); ok {
		s, _, _ = strings.Cut(name, "'")
	}
	return s
}
