package scimhttp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/admin"

	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

const userBody = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"externalId":"00u1","userName":"bob@acme.example",
"name":{"givenName":"Bob","familyName":"Builder"},"emails":[{"primary":true,"type":"work","value":"bob@acme.example"}]}`

// scimError decodes an RFC 7644 error body, failing the test when the body
// is not one.
func scimError(t *testing.T, r response) (status, scimType, detail string) {
	t.Helper()
	var b struct {
		Schemas  []string
		Status   string
		ScimType string
		Detail   string
	}
	if err := json.Unmarshal([]byte(r.body), &b); err != nil || len(b.Schemas) != 1 || b.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
		t.Fatalf("body %q is not a SCIM error document", r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != scimhttp.ContentType {
		t.Errorf("error Content-Type = %q, want %s", ct, scimhttp.ContentType)
	}
	return b.Status, b.ScimType, b.Detail
}

func TestAuthentication(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		tests := []struct {
			name, url, header string
		}{
			{"no token", e.byPath() + "/Users", ""},
			{"not bearer", e.byPath() + "/Users", "Basic dXNlcjpwYXNz"},
			{"junk token", e.byPath() + "/Users", "Bearer nonsense"},
			{"unknown token", e.byPath() + "/Users", "Bearer gth_scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
			{"another group's token", e.byPath() + "/Users", "Bearer " + e.otherToken},
			{"token on another group's URL", e.url + scimhttp.Prefix + "other/Users", "Bearer " + e.token},
			{"unknown group", e.url + scimhttp.Prefix + "nowhere/Users", "Bearer " + e.token},
			{"unknown group id", e.url + scimhttp.Prefix + "999999/Users", "Bearer " + e.token},
			{"Bearer without a token", e.byPath() + "/Users", "Bearer"},
			{"Bearer and a space", e.byPath() + "/Users", "Bearer "},
			{"the token without a scheme", e.byPath() + "/Users", e.token},
			{"the token in the query", e.byPath() + "/Users?access_token=" + e.token, ""},
			{"the token with a character more", e.byPath() + "/Users", "Bearer " + e.token + "A"},
			{"the token cut short", e.byPath() + "/Users", "Bearer " + e.token[:len(e.token)-1]},
		}
		var first string
		for _, tt := range tests {
			req, _ := http.NewRequest("GET", tt.url, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var body map[string]any
			json.NewDecoder(resp.Body).Decode(&body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized || body["status"] != "401" {
				t.Errorf("%s: GET = %d %v, want 401 with a SCIM error", tt.name, resp.StatusCode, body)
			}
			detail, _ := body["detail"].(string)
			if first == "" {
				first = detail
			} else if detail != first {
				t.Errorf("%s: detail %q differs from %q: it must reveal nothing", tt.name, detail, first)
			}
		}
		// The scheme's letter case does not matter (RFC 9110 §11.1), nor
		// do spaces around the token.
		for _, header := range []string{"bearer " + e.token, "BEARER " + e.token, "Bearer  " + e.token + " "} {
			req, _ := http.NewRequest("GET", e.byPath()+"/Users?count=0", nil)
			req.Header.Set("Authorization", header)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("Authorization %q = %d, want 200", strings.Replace(header, e.token, "<token>", 1), resp.StatusCode)
			}
		}
	})
}

func TestTestConnection(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		for _, base := range []string{e.byPath(), e.byID()} {
			r := e.do("GET", base+`/Users?filter=userName+eq+"f5a1b6e2-7c1d-4c36-8a51-2a4f1c9f0b11"`, e.token, "", "")
			var lr map[string]any
			json.Unmarshal([]byte(r.body), &lr)
			if r.status != 200 || lr["totalResults"] != float64(0) || lr["Resources"] == nil {
				t.Errorf("Test Connection at %s = %d %s, want 200 with an empty list", base, r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != scimhttp.ContentType {
				t.Errorf("Content-Type = %q", ct)
			}
		}
	})
}

func TestUserLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		r := e.do("POST", e.byPath()+"/Users", e.token, "application/json", userBody)
		if r.status != 201 {
			t.Fatalf("POST = %d %s", r.status, r.body)
		}
		var u map[string]any
		json.Unmarshal([]byte(r.body), &u)
		id, _ := u["id"].(string)
		if r.header.Get("Location") != e.byPath()+"/Users/"+id || u["userName"] != "bob@acme.example" || u["externalId"] != "00u1" || u["active"] != true {
			t.Errorf("POST = Location %q, %v", r.header.Get("Location"), u)
		}
		etag := r.header.Get("ETag")

		// Lower-case resource, trailing slash, by id.
		if r := e.do("GET", e.byID()+"/users/"+id+"/", e.token, "", ""); r.status != 200 {
			t.Errorf("GET /users/{id}/ = %d %s", r.status, r.body)
		}
		if r := e.do("GET", e.byPath()+`/Users?filter=userName+eq+"BOB@ACME.EXAMPLE"`, e.token, "", ""); !strings.Contains(r.body, `"totalResults":1`) {
			t.Errorf("filter in other case = %s", r.body)
		}
		req, _ := http.NewRequest("GET", e.byPath()+"/Users/"+id, nil)
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("If-None-Match", etag)
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 304 {
			t.Errorf("GET with If-None-Match = %v, %v; want 304", resp.StatusCode, err)
		}

		patch := `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"active","value":"False"}]}`
		r = e.do("PATCH", e.byPath()+"/Users/"+id, e.token, "application/scim+json", patch)
		if r.status != 200 || !strings.Contains(r.body, `"active":false`) {
			t.Errorf("PATCH active False = %d %s, want 200 with the resource", r.status, r.body)
		}
		if r := e.do("GET", e.byPath()+"/Users/"+id, e.token, "", ""); !strings.Contains(r.body, `"active":false`) {
			t.Errorf("deprovisioned user not readable as inactive: %s", r.body)
		}

		req, _ = http.NewRequest("PATCH", e.byPath()+"/Users/"+id, strings.NewReader(patch))
		req.Header.Set("Authorization", "Bearer "+e.token)
		req.Header.Set("If-Match", etag) // stale now
		if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 412 {
			t.Errorf("PATCH with a stale If-Match = %v, %v; want 412", resp.StatusCode, err)
		}

		if r := e.do("DELETE", e.byPath()+"/Users/"+id, e.token, "", ""); r.status != 204 || r.body != "" {
			t.Errorf("DELETE = %d %q, want 204 and no body", r.status, r.body)
		}
		for _, m := range []string{"GET", "DELETE"} {
			r := e.do(m, e.byPath()+"/Users/"+id, e.token, "", "")
			if st, _, _ := scimError(t, r); r.status != 404 || st != "404" {
				t.Errorf("%s after DELETE = %d, want 404", m, r.status)
			}
		}
	})
}

func TestBadRequests(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		big := `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"x","title":"` + strings.Repeat("a", 1<<20) + `"}`
		tests := []struct {
			name, method, path, ctype, body string
			status                          int
			scimType                        string
		}{
			{"malformed JSON", "POST", "/Users", "application/scim+json", `{"userName":`, 400, "invalidSyntax"},
			{"no userName", "POST", "/Users", "application/scim+json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]}`, 400, "invalidValue"},
			{"no User schema", "POST", "/Users", "application/scim+json", `{"schemas":["urn:x"],"userName":"a"}`, 400, "invalidValue"},
			{"no email", "POST", "/Users", "application/scim+json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"}`, 400, "invalidValue"},
			{"wrong type", "POST", "/Users", "application/scim+json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":["a"]}`, 400, "invalidValue"},
			{"xml", "POST", "/Users", "application/xml", `<user/>`, 415, ""},
			{"too large", "POST", "/Users", "application/scim+json", big, 413, ""},
			{"bad filter", "GET", `/Users?filter=title+eq+"x"`, "", "", 400, "invalidFilter"},
			{"bad count", "GET", "/Users?count=ten", "", "", 400, "invalidValue"},
			{"unknown endpoint", "GET", "/Widgets", "", "", 404, ""},
			{"too deep", "GET", "/Users/a/b", "", "", 404, ""},
			{"unknown user", "GET", "/Users/010101001010101011001010101011", "", "", 404, ""},
			{"method", "PUT", "/Users", "application/scim+json", "{}", 405, ""},
			{"group without displayName", "POST", "/Groups", "application/scim+json", `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"]}`, 400, "invalidValue"},
			{"group filter", "GET", `/Groups?filter=displayName+co+"x"`, "", "", 400, "invalidFilter"},
			{"unknown group", "GET", "/Groups/010101001010101011001010101011", "", "", 404, ""},
			{"group patch path", "PATCH", "/Groups/x", "application/scim+json", `{"Operations":[{"op":"replace","path":"owner","value":"x"}]}`, 400, "invalidPath"},
		}
		for _, tt := range tests {
			r := e.do(tt.method, e.byPath()+tt.path, e.token, tt.ctype, tt.body)
			st, typ, detail := scimError(t, r)
			if r.status != tt.status || st != itoa(tt.status) || typ != tt.scimType || detail == "" {
				t.Errorf("%s: %s %s = %d %s/%s %q, want %d %q with a detail", tt.name, tt.method, tt.path, r.status, st, typ, detail, tt.status, tt.scimType)
			}
		}
		if r := e.do("GET", e.byPath()+"/Users?count=5000", e.token, "", ""); r.status != 200 {
			t.Errorf("count over the maximum = %d, want 200 (capped)", r.status)
		}
	})
}

