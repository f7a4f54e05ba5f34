package admin

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

// SCIMGroups reports which SCIM groups users belong to in a group, by the
// names a link may match: each SCIM group's displayName and externalId.
// It reads through q, so it sees the writes of the transaction that calls
// it. Roles uses the store's (store.SCIMGroupQueries.SCIMGroupNames) unless
// given another, as tests do.
type SCIMGroups interface {
	// SCIMGroupNames returns the names of the SCIM groups of each user in
	// userIDs, or of every user of the group when userIDs is nil. Users
	// in no SCIM group may be left out.
	SCIMGroupNames(ctx context.Context, q store.Queries, groupID int64, userIDs []int64) (map[int64][]string, error)
}

// Cause says why group links recompute roles; it is recorded in the audit
// event of every role change.
type Cause struct {
	// Kind is one of link_added, link_removed, saml_sign_in, scim_group,
	// direct_role_cleared, links_only_changed.
	Kind string
	// Link is the link added or removed, when there is one.
	Link *gatehouse.GroupLink
	// Reference names the sign-in (its SAML log reference id) or the SCIM
	// request (its request id, or the SCIM group's id).
	Reference string
}

func (c Cause) detail() map[string]any {
	d := map[string]any{"kind": c.Kind}
	if c.Link != nil {
		d["link_id"] = c.Link.ID
		d["idp_group"] = c.Link.IdPGroup
		d["link_role"] = c.Link.Role.String()
	}
	if c.Reference != "" {
		d["reference"] = c.Reference
	}
	return d
}

// RoleChange is one member's role changed (or removal) by group links.
type RoleChange struct {
	UserID   int64
	Previous gatehouse.Role
	Role     gatehouse.Role // 0 when the member was removed (links only)
	Links    []string       // the IdP groups of the links that gave the role
	Removed  bool
}

// Roles recomputes members' roles from a group's links. The zero value
// works: the store's SCIM groups, the real clock.
type Roles struct {
	// SCIMGroups reports users' SCIM groups; nil means the store's.
	SCIMGroups SCIMGroups
	// Now is the clock of audit events; nil means time.Now.
	Now func() time.Time
}

// linkSet is a group's links by canonical key, read once per recompute.
type linkSet map[string]*gatehouse.GroupLink

func (r Roles) links(ctx context.Context, q store.Queries, groupID int64) (linkSet, error) {
	ls, err := q.ListGroupLinks(ctx, groupID)
	if err != nil {
		return nil, err
	}
	set := make(linkSet, len(ls))
	for _, l := range ls {
		set[canon.Key(l.IdPGroup)] = l
	}
	return set, nil
}

// match returns the roles and names of the links names match.
func (ls linkSet) match(names []string) ([]gatehouse.Role, []string) {
	var (
		roles []gatehouse.Role
		hit   []string
		seen  = map[int64]bool{}
	)
	for _, n := range names {
		if l := ls[canon.Key(n)]; l != nil && !seen[l.ID] {
			seen[l.ID] = true
			roles = append(roles, l.Role)
			hit = append(hit, l.IdPGroup)
		}
	}
	sort.Strings(hit)
	return roles, hit
}

