package sqldb

import (
	"context"
	"crypto/sha256"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const sessionCols = `id, token_hash, user_id, created_at, expires_at, last_seen_at, password_at`

func scanSession(s rowScanner) (*gatehouse.Session, error) {
	var ss gatehouse.Session
	err := s.Scan(&ss.ID, &ss.Hash, &ss.UserID, timeCol{&ss.CreatedAt}, timeCol{&ss.ExpiresAt},
		timeCol{&ss.LastSeenAt}, timeCol{&ss.PasswordAt})
	return &ss, err
}

// CreateSession implements store.SAMLStateQueries.
func (q *queries) CreateSession(ctx context.Context, s *gatehouse.Session) error {
	const op = "CreateSession"
	if err := s.Validate(); err != nil {
		return err
	}
	now := q.clock()
	seen := stored(s.LastSeenAt)
	if seen.IsZero() {
		seen = now
	}
	var id int64
	err := q.w.QueryRowContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, password_at)
VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
		s.Hash, s.UserID, q.t(now), q.t(s.ExpiresAt), q.t(seen), q.t(s.PasswordAt)).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, &onErr{refs: []ref{
			{fkey: "sessions_user_id_fkey", table: "users", noun: "user", id: s.UserID},
		}})
	}
	s.ID, s.CreatedAt, s.LastSeenAt = id, now, seen
	s.ExpiresAt, s.PasswordAt = stored(s.ExpiresAt), stored(s.PasswordAt)
	return nil
}

// FindSessionByHash implements store.SAMLStateQueries.
func (q *queries) FindSessionByHash(ctx context.Context, hash []byte, now time.Time) (*gatehouse.Session, error) {
	const op = "FindSessionByHash"
	if err := q.checkNow(op, now); err != nil {
		return nil, err
	}
	nf := func() error { return q.notFound(op, "session not found or expired") }
	if len(hash) != sha256.Size {
		return nil, nf()
	}
	return findOne(ctx, q, op, scanSession,
		`SELECT `+sessionCols+` FROM sessions WHERE token_hash = $1 AND expires_at > $2`, []any{hash, q.t(now)}, nf)
}

// FindSession implements store.SAMLStateQueries.
func (q *queries) FindSession(ctx context.Context, id int64, now time.Time) (*gatehouse.Session, error) {
	const op = "FindSession"
	if err := q.checkNow(op, now); err != nil {
		return nil, err
	}
	return findOne(ctx, q, op, scanSession,
		`SELECT `+sessionCols+` FROM sessions WHERE id = $1 AND expires_at > $2`, []any{id, q.t(now)},
		func() error { return q.notFound(op, "session %d not found or expired", id) })
}

// TouchSession implements store.SAMLStateQueries.
func (q *queries) TouchSession(ctx context.Context, id int64, at time.Time) error {
	const op = "TouchSession"
	if at.IsZero() {
		return q.invalid(op, "a session's last use needs a time")
	}
	res, err := q.w.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $2 WHERE id = $1`, id, q.t(at))
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "session %d not found", id) })
}

// DeleteSession implements store.SAMLStateQueries. The session's SSO
// records and SAML requests go with it (ON DELETE CASCADE).
func (q *queries) DeleteSession(ctx context.Context, id int64) error {
	const op = "DeleteSession"
	res, err := q.w.ExecContext(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	return q.one(ctx, op, res, func() error { return q.notFound(op, "session %d not found", id) })
}

// DeleteUserSessions implements store.SAMLStateQueries.
func (q *queries) DeleteUserSessions(ctx context.Context, userID int64) (int, error) {
	const op = "DeleteUserSessions"
	res, err := q.w.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return q.affected(ctx, op, res)
}

// MarkSessionSSO implements store.SAMLStateQueries.
func (q *queries) MarkSessionSSO(ctx context.Context, sessionID, groupID int64, at time.Time) error {
	const op = "MarkSessionSSO"
	if err := (&gatehouse.SessionSSO{SessionID: sessionID, GroupID: groupID, At: at}).Validate(); err != nil {
		return err
	}
	_, err := q.w.ExecContext(ctx, `INSERT INTO session_sso (session_id, group_id, at) VALUES ($1, $2, $3)
ON CONFLICT (session_id, group_id) DO UPDATE SET at = excluded.at`, sessionID, groupID, q.t(at))
	if err != nil {
		return q.fail(ctx, op, err, &onErr{refs: []ref{
			{fkey: "session_sso_session_id_fkey", table: "sessions", noun: "session", id: sessionID},
			{fkey: "session_sso_group_id_fkey", table: "groups", noun: "group", id: groupID},
		}})
	}
	return nil
}

// FindSessionSSO implements store.SAMLStateQueries.
func (q *queries) FindSessionSSO(ctx context.Context, sessionID, groupID int64) (*gatehouse.SessionSSO, error) {
	const op = "FindSessionSSO"
	return findOne(ctx, q, op, func(s rowScanner) (*gatehouse.SessionSSO, error) {
		var v gatehouse.SessionSSO
		err := s.Scan(&v.SessionID, &v.GroupID, timeCol{&v.At})
		return &v, err
	}, `SELECT session_id, group_id, at FROM session_sso WHERE session_id = $1 AND group_id = $2`,
		[]any{sessionID, groupID},
		func() error {
			return q.notFound(op, "session %d has not signed in through the SSO of group %d", sessionID, groupID)
		})
}

// DeleteGroupSSOSessions implements store.SAMLStateQueries.
func (q *queries) DeleteGroupSSOSessions(ctx context.Context, groupID, userID int64) (int, error) {
	const op = "DeleteGroupSSOSessions"
	res, err := q.w.ExecContext(ctx, `DELETE FROM sessions
WHERE user_id = $2 AND id IN (SELECT session_id FROM session_sso WHERE group_id = $1)`, groupID, userID)
	if err != nil {
		return 0, q.fail(ctx, op, err, nil)
	}
	return q.affected(ctx, op, res)
}
