package replay

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/big"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// A matcher compares one actual response with a step's expectations. It
// collects every mismatch rather than stopping at the first, and the values
// the step's captures took.
type matcher struct {
	vars     map[string]string // variables defined before this step
	captured map[string]string // captures made by this step so far
	problems []string
}

func newMatcher(vars map[string]string) *matcher {
	return &matcher{vars: vars, captured: map[string]string{}}
}

// lookup finds a variable: this step's captures first, then the rest.
func (m *matcher) lookup(name string) (string, bool) {
	if v, ok := m.captured[name]; ok {
		return v, true
	}
	v, ok := m.vars[name]
	return v, ok
}

func (m *matcher) problemf(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// template matches got against t and records the captures, which must agree
// with any made earlier in the same response.
func (m *matcher) template(where string, t template, got string) {
	caps, ok, err := t.match(got, m.lookup)
	switch {
	case err != nil:
		m.problemf("%s: %v", where, err)
		return
	case !ok:
		m.problemf("%s: got %q, want %q", where, got, t.String())
		return
	}
	for _, name := range slices.Sorted(maps.Keys(caps)) {
		v := caps[name]
		if prev, dup := m.captured[name]; dup && prev != v {
			m.problemf("%s: {{*%s}} captured %q here but %q earlier in this response", where, name, v, prev)
			continue
		}
		m.captured[name] = v
	}
}

// headers checks each expected header. Names are matched case-insensitively;
// Content-Type is compared on its media type alone.
func (m *matcher) headers(want []headerLine, got http.Header) {
	for _, h := range want {
		where := "header " + h.name
		values := got.Values(h.name)
		switch {
		case h.value.isAbsent():
			if len(values) > 0 {
				m.problemf("%s: got %q, want it absent", where, strings.Join(values, ", "))
			}
			continue
		case len(values) == 0:
			m.problemf("%s: missing, want %q", where, h.value.String())
			continue
		}
		actual := strings.Join(values, ", ")
		if !strings.EqualFold(h.name, "Content-Type") || !h.value.isLiteral() {
			m.template(where, h.value, actual)
			continue
		}
		want, err := h.value.expand(m.lookup)
		if err != nil {
			m.problemf("%s: %v", where, err)
			continue
		}
		if mediaType(want) != mediaType(actual) {
			m.problemf("%s: got %q, want media type %q", where, actual, mediaType(want))
		}
	}
}

// mediaType returns the lower-case media type of a Content-Type value, or
// the trimmed value itself when it does not parse.
func mediaType(v string) string {
	if mt, _, err := mime.ParseMediaType(v); err == nil {
		return mt
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// value checks that got contains want as a subset: objects may have extra
// members, arrays must have the same length (element by element, in order)
// unless want ends in "...", which asks only that each other element of want
// match a different element of got, in any order.
func (m *matcher) value(path string, want, got any) {
	switch w := want.(type) {
	case string:
		t, _ := parseTemplate(w) // checked by parse
		if t.isAny() {
			return
		}
		g, ok := got.(string)
		if !ok {
			m.problemf("%s: got %s, want string %q", path, describe(got), w)
			return
		}
		m.template(path, t, g)
	case json.Number:
		g, ok := got.(json.Number)
		if !ok || !sameNumber(w, g) {
			m.problemf("%s: got %s, want %s", path, describe(got), w)
		}
	case bool, nil:
		if got != want {
			m.problemf("%s: got %s, want %s", path, describe(got), describe(want))
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			m.problemf("%s: got %s, want an object", path, describe(got))
			return
		}
		for _, k := range slices.Sorted(maps.Keys(w)) {
			p := childPath(path, k)
			gv, present := g[k]
			if s, ok := w[k].(string); ok && s == "{{"+wordAbsent+"}}" {
				if present {
					m.problemf("%s: got %s, want it absent", p, describe(gv))
				}
				continue
			}
			if !present {
				m.problemf("%s: missing, want %s", p, describe(w[k]))
				continue
			}
			m.value(p, w[k], gv)
		}
	case []any:
		g, ok := got.([]any)
		if !ok {
			m.problemf("%s: got %s, want an array", path, describe(got))
			return
		}
		if n := len(w); n > 0 && w[n-1] == ellipsis {
			m.contains(path, w[:n-1], g)
			return
		}
		if len(g) != len(w) {
			m.problemf("%s: got %d elements, want %d: got %s", path, len(g), len(w), describe(got))
			return
		}
		for i := range w {
			m.value(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])
		}
	default:
		m.problemf("%s: internal error: unexpected expected value %T", path, want)
	}
}

// contains checks that each element of want matches a different element of
// got, trying got's elements in order and taking the first that fits.
func (m *matcher) contains(path string, want, got []any) {
	used := make([]bool, len(got))
	for i, w := range want {
		found := false
		for j, g := range got {
			if used[j] {
				continue
			}
			trial := &matcher{vars: m.vars, captured: maps.Clone(m.captured)}
			trial.value(path, w, g)
			if len(trial.problems) == 0 {
				used[j], found = true, true
				m.captured = trial.captured
				break
			}
		}
		if !found {
			m.problemf("%s: no element matches want[%d] %s: got %s", path, i, describe(w), describe(got))
		}
	}
}

// sameNumber compares two JSON numbers by value, so that 1 equals 1.0.
func sameNumber(a, b json.Number) bool {
	if a == b {
		return true
	}
	x, ok1 := new(big.Rat).SetString(string(a))
	y, ok2 := new(big.Rat).SetString(string(b))
	return ok1 && ok2 && x.Cmp(y) == 0
}

// describe renders a JSON value for a message, with its kind where the bare
// value would be ambiguous.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "object " + compact(v, 200)
	case []any:
		return "array " + compact(v, 200)
	case json.Number:
		return "number " + compact(v, 200)
	case string:
		return "string " + compact(v, 200)
	}
	return compact(v, 200)
}
