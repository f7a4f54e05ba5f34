package scim

import (
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// statusBadRequest is the HTTP status of every error this file returns.
const statusBadRequest = 400

// maxIDLength is the longest userName or externalId accepted, in bytes; it
// matches the extern_uid limit of the domain.
const maxIDLength = 1024

// legacyCore1Schema is the SCIM 1.x core URN some OneLogin "Core" connector
// templates still send in schemas; it counts as the User schema.
const legacyCore1Schema = "urn:scim:schemas:core:1.0"

// readResult is the result of reading a document.
type readResult struct {
	doc           map[string]any
	externalID    string
	externalIDSet bool
	active        bool
	activeSet     bool
	ignored       []string
}

// sourced is an attribute value together with the key it was sent under, so
// that two spellings of one attribute can be reported.
type sourced struct {
	key string
	val any
}

// reader canonicalises one document.
type reader struct {
	ignored map[string]bool
}

func (r *reader) ignore(name string) { r.ignored[name] = true }

// The request log notes at most maxIgnored ignored names, each cut to
// maxIgnoredName bytes: they come from the client.
const (
	maxIgnored     = 32
	maxIgnoredName = 128
)

// ignoredNames returns the names of the ignored attributes, sorted and
// bounded for the request log.
func (r *reader) ignoredNames() []string {
	names := slices.Sorted(maps.Keys(r.ignored))
	if len(names) > maxIgnored {
		names = names[:maxIgnored]
	}
	for i, n := range names {
		names[i] = truncate(n, maxIgnoredName)
	}
	return slices.Compact(names)
}

// readUser canonicalises the decoded object in. With needSchemas, in must
// carry a schemas list naming the User schema (request bodies do; stored and
// patched documents need not). in is not modified, and the result shares
// nothing with it.
func readUser(in map[string]any, needSchemas bool) (*readResult, error) {
	r := &reader{ignored: map[string]bool{}}
	core := map[string]sourced{}
	ent := map[string]sourced{}
	doc := map[string]any{}
	schemasSeen := false

	for _, k := range slices.Sorted(maps.Keys(in)) {
		v := in[k]
		if v == nil {
			continue
		}
		if isURN(k) {
			if err := r.urnKey(k, v, core, ent, doc); err != nil {
				return nil, err
			}
			continue
		}
		if strings.EqualFold(k, "schemas") {
			if needSchemas {
				if err := checkSchemas(v); err != nil {
					return nil, err
				}
				schemasSeen = true
			}
			continue
		}
		if err := r.plainKey(k, k, v, core, ent); err != nil {
			return nil, err
		}
	}
	if needSchemas && !schemasSeen {
		return nil, errSchemas()
	}

	c := &readResult{doc: doc}
	for _, a := range User.Attributes {
		s, ok := core[a.Name]
		if !ok {
			continue
		}
		switch a.Name {
		case "password", "groups":
			// password is accepted and discarded; groups is read-only.
			continue
		case "userName":
			name, err := checkUserName(s.val)
			if err != nil {
				return nil, err
			}
			doc[a.Name] = name
			continue
		case "active":
			if s.val == "" {
				continue // an unfilled template placeholder
			}
			b, ok := toBool(s.val)
			if !ok {
				return nil, typeError("active", "a boolean (true or false)", s.val)
			}
			c.active, c.activeSet = b, true
			continue
		}
		v, ok, err := r.value(a, s.val, a.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			doc[a.Name] = v
		}
	}
	if _, ok := core["userName"]; !ok {
		return nil, Errorf(statusBadRequest, InvalidValue, "userName is required")
	}
	if s, ok := core["externalId"]; ok {
		id, ok := s.val.(string)
		if !ok {
			return nil, typeError("externalId", "a string", s.val)
		}
		if len(id) > maxIDLength {
			return nil, Errorf(statusBadRequest, InvalidValue, "externalId must be at most %d bytes", maxIDLength)
		}
		// An empty externalId (an unfilled template placeholder) is no
		// externalId: extern_uid can never be empty.
		c.externalID, c.externalIDSet = id, id != ""
	}

	extension := map[string]any{}
	for _, a := range EnterpriseUser.Attributes {
		s, ok := ent[a.Name]
		if !ok {
			continue
		}
		v, ok, err := r.value(a, s.val, EnterpriseUserSchema+":"+a.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			extension[a.Name] = v
		}
	}
	if len(extension) > 0 {
		doc[EnterpriseUserSchema] = extension
	}

	c.ignored = r.ignoredNames()
	return c, nil
}

// plainKey files an un-namespaced top-level key (or a member of a core-URN
// object; shown is how to name it in messages).
func (r *reader) plainKey(k, shown string, v any, core, ent map[string]sourced) error {
	if a := User.Attr(k); a != nil {
		return put(core, a.Name, a.Name, shown, v)
	}
	if a := CommonAttr(k); a != nil {
		if a.Name == "externalId" {
			return put(core, a.Name, a.Name, shown, v)
		}
		return nil // id and meta are Gatehouse's own
	}
	if a := EnterpriseUser.Attr(k); a != nil {
		// Older Entra mappings send enterprise attributes unqualified
		// ("department", "manager"); they belong to the extension.
		return put(ent, a.Name, EnterpriseUserSchema+":"+a.Name, shown, v)
	}
	r.ignore(shown)
	return nil
}

// urnKey files a top-level key that starts with "urn:".
func (r *reader) urnKey(k string, v any, core, ent map[string]sourced, doc map[string]any) error {
	urn, rest, known := splitKnownURN(k)
	switch {
	case !known:
		keepVerbatim(doc, k, v)
	case rest == "":
		obj, ok := v.(map[string]any)
		if !ok {
			return typeError(urn, "an object", v)
		}
		for _, sk := range slices.Sorted(maps.Keys(obj)) {
			sv := obj[sk]
			if sv == nil {
				continue
			}
			var err error
			if urn == EnterpriseUserSchema {
				if a := EnterpriseUser.Attr(sk); a != nil {
					err = put(ent, a.Name, urn+":"+a.Name, k+":"+sk, sv)
				} else {
					r.ignore(k + ":" + sk)
				}
			} else {
				err = r.plainKey(sk, k+":"+sk, sv, core, ent)
			}
			if err != nil {
				return err
			}
		}
	case urn == EnterpriseUserSchema && EnterpriseUser.Attr(rest) != nil:
		a := EnterpriseUser.Attr(rest)
		return put(ent, a.Name, urn+":"+a.Name, k, v)
	case urn == UserSchema && (User.Attr(rest) != nil || CommonAttr(rest) != nil):
		return r.plainKey(rest, k, v, core, ent)
	default:
		// A known URN followed by something that is not one of its
		// attributes: keep it as sent, like any other URN-keyed data.
		keepVerbatim(doc, k, v)
	}
	return nil
}

// keepVerbatim stores a copy of the value of a URN key Gatehouse has no
// schema for, without its nulls (null means absent at every depth); a value
// left empty is absent.
func keepVerbatim(doc map[string]any, k string, v any) {
	v = withoutNulls(v)
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return
		}
	case []any:
		if len(x) == 0 {
			return
		}
	}
	doc[k] = v
}

