package sqldb

import (
	"context"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

const groupCols = `id, path, name, default_role, links_only, created_at, updated_at`

func scanGroup(s rowScanner) (*gatehouse.Group, error) {
	var g gatehouse.Group
	err := s.Scan(&g.ID, &g.Path, &g.Name, &g.DefaultRole, &g.LinksOnly, timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	return &g, err
}

// CreateGroup implements store.GroupQueries.
func (q *queries) CreateGroup(ctx context.Context, g *gatehouse.Group) error {
	const op = "CreateGroup"
	if err := g.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO groups (path, path_key, name, default_role, links_only, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
		g.Path, canon.Key(g.Path), g.Name, int(g.DefaultRole), g.LinksOnly, q.t(now)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, groupOnErr(g))
	}
	g.ID, g.CreatedAt, g.UpdatedAt = id, now, now
	return nil
}

// UpdateGroup implements store.GroupQueries.
func (q *queries) UpdateGroup(ctx context.Context, g *gatehouse.Group) error {
	const op = "UpdateGroup"
	if err := g.Validate(); err != nil {
		return err
	}
	now := q.clock()
	res, err := q.w.ExecContext(ctx, `UPDATE groups SET path = $2, path_key = $3, name = $4, default_role = $5, links_only = $6, updated_at = $7
WHERE id = $1`,
		g.ID, g.Path, canon.Key(g.Path), g.Name, int(g.DefaultRole), g.LinksOnly, q.t(now))
	if err != nil {
		return q.fail(ctx, op, err, groupOnErr(g))
	}
	if err := q.one(ctx, op, res, func() error { return q.notFound(op, "group %d not found", g.ID) }); err != nil {
		return err
	}
	g.UpdatedAt = now
	return nil
}

// LockGroup implements store.GroupQueries. An UPDATE that changes nothing
// takes the row lock on PostgreSQL and is plain SQL on both databases;
// SQLite's single writer connection already serialises write transactions.
// It names a column that is no key: SQLite checks every referencing table's
// foreign keys when a parent key column is written, even with its own value
// (tens of milliseconds per deprovision in a group of 10,000), and
// PostgreSQL then takes the weaker row lock that does not wait for inserts
// of members and identities referencing the group.
func (q *queries) LockGroup(ctx context.Context, groupID int64) error {
	const op = "LockGroup"
	res, err := q.w.ExecContext(ctx, `UPDATE groups SET name = name WHERE id = $1`, groupID)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "group %d not found", groupID) })
}

func groupOnErr(g *gatehouse.Group) *onErr {
	return &onErr{values: map[string]any{"groups_path_key": g.Path}}
}

// FindGroupByID implements store.GroupQueries.
func (q *queries) FindGroupByID(ctx context.Context, id int64) (*gatehouse.Group, error) {
	const op = "FindGroupByID"
	return findOne(ctx, q, op, scanGroup, `SELECT `+groupCols+` FROM groups WHERE id = $1`, []any{id},
		func() error { return q.notFound(op, "group %d not found", id) })
}

// FindGroupByPath implements store.GroupQueries.
func (q *queries) FindGroupByPath(ctx context.Context, path string) (*gatehouse.Group, error) {
	const op = "FindGroupByPath"
	return findOne(ctx, q, op, scanGroup,
		`SELECT `+groupCols+` FROM groups WHERE path_key = $1`, []any{canon.Key(path)},
		func() error { return q.notFound(op, "group %q not found", path) })
}

// ListGroups implements store.GroupQueries.
func (q *queries) ListGroups(ctx context.Context, p store.Page) ([]*gatehouse.Group, int, error) {
	return list(ctx, q, "ListGroups", listing{cols: groupCols, table: "groups", key: "id"}, p, scanGroup)
}

const memberCols = `group_id, user_id, role, state, role_source, created_at, updated_at`

func scanMember(s rowScanner) (*gatehouse.Member, error) {
	var (
		m             gatehouse.Member
		state, source string
	)
	err := s.Scan(&m.GroupID, &m.UserID, &m.Role, &state, &source, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt})
	m.State, m.RoleSource = gatehouse.MemberState(state), gatehouse.RoleSource(source)
	return &m, err
}

// PutMember implements store.MemberQueries.
func (q *queries) PutMember(ctx context.Context, m *gatehouse.Member) error {
	const op = "PutMember"
	if err := m.Validate(); err != nil {
		return err
	}
	now := q.clock()
	// A replaced membership keeps the time it began.
	var created time.Time
	var b binder
	insert := q.memberRow(m, now).values(&b, "", nil)
	err := q.w.QueryRowContext(ctx, insert+`
ON CONFLICT (group_id, user_id) DO UPDATE SET role = excluded.role, state = excluded.state,
role_source = excluded.role_source, updated_at = excluded.updated_at
RETURNING created_at`, b.args...).Scan(timeCol{&created})
	if err != nil {
		return q.fail(ctx, op, err, memberOnErr(m))
	}
	m.CreatedAt, m.UpdatedAt, m.RoleSource = created, now, roleSource(m.RoleSource)
	return nil
}

// FindMember implements store.MemberQueries.
func (q *queries) FindMember(ctx context.Context, groupID, userID int64) (*gatehouse.Member, error) {
	const op = "FindMember"
	return findOne(ctx, q, op, scanMember,
		`SELECT `+memberCols+` FROM members WHERE group_id = $1 AND user_id = $2`, []any{groupID, userID},
		func() error { return q.notFound(op, "user %d is not a member of group %d", userID, groupID) })
}

// DeleteMember implements store.MemberQueries.
func (q *queries) DeleteMember(ctx context.Context, groupID, userID int64) error {
	const op = "DeleteMember"
	res, err := q.w.ExecContext(ctx, `DELETE FROM members WHERE group_id = $1 AND user_id = $2`, groupID, userID)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "user %d is not a member of group %d", userID, groupID) })
}

// ListMembers implements store.MemberQueries.
func (q *queries) ListMembers(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.Member, int, error) {
	l := listing{cols: memberCols, table: "members", where: []string{"group_id = $1"}, args: []any{groupID}, key: "user_id"}
	return list(ctx, q, "ListMembers", l, p, scanMember)
}

// CountMembersWithRole implements store.MemberQueries.
func (q *queries) CountMembersWithRole(ctx context.Context, groupID int64, role gatehouse.Role) (int, error) {
	var n int
	err := q.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM members WHERE group_id = $1 AND role = $2 AND state = $3`,
		groupID, int(role), string(gatehouse.MemberActive)).Scan(&n)
	if err != nil {
		return 0, q.fail(ctx, "CountMembersWithRole", err, nil)
	}
	return n, nil
}

// ListUserMemberships implements store.MemberQueries.
func (q *queries) ListUserMemberships(ctx context.Context, userID int64) ([]*gatehouse.Member, error) {
	return collect(ctx, q, "ListUserMemberships", scanMember,
		`SELECT `+memberCols+` FROM members WHERE user_id = $1 ORDER BY group_id`, userID)
}

func memberOnErr(m *gatehouse.Member) *onErr {
	return &onErr{refs: []ref{
		{fkey: "members_group_id_fkey", table: "groups", noun: "group", id: m.GroupID},
		{fkey: "members_user_id_fkey", table: "users", noun: "user", id: m.UserID},
	}}
}
