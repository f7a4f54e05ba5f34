package admin

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// AuthorizeOwner finds the group groupRef for u and checks that u may
// administer it: an owner of the group, or an instance administrator.
// Every owner page and admin API route asks this one question.
//
// A user who is not a member gets NotFound, the same answer as for a group
// that does not exist, so that group paths cannot be probed; a member below
// owner gets Forbidden; nil u gets Unauthenticated.
func AuthorizeOwner(ctx context.Context, q store.Queries, u *gatehouse.User, groupRef string) (*gatehouse.Group, error) {
	if u == nil {
		return nil, gatehouse.Errorf(gatehouse.Unauthenticated, "sign in, or send a personal access token, to administer a group")
	}
	if u.State != gatehouse.UserActive {
		return nil, gatehouse.Errorf(gatehouse.Unauthenticated, "the account is blocked")
	}
	g, err := FindGroup(ctx, q, groupRef)
	if err != nil {
		return nil, err
	}
	if u.Admin {
		return g, nil
	}
	m, err := q.FindMember(ctx, g.ID, u.ID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, gatehouse.Errorf(gatehouse.NotFound, "group %q not found", groupRef)
	}
	if err != nil {
		return nil, err
	}
	if m.Role != gatehouse.Owner {
		return nil, gatehouse.Errorf(gatehouse.Forbidden, "only an owner of the group %s can do this; you are a %s", g.Path, m.Role)
	}
	return g, nil
}
