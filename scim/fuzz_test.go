package scim_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// FuzzParseUser checks that ParseUser never panics, that every error is a
// 400 *scim.Error, and that a parsed user survives the trip through
// UserResource and back unchanged (what a GET followed by a PUT, or a
// PATCH, does).
func FuzzParseUser(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "users", "*.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","emails":{"value":"a@b.c","Primary":"TRUE"}}`,
		`{"schemas":"urn:scim:schemas:core:2.0","USERNAME":"a","urn:scim:schemas:extension:enterprise:2.0":{"Manager":["m"]}}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":{"value":""}}`,
		`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a","urn:x":[null,{"a":null}],"name":{"givenName":""}}`,
		`[]`, `"x"`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		u, err := scim.ParseUser(body)
		if err != nil {
			var se *scim.Error
			if !errors.As(err, &se) || se.Status != 400 || se.Detail == "" {
				t.Fatalf("ParseUser error %v (%T) is not a 400 *scim.Error with a detail", err, err)
			}
			return
		}
		if u.UserName == "" || u.Doc["userName"] != u.UserName {
			t.Fatalf("ParseUser succeeded with userName %q, doc %v", u.UserName, u.Doc["userName"])
		}
		_, _ = u.AccountEmail()
		_ = u.AccountName()
		if name := scim.SanitizeUsername(u.UserName); !valid(name) {
			t.Fatalf("SanitizeUsername(%q) = %q breaks the grammar", u.UserName, name)
		}
		res := scim.UserResource(u.Doc, "id", u.ExternalID, u.Active, scim.Meta{Version: scim.ETag(1)})
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatalf("resource does not marshal: %v", err)
		}
		again, err := scim.ParseUser(b)
		if err != nil {
			t.Fatalf("ParseUser(UserResource(doc)) error: %v\nresource: %s", err, b)
		}
		if diff := cmp.Diff(u.Doc, again.Doc); diff != "" {
			t.Fatalf("ParseUser(UserResource(doc)).Doc differs (-first +again):\n%s", diff)
		}
		if again.ExternalID != u.ExternalID || again.Active != u.Active {
			t.Fatalf("round trip changed externalId %q→%q or active %v→%v", u.ExternalID, again.ExternalID, u.Active, again.Active)
		}
		_ = scim.Project(res, []string{"emails.value", "urn:x"}, nil)
		_ = scim.Project(res, nil, []string{"name", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"})
	})
}
