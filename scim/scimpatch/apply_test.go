package scimpatch_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/google/go-cmp/cmp"
)

// body wraps operations (a JSON array text) in a PatchOp message.
func body(ops string) string {
	return `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":` + ops + `}`
}

const (
	ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

	twoEmails = `{"userName": "u", "emails": [
		{"value": "a@x.com", "type": "work", "primary": true},
		{"value": "b@y.com", "type": "home"}]}`
)

func TestApplyPaths(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "attribute names in any case are written canonically",
			doc:  `{"userName": "u"}`,
			body: body(`[
				{"op": "add", "path": "DISPLAYNAME", "value": "D"},
				{"op": "add", "path": "Name.GivenName", "value": "G"},
				{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:Department", "value": "Sales"},
				{"op": "add", "value": {"Manager": {"Value": "m1"}, "EmployeeNumber": "7"}}]`),
			want: `{"userName": "u", "displayName": "D", "name": {"givenName": "G"},
				"` + ent + `": {"department": "Sales", "manager": {"value": "m1"}, "employeeNumber": "7"}}`,
		},
		{
			name: "a document key in another case is replaced by the canonical one",
			doc:  `{"username": "old", "NAME": {"GivenName": "g"}}`,
			body: body(`[{"op": "replace", "path": "userName", "value": "new"}, {"op": "replace", "path": "name.givenName", "value": "G"}]`),
			want: `{"userName": "new", "name": {"givenName": "G"}}`,
		},
		{
			name: "URN-qualified core attribute",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "D"},
				{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:name.familyName", "value": "F"}]`),
			want: `{"userName": "u", "displayName": "D", "name": {"familyName": "F"}}`,
		},
		{
			name: "unqualified enterprise attributes resolve to the enterprise extension",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "department", "value": "Sales"}, {"op": "add", "path": "costCenter", "value": "C"}]`),
			want: `{"userName": "u", "` + ent + `": {"department": "Sales", "costCenter": "C"}}`,
		},
		{
			name: "enterprise attribute with Entra's pre-2018 dot separator",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User.department", "value": "Sales"}]`),
			want: `{"userName": "u", "` + ent + `": {"department": "Sales"}}`,
		},
		{
			name: "OneLogin's pre-RFC URNs",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:scim:schemas:extension:enterprise:2.0:department", "value": "Sales"},
				{"op": "add", "path": "urn:scim:schemas:core:2.0:title", "value": "T"}]`),
			want: `{"userName": "u", "title": "T", "` + ent + `": {"department": "Sales"}}`,
		},
		{
			name: "manager.value sets the manager; removing it removes the manager",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value", "value": "m1"},
				{"op": "add", "path": "manager.$ref", "value": "https://x/Users/m1"}]`),
			want: `{"userName": "u", "` + ent + `": {"manager": {"value": "m1", "$ref": "https://x/Users/m1"}}}`,
		},
		{
			name: "removing manager.value removes the manager and the empty extension",
			doc:  `{"userName": "u", "schemas": ["` + scim.UserSchema + `", "` + ent + `"], "` + ent + `": {"manager": {"value": "m1", "$ref": "r"}}}`,
			body: body(`[{"op": "remove", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"}]`),
			want: `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
		},
		{
			name: "the enterprise URN alone takes an object of its attributes",
			doc:  `{"userName": "u", "` + ent + `": {"department": "Sales", "division": "D"}}`,
			body: body(`[{"op": "replace", "path": "` + ent + `", "value": {"department": "Ops", "Manager": "m2", "costCenter": null}}]`),
			want: `{"userName": "u", "` + ent + `": {"department": "Ops", "division": "D", "manager": {"value": "m2"}}}`,
		},
		{
			name: "removing the enterprise URN removes the extension",
			doc:  `{"userName": "u", "schemas": ["` + scim.UserSchema + `", "` + ent + `"], "` + ent + `": {"department": "Sales"}}`,
			body: body(`[{"op": "remove", "path": "` + ent + `"}]`),
			want: `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
		},
		{
			name: "the core URN alone works like a path-less value",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User", "value": {"title": "T", "id": "ignored"}}]`),
			want: `{"userName": "u", "title": "T"}`,
		},
		{
			name: "custom extension URN alone: keys kept verbatim",
			doc:  `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
			body: body(`[{"op": "add", "path": "urn:acme:params:scim:schemas:extension:acme:2.0:User", "value": {"Cost Center": "42", "badge": {"color": "red"}, "level": 3}}]`),
			want: `{"userName": "u", "schemas": ["` + scim.UserSchema + `", "urn:acme:params:scim:schemas:extension:acme:2.0:User"],
				"urn:acme:params:scim:schemas:extension:acme:2.0:User": {"Cost Center": "42", "badge": {"color": "red"}, "level": 3}}`,
		},
		{
			name: "custom extension: the document's spelling of the URN and attribute is kept",
			doc:  `{"userName": "u", "urn:acme:2.0:User": {"Tag": "a"}}`,
			body: body(`[{"op": "replace", "path": "URN:ACME:2.0:USER:tag", "value": "b"}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"Tag": "b"}}`,
		},
		{
			name: "custom extension: sub-attribute, number and nested object",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:acme:2.0:User:badge.color", "value": "red"},
				{"op": "add", "path": "urn:acme:2.0:User:level", "value": 3},
				{"op": "add", "path": "urn:acme:2.0:User:profile", "value": {"a": [1, "x", true]}}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"badge": {"color": "red"}, "level": 3, "profile": {"a": [1, "x", true]}}}`,
		},
		{
			name: "custom extension: add appends to an array, replace overwrites it",
			doc:  `{"userName": "u", "urn:acme:2.0:User": {"tags": ["a", "b"], "codes": ["x"]}}`,
			body: body(`[{"op": "add", "path": "urn:acme:2.0:User:tags", "value": ["b", "c"]},
				{"op": "replace", "path": "urn:acme:2.0:User:codes", "value": ["y"]}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"tags": ["a", "b", "c"], "codes": ["y"]}}`,
		},
		{
			name: "custom extension: value paths select, create and remove",
			doc: `{"userName": "u", "urn:acme:2.0:User": {"licences": [
				{"sku": "E3", "seats": 1}, {"sku": "E5", "seats": 2}], "tags": ["a", "b"]}}`,
			body: body(`[{"op": "replace", "path": "urn:acme:2.0:User:licences[sku eq \"e3\"].seats", "value": 5},
				{"op": "add", "path": "urn:acme:2.0:User:licences[sku eq \"F1\"].seats", "value": 1},
				{"op": "remove", "path": "urn:acme:2.0:User:licences[seats gt 1 and sku eq \"E5\"]"},
				{"op": "remove", "path": "urn:acme:2.0:User:tags[value eq \"a\"]"}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"licences": [
				{"sku": "E3", "seats": 5}, {"sku": "F1", "seats": 1}], "tags": ["b"]}}`,
		},
		{
			name: "custom extension: null removes, and an emptied extension goes",
			doc:  `{"userName": "u", "schemas": ["` + scim.UserSchema + `", "urn:acme:2.0:User"], "urn:acme:2.0:User": {"tag": "a"}}`,
			body: body(`[{"op": "replace", "path": "urn:acme:2.0:User:tag", "value": null}]`),
			want: `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
		},
		{
			name: "custom extension whose URN does not end in a version",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:example:custom:employeeType", "value": "contractor"}]`),
			want: `{"userName": "u", "urn:example:custom": {"employeeType": "contractor"}}`,
		},
		{
			name: "spaces around the filter and the brackets",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": " emails [ type  eq  \"home\" ] .value ", "value": "c@y.com"}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true},
				{"value": "c@y.com", "type": "home"}]}`,
		},
	})
}

func TestApplyValues(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "boolean spellings",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "active", "value": "TRUE"}, {"op": "replace", "path": "active", "value": " false "}]`),
			want: `{"userName": "u", "active": false}`,
		},
		{
			name: "booleans inside values of multi-valued attributes",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "roles", "value": [{"Primary": "True", "Display": "Reader", "Value": "r", "Type": "t"}]},
				{"op": "add", "path": "emails", "value": [{"value": "a@x.com", "primary": "false"}]}]`),
			want: `{"userName": "u", "roles": [{"primary": true, "display": "Reader", "value": "r", "type": "t"}],
				"emails": [{"value": "a@x.com", "primary": false}]}`,
		},
		{
			name: "numbers sent for string attributes become their text",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "` + ent + `:employeeNumber", "value": 1234},
				{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": 4255550100}]`),
			want: `{"userName": "u", "phoneNumbers": [{"type": "work", "value": "4255550100"}], "` + ent + `": {"employeeNumber": "1234"}}`,
		},
		{
			name: "a bare value of a multi-valued attribute becomes {value}",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "emails", "value": "a@x.com"}, {"op": "add", "path": "emails", "value": ["b@x.com"]}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com"}, {"value": "b@x.com"}]}`,
		},
		{
			name: "a single object for a multi-valued attribute is a list of one",
			doc:  `{"userName": "u", "emails": [{"value": "a@x.com"}]}`,
			body: body(`[{"op": "add", "path": "emails", "value": {"value": "b@x.com", "type": "home"}}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com"}, {"value": "b@x.com", "type": "home"}]}`,
		},
		{
			name: "read-only and null sub-attributes inside values are left out",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "manager", "value": {"value": "m", "displayName": "Boss", "$ref": null}},
				{"op": "add", "path": "emails", "value": [{"value": "a@x.com", "display": null, "type": ""}]}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com"}], "` + ent + `": {"manager": {"value": "m"}}}`,
		},
		{
			name: "manager forms: number, empty array, object without value",
			doc:  `{"userName": "u", "` + ent + `": {"department": "S", "manager": {"value": "m"}}}`,
			body: body(`[{"op": "replace", "path": "manager", "value": 42},
				{"op": "replace", "path": "manager", "value": []},
				{"op": "add", "path": "manager", "value": {"$ref": "https://x/Users/9"}}]`),
			want: `{"userName": "u", "` + ent + `": {"department": "S"}}`,
		},
		{
			name: "complex add merges and null sub-attributes remove",
			doc:  `{"userName": "u", "name": {"givenName": "G", "familyName": "F", "formatted": "G F"}}`,
			body: body(`[{"op": "add", "path": "name", "value": {"middleName": "M", "formatted": null, "FamilyName": "Fam"}}]`),
			want: `{"userName": "u", "name": {"givenName": "G", "familyName": "Fam", "middleName": "M"}}`,
		},
		{
			name: "complex replace merges too (RFC 7644 §3.5.2.3)",
			doc:  `{"userName": "u", "name": {"givenName": "G", "familyName": "F"}}`,
			body: body(`[{"op": "replace", "path": "name", "value": {"givenName": "H"}}]`),
			want: `{"userName": "u", "name": {"givenName": "H", "familyName": "F"}}`,
		},
		{
			name: "null or empty string clears simple, complex and multi-valued attributes",
			doc:  `{"userName": "u", "title": "T", "active": true, "name": {"givenName": "G"}, "emails": [{"value": "a@x.com"}], "externalId": "e"}`,
			body: body(`[{"op": "replace", "path": "title", "value": null}, {"op": "replace", "path": "active", "value": ""},
				{"op": "add", "path": "name", "value": null}, {"op": "replace", "path": "emails", "value": ""},
				{"op": "replace", "value": {"externalId": null}}]`),
			want: `{"userName": "u"}`,
		},
		{
			name: "numbers decoded as float64 compare with json.Number",
			doc:  `{"userName": "u", "urn:acme:2.0:User": {"ids": [{"n": 3}, {"n": 4}]}}`,
			body: body(`[{"op": "remove", "path": "urn:acme:2.0:User:ids[n eq 3.0]"}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"ids": [{"n": 4}]}}`,
		},
	})
}

