package sqldb

import (
	"bytes"
	"context"
	"database/sql"
	"maps"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/store"
)

// CreateSCIMUser implements store.SCIMIdentityQueries.
func (q *queries) CreateSCIMUser(ctx context.Context, n *store.NewSCIMUser) (store.SCIMUserClashes, error) {
	const op = "CreateSCIMUser"
	if err := q.checkNewSCIMUser(op, n); err != nil {
		return store.SCIMUserClashes{}, err
	}
	if q.d.WritableCTEs {
		return q.createSCIMUserAtOnce(ctx, op, n)
	}
	// The check reads outside the write transaction (on SQLite's read
	// pool), so that the single writer only writes; a write that races
	// past it fails on a unique index.
	clash, err := q.FindSCIMUserClashes(ctx, n.SCIM.GroupID, newSCIMUserKeys(n))
	if err != nil || clash != (store.SCIMUserClashes{}) {
		return clash, err
	}
	formatted := scim.FormattedName(n.SCIM.Attributes)
	return clash, q.atomic(ctx, op, func(q *queries) error {
		if err := q.CreateUser(ctx, n.User); err != nil {
			return err
		}
		id := n.User.ID
		n.Identity.UserID, n.Member.UserID, n.SCIM.UserID = id, id, id
		if err := q.CreateIdentity(ctx, n.Identity); err != nil {
			return err
		}
		if err := q.PutMember(ctx, n.Member); err != nil {
			return err
		}
		if err := q.createSCIMIdentity(ctx, op, n.SCIM, formatted); err != nil {
			return err
		}
		detail, err := withUserID(n.Audit.Detail, id)
		if err != nil {
			return q.invalid(op, "the audit event's detail must be a JSON object")
		}
		n.Audit.Detail = detail
		return q.CreateAuditEvent(ctx, n.Audit)
	})
}

// newSCIMUserKeys are the keys n would take.
func newSCIMUserKeys(n *store.NewSCIMUser) store.SCIMUserKeys {
	return store.SCIMUserKeys{ExternUID: n.SCIM.ExternUID, UserName: n.SCIM.UserName,
		Email: n.User.PrimaryEmail(), Username: n.User.Username}
}

// checkNewSCIMUser validates every row of n before anything is written.
// The account's id is not known yet; the rows that refer to it are checked
// as if it were 1.
func (q *queries) checkNewSCIMUser(op string, n *store.NewSCIMUser) error {
	if n.User == nil || n.Identity == nil || n.Member == nil || n.SCIM == nil || n.Audit == nil {
		return q.invalid(op, "a new SCIM user needs its account, SAML identity, membership, SCIM identity and audit event")
	}
	i, m, s := *n.Identity, *n.Member, *n.SCIM
	i.UserID, m.UserID, s.UserID = 1, 1, 1
	for _, v := range []interface{ Validate() error }{n.User, &i, &m, &s, n.Audit} {
		if err := v.Validate(); err != nil {
			return err
		}
	}
	if err := q.checkEmails(op, n.User); err != nil {
		return err
	}
	if err := q.checkSCIMEmails(op, &s); err != nil {
		return err
	}
	// Validate has checked that the detail is JSON; the new account's id
	// is added to it, so it must be an object.
	if d := bytes.TrimSpace(n.Audit.Detail); len(d) > 0 && d[0] != '{' {
		return q.invalid(op, "the audit event's detail must be a JSON object")
	}
	return nil
}

