package scim_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/scim"
)

func TestParseAttributeList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"userName,emails", []string{"userName", "emails"}},
		{" userName , name.givenName ", []string{"userName", "name.givenName"}},
		{`emails[type eq "work"]`, []string{"emails"}},
		{`emails[value eq "a,b]"].value,id`, []string{"emails.value", "id"}},
		{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value,members", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "members"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, scim.ParseAttributeList(tt.in)); diff != "" {
			t.Errorf("ParseAttributeList(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestProject(t *testing.T) {
	const resource = `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:acme:2.0:User"],
		"id": "u-1",
		"externalId": "e-1",
		"userName": "bjensen",
		"name": {"givenName": "Barbara", "familyName": "Jensen"},
		"emails": [{"value": "b@x.org", "type": "work", "primary": true}, {"type": "home", "value": "bj@y.org"}],
		"active": true,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m-1", "$ref": "../Users/m-1"}},
		"urn:acme:2.0:User": {"badge": "7", "floor": 3},
		"meta": {"resourceType": "User", "version": "W/\"1\""}
	}`
	const always = `"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:acme:2.0:User"], "id": "u-1", "userName": "bjensen"`
	tests := []struct {
		name               string
		attributes, except []string
		want               string
	}{
		{"neither", nil, nil, resource},
		{"attributes", []string{"userName", "emails"}, nil,
			`{` + always + `, "emails": [{"value": "b@x.org", "type": "work", "primary": true}, {"type": "home", "value": "bj@y.org"}]}`},
		{"attributes any case", []string{"EMAILS.VALUE", "Name.GivenName"}, nil,
			`{` + always + `, "emails": [{"value": "b@x.org"}, {"value": "bj@y.org"}], "name": {"givenName": "Barbara"}}`},
		{"attributes with a filter", []string{`emails[type eq "work"]`}, nil,
			`{` + always + `, "emails": [{"value": "b@x.org", "type": "work", "primary": true}, {"type": "home", "value": "bj@y.org"}]}`},
		{"only id", []string{"id"}, nil, `{` + always + `}`},
		{"unknown name", []string{"nope", "name.nope"}, nil, `{` + always + `}`},
		{"core URN", []string{"urn:ietf:params:scim:schemas:core:2.0:User:name.familyName"}, nil,
			`{` + always + `, "name": {"familyName": "Jensen"}}`},
		{"enterprise sub-attribute", []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}, nil,
			`{` + always + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "m-1"}}}`},
		{"whole enterprise by legacy URN", []string{"urn:scim:schemas:extension:enterprise:2.0"}, nil,
			`{` + always + `, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m-1", "$ref": "../Users/m-1"}}}`},
		{"custom extension attribute", []string{"URN:ACME:2.0:USER:badge"}, nil,
			`{` + always + `, "urn:acme:2.0:User": {"badge": "7"}}`},
		{"both: attributes win", []string{"active"}, []string{"active"},
			`{` + always + `, "active": true}`},
		{"excluded", nil, []string{"emails", "name.givenName", "meta", "urn:acme:2.0:User:floor"},
			`{` + always + `, "externalId": "e-1", "name": {"familyName": "Jensen"}, "active": true,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m-1", "$ref": "../Users/m-1"}},
			"urn:acme:2.0:User": {"badge": "7"}}`},
		{"excluded always-returned kept", nil, []string{"id", "schemas", "USERNAME", "externalId", "active", "meta", "name", "emails",
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:acme:2.0:User"}, `{` + always + `}`},
		{"excluded sub-attribute of every element", nil, []string{"emails.type", "emails.primary", "meta.version"},
			`{` + always + `, "externalId": "e-1", "name": {"givenName": "Barbara", "familyName": "Jensen"}, "emails": [{"value": "b@x.org"}, {"value": "bj@y.org"}], "active": true,
			"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "m-1", "$ref": "../Users/m-1"}},
			"urn:acme:2.0:User": {"badge": "7", "floor": 3}, "meta": {"resourceType": "User"}}`},
		{"excluded members of a group", nil, []string{"members"}, resource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decode(t, resource)
			got := scim.Project(in, tt.attributes, tt.except)
			if diff := cmp.Diff(decode(t, tt.want), got); diff != "" {
				t.Errorf("Project(%q, %q) (-want +got):\n%s", tt.attributes, tt.except, diff)
			}
			if diff := cmp.Diff(decode(t, resource), in); diff != "" {
				t.Errorf("Project changed its input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProjectGroup(t *testing.T) {
	group := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"Admins","members":[{"value":"u-1","display":"B"}]}`)
	got := scim.Project(group, nil, []string{"members"})
	want := decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"id":"g","displayName":"Admins"}`)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Project(group, excludedAttributes=members) (-want +got):\n%s", diff)
	}
}
