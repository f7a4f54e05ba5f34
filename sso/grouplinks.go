package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

// withGroups carries the user's IdP groups, as the assertion names them
// (admin.SAMLGroups), in the flow's detail to the continue step, where the
// membership is written, when the group has links; otherwise the flow is
// left as it is. An assertion without a groups attribute names no group:
// IdPs leave the attribute out when the user is in none of the groups they
// send, so the links from earlier sign-ins stop applying. The exception is
// Entra ID's overage claim, sent instead of the groups of someone in more
// than a token holds: those groups are unknown, and the last ones stay.
// A list too long for the flow keeps only the names some link matches.
// The returned check, for the SAML log, says which it was (nil without
// links).
func (s *Service) withGroups(ctx context.Context, g *gatehouse.Group, a *saml.Assertion, flow *gatehouse.SAMLFlow, ref string) (*saml.Check, error) {
	links, err := s.Store.ListGroupLinks(ctx, g.ID)
	if err != nil || len(links) == 0 {
		return nil, err
	}
	groups, ok := admin.SAMLGroups(a.Attributes)
	if !ok && admin.SAMLGroupsOverage(a.Attributes) {
		return &saml.Check{Name: GroupsCheck, OK: true, Detail: "Entra ID sent its groups overage claim (" + admin.SAMLGroupsOverageAttribute +
			") instead of the groups: the user is in more groups than a SAML token holds (150). Gatehouse does not read Microsoft Graph, " +
			"so the groups of the last sign-in stay. Limit the groups claim to the groups assigned to the application, or push groups over SCIM."}, nil
	}
	keys := map[string]bool{}
	for _, l := range links {
		keys[canon.Key(l.IdPGroup)] = true
	}
	var hit []string
	for _, n := range groups {
		if keys[canon.Key(n)] {
			hit = append(hit, n)
		}
	}
	check := &saml.Check{Name: GroupsCheck, OK: true}
	switch {
	case !ok:
		check.Detail = "no groups attribute (groups, Groups or Entra ID's groups claim): the user is in no IdP group, so no link applies from this sign-in"
	case len(hit) == 0:
		check.Detail = fmt.Sprintf("%d IdP groups, none of them linked", len(groups))
	case len(hit) <= 10:
		check.Detail = fmt.Sprintf("%d IdP groups; linked: %s", len(groups), strings.Join(hit, ", "))
	default:
		check.Detail = fmt.Sprintf("%d IdP groups; linked: %s and %d more", len(groups), strings.Join(hit[:10], ", "), len(hit)-10)
	}
	var d flowDetail
	if len(flow.Detail) > 0 {
		if err := json.Unmarshal(flow.Detail, &d); err != nil {
			return nil, err
		}
	}
	d.SAMLGroups, d.Groups, d.Reference = true, groups, ref
	b, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	if len(b) > gatehouse.SAMLFlowDetailLimit {
		d.Groups = hit
		if b, err = json.Marshal(d); err != nil {
			return nil, err
		}
	}
	flow.Detail = b
	return check, nil
}

// GroupsCheck names the SAML log's check of the groups a sign-in carried.
const GroupsCheck = "groups"

// signInGroups applies, in q's transaction, the groups a flow carried:
// the user's SAML groups are replaced and their role recomputed from the
// group's links.
func (s *Service) signInGroups(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, f *gatehouse.SAMLFlow) error {
	if len(f.Detail) == 0 {
		return nil
	}
	var d flowDetail
	if err := json.Unmarshal(f.Detail, &d); err != nil || !d.SAMLGroups {
		return nil
	}
	_, err := s.admin().Roles().SAMLSignIn(ctx, q, g, userID, d.Groups, "saml sign-in "+d.Reference)
	return err
}

// hasGroups reports whether the flow carries a groups attribute.
func hasGroups(f *gatehouse.SAMLFlow) bool {
	var d flowDetail
	return len(f.Detail) > 0 && json.Unmarshal(f.Detail, &d) == nil && d.SAMLGroups
}
