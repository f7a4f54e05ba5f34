package provision

import (
	"context"
	"net/http"
	"slices"

	"github.com/google/uuid"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The SCIM group use cases (/Groups). A SCIM group is a named set of the
// group's SCIM users; the IdP owns it. The rules:
//
//   - displayName is unique per group, case-insensitively (409 uniqueness);
//     externalId is not (the Microsoft collection reuses one).
//   - A member is a live SCIM user of the same group, named by its SCIM id.
//     A member value that names no such user (an unknown id, a deleted user,
//     another group's user: the three look alike, so that one group cannot
//     probe another's ids) is skipped, in every dialect and in POST, PUT and
//     PATCH alike, and reported in GroupResult.Unknown for the request log.
//     Refusing the request instead would make Okta, which never retries a
//     400, stop pushing the group for good (idp-clients.md, "Membership
//     validation"), and the Microsoft collection expects such a PATCH to
//     succeed.
//   - Adding a member that is in already, or removing one that is not, is
//     not an error: IdPs re-send.
//   - A write is all or nothing, in one transaction with its audit event and
//     with OnGroupMembersChanged; writes to one SCIM group run one after the
//     other (the group row is locked first), so concurrent membership
//     PATCHes leave the member set that applying them in some order gives.

// MembersChangedFunc is called inside the transaction of every write that
// changes a SCIM group's members, with the write's queries, the group (the
// tenant), the SCIM group's id and the accounts whose membership the write
// added and removed (net: an account both added and removed by one request
// is in neither). An error rolls the whole write back. The group-links
// feature plugs its role recomputation in here.
type MembersChangedFunc func(ctx context.Context, q store.Queries, groupID int64, scimGroupID string, added, removed []int64) error

// GroupResult is a SCIM group after a write.
type GroupResult struct {
	Group *gatehouse.SCIMGroup
	// Unknown lists the member values that were skipped because they name
	// no live SCIM user of the group, in the order sent.
	Unknown []string
}

func groupNotFound(id string) error {
	return scim.Errorf(http.StatusNotFound, "", "no group with id %q in this group's SCIM groups", id)
}

// GetGroup returns the SCIM group with the id.
func (s *Service) GetGroup(ctx context.Context, groupID int64, id string) (*gatehouse.SCIMGroup, error) {
	g, err := s.Store.FindSCIMGroup(ctx, groupID, id)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, groupNotFound(id)
	}
	return g, err
}

// ListGroups returns a page of the group's SCIM groups matching f and the
// total number that match.
func (s *Service) ListGroups(ctx context.Context, groupID int64, f store.SCIMGroupFilter, p store.Page) ([]*gatehouse.SCIMGroup, int, error) {
	return s.Store.ListSCIMGroups(ctx, groupID, f, p)
}

// GroupMembers returns a page of the SCIM group's members, in a stable
// order, and their total number.
func (s *Service) GroupMembers(ctx context.Context, g *gatehouse.SCIMGroup, p store.Page) ([]gatehouse.SCIMGroupMember, int, error) {
	ms, total, err := s.Store.ListSCIMGroupMembers(ctx, g.GroupID, g.ID, p)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, 0, groupNotFound(g.SCIMID)
	}
	return ms, total, err
}

