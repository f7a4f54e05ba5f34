package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

const scimGroupCols = `id, scim_id, group_id, display_name, external_id, version, created_at, updated_at`

func scanSCIMGroup(s rowScanner) (*gatehouse.SCIMGroup, error) {
	var g gatehouse.SCIMGroup
	err := s.Scan(&g.ID, &g.SCIMID, &g.GroupID, &g.DisplayName, &g.ExternalID, &g.Version,
		timeCol{&g.CreatedAt}, timeCol{&g.UpdatedAt})
	return &g, err
}

func scimGroupOnErr(g *gatehouse.SCIMGroup) *onErr {
	return &onErr{
		values: map[string]any{
			"scim_groups_scim_id_key":      g.SCIMID,
			"scim_groups_display_name_key": g.DisplayName,
		},
		refs: []ref{{fkey: "scim_groups_group_id_fkey", table: "groups", noun: "group", id: g.GroupID}},
	}
}

// CreateSCIMGroup implements store.SCIMGroupQueries.
func (q *queries) CreateSCIMGroup(ctx context.Context, g *gatehouse.SCIMGroup) error {
	const op = "CreateSCIMGroup"
	if err := g.Validate(); err != nil {
		return err
	}
	now := q.clock()
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO scim_groups (scim_id, group_id, display_name, display_name_key,
	external_id, version, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, 1, $6, $6) RETURNING id`,
		g.SCIMID, g.GroupID, g.DisplayName, canon.Key(g.DisplayName), g.ExternalID, q.t(now)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, scimGroupOnErr(g))
	}
	g.ID, g.Version, g.CreatedAt, g.UpdatedAt = id, 1, now, now
	return nil
}

// UpdateSCIMGroup implements store.SCIMGroupQueries.
func (q *queries) UpdateSCIMGroup(ctx context.Context, g *gatehouse.SCIMGroup, ifVersion int64) error {
	const op = "UpdateSCIMGroup"
	if err := g.Validate(); err != nil {
		return err
	}
	now := q.clock()
	query := `UPDATE scim_groups SET display_name = $3, display_name_key = $4, external_id = $5,
	version = version + 1, updated_at = $6
WHERE group_id = $1 AND scim_id = $2`
	args := []any{g.GroupID, g.SCIMID, g.DisplayName, canon.Key(g.DisplayName), g.ExternalID, q.t(now)}
	if ifVersion > 0 {
		query += ` AND version = $7`
		args = append(args, ifVersion)
	}
	var id, version int64
	err := q.w.QueryRowContext(ctx, query+` RETURNING id, version`, args...).Scan(&id, &version)
	if errors.Is(err, sql.ErrNoRows) {
		found, ferr := q.FindSCIMGroup(ctx, g.GroupID, g.SCIMID)
		if ferr != nil {
			return ferr
		}
		return q.conflict(op, "SCIM group %q was changed by another request (version %d, not %d); read it again",
			g.SCIMID, found.Version, ifVersion)
	}
	if err != nil {
		return q.fail(ctx, op, err, scimGroupOnErr(g))
	}
	g.ID, g.Version, g.UpdatedAt = id, version, now
	return nil
}

// LockSCIMGroup implements store.SCIMGroupQueries. An UPDATE that changes
// nothing takes the row lock on PostgreSQL; SQLite's writer transaction is
// the lock already. It writes no key column, for the reason LockGroup
// gives.
func (q *queries) LockSCIMGroup(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMGroup, error) {
	const op = "LockSCIMGroup"
	g, err := scanSCIMGroup(q.w.QueryRowContext(ctx, `UPDATE scim_groups SET version = version WHERE group_id = $1 AND scim_id = $2
RETURNING `+scimGroupCols, groupID, scimID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, q.notFound(op, "SCIM group %q not found in group %d", scimID, groupID)
	}
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return g, nil
}

// FindSCIMGroup implements store.SCIMGroupQueries.
func (q *queries) FindSCIMGroup(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMGroup, error) {
	const op = "FindSCIMGroup"
	return findOne(ctx, q, op, scanSCIMGroup,
		`SELECT `+scimGroupCols+` FROM scim_groups WHERE group_id = $1 AND scim_id = $2`, []any{groupID, scimID},
		func() error { return q.notFound(op, "SCIM group %q not found in group %d", scimID, groupID) })
}

// ListSCIMGroups implements store.SCIMGroupQueries.
func (q *queries) ListSCIMGroups(ctx context.Context, groupID int64, f store.SCIMGroupFilter, p store.Page) ([]*gatehouse.SCIMGroup, int, error) {
	l := listing{cols: scimGroupCols, table: "scim_groups", where: []string{"group_id = $1"}, args: []any{groupID}, key: "id"}
	if f.DisplayName != nil {
		l.args = append(l.args, canon.Key(*f.DisplayName))
		l.where = append(l.where, fmt.Sprintf("display_name_key = $%d", len(l.args)))
	}
	if f.ExternalID != nil {
		l.args = append(l.args, *f.ExternalID)
		l.where = append(l.where, fmt.Sprintf("external_id = $%d", len(l.args)))
	}
	return list(ctx, q, "ListSCIMGroups", l, p, scanSCIMGroup)
}

// DeleteSCIMGroup implements store.SCIMGroupQueries.
func (q *queries) DeleteSCIMGroup(ctx context.Context, groupID int64, scimID string) error {
	const op = "DeleteSCIMGroup"
	res, err := q.w.ExecContext(ctx, `DELETE FROM scim_groups WHERE group_id = $1 AND scim_id = $2`, groupID, scimID)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "SCIM group %q not found in group %d", scimID, groupID) })
}

// membersPerStatement bounds the members one statement reads or writes,
// and so its parameters (SQLite allows 32,766 in a statement).
const membersPerStatement = 500

// checkSCIMGroup returns NotFound unless the SCIM group with row id
// scimGroupID belongs to groupID.
func (q *queries) checkSCIMGroup(ctx context.Context, op string, groupID, scimGroupID int64) error {
	var one int
	err := q.r.QueryRowContext(ctx, `SELECT 1 FROM scim_groups WHERE id = $1 AND group_id = $2`, scimGroupID, groupID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return q.notFound(op, "SCIM group %d not found in group %d", scimGroupID, groupID)
	}
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return nil
}

// resolveMembers maps the SCIM ids that name SCIM identities of groupID
// (live ones only, unless anyState) to those identities.
func (q *queries) resolveMembers(ctx context.Context, op string, groupID int64, scimIDs []string, anyState bool) (map[string]gatehouse.SCIMGroupMember, error) {
	found := make(map[string]gatehouse.SCIMGroupMember, len(scimIDs))
	live := ` AND state <> 'deleted'`
	if anyState {
		live = ""
	}
	for from := 0; from < len(scimIDs); from += membersPerStatement {
		chunk := scimIDs[from:min(from+membersPerStatement, len(scimIDs))]
		args := []any{groupID}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		rows, err := q.r.QueryContext(ctx, `SELECT id, scim_id, user_id FROM scim_identities
WHERE group_id = $1`+live+` AND scim_id IN (`+strings.Join(marks, ", ")+`)`, args...)
		if err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		for rows.Next() {
			var m gatehouse.SCIMGroupMember
			if err := rows.Scan(&m.IdentityID, &m.SCIMID, &m.UserID); err != nil {
				rows.Close()
				return nil, q.fail(ctx, op, err, nil)
			}
			found[m.SCIMID] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
	}
	return found, nil
}

// AddSCIMGroupMembers implements store.SCIMGroupQueries.
func (q *queries) AddSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, refs []gatehouse.SCIMGroupMemberRef) ([]gatehouse.SCIMGroupMember, []string, error) {
	const op = "AddSCIMGroupMembers"
	var (
		ids  []string
		seen = make(map[string]bool, len(refs))
		byID = make(map[string]gatehouse.SCIMGroupMemberRef, len(refs))
	)
	for _, r := range refs {
		if err := r.Validate(); err != nil {
			return nil, nil, err
		}
		if !seen[r.SCIMID] {
			seen[r.SCIMID] = true
			ids = append(ids, r.SCIMID)
			byID[r.SCIMID] = r
		}
	}
	var added []gatehouse.SCIMGroupMember
	var unknown []string
	err := q.atomic(ctx, op, func(q *queries) error {
		if err := q.checkSCIMGroup(ctx, op, groupID, scimGroupID); err != nil {
			return err
		}
		found, err := q.resolveMembers(ctx, op, groupID, ids, false)
		if err != nil {
			return err
		}
		var todo []gatehouse.SCIMGroupMember
		for _, id := range ids {
			m, ok := found[id]
			if !ok {
				unknown = append(unknown, id)
				continue
			}
			m.Display = byID[id].Display
			todo = append(todo, m)
		}
		byIdentity := make(map[int64]gatehouse.SCIMGroupMember, len(todo))
		for from := 0; from < len(todo); from += membersPerStatement {
			chunk := todo[from:min(from+membersPerStatement, len(todo))]
			var b strings.Builder
			b.WriteString(`INSERT INTO scim_group_members (scim_group_id, group_id, identity_id, display) VALUES `)
			args := []any{scimGroupID, groupID}
			for i, m := range chunk {
				if i > 0 {
					b.WriteString(", ")
				}
				byIdentity[m.IdentityID] = m
				fmt.Fprintf(&b, "($1, $2, $%d, $%d)", len(args)+1, len(args)+2)
				args = append(args, m.IdentityID, m.Display)
			}
			b.WriteString(` ON CONFLICT DO NOTHING RETURNING identity_id`)
			inserted, err := q.identityIDs(ctx, op, b.String(), args)
			if err != nil {
				return err
			}
			for _, id := range inserted {
				added = append(added, byIdentity[id])
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return added, unknown, nil
}

// identityIDs runs a write that returns identity ids, and reads them.
func (q *queries) identityIDs(ctx context.Context, op, query string, args []any) ([]int64, error) {
	rows, err := q.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return ids, nil
}

// RemoveSCIMGroupMembers implements store.SCIMGroupQueries.
func (q *queries) RemoveSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, scimIDs []string) ([]gatehouse.SCIMGroupMember, error) {
	const op = "RemoveSCIMGroupMembers"
	var removed []gatehouse.SCIMGroupMember
	err := q.atomic(ctx, op, func(q *queries) error {
		if err := q.checkSCIMGroup(ctx, op, groupID, scimGroupID); err != nil {
			return err
		}
		found, err := q.resolveMembers(ctx, op, groupID, scimIDs, true)
		if err != nil {
			return err
		}
		byIdentity := make(map[int64]gatehouse.SCIMGroupMember, len(found))
		var idents []int64
		for _, id := range scimIDs {
			if m, ok := found[id]; ok {
				if _, dup := byIdentity[m.IdentityID]; !dup {
					byIdentity[m.IdentityID] = m
					idents = append(idents, m.IdentityID)
				}
			}
		}
		for from := 0; from < len(idents); from += membersPerStatement {
			chunk := idents[from:min(from+membersPerStatement, len(idents))]
			args := []any{scimGroupID}
			marks := make([]string, len(chunk))
			for i, id := range chunk {
				args = append(args, id)
				marks[i] = fmt.Sprintf("$%d", i+2)
			}
			deleted, err := q.identityIDs(ctx, op, `DELETE FROM scim_group_members WHERE scim_group_id = $1
AND identity_id IN (`+strings.Join(marks, ", ")+`) RETURNING identity_id`, args)
			if err != nil {
				return err
			}
			for _, id := range deleted {
				removed = append(removed, byIdentity[id])
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

// RemoveAllSCIMGroupMembers implements store.SCIMGroupQueries.
func (q *queries) RemoveAllSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64) ([]gatehouse.SCIMGroupMember, error) {
	const op = "RemoveAllSCIMGroupMembers"
	var removed []gatehouse.SCIMGroupMember
	err := q.atomic(ctx, op, func(q *queries) error {
		if err := q.checkSCIMGroup(ctx, op, groupID, scimGroupID); err != nil {
			return err
		}
		all, err := collect(ctx, q, op, scanSCIMGroupMember, `SELECT `+scimMemberCols+` FROM `+scimMemberTable+`
WHERE m.scim_group_id = $1 ORDER BY m.identity_id`, scimGroupID)
		if err != nil {
			return err
		}
		if _, err := q.w.ExecContext(ctx, `DELETE FROM scim_group_members WHERE scim_group_id = $1`, scimGroupID); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		for _, m := range all {
			removed = append(removed, *m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return removed, nil
}

const (
	scimMemberCols  = `m.identity_id, s.scim_id, s.user_id, m.display`
	scimMemberTable = `scim_group_members m JOIN scim_identities s ON s.id = m.identity_id`
)

func scanSCIMGroupMember(s rowScanner) (*gatehouse.SCIMGroupMember, error) {
	var m gatehouse.SCIMGroupMember
	err := s.Scan(&m.IdentityID, &m.SCIMID, &m.UserID, &m.Display)
	return &m, err
}

// ListSCIMGroupMembers implements store.SCIMGroupQueries.
func (q *queries) ListSCIMGroupMembers(ctx context.Context, groupID, scimGroupID int64, p store.Page) ([]gatehouse.SCIMGroupMember, int, error) {
	const op = "ListSCIMGroupMembers"
	if err := q.checkSCIMGroup(ctx, op, groupID, scimGroupID); err != nil {
		return nil, 0, err
	}
	l := listing{cols: scimMemberCols, table: scimMemberTable,
		where: []string{"m.scim_group_id = $1", "m.group_id = $2", "s.state <> 'deleted'"},
		args:  []any{scimGroupID, groupID}, key: "m.identity_id"}
	ms, total, err := list(ctx, q, op, l, p, scanSCIMGroupMember)
	if err != nil {
		return nil, 0, err
	}
	out := make([]gatehouse.SCIMGroupMember, len(ms))
	for i, m := range ms {
		out[i] = *m
	}
	return out, total, nil
}

// SCIMGroupNames implements store.SCIMGroupQueries.
func (q *queries) SCIMGroupNames(ctx context.Context, groupID int64, userIDs []int64) (map[int64][]string, error) {
	const op = "SCIMGroupNames"
	const query = `SELECT s.user_id, g.display_name, g.external_id FROM scim_group_members m
JOIN scim_groups g ON g.id = m.scim_group_id
JOIN scim_identities s ON s.id = m.identity_id
WHERE m.group_id = $1 AND g.group_id = $1 AND s.state <> 'deleted'`
	out := map[int64][]string{}
	read := func(extra string, args []any) error {
		rows, err := q.r.QueryContext(ctx, query+extra+` ORDER BY s.user_id, g.id`, args...)
		if err != nil {
			return q.fail(ctx, op, err, nil)
		}
		defer rows.Close()
		for rows.Next() {
			var user int64
			var name, external string
			if err := rows.Scan(&user, &name, &external); err != nil {
				return q.fail(ctx, op, err, nil)
			}
			out[user] = append(out[user], name)
			if external != "" {
				out[user] = append(out[user], external)
			}
		}
		if err := rows.Err(); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		return nil
	}
	if userIDs == nil {
		return out, read("", []any{groupID})
	}
	for from := 0; from < len(userIDs); from += membersPerStatement {
		chunk := userIDs[from:min(from+membersPerStatement, len(userIDs))]
		args := []any{groupID}
		marks := make([]string, len(chunk))
		for i, id := range chunk {
			args = append(args, id)
			marks[i] = fmt.Sprintf("$%d", i+2)
		}
		if err := read(` AND s.user_id IN (`+strings.Join(marks, ", ")+`)`, args); err != nil {
			return nil, err
		}
	}
	return out, nil
}
