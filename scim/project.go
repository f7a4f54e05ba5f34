package scim

import (
	"strings"
)

// alwaysReturned are the attributes every projection keeps (RFC 7643: id
// and userName are returned "always"; schemas identifies the resource).
var alwaysReturned = []string{"id", "schemas", "userName"}

// ParseAttributeList splits the value of an attributes or excludedAttributes
// query parameter into attribute names: comma-separated, spaces trimmed,
// empty names dropped. A value filter in a name, which RFC 7644 does not
// allow there but Microsoft's test collection sends
// (emails[type eq "work"]), is removed, leaving the attribute
// (emails[type eq "work"].value gives emails.value); commas inside the
// filter do not split.
func ParseAttributeList(q string) []string {
	var out []string
	add := func(name string) {
		if name = strings.TrimSpace(stripFilters(name)); name != "" {
			out = append(out, name)
		}
	}
	depth, quoted, from := 0, false, 0
	for i := 0; i < len(q); i++ {
		switch c := q[i]; {
		case quoted:
			quoted = c != '"'
		case c == '"' && depth > 0:
			quoted = true
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case c == ',' && depth == 0:
			add(q[from:i])
			from = i + 1
		}
	}
	add(q[from:])
	return out
}

// Project applies the attributes and excludedAttributes query parameters
// (RFC 7644 §3.4.2.5, §3.9) to a resource (a User, a Group, or any object
// of the same shape).
//
// Names match in any case and may be sub-attributes ("name.givenName",
// "emails.value", which keeps value in every element of emails) or
// URN-qualified ("urn:ietf:params:scim:schemas:core:2.0:User:userName", or
// "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value";
// the enterprise URN alone names the whole extension; legacy OneLogin URNs
// work too). Names that match nothing are ignored. id, schemas and userName
// are always returned.
//
// With attributes, only the named attributes are returned. With
// excludedAttributes, everything but the named attributes is returned. The
// RFC does not say what both together mean; Gatehouse lets attributes win
// and ignores excludedAttributes, rather than fail a client over it. With
// neither, resource itself is returned; otherwise the result is new and
// shares nothing with resource.
func Project(resource map[string]any, attributes, excludedAttributes []string) map[string]any {
	switch {
	case len(attributes) > 0:
		sel := &selection{}
		for _, a := range alwaysReturned {
			sel.add([]string{a})
		}
		for _, a := range attributes {
			sel.add(attributePath(a, resource))
		}
		out, _ := include(resource, sel)
		m, _ := out.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		return m
	case len(excludedAttributes) > 0:
		sel := &selection{}
		for _, a := range excludedAttributes {
			p := attributePath(a, resource)
			if len(p) == 1 && isAlwaysReturned(p[0]) {
				continue
			}
			sel.add(p)
		}
		out := make(map[string]any, len(resource))
		for k, v := range resource {
			child := sel.kids[strings.ToLower(k)]
			if child == nil {
				out[k] = deepCopy(v)
			} else if r, ok := exclude(v, child); ok {
				out[k] = r
			}
		}
		return out
	}
	return resource
}

func isAlwaysReturned(name string) bool {
	for _, a := range alwaysReturned {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}

// selection is a tree of attribute paths, keyed by lower-case name.
type selection struct {
	all  bool // the whole value at this point is selected
	kids map[string]*selection
}

// add selects path; an empty path selects nothing (an unresolvable name).
func (s *selection) add(path []string) {
	if len(path) == 0 {
		return
	}
	for _, name := range path {
		if s.all {
			return
		}
		if s.kids == nil {
			s.kids = map[string]*selection{}
		}
		k := strings.ToLower(name)
		if s.kids[k] == nil {
			s.kids[k] = &selection{}
		}
		s = s.kids[k]
	}
	s.all, s.kids = true, nil
}

// include copies the selected parts of v; ok is false when nothing is
// selected.
func include(v any, s *selection) (_ any, ok bool) {
	if s.all {
		return deepCopy(v), true
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if child := s.kids[strings.ToLower(k)]; child != nil {
				if r, ok := include(e, child); ok {
					out[k] = r
				}
			}
		}
		return out, len(out) > 0
	case []any:
		var out []any
		for _, e := range x {
			if r, ok := include(e, s); ok {
				out = append(out, r)
			}
		}
		return out, len(out) > 0
	}
	return nil, false
}

// exclude copies v without the selected parts; ok is false when nothing is
// left.
func exclude(v any, s *selection) (_ any, ok bool) {
	if s.all {
		return nil, false
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			child := s.kids[strings.ToLower(k)]
			if child == nil {
				out[k] = deepCopy(e)
			} else if r, ok := exclude(e, child); ok {
				out[k] = r
			}
		}
		return out, len(out) > 0
	case []any:
		var out []any
		for _, e := range x {
			if r, ok := exclude(e, s); ok {
				out = append(out, r)
			}
		}
		return out, len(out) > 0
	}
	return deepCopy(v), true
}

// attributePath resolves an attribute name to the keys leading to it in
// resource: "name.givenName" gives [name givenName], an enterprise name
// gives [EnterpriseUserSchema manager value]. It returns nil for a name that
// cannot name anything.
func attributePath(name string, resource map[string]any) []string {
	name = stripFilters(strings.TrimSpace(name))
	if name == "" {
		return nil
	}
	if !isURN(name) {
		return strings.Split(name, ".")
	}
	if urn, rest, known := splitKnownURN(name); known {
		if urn == UserSchema {
			if rest == "" {
				return nil
			}
			return strings.Split(rest, ".")
		}
		if rest == "" {
			return []string{urn}
		}
		return append([]string{urn}, strings.Split(rest, ".")...)
	}
	// Another extension: the longest URN key of resource that name starts
	// with, followed by an attribute path.
	best := ""
	for k := range resource {
		if !isURN(k) || len(k) <= len(best) || len(name) < len(k) || !strings.EqualFold(name[:len(k)], k) {
			continue
		}
		if len(name) == len(k) || name[len(k)] == ':' {
			best = k
		}
	}
	switch {
	case best == "":
		return nil
	case len(name) == len(best) || len(name) == len(best)+1:
		return []string{best}
	}
	return append([]string{best}, strings.Split(name[len(best)+1:], ".")...)
}

// stripFilters removes value filters: emails[type eq "work"].value gives
// emails.value.
func stripFilters(name string) string {
	if !strings.ContainsRune(name, '[') {
		return name
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case quoted:
			quoted = c != '"'
		case c == '"' && depth > 0:
			quoted = true
		case c == '[':
			depth++
		case c == ']' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
