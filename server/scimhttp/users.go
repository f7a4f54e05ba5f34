package scimhttp

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/store"
)

// users serves /Users and /Users/{id}; it returns the operation name for
// metrics.
func (h *Handler) users(req *request, id string) (string, error) {
	return resource{"user", "users", h.listUsers, h.createUser, h.getUser, h.replaceUser, h.patchUser, h.deleteUser}.serve(req, id)
}

// resource is the handlers of one SCIM resource type: its collection
// (list, create) and its members (get, replace, patch, delete).
type resource struct {
	one, many                string // "user", "users": the operation names
	list, create             func(*request) error
	get, replace, patch, del func(*request, string) error
}

// serve picks the handler for the request's method and id, and returns
// the operation name for metrics ("list_users", "patch_group", …).
func (rs resource) serve(req *request, id string) (string, error) {
	m := req.r.Method
	switch {
	case id == "" && m == http.MethodGet:
		return "list_" + rs.many, rs.list(req)
	case id == "" && m == http.MethodPost:
		return "create_" + rs.one, rs.create(req)
	case id == "":
		return rs.many, methodNotAllowed(req.w, "GET, POST")
	case m == http.MethodGet:
		return "get_" + rs.one, rs.get(req, id)
	case m == http.MethodPut:
		return "replace_" + rs.one, rs.replace(req, id)
	case m == http.MethodPatch:
		return "patch_" + rs.one, rs.patch(req, id)
	case m == http.MethodDelete:
		return "delete_" + rs.one, rs.del(req, id)
	}
	return rs.one, methodNotAllowed(req.w, "GET, PUT, PATCH, DELETE")
}

// parseFilter parses a filter query value; empty means none.
func parseFilter(s string) (scimfilter.Filter, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	return scimfilter.Parse(s)
}

func (h *Handler) listUsers(req *request) error {
	q := req.r.URL.Query()
	f, err := parseFilter(q.Get("filter"))
	if err != nil {
		return err
	}
	start, count, err := scim.ParsePage(q.Get("startIndex"), q.Get("count"))
	if err != nil {
		return err
	}
	ids, total, err := h.Provision.List(req.r.Context(), req.caller.Group.ID, f, store.Page{Offset: start - 1, Limit: count})
	if err != nil {
		return err
	}
	attrs, excluded := projection(q)
	resources := make([]map[string]any, 0, len(ids))
	for _, si := range ids {
		doc, err := h.resource(req, si)
		if err != nil {
			return err
		}
		resources = append(resources, scim.Project(doc, attrs, excluded))
	}
	return writeJSON(req.w, http.StatusOK, scim.ListResponse(resources, total, start))
}

func (h *Handler) getUser(req *request, id string) error {
	si, err := h.Provision.Get(req.r.Context(), req.caller.Group.ID, id)
	if err != nil {
		return err
	}
	if notModified(req, si.Version) {
		return nil
	}
	q := req.r.URL.Query()
	attrs, excluded := projection(q)
	return h.writeUser(req, http.StatusOK, si, attrs, excluded)
}

func (h *Handler) createUser(req *request) error {
	body, err := req.readBody()
	if err != nil {
		return err
	}
	u, err := scim.ParseUser(body)
	if err != nil {
		return err
	}
	req.noteIgnored(u.Ignored)
	si, err := h.Provision.Create(req.r.Context(), req.caller, u)
	if err != nil {
		return err
	}
	req.w.Header().Set("Location", req.base+"/Users/"+si.SCIMID)
	return h.writeUser(req, http.StatusCreated, si, nil, nil)
}

func (h *Handler) replaceUser(req *request, id string) error {
	return h.rewriteUser(req, func(body []byte, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
		u, err := scim.ParseUser(body)
		if err != nil {
			return nil, err
		}
		req.noteIgnored(u.Ignored)
		return h.Provision.Replace(req.r.Context(), req.caller, id, u, ifVersion)
	})
}

func (h *Handler) patchUser(req *request, id string) error {
	return h.rewriteUser(req, func(body []byte, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
		ops, err := scimpatch.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		return h.Provision.Patch(req.r.Context(), req.caller, id, ops, ifVersion)
	})
}

