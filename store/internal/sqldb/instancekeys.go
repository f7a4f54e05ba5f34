package sqldb

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
)

// EnsureInstanceKey implements store.SAMLStateQueries.
func (q *queries) EnsureInstanceKey(ctx context.Context, k *gatehouse.InstanceKey) (*gatehouse.InstanceKey, error) {
	const op = "EnsureInstanceKey"
	if err := k.Validate(); err != nil {
		return nil, err
	}
	now := q.clock()
	var key *gatehouse.InstanceKey
	err := q.atomic(ctx, op, func(q *queries) error {
		// Two statements, not one: under READ COMMITTED a later statement
		// sees the row of a concurrent inserter that the INSERT waited for,
		// where a SELECT in the same statement would not.
		_, err := q.w.ExecContext(ctx, `INSERT INTO instance_keys (name, private_key, certificate, encrypted, created_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING`,
			k.Name, k.PrivateKeyPEM, k.CertificatePEM, k.Encrypted, q.t(now))
		if err != nil {
			return q.fail(ctx, op, err, nil)
		}
		var s gatehouse.InstanceKey
		err = q.w.QueryRowContext(ctx, `SELECT name, private_key, certificate, encrypted, created_at
FROM instance_keys WHERE name = $1`, k.Name).Scan(&s.Name, &s.PrivateKeyPEM, &s.CertificatePEM, &s.Encrypted, timeCol{&s.CreatedAt})
		if err != nil {
			return q.fail(ctx, op, err, nil)
		}
		key = &s
		return nil
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}
