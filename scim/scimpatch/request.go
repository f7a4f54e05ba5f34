package scimpatch

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// Operation is one PATCH operation (RFC 7644 §3.5.2).
type Operation struct {
	// Op is add, replace or remove, in any case (Entra's legacy traffic
	// sends "Add", "Replace", "Remove"). ParseRequest lower-cases it.
	Op string
	// Path names the target: an attribute, a sub-attribute, a value path
	// with a filter, or a URN-qualified extension attribute. Empty for a
	// path-less add or replace, whose Value is an object of attributes.
	Path string
	// Value is the operation's value as encoding/json decodes it (with
	// UseNumber when it comes from ParseRequest). nil is JSON null, which,
	// like "", clears the target.
	Value any
}

// ParseRequest decodes a PatchOp message (RFC 7644 §3.5.2):
//
//	{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//	 "Operations": [{"op": "replace", "path": "active", "value": false}]}
//
// It checks the message's shape; paths and values are checked by Apply.
// Keys match in any case ("Operations", "operations", "Op", "Path"...), and
// keys it does not know are ignored (the Microsoft collection sends "name"
// in an operation), as is a leading UTF-8 byte order mark. A missing
// "schemas" is accepted, as GitLab does; one that is present must list the
// PatchOp URN. Errors are *scim.Error with status 400:
//   - invalidSyntax: not a JSON object, schemas without the PatchOp URN,
//     no Operations array, an operation that is not an object;
//   - invalidValue: an empty Operations array (the RFC asks for at least
//     one) or one of more than 1000, an op that is missing or not
//     add/replace/remove, an add or replace without a "value" member
//     (null is a value: it clears);
//   - invalidPath: a path that is not a string.
func ParseRequest(body []byte) ([]Operation, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	var top map[string]json.RawMessage
	if err := decode(body, &top); err != nil || top == nil {
		return nil, syntaxErr("the body is not a JSON object: send {\"schemas\": [\"%s\"], \"Operations\": [...]}", scim.PatchOpSchema)
	}
	if raw, ok := member(top, "schemas"); ok && !isJSONNull(raw) {
		var schemas []string
		if err := decode(raw, &schemas); err != nil || !hasPatchOp(schemas) {
			return nil, syntaxErr("schemas must list %q", scim.PatchOpSchema)
		}
	}
	raw, ok := member(top, "Operations")
	if !ok || isJSONNull(raw) {
		return nil, syntaxErr("the body has no Operations array: send {\"schemas\": [\"%s\"], \"Operations\": [{\"op\": \"replace\", \"path\": \"active\", \"value\": false}]}", scim.PatchOpSchema)
	}
	var list []json.RawMessage
	if err := decode(raw, &list); err != nil {
		return nil, syntaxErr("Operations must be an array of operations")
	}
	if len(list) == 0 {
		return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "Operations is empty; send at least one add, replace or remove operation")
	}
	if len(list) > maxOperations {
		return nil, tooManyOperations(len(list))
	}
	ops := make([]Operation, 0, len(list))
	for i, raw := range list {
		op, err := parseOperation(i, raw)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	return ops, nil
}

func parseOperation(i int, raw json.RawMessage) (Operation, error) {
	var m map[string]json.RawMessage
	if err := decode(raw, &m); err != nil || m == nil {
		return Operation{}, syntaxErr("Operations[%d] is not an object such as {\"op\": \"add\", \"path\": \"title\", \"value\": \"Engineer\"}", i)
	}
	var op Operation
	rawOp, ok := member(m, "op")
	if !ok || isJSONNull(rawOp) {
		return op, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "Operations[%d] has no op; use add, replace or remove", i)
	}
	if err := decode(rawOp, &op.Op); err != nil {
		return op, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "Operations[%d]: op must be the string add, replace or remove", i)
	}
	op.Op = strings.ToLower(strings.TrimSpace(op.Op))
	switch op.Op {
	case "add", "replace", "remove":
	default:
		return op, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "Operations[%d]: op %q is not add, replace or remove", i, truncate(op.Op, 40))
	}
	if rawPath, ok := member(m, "path"); ok && !isJSONNull(rawPath) {
		if err := decode(rawPath, &op.Path); err != nil {
			return op, scim.Errorf(http.StatusBadRequest, scim.InvalidPath, "Operations[%d] (%s): path must be a string such as \"name.givenName\"", i, op.Op)
		}
		op.Path = strings.TrimSpace(op.Path)
	}
	rawValue, hasValue := member(m, "value")
	if hasValue {
		if err := decode(rawValue, &op.Value); err != nil {
			return op, syntaxErr("Operations[%d]: the value is not valid JSON", i)
		}
	} else if op.Op != "remove" {
		where := "without a path"
		if op.Path != "" {
			where = strconv.Quote(truncate(op.Path, 200))
		}
		return op, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "Operations[%d] (%s %s) has no value; send the new value, or null to clear the attribute", i, op.Op, where)
	}
	return op, nil
}

// decode unmarshals one JSON value, numbers as json.Number, and rejects
// anything after it.
func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// member finds key in a JSON object, exactly or else case-insensitively.
func member(m map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	if v, ok := m[key]; ok {
		return v, true
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.EqualFold(k, key) {
			return m[k], true
		}
	}
	return nil, false
}

func isJSONNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func hasPatchOp(schemas []string) bool {
	for _, s := range schemas {
		if strings.EqualFold(strings.TrimSpace(s), scim.PatchOpSchema) {
			return true
		}
	}
	return false
}

func syntaxErr(format string, args ...any) error {
	return scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax, format, args...)
}