// rewriteUser serves PUT and PATCH: it reads If-Match and the body, lets
// write change the user, and answers 200 with the user.
func (h *Handler) rewriteUser(req *request, write func(body []byte, ifVersion int64) (*gatehouse.SCIMIdentity, error)) error {
	ifVersion, body, err := req.conditionalBody()
	if err != nil {
		return err
	}
	si, err := write(body, ifVersion)
	if err != nil {
		return err
	}
	return h.writeUser(req, http.StatusOK, si, nil, nil)
}

func (h *Handler) deleteUser(req *request, id string) error {
	ifVersion, err := ifMatch(req.r)
	if err != nil {
		return err
	}
	if err := h.Provision.Delete(req.r.Context(), req.caller, id, ifVersion); err != nil {
		return err
	}
	req.w.WriteHeader(http.StatusNoContent)
	return nil
}

// resource renders an identity as its SCIM User resource.
func (h *Handler) resource(req *request, si *gatehouse.SCIMIdentity) (map[string]any, error) {
	doc, err := provision.Document(si)
	if err != nil {
		return nil, err
	}
	ext := ""
	if si.ExternalIDSet {
		ext = si.ExternUID
	}
	return scim.UserResource(doc, si.SCIMID, ext, si.Active(), scim.Meta{
		Created:      si.CreatedAt,
		LastModified: si.UpdatedAt,
		Location:     req.base + "/Users/" + si.SCIMID,
		Version:      scim.ETag(si.Version),
	}), nil
}

func (h *Handler) writeUser(req *request, status int, si *gatehouse.SCIMIdentity, attrs, excluded []string) error {
	doc, err := h.resource(req, si)
	if err != nil {
		return err
	}
	req.w.Header().Set("ETag", scim.ETag(si.Version))
	return writeJSON(req.w, status, scim.Project(doc, attrs, excluded))
}

// parseETag reads W/"n" or "n"; ok is false for anything else.
func parseETag(s string) (int64, bool) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseInt(s[1:len(s)-1], 10, 64)
	return v, err == nil && v > 0
}

// notModified answers 304 with the ETag, and reports true, when the
// request's If-None-Match names version (or is "*"): the client's copy is
// current.
func notModified(req *request, version int64) bool {
	inm := req.r.Header.Get("If-None-Match")
	if inm == "" || !etagMatches(inm, version) {
		return false
	}
	req.w.Header().Set("ETag", scim.ETag(version))
	req.w.WriteHeader(http.StatusNotModified)
	return true
}

// etagMatches reports whether an If-None-Match list names the version.
func etagMatches(header string, version int64) bool {
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" {
			return true
		}
		if v, ok := parseETag(t); ok && v == version {
			return true
		}
	}
	return false
}

// conditionalBody reads what a PUT or PATCH carries: the If-Match
// version (0 without one) and the body.
func (req *request) conditionalBody() (int64, []byte, error) {
	ifVersion, err := ifMatch(req.r)
	if err != nil {
		return 0, nil, err
	}
	body, err := req.readBody()
	return ifVersion, body, err
}

// projection is a request's attributes and excludedAttributes parameters
// (RFC 7644 §3.9).
func projection(q url.Values) (attrs, excluded []string) {
	return scim.ParseAttributeList(q.Get("attributes")), scim.ParseAttributeList(q.Get("excludedAttributes"))
}

// ifMatch reads If-Match: 0 when absent or "*", the version otherwise; an
// entity tag that is not ours can never match (RFC 7232 §3.1), so it is 412.
func ifMatch(r *http.Request) (int64, error) {
	h := strings.TrimSpace(r.Header.Get("If-Match"))
	if h == "" || h == "*" {
		return 0, nil
	}
	if v, ok := parseETag(h); ok {
		return v, nil
	}
	return 0, scim.Errorf(http.StatusPreconditionFailed, "", "If-Match %q is not a version of this resource; read the resource for its ETag", h)
}