// createSCIMUserAtOnce writes n in one statement of data-modifying CTEs
// (PostgreSQL): every row takes the new account's id from the users
// insert, the emails come from arrays, and the statement is its own
// transaction. Foreign keys and unique indexes are checked as for the
// single inserts, so errors name the same constraints.
func (q *queries) createSCIMUserAtOnce(ctx context.Context, op string, n *store.NewSCIMUser) (store.SCIMUserClashes, error) {
	u, i, m, s, e := n.User, n.Identity, n.Member, n.SCIM, n.Audit
	now := q.clock()
	at := stored(e.At)
	if at.IsZero() {
		at = now
	}
	// The statement's text is the same for every user: it is built once,
	// and later calls only gather the values, in the same order.
	text, built := q.newUserSQL.Load().(string)
	b := binder{argsOnly: built}
	userID := map[string]string{"user_id": "u.id"}
	query := `WITH c AS (` + q.clashesSQL(&b, s.GroupID, newSCIMUserKeys(n)) + `),
u AS (` + q.userRow(u, now).values(&b, "c", nil) + `
	WHERE NOT (c.extern_uid OR c.user_name OR c.managed_email OR c.personal_email OR c.username) RETURNING id),
ue AS (` + q.userEmailRows(&b, u) + `),
i AS (` + q.identityRow(i, now).values(&b, "u", userID) + ` RETURNING id),
m AS (` + q.memberRow(m, now).values(&b, "u", userID) + `),
s AS (` + q.scimRow(s, now, scim.FormattedName(s.Attributes)).values(&b, "u", userID) + ` RETURNING id),
se AS (` + q.scimEmailRows(&b, s) + `),
a AS (` + q.auditRow(e, at).values(&b, "u", map[string]string{
		"detail": `COALESCE(%s::jsonb, '{}'::jsonb) || jsonb_build_object('user_id', u.id)`}) + ` RETURNING id)
SELECT c.extern_uid, c.user_name, c.managed_email, c.personal_email, c.username, u.id, i.id, s.id, a.id
FROM c LEFT JOIN u ON true LEFT JOIN i ON true LEFT JOIN s ON true LEFT JOIN a ON true`
	if built {
		query = text
	} else {
		q.newUserSQL.Store(query)
	}
	var (
		clash                                store.SCIMUserClashes
		userIDv, identityID, scimID, auditID sql.NullInt64
	)
	err := q.w.QueryRowContext(ctx, query, b.args...).Scan(&clash.ExternUID, &clash.UserName, &clash.ManagedEmail,
		&clash.PersonalEmail, &clash.Username, &userIDv, &identityID, &scimID, &auditID)
	if err != nil {
		return store.SCIMUserClashes{}, q.fail(ctx, op, err, newSCIMUserOnErr(n))
	}
	if clash != (store.SCIMUserClashes{}) {
		return clash, nil
	}
	detail, err := withUserID(e.Detail, userIDv.Int64)
	if err != nil {
		return clash, q.invalid(op, "the audit event's detail must be a JSON object")
	}
	id := userIDv.Int64
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	i.ID, i.UserID, i.CreatedAt, i.UpdatedAt, i.LastSignIn = identityID.Int64, id, now, now, stored(i.LastSignIn)
	m.UserID, m.CreatedAt, m.UpdatedAt, m.RoleSource = id, now, now, roleSource(m.RoleSource)
	s.ID, s.UserID, s.Version, s.CreatedAt, s.UpdatedAt = scimID.Int64, id, 1, now, now
	e.ID, e.At, e.Detail = auditID.Int64, at, detail
	return clash, nil
}

// userEmailRows inserts u's emails, in their order, for the account the
// statement's CTE u inserts.
func (q *queries) userEmailRows(b *binder, u *gatehouse.User) string {
	var addrs, keys []string
	var primary, verified []bool
	for _, e := range u.Emails {
		addrs, keys = append(addrs, e.Address), append(keys, canon.Key(e.Address))
		primary, verified = append(primary, e.Primary), append(verified, e.Verified)
	}
	return `INSERT INTO user_emails (user_id, address, email_key, is_primary, verified, managing_group_id)
SELECT u.id, e.address, e.email_key, e.is_primary, e.verified, ` + b.arg(nullID(u.ManagingGroupID)) + `
FROM u, unnest(` + b.arg(addrs) + `::text[], ` + b.arg(keys) + `::text[], ` + b.arg(primary) + `::boolean[], ` +
		b.arg(verified) + `::boolean[]) WITH ORDINALITY AS e(address, email_key, is_primary, verified, n)
ORDER BY e.n`
}

