package sqldb

import (
	"context"
	"database/sql"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
)

// userSelect reads users with their emails, one row per email, in the order
// the emails were written. One statement, so the user and its emails come
// from the same snapshot.
const userSelect = `SELECT u.id, u.username, u.name, u.kind, u.managing_group_id, u.state, u.is_admin,
	u.password_hash, u.password_expired, u.created_at, u.updated_at,
	e.address, e.is_primary, e.verified
FROM users u LEFT JOIN user_emails e ON e.user_id = u.id
`

// CreateUser implements store.UserQueries.
func (q *queries) CreateUser(ctx context.Context, u *gatehouse.User) error {
	const op = "CreateUser"
	if err := u.Validate(); err != nil {
		return err
	}
	if err := q.checkEmails(op, u); err != nil {
		return err
	}
	now := q.clock()
	return q.atomic(ctx, op, func(q *queries) error {
		var id int64
		var b binder
		insert := q.userRow(u, now).values(&b, "", nil)
		err := q.w.QueryRowContext(ctx, insert+` RETURNING id`, b.args...).Scan(&id)
		if err != nil {
			return q.fail(ctx, op, err, userOnErr(u))
		}
		if err := q.insertEmails(ctx, op, id, u); err != nil {
			return err
		}
		u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
		return nil
	})
}

// UpdateUser implements store.UserQueries.
func (q *queries) UpdateUser(ctx context.Context, u *gatehouse.User) error {
	const op = "UpdateUser"
	if err := u.Validate(); err != nil {
		return err
	}
	if err := q.checkEmails(op, u); err != nil {
		return err
	}
	now := q.clock()
	return q.atomic(ctx, op, func(q *queries) error {
		res, err := q.w.ExecContext(ctx, `UPDATE users SET username = $2, username_key = $3, name = $4, kind = $5,
	managing_group_id = $6, state = $7, is_admin = $8, password_hash = $9, password_expired = $10, updated_at = $11
WHERE id = $1`,
			u.ID, u.Username, canon.Key(u.Username), u.Name, string(u.Kind), nullID(u.ManagingGroupID),
			string(u.State), u.Admin, u.PasswordHash, u.PasswordExpired, q.t(now))
		if err != nil {
			return q.fail(ctx, op, err, userOnErr(u))
		}
		if err := q.one(ctx, op, res, func() error { return q.notFound(op, "user %d not found", u.ID) }); err != nil {
			return err
		}
		// Replacing the whole set keeps every row's managing_group_id copy
		// in step with the user's, whatever changed.
		if _, err := q.w.ExecContext(ctx, `DELETE FROM user_emails WHERE user_id = $1`, u.ID); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		if err := q.insertEmails(ctx, op, u.ID, u); err != nil {
			return err
		}
		u.UpdatedAt = now
		return nil
	})
}

// checkEmails refuses a user listing one address twice (up to case), which
// is a mistake in the input rather than a conflict with another account.
func (q *queries) checkEmails(op string, u *gatehouse.User) error {
	seen := make(map[string]bool, len(u.Emails))
	for _, e := range u.Emails {
		k := canon.Key(e.Address)
		if seen[k] {
			return q.invalid(op, "email %q is listed more than once", e.Address)
		}
		seen[k] = true
	}
	return nil
}

// insertEmails writes u's emails for the user id, one statement each so a
// conflict names the address.
func (q *queries) insertEmails(ctx context.Context, op string, id int64, u *gatehouse.User) error {
	for _, e := range u.Emails {
		_, err := q.w.ExecContext(ctx, `INSERT INTO user_emails (user_id, address, email_key, is_primary, verified, managing_group_id)
VALUES ($1, $2, $3, $4, $5, $6)`,
			id, e.Address, canon.Key(e.Address), e.Primary, e.Verified, nullID(u.ManagingGroupID))
		if err != nil {
			return q.fail(ctx, op, err, &onErr{values: map[string]any{
				"user_emails_personal_key": e.Address,
				"user_emails_managed_key":  e.Address,
				"user_emails_user_key":     e.Address,
			}})
		}
	}
	return nil
}

