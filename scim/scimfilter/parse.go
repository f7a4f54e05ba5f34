package scimfilter

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	filter "github.com/scim2/filter-parser/v2"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// The limits Parse enforces, so that a filter costs the database a bounded
// amount of work. A filter beyond one is refused with invalidFilter.
const (
	// MaxLength is the longest filter accepted, in bytes.
	MaxLength = 4096
	// MaxDepth is the deepest nesting of parentheses (a not's included) and
	// value-path brackets.
	MaxDepth = 8
	// MaxComparisons is the most comparisons one filter may hold, those
	// inside value paths included.
	MaxComparisons = 32
)

// invalid returns the invalidFilter error every Parse failure is.
func invalid(format string, args ...any) *scim.Error {
	return scim.Errorf(400, scim.InvalidFilter, format, args...)
}

// filterableList names the filterable attributes for error details.
var filterableList = func() string {
	names := make([]string, len(filterable))
	for i, a := range filterable {
		names[i] = string(a)
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1] +
		`, and value paths on emails such as emails[type eq "work"].value`
}()

func unknownAttr(name string) *scim.Error {
	return invalid("unknown attribute %q in the filter; the filterable attributes are %s", name, filterableList)
}

func notFilterable(name string) *scim.Error {
	return invalid("attribute %q cannot be used in a filter; the filterable attributes are %s", name, filterableList)
}

// syntaxError is the detail when the strict parser refuses what the
// normaliser let through.
func syntaxError() *scim.Error {
	return invalid("the filter is not valid SCIM filter syntax (RFC 7644 section 3.4.2.2)")
}

