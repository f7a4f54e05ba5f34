package sqldb

import (
	"context"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

// ConsumeSAMLAssertion implements store.SAMLStateQueries.
//
// One statement: the INSERT lands when the (group, assertion ID) is new;
// on a conflict with an entry that is still live it does nothing, and with
// one that has expired it takes the entry over (the DO UPDATE's WHERE).
// Either way the rows affected say whether this caller won, and a
// concurrent caller of PostgreSQL waits for the winner's row and then sees
// it live.
func (q *queries) ConsumeSAMLAssertion(ctx context.Context, groupID int64, assertionID string, expiresAt, now time.Time) error {
	const op = "ConsumeSAMLAssertion"
	if err := q.checkNow(op, now); err != nil {
		return err
	}
	if groupID <= 0 {
		return q.invalid(op, "a replay-cache entry needs a group")
	}
	if err := gatehouse.ValidateSAMLID("assertion", assertionID); err != nil {
		return err
	}
	if !stored(expiresAt).After(stored(now)) {
		return q.invalid(op, "assertion %q expires at %s, not after now (%s): the entry would guard nothing",
			assertionID, stored(expiresAt).Format(time.RFC3339Nano), stored(now).Format(time.RFC3339Nano))
	}
	res, err := q.w.ExecContext(ctx, `INSERT INTO saml_assertions (group_id, assertion_id, used_at, expires_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (group_id, assertion_id) DO UPDATE SET used_at = excluded.used_at, expires_at = excluded.expires_at
WHERE saml_assertions.expires_at <= excluded.used_at`,
		groupID, assertionID, q.t(now), q.t(expiresAt))
	if err != nil {
		return q.fail(ctx, op, err, &onErr{
			values: map[string]any{"saml_assertions_assertion_id_key": assertionID},
			refs:   []ref{{fkey: "saml_assertions_group_id_fkey", table: "groups", noun: "group", id: groupID}},
		})
	}
	n, err := q.affected(ctx, op, res)
	if err != nil {
		return err
	}
	if n == 0 {
		return q.conflict(op, "SAML assertion %q was already used in group %d: a replayed response", assertionID, groupID)
	}
	return nil
}
