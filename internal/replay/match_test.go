package replay

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// decode reads JSON the way the runner does, numbers as json.Number.
func decode(t *testing.T, s string) any {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestMatchValue(t *testing.T) {
	vars := map[string]string{"id": "u1", "base": "http://h/g"}
	tests := []struct {
		name     string
		want     string
		got      string
		problems []string // substrings, one per expected problem
		caps     map[string]string
	}{
		{
			name: "extra members are fine",
			want: `{"a": 1, "b": {"c": "x"}}`,
			got:  `{"a": 1, "z": true, "b": {"c": "x", "d": null}}`,
		},
		{
			name:     "missing member",
			want:     `{"name": {"givenName": "A", "familyName": "B"}}`,
			got:      `{"name": {"givenName": "A"}}`,
			problems: []string{`$.name.familyName: missing, want string "B"`},
		},
		{
			name:     "every mismatch is listed",
			want:     `{"active": true, "userName": "a", "n": 2}`,
			got:      `{"active": "True", "userName": "b", "n": 3}`,
			problems: []string{`$.active: got string "True", want true`, `$.n: got number 3, want 2`, `$.userName: got "b", want "a"`},
		},
		{
			name: "numbers by value",
			want: `{"n": 1, "m": 0.5}`,
			got:  `{"n": 1.0, "m": 5e-1}`,
		},
		{
			name:     "null is not absent",
			want:     `{"x": null}`,
			got:      `{}`,
			problems: []string{"$.x: missing, want null"},
		},
		{
			name: "absent",
			want: `{"password": "{{absent}}", "externalId": "{{absent}}"}`,
			got:  `{"userName": "a"}`,
		},
		{
			name:     "absent but present",
			want:     `{"password": "{{absent}}"}`,
			got:      `{"password": "secret"}`,
			problems: []string{`$.password: got string "secret", want it absent`},
		},
		{
			name: "any takes any type",
			want: `{"a": "{{any}}", "b": "{{any}}", "c": "{{any}}", "d": "{{any}}"}`,
			got:  `{"a": 1, "b": {"x": 1}, "c": null, "d": "s"}`,
		},
		{
			name:     "any still needs the member",
			want:     `{"detail": "{{any}}"}`,
			got:      `{}`,
			problems: []string{"$.detail: missing"},
		},
		{
			name: "variables and captures",
			want: `{"id": "{{id}}", "meta": {"location": "{{base}}/Users/{{*loc}}"}, "x": "{{*x}}"}`,
			got:  `{"id": "u1", "meta": {"location": "http://h/g/Users/u1"}, "x": "v"}`,
			caps: map[string]string{"loc": "u1", "x": "v"},
		},
		{
			name:     "capture needs a string",
			want:     `{"n": "{{*n}}"}`,
			got:      `{"n": 5}`,
			problems: []string{`$.n: got number 5, want string "{{*n}}"`},
		},
		{
			name:     "capture twice must agree",
			want:     `{"id": "{{*id2}}", "meta": {"location": "{{base}}/Users/{{*id2}}"}}`,
			got:      `{"id": "a", "meta": {"location": "http://h/g/Users/b"}}`,
			problems: []string{`$.meta.location: {{*id2}} captured "b" here but "a" earlier in this response`},
		},
		{
			name:     "undefined variable",
			want:     `{"id": "{{nope}}"}`,
			got:      `{"id": "a"}`,
			problems: []string{"$.id: {{nope}} is not defined"},
		},
		{
			name: "arrays element by element",
			want: `{"emails": [{"value": "a", "primary": true}, {"value": "b"}]}`,
			got:  `{"emails": [{"value": "a", "primary": true, "type": "work"}, {"value": "b"}]}`,
		},
		{
			name:     "arrays keep their order",
			want:     `{"a": [1, 2]}`,
			got:      `{"a": [2, 1]}`,
			problems: []string{"$.a[0]: got number 2, want 1", "$.a[1]: got number 1, want 2"},
		},
		{
			name:     "arrays need the same length",
			want:     `{"Resources": []}`,
			got:      `{"Resources": [{"id": "x"}]}`,
			problems: []string{`$.Resources: got 1 elements, want 0`},
		},
		{
			name: "ellipsis: at least these, any order",
			want: `{"schemas": ["urn:b", "urn:a", "..."]}`,
			got:  `{"schemas": ["urn:a", "urn:c", "urn:b"]}`,
		},
		{
			name: "ellipsis alone accepts an empty array",
			want: `{"a": ["..."]}`,
			got:  `{"a": []}`,
		},
		{
			name:     "ellipsis: each expected element needs its own match",
			want:     `{"a": ["x", "x", "..."]}`,
			got:      `{"a": ["x", "y"]}`,
			problems: []string{`$.a: no element matches want[1] string "x"`},
		},
		{
			name: "ellipsis: captures come from the element that fits",
			want: `{"Resources": [{"userName": "b", "id": "{{*bid}}"}, "..."]}`,
			got:  `{"Resources": [{"userName": "a", "id": "1"}, {"userName": "b", "id": "2"}]}`,
			caps: map[string]string{"bid": "2"},
		},
		{
			name:     "wrong kinds",
			want:     `{"o": {}, "a": [], "s": "x", "b": false}`,
			got:      `{"o": [], "a": {}, "s": 1, "b": "false"}`,
			problems: []string{"$.a: got object {}, want an array", `$.b: got string "false", want false`, "$.o: got array [], want an object", `$.s: got number 1, want string "x"`},
		},
		{
			name:     "URN member names are quoted in paths",
			want:     `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}}`,
			got:      `{"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {}}`,
			problems: []string{`$["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].employeeNumber: missing`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := decode(t, tt.want)
			if err := checkWant(want, "$", false); err != nil {
				t.Fatalf("checkWant: %v", err)
			}
			m := newMatcher(vars)
			m.value("$", want, decode(t, tt.got))
			if len(m.problems) != len(tt.problems) {
				t.Fatalf("value(%s, %s) problems = %q, want %d like %q", tt.want, tt.got, m.problems, len(tt.problems), tt.problems)
			}
			for i, p := range tt.problems {
				if !strings.Contains(m.problems[i], p) {
					t.Errorf("problem %d = %q, want it to contain %q", i, m.problems[i], p)
				}
			}
			if tt.caps != nil {
				if diff := cmp.Diff(tt.caps, m.captured); diff != "" {
					t.Errorf("captures (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestMatchHeaders(t *testing.T) {
	line := func(name, value string) headerLine {
		tmpl, err := parseTemplate(value)
		if err != nil {
			t.Fatal(err)
		}
		return headerLine{name, tmpl}
	}
	got := http.Header{}
	got.Set("Content-Type", "application/SCIM+json; charset=utf-8")
	got.Set("Location", "http://h/g/Users/42")
	got.Set("ETag", `W/"1"`)

	m := newMatcher(map[string]string{"base": "http://h/g"})
	m.headers([]headerLine{
		line("content-type", "application/scim+json"),
		line("LOCATION", "{{base}}/Users/{{*id}}"),
		line("Etag", `W/"{{any}}"`),
		line("Retry-After", "{{absent}}"),
	}, got)
	if len(m.problems) != 0 {
		t.Errorf("headers: unexpected problems %q", m.problems)
	}
	if m.captured["id"] != "42" {
		t.Errorf("captured id = %q, want 42", m.captured["id"])
	}

	m = newMatcher(map[string]string{"base": "http://h/g"})
	m.headers([]headerLine{
		line("Content-Type", "application/json"),
		line("Location", "{{base}}/Groups/{{*id}}"),
		line("X-Missing", "x"),
		line("ETag", "{{absent}}"),
	}, got)
	want := []string{
		`header Content-Type: got "application/SCIM+json; charset=utf-8", want media type "application/json"`,
		`header Location: got "http://h/g/Users/42", want "{{base}}/Groups/{{*id}}"`,
		`header X-Missing: missing, want "x"`,
		`header ETag: got "W/\"1\"", want it absent`,
	}
	if diff := cmp.Diff(want, m.problems); diff != "" {
		t.Errorf("header problems (-want +got):\n%s", diff)
	}
}
