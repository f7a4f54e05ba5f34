package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

const samlFlowCols = `token_hash, group_id, kind, user_id, extern_uid, request_id, browser_hash, relay_state, detail,
	created_at, expires_at, used_at`

func scanSAMLFlow(s rowScanner) (*gatehouse.SAMLFlow, error) {
	var (
		f      gatehouse.SAMLFlow
		kind   string
		detail sql.NullString
	)
	err := s.Scan(&f.Hash, &f.GroupID, &kind, idCol{&f.UserID}, &f.ExternUID, &f.RequestID, &f.BrowserHash,
		&f.RelayState, &detail, timeCol{&f.CreatedAt}, timeCol{&f.ExpiresAt}, timeCol{&f.UsedAt})
	f.Kind = gatehouse.SAMLFlowKind(kind)
	if detail.Valid {
		f.Detail = json.RawMessage(detail.String)
	}
	return &f, err
}

// CreateSAMLFlow implements store.SAMLStateQueries.
func (q *queries) CreateSAMLFlow(ctx context.Context, f *gatehouse.SAMLFlow) error {
	const op = "CreateSAMLFlow"
	if err := f.Validate(); err != nil {
		return err
	}
	// Nothing is bound as NULL, not as an empty value, so that both
	// databases read it back as nil.
	var browser, detail any
	if len(f.BrowserHash) > 0 {
		browser = f.BrowserHash
	}
	if len(f.Detail) > 0 {
		detail = string(f.Detail)
	}
	now := q.clock()
	_, err := q.w.ExecContext(ctx, `INSERT INTO saml_flows (token_hash, group_id, kind, user_id, extern_uid, request_id,
	browser_hash, relay_state, detail, created_at, expires_at, used_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		f.Hash, f.GroupID, string(f.Kind), nullID(f.UserID), f.ExternUID, f.RequestID,
		browser, f.RelayState, detail, q.t(now), q.t(f.ExpiresAt), q.t(f.UsedAt))
	if err != nil {
		h := &onErr{refs: []ref{{fkey: "saml_flows_group_id_fkey", table: "groups", noun: "group", id: f.GroupID}}}
		if f.UserID != 0 {
			h.refs = append(h.refs, ref{fkey: "saml_flows_user_id_fkey", table: "users", noun: "user", id: f.UserID})
		}
		return q.fail(ctx, op, err, h)
	}
	f.CreatedAt, f.ExpiresAt, f.UsedAt = now, stored(f.ExpiresAt), stored(f.UsedAt)
	return nil
}

// ConsumeSAMLFlow implements store.SAMLStateQueries.
func (q *queries) ConsumeSAMLFlow(ctx context.Context, hash []byte, now time.Time) (*gatehouse.SAMLFlow, error) {
	const op = "ConsumeSAMLFlow"
	if err := q.checkNow(op, now); err != nil {
		return nil, err
	}
	nf := func() error { return q.notFound(op, "SAML flow not found, used or expired") }
	if len(hash) != sha256.Size {
		return nil, nf()
	}
	return writeOne(ctx, q, op, scanSAMLFlow, `UPDATE saml_flows SET used_at = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2
RETURNING `+samlFlowCols,
		[]any{hash, q.t(now)}, nf)
}
