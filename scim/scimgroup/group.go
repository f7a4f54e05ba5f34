package scimgroup

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// Member is one entry of a Group's members: a SCIM user id and the display
// text the IdP sent with it ("" when none).
type Member struct {
	Value   string
	Display string
}

// Doc is what a POST or PUT body of a Group says.
type Doc struct {
	DisplayName string
	// ExternalID is the externalId sent; HasExternalID is false when the
	// body has none (a PUT then keeps the stored one, as for users).
	ExternalID    string
	HasExternalID bool
	// Members lists the members, each id once (the first display wins);
	// HasMembers is false when the body has no members key (a PUT then
	// keeps the stored members) and true for "members": [] or null.
	Members    []Member
	HasMembers bool
}

// maxText bounds displayName, externalId, member ids and display texts.
const maxText = 1024

// Parse reads a POST or PUT body. Keys match in any case; id, meta,
// schemas (any URIs, Entra adds its own), and unknown keys are ignored.
// Errors are *scim.Error with status 400: invalidSyntax for a body that is
// not a JSON object, invalidValue for a missing or empty displayName, a
// value of the wrong type, or a member without a value.
func Parse(body []byte) (*Doc, error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	var top map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&top); err != nil || top == nil {
		return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidSyntax,
			`the body is not a JSON object: send {"schemas": ["%s"], "displayName": "…"}`, scim.GroupSchema)
	}
	d := &Doc{}
	for _, k := range sortedKeys(top) {
		v := top[k]
		switch strings.ToLower(k) {
		case "displayname":
			s, err := text("displayName", v)
			if err != nil {
				return nil, err
			}
			d.DisplayName = s
		case "externalid":
			s, err := text("externalId", v)
			if err != nil {
				return nil, err
			}
			d.ExternalID, d.HasExternalID = s, true
		case "members":
			ms, err := Members("members", v)
			if err != nil {
				return nil, err
			}
			d.Members, d.HasMembers = ms, true
		}
	}
	if strings.TrimSpace(d.DisplayName) == "" {
		return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "displayName is required: send the group's name")
	}
	return d, nil
}

// sortedKeys returns m's keys in order, so that of two spellings of one
// key the same one wins every time.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// text reads a string attribute: null is "", and a string must be valid
// UTF-8 without NUL of at most maxText bytes.
func text(name string, v any) (string, error) {
	if v == nil {
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "%s must be a string", name)
	}
	if len(s) > maxText || !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", scim.Errorf(http.StatusBadRequest, scim.InvalidValue,
			"%s must be valid UTF-8 without NUL characters, of at most %d bytes", name, maxText)
	}
	return s, nil
}

// Members reads a members value: a list of member objects (value, with
// display or displayName; $ref, type and unknown keys are ignored), one
// member object, or a bare id string; null is no members. Each id appears
// once in the result, in the order first sent. name is the attribute named
// in errors.
func Members(name string, v any) ([]Member, error) {
	var items []any
	switch x := v.(type) {
	case nil:
		return nil, nil
	case []any:
		items = x
	default:
		items = []any{x}
	}
	var out []Member
	seen := make(map[string]bool, len(items))
	for i, it := range items {
		var m Member
		switch x := it.(type) {
		case string:
			m.Value = x
		case map[string]any:
			for _, k := range sortedKeys(x) {
				var err error
				switch strings.ToLower(k) {
				case "value":
					m.Value, err = text(fmt.Sprintf("%s[%d].value", name, i), x[k])
				case "display", "displayname":
					if m.Display == "" {
						m.Display, err = text(fmt.Sprintf("%s[%d].display", name, i), x[k])
					}
				}
				if err != nil {
					return nil, err
				}
			}
		case nil:
			continue
		default:
			return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidValue,
				`%s[%d] must be an object such as {"value": "<SCIM user id>"}`, name, i)
		}
		m.Value = strings.TrimSpace(m.Value)
		if m.Value == "" {
			return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidValue,
				`%s[%d] has no value; send {"value": "<SCIM user id>"}`, name, i)
		}
		if len(m.Value) > maxText || !utf8.ValidString(m.Value) || strings.ContainsRune(m.Value, 0) {
			return nil, scim.Errorf(http.StatusBadRequest, scim.InvalidValue, "%s[%d].value is not a SCIM user id", name, i)
		}
		if seen[m.Value] {
			continue
		}
		seen[m.Value] = true
		out = append(out, m)
	}
	return out, nil
}

// Resource builds the Group resource Gatehouse answers with: schemas, id,
// externalId (omitted when ""), displayName, members (each with value,
// $ref to the user's resource under baseURL, and display when known;
// omitted when members is nil, as for excludedAttributes=members), and
// meta with resourceType Group.
func Resource(baseURL, id, displayName, externalID string, members []Member, meta scim.Meta) map[string]any {
	out := map[string]any{
		"schemas":     []string{scim.GroupSchema},
		"id":          id,
		"displayName": displayName,
	}
	if externalID != "" {
		out["externalId"] = externalID
	}
	if members != nil {
		base := strings.TrimRight(baseURL, "/")
		list := make([]map[string]any, 0, len(members))
		for _, m := range members {
			e := map[string]any{"value": m.Value, "$ref": base + "/Users/" + m.Value, "type": "User"}
			if m.Display != "" {
				e["display"] = m.Display
			}
			list = append(list, e)
		}
		out["members"] = list
	}
	m := map[string]any{"resourceType": "Group"}
	if !meta.Created.IsZero() {
		m["created"] = scim.FormatTime(meta.Created)
	}
	if !meta.LastModified.IsZero() {
		m["lastModified"] = scim.FormatTime(meta.LastModified)
	}
	if meta.Location != "" {
		m["location"] = meta.Location
	}
	if meta.Version != "" {
		m["version"] = meta.Version
	}
	out["meta"] = m
	return out
}