func TestApplyMultiValued(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "add appends and does not duplicate an equivalent value",
			doc:  twoEmails,
			body: body(`[{"op": "add", "path": "emails", "value": [
				{"value": "A@X.COM", "type": "work", "primary": true},
				{"value": "b@y.com"},
				{"value": "c@z.com", "type": "other"},
				{"value": "c@z.com", "type": "other"}]}]`),
			want: `{"userName": "u", "emails": [
				{"value": "A@X.COM", "type": "work", "primary": true},
				{"value": "b@y.com", "type": "home"},
				{"value": "c@z.com", "type": "other"}]}`,
		},
		{
			name: "add with a different type is a new value",
			doc:  twoEmails,
			body: body(`[{"op": "add", "path": "emails", "value": [{"value": "a@x.com", "type": "home"}]}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true},
				{"value": "b@y.com", "type": "home"},
				{"value": "a@x.com", "type": "home"}]}`,
		},
		{
			name: "add of an identical address does not duplicate it",
			doc:  `{"userName": "u", "addresses": [{"type": "work", "locality": "Oslo", "primary": true}]}`,
			body: body(`[{"op": "add", "path": "addresses", "value": [{"type": "work", "locality": "oslo"}, {"type": "home", "locality": "Bergen"}]}]`),
			want: `{"userName": "u", "addresses": [{"type": "work", "locality": "oslo", "primary": true}, {"type": "home", "locality": "Bergen"}]}`,
		},
		{
			name: "replace without a filter replaces the whole list",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails", "value": [{"value": "n@x.com", "type": "work", "primary": true}]}]`),
			want: `{"userName": "u", "emails": [{"value": "n@x.com", "type": "work", "primary": true}]}`,
		},
		{
			name: "replace with an empty list removes the attribute; add of an empty list changes nothing",
			doc:  `{"userName": "u", "emails": [{"value": "a@x.com"}], "roles": [{"value": "r"}]}`,
			body: body(`[{"op": "replace", "path": "emails", "value": []}, {"op": "add", "path": "roles", "value": []}]`),
			want: `{"userName": "u", "roles": [{"value": "r"}]}`,
		},
		{
			name: "a new primary value clears primary on the others",
			doc:  twoEmails,
			body: body(`[{"op": "add", "path": "emails", "value": [{"value": "c@z.com", "type": "other", "primary": true}]}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": false},
				{"value": "b@y.com", "type": "home"},
				{"value": "c@z.com", "type": "other", "primary": true}]}`,
		},
		{
			name: "primary set through a value path clears the others",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails[value eq \"b@y.com\"].primary", "value": "True"}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": false},
				{"value": "b@y.com", "type": "home", "primary": true}]}`,
		},
		{
			name: "several primaries in one list: the last wins",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "replace", "path": "phoneNumbers", "value": [
				{"value": "1", "primary": true}, {"value": "2", "primary": true}]}]`),
			want: `{"userName": "u", "phoneNumbers": [{"value": "1", "primary": false}, {"value": "2", "primary": true}]}`,
		},
		{
			name: "a primary created from the filter clears the others",
			doc:  `{"userName": "u", "roles": [{"value": "old", "primary": true}]}`,
			body: body(`[{"op": "add", "path": "roles[primary eq true and type eq \"x\"].value", "value": "new"}]`),
			want: `{"userName": "u", "roles": [{"value": "old", "primary": false}, {"primary": true, "type": "x", "value": "new"}]}`,
		},
		{
			name: "roles[primary eq \"True\"] matches a boolean primary",
			doc:  `{"userName": "u", "roles": [{"value": "a", "primary": false}, {"value": "b", "primary": true}]}`,
			body: body(`[{"op": "replace", "path": "roles[primary eq \"True\"].display", "value": "B"}]`),
			want: `{"userName": "u", "roles": [{"value": "a", "primary": false}, {"value": "b", "primary": true, "display": "B"}]}`,
		},
		{
			name: "add with a filter and no sub-attribute merges into the selected values",
			doc:  twoEmails,
			body: body(`[{"op": "add", "path": "emails[type eq \"work\"]", "value": {"display": "Work"}}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true, "display": "Work"},
				{"value": "b@y.com", "type": "home"}]}`,
		},
		{
			name: "replace with a filter and no sub-attribute replaces the selected values, keeping the filter's fields",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails[type eq \"work\"]", "value": {"value": "n@x.com"}}]`),
			want: `{"userName": "u", "emails": [{"type": "work", "value": "n@x.com"}, {"value": "b@y.com", "type": "home"}]}`,
		},
		{
			name: "replace with a filter that matches nothing creates the value",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails[type eq \"other\" and primary eq false]", "value": {"value": "o@x.com"}}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true},
				{"value": "b@y.com", "type": "home"},
				{"type": "other", "primary": false, "value": "o@x.com"}]}`,
		},
		{
			name: "a filter with an unquoted value",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails[type eq home].value", "value": "h@y.com"}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com", "type": "work", "primary": true}, {"value": "h@y.com", "type": "home"}]}`,
		},
		{
			name: "filter operators: ne co sw ew pr not and or",
			doc: `{"userName": "u", "emails": [
				{"value": "a@old.com", "type": "work"}, {"value": "b@new.com", "type": "home"},
				{"value": "c@old.com"}, {"value": "d@keep.com", "type": "other", "display": "D"}]}`,
			body: body(`[
				{"op": "add", "path": "emails[value ew \"@OLD.com\" and type pr].display", "value": "old-typed"},
				{"op": "add", "path": "emails[not (type pr) or value co \"new\"].display", "value": "x"},
				{"op": "remove", "path": "emails[display sw \"old\" or type ne \"other\"]"}]`),
			want: `{"userName": "u", "emails": [{"value": "d@keep.com", "type": "other", "display": "D"}]}`,
		},
		{
			name: "filter comparisons gt ge lt le on strings",
			doc:  `{"userName": "u", "phoneNumbers": [{"value": "1"}, {"value": "2"}, {"value": "3"}, {"value": "4"}]}`,
			body: body(`[{"op": "remove", "path": "phoneNumbers[value lt \"2\" or value ge \"4\"]"},
				{"op": "add", "path": "phoneNumbers[value gt \"2\" and value le \"3\"].type", "value": "work"}]`),
			want: `{"userName": "u", "phoneNumbers": [{"value": "2"}, {"value": "3", "type": "work"}]}`,
		},
		{
			name: "a sub-attribute without a filter applies to every value",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "path": "emails.display", "value": "E"}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true, "display": "E"},
				{"value": "b@y.com", "type": "home", "display": "E"}]}`,
		},
		{
			name: "a sub-attribute without a filter on an absent attribute creates one value",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "emails.value", "value": "a@x.com"}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com"}]}`,
		},
		{
			name: "remove selected values; removing the last removes the attribute",
			doc:  twoEmails,
			body: body(`[{"op": "remove", "path": "emails[type eq \"work\"]"}, {"op": "remove", "path": "emails[type eq \"home\"]"}]`),
			want: `{"userName": "u"}`,
		},
		{
			name: "removing the value of a value drops what is left of it",
			doc:  twoEmails,
			body: body(`[{"op": "remove", "path": "emails[type eq \"work\"].value"}]`),
			want: `{"userName": "u", "emails": [{"value": "b@y.com", "type": "home"}]}`,
		},
		{
			name: "removing one field of an address keeps the rest",
			doc:  `{"userName": "u", "addresses": [{"type": "work", "locality": "Oslo", "country": "NO"}]}`,
			body: body(`[{"op": "remove", "path": "addresses[type eq \"work\"].locality"}]`),
			want: `{"userName": "u", "addresses": [{"type": "work", "country": "NO"}]}`,
		},
		{
			name: "null on a value path removes the selected values; on a sub-attribute, that sub-attribute",
			doc:  `{"userName": "u", "emails": [{"value": "a@x.com", "type": "work"}], "addresses": [{"type": "work", "locality": "Oslo", "country": "NO"}]}`,
			body: body(`[{"op": "replace", "path": "emails[type eq \"work\"]", "value": null},
				{"op": "replace", "path": "addresses[type eq \"work\"].locality", "value": ""},
				{"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": ""}]`),
			want: `{"userName": "u", "addresses": [{"type": "work", "country": "NO"}]}`,
		},
		{
			name: "remove a sub-attribute of every value",
			doc:  `{"userName": "u", "emails": [{"value": "a", "display": "A"}, {"value": "b", "display": "B"}]}`,
			body: body(`[{"op": "remove", "path": "emails.display"}]`),
			want: `{"userName": "u", "emails": [{"value": "a"}, {"value": "b"}]}`,
		},
		{
			name: "Entra legacy remove with a value removes only the values listed",
			doc:  `{"userName": "u", "emails": [{"value": "a@x.com", "type": "work"}, {"value": "b@y.com"}, {"value": "c@z.com"}]}`,
			body: body(`[{"op": "Remove", "path": "emails", "value": [{"value": "A@x.com"}, {"value": "c@z.com"}, {"value": "absent@z.com"}]}]`),
			want: `{"userName": "u", "emails": [{"value": "b@y.com"}]}`,
		},
		{
			name: "removing what is absent succeeds and changes nothing",
			doc:  `{"userName": "u", "emails": [{"value": "a@x.com", "type": "work"}]}`,
			body: body(`[{"op": "remove", "path": "title"},
				{"op": "remove", "path": "name.givenName"},
				{"op": "remove", "path": "emails[type eq \"home\"]"},
				{"op": "remove", "path": "phoneNumbers[type eq \"home\"].value"},
				{"op": "remove", "path": "` + ent + `:manager"},
				{"op": "remove", "path": "` + ent + `"},
				{"op": "remove", "path": "urn:acme:2.0:User:tag"},
				{"op": "remove", "path": "password"},
				{"op": "remove", "path": "schemas"}]`),
			want: `{"userName": "u", "emails": [{"value": "a@x.com", "type": "work"}]}`,
		},
		{
			name: "remove a sub-attribute of a complex attribute; the last one removes the attribute",
			doc:  `{"userName": "u", "name": {"givenName": "G", "familyName": "F"}}`,
			body: body(`[{"op": "remove", "path": "name.givenName"}]`),
			want: `{"userName": "u", "name": {"familyName": "F"}}`,
		},
		{
			name: "remove the last sub-attribute of a complex attribute removes it",
			doc:  `{"userName": "u", "name": {"givenName": "G"}}`,
			body: body(`[{"op": "remove", "path": "Name.GivenName"}]`),
			want: `{"userName": "u"}`,
		},
	})
}

