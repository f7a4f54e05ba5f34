package gatehouse

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// AccountKind tells who created an account, which decides whose rules apply to it.
type AccountKind string

// The account kinds.
const (
	// Personal accounts are created by a person or an administrator and have a
	// password. Their emails are unique across the instance, and only they are
	// ever matched by email when an identity provider provisions someone.
	Personal AccountKind = "personal"
	// Managed accounts are created by one group's SCIM or SSO and record that
	// group. Their emails are unique only within the managing group, and the
	// managing group's identity provider may change their profile.
	Managed AccountKind = "managed"
)

// UserState says whether an account may sign in.
type UserState string

// The user states.
const (
	UserActive  UserState = "active"
	UserBlocked UserState = "blocked"
)

// User is a global account. One user may belong to many groups and be linked to
// many groups' identity providers.
type User struct {
	ID       int64
	Username string // unique case-insensitively across the instance
	Name     string
	Emails   []Email // at least one; exactly one is primary
	Kind     AccountKind
	// ManagingGroupID is the group that created a managed account; 0 for personal accounts.
	ManagingGroupID int64
	State           UserState
	Admin           bool
	// PasswordHash is the encoded argon2id hash; empty when the account has no password.
	PasswordHash string
	// PasswordExpired forces a password change at the next sign-in (one-time passwords).
	PasswordExpired bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// Email is one of a user's addresses.
type Email struct {
	Address  string
	Primary  bool
	Verified bool
}

// PrimaryEmail returns the address marked primary, or the first one.
func (u *User) PrimaryEmail() string {
	for _, e := range u.Emails {
		if e.Primary {
			return e.Address
		}
	}
	if len(u.Emails) > 0 {
		return u.Emails[0].Address
	}
	return ""
}

// Validate reports the first rule the user breaks.
func (u *User) Validate() error {
	if err := ValidatePath("username", u.Username); err != nil {
		return err
	}
	if !utf8.ValidString(u.Name) || len(u.Name) > 255 {
		return Errorf(Invalid, "name must be valid UTF-8 of at most 255 bytes")
	}
	switch u.Kind {
	case Personal:
		if u.ManagingGroupID != 0 {
			return Errorf(Invalid, "a personal account has no managing group")
		}
	case Managed:
		if u.ManagingGroupID <= 0 {
			return Errorf(Invalid, "a managed account needs its managing group")
		}
	default:
		return Errorf(Invalid, "account kind %q is not personal or managed", u.Kind)
	}
	if u.State != UserActive && u.State != UserBlocked {
		return Errorf(Invalid, "user state %q is not active or blocked", u.State)
	}
	if len(u.Emails) == 0 {
		return Errorf(Invalid, "an email address is required")
	}
	primaries := 0
	for _, e := range u.Emails {
		if err := ValidateEmail(e.Address); err != nil {
			return err
		}
		if e.Primary {
			primaries++
		}
	}
	if primaries != 1 {
		return Errorf(Invalid, "exactly one email must be primary, found %d", primaries)
	}
	return nil
}

// ValidateEmail checks that s is a bare address (local@domain) without a
// display name, of at most 254 bytes.
func ValidateEmail(s string) error {
	if s == "" {
		return Errorf(Invalid, "email is required")
	}
	if len(s) > 254 || !utf8.ValidString(s) {
		return Errorf(Invalid, "email %q is longer than 254 bytes or not UTF-8", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return Errorf(Invalid, "email %q is not an address of the form name@example.com", s)
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return Errorf(Invalid, "email %q is not an address of the form name@example.com", s)
	}
	return nil
}
