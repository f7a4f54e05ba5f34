package admin

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MemberDetail is a membership with what an owner sees of it: the account,
// and the user's SAML identity and live SCIM identity in the group, each
// nil when the user has none.
type MemberDetail struct {
	Member   *gatehouse.Member
	User     *gatehouse.User
	Identity *gatehouse.Identity
	SCIM     *gatehouse.SCIMIdentity
}

// ListMembers returns a page of g's members, pending links included, in
// user id order, with their accounts and identities, and the total number
// of members. The caller has authorized the actor (AuthorizeOwner). The
// store pages the members; each member of the page then costs three point
// reads, so a page is bounded by its size, never by the group's.
func (s *Service) ListMembers(ctx context.Context, g *gatehouse.Group, p store.Page) ([]*MemberDetail, int, error) {
	ms, total, err := s.Store.ListMembers(ctx, g.ID, p)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*MemberDetail, 0, len(ms))
	for _, m := range ms {
		d := &MemberDetail{Member: m}
		if d.User, err = s.Store.FindUserByID(ctx, m.UserID); err != nil {
			return nil, 0, err
		}
		d.Identity, err = s.Store.FindIdentityByUser(ctx, g.ID, m.UserID)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			d.Identity, err = nil, nil
		}
		if err != nil {
			return nil, 0, err
		}
		d.SCIM, err = s.Store.FindSCIMIdentityForUser(ctx, g.ID, m.UserID, false)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			d.SCIM, err = nil, nil
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, d)
	}
	return out, total, nil
}