// TestApplyCustomFilters covers filters on custom extension data, whose
// types Gatehouse does not know: values compare by what they hold.
func TestApplyCustomFilters(t *testing.T) {
	doc := `{"userName": "u", "urn:acme:2.0:User": {"items": [
		{"id": "a", "on": true, "n": 3, "code": "7", "tags": ["x"], "meta": {"k": 1}},
		{"id": "b", "on": "False", "n": "4", "code": 8, "tags": [], "meta": {}},
		{"id": "c", "n": 5.5}]}}`
	keep := func(ids ...string) string {
		all := map[string]string{
			"a": `{"id": "a", "on": true, "n": 3, "code": "7", "tags": ["x"], "meta": {"k": 1}}`,
			"b": `{"id": "b", "on": "False", "n": "4", "code": 8, "tags": [], "meta": {}}`,
			"c": `{"id": "c", "n": 5.5}`,
		}
		var items []string
		for _, id := range ids {
			items = append(items, all[id])
		}
		return `{"userName": "u", "urn:acme:2.0:User": {"items": [` + strings.Join(items, ",") + `]}}`
	}
	remove := func(filter string) string {
		return body(`[{"op": "remove", "path": "urn:acme:2.0:User:items[` + strings.ReplaceAll(filter, `"`, `\"`) + `]"}]`)
	}
	runCases(t, []patchCase{
		{name: "boolean element, string literal", doc: doc, body: remove(`on eq "TRUE"`), want: keep("b", "c")},
		{name: "string element, boolean literal", doc: doc, body: remove(`on eq false`), want: keep("a", "c")},
		{name: "number element, string literal", doc: doc, body: remove(`n eq "3"`), want: keep("b", "c")},
		{name: "string element, number literal", doc: doc, body: remove(`code eq 7`), want: keep("b", "c")},
		{name: "number element, number literal", doc: doc, body: remove(`code eq 8.0`), want: keep("a", "c")},
		{name: "numeric ordering", doc: doc, body: remove(`n gt 4`), want: keep("a", "b")},
		{name: "ordering a string with a number never matches", doc: doc, body: remove(`code lt 100`), want: keep("a", "c")},
		{name: "pr on arrays and objects", doc: doc, body: remove(`tags pr and meta pr`), want: keep("b", "c")},
		{name: "eq null means absent", doc: doc, body: remove(`on eq null`), want: keep("a", "b")},
		{name: "ne null means present", doc: doc, body: remove(`on ne null`), want: keep("c")},
		{name: "ne on an absent attribute matches", doc: doc, body: remove(`code ne "7"`), want: keep("a")},
		{name: "co on a non-string never matches", doc: doc, body: remove(`n co "3"`), want: keep("a", "b", "c")},
		{name: "not", doc: doc, body: remove(`not (id eq "c")`), want: keep("c")},
		{
			name: "adding identical objects to a custom array does not duplicate them",
			doc:  doc,
			body: body(`[{"op": "add", "path": "urn:acme:2.0:User:items", "value": [
				{"id": "c", "n": 5.5}, {"id": "a", "on": true, "n": 3, "code": "7", "tags": ["x"], "meta": {"k": 1}}]}]`),
			want: doc,
		},
	})
}

