// Package provision holds the SCIM provisioning use cases: create, read,
// list, replace, patch, deprovision, reprovision and delete a group's users.
// The rules are behaviour.md's Part A over GitLab's Part B, written once here
// above storage:
//
//   - The IdP's externalId is the identity's extern_uid (its userName while it
//     never sent one) and equals the SAML NameID; when it changes, the group's
//     SAML identity for the user moves with it. The SCIM id never changes.
//   - A POST never signs anyone into an account the group did not create: an
//     existing personal account matched by email gets a SCIM identity and a
//     membership in state pending link, which grant nothing until its owner
//     proves the account is theirs. Accounts this group created (managed
//     accounts) are linked at once and re-used when the IdP re-adds them.
//   - Deprovisioning (active:false or DELETE) removes the membership and
//     remembers its role, keeps the account and the SAML identity; provisioning
//     the user again restores the role. The last owner cannot be deprovisioned.
//   - Profile attributes are stored on the SCIM identity; they change the
//     account only when this group manages it.
//
// The same rules serve a group's owners through the admin API
// (identities.go): an owner re-keys a user's SCIM and SAML identities
// together, and removes a SCIM identity as the IdP's DELETE would.
//
// Every change writes an audit event in the same transaction.
package provision

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Service runs the provisioning use cases. It is safe for concurrent use.
type Service struct {
	Store store.Store
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnGroupMembersChanged, when set, runs inside every SCIM group write
	// that changes members (see MembersChangedFunc).
	OnGroupMembersChanged MembersChangedFunc
	// OnGroupRenamed, when set, runs inside every SCIM group write that
	// changes the group's displayName or externalId, with every member of
	// the group (after the write) as added: group links match those names.
	OnGroupRenamed MembersChangedFunc
}

// Caller says who acts on the group's users: its SCIM client, by the token
// it used, or one of its owners through the admin API.
type Caller struct {
	Group   *gatehouse.Group
	TokenID int64
	// UserID, when set, is the owner (or instance administrator) acting
	// through the admin API; audit events then name that user, not a token.
	UserID    int64
	RequestID string
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// audit writes one event of the caller's group through q.
func (s *Service) audit(ctx context.Context, q store.Queries, c Caller, action string, si *gatehouse.SCIMIdentity, detail map[string]any) error {
	e, err := s.event(c, action, si, detail)
	if err != nil {
		return err
	}
	return q.CreateAuditEvent(ctx, e)
}

// event is the audit event of an action of the caller on the identity.
func (s *Service) event(c Caller, action string, si *gatehouse.SCIMIdentity, detail map[string]any) (*gatehouse.AuditEvent, error) {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["user_id"] = si.UserID
	detail["extern_uid"] = si.ExternUID
	return s.newEvent(c, action, "scim_identity", si.SCIMID, detail)
}

// newEvent is the audit event of an action of the caller on a target.
func (s *Service) newEvent(c Caller, action, targetKind, targetID string, detail map[string]any) (*gatehouse.AuditEvent, error) {
	b, err := json.Marshal(detail)
	if err != nil {
		return nil, err
	}
	kind, id := gatehouse.ActorSCIMToken, c.TokenID
	if c.UserID != 0 {
		kind, id = gatehouse.ActorUser, c.UserID
	}
	return &gatehouse.AuditEvent{
		At:         s.now(),
		GroupID:    c.Group.ID,
		ActorKind:  kind,
		ActorID:    id,
		Action:     action,
		TargetKind: targetKind,
		TargetID:   targetID,
		RequestID:  c.RequestID,
		Detail:     b,
	}, nil
}
