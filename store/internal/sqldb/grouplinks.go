package sqldb

import (
	"context"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

const groupLinkCols = `id, group_id, idp_group, role, created_at, updated_at`

func scanGroupLink(s rowScanner) (*gatehouse.GroupLink, error) {
	var l gatehouse.GroupLink
	err := s.Scan(&l.ID, &l.GroupID, &l.IdPGroup, &l.Role, timeCol{&l.CreatedAt}, timeCol{&l.UpdatedAt})
	return &l, err
}

// CreateGroupLink implements store.GroupLinkQueries.
func (q *queries) CreateGroupLink(ctx context.Context, l *gatehouse.GroupLink) error {
	const op = "CreateGroupLink"
	if err := l.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO group_links (group_id, idp_group, idp_group_key, role, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`,
		l.GroupID, l.IdPGroup, canon.Key(l.IdPGroup), int(l.Role), q.t(now)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, &onErr{
			values: map[string]any{"group_links_group_key": l.IdPGroup},
			refs:   []ref{{fkey: "group_links_group_id_fkey", table: "groups", noun: "group", id: l.GroupID}},
		})
	}
	l.ID, l.CreatedAt, l.UpdatedAt = id, now, now
	return nil
}

// FindGroupLink implements store.GroupLinkQueries.
func (q *queries) FindGroupLink(ctx context.Context, groupID, id int64) (*gatehouse.GroupLink, error) {
	const op = "FindGroupLink"
	return findOne(ctx, q, op, scanGroupLink,
		`SELECT `+groupLinkCols+` FROM group_links WHERE group_id = $1 AND id = $2`, []any{groupID, id},
		func() error { return q.notFound(op, "group link %d not found in group %d", id, groupID) })
}

// ListGroupLinks implements store.GroupLinkQueries.
func (q *queries) ListGroupLinks(ctx context.Context, groupID int64) ([]*gatehouse.GroupLink, error) {
	return collect(ctx, q, "ListGroupLinks", scanGroupLink,
		`SELECT `+groupLinkCols+` FROM group_links WHERE group_id = $1 ORDER BY id`, groupID)
}

// DeleteGroupLink implements store.GroupLinkQueries.
func (q *queries) DeleteGroupLink(ctx context.Context, groupID, id int64) error {
	const op = "DeleteGroupLink"
	res, err := q.w.ExecContext(ctx, `DELETE FROM group_links WHERE group_id = $1 AND id = $2`, groupID, id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "group link %d not found in group %d", id, groupID) })
}

// ReplaceUserIdPGroups implements store.GroupLinkQueries.
func (q *queries) ReplaceUserIdPGroups(ctx context.Context, groupID, userID int64, source string, names []string) error {
	const op = "ReplaceUserIdPGroups"
	if source != gatehouse.IdPGroupSAML {
		return q.invalid(op, "IdP group source %q is not saml", source)
	}
	seen := map[string]bool{}
	type row struct{ name, key string }
	var rows []row
	for _, n := range names {
		if err := gatehouse.ValidateIdPGroup(n); err != nil {
			return err
		}
		k := canon.Key(n)
		if !seen[k] {
			seen[k] = true
			rows = append(rows, row{n, k})
		}
	}
	return q.atomic(ctx, op, func(q *queries) error {
		if _, err := q.w.ExecContext(ctx, `DELETE FROM user_idp_groups WHERE group_id = $1 AND user_id = $2 AND source = $3`,
			groupID, userID, source); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		for _, r := range rows {
			_, err := q.w.ExecContext(ctx, `INSERT INTO user_idp_groups (group_id, user_id, source, idp_group, idp_group_key)
VALUES ($1, $2, $3, $4, $5)`, groupID, userID, source, r.name, r.key)
			if err != nil {
				return q.fail(ctx, op, err, &onErr{refs: []ref{
					{fkey: "user_idp_groups_group_id_fkey", table: "groups", noun: "group", id: groupID},
					{fkey: "user_idp_groups_user_id_fkey", table: "users", noun: "user", id: userID},
				}})
			}
		}
		return nil
	})
}

// ListUserIdPGroups implements store.GroupLinkQueries.
func (q *queries) ListUserIdPGroups(ctx context.Context, groupID, userID int64, source string) ([]string, error) {
	const op = "ListUserIdPGroups"
	rows, err := q.r.QueryContext(ctx, `SELECT idp_group FROM user_idp_groups
WHERE group_id = $1 AND user_id = $2 AND source = $3 ORDER BY idp_group_key`, groupID, userID, source)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return out, nil
}

// ListGroupIdPGroups implements store.GroupLinkQueries.
func (q *queries) ListGroupIdPGroups(ctx context.Context, groupID int64, source string) (map[int64][]string, error) {
	const op = "ListGroupIdPGroups"
	rows, err := q.r.QueryContext(ctx, `SELECT user_id, idp_group FROM user_idp_groups
WHERE group_id = $1 AND source = $2 ORDER BY user_id, idp_group_key`, groupID, source)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	out := map[int64][]string{}
	for rows.Next() {
		var (
			id int64
			n  string
		)
		if err := rows.Scan(&id, &n); err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		out[id] = append(out[id], n)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return out, nil
}

// setRolesBatch is how many memberships or events one statement of
// SetMemberRoles writes when the dialect does not say (Dialect.BatchRows).
const setRolesBatch = 50

// SetMemberRoles implements store.GroupLinkQueries.
func (q *queries) SetMemberRoles(ctx context.Context, groupID int64, roles []store.MemberRole, events []*gatehouse.AuditEvent) error {
	const op = "SetMemberRoles"
	for _, r := range roles {
		if !r.Role.Valid() {
			return q.invalid(op, "role %d is not one of guest, reporter, developer, maintainer, owner", r.Role)
		}
		if !r.Source.Valid() {
			return q.invalid(op, "role source %q is not default, link or direct", r.Source)
		}
	}
	for _, e := range events {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	now := q.clock()
	batch := q.d.BatchRows
	if batch <= 0 {
		batch = setRolesBatch
	}
	return q.atomic(ctx, op, func(q *queries) error {
		for from := 0; from < len(roles); from += batch {
			chunk := roles[from:min(from+batch, len(roles))]
			// CASE and IN rather than a join on VALUES: each row is one
			// primary-key lookup on both databases, whatever the plan.
			b := binder{}
			var role, source, in strings.Builder
			for i, r := range chunk {
				if i > 0 {
					in.WriteString(", ")
				}
				id := b.arg(r.UserID)
				in.WriteString(id)
				// The casts give PostgreSQL the types of the THEN values.
				role.WriteString(" WHEN " + id + " THEN CAST(" + b.arg(int(r.Role)) + " AS INTEGER)")
				source.WriteString(" WHEN " + id + " THEN CAST(" + b.arg(string(roleSource(r.Source))) + " AS TEXT)")
			}
			var sb strings.Builder
			sb.WriteString("UPDATE members SET role = CASE user_id" + role.String() + " END,\nrole_source = CASE user_id" + source.String() +
				" END,\nupdated_at = " + b.arg(q.t(now)) + "\nWHERE group_id = " + b.arg(groupID) + " AND user_id IN (" + in.String() + ")")
			if _, err := q.w.ExecContext(ctx, sb.String(), b.args...); err != nil {
				return q.fail(ctx, op, err, nil)
			}
		}
		for from := 0; from < len(events); from += batch {
			chunk := events[from:min(from+batch, len(events))]
			b := binder{}
			var sb strings.Builder
			for i, e := range chunk {
				at := stored(e.At)
				if at.IsZero() {
					at = now
				}
				e.At = at
				row := q.auditRow(e, at)
				if i == 0 {
					sb.WriteString("INSERT INTO " + row.table + " (" + strings.Join(row.cols, ", ") + ")\nVALUES ")
				} else {
					sb.WriteString(", ")
				}
				vals := make([]string, len(row.vals))
				for j, v := range row.vals {
					vals[j] = b.arg(v)
				}
				sb.WriteString("(" + strings.Join(vals, ", ") + ")")
			}
			if _, err := q.w.ExecContext(ctx, sb.String(), b.args...); err != nil {
				return q.fail(ctx, op, err, &onErr{refs: []ref{{fkey: "audit_events_group_id_fkey", table: "groups", noun: "group", id: groupID}}})
			}
		}
		return nil
	})
}
