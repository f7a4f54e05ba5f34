package scimpatch

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// Apply applies ops, in order, to a copy of the User document doc and
// returns the copy; doc itself is never modified. A PATCH is all or nothing:
// when an operation fails, Apply returns a nil document and a *scim.Error
// (status 400) whose detail names the operation by its index, op and path
// and says what to fix. Op names are matched in any case.
//
// doc may be nil (an empty document). The result has the same canonical
// shape as the input (see the package documentation), never holds a
// password, and shares no maps or slices with doc or ops.
func Apply(doc map[string]any, ops []Operation) (map[string]any, error) {
	if len(ops) > maxOperations {
		return nil, tooManyOperations(len(ops))
	}
	a := &applier{doc: copyMap(doc), dropped: map[string]bool{}, wrote: map[string]bool{}}
	if a.doc == nil {
		a.doc = map[string]any{}
	}
	for i, op := range ops {
		a.index, a.rawOp, a.key = i, op.Op, ""
		a.op = strings.ToLower(strings.TrimSpace(op.Op))
		a.path = strings.TrimSpace(op.Path)
		// A copy, so the result never shares the operation's maps
		// and typed slices a Go caller built become []any.
		if f := a.apply(copyValue(op.Value)); f != nil {
			return nil, a.wrap(f)
		}
	}
	a.finish()
	return a.doc, nil
}

// Limits on the work one request can cause. Real requests stay far below
// them (Entra's largest user PATCH has a few dozen operations); without
// them, a 1 MB body could cost seconds of case-insensitive lookups.
const (
	maxOperations = 1000 // operations in one request
	maxValues     = 1000 // values of one multi-valued attribute
	maxKeys       = 1000 // keys of one value object, or attributes of one extension
)

func tooManyOperations(n int) error {
	return scim.Errorf(http.StatusBadRequest, scim.InvalidValue,
		"the request has %d operations; send at most %d per request", n, maxOperations)
}

// applier holds the working copy and the operation being applied.
type applier struct {
	doc     map[string]any
	dropped map[string]bool // extension keys an operation removed
	wrote   map[string]bool // extension keys an operation wrote to

	index int
	rawOp string
	op    string // add, replace or remove
	path  string
	key   string // the key of a path-less value being applied
}

func (a *applier) wrap(f *failure) error {
	op := a.op
	if op == "" {
		op = "operation"
	}
	var where string
	if a.path != "" {
		where = fmt.Sprintf("Operations[%d] (%s %q)", a.index, truncate(op, 20), truncate(a.path, 200))
	} else {
		where = fmt.Sprintf("Operations[%d] (%s without a path)", a.index, truncate(op, 20))
	}
	if a.key != "" {
		where += fmt.Sprintf(", value key %q", truncate(a.key, 200))
	}
	return scim.Errorf(http.StatusBadRequest, f.scimType, "%s: %s", where, f.msg)
}

func (a *applier) apply(v any) *failure {
	switch a.op {
	case "add", "replace", "remove":
	case "":
		return fail(scim.InvalidValue, "op is missing; use add, replace or remove")
	default:
		return fail(scim.InvalidValue, "op %q is not add, replace or remove", truncate(a.rawOp, 40))
	}
	if a.path == "" {
		if a.op == "remove" {
			return fail(scim.NoTarget, "remove needs a path naming the attribute or values to remove")
		}
		return a.setObject(scim.User, v)
	}
	t, f := resolve(a.doc, a.path)
	if f != nil {
		return f
	}
	if a.op == "remove" {
		return a.remove(t, v)
	}
	return a.set(t, v)
}

// ignoredKeys are left out of a path-less value: identity providers echo
// them from the resource (Okta puts the resource's own id there), and none
// of them can be changed.
var ignoredKeys = []string{"id", "meta", "schemas", "groups"}

