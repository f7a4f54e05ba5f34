package sqldb

import (
	"context"
	"database/sql"
	"errors"

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
		key, err = q.findInstanceKey(ctx, op, k.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return key, nil
}

// FindInstanceKey implements store.SAMLStateQueries.
func (q *queries) FindInstanceKey(ctx context.Context, name string) (*gatehouse.InstanceKey, error) {
	return q.findInstanceKey(ctx, "FindInstanceKey", name)
}

func (q *queries) findInstanceKey(ctx context.Context, op, name string) (*gatehouse.InstanceKey, error) {
	var k gatehouse.InstanceKey
	err := q.r.QueryRowContext(ctx, `SELECT name, private_key, certificate, encrypted, created_at
FROM instance_keys WHERE name = $1`, name).Scan(&k.Name, &k.PrivateKeyPEM, &k.CertificatePEM, &k.Encrypted, timeCol{&k.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, q.notFound(op, "no instance key named %q", name)
	}
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return &k, nil
}