// withoutNulls copies a decoded JSON value, leaving out null object members
// and null array elements at every depth.
func withoutNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				m[k] = withoutNulls(e)
			}
		}
		return m
	case []any:
		s := make([]any, 0, len(x))
		for _, e := range x {
			if e != nil {
				s = append(s, withoutNulls(e))
			}
		}
		return s
	}
	return deepCopy(v)
}

// put records attribute name (shown as shown) sent under key, refusing a
// second spelling of the same attribute.
func put(m map[string]sourced, name, shown, key string, v any) error {
	if prev, ok := m[name]; ok {
		return Errorf(statusBadRequest, InvalidValue, "attribute %s is given more than once (as %q and %q); send it once", shown, prev.key, key)
	}
	m[name] = sourced{key: key, val: v}
	return nil
}

// splitKnownURN matches k against the User and enterprise URNs (any case,
// legacy spellings included). It returns the canonical URN and what follows
// it after a colon; known is false when k starts with no known URN.
func splitKnownURN(k string) (urn, rest string, known bool) {
	for _, c := range []struct{ prefix, urn string }{
		{UserSchema, UserSchema},
		{LegacyUserSchema, UserSchema},
		{legacyCore1Schema, UserSchema},
		{EnterpriseUserSchema, EnterpriseUserSchema},
		{LegacyEnterpriseSchema, EnterpriseUserSchema},
	} {
		if len(k) < len(c.prefix) || !strings.EqualFold(k[:len(c.prefix)], c.prefix) {
			continue
		}
		if len(k) == len(c.prefix) {
			return c.urn, "", true
		}
		if k[len(c.prefix)] == ':' && len(k) > len(c.prefix)+1 {
			return c.urn, k[len(c.prefix)+1:], true
		}
	}
	return "", "", false
}

