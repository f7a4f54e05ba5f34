package scimpatch

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// failure is an error before it is given its operation's context.
type failure struct {
	scimType string
	msg      string
}

func fail(scimType, format string, args ...any) *failure {
	return &failure{scimType: scimType, msg: fmt.Sprintf(format, args...)}
}

// The names that are not ordinary attributes of the User schema.
const (
	specialID       = "id"
	specialMeta     = "meta"
	specialSchemas  = "schemas"
	specialPassword = "password"
)

// target is a resolved PATCH path: where in the document an operation acts.
type target struct {
	schema  *scim.Schema // scim.User or scim.EnterpriseUser; nil in a custom extension
	ext     string       // document key of the extension object; "" for core attributes
	whole   bool         // the path is a schema URN alone: the whole extension (or resource)
	special string       // one of the special* names, handled apart

	attr    *scim.Attribute // the attribute; nil in a custom extension
	name    string          // its document key
	filter  expr            // value filter, or nil
	text    string          // the filter's text, for error details
	sub     string          // sub-attribute document key, or ""
	subAttr *scim.Attribute // its definition, or nil in a custom extension
}

// depth orders the keys of a path-less value: whole extensions first, then
// attributes, then sub-attributes, so that {"name": {...}, "name.givenName":
// "x"} ends with the more specific key applied last.
func (t *target) depth() int {
	switch {
	case t.whole:
		return 0
	case t.sub == "" && t.filter == nil:
		return 1
	}
	return 2
}

// schemaURNs lists the URNs a User path may be qualified with, and the
// schema each stands for. The legacy URNs are OneLogin's.
var schemaURNs = []struct {
	urn    string
	schema *scim.Schema
}{
	{scim.UserSchema, scim.User},
	{scim.EnterpriseUserSchema, scim.EnterpriseUser},
	{scim.LegacyUserSchema, scim.User},
	{scim.LegacyEnterpriseSchema, scim.EnterpriseUser},
}

// resolve parses path and resolves it against the User schemas and, for
// custom extensions, against the document (to reuse the key spelling it
// already has).
func resolve(doc map[string]any, path string) (*target, *failure) {
	head, filterText, after, f := splitPath(path)
	if f != nil {
		return nil, f
	}
	t := &target{}
	var attrName, headSub string
	if hasPrefixFold(head, "urn:") {
		var whole bool
		whole, attrName, f = resolveURN(doc, head, filterText != "", t)
		if f != nil {
			return nil, f
		}
		if whole {
			if filterText != "" || after != "" {
				return nil, fail(scim.InvalidPath, "a schema URN cannot carry a filter or sub-attribute; name an attribute after the URN, as in urn:…:User:department")
			}
			t.whole = true
			return t, nil
		}
	} else {
		attrName = head
		t.schema = scim.User
	}
	if i := strings.IndexByte(attrName, '.'); i >= 0 {
		attrName, headSub = attrName[:i], attrName[i+1:]
		if headSub == "" || !validName(headSub) {
			return nil, fail(scim.InvalidPath, "%q is not an attribute name; names start with a letter, as in name.givenName", headSub)
		}
		if filterText != "" {
			return nil, fail(scim.InvalidPath, "put the sub-attribute after the filter, as in emails[type eq \"work\"].value")
		}
	}
	if !validName(attrName) {
		return nil, fail(scim.InvalidPath, "%q is not an attribute name; names start with a letter, as in name.givenName", attrName)
	}
	sub := headSub
	if after != "" {
		sub = after
	}
	if t.schema == nil {
		// A custom extension: the names are kept as sent, or as the
		// document already spells them.
		t.name = attrName
		if m, ok := doc[t.ext].(map[string]any); ok {
			if k, _, found := lookup(m, attrName); found {
				t.name = k
			}
		}
		t.sub = sub
		if filterText != "" {
			e, f := parseFilter(filterText, nil)
			if f != nil {
				return nil, f
			}
			t.filter, t.text = e, filterText
		}
		return t, nil
	}
	if f := resolveKnown(t, attrName, head); f != nil {
		return nil, f
	}
	if t.special != "" {
		if sub != "" || filterText != "" {
			return nil, fail(scim.InvalidPath, "%s has no sub-attributes", t.special)
		}
		return t, nil
	}
	a := t.attr
	if a.Mutability == scim.ReadOnly {
		return nil, fail(scim.Mutability, "%s is read-only; %s", a.Name, readOnlyHint(a.Name))
	}
	if filterText != "" {
		if !a.MultiValued {
			return nil, fail(scim.InvalidPath, "%s is not multi-valued, so it cannot take a filter", a.Name)
		}
		e, f := parseFilter(filterText, a)
		if f != nil {
			return nil, f
		}
		t.filter, t.text = e, filterText
	}
	if sub != "" {
		if a.Type != scim.Complex {
			return nil, fail(scim.InvalidPath, "%s has no sub-attributes", a.Name)
		}
		sa := a.Sub(sub)
		if sa == nil {
			return nil, fail(scim.InvalidPath, "%s has no sub-attribute %q; its sub-attributes are %s", a.Name, sub, subNames(a))
		}
		if sa.Mutability == scim.ReadOnly {
			return nil, fail(scim.Mutability, "%s.%s is read-only; Gatehouse fills it in", a.Name, sa.Name)
		}
		t.sub, t.subAttr = sa.Name, sa
	}
	return t, nil
}

