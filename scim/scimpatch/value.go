package scimpatch

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// copyValue returns a deep copy of a JSON value. Typed slices that a Go
// caller may have put into a document ([]map[string]any, []string) become
// []any, so the rest of the package sees only encoding/json's shapes.
func copyValue(v any) any {
	switch v := v.(type) {
	case map[string]any:
		return copyMap(v)
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyValue(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = copyMap(e)
		}
		return out
	case []string:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	default:
		return v
	}
}

func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyValue(v)
	}
	return out
}

// isNull reports whether a PATCH value means "clear the attribute": JSON
// null or the empty string (Microsoft's null-update test sends both).
func isNull(v any) bool {
	if v == nil {
		return true
	}
	s, ok := v.(string)
	return ok && s == ""
}

// lookup finds key in m, exactly or else case-insensitively (RFC 7643 §2.1),
// and returns the spelling the document uses.
func lookup(m map[string]any, key string) (string, any, bool) {
	if m == nil {
		return "", nil, false
	}
	if v, ok := m[key]; ok {
		return key, v, true
	}
	found, ok := "", false
	for k := range m {
		// The smallest of several spellings, so that the choice does
		// not depend on map order.
		if strings.EqualFold(k, key) && (!ok || k < found) {
			found, ok = k, true
		}
	}
	if !ok {
		return "", nil, false
	}
	return found, m[found], true
}

// put sets m[key] and deletes every other spelling of key, so the document
// keeps one canonical key per attribute.
func put(m map[string]any, key string, v any) {
	for k := range m {
		if k != key && strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
	m[key] = v
}

// drop deletes every spelling of key from m.
func drop(m map[string]any, key string) {
	for k := range m {
		if strings.EqualFold(k, key) {
			delete(m, k)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// asBool reads a boolean the way identity providers send them: true/false,
// or the strings "True", "False", "true"... (Entra's legacy PATCH).
func asBool(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

// asNumber reads a JSON number decoded with or without UseNumber, or a Go
// integer a caller put into an Operation.
func asNumber(v any) (float64, bool) {
	switch v := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return f, err == nil
	case float64:
		return v, true
	case float32:
		return float64(v), true
	case int:
		return float64(v), true
	case int64:
		return float64(v), true
	}
	return 0, false
}

// numberText is the decimal text of a number, for string attributes that an
// IdP sent as a JSON number (an employeeNumber, a phone number).
func numberText(v any) string {
	switch v := v.(type) {
	case json.Number:
		return string(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(v), 'f', -1, 32)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	}
	return ""
}

// equalValues compares two JSON values deeply. Numbers compare by value,
// whichever way they were decoded; fold compares strings case-insensitively.
func equalValues(a, b any, fold bool) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case string:
		b, ok := b.(string)
		if !ok {
			return false
		}
		if fold {
			return strings.EqualFold(a, b)
		}
		return a == b
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !equalValues(av, bv, fold) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !equalValues(a[i], b[i], fold) {
				return false
			}
		}
		return true
	}
	if x, ok := asNumber(a); ok {
		y, ok := asNumber(b)
		return ok && x == y
	}
	return false
}

// describe names a value's JSON kind for error details.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(truncate(v, 40))
	case bool:
		return strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any, []map[string]any, []string:
		return "an array"
	}
	if _, ok := asNumber(v); ok {
		return "the number " + numberText(v)
	}
	return fmt.Sprintf("a %T", v)
}
