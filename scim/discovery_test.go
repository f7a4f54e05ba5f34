package scim_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
)

const baseURL = "https://gatehouse.example/api/scim/v2/groups/acme"

func TestDiscoveryGolden(t *testing.T) {
	golden(t, "discovery/service_provider_config.json", scim.ServiceProviderConfig(baseURL))
	golden(t, "discovery/schemas.json", scim.Schemas(baseURL+"/"))
	golden(t, "discovery/resource_types.json", scim.ResourceTypes(baseURL))
}

// TestDiscoveryClients checks what identity providers' test suites assert.
func TestDiscoveryClients(t *testing.T) {
	spc := roundTrip(t, scim.ServiceProviderConfig(baseURL)).(map[string]any)
	if got := spc["patch"].(map[string]any)["supported"]; got != true {
		t.Errorf("ServiceProviderConfig patch.supported = %v, want true (Microsoft's collection)", got)
	}
	if got := spc["filter"].(map[string]any)["maxResults"]; got != json.Number("1000") {
		t.Errorf("ServiceProviderConfig filter.maxResults = %v, want 1000", got)
	}

	rts := roundTrip(t, scim.ResourceTypes(baseURL)).(map[string]any)
	resources := rts["Resources"].([]any)
	if got := resources[0].(map[string]any)["endpoint"]; got != "/Users" {
		t.Errorf("ResourceTypes Resources[0].endpoint = %v, want /Users (Microsoft's collection)", got)
	}
	if rts["totalResults"] != json.Number("2") || rts["itemsPerPage"] != json.Number("2") {
		t.Errorf("ResourceTypes totals = %v/%v, want 2/2", rts["totalResults"], rts["itemsPerPage"])
	}

	schemas := roundTrip(t, scim.Schemas(baseURL)).(map[string]any)
	var ids []string
	for _, r := range schemas["Resources"].([]any) {
		ids = append(ids, r.(map[string]any)["id"].(string))
	}
	wantIDs := []string{scim.UserSchema, scim.EnterpriseUserSchema, scim.GroupSchema}
	if strings.Join(ids, " ") != strings.Join(wantIDs, " ") {
		t.Errorf("Schemas ids = %q, want %q", ids, wantIDs)
	}
	user := schemas["Resources"].([]any)[0].(map[string]any)
	if user["description"] != "User Account" {
		t.Errorf(`User schema description = %v, want "User Account" (Microsoft's collection)`, user["description"])
	}
	// Every attribute says every characteristic Entra reads, and nothing is null.
	var walk func(path string, attrs []any)
	walk = func(path string, attrs []any) {
		for _, a := range attrs {
			m := a.(map[string]any)
			for _, k := range []string{"name", "type", "multiValued", "required", "caseExact", "mutability", "returned", "uniqueness"} {
				if m[k] == nil {
					t.Errorf("attribute %s%v has no %s", path, m["name"], k)
				}
			}
			if subs, ok := m["subAttributes"].([]any); ok {
				walk(path+m["name"].(string)+".", subs)
			} else if m["type"] == "complex" {
				t.Errorf("complex attribute %s%v has no subAttributes", path, m["name"])
			}
		}
	}
	for _, r := range schemas["Resources"].([]any) {
		walk("", r.(map[string]any)["attributes"].([]any))
	}
}

func TestDiscoveryByID(t *testing.T) {
	for _, id := range []string{scim.UserSchema, strings.ToUpper(scim.EnterpriseUserSchema), scim.GroupSchema} {
		s, ok := scim.SchemaByID(baseURL, id)
		if !ok || !strings.EqualFold(s["id"].(string), id) {
			t.Errorf("SchemaByID(%q) = %v, %v", id, s["id"], ok)
		}
		if loc := s["meta"].(map[string]any)["location"]; loc != baseURL+"/Schemas/"+s["id"].(string) {
			t.Errorf("SchemaByID(%q) location = %v", id, loc)
		}
	}
	if _, ok := scim.SchemaByID(baseURL, "urn:nope"); ok {
		t.Errorf("SchemaByID(urn:nope) found a schema")
	}
	for _, name := range []string{"User", "group"} {
		rt, ok := scim.ResourceTypeByName(baseURL, name)
		if !ok || !strings.EqualFold(rt["name"].(string), name) {
			t.Errorf("ResourceTypeByName(%q) = %v, %v", name, rt["name"], ok)
		}
	}
	if _, ok := scim.ResourceTypeByName(baseURL, "Users"); ok {
		t.Errorf("ResourceTypeByName(Users) found a resource type")
	}
}
