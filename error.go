package gatehouse

import (
	"errors"
	"fmt"
)

// Kind classifies an error so that each edge (HTTP, SCIM, command line) can map
// it to its own vocabulary once. Kinds are only ever appended to.
type Kind int

// The error kinds.
const (
	Internal        Kind = iota // something that is not the caller's fault
	Invalid                     // the input breaks a rule; the message says which
	NotFound                    // the thing asked for does not exist (or is not visible to the caller)
	Conflict                    // the thing would collide with one that exists
	Unauthenticated             // no valid credentials
	Forbidden                   // valid credentials, not allowed
	Unavailable                 // a dependency (the database) does not answer; try again
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotFound:        "not found",
	Conflict:        "conflict",
	Unauthenticated: "unauthenticated",
	Forbidden:       "forbidden",
	Unavailable:     "unavailable",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Error is the error every Gatehouse package returns for conditions a caller may
// need to tell apart. Message is safe to show to the user who caused the error;
// Err (the cause) is for logs only.
type Error struct {
	Kind    Kind
	Op      string // the operation, "pkg.Func", for logs
	Message string // what happened and what to fix, lowercase, no trailing period
	Err     error  // the underlying cause, if any
}

func (e *Error) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Kind.String()
	}
	if e.Op != "" {
		msg = e.Op + ": " + msg
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind whose message is formatted from
// format and args. The message is shown to users, so it must say what to fix.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// ErrorKind returns the kind of the first *Error in err's chain, Internal for
// any other non-nil error, and Internal for nil.
func ErrorKind(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain. Other errors yield a generic text, so internal details never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	if errors.As(err, &e) && e.Kind != Internal {
		return e.Kind.String()
	}
	return "internal error"
}

// IsKind reports whether err carries the given kind.
func IsKind(err error, k Kind) bool {
	var e *Error
	return errors.As(err, &e) && e.Kind == k
}
