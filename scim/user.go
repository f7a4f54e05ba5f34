package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// UserDoc is a SCIM User as an identity provider sent it (POST or PUT), or
// as a PATCH left it: the canonical document plus the attributes Gatehouse
// indexes or acts on, read out of it. (The name User belongs to the User
// schema.)
type UserDoc struct {
	// UserName is exactly as the IdP sent it: never empty, at most 1024
	// bytes.
	UserName string
	// ExternalID is the externalId; ExternalIDSet is false when the
	// document has none (or an empty one), in which case a PUT keeps the
	// stored value and a POST keys the identity by UserName.
	ExternalID    string
	ExternalIDSet bool
	// Active is the active value; ActiveSet is false when the document has
	// none, in which case a PUT keeps the stored state and a POST
	// provisions an active user.
	Active    bool
	ActiveSet bool
	// DisplayName, GivenName, FamilyName and Formatted are displayName and
	// name.givenName, name.familyName and name.formatted, "" when absent.
	DisplayName string
	GivenName   string
	FamilyName  string
	Formatted   string
	// Emails are the entries of emails that have a non-empty value, in
	// order.
	Emails []Email
	// Doc is the canonical document (see the package documentation): what
	// is stored, what PUT replaces and what PATCH edits. It holds userName
	// and every other attribute kept, but never id, externalId, active,
	// meta, schemas, groups or password.
	Doc map[string]any
	// Ignored names the attributes that were dropped because no schema
	// Gatehouse knows has them (typos such as "adreses", or "name.foo"),
	// sorted, for the SCIM request log: at most 32 names of at most 128
	// bytes each, since they come from the client.
	Ignored []string
}

// Email is one entry of a user's emails.
type Email struct {
	Value   string
	Type    string // as sent ("work", "home", "other", ...), "" when absent
	Primary bool
}

// ParseUser reads the body of a POST or PUT of a User.
//
// The body must be a JSON object (else 400 invalidSyntax, with the byte
// offset of a syntax error) whose schemas include the User URN or the legacy
// urn:scim:schemas:core:2.0 or urn:scim:schemas:core:1.0 that OneLogin
// templates send (else 400 invalidValue). Attribute names match in any case;
// enterprise attributes may come under the RFC URN, the legacy OneLogin URN,
// as URN-qualified keys, or unqualified at the top level, and all end up
// under EnterpriseUserSchema; keys of other URNs are kept verbatim. Booleans
// may be sent as the strings "true" and "false" in any case. null means
// absent. id, meta and groups are ignored (read-only), password is
// discarded, and un-namespaced unknown attributes are dropped and listed in
// Ignored. A known attribute whose value has the wrong type, a missing or
// empty userName, one longer than 1024 bytes, and an attribute given twice
// under two spellings are 400 invalidValue errors naming the attribute.
// Every error is an *Error with status 400.
func ParseUser(body []byte) (*UserDoc, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body must be a JSON object, got %s", jsonType(v))
	}
	c, err := readUser(obj, true)
	if err != nil {
		return nil, err
	}
	return newUser(c), nil
}

// UserFromDoc reads a user document that is already decoded: a stored
// document, or the result of a PATCH. doc may also be a whole resource as
// UserResource builds it, so that PATCH can edit externalId and active: their
// values are read into ExternalID and Active and left out of Doc, and id,
// meta and schemas are dropped. It applies the rules and errors of
// ParseUser, except that schemas is not required. doc is not modified, and
// the result shares nothing with it.
func UserFromDoc(doc map[string]any) (*UserDoc, error) {
	c, err := readUser(doc, false)
	if err != nil {
		return nil, err
	}
	return newUser(c), nil
}

// decodeJSON decodes one JSON value, numbers as json.Number so that a number
// in a custom extension keeps its exact text. Anything but whitespace after
// the value is an error.
func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		switch {
		case errors.Is(err, io.EOF):
			return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body is not valid JSON: it is empty (at byte offset %d)", len(body))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body is not valid JSON: it ends too early (at byte offset %d)", len(body))
		case errors.As(err, &se):
			return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body is not valid JSON: %s (at byte offset %d)", se.Error(), se.Offset)
		}
		return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body is not valid JSON: %s", err.Error())
	}
	off := dec.InputOffset()
	rest := bytes.TrimLeft(body[off:], " \t\r\n")
	if len(rest) > 0 {
		return nil, Errorf(statusBadRequest, InvalidSyntax, "the request body is not valid JSON: data after the end of the object (at byte offset %d)", len(body)-len(rest))
	}
	return v, nil
}

