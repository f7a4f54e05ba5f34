package scimpatch_test

import (
	"encoding/json"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/google/go-cmp/cmp"
)

func TestParseRequest(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []scimpatch.Operation
	}{
		{
			name: "entra legacy capitalised ops",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Replace","path":"active","value":"False"},{"op":"Add","path":"nickName","value":"Babs"},
				{"op":"Remove","path":"members","value":[{"value":"u1091"}]}]}`,
			want: []scimpatch.Operation{
				{Op: "replace", Path: "active", Value: "False"},
				{Op: "add", Path: "nickName", Value: "Babs"},
				{Op: "remove", Path: "members", Value: []any{map[string]any{"value": "u1091"}}},
			},
		},
		{
			name: "okta path-less value",
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "value": {"active": false}}]}`,
			want: []scimpatch.Operation{{Op: "replace", Value: map[string]any{"active": false}}},
		},
		{
			name: "microsoft collection: extra name member and top-level id are ignored",
			body: `{"id": "g1", "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"name": "addMember", "op": "add", "path": "members", "value": [{"displayName": "new User", "value": "u4"}]}]}`,
			want: []scimpatch.Operation{{Op: "add", Path: "members", Value: []any{map[string]any{"displayName": "new User", "value": "u4"}}}},
		},
		{
			name: "microsoft collection garbage: a string where members belong",
			body: `{"id": "g1", "Operations": [{"op":"add", "path": "members", "value": "string id 1"}],
				"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			want: []scimpatch.Operation{{Op: "add", Path: "members", Value: "string id 1"}},
		},
		{
			name: "keys in any case",
			body: `{"Schemas":["URN:IETF:PARAMS:SCIM:API:MESSAGES:2.0:PATCHOP"],"operations":[{"OP":"REPLACE","Path":" title ","VALUE":"T"}]}`,
			want: []scimpatch.Operation{{Op: "replace", Path: "title", Value: "T"}},
		},
		{
			name: "schemas may be missing or null",
			body: `{"schemas": null, "Operations":[{"op":"remove","path":"title"}]}`,
			want: []scimpatch.Operation{{Op: "remove", Path: "title"}},
		},
		{
			name: "null value, null path, numbers as json.Number",
			body: body(`[{"op":"replace","path":"title","value":null},{"op":"add","path":null,"value":{"urn:acme:2.0:User:n":12345678901234567890}}]`),
			want: []scimpatch.Operation{
				{Op: "replace", Path: "title", Value: nil},
				{Op: "add", Value: map[string]any{"urn:acme:2.0:User:n": json.Number("12345678901234567890")}},
			},
		},
		{
			name: "a UTF-8 byte order mark is skipped",
			body: "\xef\xbb\xbf" + body(`[{"op":"remove","path":"title"}]`),
			want: []scimpatch.Operation{{Op: "remove", Path: "title"}},
		},
		{
			name: "remove needs no value",
			body: body(`[{"op":"remove","path":"emails[type eq \"work\"]"}]`),
			want: []scimpatch.Operation{{Op: "remove", Path: `emails[type eq "work"]`}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scimpatch.ParseRequest([]byte(tc.body))
			if err != nil {
				t.Fatalf("ParseRequest(%s) error = %v", tc.body, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ParseRequest(%s) mismatch (-want +got):\n%s", tc.body, diff)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	cases := []struct {
		name, body, scimType string
		detail               []string
	}{
		{"malformed JSON", `{"Operations": [`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"empty body", ``, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"JSON null", `null`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"array body", `[{"op":"add"}]`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"trailing data", body(`[{"op":"remove","path":"title"}]`) + `{}`, scim.InvalidSyntax, []string{"not a JSON object"}},
		{"schemas without PatchOp", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"Operations":[{"op":"remove","path":"title"}]}`,
			scim.InvalidSyntax, []string{scim.PatchOpSchema}},
		{"schemas not an array", `{"schemas":"urn:ietf:params:scim:api:messages:2.0:PatchOp","Operations":[{"op":"remove","path":"title"}]}`,
			scim.InvalidSyntax, []string{"schemas must list"}},
		{"no Operations", `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"userName":"x"}`, scim.InvalidSyntax,
			[]string{"no Operations array"}},
		{"Operations null", body(`null`), scim.InvalidSyntax, []string{"no Operations array"}},
		{"Operations not an array", body(`{"op":"remove","path":"title"}`), scim.InvalidSyntax, []string{"must be an array"}},
		{"Operations empty", body(`[]`), scim.InvalidValue, []string{"Operations is empty"}},
		{"operation not an object", body(`["remove title"]`), scim.InvalidSyntax, []string{"Operations[0] is not an object"}},
		{"operation null", body(`[{"op":"remove","path":"title"}, null]`), scim.InvalidSyntax, []string{"Operations[1] is not an object"}},
		{"op missing", body(`[{"path":"title","value":"x"}]`), scim.InvalidValue, []string{"Operations[0] has no op"}},
		{"op not a string", body(`[{"op":1,"path":"title","value":"x"}]`), scim.InvalidValue, []string{"op must be the string"}},
		{"unknown op", body(`[{"op":"remove","path":"title"},{"op":"Copy","path":"title","value":"x"}]`), scim.InvalidValue,
			[]string{`Operations[1]: op "copy" is not add, replace or remove`}},
		{"path not a string", body(`[{"op":"add","path":["title"],"value":"x"}]`), scim.InvalidPath, []string{"path must be a string"}},
		{"add without value", body(`[{"op":"add","path":"title"}]`), scim.InvalidValue,
			[]string{`Operations[0] (add "title") has no value`, "null to clear"}},
		{"path-less replace without value", body(`[{"op":"replace"}]`), scim.InvalidValue, []string{"(replace without a path) has no value"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ops, err := scimpatch.ParseRequest([]byte(tc.body))
			if ops != nil {
				t.Errorf("ParseRequest(%s) = %v with an error, want nil", tc.body, ops)
			}
			checkErr(t, err, tc.scimType, tc.detail...)
		})
	}
}
