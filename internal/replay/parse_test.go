package replay

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	const fixture = "# A comment.\r\n" +
		"# Another.\n" +
		"\n" +
		"POST /Users?filter=userName+eq+\"x\"&\n" +
		"Content-Type: application/scim+json\n" +
		"# A comment among the headers.\n" +
		"Authorization: Bearer {{token}}\n" +
		"\n" +
		"{\n" +
		"  \"userName\": \"{{name}}\"\n" +
		"}\n" +
		"\n" +
		"=== 200|204\n" +
		"Location: {{base}}/Users/{{*id}}\n" +
		"X-Gone: {{absent}}\n" +
		"\n" +
		"{\"id\": \"{{*id}}\", \"n\": 1, \"schemas\": [\"a\", \"...\"], \"password\": \"{{absent}}\"}\n"
	s, err := parse("f.http", []byte(fixture))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if s.method != "POST" || s.target.String() != `/Users?filter=userName+eq+"x"&` {
		t.Errorf("request line = %s %s, want POST /Users?filter=userName+eq+\"x\"&", s.method, s.target)
	}
	var headers []string
	for _, h := range s.header {
		headers = append(headers, h.name+": "+h.value.String())
	}
	if diff := cmp.Diff([]string{"Content-Type: application/scim+json", "Authorization: Bearer {{token}}"}, headers); diff != "" {
		t.Errorf("request headers (-want +got):\n%s", diff)
	}
	if got, want := s.body.String(), "{\n  \"userName\": \"{{name}}\"\n}"; got != want {
		t.Errorf("request body = %q, want %q", got, want)
	}
	if diff := cmp.Diff([]int{200, 204}, s.statuses); diff != "" {
		t.Errorf("statuses (-want +got):\n%s", diff)
	}
	if len(s.wantHeader) != 2 || s.wantHeader[0].name != "Location" || !s.wantHeader[1].value.isAbsent() {
		t.Errorf("expected headers = %+v, want Location and X-Gone: {{absent}}", s.wantHeader)
	}
	want := map[string]any{"id": "{{*id}}", "n": json.Number("1"), "schemas": []any{"a", "..."}, "password": "{{absent}}"}
	if diff := cmp.Diff(want, s.want); diff != "" {
		t.Errorf("expected body (-want +got):\n%s", diff)
	}
}

func TestParseBodyless(t *testing.T) {
	tests := []struct {
		name, fixture      string
		wantEmpty, wantAny bool
	}{
		{"204 at end of file", "DELETE /Users/{{id}}\nAuthorization: Bearer {{token}}\n=== 204", true, false},
		{"204 with headers", "DELETE /Users/1\n\n=== 204\nX-A: b\n\n\n", true, false},
		{"any body", "GET /Users\n\n=== 200\n\n{{any}}\n", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := parse("f.http", []byte(tt.fixture))
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if s.wantEmpty != tt.wantEmpty || s.wantAny != tt.wantAny {
				t.Errorf("wantEmpty, wantAny = %v, %v; want %v, %v", s.wantEmpty, s.wantAny, tt.wantEmpty, tt.wantAny)
			}
			if len(s.body) != 0 {
				t.Errorf("request body = %q, want none", s.body.String())
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, fixture, want string }{
		{"empty file", "# only a comment\n", "f.http: no request line"},
		{"space in target", "GET /Users?filter=userName eq \"x\"\n=== 200\n", "f.http:1: request line"},
		{"lower-case method", "get /Users\n=== 200\n", "want METHOD TARGET"},
		{"capture in request", "GET /Users/{{*id}}\n=== 200\n", "captures only in the expected response"},
		{"any in request body", "POST /Users\n\n{\"a\": \"{{any}}\"}\n=== 200\n", "f.http:3: request body"},
		{"no response line", "GET /Users\n\n", "no response line"},
		{"bad status", "GET /Users\n=== OK\n", "f.http:2: response line"},
		{"status out of range", "GET /Users\n=== 200|99\n", "response line"},
		{"body without blank line", "POST /Users\n{\"a\": 1}\n=== 200\n", "f.http:2: header line"},
		{"expected body without blank line", "GET /Users\n=== 200\n{\"a\": 1}\n", "f.http:3: header line"},
		{"not JSON", "GET /Users\n=== 200\n\n{a: 1}\n", "f.http:4: expected body is not JSON"},
		{"placeholder outside a string", "GET /Users\n=== 200\n\n{\"n\": {{n}}}\n", "not JSON"},
		{"two JSON values", "GET /Users\n=== 200\n\n{} {}\n", "more than one JSON value"},
		{"ellipsis not last", "GET /Users\n=== 200\n\n{\"a\": [\"...\", 1]}\n", `$.a[0]: "..." is only allowed as the last element`},
		{"absent in array", "GET /Users\n=== 200\n\n{\"a\": [\"{{absent}}\"]}\n", "$.a[0]: {{absent}} is only allowed"},
		{"absent inside text", "GET /Users\n=== 200\n\n{\"a\": \"x{{absent}}\"}\n", "must be the whole value"},
		{"malformed placeholder in expected", "GET /Users\n=== 200\n\n{\"urn:x\": {\"a\": \"{{ id }}\"}}\n", `$["urn:x"].a: malformed placeholder`},
		{"second response line", "GET /Users\n=== 200\n=== 204\n", "a second response line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse("f.http", []byte(tt.fixture))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse(%q) error = %v, want one containing %q", tt.fixture, err, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	if got := truncate("short", 10); got != "short" {
		t.Errorf("truncate(short, 10) = %q", got)
	}
	if got, want := truncate("abcdefghij", 4), "abcd… (6 more bytes)"; got != want {
		t.Errorf("truncate = %q, want %q", got, want)
	}
	// "é" is two bytes; a cut inside it moves back to the rune's start.
	if got, want := truncate("aé", 2), "a… (2 more bytes)"; got != want {
		t.Errorf("truncate(aé, 2) = %q, want %q", got, want)
	}
}
