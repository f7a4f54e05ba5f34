package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
)

const scimCols = `id, scim_id, group_id, user_id, extern_uid, external_id_set, user_name, display_name, given_name,
	family_name, email, state, previous_role, attributes, version, created_at, updated_at`

// Queries of live SCIM identities spell state <> 'deleted' as a literal, not
// a parameter: only then can SQLite's planner, and PostgreSQL's generic plans,
// see that the partial indexes (… WHERE state <> 'deleted') apply.

// scanSCIM reads the scimCols of one row, and then into more whatever
// columns follow them.
func scanSCIM(s rowScanner, more ...any) (*gatehouse.SCIMIdentity, error) {
	var (
		si    gatehouse.SCIMIdentity
		state string
		prev  sql.NullInt64
		attrs string
	)
	err := s.Scan(append([]any{&si.ID, &si.SCIMID, &si.GroupID, &si.UserID, &si.ExternUID, &si.ExternalIDSet,
		&si.UserName, &si.DisplayName, &si.GivenName, &si.FamilyName, &si.Email, &state, &prev, &attrs, &si.Version,
		timeCol{&si.CreatedAt}, timeCol{&si.UpdatedAt}}, more...)...)
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

// checkSCIMEmails refuses emails the database could not store alike on
// every backend (PostgreSQL rejects invalid UTF-8 and NUL, SQLite would keep
// them).
func (q *queries) checkSCIMEmails(op string, s *gatehouse.SCIMIdentity) error {
	for _, e := range s.Emails {
		for _, v := range []string{e.Value, e.Type} {
			if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
				return q.invalid(op, "SCIM email %q must be valid UTF-8 without NUL characters", v)
			}
		}
	}
	return nil
}

// CreateSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) CreateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity) error {
	const op = "CreateSCIMIdentity"
	if err := s.Validate(); err != nil {
		return err
	}
	if err := q.checkSCIMEmails(op, s); err != nil {
		return err
	}
	return q.createSCIMIdentity(ctx, op, s, scim.FormattedName(s.Attributes))
}

// createSCIMIdentity writes the validated s, whose document's
// name.formatted is formatted: the caller reads it from the document before
// a write transaction begins, so that SQLite's single writer does not wait
// for the JSON to be parsed.
func (q *queries) createSCIMIdentity(ctx context.Context, op string, s *gatehouse.SCIMIdentity, formatted string) error {
	now := q.clock()
	return q.atomic(ctx, op, func(q *queries) error {
		var id int64
		var b binder
		insert := q.scimRow(s, now, formatted).values(&b, "", nil)
		err := q.w.QueryRowContext(ctx, insert+` RETURNING id`, b.args...).Scan(&id)
		if err != nil {
			return q.fail(ctx, op, err, scimOnErr(s))
		}
		if err := q.insertSCIMEmails(ctx, op, id, s); err != nil {
			return err
		}
		s.ID, s.Version, s.CreatedAt, s.UpdatedAt = id, 1, now, now
		return nil
	})
}

// emailsPerInsert bounds the rows of one INSERT of SCIM emails, and so its
// parameters (SQLite allows 32,766 in a statement).
const emailsPerInsert = 500

// insertSCIMEmails writes s's emails for the identity id, in their order,
// many to a statement.
func (q *queries) insertSCIMEmails(ctx context.Context, op string, id int64, s *gatehouse.SCIMIdentity) error {
	for from := 0; from < len(s.Emails); from += emailsPerInsert {
		var b strings.Builder
		b.WriteString(`INSERT INTO scim_identity_emails (identity_id, group_id, value, value_key, type, type_key, is_primary) VALUES `)
		args := []any{id, s.GroupID}
		for i, e := range s.Emails[from:min(from+emailsPerInsert, len(s.Emails))] {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($1, $2, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5)
			args = append(args, e.Value, canon.Key(e.Value), e.Type, canon.Key(e.Type), e.Primary)
		}
		if _, err := q.w.ExecContext(ctx, b.String(), args...); err != nil {
			return q.fail(ctx, op, err, nil)
		}
	}
	return nil
}

// UpdateSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) UpdateSCIMIdentity(ctx context.Context, s *gatehouse.SCIMIdentity, ifVersion int64) error {
	const op = "UpdateSCIMIdentity"
	if err := s.Validate(); err != nil {
		return err
	}
	if err := q.checkSCIMEmails(op, s); err != nil {
		return err
	}
	now := q.clock()
	// The version check is part of the UPDATE, so two writers that read the
	// same version cannot both succeed. deleted_at keeps the time the row
	// was first deleted and is cleared when it comes back.
	query := `UPDATE scim_identities SET scim_id = $3, user_id = $4, extern_uid = $5,
	extern_uid_key = $6, external_id_set = $7, user_name = $8, user_name_key = $9, display_name = $10,
	display_name_key = $11, given_name = $12, given_name_key = $13, family_name = $14, family_name_key = $15,
	email = $16, email_key = $17, state = $18, previous_role = $19, attributes = $20, version = version + 1,
	updated_at = $21, deleted_at = CASE WHEN $22 THEN COALESCE(deleted_at, $21) END,
	formatted_name = $23, formatted_name_key = $24
WHERE group_id = $1 AND id = $2`
	formatted := scim.FormattedName(s.Attributes)
	args := []any{s.GroupID, s.ID, s.SCIMID, s.UserID, s.ExternUID, canon.Key(s.ExternUID), s.ExternalIDSet,
		s.UserName, canon.Key(s.UserName), s.DisplayName, canon.Key(s.DisplayName),
		s.GivenName, canon.Key(s.GivenName), s.FamilyName, canon.Key(s.FamilyName),
		s.Email, canon.Key(s.Email), string(s.State), nullRole(s.PreviousRole),
		attributes(s.Attributes), q.t(now), s.State == gatehouse.IdentityDeleted,
		formatted, canon.Key(formatted)}
	if ifVersion > 0 {
		query += ` AND version = $25`
		args = append(args, ifVersion)
	}
	return q.atomic(ctx, op, func(q *queries) error {
		var version int64
		err := q.w.QueryRowContext(ctx, query+` RETURNING version`, args...).Scan(&version)
		if errors.Is(err, sql.ErrNoRows) {
			return q.scimUpdateMiss(ctx, op, s, ifVersion)
		}
		if err != nil {
			return q.fail(ctx, op, err, scimOnErr(s))
		}
		// The emails are replaced as a set: the IdP sends them whole.
		if _, err := q.w.ExecContext(ctx, `DELETE FROM scim_identity_emails WHERE identity_id = $1`, s.ID); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		if err := q.insertSCIMEmails(ctx, op, s.ID, s); err != nil {
			return err
		}
		s.Version, s.UpdatedAt = version, now
		return nil
	})
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

// scimSelect reads SCIM identities with their emails, one row per email in
// the order they were written (or one row with NULL email columns), for a
// WHERE on the identities (alias s) that the caller appends. One statement,
// so that an identity and its emails come from the same snapshot.
func (q *queries) scimSelect() string {
	return `SELECT ` + scimColsOfS + `, e.value, e.type, e.is_primary
FROM scim_identities s ` + q.emailsJoin() + `
WHERE `
}

// emailsJoin joins each identity s to its emails e. PostgreSQL gets a
// LATERAL subquery behind OFFSET 0, which it cannot flatten: one index lookup
// per identity. As a plain join its planner, with the statistics it has
// right after a bulk load, may hash-join a sequential scan of every email
// of every group to fetch one identity's (seen: 29 ms instead of 0.1 ms at
// 100,000 users). SQLite has no LATERAL and plans the plain join well.
func (q *queries) emailsJoin() string {
	if q.d.LateralJoins {
		return `LEFT JOIN LATERAL (SELECT id, value, type, is_primary FROM scim_identity_emails
	WHERE identity_id = s.id OFFSET 0) e ON true`
	}
	return `LEFT JOIN scim_identity_emails e ON e.identity_id = s.id`
}

// scimWithEmails wraps a query that selects scimCols of a page of SCIM
// identities (ordered by id, with the page's LIMIT) so that each identity
// comes with its emails, as scimSelect reads them: the page and all its
// emails in one statement.
func (q *queries) scimWithEmails(identities string) string {
	return q.scimWithEmailsAfter("", identities)
}

