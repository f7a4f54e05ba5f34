package scimhttp

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
	"github.com/gatehouse-sso/gatehouse/store"
)

// MaxMembersShown is the most members a Group resource lists: GET
// /Groups/{id}, each group of GET /Groups, POST and PUT answers. A larger
// group's members are read page by page with the query parameters
// membersStartIndex (1-based) and membersCount (at most MaxMembersShown) on
// GET /Groups/{id}; every answer that lists members carries the group's
// member count in the MembersTotalHeader header.
const MaxMembersShown = 10000

// MembersTotalHeader carries a Group resource's total member count.
const MembersTotalHeader = "Gatehouse-Members-Total"

// groups serves /Groups and /Groups/{id}; it returns the operation name
// for metrics.
func (h *Handler) groups(req *request, id string) (string, error) {
	return resource{"group", "groups", h.listGroups, h.createGroup, h.getGroup, h.replaceGroup, h.patchGroup, h.deleteGroup}.serve(req, id)
}

// errGroupFilter says which filters /Groups runs.
var errGroupFilter = scim.Errorf(http.StatusBadRequest, scim.InvalidFilter,
	`filters on Groups support displayName eq "…" and externalId eq "…", joined by and`)

// groupFilter turns a parsed filter into the store's: eq on displayName
// and externalId, joined by and. none is true when the filter can match
// nothing (two different values for one attribute).
func groupFilter(f scimfilter.Filter, out *store.SCIMGroupFilter) (none bool, err error) {
	switch x := f.(type) {
	case nil:
		return false, nil
	case scimfilter.And:
		nl, err := groupFilter(x.L, out)
		if err != nil {
			return false, err
		}
		nr, err := groupFilter(x.R, out)
		return nl || nr, err
	case scimfilter.Compare:
		v, ok := x.Value.(string)
		if x.Op != scimfilter.Eq || !ok {
			return false, errGroupFilter
		}
		var slot **string
		switch x.Attr {
		case scimfilter.DisplayName:
			slot = &out.DisplayName
		case scimfilter.ExternalID:
			slot = &out.ExternalID
		default:
			return false, errGroupFilter
		}
		if *slot != nil {
			return *slot == nil || **slot != v, nil
		}
		*slot = &v
		return false, nil
	}
	return false, errGroupFilter
}

// membersWanted reports whether a resource's members are to be read, given
// the attributes and excludedAttributes parameters.
func membersWanted(attrs, excluded []string) bool {
	has := func(names []string) bool {
		for _, n := range names {
			n = strings.ToLower(strings.TrimPrefix(strings.ToLower(n), strings.ToLower(scim.GroupSchema)+":"))
			if n == "members" || strings.HasPrefix(n, "members.") {
				return true
			}
		}
		return false
	}
	if len(attrs) > 0 {
		return has(attrs)
	}
	return !has(excluded)
}

func (h *Handler) listGroups(req *request) error {
	q := req.r.URL.Query()
	f, err := parseFilter(q.Get("filter"))
	if err != nil {
		return err
	}
	var gf store.SCIMGroupFilter
	none, err := groupFilter(f, &gf)
	if err != nil {
		return err
	}
	start, count, err := scim.ParsePage(q.Get("startIndex"), q.Get("count"))
	if err != nil {
		return err
	}
	if none {
		return writeJSON(req.w, http.StatusOK, scim.ListResponse(nil, 0, start))
	}
	gs, total, err := h.Provision.ListGroups(req.r.Context(), req.caller.Group.ID, gf, store.Page{Offset: start - 1, Limit: count})
	if err != nil {
		return err
	}
	attrs, excluded := projection(q)
	withMembers := membersWanted(attrs, excluded)
	resources := make([]map[string]any, 0, len(gs))
	for _, g := range gs {
		doc, _, err := h.groupResource(req, g, withMembers, store.Page{Limit: MaxMembersShown})
		if err != nil {
			return err
		}
		resources = append(resources, scim.Project(doc, attrs, excluded))
	}
	return writeJSON(req.w, http.StatusOK, scim.ListResponse(resources, total, start))
}

func (h *Handler) getGroup(req *request, id string) error {
	g, err := h.Provision.GetGroup(req.r.Context(), req.caller.Group.ID, id)
	if err != nil {
		return err
	}
	if notModified(req, g.Version) {
		return nil
	}
	q := req.r.URL.Query()
	p, err := membersPage(q.Get("membersStartIndex"), q.Get("membersCount"))
	if err != nil {
		return err
	}
	attrs, excluded := projection(q)
	return h.writeGroup(req, http.StatusOK, g, attrs, excluded, p)
}