// scimEmailRows inserts s's emails, in their order, for the identity the
// statement's CTE s inserts.
func (q *queries) scimEmailRows(b *binder, s *gatehouse.SCIMIdentity) string {
	var values, valueKeys, types, typeKeys []string
	var primary []bool
	for _, e := range s.Emails {
		values, valueKeys = append(values, e.Value), append(valueKeys, canon.Key(e.Value))
		types, typeKeys = append(types, e.Type), append(typeKeys, canon.Key(e.Type))
		primary = append(primary, e.Primary)
	}
	return `INSERT INTO scim_identity_emails (identity_id, group_id, value, value_key, type, type_key, is_primary)
SELECT s.id, ` + b.arg(s.GroupID) + `, e.value, e.value_key, e.type, e.type_key, e.is_primary
FROM s, unnest(` + b.arg(values) + `::text[], ` + b.arg(valueKeys) + `::text[], ` + b.arg(types) + `::text[], ` +
		b.arg(typeKeys) + `::text[], ` + b.arg(primary) + `::boolean[]) WITH ORDINALITY AS e(value, value_key, type, type_key, is_primary, n)
ORDER BY e.n`
}

// newSCIMUserOnErr explains a failure of any of n's rows.
func newSCIMUserOnErr(n *store.NewSCIMUser) *onErr {
	h := &onErr{values: map[string]any{}}
	email := n.User.PrimaryEmail()
	for _, part := range []*onErr{userOnErr(n.User), identityOnErr(n.Identity), memberOnErr(n.Member), scimOnErr(n.SCIM),
		{values: map[string]any{"user_emails_personal_key": email, "user_emails_managed_key": email, "user_emails_user_key": email}}} {
		maps.Copy(h.values, part.values)
		h.refs = append(h.refs, part.refs...)
	}
	return h
}

// FindSCIMUserClashes implements store.SCIMIdentityQueries.
func (q *queries) FindSCIMUserClashes(ctx context.Context, groupID int64, k store.SCIMUserKeys) (store.SCIMUserClashes, error) {
	var c store.SCIMUserClashes
	var b binder
	err := q.r.QueryRowContext(ctx, q.clashesSQL(&b, groupID, k), b.args...).
		Scan(&c.ExternUID, &c.UserName, &c.ManagedEmail, &c.PersonalEmail, &c.Username)
	if err != nil {
		return c, q.fail(ctx, "FindSCIMUserClashes", err, nil)
	}
	return c, nil
}

// clashesSQL is the query of FindSCIMUserClashes, its values bound by b:
// one row of five booleans, named as the fields of store.SCIMUserClashes.
func (q *queries) clashesSQL(b *binder, groupID int64, k store.SCIMUserKeys) string {
	g := b.arg(groupID)
	externUID, userName := b.arg(canon.Key(k.ExternUID)), b.arg(canon.Key(k.UserName))
	email, username := b.arg(canon.Key(k.Email)), b.arg(canon.Key(k.Username))
	return `SELECT
	EXISTS (SELECT 1 FROM scim_identities WHERE group_id = ` + g + ` AND extern_uid_key = ` + externUID + ` AND state <> 'deleted') AS extern_uid,
	EXISTS (SELECT 1 FROM scim_identities WHERE group_id = ` + g + ` AND user_name_key = ` + userName + ` AND state <> 'deleted') AS user_name,
	EXISTS (SELECT 1 FROM user_emails WHERE managing_group_id = ` + g + ` AND email_key = ` + email + `) AS managed_email,
	EXISTS (SELECT 1 FROM user_emails WHERE email_key = ` + email + ` AND managing_group_id IS NULL) AS personal_email,
	EXISTS (SELECT 1 FROM users WHERE username_key = ` + username + `) AS username`
}