func TestApplyPathless(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "every key applies, the more specific ones last",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "value": {"name.givenName": "B", "name": {"givenName": "A", "familyName": "F"},
				"` + ent + `:department": "Ops", "` + ent + `": {"department": "Sales", "division": "D"},
				"emails[type eq \"work\"].value": "w@x.com", "title": "T"}}]`),
			want: `{"userName": "u", "title": "T", "name": {"givenName": "B", "familyName": "F"},
				"emails": [{"type": "work", "value": "w@x.com"}],
				"` + ent + `": {"department": "Ops", "division": "D"}}`,
		},
		{
			name: "id, meta, schemas and groups are ignored; password is discarded",
			doc:  `{"id": "1", "userName": "u", "meta": {"resourceType": "User"}, "schemas": ["` + scim.UserSchema + `"]}`,
			body: body(`[{"op": "replace", "value": {"id": "2", "meta": {"version": "x"}, "schemas": ["x"], "groups": [{"value": "g"}], "password": "p", "nickName": "N"}}]`),
			want: `{"id": "1", "userName": "u", "meta": {"resourceType": "User"}, "schemas": ["` + scim.UserSchema + `"], "nickName": "N"}`,
		},
		{
			name: "a path-less add on multi-valued attributes appends",
			doc:  twoEmails,
			body: body(`[{"op": "add", "value": {"emails": [{"value": "c@z.com"}]}}]`),
			want: `{"userName": "u", "emails": [
				{"value": "a@x.com", "type": "work", "primary": true},
				{"value": "b@y.com", "type": "home"},
				{"value": "c@z.com"}]}`,
		},
		{
			name: "a path-less replace on multi-valued attributes replaces",
			doc:  twoEmails,
			body: body(`[{"op": "replace", "value": {"emails": [{"value": "c@z.com"}]}}]`),
			want: `{"userName": "u", "emails": [{"value": "c@z.com"}]}`,
		},
		{
			name: "custom extension URN key with an object",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "value": {"urn:acme:2.0:User": {"tag": "a"}, "urn:acme:2.0:User:code": "c"}}]`),
			want: `{"userName": "u", "urn:acme:2.0:User": {"tag": "a", "code": "c"}}`,
		},
		{
			name: "an empty object changes nothing",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "value": {}}]`),
			want: `{"userName": "u"}`,
		},
	})
}

func TestApplySpecial(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "password is accepted, discarded and never kept",
			doc:  `{"userName": "u", "password": "stored by mistake"}`,
			body: body(`[{"op": "replace", "path": "password", "value": "s3cret"}]`),
			want: `{"userName": "u"}`,
		},
		{
			name: "a password in the document is dropped by any patch",
			doc:  `{"userName": "u", "Password": "x"}`,
			body: body(`[{"op": "add", "path": "title", "value": "T"}]`),
			want: `{"userName": "u", "title": "T"}`,
		},
		{
			name: "schemas is accepted and ignored",
			doc:  `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
			body: body(`[{"op": "add", "path": "schemas", "value": ["` + ent + `"]}]`),
			want: `{"userName": "u", "schemas": ["` + scim.UserSchema + `"]}`,
		},
		{
			name: "externalId can be set and removed",
			doc:  `{"userName": "u", "externalId": "a"}`,
			body: body(`[{"op": "replace", "path": "externalId", "value": "b"}, {"op": "remove", "path": "ExternalID"}, {"op": "add", "path": "externalid", "value": "c"}]`),
			want: `{"userName": "u", "externalId": "c"}`,
		},
		{
			name: "a nil document starts empty",
			doc:  ``,
			body: body(`[{"op": "add", "path": "userName", "value": "u"}]`),
			want: `{"userName": "u"}`,
		},
	})
}

