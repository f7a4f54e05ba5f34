package scimgroup_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimgroup"
)

// fuzzBodies are Group bodies and PATCH requests from real traffic and the
// tests.
var fuzzBodies = []string{
	`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group","http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],"externalId":"8aa1","displayName":"displayName","meta":{"resourceType":"Group"}}`,
	`{"displayName":"G","members":[{"value":"u1","display":"VP"},{"value":"u2","$ref":null},"u3"]}`,
	`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Remove","path":"members","value":[{"$ref":null,"value":"f648"}]}]}`,
	`{"Operations":[{"op":"remove","path":"members[value eq \"7f4b\" or value eq x]"}]}`,
	`{"Operations":[{"op":"replace","value":{"id":"g1","displayName":"Test SCIMv2","members":[]}}]}`,
	`{"Operations":[{"op":"add","path":"members","value":"string id 1"},{"op":"remove","path":"members"}]}`,
	`{"Operations":[{"op":"replace","path":"urn:ietf:params:scim:schemas:core:2.0:Group:externalId","value":null}]}`,
}

// checkErr fails unless err is nil or a 400 *scim.Error with a detail.
func checkErr(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var se *scim.Error
	if !errors.As(err, &se) || se.Status != 400 || se.Detail == "" {
		t.Fatalf("%s: error %v is not a 400 SCIM error with a detail", what, err)
	}
}

// FuzzGroup reads any body as a Group document and as a Group PATCH: no
// panic, only 400 SCIM errors, and what is accepted holds only valid text
// and non-empty member values, each once.
func FuzzGroup(f *testing.F) {
	for _, b := range fuzzBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		d, err := scimgroup.Parse(body)
		checkErr(t, "Parse", err)
		if err == nil {
			if d.DisplayName == "" || !utf8.ValidString(d.DisplayName) {
				t.Fatalf("Parse accepted displayName %q", d.DisplayName)
			}
			checkMembers(t, d.Members)
		}
		changes, err := scimgroup.Patch(body, "g1")
		checkErr(t, "Patch", err)
		for _, c := range changes {
			if c.Kind == scimgroup.SetDisplayName && c.Text == "" {
				t.Fatal("Patch set an empty displayName")
			}
			checkMembers(t, c.Members)
		}
	})
}

func checkMembers(t *testing.T, ms []scimgroup.Member) {
	t.Helper()
	seen := map[string]bool{}
	for _, m := range ms {
		if m.Value == "" || !utf8.ValidString(m.Value) || seen[m.Value] {
			t.Fatalf("member value %q empty, invalid or repeated", m.Value)
		}
		seen[m.Value] = true
	}
}
