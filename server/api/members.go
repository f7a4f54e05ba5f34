package api

import (
	"net/http"

	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/store"
)

// member is GitLab's group member object, with the group's SAML and SCIM
// identities of the user and Gatehouse's membership_state ("active", or
// "pending_link" while the account's owner has not linked it).
type member struct {
	ID              int64       `json:"id"`
	Username        string      `json:"username"`
	Name            string      `json:"name"`
	State           string      `json:"state"`
	AccessLevel     int         `json:"access_level"`
	CreatedAt       string      `json:"created_at"`
	MembershipState string      `json:"membership_state"`
	SAML            *memberSAML `json:"group_saml_identity"`
	SCIM            *memberSCIM `json:"group_scim_identity"`
}

type memberSAML struct {
	ExternUID string `json:"extern_uid"`
	Provider  string `json:"provider"`
	// SAMLProviderID is the group's id: a group has one SAML configuration.
	SAMLProviderID int64 `json:"saml_provider_id"`
}

type memberSCIM struct {
	ExternUID string `json:"extern_uid"`
	Active    bool   `json:"active"`
}

// gitlabTime is the time format of GitLab's API.
const gitlabTime = "2006-01-02T15:04:05.000Z"

func memberOut(d *admin.MemberDetail) member {
	m := member{
		ID:              d.User.ID,
		Username:        d.User.Username,
		Name:            d.User.Name,
		State:           string(d.User.State),
		AccessLevel:     int(d.Member.Role),
		CreatedAt:       d.Member.CreatedAt.UTC().Format(gitlabTime),
		MembershipState: string(d.Member.State),
	}
	if d.Identity != nil {
		m.SAML = &memberSAML{ExternUID: d.Identity.ExternUID, Provider: "group_saml", SAMLProviderID: d.Member.GroupID}
	}
	if d.SCIM != nil {
		m.SCIM = &memberSCIM{ExternUID: d.SCIM.ExternUID, Active: d.SCIM.Active()}
	}
	return m
}

// listMembers is GET /groups/{id}/members: a page of the group's members.
func (h *Handler) listMembers(w http.ResponseWriter, r *http.Request) error {
	return list(h, w, r, func(c provision.Caller, p store.Page) ([]*admin.MemberDetail, int, error) {
		return h.Admin.ListMembers(r.Context(), c.Group, p)
	}, memberOut)
}
