package scim_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// parsed is what the golden files record of a parsed body.
type parsed struct {
	Doc          map[string]any `json:"doc"`
	ExternalID   *string        `json:"externalId"`
	Active       *bool          `json:"active"`
	Ignored      []string       `json:"ignored"`
	Emails       []scim.Email   `json:"emails"`
	AccountEmail string         `json:"accountEmail"`
	AccountName  string         `json:"accountName"`
	Username     string         `json:"username"`
}

func summarise(t *testing.T, u *scim.UserDoc) parsed {
	t.Helper()
	p := parsed{Doc: u.Doc, Ignored: u.Ignored, Emails: u.Emails, AccountName: u.AccountName(), Username: scim.SanitizeUsername(u.UserName)}
	if u.ExternalIDSet {
		p.ExternalID = &u.ExternalID
	}
	if u.ActiveSet {
		p.Active = &u.Active
	}
	email, err := u.AccountEmail()
	if err != nil {
		p.AccountEmail = "error: " + err.Error()
	} else {
		p.AccountEmail = email
	}
	return p
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := loadFixture(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFixture(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join("testdata", "users", name))
}

// TestParseUserFixtures parses every real body under testdata/users and
// compares the result with its golden file.
func TestParseUserFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "users", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasSuffix(name, ".golden.json") || strings.HasSuffix(name, ".error.json") {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			u, err := scim.ParseUser(readFixture(t, name))
			if err != nil {
				t.Fatalf("ParseUser(%s) error: %v", name, err)
			}
			golden(t, filepath.Join("users", strings.TrimSuffix(name, ".json")+".golden.json"), summarise(t, u))
		})
	}
	if n < 15 {
		t.Errorf("found %d fixtures, want at least 15", n)
	}
}

