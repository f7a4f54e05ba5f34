package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

const scimCols = `id, scim_id, group_id, user_id, extern_uid, external_id_set, user_name, display_name, given_name,
	family_name, email, state, previous_role, attributes, version, created_at, updated_at`

// Queries of live SCIM identities spell state <> 'deleted' as a literal, not
// a parameter: only then can SQLite's planner, and PostgreSQL's generic plans,
// see that the partial indexes (… WHERE state <> 'deleted') apply.

func scanSCIM(s rowScanner) (*gatehouse.SCIMIdentity, error) {
	var (
		si    gatehouse.SCIMIdentity
		state string
		prev  sql.NullInt64
		attrs string
	)
	err := s.Scan(&si.ID, &si.SCIMID, &si.GroupID, &si.UserID, &si.ExternUID, &si.ExternalIDSet, &si.UserName,
		&si.DisplayName, &si.GivenName, &si.FamilyName, &si.Email, &state, &prev, &attrs, &si.Version,
		timeCol{&si.CreatedAt}, timeCol{&si.UpdatedAt})
	si.State = gatehouse.IdentityState(state)
	si.PreviousRole = gatehouse.Role(prev.Int64)
	if attrs != "{}" {
		si.Attributes = json.RawMessage(attrs)
	}
	return &si, err
}

// attributes returns the JSON stored for a SCIM identity's attributes: the
// document, or an empty object when there is none, so that the column is
// always a JSON object to query. Reading maps the empty object back to nil:
// for a SCIM resource the two mean the same (no attributes kept), and nil is
// what the caller stored.
func attributes(a json.RawMessage) string {
	if len(a) == 0 {
		return "{}"
	}
	return string(a)
}

// nullRole binds role 0 (none) as NULL.
func nullRole(r gatehouse.Role) any {
	if r == 0 {
		return nil
	}
	return int(r)
}

func scimOnErr(s *gatehouse.SCIMIdentity) *onErr {
	return &onErr{
		values: map[string]any{
			"scim_identities_scim_id_key":    s.SCIMID,
			"scim_identities_extern_uid_key": s.ExternUID,
			"scim_identities_user_name_key":  s.UserName,
			"scim_identities_user_key":       s.UserID,
		},
		refs: []ref{
			{fkey: "scim_identities_group_id_fkey", table: "groups", noun: "group", id: s.GroupID},
			{fkey: "scim_identities_user_id_fkey", table: "users", noun: "user", id: s.UserID},
		},
	}
}

// CreateSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) CreateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity) error {
	const op = "CreateSCIMIdentity"
	if err := s.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var deletedAt any
	if s.State == gatehouse.IdentityDeleted {
		deletedAt = q.t(now)
	}
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO scim_identities (scim_id, group_id, user_id, extern_uid, extern_uid_key,
	external_id_set, user_name, user_name_key, display_name, given_name, family_name, email, email_key, state,
	previous_role, attributes, version, created_at, updated_at, deleted_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 1, $17, $17, $18) RETURNING id`,
		s.SCIMID, s.GroupID, s.UserID, s.ExternUID, canon.Key(s.ExternUID),
		s.ExternalIDSet, s.UserName, canon.Key(s.UserName), s.DisplayName, s.GivenName, s.FamilyName,
		s.Email, canon.Key(s.Email), string(s.State),
		nullRole(s.PreviousRole), attributes(s.Attributes), q.t(now), deletedAt).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, scimOnErr(s))
	}
	s.ID, s.Version, s.CreatedAt, s.UpdatedAt = id, 1, now, now
	return nil
}

// UpdateSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) UpdateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity, ifVersion int64) error {
	const op = "UpdateSCIMIdentity"
	if err := s.Validate(); err != nil {
		return err
	}
	now := q.clock()
	// The version check is part of the UPDATE, so two writers that read the
	// same version cannot both succeed. deleted_at keeps the time the row
	// was first deleted and is cleared when it comes back.
	query := `UPDATE scim_identities SET scim_id = $3, user_id = $4, extern_uid = $5,
	extern_uid_key = $6, external_id_set = $7, user_name = $8, user_name_key = $9, display_name = $10,
	given_name = $11, family_name = $12, email = $13, email_key = $14, state = $15, previous_role = $16,
	attributes = $17, version = version + 1, updated_at = $18,
	deleted_at = CASE WHEN $19 THEN COALESCE(deleted_at, $18) END
