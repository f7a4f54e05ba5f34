package sqldb

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

const identityCols = `id, group_id, user_id, extern_uid, state, last_sign_in_at, created_at, updated_at`

func scanIdentity(s rowScanner) (*gatehouse.Identity, error) {
	var (
		i     gatehouse.Identity
		state string
	)
	err := s.Scan(&i.ID, &i.GroupID, &i.UserID, &i.ExternUID, &state,
		timeCol{&i.LastSignIn}, timeCol{&i.CreatedAt}, timeCol{&i.UpdatedAt})
	i.State = gatehouse.IdentityState(state)
	return &i, err
}

func identityOnErr(i *gatehouse.Identity) *onErr {
	return &onErr{
		values: map[string]any{
			"identities_extern_uid_key": i.ExternUID,
			"identities_user_key":       i.UserID,
		},
		refs: []ref{
			{fkey: "identities_group_id_fkey", table: "groups", noun: "group", id: i.GroupID},
			{fkey: "identities_user_id_fkey", table: "users", noun: "user", id: i.UserID},
		},
	}
}

// CreateIdentity implements store.IdentityQueries.
func (q *queries) CreateIdentity(ctx context.Context, i *gatehouse.Identity) error {
	const op = "CreateIdentity"
	if err := i.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var id int64
	var b binder
	insert := q.identityRow(i, now).values(&b, "", nil)
	err := q.w.QueryRowContext(ctx, insert+` RETURNING id`, b.args...).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, identityOnErr(i))
	}
	i.ID, i.CreatedAt, i.UpdatedAt = id, now, now
	i.LastSignIn = stored(i.LastSignIn)
	return nil
}

// UpdateIdentity implements store.IdentityQueries.
func (q *queries) UpdateIdentity(ctx context.Context, i *gatehouse.Identity) error {
	const op = "UpdateIdentity"
	if err := i.Validate(); err != nil {
		return err
	}
	now := q.clock()
	res, err := q.w.ExecContext(ctx, `UPDATE identities SET extern_uid = $3, extern_uid_key = $4, state = $5,
	last_sign_in_at = $6, updated_at = $7
WHERE group_id = $1 AND id = $2`,
		i.GroupID, i.ID, i.ExternUID, canon.Key(i.ExternUID), string(i.State), q.t(i.LastSignIn), q.t(now))
	if err != nil {
		return q.fail(ctx, op, err, identityOnErr(i))
	}
	if err := q.one(ctx, op, res, func() error {
		return q.notFound(op, "SAML identity %d not found in group %d", i.ID, i.GroupID)
	}); err != nil {
		return err
	}
	i.UpdatedAt = now
	i.LastSignIn = stored(i.LastSignIn)
	return nil
}

// FindIdentityByExternUID implements store.IdentityQueries.
func (q *queries) FindIdentityByExternUID(ctx context.Context, groupID int64, externUID string) (*gatehouse.Identity, error) {
	const op = "FindIdentityByExternUID"
	return findOne(ctx, q, op, scanIdentity, `SELECT `+identityCols+` FROM identities
WHERE group_id = $1 AND extern_uid_key = $2`, []any{groupID, canon.Key(externUID)},
		func() error {
			return q.notFound(op, "no SAML identity with extern_uid %q in group %d", externUID, groupID)
		})
}

// FindIdentityByUser implements store.IdentityQueries.
func (q *queries) FindIdentityByUser(ctx context.Context, groupID, userID int64) (*gatehouse.Identity, error) {
	const op = "FindIdentityByUser"
	return findOne(ctx, q, op, scanIdentity, `SELECT `+identityCols+` FROM identities
WHERE group_id = $1 AND user_id = $2`, []any{groupID, userID},
		func() error { return q.notFound(op, "user %d has no SAML identity in group %d", userID, groupID) })
}

// DeleteIdentity implements store.IdentityQueries.
func (q *queries) DeleteIdentity(ctx context.Context, groupID, id int64) error {
	const op = "DeleteIdentity"
	res, err := q.w.ExecContext(ctx, `DELETE FROM identities WHERE group_id = $1 AND id = $2`, groupID, id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "SAML identity %d not found in group %d", id, groupID) })
}

// ListIdentities implements store.IdentityQueries.
func (q *queries) ListIdentities(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.Identity, int, error) {
	l := listing{cols: identityCols, table: "identities", where: []string{"group_id = $1"}, args: []any{groupID}, key: "id"}
	return list(ctx, q, "ListIdentities", l, p, scanIdentity)
}

// ListUserIdentities implements store.IdentityQueries.
func (q *queries) ListUserIdentities(ctx context.Context, userID int64) ([]*gatehouse.Identity, error) {
	return collect(ctx, q, "ListUserIdentities", scanIdentity,
		`SELECT `+identityCols+` FROM identities WHERE user_id = $1 ORDER BY id`, userID)
}
