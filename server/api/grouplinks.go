package api

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/canon"
)

// samlGroupLink is GitLab's SAML group link object.
type samlGroupLink struct {
	Name        string `json:"name"`
	AccessLevel int    `json:"access_level"`
	// MemberRoleID and Provider are GitLab's; Gatehouse has neither
	// custom roles nor several SAML providers per group.
	MemberRoleID *int64  `json:"member_role_id"`
	Provider     *string `json:"provider"`
}

func linkOut(l *gatehouse.GroupLink) samlGroupLink {
	return samlGroupLink{Name: l.IdPGroup, AccessLevel: int(l.Role)}
}

// listLinks is GET /groups/{id}/saml_group_links: every link, in the order
// they were made (GitLab does not page this list).
func (h *Handler) listLinks(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	ls, err := h.Store.ListGroupLinks(r.Context(), c.Group.ID)
	if err != nil {
		return err
	}
	out := make([]samlGroupLink, 0, len(ls))
	for _, l := range ls {
		out = append(out, linkOut(l))
	}
	return writeJSON(w, http.StatusOK, out)
}

// findLink returns the group's link to the IdP group named in the URL,
// compared by canonical key.
func (h *Handler) findLink(r *http.Request, groupID int64) (*gatehouse.GroupLink, error) {
	ls, err := h.Store.ListGroupLinks(r.Context(), groupID)
	if err != nil {
		return nil, err
	}
	key := canon.Key(r.PathValue("name"))
	for _, l := range ls {
		if canon.Key(l.IdPGroup) == key {
			return l, nil
		}
	}
	return nil, &notFoundError{what: "SAML Group Link", err: gatehouse.Errorf(gatehouse.NotFound, "no SAML group link named %q", r.PathValue("name"))}
}

// getLink is GET /groups/{id}/saml_group_links/{name}.
func (h *Handler) getLink(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	l, err := h.findLink(r, c.Group.ID)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, linkOut(l))
}

// addLink is POST /groups/{id}/saml_group_links with saml_group_name and
// access_level (JSON, a form, or the query string, as GitLab takes them).
// Members' roles follow at once.
func (h *Handler) addLink(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	p, err := params(w, r)
	if err != nil {
		return err
	}
	name, level := p.Get("saml_group_name"), p.Get("access_level")
	if name == "" {
		return missing("saml_group_name")
	}
	if level == "" {
		return missing("access_level")
	}
	n, err := strconv.Atoi(level)
	if err != nil || !gatehouse.Role(n).Valid() {
		return gatehouse.Errorf(gatehouse.Invalid, "access_level does not have a valid value: 10, 20, 30, 40 or 50")
	}
	a := adminActor(c.UserID, c.RequestID)
	l, _, err := h.Admin.AddGroupLink(r.Context(), a, strconv.FormatInt(c.Group.ID, 10), name, gatehouse.Role(n))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, linkOut(l))
}

// deleteLink is DELETE /groups/{id}/saml_group_links/{name}. Members'
// roles follow at once.
func (h *Handler) deleteLink(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	l, err := h.findLink(r, c.Group.ID)
	if err != nil {
		return err
	}
	a := adminActor(c.UserID, c.RequestID)
	if _, err := h.Admin.RemoveGroupLink(r.Context(), a, strconv.FormatInt(c.Group.ID, 10), l.ID); err != nil {
		return resource("SAML Group Link", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// params reads a request's parameters as GitLab takes them: a JSON object
// (strings or numbers), a form (urlencoded or multipart), then the query
// string for any not in the body.
func params(w http.ResponseWriter, r *http.Request) (url.Values, error) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	out := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "multipart/form-data":
		if err := r.ParseMultipartForm(MaxBodyBytes); err != nil {
			return nil, badBody("a valid multipart form", err)
		}
		for k, vs := range r.MultipartForm.Value {
			out[k] = vs
		}
	default:
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		trimmed := bytes.TrimSpace(body)
		if mt == "application/json" || strings.HasSuffix(mt, "+json") || bytes.HasPrefix(trimmed, []byte("{")) {
			if len(trimmed) > 0 {
				var obj map[string]any
				if err := json.Unmarshal(trimmed, &obj); err != nil {
					return nil, badBody("a JSON object", err)
				}
				for k, v := range obj {
					switch v := v.(type) {
					case string:
						out.Set(k, v)
					case float64:
						out.Set(k, strconv.FormatFloat(v, 'f', -1, 64))
					}
				}
			}
		} else if out, err = url.ParseQuery(string(body)); err != nil {
			return nil, badBody("a valid form", err)
		}
	}
	for k, vs := range r.URL.Query() {
		if !out.Has(k) {
			out[k] = vs
		}
	}
	return out, nil
}

// adminActor is the owner of the request's token, for audit events.
func adminActor(userID int64, requestID string) admin.Actor {
	return admin.Actor{Kind: gatehouse.ActorUser, ID: userID, RequestID: requestID}
}
