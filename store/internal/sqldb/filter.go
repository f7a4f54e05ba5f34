package sqldb

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
)

// SCIM filters become one SQL condition on scim_identities, evaluated by the
// database on indexed columns:
//
//	id                 scim_id (case-exact)
//	externalId         extern_uid_key, only where external_id_set (decision 6a:
//	                   an identity whose IdP never sent externalId has none)
//	userName           user_name_key
//	displayName        display_name_key
//	name.givenName     given_name_key
//	name.familyName    family_name_key
//	name.formatted     formatted_name_key (of the stored document's
//	                   name.formatted, scim.FormattedName)
//	emails.*           value_key, type_key, is_primary of scim_identity_emails,
//	                   through scim_identities.id IN (SELECT identity_id …)
//	active             state: true is active or pending_link, false inactive
//	meta.created       created_at
//	meta.lastModified  updated_at
//
// Case-insensitive attributes compare their canonical key column with
// canon.Key of the value, so the rule is the one of uniqueness and lookups,
// the same on both databases. Strings compare byte by byte: SQLite's BINARY
// collation, and COLLATE "C" on PostgreSQL's filter columns (migration
// 00002). eq, ne, gt, ge, lt and le are plain comparisons; sw is the range
// [prefix, next prefix), which an index serves; ew compares the tail with
// substr; co is the dialect's Contains. No LIKE, whose case rules and
// wildcards differ between the databases.
//
// An empty string column means the attribute has no value: every operator
// but ne and pr is false on it, ne is the negation of eq, and pr tests for a
// value. Boolean columns (external_id_set, is_primary) are conditions by
// themselves on both databases (SQLite's are 0 or 1). Every condition is
// true or false, never NULL (the columns are NOT NULL and the bound values
// never are), so not is a plain NOT.

// maxFilterDepth bounds the recursion over a Filter built by hand;
// scimfilter.Parse builds none deeper than about MaxComparisons + MaxDepth
// (40) levels.
const maxFilterDepth = 64

// column says how one attribute is stored.
type column struct {
	name string // the column, or the column of scim_identity_emails
	// present is the condition that the attribute has a value; "" when it
	// always has one.
	present string
}

// filterCompiler builds the SQL of one filter.
type filterCompiler struct {
	q     *queries
	op    string // the store method, for errors
	args  []any  // placeholder $n binds args[n-1]
	group string // the placeholder of the group id
	depth int
}

// compileFilter returns the condition f makes on scim_identities and the
// arguments, args followed by the filter's. args[0] must be the group id.
// A filter that scimfilter.Parse would not build (an unknown attribute, a
// value of the wrong type, a value path inside another) is Invalid.
func (q *queries) compileFilter(op string, f scimfilter.Filter, args []any) (string, []any, error) {
	c := &filterCompiler{q: q, op: op, args: append([]any(nil), args...), group: "$1"}
	cond, err := c.expr(f, false)
	if err != nil {
		return "", nil, err
	}
	return "(" + cond + ")", c.args, nil
}

// arg binds v and returns its placeholder.
func (c *filterCompiler) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

func (c *filterCompiler) invalid(format string, args ...any) error {
	return c.q.invalid(c.op, "SCIM filter: "+format, args...)
}

// The conditions that are always true and always false.
const (
	sqlTrue  = "1 = 1"
	sqlFalse = "1 = 0"
)

