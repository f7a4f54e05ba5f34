package scimpatch

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// expr is a parsed value filter, the part between "[" and "]" of a value
// path such as emails[type eq "work"] (RFC 7644 §3.4.2.2, "valFilter").
type expr interface {
	match(elem any) bool
}

type andExpr struct{ l, r expr }
type orExpr struct{ l, r expr }
type notExpr struct{ x expr }

// cmpExpr compares one sub-attribute of an element with a literal.
type cmpExpr struct {
	name      string          // sub-attribute, canonical when known
	attr      *scim.Attribute // its definition, or nil in a custom extension
	op        string          // eq ne co sw ew gt ge lt le pr
	val       any             // string, bool, json.Number or nil; coerced to attr's type
	caseExact bool
}

func (e *andExpr) match(elem any) bool { return e.l.match(elem) && e.r.match(elem) }
func (e *orExpr) match(elem any) bool  { return e.l.match(elem) || e.r.match(elem) }
func (e *notExpr) match(elem any) bool { return !e.x.match(elem) }

func (c *cmpExpr) match(elem any) bool {
	var v any
	if m, ok := elem.(map[string]any); ok {
		_, v, _ = lookup(m, c.name)
	} else if strings.EqualFold(c.name, "value") {
		v = elem // a multi-valued attribute of simple values
	}
	switch c.op {
	case "pr":
		return present(v)
	case "eq":
		if c.val == nil {
			return !present(v)
		}
		return v != nil && c.equal(v)
	case "ne":
		if c.val == nil {
			return present(v)
		}
		return v == nil || !c.equal(v)
	case "co", "sw", "ew":
		s, ok1 := v.(string)
		lit, ok2 := c.val.(string)
		if !ok1 || !ok2 {
			return false
		}
		if !c.caseExact {
			s, lit = strings.ToLower(s), strings.ToLower(lit)
		}
		switch c.op {
		case "co":
			return strings.Contains(s, lit)
		case "sw":
			return strings.HasPrefix(s, lit)
		}
		return strings.HasSuffix(s, lit)
	}
	n, ok := c.compare(v)
	if !ok {
		return false
	}
	switch c.op {
	case "gt":
		return n > 0
	case "ge":
		return n >= 0
	case "lt":
		return n < 0
	}
	return n <= 0 // le
}

func present(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case string:
		return v != ""
	case []any:
		return len(v) > 0
	case map[string]any:
		return len(v) > 0
	}
	return true
}

// equal compares an element's value with the literal: booleans whichever
// way they are spelled, numbers by value, strings by the attribute's
// caseExact (case-insensitively when unknown, RFC 7643 §2.2's default).
func (c *cmpExpr) equal(v any) bool {
	switch lit := c.val.(type) {
	case bool:
		b, ok := asBool(v)
		return ok && b == lit
	case string:
		switch v := v.(type) {
		case string:
			if c.caseExact {
				return v == lit
			}
			return strings.EqualFold(v, lit)
		case bool:
			b, ok := asBool(lit)
			return ok && b == v
		}
		if n, ok := asNumber(v); ok {
			m, err := strconv.ParseFloat(lit, 64)
			return err == nil && n == m
		}
		return false
	}
	if n, ok := asNumber(c.val); ok {
		if s, isString := v.(string); isString {
			return s == numberText(c.val)
		}
		m, ok := asNumber(v)
		return ok && n == m
	}
	return false
}

// compare orders an element's value against the literal: numbers
// numerically, strings lexically (folded unless caseExact).
func (c *cmpExpr) compare(v any) (int, bool) {
	if n, ok := asNumber(c.val); ok {
		m, ok := asNumber(v)
		if !ok {
			return 0, false
		}
		switch {
		case m < n:
			return -1, true
		case m > n:
			return 1, true
		}
		return 0, true
	}
	lit, ok1 := c.val.(string)
	s, ok2 := v.(string)
	if !ok1 || !ok2 {
		return 0, false
	}
	if !c.caseExact {
		s, lit = strings.ToLower(s), strings.ToLower(lit)
	}
	return strings.Compare(s, lit), true
}