// resolveKnown finds attrName in t.schema. An unqualified name may also be
// a common attribute (id, externalId, meta), "schemas", or an enterprise
// attribute: no core attribute shares a name with one, and Entra's legacy
// traffic sends "manager" unqualified.
func resolveKnown(t *target, attrName, head string) *failure {
	qualified := hasPrefixFold(head, "urn:")
	if t.schema == scim.User {
		switch strings.ToLower(attrName) {
		case specialID:
			return fail(scim.Mutability, "id is assigned by Gatehouse and never changes; the IdP's own identifier belongs in externalId")
		case specialMeta:
			return fail(scim.Mutability, "meta is read-only: Gatehouse maintains it")
		case specialPassword:
			t.special = specialPassword
			return nil
		case specialSchemas:
			if !qualified {
				t.special = specialSchemas
				return nil
			}
		}
		if a := scim.CommonAttr(attrName); a != nil {
			t.attr, t.name = a, a.Name
			return nil
		}
		if a := scim.User.Attr(attrName); a != nil {
			t.attr, t.name = a, a.Name
			return nil
		}
		if !qualified {
			if a := scim.EnterpriseUser.Attr(attrName); a != nil {
				t.schema, t.ext, t.attr, t.name = scim.EnterpriseUser, scim.EnterpriseUserSchema, a, a.Name
				return nil
			}
			return fail(scim.InvalidPath, "%q is not an attribute of the User schema; check the spelling, or qualify an extension attribute with its schema URN (urn:…:User:attribute)", attrName)
		}
		return fail(scim.InvalidPath, "%q is not an attribute of the core User schema", attrName)
	}
	if a := scim.EnterpriseUser.Attr(attrName); a != nil {
		t.attr, t.name = a, a.Name
		return nil
	}
	return fail(scim.InvalidPath, "%q is not an attribute of the enterprise User extension; its attributes are %s",
		attrName, attrNames(scim.EnterpriseUser.Attributes))
}

func readOnlyHint(name string) string {
	if name == "groups" {
		return "group memberships are not changed through the User resource"
	}
	return "Gatehouse maintains it"
}

