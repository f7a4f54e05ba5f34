package scim

import (
	"fmt"
	"strconv"
)

// The scimType values of RFC 7644 §3.12.
const (
	InvalidFilter = "invalidFilter"
	TooMany       = "tooMany"
	Uniqueness    = "uniqueness"
	Mutability    = "mutability"
	InvalidSyntax = "invalidSyntax"
	InvalidPath   = "invalidPath"
	NoTarget      = "noTarget"
	InvalidValue  = "invalidValue"
	InvalidVers   = "invalidVers"
	Sensitive     = "sensitive"
)

// Error is a SCIM error response (RFC 7644 §3.12). Detail is shown to the
// client and must say what to fix.
type Error struct {
	Status   int    // HTTP status
	ScimType string // one of the constants above, or "" where the RFC defines none
	Detail   string
}

// Errorf returns an *Error with a formatted detail.
func Errorf(status int, scimType, format string, args ...any) *Error {
	return &Error{Status: status, ScimType: scimType, Detail: fmt.Sprintf(format, args...)}
}

func (e *Error) Error() string {
	if e.ScimType != "" {
		return fmt.Sprintf("scim %d %s: %s", e.Status, e.ScimType, e.Detail)
	}
	return fmt.Sprintf("scim %d: %s", e.Status, e.Detail)
}

// HTTPStatus returns the response status, so that the HTTP layer logs and
// answers with it.
func (e *Error) HTTPStatus() int { return e.Status }

// Body returns the error's JSON document; status is a string, as the RFC's
// examples have it.
func (e *Error) Body() map[string]any {
	b := map[string]any{
		"schemas": []string{ErrorSchema},
		"status":  strconv.Itoa(e.Status),
		"detail":  e.Detail,
	}
	if e.ScimType != "" {
		b["scimType"] = e.ScimType
	}
	return b
}