func TestGroupsAndDiscovery(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		r := e.do("GET", e.byPath()+"/Groups?count=1", e.token, "", "")
		if r.status != 200 || !strings.Contains(r.body, `"totalResults":0`) {
			t.Errorf("GET /Groups = %d %s, want 200 with an empty list", r.status, r.body)
		}
		for _, p := range []string{"", "/", "/ServiceProviderConfig", "/serviceConfiguration", "/Schemas", "/ResourceTypes",
			"/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "/ResourceTypes/User"} {
			if r := e.do("GET", e.byPath()+p, e.token, "", ""); r.status != 200 || r.header.Get("Content-Type") != scimhttp.ContentType {
				t.Errorf("GET %s = %d %q", p, r.status, r.header.Get("Content-Type"))
			}
		}
	})
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestRevokedTokenStopsWorking: a verified token is trusted for at most 5
// seconds without asking the database, the time the contract gives commands
// to reach running servers.
func TestRevokedTokenStopsWorking(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		if r := e.do("GET", e.byPath()+"/Users", e.token, "", ""); r.status != 200 {
			t.Fatalf("GET with the token = %d", r.status)
		}
		adm := &admin.Service{Store: e.s}
		if _, _, err := adm.ResetSCIMTokens(context.Background(), admin.System, "acme.corp"); err != nil {
			t.Fatal(err)
		}
		e.skew.Store(int64(5 * time.Second))
		if r := e.do("GET", e.byPath()+"/Users", e.token, "", ""); r.status != 401 {
			t.Errorf("GET with a token reset 5 s ago = %d, want 401", r.status)
		}
	})
}
