package scim_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/scim"
)

func TestUserResource(t *testing.T) {
	doc := decode(t, `{
		"userName": "Alice@Example.com",
		"name": {"givenName": "Alice"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
		"urn:zeta:2.0:User": {"z": 1},
		"urn:acme:2.0:User": {"badge": "7"},
		"urn:acme:2.0:User:flat": "kept, but no schema",
		"password": "leak", "id": "wrong", "externalId": "wrong", "active": "wrong", "meta": "wrong", "schemas": ["wrong"], "groups": []
	}`)
	meta := scim.Meta{
		Created:      time.Date(2026, 12, 4, 17, 0, 0, 123456789, time.FixedZone("CET", 3600)),
		LastModified: time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC),
		Location:     "https://gatehouse.example/api/scim/v2/groups/acme/Users/u-1",
		Version:      scim.ETag(7),
	}
	got := roundTrip(t, scim.UserResource(doc, "u-1", "ext-1", false, meta))
	want := decode(t, `{
		"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:acme:2.0:User", "urn:zeta:2.0:User"],
		"id": "u-1",
		"externalId": "ext-1",
		"userName": "Alice@Example.com",
		"name": {"givenName": "Alice"},
		"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D"},
		"urn:zeta:2.0:User": {"z": 1},
		"urn:acme:2.0:User": {"badge": "7"},
		"urn:acme:2.0:User:flat": "kept, but no schema",
		"active": false,
		"meta": {
			"resourceType": "User",
			"created": "2026-12-04T16:00:00.123456Z",
			"lastModified": "2026-12-04T18:00:00.000000Z",
			"location": "https://gatehouse.example/api/scim/v2/groups/acme/Users/u-1",
			"version": "W/\"7\""
		}
	}`)
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("UserResource (-want +got):\n%s", diff)
	}

	// The result shares nothing with doc.
	res := scim.UserResource(doc, "u-1", "", true, scim.Meta{})
	res["name"].(map[string]any)["givenName"] = "Mallory"
	if doc["name"].(map[string]any)["givenName"] != "Alice" {
		t.Errorf("changing the resource changed the document")
	}
	// No externalId, zero meta fields.
	got = roundTrip(t, scim.UserResource(decode(t, `{"userName":"b"}`), "u-2", "", true, scim.Meta{}))
	want = decode(t, `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"id":"u-2","userName":"b","active":true,"meta":{"resourceType":"User"}}`)
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("UserResource without externalId (-want +got):\n%s", diff)
	}
}

func TestETagAndTime(t *testing.T) {
	if got := scim.ETag(42); got != `W/"42"` {
		t.Errorf(`ETag(42) = %s, want W/"42"`, got)
	}
	tm := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("X", -7*3600))
	if got, want := scim.FormatTime(tm), "2026-01-02T10:04:05.000006Z"; got != want {
		t.Errorf("FormatTime = %s, want %s", got, want)
	}
}

func TestListResponse(t *testing.T) {
	got := roundTrip(t, scim.ListResponse(nil, 0, 1))
	want := decode(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"startIndex":1,"itemsPerPage":0,"Resources":[]}`)
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("ListResponse(nil, 0, 1) (-want +got):\n%s", diff)
	}
	got = roundTrip(t, scim.ListResponse([]map[string]any{{"id": "a"}, {"id": "b"}}, 5, 3))
	want = decode(t, `{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":5,"startIndex":3,"itemsPerPage":2,"Resources":[{"id":"a"},{"id":"b"}]}`)
	if diff := cmp.Diff(any(want), got); diff != "" {
		t.Errorf("ListResponse(2 of 5 from 3) (-want +got):\n%s", diff)
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		name              string
		startIndex, count string
		wantStart, wantN  int
		wantErr           string // the parameter the error names
	}{
		{"defaults", "", "", 1, 100, ""},
		{"blank", " ", " ", 1, 100, ""},
		{"plain", "5", "20", 5, 20, ""},
		{"Okta import", "101", "100", 101, 100, ""},
		{"zero start", "0", "10", 1, 10, ""},
		{"negative start", "-7", "10", 1, 10, ""},
		{"count zero", "1", "0", 1, 0, ""},
		{"negative count", "1", "-3", 1, 0, ""},
		{"count capped", "1", "5000", 1, 1000, ""},
		{"count at max", "1", "1000", 1, 1000, ""},
		{"huge count", "1", "99999999999999999999999", 1, 1000, ""},
		{"huge negative count", "1", "-99999999999999999999999", 1, 0, ""},
		{"huge start", "99999999999999999999999", "1", 2147483647, 1, ""},
		{"plus sign", "+2", "+3", 2, 3, ""},
		{"spaces", " 2 ", " 3 ", 2, 3, ""},
		{"word start", "abc", "10", 0, 0, "startIndex"},
		{"decimal count", "1", "2.5", 0, 0, "count"},
		{"hex count", "1", "0x10", 0, 0, "count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, n, err := scim.ParsePage(tt.startIndex, tt.count)
			if tt.wantErr != "" {
				se := scimError(t, err)
				if se.Status != 400 || se.ScimType != scim.InvalidValue || !strings.HasPrefix(se.Detail, tt.wantErr+" must be an integer") {
					t.Errorf("ParsePage(%q, %q) error = %v, want 400 invalidValue naming %s", tt.startIndex, tt.count, se, tt.wantErr)
				}
				return
			}
			if err != nil || start != tt.wantStart || n != tt.wantN {
				t.Errorf("ParsePage(%q, %q) = %d, %d, %v; want %d, %d", tt.startIndex, tt.count, start, n, err, tt.wantStart, tt.wantN)
			}
		})
	}
}
