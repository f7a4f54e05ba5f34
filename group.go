package gatehouse

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Group is a top-level group: the tenant that owns a SAML configuration, SCIM
// tokens, members and identities. Its Path is URL-safe and may contain '.', '-'
// and '_'; it is unique case-insensitively.
type Group struct {
	ID          int64
	Path        string
	Name        string
	DefaultRole Role // the role given to members added by SCIM or SSO
	// LinksOnly removes, when group links recompute a member's role, a
	// member whose role is neither direct nor given by a link, instead of
	// leaving them at the default role.
	LinksOnly bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Validate reports the first rule the group breaks.
func (g *Group) Validate() error {
	if err := ValidatePath("group path", g.Path); err != nil {
		return err
	}
	if g.Name == "" {
		return Errorf(Invalid, "group name is required")
	}
	if len(g.Name) > 255 {
		return Errorf(Invalid, "group name is longer than 255 bytes")
	}
	if !g.DefaultRole.Valid() {
		return Errorf(Invalid, "default role %d is not one of guest, reporter, developer, maintainer, owner", g.DefaultRole)
	}
	return nil
}

// reservedPaths are path segments the URL space uses for itself.
var reservedPaths = map[string]bool{
	"api": true, "users": true, "groups": true, "-": true,
	"admin": true, "assets": true, "static": true,
}

// ValidatePath checks a group path or a username (what names it in messages)
// against the grammar both share: ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$, not all
// digits (a segment of digits is always a numeric id), no "..", not ending in
// ".", ".git" or ".atom", and not a reserved word.
func ValidatePath(what, p string) error {
	if p == "" {
		return Errorf(Invalid, "%s is required", what)
	}
	if len(p) > 255 {
		return Errorf(Invalid, "%s is longer than 255 characters", what)
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
		if i > 0 {
			ok = ok || c == '.' || c == '-'
		}
		if !ok {
			if i == 0 {
				return Errorf(Invalid, "%s %q must start with a letter, digit or '_'", what, p)
			}
			return Errorf(Invalid, "%s %q may contain only letters, digits, '_', '.' and '-'", what, p)
		}
	}
	if allDigits(p) {
		return Errorf(Invalid, "%s %q cannot be all digits (digits alone name a numeric id)", what, p)
	}
	if strings.Contains(p, "..") {
		return Errorf(Invalid, "%s %q cannot contain \"..\"", what, p)
	}
	lower := strings.ToLower(p)
	for _, suffix := range []string{".git", ".atom", "."} {
		if strings.HasSuffix(lower, suffix) {
			return Errorf(Invalid, "%s %q cannot end in %q", what, p, suffix)
		}
	}
	if reservedPaths[lower] {
		return Errorf(Invalid, "%s %q is reserved; choose another", what, p)
	}
	return nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Role is a member's role in a group, valued as GitLab's access level.
type Role int

// The roles, with GitLab's access levels.
const (
	Guest      Role = 10
	Reporter   Role = 20
	Developer  Role = 30
	Maintainer Role = 40
	Owner      Role = 50
)

var roleNames = map[Role]string{
	Guest: "guest", Reporter: "reporter", Developer: "developer",
	Maintainer: "maintainer", Owner: "owner",
}

// Valid reports whether r is one of the five roles.
func (r Role) Valid() bool { _, ok := roleNames[r]; return ok }

func (r Role) String() string {
	if n, ok := roleNames[r]; ok {
		return n
	}
	return fmt.Sprintf("role(%d)", int(r))
}

// ParseRole accepts a role's name in any case or its access level.
func ParseRole(s string) (Role, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	for r, n := range roleNames {
		if n == name || strconv.Itoa(int(r)) == name {
			return r, nil
		}
	}
	return 0, Errorf(Invalid, "role %q is not one of guest, reporter, developer, maintainer, owner (or 10, 20, 30, 40, 50)", s)
}

// MemberState says whether a membership grants its role.
type MemberState string

// The member states.
const (
	// MemberActive grants the member's role.
	MemberActive MemberState = "active"
	// MemberPendingLink grants nothing until the account owner completes the
	// link (signs in with their password and then through the group's SSO).
	MemberPendingLink MemberState = "pending_link"
)

// Member is a user's membership in a group.
type Member struct {
	GroupID int64
	UserID  int64
	Role    Role
	State   MemberState
	// RoleSource says where Role comes from; "" is RoleFromDefault, and
	// the store writes and reads it back as such.
	RoleSource RoleSource
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate reports the first rule the membership breaks.
func (m *Member) Validate() error {
	if m.GroupID <= 0 || m.UserID <= 0 {
		return Errorf(Invalid, "member needs a group and a user")
	}
	if !m.Role.Valid() {
		return Errorf(Invalid, "role %d is not one of guest, reporter, developer, maintainer, owner", m.Role)
	}
	if !m.RoleSource.Valid() {
		return Errorf(Invalid, "role source %q is not default, link or direct", m.RoleSource)
	}
	if m.State != MemberActive && m.State != MemberPendingLink {
		return Errorf(Invalid, "member state %q is not active or pending_link", m.State)
	}
	return nil
}