func TestApplyErrors(t *testing.T) {
	doc := `{"userName": "u", "title": "T", "emails": [{"value": "a@x.com", "type": "work"}]}`
	cases := []struct {
		name, ops, scimType string
		detail              []string
	}{
		{"unknown core attribute", `[{"op": "replace", "path": "adreses", "value": "x"}]`, scim.InvalidPath,
			[]string{`Operations[0] (replace "adreses")`, `"adreses" is not an attribute of the User schema`}},
		{"unknown attribute in a path-less value", `[{"op": "add", "value": {"title": "ok", "adreses": "x"}}]`, scim.InvalidPath,
			[]string{`Operations[0] (add without a path), value key "adreses"`, `"adreses"`}},
		{"unknown enterprise attribute", `[{"op": "add", "path": "` + ent + `:favouriteColour", "value": "x"}]`, scim.InvalidPath,
			[]string{`"favouriteColour" is not an attribute of the enterprise User extension`, "department"}},
		{"unknown enterprise attribute under the URN key", `[{"op": "add", "value": {"` + ent + `": {"colour": "x"}}}]`, scim.InvalidPath,
			[]string{`value key "` + ent + ` > colour"`}},
		{"unknown core attribute, URN-qualified", `[{"op": "add", "path": "` + scim.UserSchema + `:foo", "value": "x"}]`, scim.InvalidPath,
			[]string{`"foo" is not an attribute of the core User schema`}},
		{"a Group attribute", `[{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:Group:displayName", "value": "x"}]`, scim.InvalidPath,
			[]string{"does not belong to a User"}},
		{"group members on a user", `[{"op": "add", "path": "members", "value": [{"value": "1"}]}]`, scim.InvalidPath, []string{`"members"`}},
		{"unknown sub-attribute", `[{"op": "add", "path": "name.nick", "value": "x"}]`, scim.InvalidPath,
			[]string{`name has no sub-attribute "nick"`, "givenName"}},
		{"sub-attribute of a simple attribute", `[{"op": "add", "path": "userName.first", "value": "x"}]`, scim.InvalidPath,
			[]string{"userName has no sub-attributes"}},
		{"bad attribute name", `[{"op": "add", "path": "1abc", "value": "x"}]`, scim.InvalidPath, []string{`"1abc" is not an attribute name`}},
		{"empty sub-attribute", `[{"op": "add", "path": "name.", "value": "x"}]`, scim.InvalidPath, []string{"not an attribute name"}},
		{"unclosed filter", `[{"op": "add", "path": "emails[type eq \"work\"", "value": "x"}]`, scim.InvalidPath, []string{"not closed"}},
		{"empty filter", `[{"op": "add", "path": "emails[].value", "value": "x"}]`, scim.InvalidPath, []string{"empty"}},
		{"nested filter", `[{"op": "add", "path": "emails[type eq [x]]", "value": "x"}]`, scim.InvalidPath, []string{"cannot contain another"}},
		{"filter without attribute", `[{"op": "add", "path": "[type eq \"x\"]", "value": "x"}]`, scim.InvalidPath, []string{"attribute before"}},
		{"junk after the filter", `[{"op": "add", "path": "emails[type eq \"work\"]value", "value": "x"}]`, scim.InvalidPath, []string{`only ".subAttribute"`}},
		{"sub-attribute before the filter", `[{"op": "add", "path": "emails.value[type eq \"work\"]", "value": "x"}]`, scim.InvalidPath, []string{"after the filter"}},
		{"stray bracket", `[{"op": "add", "path": "emails]", "value": "x"}]`, scim.InvalidPath, []string{"outside a filter"}},
		{"bad operator", `[{"op": "add", "path": "emails[type is \"work\"].value", "value": "x"}]`, scim.InvalidPath, []string{`"is" in the filter`}},
		{"operator without value", `[{"op": "add", "path": "emails[type eq].value", "value": "x"}]`, scim.InvalidPath, []string{"without a value"}},
		{"filter on an unknown sub-attribute", `[{"op": "add", "path": "emails[kind eq \"work\"].value", "value": "x"}]`, scim.InvalidPath,
			[]string{`emails has no sub-attribute "kind"`}},
		{"filter on a single-valued attribute", `[{"op": "add", "path": "name[givenName eq \"x\"]", "value": "x"}]`, scim.InvalidPath,
			[]string{"name is not multi-valued"}},
		{"filter comparing a boolean with a word", `[{"op": "add", "path": "roles[primary eq \"maybe\"].value", "value": "x"}]`, scim.InvalidPath,
			[]string{"primary is a boolean"}},
		{"filter ordering a boolean", `[{"op": "add", "path": "roles[primary gt true].value", "value": "x"}]`, scim.InvalidPath,
			[]string{"compare it with eq or ne"}},
		{"unclosed string in a filter", `[{"op": "remove", "path": "emails[type eq \"wo]"}]`, scim.InvalidPath, []string{"not closed"}},
		{"unclosed parenthesis", `[{"op": "remove", "path": "emails[(type eq \"work\"]"}]`, scim.InvalidPath, []string{"not closed"}},
		{"dangling and", `[{"op": "remove", "path": "emails[type eq \"work\" and]"}]`, scim.InvalidPath, []string{"attribute name"}},
		{"garbage after a comparison", `[{"op": "remove", "path": "emails[type eq \"work\" xor value pr]"}]`, scim.InvalidPath, []string{"unexpected"}},
		{"too deeply nested filter", `[{"op": "remove", "path": "emails[` + strings.Repeat("(", 40) + `type pr` + strings.Repeat(")", 40) + `]"}]`, scim.InvalidPath,
			[]string{"nested more than"}},
		{"filter matching nothing that cannot describe a value", `[{"op": "add", "path": "emails[type eq \"home\" or type eq \"other\"].value", "value": "x"}]`,
			scim.NoTarget, []string{"no value of emails matches"}},
		{"remove without a path", `[{"op": "remove"}]`, scim.NoTarget, []string{"Operations[0] (remove without a path)", "remove needs a path"}},
		{"remove the whole User schema", `[{"op": "remove", "path": "` + scim.UserSchema + `"}]`, scim.InvalidPath, []string{"name the attribute"}},
		{"boolean that is not one", `[{"op": "replace", "path": "active", "value": "maybe"}]`, scim.InvalidValue,
			[]string{`Operations[0] (replace "active")`, `active is a boolean; send true or false, not "maybe"`}},
		{"boolean as a number", `[{"op": "replace", "path": "active", "value": 1}]`, scim.InvalidValue, []string{"not the number 1"}},
		{"object for userName", `[{"op": "replace", "path": "userName", "value": {"value": "x"}}]`, scim.InvalidValue,
			[]string{"userName is a string; send a JSON string, not an object"}},
		{"array for userName", `[{"op": "replace", "path": "userName", "value": ["x"]}]`, scim.InvalidValue, []string{"not an array"}},
		{"boolean for a string", `[{"op": "replace", "path": "title", "value": true}]`, scim.InvalidValue, []string{"title is a string"}},
		{"string for a complex attribute", `[{"op": "replace", "path": "name", "value": "John Smith"}]`, scim.InvalidValue,
			[]string{"name is complex", "givenName"}},
		{"unknown sub-attribute in a complex value", `[{"op": "replace", "path": "name", "value": {"first": "J"}}]`, scim.InvalidValue,
			[]string{`name has no sub-attribute "first"`}},
		{"wrong type in a complex value", `[{"op": "replace", "path": "name", "value": {"givenName": 5.5, "familyName": true}}]`, scim.InvalidValue,
			[]string{"name.familyName is a string"}},
		{"unknown sub-attribute in a value of a multi-valued attribute", `[{"op": "add", "path": "emails", "value": [{"value": "a@x.com", "kind": "work"}]}]`,
			scim.InvalidValue, []string{`emails has no sub-attribute "kind"`}},
		{"bad primary in a value", `[{"op": "add", "path": "emails", "value": [{"value": "a@x.com", "primary": "yes"}]}]`,
			scim.InvalidValue, []string{`emails.primary is a boolean`}},
		{"nested array in a multi-valued attribute", `[{"op": "add", "path": "emails", "value": [["a@x.com"]]}]`, scim.InvalidValue,
			[]string{"cannot itself be an array"}},
		{"bare address", `[{"op": "add", "path": "addresses", "value": ["1 Main St"]}]`, scim.InvalidValue,
			[]string{"the values of addresses are objects"}},
		{"bad value through a value path", `[{"op": "add", "path": "emails[type eq \"work\"].primary", "value": "sometimes"}]`, scim.InvalidValue,
			[]string{"emails.primary is a boolean"}},
		{"bad value object through a value path", `[{"op": "add", "path": "emails[type eq \"work\"]", "value": {"kind": "x"}}]`, scim.InvalidValue,
			[]string{`no sub-attribute "kind"`}},
		{"manager with an unknown key", `[{"op": "add", "path": "manager", "value": {"id": "m"}}]`, scim.InvalidValue,
			[]string{`manager has no sub-attribute "id"`}},
		{"manager as a boolean", `[{"op": "add", "path": "manager", "value": true}]`, scim.InvalidValue, []string{"manager takes the manager's id"}},
		{"manager as nested arrays", `[{"op": "add", "path": "manager", "value": [["m"]]}]`, scim.InvalidValue, []string{"nested arrays"}},
		{"manager value of the wrong type", `[{"op": "add", "path": "manager", "value": {"value": false}}]`, scim.InvalidValue, []string{"manager.value is a string"}},
		{"path-less value that is not an object", `[{"op": "replace", "value": false}]`, scim.InvalidValue,
			[]string{"replace without a path takes an object"}},
		{"path-less null", `[{"op": "add", "value": null}]`, scim.InvalidValue, []string{"takes an object"}},
		{"enterprise URN with a string", `[{"op": "add", "path": "` + ent + `", "value": "Sales"}]`, scim.InvalidValue,
			[]string{"the enterprise extension takes an object"}},
		{"custom URN with a string", `[{"op": "add", "path": "urn:acme:2.0:User", "value": "x"}]`, scim.InvalidValue,
			[]string{"the extension urn:acme:2.0:User takes an object"}},
		{"schema URN with a filter", `[{"op": "add", "path": "` + ent + `[value pr]", "value": "x"}]`, scim.InvalidPath,
			[]string{"cannot carry a filter"}},
		{"URN without an attribute", `[{"op": "add", "path": "urn:x", "value": "x"}]`, scim.InvalidPath, []string{"not a schema URN"}},
		{"id", `[{"op": "replace", "path": "id", "value": "new"}]`, scim.Mutability,
			[]string{`Operations[0] (replace "id")`, "id is assigned by Gatehouse", "externalId"}},
		{"remove id", `[{"op": "remove", "path": "ID"}]`, scim.Mutability, []string{"id is assigned"}},
		{"meta", `[{"op": "replace", "path": "meta", "value": {}}]`, scim.Mutability, []string{"meta is read-only"}},
		{"meta sub-attribute", `[{"op": "replace", "path": "meta.lastModified", "value": "2020-01-01T00:00:00Z"}]`, scim.Mutability, []string{"meta is read-only"}},
		{"groups", `[{"op": "add", "path": "groups", "value": [{"value": "g"}]}]`, scim.Mutability, []string{"groups is read-only"}},
		{"groups value path", `[{"op": "remove", "path": "groups[value eq \"g\"]"}]`, scim.Mutability, []string{"groups is read-only"}},
		{"manager.displayName", `[{"op": "add", "path": "manager.displayName", "value": "Boss"}]`, scim.Mutability,
			[]string{"manager.displayName is read-only"}},
		{"remove userName", `[{"op": "remove", "path": "userName"}]`, scim.Mutability, []string{"userName is required"}},
		{"empty userName", `[{"op": "replace", "path": "userName", "value": ""}]`, scim.Mutability, []string{"userName is required"}},
		{"null userName in a path-less value", `[{"op": "replace", "value": {"userName": null}}]`, scim.Mutability,
			[]string{`value key "userName"`, "userName is required"}},
		{"schemas has no sub-attributes", `[{"op": "add", "path": "schemas.x", "value": "x"}]`, scim.InvalidPath, []string{"schemas has no sub-attributes"}},
		{"the failing operation is named by its index", `[{"op": "add", "path": "title", "value": "ok"}, {"op": "Replace", "path": "active", "value": "nope"}]`,
			scim.InvalidValue, []string{`Operations[1] (replace "active")`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runCases(t, []patchCase{{name: "apply", doc: doc, body: body(tc.ops), err: tc.scimType, detail: tc.detail}})
		})
	}
}