// setObject applies each key of a path-less value, or of the value of a
// path naming the User schema or the enterprise extension alone. Keys are
// paths relative to schema: simple names, "name.givenName", URN-qualified
// names, or an extension URN whose value is an object of its attributes.
func (a *applier) setObject(schema *scim.Schema, v any) *failure {
	obj, ok := v.(map[string]any)
	if ok && len(obj) > maxKeys {
		return fail(scim.InvalidValue, "the value has %d keys; send at most %d", len(obj), maxKeys)
	}
	if !ok {
		if schema == scim.EnterpriseUser {
			return fail(scim.InvalidValue, "the enterprise extension takes an object of its attributes, such as {\"department\": \"Sales\"}, not %s", describe(v))
		}
		return fail(scim.InvalidValue, "%s without a path takes an object of attributes, such as {\"active\": false}, not %s", a.op, describe(v))
	}
	type item struct {
		key string
		t   *target
		v   any
	}
	outer := a.key
	var items []item
	for _, k := range sortedKeys(obj) {
		if schema == scim.User && ignored(k) {
			continue
		}
		a.key = joinKey(outer, k)
		path := k
		if schema == scim.EnterpriseUser {
			path = scim.EnterpriseUserSchema + ":" + k
		}
		t, f := resolve(a.doc, path)
		if f != nil {
			return f
		}
		items = append(items, item{a.key, t, obj[k]})
	}
	sort.SliceStable(items, func(i, j int) bool { return items[i].t.depth() < items[j].t.depth() })
	for _, it := range items {
		a.key = it.key
		if f := a.set(it.t, it.v); f != nil {
			return f
		}
	}
	a.key = outer
	return nil
}

