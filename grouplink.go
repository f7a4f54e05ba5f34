package gatehouse

import (
	"strings"
	"time"
	"unicode/utf8"
)

// RoleSource says where a member's role comes from, and so whether group
// links may change it.
type RoleSource string

// The role sources.
const (
	// RoleFromDefault: the group's default role, given when SCIM or SSO
	// added the member. Group links may raise it.
	RoleFromDefault RoleSource = "default"
	// RoleFromLink: the highest role of the group links the member's IdP
	// groups match. Group links keep it up to date.
	RoleFromLink RoleSource = "link"
	// RoleDirect: set by an owner (or the group's creation). Group links
	// never change it until an owner hands it back to them.
	RoleDirect RoleSource = "direct"
)

// Valid reports whether s is one of the sources; "" counts as
// RoleFromDefault.
func (s RoleSource) Valid() bool {
	switch s {
	case "", RoleFromDefault, RoleFromLink, RoleDirect:
		return true
	}
	return false
}

// IdPGroupSAML is the source of IdP groups read from a SAML assertion's
// groups attribute at sign-in.
const IdPGroupSAML = "saml"

// GroupLink maps a group of the identity provider to a role in a group: a
// member of that IdP group gets at least that role. IdPGroup is matched by
// its canonical key against a SCIM group's displayName or externalId, the
// values of a SAML groups attribute, or an Entra group object id; one link
// serves every source.
type GroupLink struct {
	ID        int64
	GroupID   int64
	IdPGroup  string
	Role      Role
	CreatedAt time.Time
	UpdatedAt time.Time
}

// MaxIdPGroupLen bounds an IdP group name: long enough for an LDAP
// distinguished name, short enough for an index.
const MaxIdPGroupLen = 512

// ValidateIdPGroup checks one IdP group name: not blank, valid UTF-8 without
// control characters, at most MaxIdPGroupLen bytes.
func ValidateIdPGroup(name string) error {
	if strings.TrimSpace(name) == "" {
		return Errorf(Invalid, "IdP group name is required")
	}
	if len(name) > MaxIdPGroupLen {
		return Errorf(Invalid, "IdP group name is longer than %d bytes", MaxIdPGroupLen)
	}
	if !utf8.ValidString(name) {
		return Errorf(Invalid, "IdP group name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return Errorf(Invalid, "IdP group name holds a control character")
		}
	}
	return nil
}

// Validate reports the first rule the link breaks.
func (l *GroupLink) Validate() error {
	if l.GroupID <= 0 {
		return Errorf(Invalid, "group link needs a group")
	}
	if err := ValidateIdPGroup(l.IdPGroup); err != nil {
		return err
	}
	if !l.Role.Valid() {
		return Errorf(Invalid, "role %d is not one of guest, reporter, developer, maintainer, owner", l.Role)
	}
	return nil
}

// EffectiveRole is the role a member holds under the group-link rule: a
// direct role set by an owner wins; otherwise the highest role of the
// member's links, never below the group's default role. The last-owner
// guard is the use case's: it needs the other members.
func EffectiveRole(def Role, direct *Role, links []Role) Role {
	if direct != nil {
		return *direct
	}
	r := def
	for _, l := range links {
		if l > r {
			r = l
		}
	}
	return r
}
