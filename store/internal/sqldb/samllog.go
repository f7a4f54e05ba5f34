package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

const samlLogCols = `id, group_id, created_at, outcome, reference_id, name_id, request_id, response, checks,
	client_ip, user_agent`

func scanSAMLLog(s rowScanner) (*gatehouse.SAMLLogEntry, error) {
	var (
		e      gatehouse.SAMLLogEntry
		checks sql.NullString
	)
	err := s.Scan(&e.ID, &e.GroupID, timeCol{&e.At}, &e.Outcome, &e.ReferenceID, &e.NameID, &e.RequestID,
		&e.Response, &checks, &e.ClientIP, &e.UserAgent)
	if checks.Valid {
		e.Checks = json.RawMessage(checks.String)
	}
	return &e, err
}

// AppendSAMLLog implements store.SAMLStateQueries.
func (q *queries) AppendSAMLLog(ctx context.Context, e *gatehouse.SAMLLogEntry, keep int) error {
	const op = "AppendSAMLLog"
	if err := e.Validate(); err != nil {
		return err
	}
	at := stored(e.At)
	if at.IsZero() {
		at = q.clock()
	}
	var checks any // NULL for none
	if len(e.Checks) > 0 {
		checks = string(e.Checks)
	}
	var id, boundary int64
	trimmed := false
	err := q.atomic(ctx, op, func(q *queries) error {
		err := q.w.QueryRowContext(ctx, `INSERT INTO saml_log (group_id, created_at, outcome, reference_id, name_id,
	request_id, response, checks, client_ip, user_agent)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			e.GroupID, q.t(at), e.Outcome, e.ReferenceID, e.NameID, e.RequestID, e.Response, checks,
			e.ClientIP, e.UserAgent).Scan(&id)
		if err != nil {
			return q.fail(ctx, op, err, &onErr{
				values: map[string]any{"saml_log_reference_id_key": e.ReferenceID},
				refs:   []ref{{fkey: "saml_log_group_id_fkey", table: "groups", noun: "group", id: e.GroupID}},
			})
		}
		if keep <= 0 {
			return nil
		}
		if boundary, err = q.trimLog(ctx, samlLog, &q.samlLogFloors, e.GroupID, keep); err != nil {
			return q.fail(ctx, op, err, nil)
		}
		trimmed = true
		return nil
	})
	if err != nil {
		return err
	}
	if trimmed {
		q.samlLogFloors.set(map[int64]int64{e.GroupID: boundary})
	}
	e.ID, e.At = id, at
	return nil
}

// ListSAMLLogs implements store.SAMLStateQueries.
func (q *queries) ListSAMLLogs(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.SAMLLogEntry, int, error) {
	l := listing{cols: samlLogCols, table: "saml_log", key: "id", desc: true,
		where: []string{"group_id = $1"}, args: []any{groupID}}
	return list(ctx, q, "ListSAMLLogs", l, p, scanSAMLLog)
}

// FindSAMLLogByReference implements store.SAMLStateQueries.
func (q *queries) FindSAMLLogByReference(ctx context.Context, groupID int64, ref string) (*gatehouse.SAMLLogEntry, error) {
	const op = "FindSAMLLogByReference"
	nf := func() error {
		return q.notFound(op, "no entry of group %d's SAML log has the reference id %q", groupID, ref)
	}
	if !gatehouse.ValidSAMLLogReference(ref) {
		return nil, nf()
	}
	return findOne(ctx, q, op, scanSAMLLog,
		`SELECT `+samlLogCols+` FROM saml_log WHERE group_id = $1 AND reference_id = $2`, []any{groupID, ref}, nf)
}