// TestParseUserFixtureFacts states, independently of the golden files, what
// matters about each real body.
func TestParseUserFixtureFacts(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, u *scim.UserDoc)
	}{
		{"entra-create.json", func(t *testing.T, u *scim.UserDoc) {
			wantString(t, u.Doc, "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee", "userName")
			wantAbsent(t, u.Doc, "meta", "roles", "externalId", "active")
			wantUser(t, u, "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef", true)
		}},
		{"entra-create-legacy-nulls.json", func(t *testing.T, u *scim.UserDoc) {
			wantAbsent(t, u.Doc, "addresses", "phoneNumbers", "title", "department", "manager", scim.EnterpriseUserSchema)
			wantString(t, u.Doc, "Joy Young", "displayName")
			wantEmail(t, u, "jyoung@Contoso.com")
		}},
		{"entra-manager-string.json", func(t *testing.T, u *scim.UserDoc) {
			wantString(t, u.Doc, "00aa00aa-bb11-cc22-dd33-44ee44ee44ee", scim.EnterpriseUserSchema, "manager", "value")
			wantString(t, u.Doc, "blue", "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User", "tag")
		}},
		{"ms-validator-roles-string-primary.json", func(t *testing.T, u *scim.UserDoc) {
			roles := u.Doc["roles"].([]any)
			if got := roles[0].(map[string]any)["primary"]; got != true {
				t.Errorf("roles[0].primary = %#v, want true", got)
			}
			wantString(t, u.Doc, "AXTKDLNRKMKT", scim.EnterpriseUserSchema, "manager", "value")
		}},
		{"okta-oin-create.json", func(t *testing.T, u *scim.UserDoc) {
			wantAbsent(t, u.Doc, "password", "groups")
			wantString(t, u.Doc, "en-US", "locale")
			wantUser(t, u, "00ujl29u0le5T6Aj10h7", true)
		}},
		{"okta-put.json", func(t *testing.T, u *scim.UserDoc) {
			wantAbsent(t, u.Doc, "id", "meta", "groups")
			wantString(t, u.Doc, "Excited", "name", "middleName")
			if u.ExternalIDSet {
				t.Errorf("ExternalIDSet = true for a PUT without externalId")
			}
		}},
		{"okta-aiw-deactivate-put.json", func(t *testing.T, u *scim.UserDoc) {
			if !u.ActiveSet || u.Active {
				t.Errorf("Active, ActiveSet = %v, %v; want false, true", u.Active, u.ActiveSet)
			}
		}},
		{"onelogin-legacy-urns.json", func(t *testing.T, u *scim.UserDoc) {
			wantString(t, u.Doc, "Engineering", scim.EnterpriseUserSchema, "department")
			wantString(t, u.Doc, "12345", scim.EnterpriseUserSchema, "manager", "value")
			// manager.displayName is read-only; "title": "" is an empty placeholder.
			wantAbsent(t, u.Doc, scim.LegacyEnterpriseSchema, "title")
			if m, _ := lookup(u.Doc, scim.EnterpriseUserSchema, "manager"); len(m.(map[string]any)) != 1 {
				t.Errorf("manager = %v, want only its value", m)
			}
			if u.ExternalIDSet {
				t.Errorf("an empty externalId counts as set")
			}
		}},
		{"postman-post-user.json", func(t *testing.T, u *scim.UserDoc) {
			emails := u.Doc["emails"].([]any)
			if diff := cmp.Diff(map[string]any{"primary": true, "type": "work", "value": "testing@bob.com"}, emails[0]); diff != "" {
				t.Errorf("emails[0] (-want +got):\n%s", diff)
			}
			wantEmail(t, u, "testing@bob.com")
		}},
		{"postman-post-enterprise-user.json", func(t *testing.T, u *scim.UserDoc) {
			wantString(t, u.Doc, "bob", scim.EnterpriseUserSchema, "department")
			wantString(t, u.Doc, "SuzzyQ", scim.EnterpriseUserSchema, "manager", "value")
		}},
		{"postman-complex-user1.json", func(t *testing.T, u *scim.UserDoc) {
			// The primary work email "emailName357" is no address.
			wantEmail(t, u, "testinghome@bob.com")
		}},
		{"postman-post-omalley.json", func(t *testing.T, u *scim.UserDoc) {
			wantAbsent(t, u.Doc, "meta")
			addrs := u.Doc["addresses"].([]any)
			if diff := cmp.Diff(map[string]any{"formatted": "18522 Lisa Unions\nEast Gregory, CT 52311", "type": "other", "primary": false}, addrs[1]); diff != "" {
				t.Errorf("addresses[1] (-want +got):\n%s", diff)
			}
		}},
		{"postman-post-emp1-active-string.json", func(t *testing.T, u *scim.UserDoc) {
			if !u.ActiveSet || !u.Active {
				t.Errorf(`"active": "True" gave Active, ActiveSet = %v, %v`, u.Active, u.ActiveSet)
			}
		}},
		{"postman-put-misspelled-attribute.json", func(t *testing.T, u *scim.UserDoc) {
			if diff := cmp.Diff([]string{"adreses"}, u.Ignored); diff != "" {
				t.Errorf("Ignored (-want +got):\n%s", diff)
			}
			wantAbsent(t, u.Doc, "adreses", "addresses")
		}},
		{"postman-put-omalley.json", func(t *testing.T, u *scim.UserDoc) {
			wantString(t, u.Doc, "Germany", "addresses", "0", "country")
			wantUser(t, u, "22fbc523-6032-4c5f-939d-5d4850cf3e52", false)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			u, err := scim.ParseUser(readFixture(t, tt.file))
			if err != nil {
				t.Fatalf("ParseUser(%s) error: %v", tt.file, err)
			}
			tt.check(t, u)
		})
	}
}

func wantUser(t *testing.T, u *scim.UserDoc, externalID string, active bool) {
	t.Helper()
	if !u.ExternalIDSet || u.ExternalID != externalID {
		t.Errorf("ExternalID, ExternalIDSet = %q, %v; want %q, true", u.ExternalID, u.ExternalIDSet, externalID)
	}
	if !u.ActiveSet || u.Active != active {
		t.Errorf("Active, ActiveSet = %v, %v; want %v, true", u.Active, u.ActiveSet, active)
	}
}