// isURN reports whether a key is URN-qualified.
func isURN(k string) bool { return len(k) >= 4 && strings.EqualFold(k[:4], "urn:") }

func errSchemas() *Error {
	return Errorf(statusBadRequest, InvalidValue, "schemas must include %s", UserSchema)
}

// checkSchemas requires the User schema (or a legacy spelling of it) in a
// schemas value; a single string is taken as a list of one.
func checkSchemas(v any) error {
	var list []any
	switch v := v.(type) {
	case []any:
		list = v
	case string:
		list = []any{v}
	default:
		return typeError("schemas", "an array of strings", v)
	}
	found := false
	for _, e := range list {
		s, ok := e.(string)
		if !ok {
			return typeError("schemas", "an array of strings", v)
		}
		for _, u := range []string{UserSchema, LegacyUserSchema, legacyCore1Schema} {
			found = found || strings.EqualFold(strings.TrimSpace(s), u)
		}
	}
	if !found {
		return errSchemas()
	}
	return nil
}

// checkUserName applies the userName rules: a non-blank string of at most
// 1024 bytes, kept exactly as sent.
func checkUserName(v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", typeError("userName", "a string", v)
	}
	if strings.TrimSpace(s) == "" {
		return "", Errorf(statusBadRequest, InvalidValue, "userName must not be empty")
	}
	if len(s) > maxIDLength {
		return "", Errorf(statusBadRequest, InvalidValue, "userName must be at most %d bytes", maxIDLength)
	}
	return s, nil
}

// value canonicalises the value v of attribute a, named name in messages. ok
// is false when the value counts as absent (null, "", an empty array or
// object).
func (r *reader) value(a *Attribute, v any, name string) (_ any, ok bool, _ error) {
	if v == nil {
		return nil, false, nil
	}
	if !a.MultiValued {
		return r.single(a, v, name)
	}
	list, isList := v.([]any)
	if !isList {
		if _, isObj := v.(map[string]any); !isObj || a.Type != Complex {
			return nil, false, typeError(name, "an array", v)
		}
		list = []any{v} // one object where an array belongs
	}
	var out []any
	for i, e := range list {
		if e == nil {
			continue
		}
		ev, ok, err := r.single(a, e, indexed(name, i))
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, ev)
		}
	}
	if len(out) == 0 {
		return nil, false, nil
	}
	return out, true, nil
}

// single canonicalises one value (an element, for a multi-valued a).
func (r *reader) single(a *Attribute, v any, name string) (_ any, ok bool, _ error) {
	if v == "" {
		// "" clears an attribute, as in PATCH; IdP templates send it for
		// values a user does not have.
		return nil, false, nil
	}
	switch a.Type {
	case String, Reference, Binary:
		if _, isStr := v.(string); !isStr {
			return nil, false, typeError(name, "a string", v)
		}
		return v, true, nil
	case DateTime:
		s, isStr := v.(string)
		if !isStr {
			return nil, false, typeError(name, "a dateTime string (RFC 3339)", v)
		}
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			return nil, false, Errorf(statusBadRequest, InvalidValue, "%s must be a dateTime string (RFC 3339), got %q", name, s)
		}
		return s, true, nil
	case Boolean:
		b, isBool := toBool(v)
		if !isBool {
			return nil, false, typeError(name, "a boolean (true or false)", v)
		}
		return b, true, nil
	case Integer, Decimal:
		f, isNum := toNumber(v)
		if !isNum || a.Type == Integer && f != math.Trunc(f) {
			return nil, false, typeError(name, "a number", v)
		}
		return f, true, nil
	case Complex:
		return r.complex(a, v, name)
	}
	return nil, false, Errorf(statusBadRequest, InvalidValue, "%s has a type Gatehouse does not know", name)
}

