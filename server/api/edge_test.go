package api_test

import (
	"testing"
)

// TestOddInputs sends what no group path or extern_uid can be: each is an
// ordinary 4xx on both backends, never a 500 (PostgreSQL refuses to
// compare text that is not UTF-8 or holds a NUL).
func TestOddInputs(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		for _, tc := range []struct {
			path   string
			status int
			body   string
		}{
			{"/api/v4/groups/99999999999999999999999/scim/alice-uid", 404, `{"message":"404 Group Not Found"}`},
			{"/api/v4/groups/%FF/scim/alice-uid", 404, `{"message":"404 Group Not Found"}`},
			{"/api/v4/groups/a%00b/scim/alice-uid", 404, `{"message":"404 Group Not Found"}`},
			{"/api/v4/groups/acme.corp/scim/%FF", 404, `{"message":"404 Identity Not Found"}`},
			{"/api/v4/groups/acme.corp/scim/alice%00uid", 404, `{"message":"404 Identity Not Found"}`},
			{"/api/v4/groups/acme.corp/saml/%FF", 404, `{"message":"404 Identity Not Found"}`},
			{"/api/v4/groups/acme.corp/saml/alice%00uid", 404, `{"message":"404 Identity Not Found"}`},
		} {
			for _, m := range []string{"GET", "PATCH", "DELETE"} {
				body := ""
				if m == "PATCH" {
					body = `{"extern_uid":"new"}`
				}
				e.want(m+" "+tc.path, e.as("olga", m, tc.path, body), tc.status, tc.body)
			}
		}
		for _, kind := range []string{"scim", "saml"} {
			path := "/api/v4/groups/acme.corp/" + kind + "/alice-uid"
			e.messageContains(kind+" PATCH to a NUL", e.as("olga", "PATCH", path, `{"extern_uid":"x\u0000y"}`), 400, "NUL")
			e.messageContains(kind+" PATCH to bytes that are not UTF-8",
				e.do(request{method: "PATCH", path: path, token: e.tokens["olga"], body: "extern_uid=%FF%FE", contentType: "application/x-www-form-urlencoded"}),
				400, "UTF-8")
		}
	})
}