// CreateGroup creates the SCIM group a POST describes, with its members.
func (s *Service) CreateGroup(ctx context.Context, c Caller, d *scimgroup.Doc) (*GroupResult, error) {
	g := &gatehouse.SCIMGroup{SCIMID: uuid.NewString(), GroupID: c.Group.ID, DisplayName: d.DisplayName, ExternalID: d.ExternalID}
	var res *GroupResult
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateSCIMGroup(ctx, g); err != nil {
			return asSCIM(err)
		}
		ch := &memberChanges{}
		if err := ch.add(ctx, q, g, d.Members); err != nil {
			return err
		}
		if err := s.membersChanged(ctx, q, g, ch); err != nil {
			return err
		}
		res = &GroupResult{Group: g, Unknown: ch.unknown}
		return s.groupAudit(ctx, q, c, "scim_group_created", g, ch)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// ReplaceGroup applies a PUT: displayName, externalId when the body has one
// (as for users, an absent externalId is kept), and the members when the
// body has a members key (an absent one keeps them; [] removes them all).
func (s *Service) ReplaceGroup(ctx context.Context, c Caller, id string, d *scimgroup.Doc, ifVersion int64) (*GroupResult, error) {
	changes := []scimgroup.Change{{Kind: scimgroup.SetDisplayName, Text: d.DisplayName}}
	if d.HasExternalID {
		changes = append(changes, scimgroup.Change{Kind: scimgroup.SetExternalID, Text: d.ExternalID})
	}
	if d.HasMembers {
		changes = append(changes, scimgroup.Change{Kind: scimgroup.ReplaceMembers, Members: d.Members})
	}
	return s.PatchGroup(ctx, c, id, changes, ifVersion)
}

// PatchGroup applies the changes of a PATCH (scimgroup.Patch) in order, all
// or nothing. ifVersion, when positive, is the If-Match version: a group
// at another version is 412.
func (s *Service) PatchGroup(ctx context.Context, c Caller, id string, changes []scimgroup.Change, ifVersion int64) (*GroupResult, error) {
	var res *GroupResult
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := q.LockSCIMGroup(ctx, c.Group.ID, id)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return groupNotFound(id)
		}
		if err != nil {
			return err
		}
		if ifVersion > 0 && g.Version != ifVersion {
			return scim.Errorf(http.StatusPreconditionFailed, "",
				"the group changed since version %d (now %d); read it again and retry", ifVersion, g.Version)
		}
		before := *g
		ch := &memberChanges{}
		for _, change := range changes {
			switch change.Kind {
			case scimgroup.SetDisplayName:
				g.DisplayName = change.Text
			case scimgroup.SetExternalID:
				g.ExternalID = change.Text
			case scimgroup.AddMembers:
				err = ch.add(ctx, q, g, change.Members)
			case scimgroup.RemoveMembers:
				err = ch.remove(ctx, q, g, change.Members)
			case scimgroup.RemoveAllMembers:
				err = ch.removeAll(ctx, q, g)
			case scimgroup.ReplaceMembers:
				if err = ch.removeAll(ctx, q, g); err == nil {
					err = ch.add(ctx, q, g, change.Members)
				}
			}
			if err != nil {
				return err
			}
		}
		res = &GroupResult{Group: g, Unknown: ch.unknown}
		renamed := g.DisplayName != before.DisplayName || g.ExternalID != before.ExternalID
		if !renamed && !ch.touched {
			return nil // nothing changed: no new version, no event
		}
		if err := q.UpdateSCIMGroup(ctx, g, 0); err != nil {
			return asSCIM(err)
		}
		// After the update, so that the hooks read the new names.
		if err := s.membersChanged(ctx, q, g, ch); err != nil {
			return err
		}
		if renamed && s.OnGroupRenamed != nil {
			if err := ch.addEveryone(ctx, q, g); err != nil {
				return err
			}
			if len(ch.renamedMembers) > 0 {
				if err := s.OnGroupRenamed(ctx, q, g.GroupID, g.SCIMID, ch.renamedMembers, nil); err != nil {
					return err
				}
			}
		}
		detail := map[string]any{}
		if g.DisplayName != before.DisplayName {
			detail["display_name_from"] = before.DisplayName
		}
		return s.groupAudit(ctx, q, c, "scim_group_updated", g, ch, detail)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// DeleteGroup deletes the SCIM group and its memberships.
func (s *Service) DeleteGroup(ctx context.Context, c Caller, id string, ifVersion int64) error {
	return s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := q.LockSCIMGroup(ctx, c.Group.ID, id)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return groupNotFound(id)
		}
		if err != nil {
			return err
		}
		if ifVersion > 0 && g.Version != ifVersion {
			return scim.Errorf(http.StatusPreconditionFailed, "",
				"the group changed since version %d (now %d); read it again and retry", ifVersion, g.Version)
		}
		ch := &memberChanges{}
		if err := ch.removeAll(ctx, q, g); err != nil {
			return err
		}
		if err := s.membersChanged(ctx, q, g, ch); err != nil {
			return err
		}
		if err := q.DeleteSCIMGroup(ctx, g.GroupID, g.SCIMID); err != nil {
			return err
		}
		return s.groupAudit(ctx, q, c, "scim_group_deleted", g, ch)
	})
}

