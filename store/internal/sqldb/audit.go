package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

const auditCols = `id, created_at, group_id, actor_kind, actor_id, action, target_kind, target_id, request_id, detail`

func scanAuditEvent(s rowScanner) (*gatehouse.AuditEvent, error) {
	var (
		e      gatehouse.AuditEvent
		actor  string
		detail sql.NullString
	)
	err := s.Scan(&e.ID, timeCol{&e.At}, idCol{&e.GroupID}, &actor, &e.ActorID, &e.Action,
		&e.TargetKind, &e.TargetID, &e.RequestID, &detail)
	if err != nil {
		return nil, err
	}
	e.ActorKind = gatehouse.ActorKind(actor)
	if detail.Valid {
		e.Detail = json.RawMessage(detail.String)
	}
	return &e, nil
}

// CreateAuditEvent implements store.AuditQueries.
func (q *queries) CreateAuditEvent(ctx context.Context, e *gatehouse.AuditEvent) error {
	const op = "CreateAuditEvent"
	if err := e.Validate(); err != nil {
		return err
	}
	at := stored(e.At)
	if at.IsZero() {
		at = q.clock()
	}
	var id int64
	var b binder
	insert := q.auditRow(e, at).values(&b, "", nil)
	err := q.w.QueryRowContext(ctx, insert+` RETURNING id`, b.args...).Scan(&id)
	if err != nil {
		return q.fail(ctx, op, err, nil)
	}
	e.ID, e.At = id, at
	return nil
}

// ListAuditEvents implements store.AuditQueries.
func (q *queries) ListAuditEvents(ctx context.Context, groupID int64, p store.Page) ([]*gatehouse.AuditEvent, int, error) {
	l := listing{cols: auditCols, table: "audit_events", key: "id", desc: true}
	if groupID == 0 {
		l.where = []string{"group_id IS NULL"}
	} else {
		l.where, l.args = []string{"group_id = $1"}, []any{groupID}
	}
	return list(ctx, q, "ListAuditEvents", l, p, scanAuditEvent)
}
