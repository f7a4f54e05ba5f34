package replay

import (
	"fmt"
	"regexp"
	"strings"
)

// The placeholder words with a fixed meaning; no variable may use them.
const (
	wordAny    = "any"
	wordAbsent = "absent"
)

// ellipsis, as the last element of an expected array, means "at least
// these elements, in any order".
const ellipsis = "..."

// segKind says what one piece of a template stands for.
type segKind int

const (
	segLiteral  segKind = iota // text to reproduce or to match exactly
	segVariable                // {{name}}: the variable's value
	segCapture                 // {{*name}}: any non-empty text, remembered as name
	segAny                     // {{any}}: any text
	segAbsent                  // {{absent}}: only ever a whole value
)

type segment struct {
	kind segKind
	text string // the literal text, or the variable's name
}

// A template is a string split into literal text and placeholders.
type template []segment

var placeholderRE = regexp.MustCompile(`^\{\{(\*?)([A-Za-z_][A-Za-z0-9_.-]*)\}\}`)

// parseTemplate splits s into literals and placeholders. An opening "{{"
// that does not start a well-formed placeholder is an error, so that a typo
// cannot silently become literal text.
func parseTemplate(s string) (template, error) {
	var t template
	lit := func(text string) {
		if text != "" {
			t = append(t, segment{segLiteral, text})
		}
	}
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			lit(s)
			return t, nil
		}
		lit(s[:i])
		m := placeholderRE.FindStringSubmatch(s[i:])
		if m == nil {
			end := min(len(s), i+20)
			return nil, fmt.Errorf("malformed placeholder at %q: want {{name}}, {{*name}}, {{any}} or {{absent}}", s[i:end])
		}
		star, name := m[1] == "*", m[2]
		switch {
		case (name == wordAny || name == wordAbsent) && star:
			return nil, fmt.Errorf("{{*%s}}: %q is reserved and cannot be a capture name", name, name)
		case name == wordAny:
			t = append(t, segment{segAny, ""})
		case name == wordAbsent:
			t = append(t, segment{segAbsent, ""})
		case star:
			t = append(t, segment{segCapture, name})
		default:
			t = append(t, segment{segVariable, name})
		}
		s = s[i+len(m[0]):]
	}
}

// isLiteral reports whether t matches only one exact string once its
// variables are known.
func (t template) isLiteral() bool {
	for _, s := range t {
		if s.kind != segLiteral && s.kind != segVariable {
			return false
		}
	}
	return true
}

// isAbsent reports whether t is exactly {{absent}}.
func (t template) isAbsent() bool { return len(t) == 1 && t[0].kind == segAbsent }

// isAny reports whether t is exactly {{any}}.
func (t template) isAny() bool { return len(t) == 1 && t[0].kind == segAny }

// checkRequest rejects what only an expected response may contain.
func (t template) checkRequest() error {
	for _, s := range t {
		switch s.kind {
		case segCapture:
			return fmt.Errorf("{{*%s}} captures only in the expected response; use {{%s}} to send a value", s.text, s.text)
		case segAny, segAbsent:
			return fmt.Errorf("{{any}} and {{absent}} belong in the expected response only")
		}
	}
	return nil
}

// checkExpected rejects {{absent}} inside a longer string.
func (t template) checkExpected() error {
	for _, s := range t {
		if s.kind == segAbsent && len(t) > 1 {
			return fmt.Errorf("{{absent}} must be the whole value")
		}
	}
	return nil
}

// undefinedError reports a {{name}} that no variable or capture has set.
type undefinedError struct{ name string }

func (e undefinedError) Error() string {
	return fmt.Sprintf("{{%s}} is not defined: neither Config.Vars nor an earlier capture set it", e.name)
}

// expand returns t with every variable replaced by its value. It must be
// called only on templates that passed checkRequest or isLiteral.
func (t template) expand(lookup func(string) (string, bool)) (string, error) {
	var b strings.Builder
	for _, s := range t {
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segVariable:
			v, ok := lookup(s.text)
			if !ok {
				return "", undefinedError{s.text}
			}
			b.WriteString(v)
		default:
			return "", fmt.Errorf("internal error: expand on a matching template")
		}
	}
	return b.String(), nil
}

// match reports whether got fits t, and returns the text of each capture.
// A capture named twice must capture the same text both times.
func (t template) match(got string, lookup func(string) (string, bool)) (caps map[string]string, ok bool, err error) {
	if t.isLiteral() {
		want, err := t.expand(lookup)
		return nil, err == nil && want == got, err
	}
	var re strings.Builder
	var names []string
	re.WriteString(`^(?s:`)
	for _, s := range t {
		switch s.kind {
		case segLiteral:
			re.WriteString(regexp.QuoteMeta(s.text))
		case segVariable:
			v, ok := lookup(s.text)
			if !ok {
				return nil, false, undefinedError{s.text}
			}
			re.WriteString(regexp.QuoteMeta(v))
		case segCapture:
			re.WriteString(`(.+?)`)
			names = append(names, s.text)
		case segAny:
			re.WriteString(`.*?`)
		}
	}
	re.WriteString(`)$`)
	m := regexp.MustCompile(re.String()).FindStringSubmatch(got)
	if m == nil {
		return nil, false, nil
	}
	caps = make(map[string]string, len(names))
	for i, name := range names {
		if prev, dup := caps[name]; dup && prev != m[i+1] {
			return nil, false, nil
		}
		caps[name] = m[i+1]
	}
	return caps, true, nil
}

// String returns the template as written.
func (t template) String() string {
	var b strings.Builder
	for _, s := range t {
		switch s.kind {
		case segLiteral:
			b.WriteString(s.text)
		case segVariable:
			b.WriteString("{{" + s.text + "}}")
		case segCapture:
			b.WriteString("{{*" + s.text + "}}")
		case segAny:
			b.WriteString("{{any}}")
		case segAbsent:
			b.WriteString("{{absent}}")
		}
	}
	return b.String()
}