func userOnErr(u *gatehouse.User) *onErr {
	return &onErr{
		values: map[string]any{"users_username_key": u.Username},
		refs:   []ref{{fkey: "users_managing_group_id_fkey", table: "groups", noun: "group", id: u.ManagingGroupID}},
	}
}

// FindUserByID implements store.UserQueries.
func (q *queries) FindUserByID(ctx context.Context, id int64) (*gatehouse.User, error) {
	const op = "FindUserByID"
	return q.findUser(ctx, op, userSelect+`WHERE u.id = $1 ORDER BY e.id`, []any{id},
		func() error { return q.notFound(op, "user %d not found", id) })
}

// FindUserByUsername implements store.UserQueries.
func (q *queries) FindUserByUsername(ctx context.Context, username string) (*gatehouse.User, error) {
	const op = "FindUserByUsername"
	return q.findUser(ctx, op, userSelect+`WHERE u.username_key = $1 ORDER BY e.id`, []any{canon.Key(username)},
		func() error { return q.notFound(op, "user %q not found", username) })
}

// FindPersonalUserByEmail implements store.UserQueries.
func (q *queries) FindPersonalUserByEmail(ctx context.Context, email string) (*gatehouse.User, error) {
	const op = "FindPersonalUserByEmail"
	return q.findUser(ctx, op, userSelect+`WHERE u.id = (SELECT user_id FROM user_emails
	WHERE email_key = $1 AND managing_group_id IS NULL)
ORDER BY e.id`, []any{canon.Key(email)},
		func() error { return q.notFound(op, "no personal account has email %q", email) })
}

// FindManagedUserByEmail implements store.UserQueries.
func (q *queries) FindManagedUserByEmail(ctx context.Context, groupID int64, email string) (*gatehouse.User, error) {
	const op = "FindManagedUserByEmail"
	return q.findUser(ctx, op, userSelect+`WHERE u.id = (SELECT user_id FROM user_emails
	WHERE managing_group_id = $1 AND email_key = $2)
ORDER BY e.id`, []any{groupID, canon.Key(email)},
		func() error { return q.notFound(op, "no account managed by group %d has email %q", groupID, email) })
}

// findUser runs a userSelect query expected to match at most one user.
func (q *queries) findUser(ctx context.Context, op, query string, args []any, nf func() error) (*gatehouse.User, error) {
	rows, err := q.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	defer rows.Close()
	var u *gatehouse.User
	for rows.Next() {
		var (
			row      gatehouse.User
			kind     string
			state    string
			address  sql.NullString
			primary  sql.NullBool
			verified sql.NullBool
		)
		err := rows.Scan(&row.ID, &row.Username, &row.Name, &kind, idCol{&row.ManagingGroupID}, &state, &row.Admin,
			&row.PasswordHash, &row.PasswordExpired, timeCol{&row.CreatedAt}, timeCol{&row.UpdatedAt},
			&address, &primary, &verified)
		if err != nil {
			return nil, q.fail(ctx, op, err, nil)
		}
		if u == nil {
			row.Kind, row.State = gatehouse.AccountKind(kind), gatehouse.UserState(state)
			u = &row
		}
		if address.Valid {
			u.Emails = append(u.Emails, gatehouse.Email{Address: address.String, Primary: primary.Bool, Verified: verified.Bool})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, q.fail(ctx, op, err, nil)
	}
	if u == nil {
		return nil, nf()
	}
	return u, nil
}

// UsernameTaken implements store.UserQueries.
func (q *queries) UsernameTaken(ctx context.Context, username string) (bool, error) {
	var taken bool
	err := q.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username_key = $1)`, canon.Key(username)).Scan(&taken)
	if err != nil {
		return false, q.fail(ctx, "UsernameTaken", err, nil)
	}
	return taken, nil
}

// CountAdmins implements store.UserQueries.
func (q *queries) CountAdmins(ctx context.Context) (int, error) {
	var n int
	if err := q.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE is_admin = $1`, true).Scan(&n); err != nil {
		return 0, q.fail(ctx, "CountAdmins", err, nil)
	}
	return n, nil
}
