package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// What SAML sign-in keeps (store.SAMLStateQueries) is consumed by
// conditional writes: an UPDATE … SET used_at … WHERE used_at IS NULL AND
// expires_at > now … RETURNING, or an INSERT … ON CONFLICT whose rows
// affected say whether it wrote. SQLite runs one writer at a time; on
// PostgreSQL a second writer of the same row waits for the first to commit
// and then re-checks the condition against the row as committed, so on both
// exactly one of any number of concurrent consumers wins.

// writeOne runs a write … RETURNING that touches at most one row, on the
// writer, and reads that row with scan. No row is the error nf returns.
func writeOne[T any](ctx context.Context, q *queries, op string, scan func(rowScanner) (*T, error), query string, args []any, nf func() error) (*T, error) {
	v, err := scan(q.w.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nf()
	}
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return v, nil
}

// checkNow refuses the zero time as the now of an expiry check: it would
// compare with NULL and match nothing, failing in a way that says nothing.
func (e *env) checkNow(op string, now time.Time) error {
	if now.IsZero() {
		return e.invalid(op, "the current time is required")
	}
	return nil
}

// affected returns the rows res touched.
func (q *queries) affected(ctx context.Context, op string, res sql.Result) (int, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return int(n), nil
}