// eqFields returns the fields a filter made only of "eq" comparisons joined
// by "and" pins down, such as {"type": "work"} for type eq "work": the
// element that add and replace create when nothing matches. ok is false for
// any other filter, which cannot describe a new element.
func eqFields(e expr) (map[string]any, bool) {
	out := map[string]any{}
	var walk func(expr) bool
	walk = func(e expr) bool {
		switch e := e.(type) {
		case *andExpr:
			return walk(e.l) && walk(e.r)
		case *cmpExpr:
			if e.op != "eq" || e.val == nil {
				return false
			}
			out[e.name] = e.val
			return true
		}
		return false
	}
	if !walk(e) {
		return nil, false
	}
	return out, true
}

// maxFilterDepth bounds nesting of parentheses and "not" so that a hostile
// path cannot exhaust the stack.
const maxFilterDepth = 32

// filterParser is a recursive-descent parser for value filters:
//
//	or   = and *( "or" and )
//	and  = not *( "and" not )
//	not  = "not" "(" or ")" / "(" or ")" / cmp
//	cmp  = name "pr" / name op value
//
// Keywords and operators are case-insensitive. Values are JSON literals
// (strings, true, false, null, numbers); an unquoted word is read as a
// string, because Entra's older traffic sometimes leaves values unquoted.
type filterParser struct {
	s      string
	i      int
	depth  int
	parent *scim.Attribute // the multi-valued attribute; nil for custom extensions
	err    *failure
}

// parseFilter parses the text between "[" and "]" against the attribute the
// filter applies to.
func parseFilter(s string, parent *scim.Attribute) (expr, *failure) {
	p := &filterParser{s: s, parent: parent}
	e := p.or()
	if p.err != nil {
		return nil, p.err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, fail(scim.InvalidPath, "unexpected %q in the filter [%s]", p.rest(), s)
	}
	return e, nil
}

func (p *filterParser) rest() string {
	r := p.s[p.i:]
	if len(r) > 20 {
		r = truncate(r, 20)
	}
	return r
}

func (p *filterParser) failf(format string, args ...any) {
	if p.err == nil {
		p.err = fail(scim.InvalidPath, format, args...)
	}
}

func (p *filterParser) space() int {
	n := 0
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
		n++
	}
	return n
}

// word reads a run of characters that can make up a name, keyword or
// unquoted value.
func (p *filterParser) word() string {
	start := p.i
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == ' ' || c == '\t' || c == '(' || c == ')' || c == '"' {
			break
		}
		p.i++
	}
	return p.s[start:p.i]
}

// keyword consumes kw (any case) when it comes next as a whole word.
func (p *filterParser) keyword(kw string) bool {
	save := p.i
	p.space()
	if p.i+len(kw) <= len(p.s) && strings.EqualFold(p.s[p.i:p.i+len(kw)], kw) {
		end := p.i + len(kw)
		if end == len(p.s) || p.s[end] == ' ' || p.s[end] == '\t' || p.s[end] == '(' {
			p.i = end
			return true
		}
	}
	p.i = save
	return false
}

func (p *filterParser) or() expr {
	l := p.and()
	for p.err == nil && p.keyword("or") {
		r := p.and()
		l = &orExpr{l, r}
	}
	return l
}

func (p *filterParser) and() expr {
	l := p.unary()
	for p.err == nil && p.keyword("and") {
		r := p.unary()
		l = &andExpr{l, r}
	}
	return l
}

func (p *filterParser) unary() expr {
	if p.err != nil {
		return nil
	}
	if p.depth++; p.depth > maxFilterDepth {
		p.failf("the filter is nested more than %d levels deep", maxFilterDepth)
		return nil
	}
	defer func() { p.depth-- }()
	p.space()
	save := p.i
	if p.keyword("not") {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '(' {
			return &notExpr{p.group()}
		}
		p.i = save // an attribute that happens to be called "not"
	}
	if p.i < len(p.s) && p.s[p.i] == '(' {
		return p.group()
	}
	return p.cmp()
}

