package scimfilter

import (
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// Filter is a parsed filter: a Compare, And, Or, Not or ValuePath. Parse
// builds them; a store walks them with a type switch. String renders the
// filter in SCIM syntax, which Parse reads back to an equal Filter.
type Filter interface {
	String() string
	isFilter()
}

// Attr is a filterable attribute, by its canonical path ("userName",
// "name.givenName", "emails.value", "meta.created"). Sub-attributes of emails
// keep their full path inside a value path too.
type Attr string

// The filterable attributes (behaviour.md decision 2).
const (
	ID           Attr = "id"
	ExternalID   Attr = "externalId"
	UserName     Attr = "userName"
	DisplayName  Attr = "displayName"
	GivenName    Attr = "name.givenName"
	FamilyName   Attr = "name.familyName"
	Formatted    Attr = "name.formatted"
	EmailValue   Attr = "emails.value"
	EmailType    Attr = "emails.type"
	EmailPrimary Attr = "emails.primary"
	Active       Attr = "active"
	Created      Attr = "meta.created"
	LastModified Attr = "meta.lastModified"

	// Emails is the multi-valued attribute a ValuePath filters; it is not a
	// Compare's attribute (a bare "emails" compares emails.value).
	Emails Attr = "emails"
)

// attrInfo is what the parser and stores need to know of an attribute.
type attrInfo struct {
	typ       scim.Type
	caseExact bool
}

// attrs describes the filterable attributes. Only id is case-exact:
// externalId is caseExact in RFC 7643, but Gatehouse matches extern_uid
// case-insensitively everywhere (decision 8), filters included.
var attrs = map[Attr]attrInfo{
	ID:           {scim.String, true},
	ExternalID:   {scim.String, false},
	UserName:     {scim.String, false},
	DisplayName:  {scim.String, false},
	GivenName:    {scim.String, false},
	FamilyName:   {scim.String, false},
	Formatted:    {scim.String, false},
	EmailValue:   {scim.String, false},
	EmailType:    {scim.String, false},
	EmailPrimary: {scim.Boolean, false},
	Active:       {scim.Boolean, false},
	Created:      {scim.DateTime, false},
	LastModified: {scim.DateTime, false},
}

// filterable lists the filterable attributes in the order error details and
// documentation name them.
var filterable = []Attr{ID, ExternalID, UserName, DisplayName, GivenName, FamilyName, Formatted,
	EmailValue, EmailType, EmailPrimary, Active, Created, LastModified}

// Filterable returns the filterable attributes, for documentation and
// discovery.
func Filterable() []Attr { return append([]Attr(nil), filterable...) }

// Type returns the attribute's SCIM type: scim.String, scim.Boolean or
// scim.DateTime; "" for an attribute that is not filterable.
func (a Attr) Type() scim.Type { return attrs[a].typ }

// CaseExact reports whether string comparisons on the attribute respect
// letter case. When false, stores compare canonical keys (package canon).
func (a Attr) CaseExact() bool { return attrs[a].caseExact }

// InEmails reports whether the attribute is a sub-attribute of emails, which
// a store keeps apart from the identity's own columns.
func (a Attr) InEmails() bool { return strings.HasPrefix(string(a), "emails.") }

// Op is a comparison operator of RFC 7644 §3.4.2.2, in lower case.
type Op string

// The comparison operators.
const (
	Eq Op = "eq" // equal
	Ne Op = "ne" // not equal
	Co Op = "co" // contains
	Sw Op = "sw" // starts with
	Ew Op = "ew" // ends with
	Gt Op = "gt" // greater than
	Ge Op = "ge" // greater than or equal
	Lt Op = "lt" // less than
	Le Op = "le" // less than or equal
	Pr Op = "pr" // present (has a value)
)

// Compare compares an attribute with a value: Attr Op Value.
//
// Value's dynamic type follows Attr.Type: string for scim.String, bool for
// scim.Boolean, time.Time (in UTC, with the precision the client sent) for
// scim.DateTime; it is nil when Op is Pr. A filter comparing with null
// parses to Pr ("ne null") or Not of Pr ("eq null").
type Compare struct {
	Attr  Attr
	Op    Op
	Value any
}

// And matches what both L and R match.
type And struct{ L, R Filter }

// Or matches what L or R matches.
type Or struct{ L, R Filter }

// Not matches what X does not match.
type Not struct{ X Filter }

// ValuePath matches a resource when one element of the multi-valued Attr
// (Emails) matches Filter as a whole; Filter's attributes are Attr's
// sub-attributes. A comparison after the brackets, as in
// emails[type eq "work"].value eq "x", applies to the same element, so it
// parses to ValuePath{Emails, And{type eq "work", value eq "x"}}.
type ValuePath struct {
	Attr   Attr
	Filter Filter
}

func (Compare) isFilter()   {}
func (And) isFilter()       {}
func (Or) isFilter()        {}
func (Not) isFilter()       {}
func (ValuePath) isFilter() {}

// Operator precedence in rendering: or binds loosest, then and, then the
// rest.
const (
	precOr = iota + 1
	precAnd
	precTerm
)

func prec(f Filter) int {
	switch f.(type) {
	case Or:
		return precOr
	case And:
		return precAnd
	}
	return precTerm
}

// write renders f into b; inside is the value path f sits in, whose prefix
// the attribute names drop.
func write(b *strings.Builder, f Filter, inside Attr) {
	switch f := f.(type) {
	case Compare:
		name := string(f.Attr)
		if inside != "" {
			name = strings.TrimPrefix(name, string(inside)+".")
		}
		b.WriteString(name)
		b.WriteString(" ")
		b.WriteString(string(f.Op))
		switch v := f.Value.(type) {
		case string:
			b.WriteString(" ")
			b.WriteString(quote(v))
		case bool:
			if v {
				b.WriteString(" true")
			} else {
				b.WriteString(" false")
			}
		case time.Time:
			b.WriteString(" ")
			b.WriteString(quote(v.Format(time.RFC3339Nano)))
		}
	case And:
		binary(b, f.L, f.R, "and", precAnd, inside)
	case Or:
		binary(b, f.L, f.R, "or", precOr, inside)
	case Not:
		b.WriteString("not (")
		write(b, f.X, inside)
		b.WriteString(")")
	case ValuePath:
		b.WriteString(string(f.Attr))
		b.WriteString("[")
		write(b, f.Filter, f.Attr)
		b.WriteString("]")
	}
}

// binary renders l op r, with parentheses where the parser would otherwise
// build another tree: around a looser operand, and around a right operand of
// the same operator (the parser groups a and b and c to the left).
func binary(b *strings.Builder, l, r Filter, op string, p int, inside Attr) {
	operand(b, l, prec(l) < p, inside)
	b.WriteString(" " + op + " ")
	operand(b, r, prec(r) <= p, inside)
}

func operand(b *strings.Builder, f Filter, paren bool, inside Attr) {
	if paren {
		b.WriteString("(")
	}
	write(b, f, inside)
	if paren {
		b.WriteString(")")
	}
}

func render(f Filter) string {
	var b strings.Builder
	write(&b, f, "")
	return b.String()
}

// String renders the comparison in SCIM syntax.
func (c Compare) String() string { return render(c) }

// String renders the filter in SCIM syntax.
func (a And) String() string { return render(a) }

// String renders the filter in SCIM syntax.
func (o Or) String() string { return render(o) }

// String renders the filter in SCIM syntax.
func (n Not) String() string { return render(n) }

// String renders the filter in SCIM syntax.
func (v ValuePath) String() string { return render(v) }