// TestApplyOpNames covers op names ParseRequest would have refused, for
// callers that build operations themselves.
func TestApplyOpNames(t *testing.T) {
	doc := map[string]any{"userName": "u"}
	got, err := scimpatch.Apply(doc, []scimpatch.Operation{{Op: " REPLACE ", Path: "title", Value: "T"}})
	if err != nil {
		t.Fatalf("Apply(REPLACE) error = %v", err)
	}
	if diff := cmp.Diff(map[string]any{"userName": "u", "title": "T"}, got); diff != "" {
		t.Errorf("Apply(REPLACE) mismatch (-want +got):\n%s", diff)
	}
	for _, op := range []string{"", "copy", "move"} {
		_, err := scimpatch.Apply(doc, []scimpatch.Operation{{Op: op, Path: "title", Value: "T"}})
		checkErr(t, err, scim.InvalidValue, "add, replace or remove")
	}
}

// TestApplyAllOrNothing checks that a failing operation leaves nothing
// applied: no result, and the input untouched.
func TestApplyAllOrNothing(t *testing.T) {
	doc := mustDoc(t, twoEmails)
	ops := []scimpatch.Operation{
		{Op: "replace", Path: "userName", Value: "changed"},
		{Op: "remove", Path: "emails"},
		{Op: "add", Path: "emails[type eq \"work\"].primary", Value: "perhaps"},
	}
	got, err := scimpatch.Apply(doc, ops)
	checkErr(t, err, scim.InvalidValue, "Operations[2]")
	if got != nil {
		t.Errorf("Apply() = %v, want nil on error", got)
	}
	if diff := cmp.Diff(mustDoc(t, twoEmails), doc); diff != "" {
		t.Errorf("Apply modified its input (-before +after):\n%s", diff)
	}
}