func (r *reader) complex(a *Attribute, v any, name string) (_ any, ok bool, _ error) {
	if !a.MultiValued && a.Sub("value") != nil {
		// Entra sends manager as a bare id string, and its legacy mappings
		// as a one-element array; both mean {"value": ...}.
		switch x := v.(type) {
		case string:
			if x == "" {
				return nil, false, nil
			}
			v = map[string]any{"value": x}
		case []any:
			switch {
			case len(x) == 0:
				return nil, false, nil
			case len(x) == 1:
				v = x[0]
			default:
				return nil, false, typeError(name, "an object", v)
			}
		}
	}
	obj, isObj := v.(map[string]any)
	if !isObj {
		return nil, false, typeError(name, "an object", v)
	}
	out := map[string]any{}
	from := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		sv := obj[k]
		if sv == nil {
			continue
		}
		sa := a.Sub(k)
		if sa == nil {
			r.ignore(unindexed(name) + "." + k)
			continue
		}
		if sa.Mutability == ReadOnly {
			continue // Gatehouse's to set (manager.displayName), never the client's
		}
		if prev, dup := from[sa.Name]; dup {
			return nil, false, Errorf(statusBadRequest, InvalidValue, "attribute %s.%s is given more than once (as %q and %q); send it once", name, sa.Name, prev, k)
		}
		from[sa.Name] = k
		cv, ok, err := r.value(sa, sv, name+"."+sa.Name)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[sa.Name] = cv
		}
	}
	if len(out) == 0 || a.MultiValued && onlyLabels(out) {
		return nil, false, nil
	}
	return out, true, nil
}

// onlyLabels reports whether an element of a multi-valued attribute holds
// nothing but its type and primary flag, which describe no value.
func onlyLabels(m map[string]any) bool {
	for k := range m {
		if k != "type" && k != "primary" {
			return false
		}
	}
	return true
}

// toBool reads a boolean, accepting the strings "true" and "false" in any
// letter case (Entra's legacy PATCH, Microsoft's test collection).
func toBool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch {
		case strings.EqualFold(x, "true"):
			return true, true
		case strings.EqualFold(x, "false"):
			return false, true
		}
	}
	return false, false
}

func toNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func typeError(name, want string, got any) *Error {
	return Errorf(statusBadRequest, InvalidValue, "%s must be %s, got %s", name, want, jsonType(got))
}

// jsonType names the JSON type of a decoded value, for messages.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64, json.Number:
		return "number"
	case string:
		if len(x) > 40 {
			return "a string"
		}
		return "string " + quote(x)
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "an unsupported value"
}

func quote(s string) string { b, _ := json.Marshal(s); return string(b) }

// indexed names element i of a multi-valued attribute: emails[0].
func indexed(name string, i int) string { return name + "[" + strconv.Itoa(i) + "]" }

// unindexed drops the element indexes from a name: emails[0].x → emails.x.
func unindexed(name string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(name, '[')
		j := strings.IndexByte(name, ']')
		if i < 0 || j < i {
			b.WriteString(name)
			return b.String()
		}
		b.WriteString(name[:i])
		name = name[j+1:]
	}
}

// deepCopy copies a decoded JSON value so that the copy shares no maps or
// slices with the original.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e)
		}
		return s
	case []string:
		return slices.Clone(x)
	case []map[string]any:
		s := make([]map[string]any, len(x))
		for i, e := range x {
			s[i] = deepCopy(e).(map[string]any)
		}
		return s
	}
	return v
}