// expr compiles f; inEmails is set inside an emails value path, where the
// attributes are those of one scim_identity_emails row.
func (c *filterCompiler) expr(f scimfilter.Filter, inEmails bool) (string, error) {
	c.depth++
	defer func() { c.depth-- }()
	if c.depth > maxFilterDepth {
		return "", c.invalid("the filter nests deeper than %d", maxFilterDepth)
	}
	switch f := f.(type) {
	case scimfilter.And:
		return c.binary(f.L, f.R, "AND", inEmails)
	case scimfilter.Or:
		return c.binary(f.L, f.R, "OR", inEmails)
	case scimfilter.Not:
		x, err := c.expr(f.X, inEmails)
		if err != nil {
			return "", err
		}
		return "NOT (" + x + ")", nil
	case scimfilter.ValuePath:
		if f.Attr != scimfilter.Emails || inEmails {
			return "", c.invalid("a value path on %q cannot be filtered here", f.Attr)
		}
		inner, err := c.expr(f.Filter, true)
		if err != nil {
			return "", err
		}
		return c.emails(inner), nil
	case scimfilter.Compare:
		if f.Attr.InEmails() && !inEmails {
			// Outside a value path each comparison on emails may match
			// another element (RFC 7644 §3.4.2.2).
			cond, err := c.compare(f, true)
			if err != nil {
				return "", err
			}
			return c.emails(cond), nil
		}
		if f.Attr.InEmails() != inEmails {
			return "", c.invalid("%s cannot be compared inside a value path on emails", f.Attr)
		}
		return c.compare(f, inEmails)
	}
	return "", c.invalid("unsupported filter %T", f)
}

func (c *filterCompiler) binary(l, r scimfilter.Filter, op string, inEmails bool) (string, error) {
	lc, err := c.expr(l, inEmails)
	if err != nil {
		return "", err
	}
	rc, err := c.expr(r, inEmails)
	if err != nil {
		return "", err
	}
	return "(" + lc + ") " + op + " (" + rc + ")", nil
}

// emails matches the identities with an email (of their group) for which
// cond holds. The group condition lets the database start from the index on
// (group_id, value_key).
func (c *filterCompiler) emails(cond string) string {
	return "scim_identities.id IN (SELECT e.identity_id FROM scim_identity_emails e WHERE e.group_id = " +
		c.group + " AND (" + cond + "))"
}

// columns maps the string and date-time attributes to their columns.
var columns = map[scimfilter.Attr]column{
	scimfilter.ID:           {name: "scim_id"},
	scimfilter.ExternalID:   {name: "extern_uid_key", present: "external_id_set"},
	scimfilter.UserName:     {name: "user_name_key"},
	scimfilter.DisplayName:  {name: "display_name_key", present: "display_name_key <> ''"},
	scimfilter.GivenName:    {name: "given_name_key", present: "given_name_key <> ''"},
	scimfilter.FamilyName:   {name: "family_name_key", present: "family_name_key <> ''"},
	scimfilter.Formatted:    {name: "formatted_name_key", present: "formatted_name_key <> ''"},
	scimfilter.EmailValue:   {name: "e.value_key", present: "e.value_key <> ''"},
	scimfilter.EmailType:    {name: "e.type_key", present: "e.type_key <> ''"},
	scimfilter.Created:      {name: "created_at"},
	scimfilter.LastModified: {name: "updated_at"},
}

// compare compiles one comparison.
func (c *filterCompiler) compare(f scimfilter.Compare, inEmails bool) (string, error) {
	switch f.Attr {
	case scimfilter.Active:
		return c.boolean(f, "state IN ('active', 'pending_link')", "state = 'inactive'")
	case scimfilter.EmailPrimary:
		return c.boolean(f, "e.is_primary", "NOT e.is_primary")
	}
	col, ok := columns[f.Attr]
	if !ok {
		return "", c.invalid("attribute %q is not filterable", f.Attr)
	}
	present := col.present
	if present == "" {
		present = sqlTrue
	}
	switch f.Op {
	case scimfilter.Pr:
		return present, nil
	case scimfilter.Ne:
		eq, err := c.compare(scimfilter.Compare{Attr: f.Attr, Op: scimfilter.Eq, Value: f.Value}, inEmails)
		if err != nil {
			return "", err
		}
		return "NOT (" + eq + ")", nil
	}

	var (
		cond string
		err  error
	)
	if f.Attr.Type() == scim.DateTime {
		cond, err = c.dateTime(col.name, f)
	} else {
		cond, err = c.text(col.name, f)
	}
	if err != nil || col.present == "" {
		return cond, err
	}
	return col.present + " AND " + cond, nil
}

