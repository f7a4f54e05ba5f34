package scimpatch_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/google/go-cmp/cmp"
)

// fuzzDoc is the fixed document the fuzz targets patch: every kind of
// attribute, an enterprise and a custom extension.
const fuzzDoc = `{
	"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "urn:acme:2.0:User"],
	"id": "2819c223-7f76-453a-919d-413861904646",
	"externalId": "bjensen",
	"meta": {"resourceType": "User", "created": "2011-08-01T18:29:49.793Z", "version": "W/\"3694e05e9dff591\""},
	"userName": "bjensen@example.com",
	"name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
	"displayName": "Babs Jensen",
	"active": true,
	"emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
	"addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "primary": true}],
	"phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
	"roles": [{"value": "reader", "primary": true}],
	"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}},
	"urn:acme:2.0:User": {"tags": ["a", "b"], "badge": {"color": "red"}, "level": 3}
}`

// fuzzSeeds are operations from real traffic and from the tests.
var fuzzSeeds = []struct {
	op, path, value string
}{
	{"Replace", "active", `"False"`},
	{"replace", "", `{"active": false}`},
	{"replace", "", `{"displayName":"Bjfe","name.givenName":"Kkom","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"Aklq"}`},
	{"Replace", `emails[type eq "work"].value`, `"updatedEmail@microsoft.com"`},
	{"Add", "manager", `[{"$ref":"http://x/Users/1","value":"1"}]`},
	{"add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", `{"value":"AXTKDLNRKMKT"}`},
	{"remove", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", ``},
	{"Add", `addresses[type eq "work"].formatted`, `"Columbus"`},
	{"add", `roles[primary eq "True"].display`, `"Reader"`},
	{"add", "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User:tag", `"blue"`},
	{"remove", `emails[value ew "@example.com" or not (type pr)]`, ``},
	{"add", "urn:acme:2.0:User:tags", `["c"]`},
	{"remove", "urn:acme:2.0:User:tags[value eq \"a\"]", ``},
	{"replace", "name", `{"givenName": "B", "formatted": null}`},
	{"add", "emails", `[{"value": "x@y.z", "primary": "True"}]`},
	{"Remove", "emails", `[{"value": "babs@jensen.org"}]`},
	{"replace", "userName", `{"value": "x"}`},
	{"remove", "", ``},
	{"replace", "id", `"x"`},
	{"add", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", `{"department": ""}`},
	{"add", `emails[(type eq "work") and not (value co "x")].primary`, `false`},
}

// FuzzApply applies one random operation to a fixed document. Apply must
// never panic; its errors are 400 *scim.Error values with a scimType; it
// never changes its input; and its results are JSON documents without a
// password that the same operation can be applied to again.
func FuzzApply(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s.op, s.path, []byte(s.value))
	}
	f.Fuzz(func(t *testing.T, op, path string, value []byte) {
		var v any
		if len(value) > 0 {
			dec := json.NewDecoder(bytes.NewReader(value))
			dec.UseNumber()
			if dec.Decode(&v) != nil {
				v = string(value)
			}
		}
		checkApply(t, []scimpatch.Operation{{Op: op, Path: path, Value: v}})
	})
}

// FuzzParseRequest feeds random request bodies through ParseRequest and,
// when they parse, Apply.
func FuzzParseRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		op := map[string]any{"op": s.op}
		if s.path != "" {
			op["path"] = s.path
		}
		if s.value != "" {
			op["value"] = json.RawMessage(s.value)
		}
		b, err := json.Marshal(map[string]any{"schemas": []string{scim.PatchOpSchema}, "Operations": []any{op}})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"operations":[{"OP":"add","value":{"urn:acme:2.0:User":{"x":1}}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ops, err := scimpatch.ParseRequest(b)
		if err != nil {
			checkScimError(t, err)
			if ops != nil {
				t.Errorf("ParseRequest() = %v with error %v", ops, err)
			}
			return
		}
		checkApply(t, ops)
	})
}

func checkApply(t *testing.T, ops []scimpatch.Operation) {
	doc := mustDoc(t, fuzzDoc)
	got, err := scimpatch.Apply(doc, ops)
	if diff := cmp.Diff(mustDoc(t, fuzzDoc), doc); diff != "" {
		t.Fatalf("Apply(%#v) modified its input (-before +after):\n%s", ops, diff)
	}
	if err != nil {
		checkScimError(t, err)
		if got != nil {
			t.Fatalf("Apply(%#v) = %v with error %v", ops, got, err)
		}
		return
	}
	if _, err := json.Marshal(got); err != nil {
		t.Fatalf("Apply(%#v) result does not marshal: %v", ops, err)
	}
	for k := range got {
		if k == "password" {
			t.Fatalf("Apply(%#v) kept a password", ops)
		}
	}
	if _, err := scimpatch.Apply(got, ops); err != nil {
		t.Fatalf("Apply(%#v) succeeded once but not on its own result: %v", ops, err)
	}
}

func checkScimError(t *testing.T, err error) {
	t.Helper()
	var se *scim.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %v is a %T, want *scim.Error", err, err)
	}
	if se.Status != http.StatusBadRequest || se.ScimType == "" || se.Detail == "" {
		t.Fatalf("error = %d %q %q, want 400 with a scimType and a detail", se.Status, se.ScimType, se.Detail)
	}
}
