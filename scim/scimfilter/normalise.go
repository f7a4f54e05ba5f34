package scimfilter

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// This file is the normaliser that runs before the strict parser: it reads
// the filter into tokens, checks its structure (so that mistakes get a
// detail that says what and where), quotes the unquoted values decision 30
// accepts, enforces the nesting and size limits, and lifts value paths out
// into filters of their own (see prepass).

// tokenKind is the kind of a token.
type tokenKind int

const (
	tokEOF      tokenKind = iota
	tokWord               // a run of anything but whitespace, quotes, parentheses and brackets
	tokString             // a quoted string
	tokLParen             // (
	tokRParen             // )
	tokLBracket           // [
	tokRBracket           // ]
)

// token is one token of a filter.
type token struct {
	kind  tokenKind
	raw   string // the token as written
	text  string // a string's decoded value; a word's text
	pos   int    // byte offset in the filter
	space bool   // whitespace precedes the token
}

// describe names the token for an error detail.
func (t token) describe() string {
	if t.kind == tokEOF {
		return "the end of the filter"
	}
	raw := t.raw
	if len(raw) > 40 {
		raw = raw[:40]
		for !utf8.ValidString(raw) {
			raw = raw[:len(raw)-1]
		}
		raw += "…"
	}
	return fmt.Sprintf("%q at position %d", raw, t.pos+1)
}

// isSpace reports the whitespace that separates tokens. Tabs and line
// breaks count as spaces (the strict grammar knows only the space).
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lex splits s into tokens, ending with a tokEOF.
func lex(s string) ([]token, error) {
	var toks []token
	space := false
	for i := 0; i < len(s); {
		c := s[i]
		if isSpace(c) {
			space = true
			i++
			continue
		}
		t := token{pos: i, space: space}
		switch c {
		case '(':
			t.kind = tokLParen
		case ')':
			t.kind = tokRParen
		case '[':
			t.kind = tokLBracket
		case ']':
			t.kind = tokRBracket
		case '"':
			t.kind = tokString
		default:
			t.kind = tokWord
		}
		switch t.kind {
		case tokString:
			end, err := stringEnd(s, i)
			if err != nil {
				return nil, err
			}
			t.raw = s[i:end]
			v, err := decodeString(t.raw[1 : len(t.raw)-1])
			if err != nil {
				return nil, invalid("the string at position %d %s", i+1, err)
			}
			t.text = v
		case tokWord:
			end := i
			for end < len(s) && !isSpace(s[end]) && !strings.ContainsRune(`"()[]`, rune(s[end])) {
				end++
			}
			t.raw, t.text = s[i:end], s[i:end]
		default:
			t.raw, t.text = s[i:i+1], s[i:i+1]
		}
		toks = append(toks, t)
		i += len(t.raw)
		space = false
	}
	return append(toks, token{kind: tokEOF, pos: len(s), space: space}), nil
}

// stringEnd returns the offset just past the closing quote of the string
// that starts at s[i].
func stringEnd(s string, i int) (int, error) {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++ // the escaped character is checked by decodeString
		case '"':
			return j + 1, nil
		}
	}
	return 0, invalid("the string at position %d has no closing quote", i+1)
}

