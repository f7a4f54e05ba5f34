package api

import (
	"net/http"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/store"
)

// scimIdentity is GitLab's SCIM identity object.
type scimIdentity struct {
	ExternUID string `json:"extern_uid"`
	UserID    int64  `json:"user_id"`
	Active    bool   `json:"active"`
}

func scimOut(si *gatehouse.SCIMIdentity) scimIdentity {
	return scimIdentity{ExternUID: si.ExternUID, UserID: si.UserID, Active: si.Active()}
}

// samlIdentity is GitLab's SAML identity object.
type samlIdentity struct {
	ExternUID string `json:"extern_uid"`
	UserID    int64  `json:"user_id"`
}

func samlOut(i *gatehouse.Identity) samlIdentity {
	return samlIdentity{ExternUID: i.ExternUID, UserID: i.UserID}
}

// listSCIM is GET /groups/{id}/scim/identities: a page of the group's
// live SCIM identities, deactivated ones included.
func (h *Handler) listSCIM(w http.ResponseWriter, r *http.Request) error {
	return list(h, w, r, func(c provision.Caller, p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
		return h.Provision.List(r.Context(), c.Group.ID, nil, p)
	}, scimOut)
}

// getSCIM is GET /groups/{id}/scim/{uid}.
func (h *Handler) getSCIM(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	si, err := h.Provision.FindByExternUID(r.Context(), c.Group.ID, r.PathValue("uid"))
	if err != nil {
		return resource("Identity", err)
	}
	return writeJSON(w, http.StatusOK, scimOut(si))
}

// patchSCIM is PATCH /groups/{id}/scim/{uid}: a new extern_uid, which the
// user's SAML identity follows.
func (h *Handler) patchSCIM(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	uid, err := externUIDParam(w, r)
	if err != nil {
		return err
	}
	si, err := h.Provision.SetExternUID(r.Context(), c, r.PathValue("uid"), uid)
	if err != nil {
		return resource("Identity", err)
	}
	return writeJSON(w, http.StatusOK, scimOut(si))
}

// deleteSCIM is DELETE /groups/{id}/scim/{uid}: the SCIM identity and the
// membership go, the account stays.
func (h *Handler) deleteSCIM(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	if err := h.Provision.Remove(r.Context(), c, r.PathValue("uid")); err != nil {
		return resource("Identity", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listSAML is GET /groups/{id}/saml/identities.
func (h *Handler) listSAML(w http.ResponseWriter, r *http.Request) error {
	return list(h, w, r, func(c provision.Caller, p store.Page) ([]*gatehouse.Identity, int, error) {
		return h.Provision.ListSAMLIdentities(r.Context(), c.Group, p)
	}, samlOut)
}

// getSAML is GET /groups/{id}/saml/{uid}.
func (h *Handler) getSAML(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	i, err := h.Provision.FindSAMLIdentity(r.Context(), c.Group.ID, r.PathValue("uid"))
	if err != nil {
		return resource("Identity", err)
	}
	return writeJSON(w, http.StatusOK, samlOut(i))
}

// patchSAML is PATCH /groups/{id}/saml/{uid}: a new extern_uid, which the
// user's SCIM identity follows.
func (h *Handler) patchSAML(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	uid, err := externUIDParam(w, r)
	if err != nil {
		return err
	}
	i, err := h.Provision.SetSAMLExternUID(r.Context(), c, r.PathValue("uid"), uid)
	if err != nil {
		return resource("Identity", err)
	}
	return writeJSON(w, http.StatusOK, samlOut(i))
}

// deleteSAML is DELETE /groups/{id}/saml/{uid}: the SAML identity is
// unlinked, the account and its membership stay.
func (h *Handler) deleteSAML(w http.ResponseWriter, r *http.Request) error {
	c, err := h.caller(r)
	if err != nil {
		return err
	}
	if err := h.Provision.UnlinkSAML(r.Context(), c, r.PathValue("uid")); err != nil {
		return resource("Identity", err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