func newUser(c *readResult) *UserDoc {
	u := &UserDoc{
		ExternalID:    c.externalID,
		ExternalIDSet: c.externalIDSet,
		Active:        c.active,
		ActiveSet:     c.activeSet,
		Doc:           c.doc,
		Ignored:       c.ignored,
	}
	u.UserName, _ = c.doc["userName"].(string)
	u.DisplayName, _ = c.doc["displayName"].(string)
	if name, ok := c.doc["name"].(map[string]any); ok {
		u.GivenName, _ = name["givenName"].(string)
		u.FamilyName, _ = name["familyName"].(string)
		u.Formatted, _ = name["formatted"].(string)
	}
	emails, _ := c.doc["emails"].([]any)
	for _, e := range emails {
		m, _ := e.(map[string]any)
		var em Email
		em.Value, _ = m["value"].(string)
		em.Type, _ = m["type"].(string)
		em.Primary, _ = m["primary"].(bool)
		if em.Value != "" {
			u.Emails = append(u.Emails, em)
		}
	}
	return u
}

// FormattedName returns the name.formatted of a stored user document — the
// JSON of a UserDoc's Doc, as a store keeps it — exactly as
// UserDoc.Formatted reads it: "" when the document has none, when it is not
// a string, or when doc is not a JSON object. Stores use it to index the
// formatted name for filters without a field of its own.
func FormattedName(doc []byte) string {
	var top, name map[string]json.RawMessage
	var formatted string
	if json.Unmarshal(doc, &top) != nil || json.Unmarshal(top["name"], &name) != nil ||
		json.Unmarshal(name["formatted"], &formatted) != nil {
		return ""
	}
	return formatted
}

// AccountEmail chooses the email address of the user's account (behaviour
// decision 27): among the emails whose value is a bare address of at most
// 254 bytes (name@example.com, no display name, surrounding spaces
// trimmed), the first marked primary, else the first of type "work" (any
// case), else the first. With none it returns a 400 invalidValue *Error.
func (u *UserDoc) AccountEmail() (string, error) {
	var usable []Email
	for _, e := range u.Emails {
		if addr, ok := bareAddress(e.Value); ok {
			e.Value = addr
			usable = append(usable, e)
		}
	}
	for _, e := range usable {
		if e.Primary {
			return e.Value, nil
		}
	}
	for _, e := range usable {
		if strings.EqualFold(e.Type, "work") {
			return e.Value, nil
		}
	}
	if len(usable) > 0 {
		return usable[0].Value, nil
	}
	return "", Errorf(statusBadRequest, InvalidValue, "the user needs at least one email address of the form name@example.com in emails[].value")
}

// bareAddress reports whether s (spaces trimmed) is an address without a
// display name, as the domain's email rule requires.
func bareAddress(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 254 {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return "", false
	}
	at := strings.LastIndexByte(s, '@')
	return s, at > 0 && at < len(s)-1
}

// maxAccountName is the longest account name the domain accepts, in bytes.
const maxAccountName = 255

// AccountName is the name to give the user's account: name.formatted, else
// name.givenName and name.familyName joined by a space (either may be
// missing), else displayName, else userName; spaces trimmed, and cut to at
// most 255 bytes on a character boundary.
func (u *UserDoc) AccountName() string {
	name := strings.TrimSpace(u.Formatted)
	if name == "" {
		name = strings.TrimSpace(strings.TrimSpace(u.GivenName) + " " + strings.TrimSpace(u.FamilyName))
	}
	if name == "" {
		name = strings.TrimSpace(u.DisplayName)
	}
	if name == "" {
		name = strings.TrimSpace(u.UserName)
	}
	return truncate(name, maxAccountName)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 {
		r, size := utf8.DecodeLastRuneInString(s)
		if r != utf8.RuneError || size > 1 {
			break
		}
		s = s[:len(s)-1]
	}
	return s
}
