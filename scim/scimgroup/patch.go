package scimgroup

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
)

// Kind says what a Change does.
type Kind int

// The changes a Group PATCH makes.
const (
	SetDisplayName   Kind = iota + 1 // Text is the new displayName, never empty
	SetExternalID                    // Text is the new externalId, "" to clear it
	AddMembers                       // add Members (those already in stay as they are)
	RemoveMembers                    // remove the Members' values (absent ones are skipped)
	RemoveAllMembers                 // remove every member
	ReplaceMembers                   // make Members the whole member list
)

// Change is one step of a Group PATCH.
type Change struct {
	Kind    Kind
	Text    string
	Members []Member
}

// groupURN prefixes a URN-qualified core Group attribute.
const groupURN = scim.GroupSchema + ":"

// Patch reads a Group PATCH body (a PatchOp message, read by
// scimpatch.ParseRequest) into the changes it asks for, in order. id is
// the resource's own id, which Okta repeats in a path-less value. Errors
// are *scim.Error with status 400: those of scimpatch.ParseRequest;
// invalidPath for a path other than displayName, externalId, members or
// members[value eq "…"] (also URN-qualified), or a path-less key other than
// those; mutability for a change of id or meta; noTarget for a remove
// without a path; invalidValue for a value of the wrong type, an empty
// displayName, or a member without a value.
func Patch(body []byte, id string) ([]Change, error) {
	ops, err := scimpatch.ParseRequest(body)
	if err != nil {
		return nil, err
	}
	var out []Change
	for i, op := range ops {
		cs, err := operation(i, op, id)
		if err != nil {
			return nil, err
		}
		out = append(out, cs...)
	}
	return out, nil
}

func badPath(format string, args ...any) error {
	return scim.Errorf(http.StatusBadRequest, scim.InvalidPath, format, args...)
}

func badValue(format string, args ...any) error {
	return scim.Errorf(http.StatusBadRequest, scim.InvalidValue, format, args...)
}

// operation reads one operation.
func operation(i int, op scimpatch.Operation, id string) ([]Change, error) {
	if op.Path == "" {
		if op.Op == "remove" {
			return nil, scim.Errorf(http.StatusBadRequest, scim.NoTarget,
				`Operations[%d]: remove needs a path, such as "members[value eq \"<id>\"]"`, i)
		}
		obj, ok := op.Value.(map[string]any)
		if !ok {
			return nil, badValue(`Operations[%d] (%s without a path): the value must be an object such as {"displayName": "…"}`, i, op.Op)
		}
		var out []Change
		for _, k := range sortedKeys(obj) {
			name := strings.ToLower(strings.TrimPrefix(strings.ToLower(k), strings.ToLower(groupURN)))
			switch name {
			case "schemas", "meta":
				continue
			case "id":
				if s, _ := obj[k].(string); s == id {
					continue
				}
				return nil, scim.Errorf(http.StatusBadRequest, scim.Mutability, "Operations[%d]: id is read-only", i)
			}
			cs, err := attribute(i, op.Op, name, k, obj[k])
			if err != nil {
				return nil, err
			}
			out = append(out, cs...)
		}
		return out, nil
	}
	path := op.Path
	if len(path) > len(groupURN) && strings.EqualFold(path[:len(groupURN)], groupURN) {
		path = path[len(groupURN):]
	}
	lower := strings.ToLower(path)
	if strings.HasPrefix(lower, "members[") {
		values, err := memberFilter(i, path)
		if err != nil {
			return nil, err
		}
		if op.Op != "remove" {
			return nil, badPath(`Operations[%d]: %s with path %q is not supported; use {"op": "add", "path": "members", "value": [{"value": "<id>"}]}`,
				i, op.Op, truncate(op.Path, 200))
		}
		ms := make([]Member, len(values))
		for j, v := range values {
			ms[j] = Member{Value: v}
		}
		return []Change{{Kind: RemoveMembers, Members: ms}}, nil
	}
	if op.Op == "remove" {
		switch lower {
		case "members":
			if op.Value == nil {
				return []Change{{Kind: RemoveAllMembers}}, nil
			}
			// Entra's legacy remove: only the listed members.
			ms, err := Members("members", op.Value)
			if err != nil {
				return nil, err
			}
			return []Change{{Kind: RemoveMembers, Members: ms}}, nil
		case "externalid":
			return []Change{{Kind: SetExternalID}}, nil
		case "displayname":
			return nil, badValue("Operations[%d]: displayName is required and cannot be removed", i)
		}
	}
	return attribute(i, op.Op, lower, op.Path, op.Value)
}