// membersPage reads membersStartIndex and membersCount as ParsePage reads
// startIndex and count, with MaxMembersShown as default and cap of count.
func membersPage(startIndex, count string) (store.Page, error) {
	start, _, err := scim.ParsePage(startIndex, "")
	if err != nil {
		return store.Page{}, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "membersStartIndex must be an integer")
	}
	n := MaxMembersShown
	if s := strings.TrimSpace(count); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			return store.Page{}, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "membersCount must be an integer")
		}
		n = min(max(v, 0), MaxMembersShown)
	}
	return store.Page{Offset: start - 1, Limit: n}, nil
}

func (h *Handler) createGroup(req *request) error {
	body, err := req.readBody()
	if err != nil {
		return err
	}
	d, err := scimgroup.Parse(body)
	if err != nil {
		return err
	}
	res, err := h.Provision.CreateGroup(req.r.Context(), req.caller, d)
	if err != nil {
		return err
	}
	req.noteUnknownMembers(res.Unknown)
	req.w.Header().Set("Location", req.base+"/Groups/"+res.Group.SCIMID)
	return h.writeGroup(req, http.StatusCreated, res.Group, nil, nil, store.Page{Limit: MaxMembersShown})
}

func (h *Handler) replaceGroup(req *request, id string) error {
	ifVersion, body, err := req.conditionalBody()
	if err != nil {
		return err
	}
	d, err := scimgroup.Parse(body)
	if err != nil {
		return err
	}
	res, err := h.Provision.ReplaceGroup(req.r.Context(), req.caller, id, d, ifVersion)
	if err != nil {
		return err
	}
	req.noteUnknownMembers(res.Unknown)
	return h.writeGroup(req, http.StatusOK, res.Group, nil, nil, store.Page{Limit: MaxMembersShown})
}

// patchGroup answers 204 with the new ETag: Entra asks for it ("returning
// a body with a list of all the members isn't advisable"), the Microsoft
// collection requires it, and Okta accepts it.
func (h *Handler) patchGroup(req *request, id string) error {
	ifVersion, body, err := req.conditionalBody()
	if err != nil {
		return err
	}
	changes, err := scimgroup.Patch(body, id)
	if err != nil {
		return err
	}
	res, err := h.Provision.PatchGroup(req.r.Context(), req.caller, id, changes, ifVersion)
	if err != nil {
		return err
	}
	req.noteUnknownMembers(res.Unknown)
	req.w.Header().Set("ETag", scim.ETag(res.Group.Version))
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (h *Handler) deleteGroup(req *request, id string) error {
	ifVersion, err := ifMatch(req.r)
	if err != nil {
		return err
	}
	if err := h.Provision.DeleteGroup(req.r.Context(), req.caller, id, ifVersion); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// groupResource renders a SCIM group, with the page p of its members when
// withMembers, and returns the total member count (-1 when not read).
func (h *Handler) groupResource(req *request, g *gatehouse.SCIMGroup, withMembers bool, p store.Page) (map[string]any, int, error) {
	var members []scimgroup.Member
	total := -1
	if withMembers {
		ms, n, err := h.Provision.GroupMembers(req.r.Context(), g, p)
		if err != nil {
			return nil, 0, err
		}
		members, total = make([]scimgroup.Member, len(ms)), n
		for i, m := range ms {
			members[i] = scimgroup.Member{Value: m.SCIMID, Display: m.Display}
		}
	}
	return scimgroup.Resource(req.base, g.SCIMID, g.DisplayName, g.ExternalID, members, scim.Meta{
		Created:      g.CreatedAt,
		LastModified: g.UpdatedAt,
		Location:     req.base + "/Groups/" + g.SCIMID,
		Version:      scim.ETag(g.Version),
	}), total, nil
}

func (h *Handler) writeGroup(req *request, status int, g *gatehouse.SCIMGroup, attrs, excluded []string, p store.Page) error {
	doc, total, err := h.groupResource(req, g, membersWanted(attrs, excluded), p)
	if err != nil {
		return err
	}
	req.w.Header().Set("ETag", scim.ETag(g.Version))
	if total >= 0 {
		req.w.Header().Set(MembersTotalHeader, strconv.Itoa(total))
	}
	return writeJSON(req.w, status, scim.Project(doc, attrs, excluded))
}

// maxNotedMembers bounds the member values a request log note lists.
const maxNotedMembers = 20

// noteUnknownMembers notes, for the request log, the member values a write
// skipped because they name no user of the group.
func (req *request) noteUnknownMembers(ids []string) {
	if len(ids) == 0 {
		return
	}
	shown := ids[:min(len(ids), maxNotedMembers)]
	note := "skipped " + strconv.Itoa(len(ids)) + " member value(s) that name no SCIM user of this group: " + strings.Join(shown, ", ")
	if len(ids) > len(shown) {
		note += ", …"
	}
	req.note = joinNote(req.note, note)
}