// Member recomputes one member's role in g from the group's links and the
// user's IdP groups (the SAML groups last seen at sign-in and the SCIM
// groups), inside the caller's transaction, which should hold
// q.LockGroup(g.ID) for the last-owner guard. A direct role, a pending
// link and a user who is not a member are left alone. It returns the
// change, or nil when nothing changed, after writing its audit event.
func (r Roles) Member(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, a Actor, c Cause) (*RoleChange, error) {
	m, err := q.FindMember(ctx, g.ID, userID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	ls, err := r.links(ctx, q, g.ID)
	if err != nil {
		return nil, err
	}
	names, err := q.ListUserIdPGroups(ctx, g.ID, userID, gatehouse.IdPGroupSAML)
	if err != nil {
		return nil, err
	}
	sg, err := r.scimNames(ctx, q, g.ID, []int64{userID})
	if err != nil {
		return nil, err
	}
	names = append(names, sg[userID]...)
	owners := -1 // counted when needed
	return r.apply(ctx, q, g, m, ls, names, &owners, a, c)
}

// Group recomputes the role of every member of g, as Member does, reading
// the links and the IdP groups once and writing each page's changes in a
// few statements (store.SetMemberRoles): the cost is one pass over the
// members plus the changes.
func (r Roles) Group(ctx context.Context, q store.Queries, g *gatehouse.Group, a Actor, c Cause) ([]RoleChange, error) {
	ls, err := r.links(ctx, q, g.ID)
	if err != nil {
		return nil, err
	}
	saml, err := q.ListGroupIdPGroups(ctx, g.ID, gatehouse.IdPGroupSAML)
	if err != nil {
		return nil, err
	}
	scim, err := r.scimNames(ctx, q, g.ID, nil)
	if err != nil {
		return nil, err
	}
	owners := -1
	var out []RoleChange
	p := store.Page{Limit: 1000}
	for {
		ms, _, err := q.ListMembers(ctx, g.ID, p)
		if err != nil {
			return nil, err
		}
		var (
			roles  []store.MemberRole
			events []*gatehouse.AuditEvent
		)
		for _, m := range ms {
			names := append(saml[m.UserID][:len(saml[m.UserID]):len(saml[m.UserID])], scim[m.UserID]...)
			d, err := r.decide(ctx, q, g, m, ls, names, &owners, a, c)
			if err != nil {
				return nil, err
			}
			switch {
			case d.remove:
				if err := q.DeleteMember(ctx, g.ID, m.UserID); err != nil {
					return nil, err
				}
			case d.set != nil:
				roles = append(roles, *d.set)
			}
			if d.event != nil {
				events = append(events, d.event)
			}
			if d.change != nil {
				out = append(out, *d.change)
			}
		}
		if err := q.SetMemberRoles(ctx, g.ID, roles, events); err != nil {
			return nil, err
		}
		if len(ms) < p.Limit {
			return out, nil
		}
		p.AfterID = ms[len(ms)-1].UserID
	}
}

// decision is what decide found for one member: nothing when all is nil.
type decision struct {
	change *RoleChange
	set    *store.MemberRole     // the new role and source, to write
	remove bool                  // links only: the member leaves
	event  *gatehouse.AuditEvent // the role change's audit event
}

// apply decides m's role and writes it with its audit event.
func (r Roles) apply(ctx context.Context, q store.Queries, g *gatehouse.Group, m *gatehouse.Member, ls linkSet, names []string, owners *int, a Actor, c Cause) (*RoleChange, error) {
	d, err := r.decide(ctx, q, g, m, ls, names, owners, a, c)
	if err != nil {
		return nil, err
	}
	switch {
	case d.remove:
		if err := q.DeleteMember(ctx, g.ID, m.UserID); err != nil {
			return nil, err
		}
	case d.set != nil:
		m.Role, m.RoleSource = d.set.Role, d.set.Source
		if err := q.PutMember(ctx, m); err != nil {
			return nil, err
		}
	}
	if d.event != nil {
		if err := q.CreateAuditEvent(ctx, d.event); err != nil {
			return nil, err
		}
	}
	return d.change, nil
}

// decide works out m's role under the links, and writes nothing. owners
// is the group's count of active owners, -1 until counted; decide keeps it
// up to date with the changes it decides.
func (r Roles) decide(ctx context.Context, q store.Queries, g *gatehouse.Group, m *gatehouse.Member, ls linkSet, names []string, owners *int, a Actor, c Cause) (decision, error) {
	if m.RoleSource == gatehouse.RoleDirect || m.State != gatehouse.MemberActive {
		return decision{}, nil
	}
	roles, hit := ls.match(names)
	role, source := gatehouse.EffectiveRole(g.DefaultRole, nil, roles), gatehouse.RoleFromLink
	remove := false
	if len(roles) == 0 {
		source = gatehouse.RoleFromDefault
		remove = g.LinksOnly
	}
	if role == m.Role && source == m.RoleSource && !remove {
		return decision{}, nil
	}
	if m.Role == gatehouse.Owner && (role != gatehouse.Owner || remove) {
		// The last owner is never demoted, nor removed, by a link.
		if *owners < 0 {
			n, err := q.CountMembersWithRole(ctx, g.ID, gatehouse.Owner)
			if err != nil {
				return decision{}, err
			}
			*owners = n
		}
		if *owners <= 1 {
			return decision{}, nil
		}
		*owners--
	}
	if role == gatehouse.Owner && m.Role != gatehouse.Owner && *owners >= 0 {
		*owners++
	}
	if !remove && role == m.Role {
		// Only the source changed: no role change to record.
		return decision{set: &store.MemberRole{UserID: m.UserID, Role: role, Source: source}}, nil
	}
	ch := &RoleChange{UserID: m.UserID, Previous: m.Role, Role: role, Links: hit, Removed: remove}
	detail := map[string]any{"previous_role": m.Role.String(), "cause": c.detail()}
	if len(hit) > 0 {
		detail["links"] = hit
	}
	d := decision{change: ch}
	action := "member_role_changed"
	if remove {
		ch.Role, d.remove = 0, true
		action = "member_removed_by_links"
	} else {
		d.set = &store.MemberRole{UserID: m.UserID, Role: role, Source: source}
		detail["role"] = role.String()
	}
	e := &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: a.Kind, ActorID: a.ID, Action: action,
		TargetKind: "user", RequestID: a.RequestID}
	if err := setAudit(e, r.now(), m.UserID, detail); err != nil {
		return decision{}, err
	}
	d.event = e
	return d, nil
}