func wantEmail(t *testing.T, u *scim.UserDoc, want string) {
	t.Helper()
	got, err := u.AccountEmail()
	if err != nil || got != want {
		t.Errorf("AccountEmail() = %q, %v; want %q", got, err, want)
	}
}

// lookup walks a document along keys; a key of digits indexes an array.
func lookup(doc map[string]any, keys ...string) (any, bool) {
	var v any = doc
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			var ok bool
			if v, ok = x[k]; !ok {
				return nil, false
			}
		case []any:
			i := 0
			for _, c := range k {
				i = i*10 + int(c-'0')
			}
			if i >= len(x) {
				return nil, false
			}
			v = x[i]
		default:
			return nil, false
		}
	}
	return v, true
}

func wantString(t *testing.T, doc map[string]any, want string, keys ...string) {
	t.Helper()
	if got, _ := lookup(doc, keys...); got != want {
		t.Errorf("doc%q = %#v, want %q", keys, got, want)
	}
}

func wantAbsent(t *testing.T, doc map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if v, ok := doc[k]; ok {
			t.Errorf("doc[%q] = %#v, want it absent", k, v)
		}
	}
}

func TestParseUserCanonical(t *testing.T) {
	tests := []struct {
		name         string
		body         string
		want         string // the canonical document
		wantIgnored  []string
		wantExternal string
		wantActive   *bool
	}{
		{
			name: "minimal",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bjensen"}`,
			want: `{"userName":"bjensen"}`,
		},
		{
			name: "attribute names in any case",
			body: `{"SCHEMAS":["urn:ietf:params:scim:schemas:core:2.0:user"],"USERNAME":"b","Name":{"GivenName":"Barbara","familyname":"Jensen"},
				"Emails":[{"Value":"b@example.com","TYPE":"work","Primary":"true"}],"displayname":"Babs","NickName":"B","ExternalID":"x1","Active":"FALSE"}`,
			want:         `{"userName":"b","name":{"givenName":"Barbara","familyName":"Jensen"},"emails":[{"value":"b@example.com","type":"work","primary":true}],"displayName":"Babs","nickName":"B"}`,
			wantExternal: "x1",
			wantActive:   ptr(false),
		},
		{
			name: "enterprise under the RFC URN in another case",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b",
				"URN:IETF:PARAMS:SCIM:SCHEMAS:EXTENSION:ENTERPRISE:2.0:USER":{"EmployeeNumber":"7","Manager":{"Value":"m1","$Ref":"../Users/m1"}}}`,
			want: `{"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"7","manager":{"value":"m1","$ref":"../Users/m1"}}}`,
		},
		{
			name: "enterprise attributes as URN-qualified keys and unqualified",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber":"42","costCenter":"cc","manager":"m2"}`,
			want: `{"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"42","costCenter":"cc","manager":{"value":"m2"}}}`,
		},
		{
			name:         "URN-qualified core attribute",
			body:         `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"urn:ietf:params:scim:schemas:core:2.0:User:userName":"b","urn:ietf:params:scim:schemas:core:2.0:User:externalId":"e"}`,
			want:         `{"userName":"b"}`,
			wantExternal: "e",
		},
		{
			name: "legacy manager array",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b",
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"$ref":"http://x/Users/m","value":"m"}]}}`,
			want: `{"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"$ref":"http://x/Users/m","value":"m"}}}`,
		},
		{
			name: "empty manager and empty arrays are absent",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","roles":[],"emails":[null],"name":{},
				"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":""}}`,
			want: `{"userName":"b"}`,
		},
		{
			name: "custom extensions kept verbatim",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User","urn:acme:2.0:User"],"userName":"b",
				"urn:acme:2.0:User":{"Badge":"7","nested":{"x":null,"y":[1,"two"]}},"urn:other:2.0:User:flat":"v"}`,
			want: `{"userName":"b","urn:acme:2.0:User":{"Badge":"7","nested":{"y":[1,"two"]}},"urn:other:2.0:User:flat":"v"}`,
		},
		{
			name: "custom extension of nulls is absent",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","urn:acme:2.0:User":{"tag":null},"urn:acme:2.0:User:list":[null]}`,
			want: `{"userName":"b"}`,
		},
		{
			name: "unknown keys dropped and named",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","adreses":[{}],"name":{"givenName":"B","nick":"x"},
				"emails":[{"value":"b@x.org","label":"l"}],"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"dept":"d"}}`,
			want:        `{"userName":"b","name":{"givenName":"B"},"emails":[{"value":"b@x.org"}]}`,
			wantIgnored: []string{"adreses", "emails.label", "name.nick", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:dept"},
		},
		{
			name: "read-only and write-only attributes dropped",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","id":"x","meta":{"created":"2019-09-18T18:15:26Z"},
				"groups":[{"value":"g"}],"password":"hunter2"}`,
			want: `{"userName":"b"}`,
		},
		{
			name: "empty strings are absent",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","title":"","active":"","name":{"givenName":"","familyName":"F"},
				"emails":[{"value":"","type":"work","primary":true},{"value":"b@x.org","type":""}],"phoneNumbers":[{"type":"mobile"}]}`,
			want: `{"userName":"b","name":{"familyName":"F"},"emails":[{"value":"b@x.org"}]}`,
		},
		{
			name: "one object where an array belongs",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","emails":{"value":"b@x.org","primary":"True"}}`,
			want: `{"userName":"b","emails":[{"value":"b@x.org","primary":true}]}`,
		},
		{
			name: "schemas as one string, legacy core URN",
			body: `{"schemas":"urn:scim:schemas:core:2.0","userName":"b","externalId":""}`,
			want: `{"userName":"b"}`,
		},
		{
			name: "SCIM 1.0 core URN",
			body: `{"schemas":["urn:scim:schemas:core:1.0"],"userName":"b"}`,
			want: `{"userName":"b"}`,
		},
		{
			name: "userName kept exactly",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"  Ünal.Öztürk@Example.COM "}`,
			want: `{"userName":"  Ünal.Öztürk@Example.COM "}`,
		},
		{
			name: "numbers kept",
			body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"b","urn:x:User":{"n":12345678901234567890,"f":1.50}}`,
			want: `{"userName":"b","urn:x:User":{"n":12345678901234567890,"f":1.50}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := scim.ParseUser([]byte(tt.body))
			if err != nil {
				t.Fatalf("ParseUser(%s) error: %v", tt.body, err)
			}
			if diff := cmp.Diff(decode(t, tt.want), u.Doc); diff != "" {
				t.Errorf("ParseUser(%s).Doc (-want +got):\n%s", tt.body, diff)
			}
			if diff := cmp.Diff(tt.wantIgnored, u.Ignored); diff != "" {
				t.Errorf("ParseUser(%s).Ignored (-want +got):\n%s", tt.body, diff)
			}
			if u.ExternalID != tt.wantExternal || u.ExternalIDSet != (tt.wantExternal != "") {
				t.Errorf("ParseUser(%s).ExternalID, ExternalIDSet = %q, %v; want %q", tt.body, u.ExternalID, u.ExternalIDSet, tt.wantExternal)
			}
			if got := activeOf(u); !cmp.Equal(got, tt.wantActive) {
				t.Errorf("ParseUser(%s) active = %v, want %v", tt.body, deref(got), deref(tt.wantActive))
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func activeOf(u *scim.UserDoc) *bool {
	if !u.ActiveSet {
		return nil
	}
	return &u.Active
}

func deref(b *bool) any {
	if b == nil {
		return "unset"
	}
	return *b
}

func TestParseUserErrors(t *testing.T) {
	const core = `"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"]`
	tests := []struct {
		name       string
		body       string
		file       string // a fixture under testdata/users, instead of body
		scimType   string
		wantDetail []string // substrings of the detail
	}{
		{name: "empty body", body: ``, scimType: scim.InvalidSyntax, wantDetail: []string{"not valid JSON", "byte offset 0"}},
		{name: "malformed", body: `{"userName": "a",}`, scimType: scim.InvalidSyntax, wantDetail: []string{"not valid JSON", "byte offset 18"}},
		{name: "trailing data", body: `{"userName":"a"}  {}`, scimType: scim.InvalidSyntax, wantDetail: []string{"data after the end of the object (at byte offset 18)"}},
		{name: "cut short", body: `{"userName":"a"`, scimType: scim.InvalidSyntax, wantDetail: []string{"ends too early (at byte offset 15)"}},
		{name: "bad token", body: "{\n  \"active\": tre\n}", scimType: scim.InvalidSyntax, wantDetail: []string{"invalid character 'e' in literal true", "byte offset 17"}},
		{name: "array body", body: `[{"userName":"a"}]`, scimType: scim.InvalidSyntax, wantDetail: []string{"must be a JSON object", "array"}},
		{name: "null body", body: `null`, scimType: scim.InvalidSyntax, wantDetail: []string{"must be a JSON object"}},
		{name: "Postman junk", file: "postman-post-junk.error.json", scimType: scim.InvalidSyntax, wantDetail: []string{"not valid JSON", "byte offset"}},
		{name: "no schemas", body: `{"userName":"a"}`, scimType: scim.InvalidValue, wantDetail: []string{"schemas must include urn:ietf:params:scim:schemas:core:2.0:User"}},
		{name: "schemas without User", body: `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"userName":"a"}`, scimType: scim.InvalidValue, wantDetail: []string{"schemas must include urn:ietf:params:scim:schemas:core:2.0:User"}},
		{name: "schemas not strings", body: `{"schemas":[1],"userName":"a"}`, scimType: scim.InvalidValue, wantDetail: []string{"schemas must be an array of strings"}},
		{name: "schemas an object", body: `{"schemas":{},"userName":"a"}`, scimType: scim.InvalidValue, wantDetail: []string{"schemas must be an array of strings, got object"}},
		{name: "no userName", body: `{` + core + `}`, scimType: scim.InvalidValue, wantDetail: []string{"userName is required"}},
		{name: "null userName", body: `{` + core + `,"userName":null}`, scimType: scim.InvalidValue, wantDetail: []string{"userName is required"}},
		{name: "Postman no userName", file: "postman-post-no-username.error.json", scimType: scim.InvalidValue, wantDetail: []string{"userName is required"}},
		{name: "Postman PUT userame typo", file: "postman-put-no-username.error.json", scimType: scim.InvalidValue, wantDetail: []string{"userName is required"}},
		{name: "empty userName", body: `{` + core + `,"userName":""}`, scimType: scim.InvalidValue, wantDetail: []string{"userName must not be empty"}},
		{name: "blank userName", body: `{` + core + `,"userName":"  "}`, scimType: scim.InvalidValue, wantDetail: []string{"userName must not be empty"}},
		{name: "numeric userName", body: `{` + core + `,"userName":42}`, scimType: scim.InvalidValue, wantDetail: []string{"userName must be a string, got number"}},
		{name: "long userName", body: `{` + core + `,"userName":"` + strings.Repeat("a", 1025) + `"}`, scimType: scim.InvalidValue, wantDetail: []string{"userName must be at most 1024 bytes"}},
		{name: "userName twice", body: `{` + core + `,"userName":"a","UserName":"b"}`, scimType: scim.InvalidValue, wantDetail: []string{"userName is given more than once"}},
		{name: "externalId number", body: `{` + core + `,"userName":"a","externalId":7}`, scimType: scim.InvalidValue, wantDetail: []string{"externalId must be a string"}},
		{name: "long externalId", body: `{` + core + `,"userName":"a","externalId":"` + strings.Repeat("e", 1025) + `"}`, scimType: scim.InvalidValue, wantDetail: []string{"externalId must be at most 1024 bytes"}},
		{name: "active yes", body: `{` + core + `,"userName":"a","active":"yes"}`, scimType: scim.InvalidValue, wantDetail: []string{`active must be a boolean (true or false), got string "yes"`}},
		{name: "active number", body: `{` + core + `,"userName":"a","active":1}`, scimType: scim.InvalidValue, wantDetail: []string{"active must be a boolean"}},
		{name: "emails a string", body: `{` + core + `,"userName":"a","emails":"a@b.c"}`, scimType: scim.InvalidValue, wantDetail: []string{"emails must be an array, got string"}},
		{name: "emails element a string", body: `{` + core + `,"userName":"a","emails":["a@b.c"]}`, scimType: scim.InvalidValue, wantDetail: []string{"emails[0] must be an object"}},
		{name: "email value a number", body: `{` + core + `,"userName":"a","emails":[{"value":"x@y.z"},{"value":5}]}`, scimType: scim.InvalidValue, wantDetail: []string{"emails[1].value must be a string, got number"}},
		{name: "email primary maybe", body: `{` + core + `,"userName":"a","emails":[{"value":"x@y.z","primary":"maybe"}]}`, scimType: scim.InvalidValue, wantDetail: []string{"emails[0].primary must be a boolean"}},
		{name: "roles primary number", body: `{` + core + `,"userName":"a","roles":[{"value":"r","primary":1}]}`, scimType: scim.InvalidValue, wantDetail: []string{"roles[0].primary must be a boolean"}},
		{name: "name a string", body: `{` + core + `,"userName":"a","name":"Bob"}`, scimType: scim.InvalidValue, wantDetail: []string{"name must be an object, got string"}},
		{name: "givenName a number", body: `{` + core + `,"userName":"a","name":{"givenName":1}}`, scimType: scim.InvalidValue, wantDetail: []string{"name.givenName must be a string"}},
		{name: "givenName twice", body: `{` + core + `,"userName":"a","name":{"givenName":"a","GivenName":"b"}}`, scimType: scim.InvalidValue, wantDetail: []string{"name.givenName is given more than once"}},
		{name: "displayName an array", body: `{` + core + `,"userName":"a","displayName":["x"]}`, scimType: scim.InvalidValue, wantDetail: []string{"displayName must be a string, got array"}},
		{name: "enterprise a string", body: `{` + core + `,"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":"x"}`, scimType: scim.InvalidValue, wantDetail: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User must be an object"}},
		{name: "department a number", body: `{` + core + `,"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":3}}`, scimType: scim.InvalidValue, wantDetail: []string{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department must be a string"}},
		{name: "manager two elements", body: `{` + core + `,"userName":"a","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":[{"value":"a"},{"value":"b"}]}}`, scimType: scim.InvalidValue, wantDetail: []string{"manager must be an object"}},
		{name: "department twice", body: `{` + core + `,"userName":"a","department":"x","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"y"}}`, scimType: scim.InvalidValue, wantDetail: []string{"department is given more than once"}},
		{name: "enterprise under both URNs", body: `{` + core + `,"userName":"a","urn:scim:schemas:extension:enterprise:2.0":{"department":"x"},"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"y"}}`, scimType: scim.InvalidValue, wantDetail: []string{"department is given more than once"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := []byte(tt.body)
			if tt.file != "" {
				body = readFixture(t, tt.file)
			}
			u, err := scim.ParseUser(body)
			if err == nil {
				t.Fatalf("ParseUser(%.80s) = %+v, want an error", body, u.Doc)
			}
			se := scimError(t, err)
			if se.Status != 400 || se.ScimType != tt.scimType {
				t.Errorf("ParseUser(%.80s) error = %d %s, want 400 %s", body, se.Status, se.ScimType, tt.scimType)
			}
			for _, want := range tt.wantDetail {
				if !strings.Contains(se.Detail, want) {
					t.Errorf("ParseUser(%.80s) detail = %q, want it to contain %q", body, se.Detail, want)
				}
			}
		})
	}
}