// scimWithEmailsAfter is scimWithEmails for an identities query that
// refers to a recursive common table expression, cte ("name(columns) AS
// (…)"), which comes first.
func (q *queries) scimWithEmailsAfter(cte, identities string) string {
	with := `WITH `
	if cte != "" {
		with = `WITH RECURSIVE ` + cte + `, `
	}
	return with + `s AS (` + identities + `)
SELECT ` + scimColsOfS + `, e.value, e.type, e.is_primary
FROM s ` + q.emailsJoin() + `
ORDER BY s.id, e.id`
}

// scimColsOfS is scimCols qualified with the alias s.
var scimColsOfS = func() string {
	cols := strings.Split(scimCols, ",")
	for i, c := range cols {
		cols[i] = "s." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}()

// collectSCIM runs a scimSelect or scimWithEmails query and gathers each
// identity's rows.
func (q *queries) collectSCIM(ctx context.Context, op, query string, args ...any) ([]*gatehouse.SCIMIdentity, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	var list []*gatehouse.SCIMIdentity
	for rows.Next() {
		var (
			value, typ sql.NullString
			primary    sql.NullBool
		)
		si, err := scanSCIM(rows, &value, &typ, &primary)
		if err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		if n := len(list); n == 0 || list[n-1].ID != si.ID {
			list = append(list, si)
		}
		if value.Valid {
			last := list[len(list)-1]
			last.Emails = append(last.Emails, gatehouse.SCIMEmail{Value: value.String, Type: typ.String, Primary: primary.Bool})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	return list, nil
}

// findSCIM returns the one identity (with its emails) that where selects, or
// the error nf returns.
func (q *queries) findSCIM(ctx context.Context, op, where string, args []any, nf func() error) (*gatehouse.SCIMIdentity, error) {
	list, err := q.collectSCIM(ctx, op, q.scimSelect()+where+` ORDER BY e.id`, args...)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, nf()
	}
	return list[0], nil
}

// FindSCIMIdentity implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentity(ctx context.Context, groupID int64, scimID string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentity"
	return q.findSCIM(ctx, op, `s.group_id = $1 AND s.scim_id = $2 AND s.state <> 'deleted'`, []any{groupID, scimID},
		func() error { return q.notFound(op, "SCIM identity %q not found in group %d", scimID, groupID) })
}

// FindSCIMIdentityByExternUID implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityByExternUID(ctx context.Context, groupID int64, externUID string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityByExternUID"
	return q.findSCIM(ctx, op, `s.group_id = $1 AND s.extern_uid_key = $2 AND s.state <> 'deleted'`,
		[]any{groupID, canon.Key(externUID)},
		func() error {
			return q.notFound(op, "no SCIM identity with extern_uid %q in group %d", externUID, groupID)
		})
}

// FindSCIMIdentityByUserName implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityByUserName(ctx context.Context, groupID int64, userName string) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityByUserName"
	return q.findSCIM(ctx, op, `s.group_id = $1 AND s.user_name_key = $2 AND s.state <> 'deleted'`,
		[]any{groupID, canon.Key(userName)},
		func() error {
			return q.notFound(op, "no SCIM identity with userName %q in group %d", userName, groupID)
		})
}

// FindSCIMIdentityForUser implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMIdentityForUser(ctx context.Context, groupID, userID int64, includeDeleted bool) (*gatehouse.SCIMIdentity, error) {
	const op = "FindSCIMIdentityForUser"
	// The live row first (there is at most one), then deleted rows by when
	// they were deleted; $3 admits deleted rows only when asked.
	return q.findSCIM(ctx, op, `s.id = (SELECT id FROM scim_identities
	WHERE group_id = $1 AND user_id = $2 AND (state <> 'deleted' OR $3)
	ORDER BY CASE WHEN state = 'deleted' THEN 1 ELSE 0 END, deleted_at DESC, id DESC
	LIMIT 1)`, []any{groupID, userID, includeDeleted},
		func() error { return q.notFound(op, "user %d has no SCIM identity in group %d", userID, groupID) })
}

