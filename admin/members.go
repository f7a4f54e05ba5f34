package admin

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MemberView is what a group knows about one person: the account, the
// membership, the SAML identity and the SCIM identity. Any of the last
// three may be nil: a deprovisioned person has identities but no
// membership, a member added by hand has neither identity.
type MemberView struct {
	User     *gatehouse.User
	Member   *gatehouse.Member       // nil: not a member
	Identity *gatehouse.Identity     // nil: no SAML identity in the group
	SCIM     *gatehouse.SCIMIdentity // nil: none; else the live one, or the most recently deleted
}

// SAMLState says in a word how the person's SAML identity stands:
// linked, pending_link or none.
func (v *MemberView) SAMLState() string {
	switch {
	case v.Identity == nil:
		return "none"
	case v.Identity.State == gatehouse.IdentityPendingLink:
		return "pending_link"
	}
	return "linked"
}

// SCIMState is the SCIM identity's state (active, inactive, deleted,
// pending_link), or none.
func (v *MemberView) SCIMState() string {
	if v.SCIM == nil {
		return "none"
	}
	return string(v.SCIM.State)
}

// ListMemberViews returns a page of the group's members in user id order,
// each with its identities, and the total number of members.
func (s *Service) ListMemberViews(ctx context.Context, g *gatehouse.Group, p store.Page) ([]*MemberView, int, error) {
	members, total, err := s.Store.ListMembers(ctx, g.ID, p)
	if err != nil {
		return nil, 0, err
	}
	views := make([]*MemberView, 0, len(members))
	for _, m := range members {
		v, err := s.memberView(ctx, s.Store, g, m.UserID)
		if err != nil {
			return nil, 0, err
		}
		views = append(views, v)
	}
	return views, total, nil
}

// ListDeprovisioned returns a page of the people the group's IdP
// deprovisioned with active:false (their SCIM identity is inactive), each
// with what else the group knows of them, and how many there are. People
// deleted over SCIM are left out: their identity pages still answer.
func (s *Service) ListDeprovisioned(ctx context.Context, g *gatehouse.Group, p store.Page) ([]*MemberView, int, error) {
	inactive := scimfilter.Compare{Attr: scimfilter.Active, Op: scimfilter.Eq, Value: false}
	list, total, err := s.Store.ListSCIMIdentities(ctx, g.ID, inactive, p)
	if err != nil {
		return nil, 0, err
	}
	views := make([]*MemberView, 0, len(list))
	for _, si := range list {
		v, err := s.memberView(ctx, s.Store, g, si.UserID)
		if err != nil {
			return nil, 0, err
		}
		views = append(views, v)
	}
	return views, total, nil
}

// FindMemberView returns what the group knows about the user. NotFound
// when the user does not exist, or has neither a membership nor an
// identity in the group (a stranger to it).
func (s *Service) FindMemberView(ctx context.Context, g *gatehouse.Group, userID int64) (*MemberView, error) {
	v, err := s.memberView(ctx, s.Store, g, userID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "user %d is not known to group %s", userID, g.Path)
	}
	if err != nil {
		return nil, err
	}
	if v.Member == nil && v.Identity == nil && v.SCIM == nil {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "user %d is not known to group %s", userID, g.Path)
	}
	return v, nil
}

func (s *Service) memberView(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64) (*MemberView, error) {
	u, err := q.FindUserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	v := &MemberView{User: u}
	if v.Member, err = q.FindMember(ctx, g.ID, userID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, err
	}
	if v.Identity, err = q.FindIdentityByUser(ctx, g.ID, userID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, err
	}
	if v.SCIM, err = q.FindSCIMIdentityForUser(ctx, g.ID, userID, true); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, err
	}
	return v, nil
}
