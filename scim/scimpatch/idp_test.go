package scimpatch_test

import "testing"

// The documents the real requests below are applied to.
const (
	// entraUser is the user of Microsoft's "User: Create" sample, as
	// Gatehouse stores it.
	entraUser = `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "48af03ac28ad4fb88478",
		"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
		"meta": {"resourceType": "User", "created": "2018-03-27T19:59:26.000Z", "lastModified": "2018-03-27T19:59:26.000Z"},
		"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
		"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
		"active": true,
		"emails": [{"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com", "type": "work", "primary": true}]
	}`

	// entraManaged has a manager and a department.
	entraManaged = `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
		"id": "48af03ac28ad4fb88478",
		"userName": "dale.mohr@romaguera.uk",
		"active": true,
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "AXTKDLNRKMKT"}}
	}`

	// bareUser has nothing but a userName, as Entra's first Add requests
	// find it.
	bareUser = `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": true}`

	// oktaUser is the user of Okta's create sample.
	oktaUser = `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
		"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
		"userName": "test.user@okta.local",
		"name": {"givenName": "Test", "familyName": "User"},
		"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
		"displayName": "Test User",
		"locale": "en-US",
		"externalId": "00ujl29u0le5T6Aj10h7",
		"active": true
	}`
)

// TestApplyIdPRequests applies, one row each, the PATCH bodies identity
// providers really send (docs/idp-clients.md and Microsoft's Postman
// collection, shared/conformance/PostmanCollection.json).
func TestApplyIdPRequests(t *testing.T) {
	runCases(t, []patchCase{
		{
			name: "entra doc: update multi-valued attributes",
			doc:  entraUser,
			body: `{
				"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [
					{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "updatedEmail@microsoft.com"},
					{"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"}
				]
			}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "48af03ac28ad4fb88478",
				"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"meta": {"resourceType": "User", "created": "2018-03-27T19:59:26.000Z", "lastModified": "2018-03-27T19:59:26.000Z"},
				"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
				"name": {"formatted": "givenName familyName", "familyName": "updatedFamilyName", "givenName": "givenName"},
				"active": true,
				"emails": [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": true}]
			}`,
		},
		{
			name: "entra doc: update single-valued attribute",
			doc:  bareUser,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "Replace", "path": "userName", "value": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com", "active": true}`,
		},
		{
			name: "entra doc: disable with a boolean",
			doc:  bareUser,
			body: `{"Operations": [{"op": "Replace", "path": "active", "value": false}],
				"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": false}`,
		},
		{
			name: "entra legacy: disable with \"False\"",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Replace","path":"active","value":"False"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": false}`,
		},
		{
			name: "entra aadOptscim062020: disable",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"active","value":false}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": false}`,
		},
		{
			name: "entra legacy: enable with \"True\"",
			doc:  `{"userName": "joy@contoso.com", "active": false}`,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Replace","path":"active","value":"True"}]}`,
			want: `{"userName": "joy@contoso.com", "active": true}`,
		},
		{
			name: "entra legacy: add a single-valued string attribute",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"nickName","value":"Babs"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": true, "nickName": "Babs"}`,
		},
		{
			name: "entra aadOptscim062020: add a single-valued string attribute",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"add","path":"nickName","value":"Babs"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": true, "nickName": "Babs"}`,
		},
		{
			name: "entra legacy: replace several attributes",
			doc:  entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"Replace","path":"displayName","value":"Pvlo"},
					{"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.microsoft.com"},
					{"op":"Replace","path":"name.givenName","value":"Gtfd"},
					{"op":"Replace","path":"name.familyName","value":"Pkqf"},
					{"op":"Replace","path":"externalId","value":"Eqpj"},
					{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "48af03ac28ad4fb88478",
				"externalId": "Eqpj",
				"meta": {"resourceType": "User", "created": "2018-03-27T19:59:26.000Z", "lastModified": "2018-03-27T19:59:26.000Z"},
				"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
				"displayName": "Pvlo",
				"name": {"formatted": "givenName familyName", "familyName": "Pkqf", "givenName": "Gtfd"},
				"active": true,
				"emails": [{"value": "TestBcwqnm@test.microsoft.com", "type": "work", "primary": true}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "Eqpj"}
			}`,
		},
		{
			name: "entra aadOptscim062020: replace several attributes, path-less with dotted and URN keys",
			doc:  entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"replace","path":"emails[type eq \"work\"].value","value":"TestMhvaes@test.microsoft.com"},
					{"op":"replace","value":{
						"displayName":"Bjfe",
						"name.givenName":"Kkom",
						"name.familyName":"Unua",
						"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "48af03ac28ad4fb88478",
				"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"meta": {"resourceType": "User", "created": "2018-03-27T19:59:26.000Z", "lastModified": "2018-03-27T19:59:26.000Z"},
				"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
				"displayName": "Bjfe",
				"name": {"formatted": "givenName familyName", "familyName": "Unua", "givenName": "Kkom"},
				"active": true,
				"emails": [{"value": "TestMhvaes@test.microsoft.com", "type": "work", "primary": true}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "Aklq"}
			}`,
		},
		{
			name: "entra legacy: manager as an array with $ref, unqualified path",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"manager","value":[{"$ref":"http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee","value":"00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}]}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "u1", "userName": "joy@contoso.com", "active": true,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
					"manager": {"value": "00aa00aa-bb11-cc22-dd33-44ee44ee44ee", "$ref": "http://.../scim/Users/00aa00aa-bb11-cc22-dd33-44ee44ee44ee"}}
			}`,
		},
		{
			name: "entra attribute-mapping default: manager as a plain id",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":"MGR-1"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "u1", "userName": "joy@contoso.com", "active": true,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "MGR-1"}}
			}`,
		},
		{
			name: "microsoft validator: add manager",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"AXTKDLNRKMKT"}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "u1", "userName": "joy@contoso.com", "active": true,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "AXTKDLNRKMKT"}}
			}`,
		},
		{
			name: "microsoft validator: replace manager",
			doc:  entraManaged,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"QWERTYUIOP"}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "48af03ac28ad4fb88478", "userName": "dale.mohr@romaguera.uk", "active": true,
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "QWERTYUIOP"}}
			}`,
		},
		{
			name: "microsoft validator: remove manager",
			doc:  entraManaged,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"remove","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "48af03ac28ad4fb88478", "userName": "dale.mohr@romaguera.uk", "active": true
			}`,
		},
		{
			name: "microsoft gallery validation: replace manager with empty",
			doc:  entraManaged,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "48af03ac28ad4fb88478", "userName": "dale.mohr@romaguera.uk", "active": true
			}`,
		},
		{
			name: "microsoft validator: path-less replace userName",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"replace","value":{"userName":"rosalind.kub@ziemann.us"}}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "rosalind.kub@ziemann.us", "active": true}`,
		},
		{
			name: "entra (MS Q&A): Add to a filtered email on a user without emails creates it",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"joy@contoso.com"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": true,
				"emails": [{"type": "work", "value": "joy@contoso.com"}]}`,
		},
		{
			name: "entra (ssoready #249): Add to a filtered address on a user without addresses creates it",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"addresses[type eq \"work\"].formatted","value":"Columbus"}]}`,
			want: `{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "u1", "userName": "joy@contoso.com", "active": true,
				"addresses": [{"type": "work", "formatted": "Columbus"}]}`,
		},
		{
			name: "entra mapping defaults: capitalised Value and Formatted sub-attributes",
			doc:  entraUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"Add","path":"emails[type eq \"other\"].Value","value":"smtp:joy@contoso.onmicrosoft.com"},
					{"op":"Add","path":"addresses[type eq \"other\"].Formatted","value":"1 Main St, Redmond"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "48af03ac28ad4fb88478",
				"externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
				"meta": {"resourceType": "User", "created": "2018-03-27T19:59:26.000Z", "lastModified": "2018-03-27T19:59:26.000Z"},
				"userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
				"name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
				"active": true,
				"emails": [
					{"value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com", "type": "work", "primary": true},
					{"type": "other", "value": "smtp:joy@contoso.onmicrosoft.com"}],
				"addresses": [{"type": "other", "formatted": "1 Main St, Redmond"}]
			}`,
		},
		{
			name: "entra mapping defaults: custom extension attribute kept verbatim",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag","value":"blue"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"],
				"id": "u1", "userName": "joy@contoso.com", "active": true,
				"urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User": {"tag": "blue"}
			}`,
		},
		{
			name: "microsoft validator: add attributes verbose",
			doc:  bareUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"add","path":"displayName","value":"Joy Young"},
					{"op":"add","path":"title","value":"Engineer"},
					{"op":"add","path":"emails[type eq \"work\"].value","value":"joy@contoso.com"},
					{"op":"add","path":"preferredLanguage","value":"en-GB"},
					{"op":"add","path":"name.givenName","value":"Joy"},
					{"op":"add","path":"name.familyName","value":"Young"},
					{"op":"add","path":"name.formatted","value":"Joy Young"},
					{"op":"add","path":"addresses[type eq \"work\"].streetAddress","value":"1 Main St"},
					{"op":"add","path":"addresses[type eq \"work\"].locality","value":"Redmond"},
					{"op":"add","path":"addresses[type eq \"work\"].region","value":"WA"},
					{"op":"add","path":"addresses[type eq \"work\"].postalCode","value":"98052"},
					{"op":"add","path":"addresses[type eq \"work\"].country","value":"US"},
					{"op":"add","path":"phoneNumbers[type eq \"work\"].value","value":"+1 425 555 0100"},
					{"op":"add","path":"phoneNumbers[type eq \"mobile\"].value","value":"+1 425 555 0101"},
					{"op":"add","path":"phoneNumbers[type eq \"fax\"].value","value":"+1 425 555 0102"},
					{"op":"add","path":"externalId","value":"jyoung"},
					{"op":"add","path":"roles[primary eq \"True\"].display","value":"Reader"},
					{"op":"add","path":"roles[primary eq \"True\"].value","value":"reader"},
					{"op":"add","path":"roles[primary eq \"True\"].type","value":"WindowsAzureActiveDirectoryRole"},
					{"op":"add","path":"nickName","value":"Joy"},
					{"op":"add","path":"userType","value":"Member"},
					{"op":"add","path":"locale","value":"en-GB"},
					{"op":"add","path":"timezone","value":"Europe/London"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"1234"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"Sales"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter","value":"CC1"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization","value":"Contoso"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division","value":"EMEA"},
					{"op":"add","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":{"value":"MGR-1"}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
				"id": "u1", "userName": "joy@contoso.com", "active": true,
				"displayName": "Joy Young", "title": "Engineer", "preferredLanguage": "en-GB",
				"emails": [{"type": "work", "value": "joy@contoso.com"}],
				"name": {"givenName": "Joy", "familyName": "Young", "formatted": "Joy Young"},
				"addresses": [{"type": "work", "streetAddress": "1 Main St", "locality": "Redmond", "region": "WA", "postalCode": "98052", "country": "US"}],
				"phoneNumbers": [
					{"type": "work", "value": "+1 425 555 0100"},
					{"type": "mobile", "value": "+1 425 555 0101"},
					{"type": "fax", "value": "+1 425 555 0102"}],
				"externalId": "jyoung",
				"roles": [{"primary": true, "display": "Reader", "value": "reader", "type": "WindowsAzureActiveDirectoryRole"}],
				"nickName": "Joy", "userType": "Member", "locale": "en-GB", "timezone": "Europe/London",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
					"employeeNumber": "1234", "department": "Sales", "costCenter": "CC1", "organization": "Contoso", "division": "EMEA",
					"manager": {"value": "MGR-1"}}
			}`,
		},
		{
			name: "microsoft gallery validation: null update with empty strings",
			doc: `{"userName": "joy@contoso.com", "displayName": "Joy", "title": "Engineer", "active": true,
				"name": {"givenName": "Joy", "familyName": "Young"},
				"emails": [{"type": "work", "value": "joy@contoso.com", "primary": true}],
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales", "manager": {"value": "m"}}}`,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"replace","path":"displayName","value":""},
					{"op":"replace","path":"title","value":""},
					{"op":"replace","path":"name.givenName","value":""},
					{"op":"replace","path":"emails[type eq \"work\"].value","value":""},
					{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":""},
					{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager","value":""}]}`,
			want: `{"userName": "joy@contoso.com", "active": true, "name": {"familyName": "Young"}}`,
		},
		{
			name: "microsoft gallery validation: null update with nulls",
			doc: `{"userName": "joy@contoso.com", "displayName": "Joy", "title": "Engineer", "active": true,
				"name": {"givenName": "Joy", "familyName": "Young"},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}}`,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"replace","path":"displayName","value":null},
					{"op":"replace","path":"title","value":null},
					{"op":"replace","path":"name.familyName","value":null},
					{"op":"replace","path":"name.givenName","value":null},
					{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":null}]}`,
			want: `{"userName": "joy@contoso.com", "active": true}`,
		},
		{
			name: "okta OIN: deactivate, path-less",
			doc:  oktaUser,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "replace", "value": {"active": false}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
				"userName": "test.user@okta.local",
				"name": {"givenName": "Test", "familyName": "User"},
				"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
				"displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
				"active": false
			}`,
		},
		{
			name: "okta OIN: reactivate, path-less",
			doc:  `{"id": "23a35c27", "userName": "test.user@okta.local", "active": false}`,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "replace", "value": {"active": true}}]}`,
			want: `{"id": "23a35c27", "userName": "test.user@okta.local", "active": true}`,
		},
		{
			name: "okta OIN: password sync is accepted and discarded",
			doc:  `{"id": "23a35c27", "userName": "test.user@okta.local", "active": true}`,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "replace", "value": {"password": "1mz050nq"}}]}`,
			want: `{"id": "23a35c27", "userName": "test.user@okta.local", "active": true}`,
		},
		{
			name: "okta: the resource's own id inside a path-less value is ignored",
			doc:  oktaUser,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "replace", "value": {"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173", "displayName": "Test SCIMv2"}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
				"userName": "test.user@okta.local",
				"name": {"givenName": "Test", "familyName": "User"},
				"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
				"displayName": "Test SCIMv2", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
				"active": true
			}`,
		},
		{
			name: "okta: path-less profile update applies every key",
			doc:  oktaUser,
			body: `{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations": [{"op": "replace", "value": {
					"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
					"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
					"userName": "test.user@okta.local",
					"name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
					"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
					"active": true,
					"groups": [],
					"meta": {"resourceType": "User"}}}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
				"userName": "test.user@okta.local",
				"name": {"givenName": "Another", "middleName": "Excited", "familyName": "User"},
				"emails": [{"primary": true, "value": "test.user@okta.local", "type": "work", "display": "test.user@okta.local"}],
				"displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
				"active": true
			}`,
		},
		{
			name: "onelogin: pre-RFC enterprise URN, manager with displayName, empty placeholder",
			doc: `{"userName": "onelogin-test-user01", "title": "Engineer",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"}}`,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
					{"op":"replace","path":"title","value":""},
					{"op":"replace","path":"urn:scim:schemas:extension:enterprise:2.0","value":{
						"department":"",
						"division":"R&D",
						"manager":{"value":"42","displayName":"Ada Lovelace"}}}]}`,
			want: `{"userName": "onelogin-test-user01",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"division": "R&D", "manager": {"value": "42"}}}`,
		},
		{
			name: "microsoft collection: patch user1",
			doc:  `{"id": "id1", "userName": "ryan2", "active": true}`,
			body: `{
				"schemas": [
					"urn:ietf:params:scim:api:messages:2.0:PatchOp"
				],
				"Operations": [
					{
						"op": "replace",
						"path": "userName",
						"value": "ryan3"
					}
				]
			}`,
			want: `{"id": "id1", "userName": "ryan3", "active": true}`,
		},
		{
			name: "microsoft collection garbage: Patch user omalley new username",
			doc:  `{"id": "id1", "userName": "omalley", "active": true}`,
			body: `{ "schemas":
				["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
				{
				"op":"Replace",
				"path":"userName",
				"value":"newusername"
				}]
			}`,
			want: `{"id": "id1", "userName": "newusername", "active": true}`,
		},
		{
			name: "microsoft collection garbage: patch user omalley active with boolean",
			doc:  `{"id": "id1", "userName": "omalley", "active": true}`,
			body: `{ "schemas":
				["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[
				{
				"op":"Replace",
				"path":"active",
				"value": false
				}]
			}`,
			want: `{"id": "id1", "userName": "omalley", "active": false}`,
		},
		{
			name: "entra: Add to an email that already exists updates it",
			doc:  oktaUser,
			body: `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
				"Operations":[{"op":"Add","path":"emails[type eq \"work\"].value","value":"new.user@okta.local"}]}`,
			want: `{
				"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
				"id": "23a35c27-23d3-4c03-b4c5-6443c09e7173",
				"userName": "test.user@okta.local",
				"name": {"givenName": "Test", "familyName": "User"},
				"emails": [{"primary": true, "value": "new.user@okta.local", "type": "work"}],
				"displayName": "Test User", "locale": "en-US", "externalId": "00ujl29u0le5T6Aj10h7",
				"active": true
			}`,
		},
	})
}
