package sqldb

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const signInCols = `signin_key, failures, window_start, window_end`

func scanSignInFailures(s rowScanner) (*gatehouse.SignInFailures, error) {
	var f gatehouse.SignInFailures
	err := s.Scan(&f.Key, &f.Count, timeCol{&f.Start}, timeCol{&f.End})
	return &f, err
}

// CountSignInFailure implements store.SignInLimitQueries.
//
// One statement: the INSERT opens the key's first window; on a conflict
// the update opens a new window when the old one has ended at now
// (excluded.window_start), and otherwise adds one. PostgreSQL's second
// writer of a key waits for the first's row and updates the committed
// row, so no failure is lost.
func (q *queries) CountSignInFailure(ctx context.Context, key string, window time.Duration, now time.Time) (*gatehouse.SignInFailures, error) {
	const op = "CountSignInFailure"
	if err := q.checkSignIn(op, key, now); err != nil {
		return nil, err
	}
	end := stored(now.Add(window))
	if window <= 0 || !end.After(stored(now)) {
		return nil, q.invalid(op, "a sign-in failure window must be at least a microsecond, not %v", window)
	}
	return writeOne(ctx, q, op, scanSignInFailures, `INSERT INTO signin_failures (signin_key, failures, window_start, window_end)
VALUES ($1, 1, $2, $3)
ON CONFLICT (signin_key) DO UPDATE SET
    failures = CASE WHEN signin_failures.window_end <= excluded.window_start THEN 1 ELSE signin_failures.failures + 1 END,
    window_start = CASE WHEN signin_failures.window_end <= excluded.window_start THEN excluded.window_start ELSE signin_failures.window_start END,
    window_end = CASE WHEN signin_failures.window_end <= excluded.window_start THEN excluded.window_end ELSE signin_failures.window_end END
RETURNING `+signInCols, []any{key, q.t(now), q.t(end)},
		func() error { return q.notFound(op, "the sign-in counter %q was not written", key) })
}

// ForgiveSignInFailure implements store.SignInLimitQueries.
func (q *queries) ForgiveSignInFailure(ctx context.Context, key string, now time.Time) error {
	const op = "ForgiveSignInFailure"
	if err := q.checkSignIn(op, key, now); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, `UPDATE signin_failures SET failures = failures - 1
WHERE signin_key = $1 AND window_end > $2 AND failures > 0`, key, q.t(now))
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return nil
}

// FindSignInFailures implements store.SignInLimitQueries.
func (q *queries) FindSignInFailures(ctx context.Context, key string, now time.Time) (*gatehouse.SignInFailures, error) {
	const op = "FindSignInFailures"
	if err := q.checkSignIn(op, key, now); err != nil {
		return nil, err
	}
	return findOne(ctx, q, op, scanSignInFailures,
		`SELECT `+signInCols+` FROM signin_failures WHERE signin_key = $1 AND window_end > $2`, []any{key, q.t(now)},
		func() error { return q.notFound(op, "no live sign-in counter %q", key) })
}

// ResetSignInFailures implements store.SignInLimitQueries.
func (q *queries) ResetSignInFailures(ctx context.Context, keys ...string) (int, error) {
	const op = "ResetSignInFailures"
	if len(keys) == 0 {
		return 0, nil
	}
	marks := make([]string, len(keys))
	args := make([]any, len(keys))
	for i, k := range keys {
		if err := gatehouse.ValidateSignInKey(k); err != nil {
			return 0, err
		}
		marks[i], args[i] = "$"+strconv.Itoa(i+1), k
	}
	res, err := q.w.ExecContext(ctx, `DELETE FROM signin_failures WHERE signin_key IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return q.affected(ctx, op, res)
}

// DeleteExpiredSignInFailures implements store.SignInLimitQueries.
func (q *queries) DeleteExpiredSignInFailures(ctx context.Context, now time.Time) (int, error) {
	const op = "DeleteExpiredSignInFailures"
	if err := q.checkNow(op, now); err != nil {
		return 0, err
	}
	// As in DeleteExpiredSAMLState, how many rows have ended decides the
	// plan, so PostgreSQL plans each run with its value.
	args := append(append([]any(nil), q.d.AdHocArgs...), q.t(now))
	res, err := q.w.ExecContext(ctx, `DELETE FROM signin_failures WHERE window_end <= $1`, args...)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return q.affected(ctx, op, res)
}

// checkSignIn refuses a zero now and a bad key.
func (e *env) checkSignIn(op, key string, now time.Time) error {
	if err := e.checkNow(op, now); err != nil {
		return err
	}
	return gatehouse.ValidateSignInKey(key)
}