// TestApplyNoAliasing checks that the result shares nothing with the input
// document or the operations: changing it changes neither.
func TestApplyNoAliasing(t *testing.T) {
	doc := mustDoc(t, `{"userName": "u", "name": {"givenName": "G"}, "emails": [{"value": "a@x.com"}], "urn:acme:2.0:User": {"tags": ["a"]}}`)
	ops := []scimpatch.Operation{
		{Op: "add", Path: "urn:acme:2.0:User:profile", Value: map[string]any{"a": []any{"x"}}},
		{Op: "add", Path: "urn:acme:2.0:User:tags", Value: []any{map[string]any{"k": "v"}}},
		{Op: "add", Path: "emails[type eq \"work\"]", Value: map[string]any{"value": "w@x.com"}},
		{Op: "add", Path: "urn:acme:2.0:User:list[k eq \"z\"]", Value: map[string]any{"n": []any{"1"}}},
	}
	opsCopy := []scimpatch.Operation{
		{Op: "add", Path: "urn:acme:2.0:User:profile", Value: map[string]any{"a": []any{"x"}}},
		{Op: "add", Path: "urn:acme:2.0:User:tags", Value: []any{map[string]any{"k": "v"}}},
		{Op: "add", Path: "emails[type eq \"work\"]", Value: map[string]any{"value": "w@x.com"}},
		{Op: "add", Path: "urn:acme:2.0:User:list[k eq \"z\"]", Value: map[string]any{"n": []any{"1"}}},
	}
	got, err := scimpatch.Apply(doc, ops)
	if err != nil {
		t.Fatalf("Apply() error = %v", err)
	}
	scribble(got)
	if diff := cmp.Diff(mustDoc(t, `{"userName": "u", "name": {"givenName": "G"}, "emails": [{"value": "a@x.com"}], "urn:acme:2.0:User": {"tags": ["a"]}}`), doc); diff != "" {
		t.Errorf("changing the result changed the input (-before +after):\n%s", diff)
	}
	if diff := cmp.Diff(opsCopy, ops); diff != "" {
		t.Errorf("changing the result changed the operations (-before +after):\n%s", diff)
	}
}