// scimNames is the SCIM group names of userIDs (nil: every user).
func (r Roles) scimNames(ctx context.Context, q store.Queries, groupID int64, userIDs []int64) (map[int64][]string, error) {
	if r.SCIMGroups != nil {
		return r.SCIMGroups.SCIMGroupNames(ctx, q, groupID, userIDs)
	}
	return q.SCIMGroupNames(ctx, groupID, userIDs)
}

func (r Roles) now() time.Time {
	if r.Now != nil {
		return r.Now().UTC()
	}
	return time.Now().UTC()
}

// SCIMMembersChanged recomputes, in the caller's transaction, the roles of
// the users the SCIM group scimGroupID of tenantGroupID gained (added) or
// lost (removed); its signature is the SCIM groups code's OnMembersChanged
// hook. A renamed SCIM group passes all its members as added, a deleted one
// all its members as removed (after its rows are gone), so links by the old
// and new names both apply at once.
func (r Roles) SCIMMembersChanged(ctx context.Context, q store.Queries, tenantGroupID int64, scimGroupID string, added, removed []int64) error {
	if len(added)+len(removed) == 0 {
		return nil
	}
	g, err := q.FindGroupByID(ctx, tenantGroupID)
	if err != nil {
		return err
	}
	if err := q.LockGroup(ctx, g.ID); err != nil {
		return err
	}
	c := Cause{Kind: "scim_group", Reference: scimGroupID}
	a := Actor{Kind: gatehouse.ActorSystem}
	for _, ids := range [][]int64{added, removed} {
		for _, id := range ids {
			if _, err := r.Member(ctx, q, g, id, a, c); err != nil {
				return err
			}
		}
	}
	return nil
}

// SAMLSignIn records the IdP groups a verified assertion named for the
// user (replacing those of the last sign-in) and recomputes the user's
// role, in the caller's transaction, when g has links. ref is the sign-in's
// SAML log reference. Groups without links skip it: nothing is stored.
func (r Roles) SAMLSignIn(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, groups []string, ref string) (*RoleChange, error) {
	ls, err := q.ListGroupLinks(ctx, g.ID)
	if err != nil || len(ls) == 0 {
		return nil, err
	}
	var keep []string
	for _, n := range groups {
		if gatehouse.ValidateIdPGroup(n) == nil {
			keep = append(keep, n)
		}
	}
	if err := q.ReplaceUserIdPGroups(ctx, g.ID, userID, gatehouse.IdPGroupSAML, keep); err != nil {
		return nil, err
	}
	if err := q.LockGroup(ctx, g.ID); err != nil {
		return nil, err
	}
	return r.Member(ctx, q, g, userID, Actor{Kind: gatehouse.ActorSystem}, Cause{Kind: "saml_sign_in", Reference: ref})
}

