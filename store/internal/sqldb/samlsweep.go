package sqldb

import (
	"context"
	"time"
)

// DeleteExpiredSAMLState implements store.SAMLStateQueries. Sessions go
// last: deleting one takes the SAML requests it started along (ON DELETE
// CASCADE), and those would not be counted.
func (q *queries) DeleteExpiredSAMLState(ctx context.Context, now time.Time) (int, error) {
	const op = "DeleteExpiredSAMLState"
	if err := q.checkNow(op, now); err != nil {
		return 0, err
	}
	total := 0
	err := q.atomic(ctx, op, func(q *queries) error {
		for _, table := range []string{"saml_requests", "saml_assertions", "saml_flows", "sessions"} {
			// How many rows have expired decides whether the expires_at
			// index is the right plan, so PostgreSQL plans each run with
			// its value (the dialect's AdHocArgs).
			args := append(append([]any(nil), q.d.AdHocArgs...), q.t(now))
			res, err := q.w.ExecContext(ctx, `DELETE FROM `+table+` WHERE expires_at <= $1`, args...)
			if err != nil {
				return q.fail(ctx, op, err, nil)
			}
			n, err := q.affected(ctx, op, res)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}