// scribble changes every map and slice inside v.
func scribble(v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, e := range v {
			scribble(e)
		}
		v["scribbled"] = true
	case []any:
		for i, e := range v {
			scribble(e)
			if _, ok := e.(string); ok {
				v[i] = "scribbled"
			}
		}
	}
}

// TestApplyTypedSlices checks documents a Go caller built with typed
// slices rather than through encoding/json.
func TestApplyTypedSlices(t *testing.T) {
	doc := map[string]any{
		"userName": "u",
		"schemas":  []string{scim.UserSchema},
		"emails":   []map[string]any{{"value": "a@x.com", "type": "work"}},
	}
	got, err := scimpatch.Apply(doc, []scimpatch.Operation{
		{Op: "add", Path: "emails[type eq \"work\"].primary", Value: true},
		{Op: "add", Path: "emails", Value: []string{"b@x.com"}},
		{Op: "add", Path: "urn:acme:2.0:User:list", Value: []map[string]any{{"n": 1}}},
	})
	if err != nil {
		t.Fatalf("Apply() error = %v", err)
	}
	want := map[string]any{
		"userName": "u",
		"schemas":  []any{scim.UserSchema, "urn:acme:2.0:User"},
		"emails": []any{
			map[string]any{"value": "a@x.com", "type": "work", "primary": true},
			map[string]any{"value": "b@x.com"},
		},
		"urn:acme:2.0:User": map[string]any{"list": []any{map[string]any{"n": 1}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Apply() mismatch (-want +got):\n%s", diff)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("json.Marshal(Apply()) error = %v", err)
	}
}