// attribute reads an add or replace of one attribute (name lower case),
// or a remove of one attribute that needs no special case.
func attribute(i int, op, name, shown string, v any) ([]Change, error) {
	switch name {
	case "displayname":
		s, err := text("displayName", v)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(s) == "" {
			return nil, badValue("Operations[%d]: displayName is required and cannot be empty", i)
		}
		return []Change{{Kind: SetDisplayName, Text: s}}, nil
	case "externalid":
		s, err := text("externalId", v)
		if err != nil {
			return nil, err
		}
		return []Change{{Kind: SetExternalID, Text: s}}, nil
	case "members":
		ms, err := Members("members", v)
		if err != nil {
			return nil, err
		}
		if op == "replace" {
			return []Change{{Kind: ReplaceMembers, Members: ms}}, nil
		}
		return []Change{{Kind: AddMembers, Members: ms}}, nil
	case "id", "meta":
		return nil, scim.Errorf(http.StatusBadRequest, scim.Mutability, "Operations[%d]: %s is read-only", i, name)
	}
	return nil, badPath("Operations[%d]: %q is not an attribute of a Group; use displayName, externalId or members", i, truncate(shown, 200))
}

// memberFilter reads the ids of a path members[value eq "a" or value eq
// "b"]; an unquoted id is accepted, as Entra sometimes sends one.
func memberFilter(i int, path string) ([]string, error) {
	open := strings.IndexByte(path, '[')
	end := strings.LastIndexByte(path, ']')
	if end < open || strings.TrimSpace(path[end+1:]) != "" {
		return nil, badPath(`Operations[%d]: path %q must be of the form members[value eq "<id>"]`, i, truncate(path, 200))
	}
	s := strings.TrimSpace(path[open+1 : end])
	var ids []string
	for {
		var id string
		var ok bool
		s, id, ok = valueEq(s)
		if !ok {
			return nil, badPath(`Operations[%d]: path %q must be of the form members[value eq "<id>"]`, i, truncate(path, 200))
		}
		ids = append(ids, id)
		s = strings.TrimSpace(s)
		if s == "" {
			return ids, nil
		}
		if len(s) < 3 || !strings.EqualFold(s[:3], "or ") {
			return nil, badPath(`Operations[%d]: path %q must be of the form members[value eq "<id>"]`, i, truncate(path, 200))
		}
		s = s[3:]
	}
}

// valueEq reads `value eq "<id>"` from the start of s and returns the rest.
func valueEq(s string) (rest, id string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) < 6 || !strings.EqualFold(s[:6], "value ") {
		return "", "", false
	}
	s = strings.TrimSpace(s[6:])
	if len(s) < 3 || !strings.EqualFold(s[:3], "eq ") {
		return "", "", false
	}
	s = strings.TrimSpace(s[3:])
	if strings.HasPrefix(s, `"`) {
		// A JSON string: find its closing quote.
		for j := 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '"':
				if err := json.Unmarshal([]byte(s[:j+1]), &id); err != nil || id == "" {
					return "", "", false
				}
				return s[j+1:], id, true
			}
		}
		return "", "", false
	}
	n := strings.IndexByte(s, ' ')
	if n < 0 {
		n = len(s)
	}
	if n == 0 {
		return "", "", false
	}
	return s[n:], s[:n], true
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