// addEveryone lists every member of the renamed group g for
// OnGroupRenamed: a link may match the group's new name, or no longer
// match its old one, so every member's role is to be recomputed.
func (ch *memberChanges) addEveryone(ctx context.Context, q store.Queries, g *gatehouse.SCIMGroup) error {
	p := store.Page{Limit: 1000}
	for {
		ms, _, err := q.ListSCIMGroupMembers(ctx, g.GroupID, g.ID, p)
		if err != nil {
			return err
		}
		for _, m := range ms {
			ch.renamedMembers = append(ch.renamedMembers, m.UserID)
		}
		if len(ms) < p.Limit {
			return nil
		}
		p.AfterID = ms[len(ms)-1].IdentityID
	}
}

// membersChanged calls OnGroupMembersChanged when the write changed the
// members.
func (s *Service) membersChanged(ctx context.Context, q store.Queries, g *gatehouse.SCIMGroup, ch *memberChanges) error {
	if s.OnGroupMembersChanged == nil {
		return nil
	}
	added, removed := ch.net()
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	return s.OnGroupMembersChanged(ctx, q, g.GroupID, g.SCIMID, added, removed)
}

// maxAuditIDs bounds the ids an audit event lists (events hold 8 KiB).
const maxAuditIDs = 20

// groupAudit writes the event of a SCIM group write.
func (s *Service) groupAudit(ctx context.Context, q store.Queries, c Caller, action string, g *gatehouse.SCIMGroup, ch *memberChanges, more ...map[string]any) error {
	added, removed := ch.net()
	detail := map[string]any{
		"display_name":    g.DisplayName,
		"members_added":   len(added),
		"members_removed": len(removed),
	}
	if len(ch.unknown) > 0 {
		detail["unknown_members"] = len(ch.unknown)
		detail["unknown_member_ids"] = ch.unknown[:min(len(ch.unknown), maxAuditIDs)]
	}
	for _, m := range more {
		for k, v := range m {
			detail[k] = v
		}
	}
	e, err := s.newEvent(c, action, "scim_group", g.SCIMID, detail)
	if err != nil {
		return err
	}
	return q.CreateAuditEvent(ctx, e)
}

// memberChanges gathers what one write did to a SCIM group's members: the
// net change per account, and the values it skipped.
type memberChanges struct {
	delta   map[int64]int // account id → +1 added, -1 removed, 0 back as it was
	unknown []string
	touched bool // a member row was written
	// renamedMembers are the members of a renamed group (addEveryone).
	renamedMembers []int64
}

func (ch *memberChanges) record(userID int64, d int) {
	if ch.delta == nil {
		ch.delta = map[int64]int{}
	}
	ch.delta[userID] += d
	ch.touched = true
}

func (ch *memberChanges) add(ctx context.Context, q store.Queries, g *gatehouse.SCIMGroup, ms []scimgroup.Member) error {
	if len(ms) == 0 {
		return nil
	}
	refs := make([]gatehouse.SCIMGroupMemberRef, len(ms))
	for i, m := range ms {
		refs[i] = gatehouse.SCIMGroupMemberRef{SCIMID: m.Value, Display: m.Display}
	}
	added, unknown, err := q.AddSCIMGroupMembers(ctx, g.GroupID, g.ID, refs)
	if err != nil {
		return asSCIM(err)
	}
	for _, m := range added {
		ch.record(m.UserID, +1)
	}
	for _, id := range unknown {
		if !slices.Contains(ch.unknown, id) {
			ch.unknown = append(ch.unknown, id)
		}
	}
	return nil
}

func (ch *memberChanges) remove(ctx context.Context, q store.Queries, g *gatehouse.SCIMGroup, ms []scimgroup.Member) error {
	if len(ms) == 0 {
		return nil
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Value
	}
	removed, err := q.RemoveSCIMGroupMembers(ctx, g.GroupID, g.ID, ids)
	if err != nil {
		return asSCIM(err)
	}
	for _, m := range removed {
		ch.record(m.UserID, -1)
	}
	return nil
}

func (ch *memberChanges) removeAll(ctx context.Context, q store.Queries, g *gatehouse.SCIMGroup) error {
	removed, err := q.RemoveAllSCIMGroupMembers(ctx, g.GroupID, g.ID)
	if err != nil {
		return asSCIM(err)
	}
	for _, m := range removed {
		ch.record(m.UserID, -1)
	}
	return nil
}

// net returns the accounts added and removed, each sorted.
func (ch *memberChanges) net() (added, removed []int64) {
	for id, d := range ch.delta {
		switch {
		case d > 0:
			added = append(added, id)
		case d < 0:
			removed = append(removed, id)
		}
	}
	slices.Sort(added)
	slices.Sort(removed)
	return added, removed
}
