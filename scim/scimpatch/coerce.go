package scimpatch

import (
	"encoding/json"
	"strings"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// coerce converts a scalar PATCH value to attr's type: booleans from true,
// false or their string spellings; strings from strings, or from numbers an
// IdP sent unquoted. label names the attribute in error details.
func coerce(attr *scim.Attribute, label string, v any) (any, *failure) {
	switch attr.Type {
	case scim.Boolean:
		if b, ok := asBool(v); ok {
			return b, nil
		}
		return nil, fail(scim.InvalidValue, "%s is a boolean; send true or false, not %s", label, describe(v))
	case scim.Decimal, scim.Integer:
		n := v
		if s, ok := v.(string); ok {
			n = json.Number(strings.TrimSpace(s))
		}
		if f, ok := asNumber(n); ok && (attr.Type == scim.Decimal || f == float64(int64(f))) {
			return n, nil
		}
		return nil, fail(scim.InvalidValue, "%s is a number (%s); not %s", label, attr.Type, describe(v))
	case scim.Complex:
		return nil, fail(scim.InvalidValue, "%s is complex; send an object of its sub-attributes (%s), not %s", label, subNames(attr), describe(v))
	}
	switch v := v.(type) {
	case string:
		return v, nil
	case bool, map[string]any, []any, nil:
	default:
		if _, ok := asNumber(v); ok {
			return numberText(v), nil
		}
	}
	return nil, fail(scim.InvalidValue, "%s is a string; send a JSON string, not %s", label, describe(v))
}

func coerceSub(t *target, v any) (any, *failure) {
	if t.subAttr == nil {
		return copyValue(v), nil
	}
	return coerce(t.subAttr, t.name+"."+t.sub, v)
}

// subKey is the key t's sub-attribute has in the value m: the canonical
// name for known attributes, or the spelling m already uses in a custom
// extension.
func subKey(t *target, m map[string]any) string {
	if t.subAttr != nil {
		return t.sub
	}
	if k, _, ok := lookup(m, t.sub); ok {
		return k
	}
	return t.sub
}

// coerceElement converts one value of a multi-valued attribute. Objects get
// canonical, typed sub-attributes (readOnly ones dropped, null ones left
// out); a bare scalar becomes {"value": scalar}. A nil result means the
// value is empty. In a custom extension (attr nil) values are kept as sent.
func coerceElement(attr *scim.Attribute, label string, v any) (any, *failure) {
	if attr == nil {
		if isNull(v) {
			return nil, nil
		}
		return copyValue(v), nil
	}
	if isNull(v) {
		return nil, nil
	}
	if attr.Type != scim.Complex {
		return coerce(attr, label, v)
	}
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for _, k := range sortedKeys(v) {
			sa := attr.Sub(k)
			if sa == nil {
				return nil, fail(scim.InvalidValue, "%s has no sub-attribute %q; its sub-attributes are %s", label, k, subNames(attr))
			}
			if sa.Mutability == scim.ReadOnly || isNull(v[k]) {
				continue
			}
			cv, f := coerce(sa, label+"."+sa.Name, v[k])
			if f != nil {
				return nil, f
			}
			out[sa.Name] = cv
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	case []any:
		return nil, fail(scim.InvalidValue, "a value of %s cannot itself be an array", label)
	}
	if vs := attr.Sub("value"); vs != nil {
		cv, f := coerce(vs, label+".value", v)
		if f != nil {
			return nil, f
		}
		return map[string]any{"value": cv}, nil
	}
	return nil, fail(scim.InvalidValue, "the values of %s are objects of %s, not %s", label, subNames(attr), describe(v))
}

// elements converts a PATCH value for a whole multi-valued attribute: an
// array of values, or a single value standing for an array of one.
func elements(attr *scim.Attribute, label string, v any) ([]any, *failure) {
	list, ok := v.([]any)
	if !ok {
		list = []any{v}
	}
	if len(list) > maxValues {
		return nil, fail(scim.InvalidValue, "the value has %d values for %s; send at most %d", len(list), label, maxValues)
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		ce, f := coerceElement(attr, label, e)
		if f != nil {
			return nil, f
		}
		if ce != nil {
			out = append(out, ce)
		}
	}
	return out, nil
}

// listOf returns the values of the multi-valued attribute name in cont. A
// lone object or scalar counts as a list of one.
func listOf(cont map[string]any, name string) []any {
	_, v, _ := lookup(cont, name)
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		return v
	}
	return []any{v}
}

// mergeInto adds elems to list. A value equivalent to one already there
// updates it instead of adding a duplicate (identity providers re-send).
// It returns the list and the indexes of the values the operation touched.
func mergeInto(attr *scim.Attribute, list, elems []any) ([]any, []int) {
	var touched []int
	for _, e := range elems {
		j := -1
		for i, x := range list {
			if equivalent(attr, x, e) {
				j = i
				break
			}
		}
		if j < 0 {
			list = append(list, e)
			touched = append(touched, len(list)-1)
			continue
		}
		xm, ok1 := list[j].(map[string]any)
		em, ok2 := e.(map[string]any)
		if ok1 && ok2 {
			for _, k := range sortedKeys(em) {
				key := k
				if have, _, ok := lookup(xm, k); ok && attr == nil {
					key = have
				}
				put(xm, key, em[k])
			}
		}
		touched = append(touched, j)
	}
	return list, touched
}