// decodeString decodes the JSON escapes of a string's body (RFC 7644 filter
// strings are JSON strings). Control characters written as is are accepted.
// The error completes "the string at position N …".
func decodeString(body string) (string, error) {
	if !strings.Contains(body, `\`) {
		return body, nil
	}
	var b strings.Builder
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 >= len(body) {
			return "", fmt.Errorf("ends in a lone backslash")
		}
		i++
		switch e := body[i]; e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, n, ok := hex4(body[i+1:])
			if !ok {
				return "", fmt.Errorf(`has a \u escape without four hexadecimal digits`)
			}
			i += n
			if utf16.IsSurrogate(r) {
				r2, n2, ok := hex4(strings.TrimPrefix(body[i+1:], `\u`))
				if !ok || !strings.HasPrefix(body[i+1:], `\u`) {
					return "", fmt.Errorf(`has a \u escape of half a surrogate pair`)
				}
				r = utf16.DecodeRune(r, r2)
				if r == utf8.RuneError {
					return "", fmt.Errorf(`has a \u escape of half a surrogate pair`)
				}
				i += 2 + n2
			}
			b.WriteRune(r)
		default:
			return "", fmt.Errorf(`has an invalid escape "\%c"`, e)
		}
	}
	return b.String(), nil
}

// hex4 reads four hexadecimal digits, in either case.
func hex4(s string) (rune, int, bool) {
	if len(s) < 4 {
		return 0, 0, false
	}
	v, err := strconv.ParseUint(s[:4], 16, 32)
	if err != nil {
		return 0, 0, false
	}
	return rune(v), 4, true
}

// quote writes v as a filter string the strict parser accepts: quotes and
// backslashes escaped, control characters as \u00XX (upper-case digits,
// the only ones the parser reads).
func quote(v string) string {
	var b strings.Builder
	b.Grow(len(v) + 2)
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04X`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Patterns of the words the normaliser reads.
var (
	// attrPath is an attribute path: an optional schema URN, a name, an
	// optional sub-attribute (RFC 7644's ATTRNAME, without "$ref"-style
	// names, which are never filterable and mark value paths here).
	attrPath = regexp.MustCompile(`^(?:[A-Za-z0-9.-]+:)*[A-Za-z][A-Za-z0-9_-]*(?:\.[A-Za-z][A-Za-z0-9_-]*)?$`)
	// subAttr is the sub-attribute after a value path's brackets.
	subAttr = regexp.MustCompile(`^\.[A-Za-z][A-Za-z0-9_-]*$`)
	// number is a JSON number.
	number = regexp.MustCompile(`^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$`)
)

// compareOps are the operators that take a value.
var compareOps = map[string]bool{"eq": true, "ne": true, "co": true, "sw": true, "ew": true,
	"gt": true, "ge": true, "lt": true, "le": true}

// isLiteral reports whether an unquoted value is a JSON literal the strict
// parser reads as such, which the normaliser leaves unquoted.
func isLiteral(w string) bool {
	switch strings.ToLower(w) {
	case "true", "false", "null":
		return true
	}
	return number.MatchString(w)
}

// rawValuePath is a value path the prepass lifted out of the filter.
type rawValuePath struct {
	attr  string // the attribute path before "[", as written
	inner string // the normalised filter between the brackets
	sub   string // the normalised comparison after "].", or ""
}

// placeholder is the attribute name that stands for value path n in the
// normalised filter. Attribute names starting with "$" are refused in the
// input, so a placeholder is never the client's.
func placeholder(n int) string { return "$vp" + strconv.Itoa(n) }

// prepass reads the tokens of a filter by the grammar of RFC 7644 §3.4.2.2
// and writes the normalised filter:
//
//   - unquoted values after a comparison operator are quoted, unless they
//     are true, false, null or a number;
//   - strings are re-encoded in the form the strict parser reads;
//   - and, or and not are separated by single spaces;
//   - each value path attr[filter] or attr[filter].sub op value becomes
//     the placeholder comparison "$vpN pr", and its filter and comparison are
//     kept apart in paths, to be parsed on their own. This gives value paths
//     the full filter grammar (the strict parser allows two terms at most
//     between brackets, and no comparison after them).
//
// It counts nesting and comparisons, and stops at the first structural
// mistake with an invalidFilter error that says what it found where.
type prepass struct {
	toks      []token
	i         int
	out       *strings.Builder
	paths     []rawValuePath
	depth     int
	terms     int
	inBracket bool
	// unquoted is set after a value the normaliser quoted, for the hint that
	// values with spaces need quotes.
	unquoted bool
}

func (p *prepass) peek() token { return p.toks[p.i] }

func (p *prepass) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

func isWord(t token, w string) bool { return t.kind == tokWord && strings.EqualFold(t.text, w) }

// run reads the whole filter.
func (p *prepass) run() error {
	if err := p.or(); err != nil {
		return err
	}
	switch t := p.peek(); t.kind {
	case tokEOF:
		return nil
	case tokRParen:
		return invalid(`the ")" at position %d has no matching "("`, t.pos+1)
	case tokRBracket:
		return invalid(`the "]" at position %d has no matching "["`, t.pos+1)
	default:
		return p.unexpected(t, `"and", "or" or the end of the filter`)
	}
}

// unexpected reports a token where something else was expected.
func (p *prepass) unexpected(t token, want string) error {
	hint := ""
	if p.unquoted && t.kind == tokWord {
		hint = "; a value that contains spaces must be quoted"
	}
	return invalid("expected %s, found %s%s", want, t.describe(), hint)
}

func (p *prepass) or() error {
	if err := p.and(); err != nil {
		return err
	}
	for isWord(p.peek(), "or") {
		p.next()
		p.out.WriteString(" or ")
		if err := p.and(); err != nil {
			return err
		}
	}
	return nil
}

func (p *prepass) and() error {
	if err := p.term(); err != nil {
		return err
	}
	for isWord(p.peek(), "and") {
		p.next()
		p.out.WriteString(" and ")
		if err := p.term(); err != nil {
			return err
		}
	}
	return nil
}

// term reads a parenthesised filter, a not, a value path or a comparison.
func (p *prepass) term() error {
	t := p.next()
	switch {
	case t.kind == tokLParen:
		return p.group(t)
	case isWord(t, "not"):
		open := p.next()
		if open.kind != tokLParen {
			return invalid(`"not" at position %d must be followed by a filter in parentheses, as in not (userName eq "x")`, t.pos+1)
		}
		p.out.WriteString("not ")
		return p.group(open)
	case isWord(t, "and") || isWord(t, "or") || t.kind != tokWord:
		if t.kind == tokEOF {
			return invalid("the filter ends where an attribute name was expected")
		}
		return p.unexpected(t, `an attribute name or "("`)
	default:
		return p.attrTerm(t)
	}
}

// enter counts one more level of nesting.
func (p *prepass) enter() error {
	p.depth++
	if p.depth > MaxDepth {
		return invalid("the filter is nested deeper than %d levels of parentheses and brackets", MaxDepth)
	}
	return nil
}

// group reads the rest of a parenthesised filter whose "(" is open.
func (p *prepass) group(open token) error {
	if err := p.enter(); err != nil {
		return err
	}
	p.out.WriteString("(")
	if err := p.or(); err != nil {
		return err
	}
	switch t := p.next(); t.kind {
	case tokRParen:
	case tokEOF:
		return invalid(`the "(" at position %d is never closed`, open.pos+1)
	default:
		return p.unexpected(t, `"and", "or" or ")"`)
	}
	p.out.WriteString(")")
	p.depth--
	return nil
}

// attrTerm reads a comparison or a value path starting with the attribute
// path t.
func (p *prepass) attrTerm(t token) error {
	if !attrPath.MatchString(t.text) {
		return invalid("%s is not an attribute name", t.describe())
	}
	if p.peek().kind != tokLBracket {
		p.out.WriteString(t.text)
		return p.compare(t.text)
	}

	open := p.next()
	if p.inBracket {
		return invalid(`the "[" at position %d opens a value path inside another`, open.pos+1)
	}
	if err := p.enter(); err != nil {
		return err
	}
	vp := rawValuePath{attr: t.text}
	outer := p.out
	var inner strings.Builder
	p.out, p.inBracket = &inner, true
	if err := p.or(); err != nil {
		return err
	}
	switch c := p.next(); c.kind {
	case tokRBracket:
	case tokEOF:
		return invalid(`the "[" at position %d is never closed`, open.pos+1)
	default:
		return p.unexpected(c, `"and", "or" or "]"`)
	}
	p.inBracket = false
	p.depth--
	vp.inner = inner.String()

	// A comparison on a sub-attribute may follow the brackets at once.
	if s := p.peek(); s.kind == tokWord && !s.space && strings.HasPrefix(s.text, ".") {
		p.next()
		if !subAttr.MatchString(s.text) {
			return invalid("%s is not a sub-attribute name", s.describe())
		}
		var sub strings.Builder
		p.out = &sub
		sub.WriteString(s.text[1:])
		if err := p.compare(t.text + "[…]" + s.text); err != nil {
			return err
		}
		vp.sub = sub.String()
	}
	p.out = outer
	p.out.WriteString(placeholder(len(p.paths)) + " pr")
	p.paths = append(p.paths, vp)
	return nil
}

// compare reads the operator and value of a comparison on attr (as written,
// for error details), whose attribute path is already written.
func (p *prepass) compare(attr string) error {
	op := p.next()
	if op.kind != tokWord {
		if op.kind == tokEOF {
			return invalid("the filter ends after %s, where an operator was expected (eq, ne, co, sw, ew, gt, ge, lt, le or pr)", attr)
		}
		return invalid("expected an operator after %s (eq, ne, co, sw, ew, gt, ge, lt, le or pr), found %s", attr, op.describe())
	}
	name := strings.ToLower(op.text)
	p.terms++
	if p.terms > MaxComparisons {
		return invalid("the filter has more than %d comparisons", MaxComparisons)
	}
	p.unquoted = false
	if name == "pr" {
		p.out.WriteString(" pr")
		return nil
	}
	if !compareOps[name] {
		return invalid("unknown operator %s after %s; use eq, ne, co, sw, ew, gt, ge, lt, le or pr", op.describe(), attr)
	}
	p.out.WriteString(" " + name + " ")
	switch v := p.next(); {
	case v.kind == tokString:
		p.out.WriteString(quote(v.text))
	case v.kind == tokWord && isLiteral(v.text):
		p.out.WriteString(strings.ToLower(v.text))
	case v.kind == tokWord:
		// Decision 30: an unquoted value is taken as the string it spells.
		p.out.WriteString(quote(v.text))
		p.unquoted = true
	case v.kind == tokEOF:
		return invalid("the filter ends after %s %s, where a value was expected", attr, name)
	default:
		return invalid("expected a value after %s %s, found %s", attr, name, v.describe())
	}
	return nil
}