// Parse parses a SCIM filter (RFC 7644 §3.4.2.2) on Users. An empty or
// blank s is no filter: Parse returns nil and no error, and a nil Filter
// matches every resource.
//
// Every error is a *scim.Error with Status 400 and ScimType invalidFilter,
// whose Detail says what is wrong and, where it can, where: an unknown or
// unfilterable attribute is named with the list of filterable ones, a
// structural mistake with its 1-based byte position. Parse never panics, and
// is safe for concurrent use.
func Parse(s string) (Filter, error) {
	if len(s) > MaxLength {
		return nil, invalid("the filter is longer than %d bytes", MaxLength)
	}
	if !utf8.ValidString(s) {
		return nil, invalid("the filter is not valid UTF-8")
	}
	if strings.TrimLeft(s, " \t\r\n") == "" {
		return nil, nil
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	if f, ok := simple(toks); ok {
		return f, nil
	}
	return parseTokens(toks)
}

// parseTokens is the general path of Parse: the prepass normalises the
// tokens, the strict parser reads the result.
func parseTokens(toks []token) (Filter, error) {
	p := &prepass{toks: toks, out: new(strings.Builder)}
	if err := p.run(); err != nil {
		return nil, err
	}
	c := &converter{paths: p.paths}
	return c.parse(p.out.String(), "")
}

// simpleAttrs are the string attributes a lookup names by their plain
// names, lower-cased.
var simpleAttrs = map[string]Attr{
	"id": ID, "externalid": ExternalID, "username": UserName, "displayname": DisplayName,
	"name.givenname": GivenName, "name.familyname": FamilyName, "name.formatted": Formatted,
	"emails": EmailValue, "emails.value": EmailValue, "emails.type": EmailType,
}

// simple reads the one shape IdPs send on every lookup, `attr eq "value"`
// on a string attribute, without the general parser, which costs a hundred
// times more. It gives the same Filter the general path would, and leaves
// every other shape to it.
func simple(toks []token) (Filter, bool) {
	if len(toks) != 4 || toks[0].kind != tokWord || toks[1].kind != tokWord || toks[2].kind != tokString || toks[3].kind != tokEOF {
		return nil, false
	}
	if !strings.EqualFold(toks[1].text, "eq") {
		return nil, false
	}
	a, ok := simpleAttrs[strings.ToLower(toks[0].text)]
	if !ok || strings.ContainsRune(toks[2].text, 0) {
		return nil, false // the general path names the problem
	}
	return Compare{Attr: a, Op: Eq, Value: toks[2].text}, true
}

// converter turns the strict parser's trees into Filters.
type converter struct {
	paths []rawValuePath // the value paths the prepass lifted out
}

// parse parses a normalised filter whose attributes are inside's
// sub-attributes (top-level ones when inside is "").
func (c *converter) parse(text string, inside Attr) (Filter, error) {
	e, err := filter.ParseFilterNumber([]byte(text))
	if err != nil {
		return nil, syntaxError()
	}
	return c.convert(e, inside)
}

func (c *converter) convert(e filter.Expression, inside Attr) (Filter, error) {
	switch e := e.(type) {
	case *filter.LogicalExpression:
		l, err := c.convert(e.Left, inside)
		if err != nil {
			return nil, err
		}
		r, err := c.convert(e.Right, inside)
		if err != nil {
			return nil, err
		}
		switch e.Operator {
		case filter.AND:
			return And{l, r}, nil
		case filter.OR:
			return Or{l, r}, nil
		}
	case *filter.NotExpression:
		x, err := c.convert(e.Expression, inside)
		if err != nil {
			return nil, err
		}
		return Not{x}, nil
	case *filter.AttributeExpression:
		if n, ok := c.placeholder(e, inside); ok {
			return c.valuePath(c.paths[n])
		}
		return compare(e, inside)
	}
	return nil, syntaxError()
}

// placeholder reports which value path e stands for, if it is a
// placeholder.
func (c *converter) placeholder(e *filter.AttributeExpression, inside Attr) (int, bool) {
	p := e.AttributePath
	if inside != "" || p.URIPrefix != nil || p.SubAttribute != nil || e.Operator != filter.PR {
		return 0, false
	}
	digits, ok := strings.CutPrefix(p.AttributeName, "$vp")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 0 || n >= len(c.paths) || placeholder(n) != p.AttributeName {
		return 0, false
	}
	return n, true
}

// valuePath parses a value path the prepass lifted out.
func (c *converter) valuePath(vp rawValuePath) (Filter, error) {
	path, err := filter.ParseAttrPath([]byte(vp.attr))
	if err != nil {
		return nil, syntaxError()
	}
	a, err := resolveMulti(path)
	if err != nil {
		return nil, err
	}
	f, err := c.parse(vp.inner, a)
	if err != nil {
		return nil, err
	}
	if vp.sub != "" {
		e, err := filter.ParseFilterNumber([]byte(vp.sub))
		if err != nil {
			return nil, syntaxError()
		}
		ae, ok := e.(*filter.AttributeExpression)
		if !ok {
			return nil, syntaxError()
		}
		s, err := compare(ae, a)
		if err != nil {
			return nil, err
		}
		f = And{f, s}
	}
	return ValuePath{Attr: a, Filter: f}, nil
}

// schemaAttr finds a core or common attribute by name, in any case.
func schemaAttr(name string) *scim.Attribute {
	if a := scim.CommonAttr(name); a != nil {
		return a
	}
	return scim.User.Attr(name)
}

// coreURI reports whether a path's schema URN prefix names the core User
// schema, which may prefix any core attribute. Other URNs are extensions.
func coreURI(uri string) bool {
	return strings.EqualFold(uri, scim.UserSchema) || strings.EqualFold(uri, scim.LegacyUserSchema)
}

// extension explains a path under an extension schema's URN: the enterprise
// extension's attributes exist but are not filterable; anything else is
// unknown.
func extension(p filter.AttributePath) *scim.Error {
	uri := p.URI()
	if strings.EqualFold(uri, scim.EnterpriseUserSchema) || strings.EqualFold(uri, scim.LegacyEnterpriseSchema) {
		if a := scim.EnterpriseUser.Attr(p.AttributeName); a != nil {
			name := scim.EnterpriseUserSchema + ":" + a.Name
			if p.SubAttribute == nil {
				return notFilterable(name)
			}
			if s := a.Sub(p.SubAttributeName()); s != nil {
				return notFilterable(name + "." + s.Name)
			}
		}
	}
	return unknownAttr(p.String())
}

// resolve returns the filterable attribute a path names: a top-level path
// when inside is "", else a sub-attribute of inside. Names match in any
// case. A multi-valued attribute named without a sub-attribute means its
// value ("emails co …" is "emails.value co …", RFC 7644 §3.4.2.2).
func resolve(p filter.AttributePath, inside Attr) (Attr, error) {
	if inside != "" {
		if p.URIPrefix != nil || p.SubAttribute != nil {
			return "", invalid("inside %s[…] name a sub-attribute of %s, such as value or type, not %q", inside, inside, p.String())
		}
		s := scim.User.Attr(string(inside)).Sub(p.AttributeName)
		if s == nil {
			return "", unknownAttr(string(inside) + "." + p.AttributeName)
		}
		a := Attr(string(inside) + "." + s.Name)
		if _, ok := attrs[a]; !ok {
			return "", notFilterable(string(a))
		}
		return a, nil
	}
	if p.URIPrefix != nil && !coreURI(p.URI()) {
		return "", extension(p)
	}
	a := schemaAttr(p.AttributeName)
	if a == nil {
		return "", unknownAttr(p.String())
	}
	name := a.Name
	switch {
	case p.SubAttribute != nil:
		s := a.Sub(p.SubAttributeName())
		if s == nil {
			return "", unknownAttr(a.Name + "." + p.SubAttributeName())
		}
		name += "." + s.Name
	case a.MultiValued && a.Sub("value") != nil:
		name += ".value"
	case a.Type == scim.Complex:
		var subs []string
		for _, f := range filterable {
			if strings.HasPrefix(string(f), a.Name+".") {
				subs = append(subs, string(f))
			}
		}
		if len(subs) == 0 {
			return "", notFilterable(a.Name)
		}
		return "", invalid("%q is a complex attribute; filter on its sub-attributes %s", a.Name, strings.Join(subs, " or "))
	}
	if _, ok := attrs[Attr(name)]; !ok {
		return "", notFilterable(name)
	}
	return Attr(name), nil
}

// resolveMulti returns the multi-valued attribute a value path's brackets
// follow; only emails can be filtered so.
func resolveMulti(p filter.AttributePath) (Attr, error) {
	if p.URIPrefix != nil && !coreURI(p.URI()) {
		return "", extension(p)
	}
	a := schemaAttr(p.AttributeName)
	switch {
	case a == nil:
		return "", unknownAttr(p.String())
	case p.SubAttribute != nil || !a.MultiValued:
		return "", invalid(`brackets must follow a multi-valued attribute, as in emails[type eq "work"], not %q`, p.String())
	case a.Name != string(Emails):
		return "", notFilterable(a.Name)
	}
	return Emails, nil
}

// compare converts one comparison, checking the operator and typing the
// value by the attribute.
func compare(e *filter.AttributeExpression, inside Attr) (Filter, error) {
	a, err := resolve(e.AttributePath, inside)
	if err != nil {
		return nil, err
	}
	op := Op(e.Operator)
	switch op {
	case Pr:
		return Compare{Attr: a, Op: Pr}, nil
	case Eq, Ne, Co, Sw, Ew, Gt, Ge, Lt, Le:
	default:
		return nil, syntaxError()
	}
	if e.CompareValue == nil {
		// RFC 7643 §2.5: null is the same as no value.
		switch op {
		case Eq:
			return Not{Compare{Attr: a, Op: Pr}}, nil
		case Ne:
			return Compare{Attr: a, Op: Pr}, nil
		}
		return nil, invalid("%s %s null: null can only be compared with eq or ne", a, op)
	}

	switch a.Type() {
	case scim.Boolean:
		if op != Eq && op != Ne {
			return nil, invalid("%s is a boolean: compare it with eq or ne, not %s", a, op)
		}
		b, ok := boolValue(e.CompareValue)
		if !ok {
			return nil, invalid("%s is a boolean: compare it with true or false, not %s", a, describeValue(e.CompareValue))
		}
		return Compare{Attr: a, Op: op, Value: b}, nil

	case scim.DateTime:
		if op == Co || op == Sw || op == Ew {
			return nil, invalid("%s is a date-time: compare it with eq, ne, gt, ge, lt or le, not %s", a, op)
		}
		s, ok := e.CompareValue.(string)
		var t time.Time
		if ok {
			if s, err = decodeString(s); err == nil {
				t, err = parseDateTime(s)
			}
		}
		if !ok || err != nil {
			return nil, invalid(`%s needs an RFC 3339 date-time such as "2011-05-13T04:42:34Z", not %s`, a, describeValue(e.CompareValue))
		}
		t = t.UTC()
		if y := t.Year(); y < 0 || y > 9999 {
			// "0000-01-01T00:00:00+01:00" is year -1 in UTC, which RFC 3339
			// cannot write, so the filter could not be written back.
			return nil, invalid("%s must fall in the years 0000 to 9999 in UTC, not %s", a, describeValue(e.CompareValue))
		}
		return Compare{Attr: a, Op: op, Value: t}, nil
	}

	var s string
	switch v := e.CompareValue.(type) {
	case string:
		if s, err = decodeString(v); err != nil {
			return nil, syntaxError()
		}
	case json.Number:
		// An unquoted number compared with a string attribute means the
		// string it spells (externalId eq 12345).
		s = string(v)
	default:
		return nil, invalid("%s is a string: write the value %s in quotes", a, describeValue(e.CompareValue))
	}
	if strings.ContainsRune(s, 0) {
		return nil, invalid("filter values must not contain the NUL character")
	}
	return Compare{Attr: a, Op: op, Value: s}, nil
}

// boolValue reads a boolean: true or false, or (as Entra sends them) the
// strings "True" and "False" in any case.
// dateTimeShape is RFC 3339's date-time, which time.Parse checks only
// loosely: it takes "T4:42:34" for "T04:42:34" and offsets of a day or more.
var dateTimeShape = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$`)

// parseDateTime reads an RFC 3339 date-time strictly.
func parseDateTime(s string) (time.Time, error) {
	if !dateTimeShape.MatchString(s) {
		return time.Time{}, fmt.Errorf("%q is not an RFC 3339 date-time", s)
	}
	return time.Parse(time.RFC3339Nano, s)
}

func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		s, err := decodeString(v)
		switch {
		case err != nil:
		case strings.EqualFold(s, "true"):
			return true, true
		case strings.EqualFold(s, "false"):
			return false, true
		}
	}
	return false, false
}

// describeValue writes a parsed value for an error detail.
func describeValue(v any) string {
	switch v := v.(type) {
	case string:
		if s, err := decodeString(v); err == nil {
			v = s
		}
		if len(v) > 40 {
			v = strings.ToValidUTF8(v[:40], "") + "…"
		}
		return strconv.Quote(v)
	case json.Number:
		return string(v)
	}
	return fmt.Sprint(v)
}
