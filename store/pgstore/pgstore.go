// Package pgstore is store.Store on PostgreSQL, through pgx's connection pool
// exposed as a database/sql handle so that the SQL is shared with the SQLite
// store.
//
// Open applies the pending migrations under a PostgreSQL advisory lock, so
// that several nodes starting together migrate once. The tables live in the
// first schema of the connection's search_path (usually public); a
// search_path parameter in the URL selects another, which is how tests get a
// database of their own.
package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb"
)

// ConnectTimeout bounds each connection attempt when the URL sets no
// connect_timeout, so that a wrong host fails Open quickly instead of
// hanging on the operating system's TCP timeout.
const ConnectTimeout = 10 * time.Second

// Options tunes Open. The zero value is ready to use.
type Options struct {
	// Logger receives applied migrations and the warning that the database
	// schema is newer than this binary. Nil discards them.
	Logger *slog.Logger
	// Now is the clock that stamps created and updated times. Nil means
	// time.Now.
	Now func() time.Time
}

// DefaultMaxConns is the connection pool's size unless the URL sets
// pool_max_conns.
const DefaultMaxConns = 20

// Open connects to the PostgreSQL database that dsn names (a postgres:// URL
// or keyword=value pairs, as libpq accepts) and applies the pending
// migrations. A database migrated by a newer release is accepted with a
// warning to opts.Logger.
//
// Errors are *gatehouse.Error: Invalid when dsn does not parse, Unavailable
// when the database cannot be reached, Internal otherwise. Their messages
// show dsn with the password replaced (RedactDSN), never the password.
func Open(ctx context.Context, dsn string, opts Options) (store.Store, error) {
	const op = "pgstore.Open"
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx redacts the password in its parse errors too.
		return nil, &gatehouse.Error{Kind: gatehouse.Invalid, Op: op,
			Message: fmt.Sprintf("PostgreSQL connection string %s is not valid", RedactDSN(dsn)), Err: err}
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = ConnectTimeout
	}
	if _, set := cfg.ConnConfig.RuntimeParams["plan_cache_mode"]; !set {
		// pgx prepares every statement, and after five runs PostgreSQL may
		// keep a generic plan made while the tables were small. Made on an
		// empty database, the generic plan of a userName lookup walks the
		// group's live identities in id order (the index on (group_id, id)
		// costs the same as the unique one then), so a first initial sync
		// slowed to 140 users/s by 17,000 users. Custom plans are made
		// with the values and the tables' current size on every run: they
		// cost a little planning and keep lookups on their indexes as the
		// group grows. Autovacuum may be off (it is on this project's
		// machines), so statistics cannot be relied on to fix the plans.
		cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) queues the
		// requests of a busy server behind each other's round trips: the
		// work is mostly waiting on the network and on commits, not CPU.
		cfg.MaxConns = DefaultMaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, &gatehouse.Error{Kind: gatehouse.Internal, Op: op,
			Message: fmt.Sprintf("creating a connection pool for %s failed", RedactDSN(dsn)), Err: err}
	}
	// The pool connects lazily; ping so that a wrong address or password
	// fails here, once, with a message that says where.
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		// Unavailable whatever the reason (a refused connection, a wrong
		// password, a missing database): the database does not serve us,
		// and the message says which one was meant.
		return nil, &gatehouse.Error{Kind: gatehouse.Unavailable, Op: op,
			Message: fmt.Sprintf("cannot reach the PostgreSQL database at %s", RedactDSN(dsn)), Err: err}
	}
	db := stdlib.OpenDBFromPool(pool)
	closeAll := func() {
		db.Close()
		pool.Close()
	}

	lockID, err := migrationLockID(ctx, db)
	if err != nil {
		closeAll()
		return nil, fail(op, "reading the current schema of "+RedactDSN(dsn), err)
	}
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(lockID),
		// Poll every second (goose's default is 5 s) for up to 5 minutes:
		// a node that waits for another's migration starts soon after it.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		closeAll()
		return nil, fail(op, "creating the migration lock", err)
	}
	known, err := sqldb.Migrate(ctx, sqldb.MigrateConfig{
		Dialect: goose.DialectPostgres,
		Dir:     sqldb.PostgresDir,
		DB:      db,
		Options: []goose.ProviderOption{goose.WithSessionLocker(locker)},
		Logger:  opts.Logger,
	})
	if err != nil {
		closeAll()
		return nil, fail(op, "migrating "+RedactDSN(dsn), err)
	}

	return sqldb.New(sqldb.Config{
		Dialect: dialect,
		Reader:  db,
		Writer:  db,
		Pools:   map[string]*sql.DB{"main": db},
		Known:   known,
		Now:     opts.Now,
		Close: func() error {
			pool.Close()
			return nil
		},
	}), nil
}

// fail wraps an error of Open's: Unavailable when the database stopped
// answering, Internal otherwise.
func fail(op, what string, err error) error {
	kind := classify(err).Kind
	if kind != gatehouse.Unavailable {
		kind = gatehouse.Internal
	}
	return &gatehouse.Error{Kind: kind, Op: op, Message: what + " failed", Err: err}
}

