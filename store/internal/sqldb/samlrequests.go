package sqldb

import (
	"context"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const samlRequestCols = `request_id, group_id, relay_state, browser_hash, session_id, verify, created_at, expires_at, used_at`

func scanSAMLRequest(s rowScanner) (*gatehouse.SAMLRequest, error) {
	var r gatehouse.SAMLRequest
	err := s.Scan(&r.ID, &r.GroupID, &r.RelayState, &r.BrowserHash, idCol{&r.SessionID}, &r.Verify,
		timeCol{&r.CreatedAt}, timeCol{&r.ExpiresAt}, timeCol{&r.UsedAt})
	return &r, err
}

// CreateSAMLRequest implements store.SAMLStateQueries.
func (q *queries) CreateSAMLRequest(ctx context.Context, r *gatehouse.SAMLRequest) error {
	const op = "CreateSAMLRequest"
	if err := r.Validate(); err != nil {
		return err
	}
	now := q.clock()
	_, err := q.w.ExecContext(ctx, `INSERT INTO saml_requests (group_id, request_id, relay_state, browser_hash, session_id,
	verify, created_at, expires_at, used_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.GroupID, r.ID, r.RelayState, r.BrowserHash, nullID(r.SessionID), r.Verify, q.t(now), q.t(r.ExpiresAt), q.t(r.UsedAt))
	if err != nil {
		h := &onErr{
			values: map[string]any{"saml_requests_request_id_key": r.ID},
			refs:   []ref{{fkey: "saml_requests_group_id_fkey", table: "groups", noun: "group", id: r.GroupID}},
		}
		if r.SessionID != 0 {
			h.refs = append(h.refs, ref{fkey: "saml_requests_session_id_fkey", table: "sessions", noun: "session", id: r.SessionID})
		}
		return q.fail(ctx, op, err, h)
	}
	r.CreatedAt, r.ExpiresAt, r.UsedAt = now, stored(r.ExpiresAt), stored(r.UsedAt)
	return nil
}

// FindSAMLRequest implements store.SAMLStateQueries.
func (q *queries) FindSAMLRequest(ctx context.Context, groupID int64, id string, now time.Time) (*gatehouse.SAMLRequest, error) {
	const op = "FindSAMLRequest"
	if err := q.checkNow(op, now); err != nil {
		return nil, err
	}
	nf := func() error { return q.requestNotFound(op, groupID, id) }
	if gatehouse.ValidateSAMLID("request", id) != nil {
		return nil, nf() // never stored: CreateSAMLRequest validates
	}
	return findOne(ctx, q, op, scanSAMLRequest, `SELECT `+samlRequestCols+` FROM saml_requests
WHERE group_id = $1 AND request_id = $2 AND used_at IS NULL AND expires_at > $3`,
		[]any{groupID, id, q.t(now)}, nf)
}

// ConsumeSAMLRequest implements store.SAMLStateQueries.
func (q *queries) ConsumeSAMLRequest(ctx context.Context, groupID int64, id string, now time.Time) (*gatehouse.SAMLRequest, error) {
	const op = "ConsumeSAMLRequest"
	if err := q.checkNow(op, now); err != nil {
		return nil, err
	}
	nf := func() error { return q.requestNotFound(op, groupID, id) }
	if gatehouse.ValidateSAMLID("request", id) != nil {
		return nil, nf()
	}
	return writeOne(ctx, q, op, scanSAMLRequest, `UPDATE saml_requests SET used_at = $3
WHERE group_id = $1 AND request_id = $2 AND used_at IS NULL AND expires_at > $3
RETURNING `+samlRequestCols,
		[]any{groupID, id, q.t(now)}, nf)
}

func (e *env) requestNotFound(op string, groupID int64, id string) error {
	return e.notFound(op, "SAML request %q of group %d not found, used or expired", id, groupID)
}
