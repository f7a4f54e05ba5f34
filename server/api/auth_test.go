package api_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse/admin"
)

// TestRefusals sends every group route each request that must be refused,
// and checks that nothing changed.
func TestRefusals(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")

		revoked, revokedPAT, err := e.adm.CreatePAT(ctx, admin.System, admin.NewPAT{User: "olga", Name: "revoked"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.adm.RevokePAT(ctx, admin.System, revokedPAT.ID); err != nil {
			t.Fatal(err)
		}
		expiring := e.token("olga", time.Now().Add(24*time.Hour))
		e.now = time.Now().Add(48 * time.Hour) // the API's clock: expiring has expired

		// Every route under /api/v4/groups/, as the server lists them, so
		// that a route added later is refused here too.
		type route struct{ method, path string }
		var routes []route
		for _, p := range e.srv.Routes() {
			method, pattern, _ := strings.Cut(p, " ")
			if !strings.HasPrefix(pattern, "/api/v4/groups/{id}/") {
				continue
			}
			path := strings.NewReplacer("{id}", "acme.corp", "{uid}", "alice-uid", "{name}", "Engineering").Replace(pattern)
			if strings.Contains(path, "{") {
				t.Fatalf("route %s has a parameter this test does not fill", p)
			}
			routes = append(routes, route{method, path})
		}
		if len(routes) < 9 {
			t.Fatalf("found %d group routes under /api/v4 (%v); want the 9 identity and member routes at least", len(routes), routes)
		}
		unauthorized := `{"message":"401 Unauthorized"}`
		groupNotFound := `{"message":"404 Group Not Found"}`
		cases := []struct {
			name   string
			req    request
			path   func(string) string // rewrites the route's path; nil keeps it
			status int
			body   string
		}{
			{name: "no token", status: 401, body: unauthorized},
			{name: "malformed token", req: request{token: "not-a-token"}, status: 401, body: unauthorized},
			{name: "unknown token", req: request{token: "gth_pat_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, status: 401, body: unauthorized},
			{name: "SCIM token as PAT", req: request{token: "gth_scim_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, status: 401, body: unauthorized},
			{name: "revoked token", req: request{token: revoked}, status: 401, body: unauthorized},
			{name: "expired token", req: request{token: expiring}, status: 401, body: unauthorized},
			{name: "basic auth", req: request{header: http.Header{"Authorization": {"Basic b2xnYTpwdw=="}}}, status: 401, body: unauthorized},
			{name: "empty bearer", req: request{header: http.Header{"Authorization": {"Bearer "}}}, status: 401, body: unauthorized},
			{name: "stranger", req: request{token: e.tokens["stranger"]}, status: 404, body: groupNotFound},
			{name: "owner of another group", req: request{token: e.tokens["bob"]}, status: 404, body: groupNotFound},
			{name: "stranger, by id", req: request{token: e.tokens["stranger"]}, path: byID(e.acme.ID), status: 404, body: groupNotFound},
			{name: "unknown group", req: request{token: e.tokens["olga"]}, path: otherGroup("nope"), status: 404, body: groupNotFound},
			{name: "unknown group id", req: request{token: e.tokens["olga"]}, path: otherGroup("999999"), status: 404, body: groupNotFound},
			{name: "administrator, unknown group", req: request{token: e.tokens["root"]}, path: otherGroup("nope"), status: 404, body: groupNotFound},
			{name: "developer", req: request{token: e.tokens["dev"]}, status: 403, body: `{"message":"403 Forbidden"}`},
			{name: "developer as bearer", req: request{header: http.Header{"Authorization": {"Bearer " + e.tokens["dev"]}}}, status: 403, body: `{"message":"403 Forbidden"}`},
		}
		for _, tc := range cases {
			for _, rt := range routes {
				r := tc.req
				r.method, r.path = rt.method, rt.path
				if tc.path != nil {
					r.path = tc.path(rt.path)
				}
				if rt.method == "PATCH" {
					r.body, r.contentType = `{"extern_uid":"changed"}`, "application/json"
				}
				e.want(tc.name+": "+r.method+" "+r.path, e.do(r), tc.status, tc.body)
			}
		}

		// Nothing was changed by any of them.
		si, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, "alice-uid")
		if err != nil {
			t.Fatalf("the SCIM identity changed: %v", err)
		}
		if _, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, "alice-uid"); err != nil {
			t.Errorf("the SAML identity changed: %v", err)
		}
		if _, err := e.s.FindMember(ctx, e.acme.ID, si.UserID); err != nil {
			t.Errorf("the membership changed: %v", err)
		}
	})
}

// TestAllowed checks who may use the API: an owner by either header and by
// the group's path in any case or its id, and an instance administrator.
func TestAllowed(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		for _, tc := range []struct {
			name string
			req  request
		}{
			{"owner, PRIVATE-TOKEN", request{token: e.tokens["olga"], path: "/api/v4/groups/acme.corp/scim/alice-uid"}},
			{"owner, Bearer", request{header: http.Header{"Authorization": {"Bearer " + e.tokens["olga"]}}, path: "/api/v4/groups/acme.corp/scim/alice-uid"}},
			{"owner, bearer in lower case", request{header: http.Header{"Authorization": {"bearer " + e.tokens["olga"]}}, path: "/api/v4/groups/acme.corp/scim/alice-uid"}},
			{"owner, group id", request{token: e.tokens["olga"], path: "/api/v4/groups/" + itoa(e.acme.ID) + "/scim/alice-uid"}},
			{"owner, path in another case", request{token: e.tokens["olga"], path: "/api/v4/groups/ACME.Corp/scim/alice-uid"}},
			{"owner, encoded path", request{token: e.tokens["olga"], path: "/api/v4/groups/acme%2Ecorp/scim/alice-uid"}},
			{"administrator", request{token: e.tokens["root"], path: "/api/v4/groups/acme.corp/scim/alice-uid"}},
		} {
			tc.req.method = "GET"
			e.want(tc.name, e.do(tc.req), 200, "")
		}
	})
}