// ListSCIMIdentities implements store.SCIMIdentityQueries.
func (q *queries) ListSCIMIdentities(ctx context.Context, groupID int64, f scimfilter.Filter, p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
	const op = "ListSCIMIdentities"
	if cond, v, ok := uniqueEq(f); ok {
		return q.listOne(ctx, op, groupID, cond, v, p)
	}
	// The page's ids come first, from the partial index on (group_id, id)
	// of the live identities (migration 00004): the rows Offset skips are
	// index entries, never table rows.
	l := listing{cols: scimCols, table: "scim_identities", where: []string{"group_id = $1", "state <> 'deleted'"},
		args: []any{groupID}, key: "id", keysFirst: true}
	read := func(query string, args []any) ([]*gatehouse.SCIMIdentity, error) {
		return q.collectSCIM(ctx, op, q.scimWithEmails(query), q.runArgs(l, args)...)
	}
	switch {
	case f != nil:
		cond, args, err := q.compileFilter(op, f, l.args)
		if err != nil {
			return nil, 0, err
		}
		l.where, l.args, l.adHoc = append(l.where, cond), args, true
	case !q.inTx():
		return q.listLiveSCIM(ctx, op, l, groupID, p, read)
	}
	// A filter, or a transaction: the rows are counted. (PostgreSQL
	// applies a transaction's own changes to the kept count only as it
	// commits.)
	return listWith(ctx, q, op, l, p, read)
}

// listLiveSCIM lists a page of the group's whole list of live SCIM
// identities, l, outside a transaction. The total is the count migration
// 00004 keeps, and a page that starts at or after where an earlier one
// ended continues from there (seeks), unless the group's live identities
// changed since. The count's generation is read before and after the page:
// when it moved, the page was read from a group that changed, and one read
// from a remembered place is read again by Offset.
func (q *queries) listLiveSCIM(ctx context.Context, op string, l listing, groupID int64, p store.Page,
	read func(query string, args []any) ([]*gatehouse.SCIMIdentity, error)) ([]*gatehouse.SCIMIdentity, int, error) {
	before, err := q.scimCount(ctx, op, groupID)
	if err != nil {
		return nil, 0, err
	}
	if p.Limit <= 0 {
		return nil, before.live, nil
	}
	from, seeking := q.seeks.from(groupID, before.generation, p)
	list, err := q.readLiveSCIM(ctx, op, l, groupID, from, read)
	if err != nil {
		return nil, 0, err
	}
	after, err := q.scimCount(ctx, op, groupID)
	if err != nil {
		return nil, 0, err
	}
	if after.generation != before.generation {
		if seeking {
			if list, err = q.readLiveSCIM(ctx, op, l, groupID, p, read); err != nil {
				return nil, 0, err
			}
		}
		return list, after.live, nil
	}
	if n := len(list); n > 0 {
		q.seeks.remember(groupID, before.generation, p, n, list[n-1].ID)
	}
	return list, before.live, nil
}

// readLiveSCIM reads the page p of the group's whole list l. A page that
// skips no rows — the first, and one that continues from an id — walks the
// index of live identities one probe per row (walkLiveSCIM); any other
// skips its Offset rows in that index, as page does.
func (q *queries) readLiveSCIM(ctx context.Context, op string, l listing, groupID int64, p store.Page,
	read func(query string, args []any) ([]*gatehouse.SCIMIdentity, error)) ([]*gatehouse.SCIMIdentity, error) {
	if p.Offset > 0 {
		return read(page(l, p))
	}
	return q.collectSCIM(ctx, op, q.scimWithEmailsAfter(walkLiveSCIM, `SELECT `+scimCols+
		` FROM scim_identities WHERE id IN (SELECT id FROM page_ids WHERE id IS NOT NULL) ORDER BY id`),
		groupID, max(p.AfterID, 0), p.Limit)
}