// migrationLockID returns the advisory lock that serializes migrations of
// the connection's current schema. Each schema is migrated on its own (goose
// keeps its version table there), so two schemas of one database, such as
// two tests', need not wait for each other.
func migrationLockID(ctx context.Context, db *sql.DB) (int64, error) {
	var schema sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return 0, err
	}
	h := fnv.New64a()
	h.Write([]byte("gatehouse migrations\x00" + schema.String))
	return int64(h.Sum64()), nil
}

// dialect is PostgreSQL's sqldb.Dialect: times are bound as time.Time for
// timestamptz columns; strpos finds text in text, byte for byte under the
// filter columns' COLLATE "C".
var dialect = sqldb.Dialect{
	Name:         "pgstore",
	BindTime:     func(t time.Time) any { return t },
	Classify:     classify,
	Contains:     func(col, arg string) string { return "strpos(" + col + ", " + arg + ") > 0" },
	LateralJoins: true,
	BatchRows:    500,
	// Every statement is planned with its values (plan_cache_mode, in
	// Open); a compiled filter's text varies, so it runs as an unnamed
	// statement whose description pgx caches instead of a prepared one.
	AdHocArgs:    []any{pgx.QueryExecModeCacheDescribe},
	WritableCTEs: true,
}

// DiskFullMessage is what a client reads when PostgreSQL refuses a write
// because its disk is full.
const DiskFullMessage = "the database's disk is full, so nothing can be written; writes work again once space is freed"

// classify explains a pgx error.
func classify(err error) sqldb.Class {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch code := pe.Code; {
		case code == "23505": // unique_violation
			return sqldb.Class{Kind: gatehouse.Conflict, Constraint: pe.ConstraintName}
		case code == "23503": // foreign_key_violation
			return sqldb.Class{Kind: gatehouse.NotFound, Constraint: pe.ConstraintName}
		case code == "53100": // disk_full
			return sqldb.Class{Kind: gatehouse.Unavailable, Message: DiskFullMessage}
		case strings.HasPrefix(code, "08"), // connection exception
			strings.HasPrefix(code, "53"),    // insufficient resources (too many connections, disk full)
			strings.HasPrefix(code, "57P"),   // shutting down, cannot connect now
			code == "40001",                  // serialization_failure: retry
			code == "40P01",                  // deadlock_detected: retry
			code == "55P03",                  // lock_not_available
			code == "28P01", code == "28000": // authentication failed: the database refuses us
			return sqldb.Class{Kind: gatehouse.Unavailable}
		}
		return sqldb.Class{Kind: gatehouse.Internal}
	}
	var (
		ce *pgconn.ConnectError
		ne net.Error
	)
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.Timeout(err),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone):
		return sqldb.Class{Kind: gatehouse.Unavailable}
	}
	return sqldb.Class{Kind: gatehouse.Internal}
}

// The passwords RedactDSN replaces in keyword=value strings: a quoted value
// (with \' and \\ escapes) or a bare one. sslpassword guards a client key.
var kvPassword = regexp.MustCompile(`\b((?:ssl)?password\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^\s]*)`)

// urlUserinfo and urlPasswordParam find passwords in a URL that net/url
// cannot parse. urlUserinfo runs to the last '@', so that a password holding
// an unescaped '/', '?' or '@' is masked whole; for malformed input it is
// better to hide too much than too little.
var (
	urlUserinfo      = regexp.MustCompile(`^([a-zA-Z][a-zA-Z0-9+.-]*://[^:/?#@]*):.*@`)
	urlPasswordParam = regexp.MustCompile(`(?i)\b((?:ssl)?password=)[^&#]*`)
)

// RedactDSN returns dsn with every password replaced by "xxxxx", for
// messages and logs: the userinfo password and password or sslpassword
// parameters of a URL, and password= or sslpassword= of keyword=value pairs.
// The rest of dsn is kept, so the operator can see which database was meant.
func RedactDSN(dsn string) string {
	const mask = "xxxxx"
	if !strings.Contains(dsn, "://") {
		return kvPassword.ReplaceAllString(dsn, "${1}"+mask)
	}
	u, err := url.Parse(dsn)
	// An '@' in the path means the userinfo held an unescaped '/', which
	// net/url then reads as the start of the path: "u:123/pw@host" parses
	// as host u, port 123.
	if err != nil || strings.Contains(u.Path, "@") {
		// Best effort for a malformed URL: mask the userinfo password and
		// anything that looks like a password parameter.
		s := urlUserinfo.ReplaceAllString(dsn, "${1}:"+mask+"@")
		return urlPasswordParam.ReplaceAllString(s, "${1}"+mask)
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), mask)
	}
	if u.RawQuery != "" {
		pairs := strings.Split(u.RawQuery, "&")
		for i, p := range pairs {
			k, _, ok := strings.Cut(p, "=")
			if !ok {
				continue
			}
			if key, err := url.QueryUnescape(k); err == nil && (strings.EqualFold(key, "password") || strings.EqualFold(key, "sslpassword")) {
				pairs[i] = k + "=" + mask
			}
		}
		u.RawQuery = strings.Join(pairs, "&")
	}
	return u.String()
}