WHERE group_id = $1 AND id = $2`
	args := []any{s.GroupID, s.ID, s.SCIMID, s.UserID, s.ExternUID,
		canon.Key(s.ExternUID), s.ExternalIDSet, s.UserName, canon.Key(s.UserName), s.DisplayName,
		s.GivenName, s.FamilyName, s.Email, canon.Key(s.Email), string(s.State), nullRole(s.PreviousRole),
		attributes(s.Attributes), q.t(now), s.State == gatehouse.IdentityDeleted}
	if ifVersion > 0 {
		query += ` AND version = $20`
		args = append(args, ifVersion)
	}
	var version int64
	err := q.w.QueryRowContext(ctx, query+` RETURNING version`, args...).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return q.scimUpdateMiss(ctx, op, s, ifVersion)
	}
	if err != nil {
		return q.fail(ctx, op, err, scimOnErr(s))
	}
	s.Version, s.UpdatedAt = version, now
	return nil
}

// scanVersion reads a row of one column, a version.
func scanVersion(s rowScanner) (*int64, error) {
	var v int64
	err := s.Scan(&v)
	return &v, err
}

// scimUpdateMiss explains an UPDATE that matched no row: the row is missing,
// or its version moved on.
func (q *queries) scimUpdateMiss(ctx context.Context, op string, s *gatehouse.SCIMIdentity, ifVersion int64) error {
	version, err := findOne(ctx, q, op, scanVersion,
		`SELECT version FROM scim_identities WHERE group_id = $1 AND id = $2`, []any{s.GroupID, s.ID},
		func() error { return q.notFound(op, "SCIM identity %d not found in group %d", s.ID, s.GroupID) })
	if err != nil {
		return err
	}
	return &gatehouse.Error{Kind: gatehouse.Conflict, Op: q.d.Name + "." + op,
		Message: fmt.Sprintf("SCIM identity %d was changed by another request (version %d, not %d); read it again", s.ID, *version, ifVersion)}
}

// FindSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentity(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentity"
	return findOne(ctx, q, op, scanSCIM, `SELECT `+scimCols+` FROM scim_identities
WHERE group_id = $1 AND scim_id = $2 AND state <> 'deleted'`, []any{groupID, scimID},
		func() error { return q.notFound(op, "SCIM identity %q not found in group %d", scimID, groupID) })
}

// FindSCIMIdentityByExternUID implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityByExternUID(ctx context.Context, groupID int64, externUID string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityByExternUID"
	return findOne(ctx, q, op, scanSCIM, `SELECT `+scimCols+` FROM scim_identities
WHERE group_id = $1 AND extern_uid_key = $2 AND state <> 'deleted'`, []any{groupID, canon.Key(externUID)},
		func() error {
			return q.notFound(op, "no SCIM identity with extern_uid %q in group %d", externUID, groupID)
		})
}

// FindSCIMIdentityByUserName implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityByUserName(ctx context.Context, groupID int64, userName string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityByUserName"
	return findOne(ctx, q, op, scanSCIM, `SELECT `+scimCols+` FROM scim_identities
WHERE group_id = $1 AND user_name_key = $2 AND state <> 'deleted'`, []any{groupID, canon.Key(userName)},
		func() error {
			return q.notFound(op, "no SCIM identity with userName %q in group %d", userName, groupID)
		})
}

// FindSCIMIdentityForUser implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityForUser(ctx context.Context, groupID, userID int64, includeDeleted bool) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityForUser"
	// The live row first (there is at most one), then deleted rows by when
	// they were deleted; $3 admits deleted rows only when asked.
	return findOne(ctx, q, op, scanSCIM, `SELECT `+scimCols+` FROM scim_identities
WHERE group_id = $1 AND user_id = $2 AND (state <> 'deleted' OR $3)
ORDER BY CASE WHEN state = 'deleted' THEN 1 ELSE 0 END, deleted_at DESC, id DESC
LIMIT 1`, []any{groupID, userID, includeDeleted},
		func() error { return q.notFound(op, "user %d has no SCIM identity in group %d", userID, groupID) })
}

// ListSCIMIdentities implements store.SCIMIdentityQueries.
func (q *queries) ListSCIMIdentities(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
	l := listing{cols: scimCols, table: "scim_identities", where: []string{"group_id = $1", "state <> 'deleted'"},
		args: []any{groupID}, key: "id"}
	return list(ctx, q, "ListSCIMIdentities", l, p, scanSCIM)
}