func ignored(k string) bool {
	for _, s := range ignoredKeys {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

func joinKey(outer, k string) string {
	if outer == "" {
		return k
	}
	return outer + " > " + k
}

// set applies add or replace (a.op) of v at t. A null or "" value clears
// the target.
func (a *applier) set(t *target, v any) *failure {
	if t.ext != "" && t.schema == nil {
		if f := roomFor(a.doc, t.ext, "the User resource"); f != nil {
			return f
		}
	}
	switch {
	case t.special == specialPassword:
		// Accepted and discarded: Gatehouse users sign in through
		// their identity provider, so a password is never stored.
		drop(a.doc, specialPassword)
		return nil
	case t.special == specialSchemas:
		// schemas follows the extensions the document holds; see finish.
		return nil
	case t.whole:
		return a.setWhole(t, v)
	case t.attr == nil:
		return a.setCustom(t, v)
	case t.attr.MultiValued:
		return a.setMulti(t, v)
	case t.attr.Type == scim.Complex:
		return a.setComplex(t, v)
	}
	if isNull(v) {
		return a.removeAttr(t)
	}
	cv, f := coerce(t.attr, t.attr.Name, v)
	if f != nil {
		return f
	}
	put(a.container(t.ext, true), t.name, cv)
	return nil
}

func (a *applier) setWhole(t *target, v any) *failure {
	if t.schema == scim.User {
		return a.setObject(scim.User, v)
	}
	if isNull(v) {
		a.dropExt(t.ext)
		return nil
	}
	if t.schema == scim.EnterpriseUser {
		return a.setObject(scim.EnterpriseUser, v)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fail(scim.InvalidValue, "the extension %s takes an object of its attributes, not %s", t.ext, describe(v))
	}
	if len(obj) > maxKeys {
		return fail(scim.InvalidValue, "the value has %d keys; send at most %d", len(obj), maxKeys)
	}
	outer := a.key
	for _, k := range sortedKeys(obj) {
		a.key = joinKey(outer, k)
		ct := &target{ext: t.ext, name: k}
		if m, ok := a.doc[t.ext].(map[string]any); ok {
			if have, _, found := lookup(m, k); found {
				ct.name = have
			}
		}
		if f := a.setCustom(ct, obj[k]); f != nil {
			return f
		}
	}
	a.key = outer
	return nil
}

// setCustom sets an attribute of a custom extension verbatim. add appends
// to an attribute that already holds an array (RFC 7644 §3.5.2.1); replace
// overwrites.
func (a *applier) setCustom(t *target, v any) *failure {
	cont := a.container(t.ext, false)
	_, old, _ := lookup(cont, t.name)
	oldList, isList := old.([]any)
	if t.filter != nil || (t.sub != "" && isList) {
		return a.setMulti(t, v)
	}
	if t.sub != "" {
		if isNull(v) {
			if m := a.complexMap(t, false); m != nil {
				drop(m, t.sub)
				a.tidyComplex(t)
			}
			return nil
		}
		m := a.complexMap(t, true)
		k := subKey(t, m)
		if f := roomFor(m, k, t.name); f != nil {
			return f
		}
		put(m, k, copyValue(v))
		return nil
	}
	if isNull(v) {
		return a.removeAttr(t)
	}
	if a.op == "add" && isList {
		elems, f := elements(nil, t.name, v)
		if f != nil {
			return f
		}
		if f := checkRoom(t.name, oldList, elems); f != nil {
			return f
		}
		list, touched := mergeInto(nil, oldList, elems)
		fixPrimary(list, touched)
		return a.writeList(t, list)
	}
	cont = a.container(t.ext, true)
	if f := roomFor(cont, t.name, t.ext); f != nil {
		return f
	}
	put(cont, t.name, copyValue(v))
	return nil
}

// roomFor refuses to add a new key to an object that already has maxKeys.
func roomFor(m map[string]any, key, what string) *failure {
	if _, _, ok := lookup(m, key); !ok && len(m) >= maxKeys {
		return fail(scim.InvalidValue, "%s already holds %d attributes, the most Gatehouse keeps", what, maxKeys)
	}
	return nil
}

// checkRoom refuses to grow a multi-valued attribute beyond maxValues.
func checkRoom(name string, list, elems []any) *failure {
	if len(list)+len(elems) > maxValues {
		return fail(scim.InvalidValue, "%s would hold more than %d values, the most Gatehouse keeps", name, maxValues)
	}
	return nil
}

// setComplex sets a single-valued complex attribute (name, manager) or one
// of its sub-attributes. A value object is merged: sub-attributes it does
// not mention are left as they are (RFC 7644 §3.5.2.1 and §3.5.2.3).
func (a *applier) setComplex(t *target, v any) *failure {
	if t.sub != "" {
		if isNull(v) {
			return a.removeSub(t)
		}
		cv, f := coerce(t.subAttr, t.name+"."+t.sub, v)
		if f != nil {
			return f
		}
		put(a.complexMap(t, true), t.sub, cv)
		a.tidyComplex(t)
		return nil
	}
	if isNull(v) {
		return a.removeAttr(t)
	}
	if isManager(t.attr) {
		mv, f := managerValue(v)
		if f != nil {
			return f
		}
		if mv == nil {
			return a.removeAttr(t)
		}
		put(a.container(t.ext, true), t.name, mv)
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fail(scim.InvalidValue, "%s is complex; send an object of its sub-attributes (%s), not %s",
			t.attr.Name, subNames(t.attr), describe(v))
	}
	updates := map[string]any{}
	for _, k := range sortedKeys(obj) {
		sa := t.attr.Sub(k)
		if sa == nil {
			return fail(scim.InvalidValue, "%s has no sub-attribute %q; its sub-attributes are %s", t.attr.Name, k, subNames(t.attr))
		}
		if sa.Mutability == scim.ReadOnly {
			continue
		}
		if isNull(obj[k]) {
			updates[sa.Name] = nil
			continue
		}
		cv, f := coerce(sa, t.attr.Name+"."+sa.Name, obj[k])
		if f != nil {
			return f
		}
		updates[sa.Name] = cv
	}
	m := a.complexMap(t, true)
	for k, v := range updates {
		if v == nil {
			drop(m, k)
		} else {
			put(m, k, v)
		}
	}
	a.tidyComplex(t)
	return nil
}

// setMulti applies add or replace to a multi-valued attribute: the whole
// list, every value's sub-attribute, or the values a filter selects. With
// a filter that selects nothing, the value is created from the filter's eq
// conditions, as Entra expects (even when the attribute is absent).
func (a *applier) setMulti(t *target, v any) *failure {
	list := listOf(a.container(t.ext, false), t.name)
	var touched []int
	switch {
	case t.filter == nil && t.sub == "":
		if isNull(v) {
			return a.removeAttr(t)
		}
		elems, f := elements(t.attr, t.name, v)
		if f != nil {
			return f
		}
		if a.op == "replace" {
			list = nil
		}
		if f := checkRoom(t.name, list, elems); f != nil {
			return f
		}
		list, touched = mergeInto(t.attr, list, elems)
	case t.filter == nil: // a sub-attribute of every value
		if isNull(v) {
			list = dropSub(list, allIndexes(list), t.sub)
			break
		}
		cv, f := coerceSub(t, v)
		if f != nil {
			return f
		}
		if len(list) == 0 {
			list = []any{map[string]any{t.sub: cv}}
		}
		for i, e := range list {
			if m, ok := e.(map[string]any); ok {
				put(m, subKey(t, m), copyValue(cv))
				touched = append(touched, i)
			}
		}
	case t.sub != "": // a sub-attribute of the selected values
		idx := matching(list, t.filter)
		if isNull(v) {
			list = dropSub(list, idx, t.sub)
			break
		}
		cv, f := coerceSub(t, v)
		if f != nil {
			return f
		}
		if len(idx) == 0 {
			e, f := a.create(t)
			if f != nil {
				return f
			}
			put(e, t.sub, cv)
			list = append(list, e)
			touched = append(touched, len(list)-1)
			break
		}
		for _, i := range idx {
			if m, ok := list[i].(map[string]any); ok {
				put(m, subKey(t, m), copyValue(cv))
				touched = append(touched, i)
			}
		}
	default: // the selected values themselves
		idx := matching(list, t.filter)
		if isNull(v) {
			list = removeIndexes(list, idx)
			break
		}
		ev, f := coerceElement(t.attr, t.name, v)
		if f != nil {
			return f
		}
		if ev == nil {
			return nil
		}
		em, isMap := ev.(map[string]any)
		if len(idx) == 0 {
			if !isMap {
				list = append(list, ev)
			} else {
				e, f := a.create(t)
				if f != nil {
					return f
				}
				for k, v := range em {
					put(e, k, v)
				}
				list = append(list, e)
			}
			touched = append(touched, len(list)-1)
			break
		}
		for _, i := range idx {
			old, oldIsMap := list[i].(map[string]any)
			switch {
			case !isMap || !oldIsMap:
				list[i] = copyValue(ev)
			case a.op == "add":
				for k, v := range em {
					put(old, k, copyValue(v))
				}
			default:
				// replace: the selected values are replaced
				// (RFC 7644 §3.5.2.3), keeping what the filter
				// pins so that they still match it.
				e, _ := eqFields(t.filter)
				if e == nil {
					e = map[string]any{}
				}
				for k, v := range em {
					put(e, k, copyValue(v))
				}
				list[i] = e
			}
			touched = append(touched, i)
		}
	}
	fixPrimary(list, touched)
	return a.writeList(t, list)
}

// create builds the value a filtered add or replace adds when no value
// matches: the fields the filter's eq conditions pin down.
func (a *applier) create(t *target) (map[string]any, *failure) {
	e, ok := eqFields(t.filter)
	if !ok {
		return nil, fail(scim.NoTarget, "no value of %s matches [%s], and only eq conditions joined by and (such as [type eq \"work\"]) describe a value to create",
			t.name, t.text)
	}
	return e, nil
}

// remove applies a remove operation. Removing what is absent succeeds and
// changes nothing, so identity providers can repeat it.
func (a *applier) remove(t *target, v any) *failure {
	switch {
	case t.special == specialPassword:
		drop(a.doc, specialPassword)
		return nil
	case t.special == specialSchemas:
		return nil
	case t.whole:
		if t.schema == scim.User {
			return fail(scim.InvalidPath, "name the attribute to remove, not the whole User schema")
		}
		a.dropExt(t.ext)
		return nil
	}
	multi := t.attr != nil && t.attr.MultiValued
	if t.attr == nil {
		_, old, _ := lookup(a.container(t.ext, false), t.name)
		_, multi = old.([]any)
		multi = multi || t.filter != nil
	}
	if !multi {
		if t.sub != "" {
			return a.removeSub(t)
		}
		return a.removeAttr(t)
	}
	list := listOf(a.container(t.ext, false), t.name)
	switch {
	case t.filter != nil && t.sub != "":
		list = dropSub(list, matching(list, t.filter), t.sub)
	case t.filter != nil:
		list = removeIndexes(list, matching(list, t.filter))
	case t.sub != "":
		list = dropSub(list, allIndexes(list), t.sub)
	case !isNull(v):
		// Entra's legacy form: remove only the values listed.
		elems, f := elements(t.attr, t.name, v)
		if f != nil {
			return f
		}
		var idx []int
		for i, x := range list {
			for _, e := range elems {
				if contains(x, e) {
					idx = append(idx, i)
					break
				}
			}
		}
		list = removeIndexes(list, idx)
	default:
		return a.removeAttr(t)
	}
	return a.writeList(t, list)
}

func (a *applier) removeAttr(t *target) *failure {
	if t.attr != nil && t.attr.Required {
		return fail(scim.Mutability, "%s is required and cannot be removed; replace it with a new value instead", t.attr.Name)
	}
	cont := a.container(t.ext, false)
	if cont == nil {
		return nil
	}
	drop(cont, t.name)
	a.tidy(t.ext)
	return nil
}

func (a *applier) removeSub(t *target) *failure {
	m := a.complexMap(t, false)
	if m == nil {
		return nil
	}
	drop(m, t.sub)
	a.tidyComplex(t)
	return nil
}

// container returns the object that holds t's attribute: the document, or
// the extension object ext, created when asked.
func (a *applier) container(ext string, create bool) map[string]any {
	if ext == "" {
		return a.doc
	}
	k, v, _ := lookup(a.doc, ext)
	if m, ok := v.(map[string]any); ok {
		if k != ext {
			delete(a.doc, k)
			a.doc[ext] = m
		}
		if create {
			a.wrote[ext] = true
		}
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	put(a.doc, ext, m)
	a.wrote[ext] = true
	return m
}

// complexMap returns the object of the complex attribute t names.
func (a *applier) complexMap(t *target, create bool) map[string]any {
	cont := a.container(t.ext, create)
	if cont == nil {
		return nil
	}
	k, v, _ := lookup(cont, t.name)
	if m, ok := v.(map[string]any); ok {
		if k != t.name {
			delete(cont, k)
			cont[t.name] = m
		}
		return m
	}
	if !create {
		return nil
	}
	m := map[string]any{}
	put(cont, t.name, m)
	return m
}

// tidyComplex removes a complex attribute left without sub-attributes, and
// a manager left without its value.
func (a *applier) tidyComplex(t *target) {
	cont := a.container(t.ext, false)
	if cont == nil {
		return
	}
	k, v, _ := lookup(cont, t.name)
	if m, ok := v.(map[string]any); ok {
		_, _, hasValue := lookup(m, "value")
		if len(m) == 0 || (isManager(t.attr) && !hasValue) {
			delete(cont, k)
		}
	}
	a.tidy(t.ext)
}

// tidy removes an extension object left empty.
func (a *applier) tidy(ext string) {
	if ext == "" {
		return
	}
	if m, ok := a.doc[ext].(map[string]any); ok && len(m) == 0 {
		a.dropExt(ext)
	}
}

func (a *applier) dropExt(ext string) {
	drop(a.doc, ext)
	a.dropped[ext] = true
}

func (a *applier) writeList(t *target, list []any) *failure {
	if len(list) > maxValues {
		return fail(scim.InvalidValue, "%s would hold more than %d values, the most Gatehouse keeps", t.name, maxValues)
	}
	cont := a.container(t.ext, len(list) > 0)
	if cont == nil {
		return nil
	}
	if len(list) == 0 {
		drop(cont, t.name)
		a.tidy(t.ext)
		return nil
	}
	if t.attr == nil {
		if f := roomFor(cont, t.name, t.ext); f != nil {
			return f
		}
	}
	put(cont, t.name, list)
	return nil
}

// finish drops any password and keeps "schemas", when the document has it,
// in step with the extension objects the operations wrote or removed.
func (a *applier) finish() {
	drop(a.doc, specialPassword)
	_, v, _ := lookup(a.doc, specialSchemas)
	schemas, ok := v.([]any)
	if !ok {
		return
	}
	out := make([]any, 0, len(schemas)+1)
	for _, s := range schemas {
		if u, ok := s.(string); ok && a.droppedExt(u) {
			continue
		}
		out = append(out, s)
	}
	for _, ext := range sortedKeys(a.doc) {
		if m, ok := a.doc[ext].(map[string]any); ok && len(m) > 0 && a.wrote[ext] && !listed(out, ext) {
			out = append(out, ext)
		}
	}
	put(a.doc, specialSchemas, out)
}

func (a *applier) droppedExt(urn string) bool {
	for ext := range a.dropped {
		if strings.EqualFold(ext, urn) {
			_, _, present := lookup(a.doc, urn)
			return !present
		}
	}
	return false
}

func listed(list []any, s string) bool {
	for _, e := range list {
		if es, ok := e.(string); ok && strings.EqualFold(es, s) {
			return true
		}
	}
	return false
}
