package gatehouse

import (
	"strings"
	"time"
	"unicode/utf8"
)

// SCIMGroup is a group the group's IdP pushed over SCIM (/Groups): a named
// set of the group's SCIM users. It is not a Gatehouse Group (the tenant);
// what its members may do follows from group links, not from the SCIM group
// itself.
type SCIMGroup struct {
	ID      int64  // internal row id; stable paging order
	SCIMID  string // the SCIM resource id: assigned by Gatehouse, opaque, immutable
	GroupID int64  // the tenant
	// DisplayName is unique among the tenant's SCIM groups by its canonical
	// key (Entra expects 409 on a duplicate).
	DisplayName string
	// ExternalID is what the IdP calls the group (Entra: the objectId); not
	// unique, empty when the IdP sent none.
	ExternalID string
	Version    int64 // bumps on every change, membership included; the SCIM ETag
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SCIMGroupMember is one member of a SCIM group: a live SCIM identity of
// the same tenant.
type SCIMGroupMember struct {
	IdentityID int64  // the SCIMIdentity's row id
	SCIMID     string // the member's SCIM user id (members[].value)
	UserID     int64  // the account
	// Display is the members[].display (or displayName) the IdP last sent
	// when it added the member, returned as sent.
	Display string
}

// SCIMGroupMemberRef names a member to add: a SCIM user id and the display
// text the IdP sent with it.
type SCIMGroupMemberRef struct {
	SCIMID  string
	Display string
}

// maxSCIMText bounds displayName, externalId and member display texts.
const maxSCIMText = 1024

// Validate reports the first rule the SCIM group breaks.
func (g *SCIMGroup) Validate() error {
	if g.GroupID <= 0 {
		return Errorf(Invalid, "SCIM group needs a group")
	}
	if g.SCIMID == "" {
		return Errorf(Invalid, "SCIM group needs an id")
	}
	if err := validateSCIMText("displayName", g.DisplayName); err != nil {
		return err
	}
	if strings.TrimSpace(g.DisplayName) == "" {
		return Errorf(Invalid, "displayName is required")
	}
	return validateSCIMText("externalId", g.ExternalID)
}

// Validate reports the first rule the member reference breaks.
func (r SCIMGroupMemberRef) Validate() error {
	if r.SCIMID == "" {
		return Errorf(Invalid, "a member needs a value (a SCIM user id)")
	}
	if err := validateSCIMText("members.value", r.SCIMID); err != nil {
		return err
	}
	return validateSCIMText("members.display", r.Display)
}

// validateSCIMText refuses what no database stores alike: invalid UTF-8,
// NUL characters, and more than maxSCIMText bytes.
func validateSCIMText(name, v string) error {
	if len(v) > maxSCIMText || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return Errorf(Invalid, "%s must be valid UTF-8 without NUL characters, of at most %d bytes", name, maxSCIMText)
	}
	return nil
}
