package replay

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want template
	}{
		{"literal", "plain text", template{{segLiteral, "plain text"}}},
		{"empty", "", nil},
		{"variable", "Bearer {{token}}", template{{segLiteral, "Bearer "}, {segVariable, "token"}}},
		{"capture", "{{base}}/Users/{{*id}}", template{{segVariable, "base"}, {segLiteral, "/Users/"}, {segCapture, "id"}}},
		{"any and absent", "{{any}}{{absent}}", template{{segAny, ""}, {segAbsent, ""}}},
		{"dotted name", "{{base_by-path.x}}", template{{segVariable, "base_by-path.x"}}},
		{"single braces stay literal", "{x} }} {", template{{segLiteral, "{x} }} {"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTemplate(tt.in)
			if err != nil {
				t.Fatalf("parseTemplate(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(segment{})); diff != "" {
				t.Errorf("parseTemplate(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			if s := got.String(); s != tt.in {
				t.Errorf("parseTemplate(%q).String() = %q, want the input back", tt.in, s)
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"{{ token }}", "malformed placeholder"},
		{"{{token", "malformed placeholder"},
		{"{{}}", "malformed placeholder"},
		{"{{1abc}}", "malformed placeholder"},
		{"{{*any}}", "reserved"},
		{"{{*absent}}", "reserved"},
	}
	for _, tt := range tests {
		_, err := parseTemplate(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseTemplate(%q) error = %v, want one containing %q", tt.in, err, tt.want)
		}
	}
}

func TestTemplateMatch(t *testing.T) {
	vars := map[string]string{"base": "http://h/api/scim/v2/groups/a.b", "dot": "."}
	lookup := func(n string) (string, bool) { v, ok := vars[n]; return v, ok }
	tests := []struct {
		name     string
		template string
		got      string
		wantOK   bool
		wantCaps map[string]string
	}{
		{"literal equal", "abc", "abc", true, nil},
		{"literal differs", "abc", "abcd", false, nil},
		{"variable", "{{base}}/Users", "http://h/api/scim/v2/groups/a.b/Users", true, nil},
		{"variable is quoted, not a pattern", "a{{dot}}c", "abc", false, nil},
		{"capture suffix", "{{base}}/Users/{{*id}}", "http://h/api/scim/v2/groups/a.b/Users/42", true, map[string]string{"id": "42"}},
		{"capture needs a character", "{{base}}/Users/{{*id}}", "http://h/api/scim/v2/groups/a.b/Users/", false, nil},
		{"capture wrong prefix", "{{base}}/Users/{{*id}}", "http://other/Users/42", false, nil},
		{"two captures", "{{*a}}-{{*b}}", "x-y-z", true, map[string]string{"a": "x", "b": "y-z"}},
		{"same capture twice agrees", "{{*a}}/{{*a}}", "q/q", true, map[string]string{"a": "q"}},
		{"same capture twice differs", "{{*a}}/{{*a}}", "q/r", false, nil},
		{"any inside", "W/\"{{any}}\"", "W/\"3\"", true, map[string]string{}},
		{"any spans newlines", "a{{any}}b", "a\n\nb", true, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := parseTemplate(tt.template)
			if err != nil {
				t.Fatal(err)
			}
			caps, ok, err := tmpl.match(tt.got, lookup)
			if err != nil {
				t.Fatalf("match: %v", err)
			}
			if ok != tt.wantOK {
				t.Fatalf("%q.match(%q) ok = %v, want %v", tt.template, tt.got, ok, tt.wantOK)
			}
			if ok && tt.wantCaps != nil {
				if diff := cmp.Diff(tt.wantCaps, caps); diff != "" {
					t.Errorf("%q.match(%q) captures (-want +got):\n%s", tt.template, tt.got, diff)
				}
			}
		})
	}
}

func TestTemplateUndefinedVariable(t *testing.T) {
	tmpl, _ := parseTemplate("/Users/{{id}}")
	none := func(string) (string, bool) { return "", false }
	if _, err := tmpl.expand(none); err == nil || !strings.Contains(err.Error(), "{{id}} is not defined") {
		t.Errorf("expand error = %v, want {{id}} is not defined", err)
	}
	if _, _, err := tmpl.match("/Users/1", none); err == nil {
		t.Errorf("match with an undefined variable: no error")
	}
}