// walkLiveSCIM selects the ids of a page of a group's live identities that
// starts after an id: page_ids holds the first id above $2 of group $1,
// the first above that, and so on, $3 rows, each the first row of an
// ordered index scan with LIMIT 1 (the last is NULL when the list ends
// first). PostgreSQL plans "the next $3 rows in id order" by its estimate
// of the group's rows, and without statistics (right after a bulk load,
// before ANALYZE) that estimate can fall below $3: it then bitmap-scans
// and sorts every row of the group past the id (seen: 50,000 rows, 57 ms,
// at 100,000 identities). For one row the ordered index scan costs least
// under any estimate, so the walk does not depend on statistics; it costs
// $3 index probes (well under a millisecond for 100).
const walkLiveSCIM = `page_ids(id, n) AS (
	SELECT (SELECT id FROM scim_identities WHERE group_id = $1 AND state <> 'deleted' AND id > $2 ORDER BY id LIMIT 1), 1
	UNION ALL
	SELECT (SELECT t.id FROM scim_identities t WHERE t.group_id = $1 AND t.state <> 'deleted' AND t.id > p.id
		ORDER BY t.id LIMIT 1), p.n + 1
	FROM page_ids p WHERE p.id IS NOT NULL AND p.n < $3)`

// groupCount is a group's row of scim_identity_counts.
type groupCount struct {
	live       int   // the live SCIM identities
	generation int64 // goes up with every change of them
}

// scimCount returns the group's count of live SCIM identities, as the
// triggers of migration 00004 keep it: the sums of its rows, 0 and 0 for a
// group that never had one (the aggregate always returns a row).
func (q *queries) scimCount(ctx context.Context, op string, groupID int64) (groupCount, error) {
	var c groupCount
	// PostgreSQL spreads a group's count over shards (migration 00004);
	// SQLite keeps one row. The sums are the count and a generation that
	// only goes up.
	err := q.r.QueryRowContext(ctx, `SELECT CAST(COALESCE(SUM(live), 0) AS BIGINT), CAST(COALESCE(SUM(generation), 0) AS BIGINT)
FROM scim_identity_counts WHERE group_id = $1`, groupID).Scan(&c.live, &c.generation)
	if err != nil {
		return groupCount{}, q.fail(ctx, op, err, nil)
	}
	return c, nil
}

// uniqueEq recognises the filters IdPs send before nearly every write
// (userName, externalId or id eq a value), which select at most one live
// identity through a unique index. It returns the condition on s and the
// value to bind as $2.
func uniqueEq(f scimfilter.Filter) (cond string, v string, ok bool) {
	c, isCompare := f.(scimfilter.Compare)
	if !isCompare || c.Op != scimfilter.Eq {
		return "", "", false
	}
	v, ok = c.Value.(string)
	if !ok || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		// The general path explains what is wrong with the value.
		return "", "", false
	}
	switch c.Attr {
	case scimfilter.UserName:
		return "s.user_name_key = $2", canon.Key(v), true
	case scimfilter.ExternalID:
		// An identity whose IdP never sent an externalId has none to match.
		return "s.extern_uid_key = $2 AND s.external_id_set", canon.Key(v), true
	case scimfilter.ID:
		return "s.scim_id = $2", v, true
	}
	return "", "", false
}

// listOne lists the live identities (at most one) of the group that cond
// selects, and pages them as list would: the total counts them all, the
// page applies AfterID, Offset and Limit. It is a point lookup with no
// ORDER BY, LIMIT or count, so the only plan is the unique index: a list
// query's "first rows in id order" may instead walk the group's ids while
// the table has no statistics.
func (q *queries) listOne(ctx context.Context, op string, groupID int64, cond, v string, p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
	found, err := q.collectSCIM(ctx, op, q.scimSelect()+`s.group_id = $1 AND `+cond+` AND s.state <> 'deleted' ORDER BY e.id`, groupID, v)
	if err != nil {
		return nil, 0, err
	}
	total := len(found)
	var page []*gatehouse.SCIMIdentity
	skip := max(p.Offset, 0)
	for _, si := range found {
		switch {
		case p.AfterID > 0 && si.ID <= p.AfterID:
		case skip > 0:
			skip--
		case len(page) < p.Limit:
			page = append(page, si)
		}
	}
	return page, total, nil
}
