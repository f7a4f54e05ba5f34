package scimgroup_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		body string
		want *scimgroup.Doc
	}{
		{
			// Entra's create (idp-clients.md §1.4), its own schema URI and meta included.
			name: "EntraCreate",
			body: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
				"externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName", "meta": {"resourceType": "Group"}}`,
			want: &scimgroup.Doc{DisplayName: "displayName", ExternalID: "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", HasExternalID: true},
		},
		{
			name: "OktaCreate",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Test SCIMv2","members":[]}`,
			want: &scimgroup.Doc{DisplayName: "Test SCIMv2", HasMembers: true},
		},
		{
			// Okta's older guide and the Microsoft collection: members with display or displayName.
			name: "WithMembers",
			body: `{"displayName":"G","members":[{"value":"u1","display":"VP"},{"value":"u2","$ref":"x","displayName":"Two"},{"value":"u1"}]}`,
			want: &scimgroup.Doc{DisplayName: "G", HasMembers: true,
				Members: []scimgroup.Member{{Value: "u1", Display: "VP"}, {Value: "u2", Display: "Two"}}},
		},
		{
			name: "AnyCase",
			body: `{"DisplayName":"G","ExternalID":null,"Members":null,"id":"ignored"}`,
			want: &scimgroup.Doc{DisplayName: "G", HasExternalID: true, HasMembers: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scimgroup.Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseRefused(t *testing.T) {
	tests := []struct {
		name, body, scimType string
	}{
		{"NotJSON", `[`, scim.InvalidSyntax},
		{"NoDisplayName", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, scim.InvalidValue},
		{"EmptyDisplayName", `{"displayName":" "}`, scim.InvalidValue},
		{"NumberDisplayName", `{"displayName":3}`, scim.InvalidValue},
		{"MemberWithoutValue", `{"displayName":"G","members":[{"display":"x"}]}`, scim.InvalidValue},
		{"MemberNumber", `{"displayName":"G","members":[3]}`, scim.InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scimgroup.Parse([]byte(tt.body))
			wantSCIMError(t, err, tt.scimType)
		})
	}
}

func wantSCIMError(t *testing.T, err error, scimType string) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.ScimType != scimType {
		t.Fatalf("error = %v, want 400 %s", err, scimType)
	}
}

func members(ids ...string) []scimgroup.Member {
	out := make([]scimgroup.Member, len(ids))
	for i, id := range ids {
		out[i] = scimgroup.Member{Value: id}
	}
	return out
}