// resolveURN splits a URN-qualified path head. It reports whole when head
// names a schema alone; otherwise it sets t's schema and extension key and
// returns the attribute part (which may still hold ".sub").
func resolveURN(doc map[string]any, head string, hasFilter bool, t *target) (whole bool, attr string, f *failure) {
	for _, s := range schemaURNs {
		if strings.EqualFold(head, s.urn) {
			t.schema = s.schema
			if s.schema == scim.EnterpriseUser {
				t.ext = scim.EnterpriseUserSchema
			}
			return true, "", nil
		}
		// ":" is the RFC's separator; "." is what Entra's jobs sent
		// before December 2018.
		if len(head) > len(s.urn)+1 && hasPrefixFold(head, s.urn) && (head[len(s.urn)] == ':' || head[len(s.urn)] == '.') {
			t.schema = s.schema
			if s.schema == scim.EnterpriseUser {
				t.ext = scim.EnterpriseUserSchema
			}
			return false, head[len(s.urn)+1:], nil
		}
	}
	for _, reserved := range []string{"urn:ietf:params:scim:schemas:core:", "urn:ietf:params:scim:api:"} {
		if hasPrefixFold(head, reserved) {
			return false, "", fail(scim.InvalidPath, "%q does not belong to a User: its URN is not the User schema or one of its extensions", head)
		}
	}
	// A custom extension. The document's own keys settle whether head
	// is the extension itself; otherwise the usual shape
	// urn:…:<version>:<Resource> is an extension and anything after it
	// an attribute.
	if k, _, ok := lookup(doc, head); ok {
		t.ext = k
		return true, "", nil
	}
	i := strings.LastIndexByte(head, ':')
	if i <= len("urn:") {
		return false, "", fail(scim.InvalidPath, "%q is not a schema URN followed by an attribute name, as in urn:…:User:department", head)
	}
	urn, last := head[:i], head[i+1:]
	prev := urn[strings.LastIndexByte(urn, ':')+1:]
	if !hasFilter && (isVersion(last) || isVersion(prev)) {
		t.ext = extKey(doc, head)
		return true, "", nil
	}
	if !validURN(urn) {
		return false, "", fail(scim.InvalidPath, "%q is not a schema URN", urn)
	}
	t.ext = extKey(doc, urn)
	return false, last, nil
}

// extKey returns the document's spelling of the extension URN urn, or urn.
func extKey(doc map[string]any, urn string) string {
	if k, _, ok := lookup(doc, urn); ok {
		return k
	}
	return urn
}

// isVersion reports whether a URN segment is a version such as "2.0".
func isVersion(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if (s[i] < '0' || s[i] > '9') && s[i] != '.' {
			return false
		}
	}
	return true
}

func validURN(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == '"' || c == '[' || c == ']' || c >= 0x7f {
			return false
		}
	}
	return true
}

// splitPath cuts a path into its attribute part, the text of a value filter
// and the sub-attribute after the filter.
func splitPath(path string) (head, filter, after string, f *failure) {
	i := strings.IndexByte(path, '[')
	if i < 0 {
		if strings.ContainsAny(path, "]\"") {
			return "", "", "", fail(scim.InvalidPath, "the path has a \"]\" or a quote outside a filter; a filter goes in brackets after the attribute, as in emails[type eq \"work\"]")
		}
		return strings.TrimSpace(path), "", "", nil
	}
	head = strings.TrimSpace(path[:i])
	if head == "" {
		return "", "", "", fail(scim.InvalidPath, "a filter needs an attribute before \"[\"")
	}
	end := -1
	inString := false
scan:
	for j := i + 1; j < len(path); j++ {
		switch c := path[j]; {
		case inString && c == '\\':
			j++
		case c == '"':
			inString = !inString
		case !inString && c == '[':
			return "", "", "", fail(scim.InvalidPath, "a filter cannot contain another \"[\"; write one filter, as in emails[type eq \"work\" and primary eq true]")
		case !inString && c == ']':
			end = j
			break scan
		}
	}
	if end < 0 {
		return "", "", "", fail(scim.InvalidPath, "the filter after %q is not closed with \"]\"", head)
	}
	filter = strings.TrimSpace(path[i+1 : end])
	if filter == "" {
		return "", "", "", fail(scim.InvalidPath, "the filter [] is empty; put a condition in it, as in emails[type eq \"work\"]")
	}
	rest := strings.TrimSpace(path[end+1:])
	if rest != "" {
		if rest[0] != '.' || !validName(rest[1:]) {
			return "", "", "", fail(scim.InvalidPath, "only \".subAttribute\" may follow a filter, not %q", rest)
		}
		after = rest[1:]
	}
	return head, filter, after, nil
}

// validName checks an attribute name (RFC 7643 §2.1: ALPHA *(nameChar)),
// also allowing the leading "$" of "$ref".
func validName(s string) bool {
	if strings.HasPrefix(s, "$") {
		s = s[1:]
	}
	if s == "" || !isAlpha(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !isAlpha(c) && (c < '0' || c > '9') && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func subNames(a *scim.Attribute) string { return attrNames(a.SubAttributes) }

func attrNames(attrs []*scim.Attribute) string {
	names := make([]string, 0, len(attrs))
	for _, a := range attrs {
		if a.Mutability != scim.ReadOnly {
			names = append(names, a.Name)
		}
	}
	return strings.Join(names, ", ")
}

// truncate shortens s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