// SAMLGroupAttributes are the attribute names whose values are a user's
// IdP groups: GitLab's groups and Groups, and the claim Entra ID sends
// (with group object ids as values).
var SAMLGroupAttributes = []string{
	"groups", "Groups", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
}

// SAMLGroups returns the values of the assertion attributes that name the
// user's IdP groups (SAMLGroupAttributes, compared case-insensitively as
// attribute names are), and whether any such attribute was present.
func SAMLGroups(attrs map[string][]string) ([]string, bool) {
	var out []string
	found := false
	for name, vs := range attrs {
		for _, want := range SAMLGroupAttributes {
			if strings.EqualFold(name, want) {
				found = true
				out = append(out, vs...)
				break
			}
		}
	}
	sort.Strings(out) // attrs is a map: a stable order for the flow
	return out, found
}

// SAMLGroupsOverageAttribute is the claim Entra ID sends instead of the
// groups claim when the user is in more groups than a SAML token holds
// (150): a Microsoft Graph URL to read them from.
const SAMLGroupsOverageAttribute = "http://schemas.microsoft.com/claims/groups.link"

// SAMLGroupsOverage reports whether the assertion attributes carry Entra
// ID's groups overage claim.
func SAMLGroupsOverage(attrs map[string][]string) bool {
	for name := range attrs {
		if strings.EqualFold(name, SAMLGroupsOverageAttribute) {
			return true
		}
	}
	return false
}

// Roles is the role recompute of s's store, for other use cases (sign-in)
// to call inside their transactions.
func (s *Service) Roles() Roles { return Roles{SCIMGroups: s.SCIMGroups, Now: s.Now} }

// AddGroupLink links the IdP group name to role in the group and
// recomputes every member's role at once, in the same transaction. Errors:
// NotFound (group), Invalid (name, role), Conflict (already linked).
func (s *Service) AddGroupLink(ctx context.Context, a Actor, groupRef, idpGroup string, role gatehouse.Role) (*gatehouse.GroupLink, []RoleChange, error) {
	var (
		l       *gatehouse.GroupLink
		changes []RoleChange
	)
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		var err error
		l, changes, err = s.addLink(ctx, q, a, groupRef, idpGroup, role)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return l, changes, nil
}

// errPreview rolls back a preview's transaction.
var errPreview = errors.New("preview only")

// PreviewGroupLink returns the role changes AddGroupLink would make, and
// makes none: it adds the link and recomputes in a transaction that it
// then rolls back. Errors as AddGroupLink's.
func (s *Service) PreviewGroupLink(ctx context.Context, groupRef, idpGroup string, role gatehouse.Role) ([]RoleChange, error) {
	var changes []RoleChange
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		var err error
		if _, changes, err = s.addLink(ctx, q, System, groupRef, idpGroup, role); err != nil {
			return err
		}
		return errPreview
	})
	if errors.Is(err, errPreview) {
		return changes, nil
	}
	return nil, err
}

func (s *Service) addLink(ctx context.Context, q store.Queries, a Actor, groupRef, idpGroup string, role gatehouse.Role) (*gatehouse.GroupLink, []RoleChange, error) {
	g, err := FindGroup(ctx, q, groupRef)
	if err != nil {
		return nil, nil, err
	}
	if err := q.LockGroup(ctx, g.ID); err != nil {
		return nil, nil, err
	}
	l := &gatehouse.GroupLink{GroupID: g.ID, IdPGroup: idpGroup, Role: role}
	if err := q.CreateGroupLink(ctx, l); err != nil {
		return nil, nil, err
	}
	if err := s.audit(ctx, q, a, g.ID, "group_link_added", "group_link", l.ID,
		map[string]any{"idp_group": l.IdPGroup, "role": l.Role.String()}); err != nil {
		return nil, nil, err
	}
	changes, err := s.Roles().Group(ctx, q, g, a, Cause{Kind: "link_added", Link: l})
	return l, changes, err
}

