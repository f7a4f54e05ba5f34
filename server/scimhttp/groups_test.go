package scimhttp_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

// decode reads a JSON answer body.
func decode(t *testing.T, r response) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer %d is not JSON: %s", r.status, r.body)
	}
	return m
}

// postUser creates a SCIM user and returns its id.
func (e *env) postUser(name string) string {
	e.t.Helper()
	r := e.do("POST", e.byPath()+"/Users", e.token, scimhttp.ContentType, fmt.Sprintf(
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":%q,"emails":[{"primary":true,"value":%q}]}`, name, name))
	if r.status != 201 {
		e.t.Fatalf("POST /Users %s = %d %s", name, r.status, r.body)
	}
	return decode(e.t, r)["id"].(string)
}

func memberValues(t *testing.T, doc map[string]any) []string {
	t.Helper()
	var out []string
	ms, _ := doc["members"].([]any)
	for _, m := range ms {
		out = append(out, m.(map[string]any)["value"].(string))
	}
	return out
}

func TestGroups(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		u1, u2 := e.postUser("one@acme.example"), e.postUser("two@acme.example")
		r := e.do("POST", e.byPath()+"/Groups", e.token, scimhttp.ContentType, fmt.Sprintf(
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"Eng","externalId":"x1","members":[{"value":%q,"display":"One"}]}`, u1))
		if r.status != 201 || r.header.Get("Location") == "" || r.header.Get("ETag") != `W/"1"` {
			t.Fatalf("POST /Groups = %d %v %s", r.status, r.header, r.body)
		}
		g := decode(t, r)
		id := g["id"].(string)
		if got := memberValues(t, g); len(got) != 1 || got[0] != u1 {
			t.Errorf("POST /Groups members = %v, want [%s]", got, u1)
		}
		if r := e.do("POST", e.byPath()+"/Groups", e.token, scimhttp.ContentType, `{"displayName":"eng"}`); r.status != 409 {
			t.Errorf("POST /Groups duplicate = %d, want 409", r.status)
		}

		r = e.do("GET", e.byPath()+`/Groups?excludedAttributes=members&filter=displayName+eq+"ENG"`, e.token, "", "")
		list := decode(t, r)
		if r.status != 200 || list["totalResults"] != float64(1) {
			t.Fatalf("GET /Groups?filter = %d %s", r.status, r.body)
		}
		if res := list["Resources"].([]any)[0].(map[string]any); res["members"] != nil || res["id"] != id {
			t.Errorf("GET /Groups?excludedAttributes=members = %v", res)
		}
		r = e.do("GET", e.byPath()+`/Groups?filter=externalId+eq+"x1"+and+displayName+eq+"Other"`, e.token, "", "")
		if decode(t, r)["totalResults"] != float64(0) {
			t.Errorf("GET /Groups with a filter matching nothing = %s", r.body)
		}

		patch := fmt.Sprintf(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[
			{"op":"Add","path":"members","value":[{"value":%q},{"value":"unknown-id"}]},
			{"op":"remove","path":"members[value eq \"%s\"]"}]}`, u2, u1)
		r = e.do("PATCH", e.byPath()+"/Groups/"+id, e.token, scimhttp.ContentType, patch)
		if r.status != 204 || r.header.Get("ETag") != `W/"2"` {
			t.Fatalf("PATCH /Groups/{id} = %d %v %s, want 204 with ETag W/\"2\"", r.status, r.header.Get("ETag"), r.body)
		}
		r = e.do("GET", e.byPath()+"/Groups/"+id, e.token, "", "")
		if got := memberValues(t, decode(t, r)); len(got) != 1 || got[0] != u2 || r.header.Get(scimhttp.MembersTotalHeader) != "1" {
			t.Errorf("GET after PATCH members = %v (total %q), want [%s]", got, r.header.Get(scimhttp.MembersTotalHeader), u2)
		}
		if r := e.do("GET", e.byPath()+"/Groups/"+id+"?excludedAttributes=members", e.token, "", ""); strings.Contains(r.body, `"members"`) {
			t.Errorf("GET excludedAttributes=members = %s", r.body)
		}

		// Member paging.
		e.do("PATCH", e.byPath()+"/Groups/"+id, e.token, scimhttp.ContentType,
			fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q}]}]}`, u1))
		r = e.do("GET", e.byPath()+"/Groups/"+id+"?membersStartIndex=2&membersCount=1", e.token, "", "")
		if got := memberValues(t, decode(t, r)); len(got) != 1 || r.header.Get(scimhttp.MembersTotalHeader) != "2" {
			t.Errorf("GET page 2 of 1 member = %v (total %q)", got, r.header.Get(scimhttp.MembersTotalHeader))
		}

		r = e.do("PUT", e.byPath()+"/Groups/"+id, e.token, scimhttp.ContentType, `{"displayName":"Renamed","members":[]}`)
		if doc := decode(t, r); r.status != 200 || doc["displayName"] != "Renamed" || doc["externalId"] != "x1" || len(memberValues(t, doc)) != 0 {
			t.Errorf("PUT /Groups/{id} = %d %s", r.status, r.body)
		}
		if r := e.do("PATCH", e.byPath()+"/Groups/"+id, e.token, scimhttp.ContentType, `{"Operations":[{"op":"replace","path":"displayName","value":"x"}]}`); r.status != 204 {
			t.Errorf("PATCH rename = %d %s", r.status, r.body)
		}
		if r := e.do("DELETE", e.byPath()+"/Groups/"+id, e.token, "", ""); r.status != 204 {
			t.Errorf("DELETE /Groups/{id} = %d", r.status)
		}
		for _, m := range []string{"GET", "DELETE"} {
			if r := e.do(m, e.byPath()+"/Groups/"+id, e.token, "", ""); r.status != 404 {
				t.Errorf("%s after DELETE = %d, want 404", m, r.status)
			}
		}
	})
}

// TestGroupLogNotesUnknownMembers: a member value that names no user of the
// group is skipped, and the request log says so.
func TestGroupLogNotesUnknownMembers(t *testing.T) {
	logBackends(t, 100, func(t *testing.T, e *logEnv) {
		u := e.postUser("ann@acme.example")
		r := e.do("POST", e.byPath()+"/Groups", e.token, scimhttp.ContentType, `{"displayName":"Eng"}`)
		if r.status != 201 {
			t.Fatalf("POST /Groups = %d %s", r.status, r.body)
		}
		id := decode(t, r)["id"].(string)
		r = e.do("PATCH", e.byPath()+"/Groups/"+id, e.token, scimhttp.ContentType,
			fmt.Sprintf(`{"Operations":[{"op":"add","path":"members","value":[{"value":%q},{"value":"no-such-user"}]}]}`, u))
		if r.status != 204 {
			t.Fatalf("PATCH with an unknown member = %d %s, want 204", r.status, r.body)
		}
		got := e.entries(e.group.ID)
		if got[0].Operation != "patch_group" || !strings.Contains(got[0].Note, "no-such-user") || strings.Contains(got[0].Note, u) {
			t.Errorf("PATCH entry = %s %q, want patch_group noting only no-such-user", got[0].Operation, got[0].Note)
		}
	})
}