// equivalent reports whether the new value e stands for the existing value
// x: the same "value" (and no conflicting "type"), or, for values without
// a "value" sub-attribute such as addresses, the same fields apart from
// primary and display.
func equivalent(attr *scim.Attribute, x, e any) bool {
	xm, ok1 := x.(map[string]any)
	em, ok2 := e.(map[string]any)
	if !ok1 || !ok2 {
		return equalValues(x, e, false)
	}
	_, xv, xok := lookup(xm, "value")
	_, ev, eok := lookup(em, "value")
	if xok || eok {
		fold := true
		if attr != nil {
			if vs := attr.Sub("value"); vs != nil && vs.CaseExact {
				fold = false
			}
		}
		if !xok || !eok || !equalValues(xv, ev, fold) {
			return false
		}
		_, xt, _ := lookup(xm, "type")
		_, et, _ := lookup(em, "type")
		return xt == nil || et == nil || equalValues(xt, et, true)
	}
	return equalExcept(xm, em, "primary", "display")
}

func equalExcept(x, e map[string]any, except ...string) bool {
	skip := func(k string) bool {
		for _, s := range except {
			if strings.EqualFold(k, s) {
				return true
			}
		}
		return false
	}
	n := 0
	for k, ev := range e {
		if skip(k) {
			continue
		}
		n++
		_, xv, ok := lookup(x, k)
		if !ok || !equalValues(xv, ev, true) {
			return false
		}
	}
	for k := range x {
		if !skip(k) {
			n--
		}
	}
	return n == 0
}

// contains reports whether the existing value x has every field of e, for
// a remove that lists the values to remove ({"value": "…"} usually).
func contains(x, e any) bool {
	xm, ok1 := x.(map[string]any)
	em, ok2 := e.(map[string]any)
	if !ok1 || !ok2 {
		return equalValues(x, e, true)
	}
	for k, ev := range em {
		_, xv, ok := lookup(xm, k)
		if !ok || !equalValues(xv, ev, true) {
			return false
		}
	}
	return len(em) > 0
}

// fixPrimary keeps at most one primary value (RFC 7643 §2.4): when the
// operation made a value primary, every other value loses primary. Among
// several touched primaries the last wins.
func fixPrimary(list []any, touched []int) {
	winner := -1
	for _, i := range touched {
		if isPrimary(list[i]) {
			winner = i
		}
	}
	if winner < 0 {
		return
	}
	for i, e := range list {
		if i != winner && isPrimary(e) {
			put(e.(map[string]any), "primary", false)
		}
	}
}

func isPrimary(e any) bool {
	m, ok := e.(map[string]any)
	if !ok {
		return false
	}
	_, v, _ := lookup(m, "primary")
	b, ok := asBool(v)
	return ok && b
}

func matching(list []any, e expr) []int {
	var idx []int
	for i, x := range list {
		if e.match(x) {
			idx = append(idx, i)
		}
	}
	return idx
}

func allIndexes(list []any) []int {
	idx := make([]int, len(list))
	for i := range idx {
		idx[i] = i
	}
	return idx
}

// dropSub removes sub from the values at idx, and then removes values left
// with nothing but a type or primary flag: they no longer hold anything.
func dropSub(list []any, idx []int, sub string) []any {
	var empty []int
	for _, i := range idx {
		m, ok := list[i].(map[string]any)
		if !ok {
			continue
		}
		drop(m, sub)
		if hollow(m) {
			empty = append(empty, i)
		}
	}
	return removeIndexes(list, empty)
}

func hollow(m map[string]any) bool {
	for k := range m {
		if !strings.EqualFold(k, "type") && !strings.EqualFold(k, "primary") {
			return false
		}
	}
	return true
}

func removeIndexes(list []any, idx []int) []any {
	if len(idx) == 0 {
		return list
	}
	gone := make(map[int]bool, len(idx))
	for _, i := range idx {
		gone[i] = true
	}
	out := list[:0:0]
	for i, e := range list {
		if !gone[i] {
			out = append(out, e)
		}
	}
	return out
}

// manager is the enterprise extension's manager attribute.
var manager = scim.EnterpriseUser.Attr("manager")

func isManager(a *scim.Attribute) bool { return a != nil && a == manager }

// managerValue reads every form identity providers send a manager in: the
// manager's id as a string (Entra's mapping default), {"value": id}, or
// Entra's legacy array [{"$ref": …, "value": id}] (its first element). An
// empty id means "no manager" and gives nil.
func managerValue(v any) (map[string]any, *failure) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case string:
		if v == "" {
			return nil, nil
		}
		return map[string]any{"value": v}, nil
	case []any:
		if len(v) == 0 {
			return nil, nil
		}
		if _, nested := v[0].([]any); nested {
			return nil, fail(scim.InvalidValue, "manager takes the manager's id or {\"value\": id}, not nested arrays")
		}
		return managerValue(v[0])
	case map[string]any:
		out := map[string]any{}
		for _, k := range sortedKeys(v) {
			sa := manager.Sub(k)
			if sa == nil {
				return nil, fail(scim.InvalidValue, "manager has no sub-attribute %q; send {\"value\": \"<the manager's id>\"}", k)
			}
			if sa.Mutability == scim.ReadOnly || isNull(v[k]) {
				continue
			}
			cv, f := coerce(sa, "manager."+sa.Name, v[k])
			if f != nil {
				return nil, f
			}
			out[sa.Name] = cv
		}
		if _, ok := out["value"]; !ok {
			return nil, nil
		}
		return out, nil
	case bool:
	default:
		if _, ok := asNumber(v); ok {
			return map[string]any{"value": numberText(v)}, nil
		}
	}
	return nil, fail(scim.InvalidValue, "manager takes the manager's id or {\"value\": id}, not %s", describe(v))
}
