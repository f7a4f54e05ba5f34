package admin

import (
	"context"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
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

// SetExternUID changes the extern_uid of the user in the group: the SAML
// identity's and the live SCIM identity's (its externalId) together, so
// that NameID = externalId keeps holding (behaviour.md decision 7). The SCIM
// id never changes. The new value must be the NameID the IdP sends for the
// person, or they can no longer sign in.
//
// Errors: NotFound (group; user; the user has no SAML identity and no live
// SCIM identity in the group), Invalid (the value), Conflict (another
// identity of the group has the value, in any letter case).
func (s *Service) SetExternUID(ctx context.Context, a Actor, groupRef string, userID int64, newUID string) error {
	if strings.TrimSpace(newUID) != newUID {
		return gatehouse.Errorf(gatehouse.Invalid, "extern_uid must not begin or end with spaces")
	}
	if err := gatehouse.ValidateExternUID(newUID); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		u, err := q.FindUserByID(ctx, userID)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return gatehouse.Errorf(gatehouse.NotFound, "user %d not found", userID)
		}
		if err != nil {
			return err
		}
		ident, err := q.FindIdentityByUser(ctx, g.ID, u.ID)
		if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return err
		}
		si, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
		if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return err
		}
		if ident == nil && si == nil {
			return gatehouse.Errorf(gatehouse.NotFound, "%s has no SAML or SCIM identity in %s, so there is no extern_uid to change", u.Username, g.Path)
		}
		if err := checkExternUIDFree(ctx, q, g, u.ID, newUID); err != nil {
			return err
		}
		detail := map[string]any{"user": u.Username, "extern_uid": newUID}
		changed := false
		if ident != nil && ident.ExternUID != newUID {
			changed = true
			detail["previous_extern_uid"] = ident.ExternUID
			ident.ExternUID = newUID
			if err := q.UpdateIdentity(ctx, ident); err != nil {
				return err
			}
		}
		if si != nil && si.ExternUID != newUID {
			changed = true
			detail["previous_scim_extern_uid"] = si.ExternUID
			si.ExternUID, si.ExternalIDSet = newUID, true
			if err := q.UpdateSCIMIdentity(ctx, si, si.Version); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		return s.audit(ctx, q, a, g.ID, "extern_uid_changed", "user", u.ID, detail)
	})
}

// checkExternUIDFree refuses uid when an identity of another user in the
// group holds it, by the rule of decision 8, with a message that says who.
// The store would refuse the write too, without saying who.
func checkExternUIDFree(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, uid string) error {
	other := int64(0)
	held := ""
	if i, err := q.FindIdentityByExternUID(ctx, g.ID, uid); err == nil && i.UserID != userID {
		other, held = i.UserID, i.ExternUID
	} else if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return err
	}
	if si, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, uid); err == nil && si.UserID != userID && other == 0 {
		other, held = si.UserID, si.ExternUID
	} else if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return err
	}
	if other == 0 {
		return nil
	}
	who := "another user"
	if u, err := q.FindUserByID(ctx, other); err == nil {
		who = u.Username
	}
	how := ""
	if canon.Key(held) == canon.Key(uid) && held != uid {
		how = " (letter case does not count)"
	}
	return gatehouse.Errorf(gatehouse.Conflict,
		"extern_uid %q is already used by %s in %s as %q%s; each person of a group needs their own", uid, who, g.Path, held, how)
}