// TestUserFromDocRoundTrip checks that a resource read back (as PATCH does)
// gives the document and the lifted values again.
func TestUserFromDocRoundTrip(t *testing.T) {
	for _, file := range []string{"postman-post-enterprise-user.json", "entra-manager-string.json", "postman-post-omalley.json", "onelogin-legacy-urns.json"} {
		t.Run(file, func(t *testing.T) {
			u, err := scim.ParseUser(readFixture(t, file))
			if err != nil {
				t.Fatal(err)
			}
			meta := scim.Meta{Created: time.Unix(1, 0), LastModified: time.Unix(2, 0), Location: "https://x/Users/id1", Version: scim.ETag(3)}
			res := roundTrip(t, scim.UserResource(u.Doc, "id1", u.ExternalID, u.Active, meta)).(map[string]any)
			back, err := scim.UserFromDoc(res)
			if err != nil {
				t.Fatalf("UserFromDoc(resource) error: %v", err)
			}
			if diff := cmp.Diff(u.Doc, back.Doc); diff != "" {
				t.Errorf("UserFromDoc(UserResource(doc)).Doc (-want +got):\n%s", diff)
			}
			if back.ExternalID != u.ExternalID || back.ExternalIDSet != u.ExternalIDSet || back.Active != u.Active || !back.ActiveSet {
				t.Errorf("UserFromDoc lifted externalId %q/%v active %v/%v; want %q/%v %v/true",
					back.ExternalID, back.ExternalIDSet, back.Active, back.ActiveSet, u.ExternalID, u.ExternalIDSet, u.Active)
			}
		})
	}
}