func (p *filterParser) group() expr {
	p.i++ // "("
	e := p.or()
	if p.err != nil {
		return nil
	}
	p.space()
	if p.i >= len(p.s) || p.s[p.i] != ')' {
		p.failf("a \"(\" in the filter [%s] is not closed", p.s)
		return nil
	}
	p.i++
	return e
}

func (p *filterParser) cmp() expr {
	p.space()
	name := p.word()
	if name == "" {
		if p.i < len(p.s) {
			p.failf("expected an attribute name at %q in the filter [%s]", p.rest(), p.s)
		} else {
			p.failf("the filter [%s] ends where an attribute name should be", p.s)
		}
		return nil
	}
	if !validName(name) {
		p.failf("%q in the filter [%s] is not an attribute name", name, p.s)
		return nil
	}
	c := &cmpExpr{name: name}
	if p.parent != nil {
		if p.parent.Type == scim.Complex {
			c.attr = p.parent.Sub(name)
		} else if strings.EqualFold(name, "value") {
			c.attr = &scim.Attribute{Name: "value", Type: p.parent.Type, CaseExact: p.parent.CaseExact}
		}
		if c.attr == nil {
			p.failf("%s has no sub-attribute %q (in the filter [%s]); its sub-attributes are %s",
				p.parent.Name, name, p.s, subNames(p.parent))
			return nil
		}
		c.name, c.caseExact = c.attr.Name, c.attr.CaseExact
	}
	if p.space() == 0 {
		p.failf("expected an operator after %q in the filter [%s]", name, p.s)
		return nil
	}
	c.op = strings.ToLower(p.word())
	switch c.op {
	case "pr":
		return c
	case "eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le":
	default:
		p.failf("%q in the filter [%s] is not an operator; use eq, ne, co, sw, ew, gt, ge, lt, le or pr", c.op, p.s)
		return nil
	}
	p.space()
	val, ok := p.value()
	if !ok {
		return nil
	}
	c.val = val
	p.typeCheck(c)
	return c
}

// value reads a comparison value: a JSON string, true, false, null, a
// number, or an unquoted word taken as a string.
func (p *filterParser) value() (any, bool) {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		end := p.i + 1
		for end < len(p.s) && p.s[end] != '"' {
			if p.s[end] == '\\' {
				end++
			}
			end++
		}
		if end >= len(p.s) {
			p.failf("a string in the filter [%s] is not closed with \"", p.s)
			return nil, false
		}
		var str string
		if err := json.Unmarshal([]byte(p.s[p.i:end+1]), &str); err != nil {
			p.failf("the string %s in the filter [%s] is not a valid JSON string", p.s[p.i:end+1], p.s)
			return nil, false
		}
		p.i = end + 1
		return str, true
	}
	w := p.word()
	switch strings.ToLower(w) {
	case "":
		p.failf("the filter [%s] has an operator without a value", p.s)
		return nil, false
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	if _, err := strconv.ParseFloat(w, 64); err == nil && json.Valid([]byte(w)) {
		return json.Number(w), true
	}
	return w, true
}

// typeCheck coerces a literal to the compared attribute's type, so that
// roles[primary eq "True"] compares the boolean primary with true, and
// rejects comparisons that can never be meaningful.
func (p *filterParser) typeCheck(c *cmpExpr) {
	if c.attr == nil || c.val == nil {
		return
	}
	switch c.attr.Type {
	case scim.Boolean:
		if c.op != "eq" && c.op != "ne" {
			p.failf("%s is a boolean; compare it with eq or ne (in the filter [%s])", c.name, p.s)
			return
		}
		b, ok := asBool(c.val)
		if !ok {
			p.failf("%s is a boolean; compare it with true or false, not %s (in the filter [%s])", c.name, describe(c.val), p.s)
			return
		}
		c.val = b
	case scim.Complex:
		p.failf("%s is complex and cannot be compared (in the filter [%s])", c.name, p.s)
	default:
		switch v := c.val.(type) {
		case bool:
			c.val = strconv.FormatBool(v)
		case json.Number:
			c.val = string(v)
		}
	}
}