// boolean compiles a comparison on a boolean attribute whose true and false
// are the conditions given.
func (c *filterCompiler) boolean(f scimfilter.Compare, isTrue, isFalse string) (string, error) {
	if f.Op == scimfilter.Pr {
		return sqlTrue, nil
	}
	v, ok := f.Value.(bool)
	if !ok || (f.Op != scimfilter.Eq && f.Op != scimfilter.Ne) {
		return "", c.invalid("%s %s %v cannot be compared", f.Attr, f.Op, f.Value)
	}
	if f.Op == scimfilter.Ne {
		v = !v
	}
	if v {
		return isTrue, nil
	}
	return isFalse, nil
}

// text compiles a comparison of the string column col (a key column unless
// the attribute is case-exact).
func (c *filterCompiler) text(col string, f scimfilter.Compare) (string, error) {
	v, ok := f.Value.(string)
	if !ok || !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return "", c.invalid("%s %s needs a string of valid UTF-8 without NUL characters", f.Attr, f.Op)
	}
	if !f.Attr.CaseExact() {
		v = canon.Key(v)
	}
	switch f.Op {
	case scimfilter.Eq:
		return col + " = " + c.arg(v), nil
	case scimfilter.Gt:
		return col + " > " + c.arg(v), nil
	case scimfilter.Ge:
		return col + " >= " + c.arg(v), nil
	case scimfilter.Lt:
		return col + " < " + c.arg(v), nil
	case scimfilter.Le:
		return col + " <= " + c.arg(v), nil
	case scimfilter.Sw:
		if v == "" {
			return sqlTrue, nil
		}
		cond := col + " >= " + c.arg(v)
		if next, ok := nextPrefix(v); ok {
			cond += " AND " + col + " < " + c.arg(next)
		}
		return cond, nil
	case scimfilter.Ew:
		if v == "" {
			return sqlTrue, nil
		}
		// length and substr count characters on both databases.
		n := strconv.Itoa(utf8.RuneCountInString(v))
		return "length(" + col + ") >= " + n + " AND substr(" + col + ", length(" + col + ") - " + n + " + 1) = " + c.arg(v), nil
	case scimfilter.Co:
		if v == "" {
			return sqlTrue, nil
		}
		return c.q.d.Contains(col, c.arg(v)), nil
	}
	return "", c.invalid("operator %q cannot compare %s", f.Op, f.Attr)
}

// nextPrefix returns the least string greater than every string that starts
// with p, in byte order, which for UTF-8 is code-point order: p with its last
// code point incremented (past the surrogates, carrying over U+10FFFF). The
// strings that start with p are then exactly those in [p, next). ok is false
// when there is no such string (p is all U+10FFFF).
func nextPrefix(p string) (next string, ok bool) {
	rs := []rune(p)
	for i := len(rs) - 1; i >= 0; i-- {
		r := rs[i] + 1
		if r == 0xD800 {
			r = 0xE000
		}
		if r <= unicode.MaxRune {
			rs[i] = r
			return string(rs[:i+1]), true
		}
	}
	return "", false
}

// dateTime compiles a comparison of the time column col. Stored times have
// microsecond precision; a value with a finer part is compared exactly all
// the same: no stored time equals it, and t > v is t > v truncated.
func (c *filterCompiler) dateTime(col string, f scimfilter.Compare) (string, error) {
	v, ok := f.Value.(time.Time)
	if !ok {
		return "", c.invalid("%s %s needs a time", f.Attr, f.Op)
	}
	v = v.UTC()
	t := v.Truncate(time.Microsecond)
	exact := t.Equal(v)
	// BindTime rather than q.t: the zero time is a time here, not NULL.
	at := func() string { return c.arg(c.q.d.BindTime(t)) }
	switch f.Op {
	case scimfilter.Eq:
		if !exact {
			return sqlFalse, nil
		}
		return col + " = " + at(), nil
	case scimfilter.Gt:
		return col + " > " + at(), nil
	case scimfilter.Ge:
		if !exact {
			return col + " > " + at(), nil
		}
		return col + " >= " + at(), nil
	case scimfilter.Lt:
		if !exact {
			return col + " <= " + at(), nil
		}
		return col + " < " + at(), nil
	case scimfilter.Le:
		return col + " <= " + at(), nil
	}
	return "", c.invalid("operator %q cannot compare %s", f.Op, f.Attr)
}
