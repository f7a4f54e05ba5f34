package gatehouse

import (
	"encoding/json"
	"time"
)

// ActorKind says who caused an audited change.
type ActorKind string

// The actor kinds.
const (
	ActorUser      ActorKind = "user"
	ActorSCIMToken ActorKind = "scim_token"
	ActorSystem    ActorKind = "system" // the command line, start-up, background jobs
)

// AuditEvent records one change. It is written in the same transaction as the
// change, so a change never lands without its event.
type AuditEvent struct {
	ID         int64
	At         time.Time
	GroupID    int64 // 0 for instance-wide events
	ActorKind  ActorKind
	ActorID    int64 // the user or token id; 0 for the system
	Action     string
	TargetKind string
	TargetID   string
	RequestID  string
	Detail     json.RawMessage // a small JSON object; nil for none
}

// Validate reports the first rule the event breaks.
func (e *AuditEvent) Validate() error {
	switch e.ActorKind {
	case ActorUser, ActorSCIMToken, ActorSystem:
	default:
		return Errorf(Invalid, "audit actor kind %q is not user, scim_token or system", e.ActorKind)
	}
	if e.Action == "" {
		return Errorf(Invalid, "audit event needs an action")
	}
	if len(e.Detail) > 0 && !json.Valid(e.Detail) {
		return Errorf(Invalid, "audit detail is not valid JSON")
	}
	if len(e.Detail) > 8<<10 {
		return Errorf(Invalid, "audit detail is larger than 8 KiB")
	}
	return nil
}
