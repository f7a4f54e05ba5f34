package sqldb

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const scimTokenCols = `id, group_id, token_hash, created_at, last_used_at`

func scanSCIMToken(s rowScanner) (*gatehouse.SCIMToken, error) {
	var t gatehouse.SCIMToken
	err := s.Scan(&t.ID, &t.GroupID, &t.Hash, timeCol{&t.CreatedAt}, timeCol{&t.LastUsedAt})
	return &t, err
}

// CreateSCIMToken implements store.TokenQueries.
func (q *queries) CreateSCIMToken(ctx context.Context, t *gatehouse.SCIMToken) error {
	const op = "CreateSCIMToken"
	// SCIMToken has no Validate; these are the rules PersonalAccessToken's
	// Validate applies to the same columns.
	if t.GroupID <= 0 {
		return q.invalid(op, "SCIM token needs a group")
	}
	if len(t.Hash) != sha256.Size {
		return q.invalid(op, "token hash must be a SHA-256")
	}
	now := q.clock()
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO scim_tokens (group_id, token_hash, created_at, last_used_at)
VALUES ($1, $2, $3, $4) RETURNING id`, t.GroupID, t.Hash, q.t(now), q.t(t.LastUsedAt)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, &onErr{refs: []ref{
			{fkey: "scim_tokens_group_id_fkey", table: "groups", noun: "group", id: t.GroupID},
		}})
	}
	t.ID, t.CreatedAt, t.LastUsedAt = id, now, stored(t.LastUsedAt)
	return nil
}

// FindSCIMTokenByHash implements store.TokenQueries.
func (q *queries) FindSCIMTokenByHash(ctx context.Context, hash []byte) (*gatehouse.SCIMToken, error) {
	const op = "FindSCIMTokenByHash"
	return findOne(ctx, q, op, scanSCIMToken,
		`SELECT `+scimTokenCols+` FROM scim_tokens WHERE token_hash = $1`, []any{hash},
		func() error { return q.notFound(op, "SCIM token not found") })
}

// ListSCIMTokens implements store.TokenQueries.
func (q *queries) ListSCIMTokens(ctx context.Context, groupID int64) ([]*gatehouse.SCIMToken, error) {
	return collect(ctx, q, "ListSCIMTokens", scanSCIMToken,
		`SELECT `+scimTokenCols+` FROM scim_tokens WHERE group_id = $1 ORDER BY id`, groupID)
}

// DeleteSCIMToken implements store.TokenQueries.
func (q *queries) DeleteSCIMToken(ctx context.Context, groupID, id int64) error {
	const op = "DeleteSCIMToken"
	res, err := q.w.ExecContext(ctx, `DELETE FROM scim_tokens WHERE group_id = $1 AND id = $2`, groupID, id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "SCIM token %d not found in group %d", id, groupID) })
}

// DeleteSCIMTokens implements store.TokenQueries.
func (q *queries) DeleteSCIMTokens(ctx context.Context, groupID int64) (int, error) {
	const op = "DeleteSCIMTokens"
	res, err := q.w.ExecContext(ctx, `DELETE FROM scim_tokens WHERE group_id = $1`, groupID)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return int(n), nil
}

// TouchSCIMToken implements store.TokenQueries.
func (q *queries) TouchSCIMToken(ctx context.Context, id int64, at time.Time) error {
	const op = "TouchSCIMToken"
	res, err := q.w.ExecContext(ctx, `UPDATE scim_tokens SET last_used_at = $2 WHERE id = $1`, id, q.t(at))
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "SCIM token %d not found", id) })
}

const patCols = `id, user_id, name, token_hash, expires_at, created_at, last_used_at`

func scanPAT(s rowScanner) (*gatehouse.PersonalAccessToken, error) {
	var t gatehouse.PersonalAccessToken
	err := s.Scan(&t.ID, &t.UserID, &t.Name, &t.Hash, timeCol{&t.ExpiresAt}, timeCol{&t.CreatedAt}, timeCol{&t.LastUsedAt})
	return &t, err
}

// CreatePAT implements store.TokenQueries.
func (q *queries) CreatePAT(ctx context.Context, t *gatehouse.PersonalAccessToken) error {
	const op = "CreatePAT"
	if err := t.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO personal_access_tokens (user_id, name, token_hash, expires_at, created_at, last_used_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		t.UserID, t.Name, t.Hash, q.t(t.ExpiresAt), q.t(now), q.t(t.LastUsedAt)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, &onErr{refs: []ref{
			{fkey: "personal_access_tokens_user_id_fkey", table: "users", noun: "user", id: t.UserID},
		}})
	}
	t.ID, t.CreatedAt = id, now
	t.ExpiresAt, t.LastUsedAt = stored(t.ExpiresAt), stored(t.LastUsedAt)
	return nil
}

// FindPATByHash implements store.TokenQueries.
func (q *queries) FindPATByHash(ctx context.Context, hash []byte) (*gatehouse.PersonalAccessToken, error) {
	const op = "FindPATByHash"
	return findOne(ctx, q, op, scanPAT,
		`SELECT `+patCols+` FROM personal_access_tokens WHERE token_hash = $1`, []any{hash},
		func() error { return q.notFound(op, "personal access token not found") })
}

// FindPAT implements store.TokenQueries.
func (q *queries) FindPAT(ctx context.Context, id int64) (*gatehouse.PersonalAccessToken, error) {
	const op = "FindPAT"
	return findOne(ctx, q, op, scanPAT,
		`SELECT `+patCols+` FROM personal_access_tokens WHERE id = $1`, []any{id},
		func() error { return q.notFound(op, "personal access token %d not found", id) })
}

// ListPATs implements store.TokenQueries.
func (q *queries) ListPATs(ctx context.Context, userID int64) ([]*gatehouse.PersonalAccessToken, error) {
	return collect(ctx, q, "ListPATs", scanPAT,
		`SELECT `+patCols+` FROM personal_access_tokens WHERE user_id = $1 ORDER BY id`, userID)
}

// DeletePAT implements store.TokenQueries.
func (q *queries) DeletePAT(ctx context.Context, id int64) error {
	const op = "DeletePAT"
	res, err := q.w.ExecContext(ctx, `DELETE FROM personal_access_tokens WHERE id = $1`, id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "personal access token %d not found", id) })
}

// TouchPAT implements store.TokenQueries.
func (q *queries) TouchPAT(ctx context.Context, id int64, at time.Time) error {
	const op = "TouchPAT"
	res, err := q.w.ExecContext(ctx, `UPDATE personal_access_tokens SET last_used_at = $2 WHERE id = $1`, id, q.t(at))
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "personal access token %d not found", id) })
}