func TestUserFromDoc(t *testing.T) {
	doc := decode(t, `{"userName":"b","externalId":"e","active":"False","id":"x","meta":{},"schemas":["s"],"manager":"m","title":null}`)
	u, err := scim.UserFromDoc(doc)
	if err != nil {
		t.Fatal(err)
	}
	want := decode(t, `{"userName":"b","urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"m"}}}`)
	if diff := cmp.Diff(want, u.Doc); diff != "" {
		t.Errorf("UserFromDoc Doc (-want +got):\n%s", diff)
	}
	if u.ExternalID != "e" || !u.ExternalIDSet || u.Active || !u.ActiveSet {
		t.Errorf("UserFromDoc = externalId %q/%v active %v/%v; want e/true false/true", u.ExternalID, u.ExternalIDSet, u.Active, u.ActiveSet)
	}
	if _, ok := doc["manager"].(string); !ok {
		t.Errorf("UserFromDoc changed its input: manager = %#v", doc["manager"])
	}
	if _, err := scim.UserFromDoc(decode(t, `{"displayName":"x"}`)); err == nil {
		t.Errorf("UserFromDoc without userName succeeded")
	}
}

// TestFormattedName checks that FormattedName reads from a stored document
// the name.formatted that UserDoc.Formatted holds, for every real body and
// for one that spells the names in other letter cases, and "" from documents
// without one.
func TestFormattedName(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "users", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasSuffix(name, ".golden.json") || strings.HasSuffix(name, ".error.json") {
			continue
		}
		u, err := scim.ParseUser(readFixture(t, name))
		if err != nil {
			t.Fatalf("ParseUser(%s) error: %v", name, err)
		}
		doc, err := json.Marshal(u.Doc)
		if err != nil {
			t.Fatal(err)
		}
		if got := scim.FormattedName(doc); got != u.Formatted {
			t.Errorf("FormattedName(the stored document of %s) = %q, want %q", name, got, u.Formatted)
		}
		if u.Formatted != "" {
			seen++
		}
	}
	u, err := scim.ParseUser([]byte(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"u",
		"NAME":{"Formatted":"Dr. Ana Lima"}}`))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := json.Marshal(u.Doc)
	if err != nil {
		t.Fatal(err)
	}
	if got := scim.FormattedName(doc); got != "Dr. Ana Lima" || u.Formatted != got {
		t.Errorf("FormattedName(the stored document of NAME.Formatted) = %q, UserDoc.Formatted = %q, want both %q", got, u.Formatted, "Dr. Ana Lima")
	}
	if seen < 3 {
		t.Errorf("%d fixtures have a name.formatted, want at least 3", seen)
	}

	tests := []struct {
		doc, want string
	}{
		{`{"userName":"u","name":{"formatted":"Ms. Barbara J Jensen III","givenName":"Barbara"}}`, "Ms. Barbara J Jensen III"},
		{`{"name":{"formatted":"\u00dcnal \"Q\" \u00d6zt\u00fcrk"}}`, `Ünal "Q" Öztürk`},
		{`{"name":{"formatted":""}}`, ""},
		{`{"name":{"givenName":"Barbara"}}`, ""},
		{`{"name":{"formatted":5}}`, ""},
		{`{"name":{"formatted":null}}`, ""},
		{`{"name":"Barbara"}`, ""},
		{`{"name":null}`, ""},
		{`{"formatted":"top level"}`, ""},
		{`{"Name":{"Formatted":"not canonical"}}`, ""},
		{`{}`, ""},
		{`null`, ""},
		{``, ""},
		{`{"name":`, ""},
	}
	for _, tt := range tests {
		if got := scim.FormattedName([]byte(tt.doc)); got != tt.want {
			t.Errorf("FormattedName(%s) = %q, want %q", tt.doc, got, tt.want)
		}
	}
}

func TestAccountEmail(t *testing.T) {
	tests := []struct {
		name    string
		emails  []scim.Email
		want    string
		wantErr bool
	}{
		{"primary wins", []scim.Email{{Value: "a@x.org", Type: "work"}, {Value: "b@x.org", Primary: true}}, "b@x.org", false},
		{"work next", []scim.Email{{Value: "a@x.org", Type: "home"}, {Value: "b@x.org", Type: "Work"}}, "b@x.org", false},
		{"first otherwise", []scim.Email{{Value: "a@x.org", Type: "home"}, {Value: "b@x.org", Type: "other"}}, "a@x.org", false},
		{"unusable primary skipped", []scim.Email{{Value: "emailName357", Primary: true, Type: "work"}, {Value: "h@x.org", Type: "home"}}, "h@x.org", false},
		{"display name form refused", []scim.Email{{Value: "Bob <bob@x.org>", Primary: true}, {Value: "c@x.org"}}, "c@x.org", false},
		{"spaces trimmed", []scim.Email{{Value: " d@x.org "}}, "d@x.org", false},
		{"none", nil, "", true},
		{"none usable", []scim.Email{{Value: "nope"}, {Value: "a@"}, {Value: "@b"}}, "", true},
		{"too long", []scim.Email{{Value: strings.Repeat("a", 250) + "@x.org"}}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &scim.UserDoc{Emails: tt.emails}
			got, err := u.AccountEmail()
			if tt.wantErr {
				se := scimError(t, err)
				if se.Status != 400 || se.ScimType != scim.InvalidValue || !strings.Contains(se.Detail, "needs at least one email address") {
					t.Errorf("AccountEmail() error = %v, want 400 invalidValue about an email address", se)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("AccountEmail() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestAccountName(t *testing.T) {
	tests := []struct {
		name string
		u    scim.UserDoc
		want string
	}{
		{"formatted", scim.UserDoc{Formatted: " Dr. Ana Lima ", GivenName: "Ana", DisplayName: "A", UserName: "u"}, "Dr. Ana Lima"},
		{"given and family", scim.UserDoc{GivenName: "Ana", FamilyName: "Lima", DisplayName: "A", UserName: "u"}, "Ana Lima"},
		{"given only", scim.UserDoc{GivenName: "Ana", DisplayName: "A"}, "Ana"},
		{"family only", scim.UserDoc{FamilyName: "Lima"}, "Lima"},
		{"displayName", scim.UserDoc{DisplayName: "Ana L.", UserName: "u"}, "Ana L."},
		{"userName", scim.UserDoc{UserName: "ana@x.org"}, "ana@x.org"},
		{"cut on a character", scim.UserDoc{DisplayName: strings.Repeat("a", 254) + "é"}, strings.Repeat("a", 254)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.u.AccountName(); got != tt.want {
				t.Errorf("AccountName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseUserIgnoredBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a"`)
	for i := range 100 {
		fmt.Fprintf(&b, `,"typo%03d%s":1`, i, strings.Repeat("x", 200))
	}
	b.WriteString("}")
	u, err := scim.ParseUser([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if len(u.Ignored) != 32 {
		t.Errorf("len(Ignored) = %d, want 32", len(u.Ignored))
	}
	for _, n := range u.Ignored {
		if len(n) > 128 || !strings.HasPrefix(n, "typo0") {
			t.Errorf("Ignored name %q: want typo0… of at most 128 bytes", n)
		}
	}
}