// TestCrossGroup checks that an owner of one group can never read or
// change another group's identities, whatever the URL names.
func TestCrossGroup(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := e.provision(e.acme, "shared-uid", "a@acme.example", "a@acme.example")
		b := e.provision(e.other, "bob-only", "b@other.example", "b@other.example")

		// bob owns other; acme.corp is not his.
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/api/v4/groups/acme.corp/scim/identities", ""},
			{"GET", "/api/v4/groups/acme.corp/scim/shared-uid", ""},
			{"PATCH", "/api/v4/groups/acme.corp/scim/shared-uid", `{"extern_uid":"stolen"}`},
			{"DELETE", "/api/v4/groups/acme.corp/scim/shared-uid", ""},
			{"GET", "/api/v4/groups/acme.corp/saml/identities", ""},
			{"PATCH", "/api/v4/groups/acme.corp/saml/shared-uid", `{"extern_uid":"stolen"}`},
			{"DELETE", "/api/v4/groups/acme.corp/saml/shared-uid", ""},
			{"GET", "/api/v4/groups/" + itoa(e.acme.ID) + "/members", ""},
		} {
			e.want("bob: "+r.method+" "+r.path, e.as("bob", r.method, r.path, r.body), 404, `{"message":"404 Group Not Found"}`)
		}
		// olga owns acme.corp: other's identities are not found through it.
		for _, r := range []struct{ method, path, body string }{
			{"GET", "/api/v4/groups/acme.corp/scim/bob-only", ""},
			{"PATCH", "/api/v4/groups/acme.corp/scim/bob-only", `{"extern_uid":"stolen"}`},
			{"DELETE", "/api/v4/groups/acme.corp/scim/bob-only", ""},
			{"GET", "/api/v4/groups/acme.corp/saml/bob-only", ""},
			{"PATCH", "/api/v4/groups/acme.corp/saml/bob-only", `{"extern_uid":"stolen"}`},
			{"DELETE", "/api/v4/groups/acme.corp/saml/bob-only", ""},
		} {
			e.want("olga: "+r.method+" "+r.path, e.as("olga", r.method, r.path, r.body), 404, `{"message":"404 Identity Not Found"}`)
		}
		e.want("olga lists other", e.as("olga", "GET", "/api/v4/groups/other/scim/identities", ""), 404, `{"message":"404 Group Not Found"}`)

		// acme.corp's list holds only its own.
		got := e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/identities", "")
		e.want("olga lists acme.corp", got, 200, `[{"extern_uid":"shared-uid","user_id":`+itoa(a.UserID)+`,"active":true}]`)

		// An extern_uid is unique per group only: other may use acme.corp's.
		got = e.as("bob", "PATCH", "/api/v4/groups/other/scim/bob-only", `{"extern_uid":"SHARED-uid"}`)
		e.want("bob takes acme.corp's extern_uid in other", got, 200, `{"extern_uid":"SHARED-uid","user_id":`+itoa(b.UserID)+`,"active":true}`)
		if si, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, "shared-uid"); err != nil || si.UserID != a.UserID {
			t.Errorf("acme.corp's identity after other's PATCH: %v, %v", si, err)
		}
	})
}

// byID rewrites a route's path to name acme.corp by its id.
func byID(id int64) func(string) string {
	return otherGroup(itoa(id))
}

// otherGroup rewrites a route's path to name the group ref instead.
func otherGroup(ref string) func(string) string {
	return func(p string) string {
		const prefix = "/api/v4/groups/acme.corp/"
		return "/api/v4/groups/" + url.PathEscape(ref) + "/" + p[len(prefix):]
	}
}