// ListGroupLinks returns the group's links in id order. NotFound (group).
func (s *Service) ListGroupLinks(ctx context.Context, groupRef string) ([]*gatehouse.GroupLink, error) {
	g, err := FindGroup(ctx, s.Store, groupRef)
	if err != nil {
		return nil, err
	}
	return s.Store.ListGroupLinks(ctx, g.ID)
}

// RemoveGroupLink removes the group's link with the id and recomputes every
// member's role at once: members it alone gave a role drop to the default
// role, or leave the group when it is links only. NotFound.
func (s *Service) RemoveGroupLink(ctx context.Context, a Actor, groupRef string, id int64) ([]RoleChange, error) {
	var changes []RoleChange
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		l, err := q.FindGroupLink(ctx, g.ID, id)
		if err != nil {
			return err
		}
		if err := q.DeleteGroupLink(ctx, g.ID, id); err != nil {
			return err
		}
		if err := s.audit(ctx, q, a, g.ID, "group_link_removed", "group_link", l.ID,
			map[string]any{"idp_group": l.IdPGroup, "role": l.Role.String()}); err != nil {
			return err
		}
		changes, err = s.Roles().Group(ctx, q, g, a, Cause{Kind: "link_removed", Link: l})
		return err
	})
	return changes, err
}

// SetLinksOnly turns the group's "links only" rule on or off and
// recomputes every member's role: with it on, members with neither a link
// nor a direct role leave the group. NotFound.
func (s *Service) SetLinksOnly(ctx context.Context, a Actor, groupRef string, on bool) ([]RoleChange, error) {
	var changes []RoleChange
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := FindGroup(ctx, q, groupRef)
		if err != nil {
			return err
		}
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		if g.LinksOnly == on {
			return nil
		}
		g.LinksOnly = on
		if err := q.UpdateGroup(ctx, g); err != nil {
			return err
		}
		if err := s.audit(ctx, q, a, g.ID, "group_links_only_set", "group", g.ID, map[string]any{"links_only": on}); err != nil {
			return err
		}
		changes, err = s.Roles().Group(ctx, q, g, a, Cause{Kind: "links_only_changed"})
		return err
	})
	return changes, err
}

// ClearDirectRole hands a member's role back to the group links (`member
// set --role auto`): the role is recomputed at once from the links and
// the default role, with the last-owner guard. NotFound (group, user,
// membership).
func (s *Service) ClearDirectRole(ctx context.Context, a Actor, groupRef, userRef string) (*gatehouse.Member, error) {
	var m *gatehouse.Member
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, u, err := lockMembership(ctx, q, groupRef, userRef)
		if err != nil {
			return err
		}
		old, err := q.FindMember(ctx, g.ID, u.ID)
		if err != nil {
			return err
		}
		if old.RoleSource == gatehouse.RoleDirect {
			old.RoleSource = gatehouse.RoleFromDefault
			if err := q.PutMember(ctx, old); err != nil {
				return err
			}
		}
		if _, err := s.Roles().Member(ctx, q, g, u.ID, a, Cause{Kind: "direct_role_cleared"}); err != nil {
			return err
		}
		m, err = q.FindMember(ctx, g.ID, u.ID)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			m, err = nil, nil // links only removed them
		}
		return err
	})
	return m, err
}

// setAudit fills e's time, target and detail.
func setAudit(e *gatehouse.AuditEvent, at time.Time, userID int64, detail map[string]any) error {
	e.At, e.TargetID = at, strconv.FormatInt(userID, 10)
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	e.Detail = b
	return nil
}