func TestPatch(t *testing.T) {
	const id = "abf4dd94-a4c0-4f67-89c9-76b03340cb9b"
	tests := []struct {
		name string
		body string
		want []scimgroup.Change
	}{
		{
			name: "EntraRename",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"displayName","value":"1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.SetDisplayName, Text: "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"}},
		},
		{
			name: "EntraAddMembers",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Add","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.AddMembers, Members: members("f648f8d5ea4e4cd38e9c")}},
		},
		{
			// Entra without the aadOptscim062020 flag (and JumpCloud): only the listed members.
			name: "EntraLegacyRemove",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648f8d5ea4e4cd38e9c"}]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.RemoveMembers, Members: members("f648f8d5ea4e4cd38e9c")}},
		},
		{
			name: "EntraLegacyRemoveNoRef",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"value":"u1091"}]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.RemoveMembers, Members: members("u1091")}},
		},
		{
			name: "EntraFlagRemove",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members[value eq \"7f4bc1a3-285e-48ae-8202-5accb43efb0e\"]"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.RemoveMembers, Members: members("7f4bc1a3-285e-48ae-8202-5accb43efb0e")}},
		},
		{
			name: "OktaRename",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"replace","value":{"id":"` + id + `","displayName":"Test SCIMv2"}}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.SetDisplayName, Text: "Test SCIMv2"}},
		},
		{
			name: "OktaDelta",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
				{"op":"remove","path":"members[value eq \"89bb1940-b905-4575-9e7f-6f887cfb368e\"]"},
				{"op":"add","path":"members","value":[{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"}]}]}`,
			want: []scimgroup.Change{
				{Kind: scimgroup.RemoveMembers, Members: members("89bb1940-b905-4575-9e7f-6f887cfb368e")},
				{Kind: scimgroup.AddMembers, Members: []scimgroup.Member{{Value: "23a35c27-23d3-4c03-b4c5-6443c09e7173", Display: "test.user@okta.local"}}},
			},
		},
		{
			// Okta's full push; JumpCloud and OneLogin replace the same way.
			name: "OktaFullPush",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"members","value":[
				{"value":"23a35c27-23d3-4c03-b4c5-6443c09e7173","display":"test.user@okta.local"},
				{"value":"89bb1940-b905-4575-9e7f-6f887cfb368e","display":"test.user@okta.local"}]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.ReplaceMembers, Members: []scimgroup.Member{
				{Value: "23a35c27-23d3-4c03-b4c5-6443c09e7173", Display: "test.user@okta.local"},
				{Value: "89bb1940-b905-4575-9e7f-6f887cfb368e", Display: "test.user@okta.local"}}}},
		},
		{
			name: "ReplaceMembersEmpty",
			body: `{"Operations":[{"op":"replace","path":"members","value":[]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.ReplaceMembers}},
		},
		{
			// The Microsoft collection: remove with path members and no value removes all.
			name: "RemoveAll",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"remove","path":"members"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.RemoveAllMembers}},
		},
		{
			// The Microsoft collection's add: displayName for display, and an extra "name".
			name: "CollectionAdd",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"name":"addMember","op":"add","path":"members","value":[{"displayName":"new User","value":"id4"}]}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.AddMembers, Members: []scimgroup.Member{{Value: "id4", Display: "new User"}}}},
		},
		{
			// The Microsoft collection's garbage test: a bare string for a member.
			name: "BareString",
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"members","value":"string id 1"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.AddMembers, Members: members("string id 1")}},
		},
		{
			name: "PathLessExternalIDAndMembers",
			body: `{"Operations":[{"op":"Replace","value":{"externalId":"e2","members":[{"value":"a"}],"schemas":["x"]}}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.SetExternalID, Text: "e2"}, {Kind: scimgroup.ReplaceMembers, Members: members("a")}},
		},
		{
			name: "URNPathAndRemoveExternalID",
			body: `{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:displayName","value":"N"},{"op":"remove","path":"externalId"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.SetDisplayName, Text: "N"}, {Kind: scimgroup.SetExternalID}},
		},
		{
			name: "FilterWithOr",
			body: `{"Operations":[{"op":"remove","path":"members[value eq \"a\" or VALUE EQ b]"}]}`,
			want: []scimgroup.Change{{Kind: scimgroup.RemoveMembers, Members: members("a", "b")}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := scimgroup.Patch([]byte(tt.body), id)
			if err != nil {
				t.Fatalf("Patch = %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Patch mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchRefused(t *testing.T) {
	tests := []struct {
		name, body, scimType string
	}{
		{"UnknownPath", `{"Operations":[{"op":"replace","path":"owner","value":"x"}]}`, scim.InvalidPath},
		{"UnknownPathLessKey", `{"Operations":[{"op":"replace","value":{"owner":"x"}}]}`, scim.InvalidPath},
		{"OtherID", `{"Operations":[{"op":"replace","value":{"id":"other","displayName":"x"}}]}`, scim.Mutability},
		{"ReplaceID", `{"Operations":[{"op":"replace","path":"id","value":"x"}]}`, scim.Mutability},
		{"RemoveWithoutPath", `{"Operations":[{"op":"remove"}]}`, scim.NoTarget},
		{"RemoveDisplayName", `{"Operations":[{"op":"remove","path":"displayName"}]}`, scim.InvalidValue},
		{"EmptyDisplayName", `{"Operations":[{"op":"replace","path":"displayName","value":""}]}`, scim.InvalidValue},
		{"BadFilter", `{"Operations":[{"op":"remove","path":"members[display eq \"x\"]"}]}`, scim.InvalidPath},
		{"FilterThenSub", `{"Operations":[{"op":"remove","path":"members[value eq \"x\"].display"}]}`, scim.InvalidPath},
		{"AddWithFilter", `{"Operations":[{"op":"add","path":"members[value eq \"x\"]","value":{"value":"x"}}]}`, scim.InvalidPath},
		{"MemberWithoutValue", `{"Operations":[{"op":"add","path":"members","value":[{"display":"x"}]}]}`, scim.InvalidValue},
		{"PathLessNotObject", `{"Operations":[{"op":"add","value":"x"}]}`, scim.InvalidValue},
		{"BadOp", `{"Operations":[{"op":"move","path":"members"}]}`, scim.InvalidValue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := scimgroup.Patch([]byte(tt.body), "g1")
			wantSCIMError(t, err, tt.scimType)
		})
	}
}

func TestResource(t *testing.T) {
	at := time.Date(2026, 12, 4, 17, 0, 0, 0, time.UTC)
	meta := scim.Meta{Created: at, LastModified: at, Location: "https://h/scim/Groups/g1", Version: scim.ETag(3)}
	got := scimgroup.Resource("https://h/scim/", "g1", "Eng", "e1", []scimgroup.Member{{Value: "u1", Display: "One"}, {Value: "u2"}}, meta)
	want := map[string]any{
		"schemas":     []string{scim.GroupSchema},
		"id":          "g1",
		"displayName": "Eng",
		"externalId":  "e1",
		"members": []map[string]any{
			{"value": "u1", "$ref": "https://h/scim/Users/u1", "type": "User", "display": "One"},
			{"value": "u2", "$ref": "https://h/scim/Users/u2", "type": "User"},
		},
		"meta": map[string]any{"resourceType": "Group", "created": "2026-12-04T17:00:00.000000Z",
			"lastModified": "2026-12-04T17:00:00.000000Z", "location": "https://h/scim/Groups/g1", "version": `W/"3"`},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Resource mismatch (-want +got):\n%s", diff)
	}
	none := scimgroup.Resource("https://h", "g1", "Eng", "", nil, scim.Meta{})
	if _, ok := none["members"]; ok {
		t.Errorf("Resource(nil members) has members: %v", none["members"])
	}
	if _, ok := none["externalId"]; ok {
		t.Errorf("Resource(no externalId) has externalId: %v", none["externalId"])
	}
	empty := scimgroup.Resource("https://h", "g1", "Eng", "", []scimgroup.Member{}, scim.Meta{})
	if ms, ok := empty["members"].([]map[string]any); !ok || len(ms) != 0 {
		t.Errorf("Resource(no members) members = %v, want []", empty["members"])
	}
}
