package scim

import (
	"strings"
)

// The discovery documents (RFC 7643 §5–7, RFC 7644 §4). Each function takes
// baseURL, the group's SCIM base URL ({base}/api/scim/v2/groups/{group},
// a trailing slash is ignored), which goes into meta.location. Every call
// builds a new document the caller may change.

// ServiceProviderConfig is the /ServiceProviderConfig document: PATCH
// (Microsoft's collection checks patch.supported), filters with at most
// MaxCount results, and ETags are supported; bulk, changePassword and sort
// are not; authentication is an OAuth bearer token (the group's SCIM token).
func ServiceProviderConfig(baseURL string) map[string]any {
	return map[string]any{
		"schemas":        []string{SPConfigSchema},
		"patch":          map[string]any{"supported": true},
		"bulk":           map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":         map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword": map[string]any{"supported": false},
		"sort":           map[string]any{"supported": false},
		"etag":           map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type":        "oauthbearertoken",
			"name":        "OAuth Bearer Token",
			"description": "The group's SCIM token, sent as Authorization: Bearer <token>.",
			"primary":     true,
		}},
		"meta": map[string]any{
			"resourceType": "ServiceProviderConfig",
			"location":     base(baseURL) + "/ServiceProviderConfig",
		},
	}
}

// discoverable are the schemas /Schemas lists, in order.
var discoverable = []*Schema{User, EnterpriseUser, Group}

// Schemas is the /Schemas document: a ListResponse of the User schema
// (description "User Account", which Microsoft's collection looks for), the
// enterprise User extension, and the Group schema (Entra's gallery
// validation fails every group test without it).
func Schemas(baseURL string) map[string]any {
	var list []map[string]any
	for _, s := range discoverable {
		list = append(list, schemaResource(baseURL, s))
	}
	return ListResponse(list, len(list), 1)
}

// SchemaByID is the /Schemas/{id} document for the schema URN id (any case);
// ok is false when Gatehouse has no such schema.
func SchemaByID(baseURL, id string) (_ map[string]any, ok bool) {
	for _, s := range discoverable {
		if strings.EqualFold(s.ID, id) {
			return schemaResource(baseURL, s), true
		}
	}
	return nil, false
}

func schemaResource(baseURL string, s *Schema) map[string]any {
	attrs := make([]map[string]any, 0, len(s.Attributes))
	for _, a := range s.Attributes {
		attrs = append(attrs, attributeDoc(a))
	}
	return map[string]any{
		"schemas":     []string{SchemaSchema},
		"id":          s.ID,
		"name":        s.Name,
		"description": s.Description,
		"attributes":  attrs,
		"meta": map[string]any{
			"resourceType": "Schema",
			"location":     base(baseURL) + "/Schemas/" + s.ID,
		},
	}
}

// attributeDoc renders an attribute definition (RFC 7643 §7). Optional
// characteristics without a value are left out rather than sent as null or
// empty, as Entra asks.
func attributeDoc(a *Attribute) map[string]any {
	m := map[string]any{
		"name":        a.Name,
		"type":        string(a.Type),
		"multiValued": a.MultiValued,
		"required":    a.Required,
		"caseExact":   a.CaseExact,
		"mutability":  a.Mutability,
		"returned":    a.Returned,
		"uniqueness":  a.Uniqueness,
	}
	if a.Description != "" {
		m["description"] = a.Description
	}
	if len(a.CanonicalValues) > 0 {
		m["canonicalValues"] = append([]string(nil), a.CanonicalValues...)
	}
	if len(a.ReferenceTypes) > 0 {
		m["referenceTypes"] = append([]string(nil), a.ReferenceTypes...)
	}
	if len(a.SubAttributes) > 0 {
		subs := make([]map[string]any, 0, len(a.SubAttributes))
		for _, s := range a.SubAttributes {
			subs = append(subs, attributeDoc(s))
		}
		m["subAttributes"] = subs
	}
	return m
}

// resourceTypes are the resource types /ResourceTypes lists, User first:
// Microsoft's collection checks Resources[0].endpoint == "/Users".
var resourceTypes = []struct {
	name, endpoint, description, schema string
	extensions                          []string
}{
	{"User", "/Users", "User Account", UserSchema, []string{EnterpriseUserSchema}},
	{"Group", "/Groups", "Group", GroupSchema, nil},
}

// ResourceTypes is the /ResourceTypes document: a ListResponse of User
// (endpoint /Users, with the optional enterprise extension) and Group
// (endpoint /Groups), in that order.
func ResourceTypes(baseURL string) map[string]any {
	var list []map[string]any
	for i := range resourceTypes {
		list = append(list, resourceType(baseURL, i))
	}
	return ListResponse(list, len(list), 1)
}

// ResourceTypeByName is the /ResourceTypes/{name} document for name "User" or
// "Group" (any case); ok is false for any other name.
func ResourceTypeByName(baseURL, name string) (_ map[string]any, ok bool) {
	for i, rt := range resourceTypes {
		if strings.EqualFold(rt.name, name) {
			return resourceType(baseURL, i), true
		}
	}
	return nil, false
}

func resourceType(baseURL string, i int) map[string]any {
	rt := resourceTypes[i]
	m := map[string]any{
		"schemas":     []string{ResourceTypeSchema},
		"id":          rt.name,
		"name":        rt.name,
		"endpoint":    rt.endpoint,
		"description": rt.description,
		"schema":      rt.schema,
		"meta": map[string]any{
			"resourceType": "ResourceType",
			"location":     base(baseURL) + "/ResourceTypes/" + rt.name,
		},
	}
	if len(rt.extensions) > 0 {
		var ext []map[string]any
		for _, e := range rt.extensions {
			ext = append(ext, map[string]any{"schema": e, "required": false})
		}
		m["schemaExtensions"] = ext
	}
	return m
}

func base(baseURL string) string { return strings.TrimRight(baseURL, "/") }
