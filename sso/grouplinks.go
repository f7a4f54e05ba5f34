package sso

import (
	"context"
	"encoding/json"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

// withGroups carries the assertion's groups attribute (admin.SAMLGroups)
// in the flow's detail to the continue step, where the membership is
// written, when the group has links; otherwise the flow is left as it is.
// A list too long for the flow keeps only the names some link matches.
func (s *Service) withGroups(ctx context.Context, g *gatehouse.Group, a *saml.Assertion, flow *gatehouse.SAMLFlow, ref string) error {
	groups, ok := admin.SAMLGroups(a.Attributes)
	if !ok {
		return nil
	}
	links, err := s.Store.ListGroupLinks(ctx, g.ID)
	if err != nil || len(links) == 0 {
		return err
	}
	var d flowDetail
	if len(flow.Detail) > 0 {
		if err := json.Unmarshal(flow.Detail, &d); err != nil {
			return err
		}
	}
	d.SAMLGroups, d.Groups, d.Reference = true, groups, ref
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	if len(b) > gatehouse.SAMLFlowDetailLimit {
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
		d.Groups = hit
		if b, err = json.Marshal(d); err != nil {
			return err
		}
	}
	flow.Detail = b
	return nil
}

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
