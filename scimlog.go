package gatehouse

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// SCIMLogBodyLimit is the most bytes of a request or response body a SCIM
// request log entry keeps (behaviour.md decision 24), truncation marker
// included.
const SCIMLogBodyLimit = 8 << 10

// The most bytes the other text fields of a SCIM request log entry hold
// (Clamp cuts longer values).
const (
	SCIMLogPathLimit      = 2048 // Path, query included
	SCIMLogNoteLimit      = 2048 // Note
	SCIMLogUserAgentLimit = 512  // UserAgent
	SCIMLogFieldLimit     = 128  // RequestID, Method, Operation, ClientIP
)

// SCIMRequestLog is one entry of a group's SCIM request log: what an
// identity provider sent to the group's SCIM endpoint and what it got back,
// kept so that the group's owners can see why a sync misbehaves (behaviour.md
// decision 17). Only authenticated requests are logged, under the group their
// token belongs to. The log keeps the newest entries of each group; it is
// written asynchronously, so an entry may be lost in a crash (unlike an
// AuditEvent, which lands with its change).
//
// Nothing secret is ever in an entry: the Authorization header is not kept,
// and the bodies and the query are redacted before the entry is built.
type SCIMRequestLog struct {
	ID        int64
	GroupID   int64
	At        time.Time // when the request arrived
	RequestID string    // the server's request id (X-Request-Id), also in the access log
	Method    string
	// Path is the request path with its query, in which the values of
	// parameters that may carry secrets (access_token, …) are redacted.
	Path      string
	Status    int           // the HTTP status answered
	Duration  time.Duration // kept to the microsecond
	Operation string        // what the request did: create_user, patch_user, list_users, …
	// RequestBody and ResponseBody are the bodies with secrets replaced by
	// "[FILTERED]", at most SCIMLogBodyLimit bytes each; a longer body is cut
	// and ends with a marker saying how much was dropped. An error response's
	// body is the SCIM error document.
	RequestBody  string
	ResponseBody string
	// Note says what the response does not, for instance which unknown
	// attributes of a POST or PUT body were ignored (decision 28).
	Note      string
	ClientIP  string // the client's address as the server saw it
	UserAgent string
}

// Validate reports the first rule the entry breaks. Every text field must be
// valid UTF-8 without NUL characters (PostgreSQL's text refuses them) and
// within its limit.
func (e *SCIMRequestLog) Validate() error {
	if e.GroupID <= 0 {
		return Errorf(Invalid, "SCIM request log entry needs a group")
	}
	if e.Method == "" {
		return Errorf(Invalid, "SCIM request log entry needs a method")
	}
	if e.Status < 100 || e.Status > 999 {
		return Errorf(Invalid, "SCIM request log status %d is not an HTTP status", e.Status)
	}
	if e.Duration < 0 {
		return Errorf(Invalid, "SCIM request log duration %v is negative", e.Duration)
	}
	if err := checkTextFields("SCIM request log", []textField{
		{"request id", e.RequestID, SCIMLogFieldLimit},
		{"method", e.Method, SCIMLogFieldLimit},
		{"path", e.Path, SCIMLogPathLimit},
		{"operation", e.Operation, SCIMLogFieldLimit},
		{"request body", e.RequestBody, SCIMLogBodyLimit},
		{"response body", e.ResponseBody, SCIMLogBodyLimit},
		{"note", e.Note, SCIMLogNoteLimit},
		{"client IP", e.ClientIP, SCIMLogFieldLimit},
		{"user agent", e.UserAgent, SCIMLogUserAgentLimit},
	}); err != nil {
		return err
	}
	return nil
}

// Clamp makes every text field of e acceptable to Validate: invalid UTF-8
// and NUL characters become U+FFFD, and a value past its limit is cut at a
// character boundary (bodies get the truncation marker of ClampSCIMLogBody).
// Values that come from the client (headers, bodies, the path) go through it
// before the entry is stored, so that one odd request cannot make a batch of
// entries fail.
func (e *SCIMRequestLog) Clamp() {
	e.RequestID = clampText(e.RequestID, SCIMLogFieldLimit)
	e.Method = clampText(e.Method, SCIMLogFieldLimit)
	e.Path = clampText(e.Path, SCIMLogPathLimit)
	e.Operation = clampText(e.Operation, SCIMLogFieldLimit)
	e.RequestBody = ClampSCIMLogBody(e.RequestBody, 0)
	e.ResponseBody = ClampSCIMLogBody(e.ResponseBody, 0)
	e.Note = clampText(e.Note, SCIMLogNoteLimit)
	e.ClientIP = clampText(e.ClientIP, SCIMLogFieldLimit)
	e.UserAgent = clampText(e.UserAgent, SCIMLogUserAgentLimit)
}

// ClampSCIMLogBody returns body as a SCIM request log entry keeps it: valid
// UTF-8 without NULs (invalid bytes become U+FFFD) and at most
// SCIMLogBodyLimit bytes. A longer body, or one of which omitted more bytes
// were never captured, keeps its first bytes, up to a character boundary,
// and ends with "…[truncated N bytes]", N being how many bytes it lost.
func ClampSCIMLogBody(body string, omitted int) string {
	return clampBody(body, omitted, SCIMLogBodyLimit)
}

// clampBody is ClampSCIMLogBody with limit in place of SCIMLogBodyLimit.
func clampBody(body string, omitted, limit int) string {
	body = cleanText(body)
	omitted = max(omitted, 0)
	if len(body) <= limit && omitted == 0 {
		return body
	}
	// The marker's length depends on N, which depends on where the cut is:
	// leave room for the longest marker this body can need.
	room := limit - len(truncationMarker(len(body)+omitted))
	cut := cutText(body, room)
	return body[:cut] + truncationMarker(len(body)-cut+omitted)
}

func truncationMarker(dropped int) string {
	return "…[truncated " + strconv.Itoa(dropped) + " bytes]"
}

// clampText is cleanText cut to limit bytes at a character boundary.
func clampText(s string, limit int) string {
	s = cleanText(s)
	return s[:cutText(s, limit)]
}

// validText reports whether s is valid UTF-8 without NUL characters, which
// PostgreSQL's text refuses.
func validText(s string) bool { return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 }

// cleanText replaces invalid UTF-8 and NUL characters with U+FFFD.
func cleanText(s string) string {
	if validText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// cutText returns the largest n <= limit such that s[:n] ends at a
// character boundary of the valid UTF-8 text s.
func cutText(s string, limit int) int {
	if len(s) <= limit {
		return len(s)
	}
	n := max(limit, 0)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// textField is one text field of a log entry that Validate checks.
type textField struct {
	name, value string
	limit       int // in bytes
}

// checkTextFields refuses the first field of what (a log) that is longer
// than its limit or not valid UTF-8 text without NUL characters.
func checkTextFields(what string, fields []textField) error {
	for _, f := range fields {
		if len(f.value) > f.limit {
			return Errorf(Invalid, "%s %s is longer than %d bytes", what, f.name, f.limit)
		}
		if !validText(f.value) {
			return Errorf(Invalid, "%s %s is not valid UTF-8 text", what, f.name)
		}
	}
	return nil
}
