package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the cache: filters build SQL of many shapes, and a
// client must not be able to grow it without limit. Past the bound, queries
// run unprepared, as they would without the cache.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per SQL text of a pool. SQLite
// spends much of a short query compiling it (modernc compiles on every
// unprepared call), so preparing once pays off on every request; pgx has a
// cache of its own and PostgreSQL pools do not use this one.
//
// A *sql.Stmt prepares itself lazily on each connection of the pool, and
// Tx.StmtContext reuses it on the transaction's connection. It is safe for
// concurrent use.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
	// pending are queries a transaction ran before they were cached: they
	// are prepared after it ends, since preparing on the pool while the
	// transaction holds SQLite's only writer connection would wait forever.
	pending map[string]bool
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: make(map[string]*sql.Stmt), pending: make(map[string]bool)}
}

// cached returns the prepared statement for query without preparing it;
// an uncached query is remembered for preparePending.
func (c *stmtCache) cached(query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st
	}
	c.mu.Lock()
	if len(c.m)+len(c.pending) < maxCachedStmts {
		c.pending[query] = true
	}
	c.mu.Unlock()
	return nil
}

// preparePending prepares the queries transactions ran uncached. Call it
// only when no transaction of the pool is open in this goroutine.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
		delete(c.pending, q)
	}
	c.mu.Unlock()
	for _, q := range queries {
		c.get(ctx, q)
	}
}

// get returns the prepared statement for query, or nil when the cache is
// full (or preparing failed: the unprepared call then reports the error).
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.m[query]
	full := len(c.m) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || full {
		return st
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[query]; ok {
		st.Close()
		return old
	}
	c.m[query] = st
	return st
}

// close releases every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
}

// cachedDB runs a pool's queries through the cache.
type cachedDB struct {
	*sql.DB
	c *stmtCache
}

func (d cachedDB) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := d.c.get(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return d.DB.ExecContext(ctx, query, args...)
}

func (d cachedDB) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := d.c.get(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return d.DB.QueryContext(ctx, query, args...)
}

func (d cachedDB) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := d.c.get(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return d.DB.QueryRowContext(ctx, query, args...)
}

// cachedTx runs a transaction's queries through its pool's cache.
type cachedTx struct {
	*sql.Tx
	c *stmtCache
}

func (t cachedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.c.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t cachedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.c.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t cachedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.c.cached(query); st != nil {
		return t.Tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
