package admin

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// NewGroup is what CreateGroup needs.
type NewGroup struct {
	Path  string
	Name  string // defaults to the path
	Owner string // username or user id of the first owner
}

// CreateGroup creates a top-level group owned by in.Owner. Errors: Invalid
// (path grammar), NotFound (owner), Conflict (path taken in any letter case).
func (s *Service) CreateGroup(ctx context.Context, a Actor, in NewGroup) (*gatehouse.Group, error) {
	g := &gatehouse.Group{Path: in.Path, Name: in.Name, DefaultRole: gatehouse.Guest}
	if g.Name == "" {
		g.Name = in.Path
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	if in.Owner == "" {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "a group needs an owner (--owner USERNAME)")
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		owner, err := FindUser(ctx, q, in.Owner)
		if err != nil {
			return err
		}
		if err := q.CreateGroup(ctx, g); err != nil {
			return err
		}
		m := &gatehouse.Member{GroupID: g.ID, UserID: owner.ID, Role: gatehouse.Owner, State: gatehouse.MemberActive,
			RoleSource: gatehouse.RoleDirect}
		if err := q.PutMember(ctx, m); err != nil {
			return err
		}
		return s.audit(ctx, q, a, g.ID, "group_created", "group", g.ID,
			map[string]any{"path": g.Path, "owner": owner.Username})
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// SetMember adds a user to a group with a role, or changes the role of an
// existing member. The role is direct: group links leave it alone until
// ClearDirectRole. A group never drops to zero owners. Errors: NotFound (group
// or user), Invalid (role; demoting the last owner).
func (s *Service) SetMember(ctx context.Context, a Actor, groupRef, userRef string, role gatehouse.Role) (*gatehouse.Member, error) {
	if !role.Valid() {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "role %d is not one of guest, reporter, developer, maintainer, owner", role)
	}
	var m *gatehouse.Member
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, u, err := lockMembership(ctx, q, groupRef, userRef)
		if err != nil {
			return err
		}
		old, err := q.FindMember(ctx, g.ID, u.ID)
		switch {
		case gatehouse.IsKind(err, gatehouse.NotFound):
			if err := checkEnforcedSSO(ctx, q, g, u); err != nil {
				return err
			}
			m = &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: role, State: gatehouse.MemberActive,
				RoleSource: gatehouse.RoleDirect}
		case err != nil:
			return err
		default:
			if old.Role == gatehouse.Owner && role != gatehouse.Owner && old.State == gatehouse.MemberActive {
				n, err := q.CountMembersWithRole(ctx, g.ID, gatehouse.Owner)
				if err != nil {
					return err
				}
				if n <= 1 {
					return gatehouse.Errorf(gatehouse.Invalid,
						"%s is the last owner of %s; make another member owner first", u.Username, g.Path)
				}
			}
			m = old
			m.Role, m.RoleSource = role, gatehouse.RoleDirect
		}
		if err := q.PutMember(ctx, m); err != nil {
			return err
		}
		detail := map[string]any{"user": u.Username, "role": role.String()}
		if old != nil {
			detail["previous_role"] = old.Role.String()
		}
		return s.audit(ctx, q, a, g.ID, "member_set", "user", u.ID, detail)
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// checkEnforcedSSO refuses to add u to g while g enforces SSO and u has no
// working SAML identity in g, or an inactive SCIM identity there (GitLab's
// membership rule of "Enforce SSO", behaviour.md Part B §2.7): with SSO
// enforced, only people the group's identity provider knows become
// members.
func checkEnforcedSSO(ctx context.Context, q store.Queries, g *gatehouse.Group, u *gatehouse.User) error {
	cfg, err := q.FindSAMLConfig(ctx, g.ID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if !cfg.EnforceSSO {
		return nil
	}
	why := ""
	ident, err := q.FindIdentityByUser(ctx, g.ID, u.ID)
	switch {
	case gatehouse.IsKind(err, gatehouse.NotFound):
		why = "is not linked to the group's SAML identity provider"
	case err != nil:
		return err
	case ident.State != gatehouse.IdentityActive:
		why = "has a SAML identity in the group that is not linked yet (" + string(ident.State) + ")"
	}
	if why == "" {
		si, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
		switch {
		case gatehouse.IsKind(err, gatehouse.NotFound):
		case err != nil:
			return err
		case si.State == gatehouse.IdentityInactive:
			why = "has an inactive SCIM identity in the group (the identity provider deprovisioned them)"
		}
	}
	if why == "" {
		return nil
	}
	return gatehouse.Errorf(gatehouse.Invalid,
		"%s %s, and %s enforces SSO: assign them to the application in the identity provider (SCIM then adds them), or have them sign in through the group's SSO first; or turn off Enforce SSO",
		u.Username, why, g.Path)
}

// lockMembership finds the group and the user of a membership change and
// takes the group's lock: two owners demoting each other at once must not
// both succeed, and the last-owner count must hold until the commit.
func lockMembership(ctx context.Context, q store.Queries, groupRef, userRef string) (*gatehouse.Group, *gatehouse.User, error) {
	g, err := FindGroup(ctx, q, groupRef)
	if err != nil {
		return nil, nil, err
	}
	u, err := FindUser(ctx, q, userRef)
	if err != nil {
		return nil, nil, err
	}
	if err := q.LockGroup(ctx, g.ID); err != nil {
		return nil, nil, err
	}
	return g, u, nil
}
