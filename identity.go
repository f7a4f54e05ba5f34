package gatehouse

import (
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"
)

// IdentityState is the state of a SAML or SCIM identity.
type IdentityState string

// The identity states. A SAML identity is only ever active or pending link;
// a SCIM identity may be any of the four.
const (
	// IdentityActive: the identity works (SSO signs in; SCIM active:true).
	IdentityActive IdentityState = "active"
	// IdentityPendingLink: the identity names a pre-existing personal account
	// that has not yet proved ownership; it grants nothing until linked.
	IdentityPendingLink IdentityState = "pending_link"
	// IdentityInactive: the IdP deprovisioned the user with active:false; the
	// row stays readable and counts for uniqueness.
	IdentityInactive IdentityState = "inactive"
	// IdentityDeleted: the IdP deleted the user; the row is kept for
	// reprovisioning and audit but is left out of every uniqueness rule and
	// every SCIM answer.
	IdentityDeleted IdentityState = "deleted"
)

// Identity is a SAML identity: it links a user to one group's identity
// provider. ExternUID must equal the SAML NameID the IdP sends for the user; it
// is unique per group case-insensitively, and a user has at most one identity
// per group.
type Identity struct {
	ID         int64
	GroupID    int64
	UserID     int64
	ExternUID  string
	State      IdentityState // active or pending_link
	LastSignIn time.Time     // zero until the first SSO sign-in
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate reports the first rule the identity breaks.
func (i *Identity) Validate() error {
	if i.GroupID <= 0 || i.UserID <= 0 {
		return Errorf(Invalid, "identity needs a group and a user")
	}
	if err := ValidateExternUID(i.ExternUID); err != nil {
		return err
	}
	if i.State != IdentityActive && i.State != IdentityPendingLink {
		return Errorf(Invalid, "SAML identity state %q is not active or pending_link", i.State)
	}
	return nil
}

// ValidateExternUID checks an extern_uid (SAML NameID, SCIM externalId):
// valid UTF-8 of 1 to 1024 bytes without a NUL character, which no NameID
// can hold (XML forbids it) and PostgreSQL cannot store.
func ValidateExternUID(s string) error {
	if s == "" {
		return Errorf(Invalid, "extern_uid is required")
	}
	if len(s) > 1024 || !utf8.ValidString(s) {
		return Errorf(Invalid, "extern_uid must be valid UTF-8 of at most 1024 bytes")
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(Invalid, "extern_uid must not contain a NUL character")
	}
	return nil
}

// SCIMIdentity is the record a group's IdP manages over SCIM for one user.
// SCIMID is Gatehouse's opaque, immutable SCIM "id"; ExternUID is the SCIM
// externalId (or the userName while the IdP never sent one) and equals the
// SAML NameID. Indexed attributes have their own fields; everything else the
// IdP sent is kept in Attributes.
type SCIMIdentity struct {
	ID        int64  // internal row id; stable paging order
	SCIMID    string // the SCIM resource id
	GroupID   int64
	UserID    int64
	ExternUID string
	// ExternalIDSet is true once the IdP has sent an externalId; until then
	// ExternUID follows UserName.
	ExternalIDSet bool
	UserName      string // exactly as the IdP sent it; unique per group case-insensitively
	DisplayName   string
	GivenName     string
	FamilyName    string
	Email         string // the account email chosen from the SCIM emails
	// Emails are all the addresses the IdP sent, kept apart so that filters
	// on emails.value and emails.type run in the database.
	Emails []SCIMEmail
	State  IdentityState
	// PreviousRole is the role the membership had when the identity was
	// deprovisioned, restored when the IdP provisions the user again.
	PreviousRole Role
	// Attributes is the JSON document of the resource as the IdP sent it.
	Attributes json.RawMessage
	Version    int64 // bumps on every change; the SCIM ETag
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SCIMEmail is one entry of a SCIM user's emails.
type SCIMEmail struct {
	Value   string
	Type    string
	Primary bool
}

// Active reports the SCIM "active" value of the identity.
func (s *SCIMIdentity) Active() bool {
	return s.State == IdentityActive || s.State == IdentityPendingLink
}

// Validate reports the first rule the SCIM identity breaks.
func (s *SCIMIdentity) Validate() error {
	if s.GroupID <= 0 || s.UserID <= 0 {
		return Errorf(Invalid, "SCIM identity needs a group and a user")
	}
	if s.SCIMID == "" {
		return Errorf(Invalid, "SCIM identity needs an id")
	}
	if err := ValidateExternUID(s.ExternUID); err != nil {
		return err
	}
	if s.UserName == "" || len(s.UserName) > 1024 || !utf8.ValidString(s.UserName) {
		return Errorf(Invalid, "userName is required and must be valid UTF-8 of at most 1024 bytes")
	}
	switch s.State {
	case IdentityActive, IdentityPendingLink, IdentityInactive, IdentityDeleted:
	default:
		return Errorf(Invalid, "SCIM identity state %q is not active, pending_link, inactive or deleted", s.State)
	}
	if s.PreviousRole != 0 && !s.PreviousRole.Valid() {
		return Errorf(Invalid, "previous role %d is not a role", s.PreviousRole)
	}
	if len(s.Attributes) > 0 && !json.Valid(s.Attributes) {
		return Errorf(Invalid, "SCIM attributes are not valid JSON")
	}
	return nil
}
