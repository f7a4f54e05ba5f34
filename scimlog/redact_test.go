package scimlog

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
)

func TestRedactBody(t *testing.T) {
	token, _ := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"empty", ``, ``},
		{"no secrets", `{"userName":"tokenizer","displayName":"Password Reset Team"}`,
			`{"userName":"tokenizer","displayName":"Password Reset Team"}`},
		{"POST with a password",
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","password":"hunter2","active":true}`,
			`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"a@example.com","password":"[FILTERED]","active":true}`},
		{"any case and spacing", `{ "PassWord" : "hunter2" , "x":1}`, `{ "PassWord" : "[FILTERED]" , "x":1}`},
		{"every secret name",
			`{"token":"a","secret":"b","access_token":"c","client_secret":"d","newPassword":"e","refreshToken":"f","x-api-key":"g","pwd":"h"}`,
			`{"token":"[FILTERED]","secret":"[FILTERED]","access_token":"[FILTERED]","client_secret":"[FILTERED]","newPassword":"[FILTERED]","refreshToken":"[FILTERED]","x-api-key":"[FILTERED]","pwd":"[FILTERED]"}`},
		{"at any depth", `{"a":{"b":[{"client_secret":"x"},{"c":"d"}]}}`, `{"a":{"b":[{"client_secret":"[FILTERED]"},{"c":"d"}]}}`},
		{"a value of any type", `{"token":{"a":[1,2]},"secret":12345,"password":null,"x":[{"Token":["a","b"]}]}`,
			`{"token":"[FILTERED]","secret":"[FILTERED]","password":"[FILTERED]","x":[{"Token":"[FILTERED]"}]}`},
		{"URN-qualified", `{"urn:ietf:params:scim:schemas:core:2.0:User:password":"x"}`,
			`{"urn:ietf:params:scim:schemas:core:2.0:User:password":"[FILTERED]"}`},
		{"an extension URN is judged by its last part", `{"urn:example:tokenservice:2.0:User":{"x":"y"}}`,
			`{"urn:example:tokenservice:2.0:User":{"x":"y"}}`},
		{"escaped name", `{"pass\u0077ord":"x"}`, `{"pass\u0077ord":"[FILTERED]"}`},
		{"name that folds to password", `{"paſsword":"x","KEY":"y"}`, `{"paſsword":"[FILTERED]","KEY":"y"}`},
		{"Entra ID PATCH",
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"password","value":"hunter2"},{"op":"Replace","path":"displayName","value":"Ann"}]}`,
			`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"password","value":"[FILTERED]"},{"op":"Replace","path":"displayName","value":"Ann"}]}`},
		{"PATCH with the path after the value", `{"Operations":[{"value":"hunter2","path":"Password","op":"replace"}]}`,
			`{"Operations":[{"value":"[FILTERED]","path":"Password","op":"replace"}]}`},
		{"PATCH on a URN path", `{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":["x"]}]}`,
			`{"Operations":[{"op":"add","path":"urn:ietf:params:scim:schemas:core:2.0:User:password","value":"[FILTERED]"}]}`},
		{"Okta path-less PATCH", `{"Operations":[{"op":"replace","value":{"password":"hunter2","active":true}}]}`,
			`{"Operations":[{"op":"replace","value":{"password":"[FILTERED]","active":true}}]}`},
		{"PATCH with two values", `{"op":"replace","value":"a","path":"password","value":"b"}`,
			`{"op":"replace","value":"[FILTERED]","path":"password","value":"[FILTERED]"}`},
		{"PATCH with a secret inside a secret value", `{"op":"replace","path":"password","value":{"password":"x","token":"y"}}`,
			`{"op":"replace","path":"password","value":"[FILTERED]"}`},
		{"PATCH on a value path whose filter says token", `{"op":"replace","path":"emails[value eq \"token\"].value","value":"a@b.c"}`,
			`{"op":"replace","path":"emails[value eq \"token\"].value","value":"a@b.c"}`},
		{"Gatehouse token in a value", `{"note":"mine is ` + token + `!"}`, `{"note":"mine is gth_scim_[FILTERED]!"}`},
		{"unclosed JSON", `{"userName":"a","password":"hunter2`, `{"userName":"a","password":"[FILTERED]"`},
		{"JSON with a syntax error", `{"userName":"a",, "password": "hunter2", "x": 1}`, `{"userName":"a",, "password": "[FILTERED]", "x": 1}`},
		{"unclosed PATCH", `{"Operations":[{"op":"replace","path":"password","value":"hunter2"}`,
			`{"Operations":[{"op":"replace","path":"password","value":"[FILTERED]"}`},
		{"unclosed object under a secret name", `{"a":1,"token":{"b":"c",`, `{"a":1,"token":"[FILTERED]"`},
		{"bare secret after a colon", `{password: hunter2, user: ann}`, `{password: [FILTERED], user: ann}`},
		{"form", `user=ann&password=hunter2&client_secret=s3cr3t`, `user=ann&password=[FILTERED]&client_secret=[FILTERED]`},
		{"header lines", "X-Api-Key: abc def\nAccept: */*", "X-Api-Key: [FILTERED]\nAccept: */*"},
		{"plain text", `hello world`, `hello world`},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "{\"a\":\"\uFFFD\"}"},
		{"NUL", "a\x00b", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RedactBody([]byte(tt.in), 0); got != tt.want {
				t.Errorf("RedactBody(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRedactBodyDeep(t *testing.T) {
	// Nesting past maxDepth is scanned leniently, and still redacted.
	in := strings.Repeat(`{"a":`, maxDepth+10) + `{"password":"hunter2"}` + strings.Repeat(`}`, maxDepth+10)
	got := RedactBody([]byte(in), 0)
	if strings.Contains(got, "hunter2") || !strings.Contains(got, `"password":"[FILTERED]"`) {
		t.Errorf("RedactBody(%d levels deep) kept the password: …%s", maxDepth+10, got[len(got)-maxDepth-40:])
	}
}

func TestRedactBodyTruncates(t *testing.T) {
	limit := gatehouse.SCIMLogBodyLimit
	tests := []struct {
		name    string
		in      string
		omitted int
		keep    int // bytes of in kept
		dropped int // N of the marker
	}{
		{"at the limit", strings.Repeat("a", limit), 0, limit, 0},
		{"one byte over", strings.Repeat("a", limit+1), 0, limit - len("…[truncated 8193 bytes]"), 0},
		{"much longer", strings.Repeat("a", 100000), 0, limit - len("…[truncated 100000 bytes]"), 0},
		// é is two bytes; the cut never splits one.
		{"at a character boundary", strings.Repeat("é", limit), 0, (limit - len("…[truncated 16384 bytes]")) &^ 1, 0},
		{"captured in part", `{"a":1}`, 100, len(`{"a":1}`), 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RedactBody([]byte(tt.in), tt.omitted)
			if len(got) > limit || !utf8.ValidString(got) {
				t.Fatalf("RedactBody(%d bytes) = %d bytes, valid UTF-8 %v; want at most %d bytes of valid UTF-8",
					len(tt.in), len(got), utf8.ValidString(got), limit)
			}
			want := tt.in
			if tt.keep < len(tt.in) || tt.omitted > 0 {
				want = tt.in[:tt.keep] + "…[truncated " + itoa(len(tt.in)-tt.keep+tt.omitted) + " bytes]"
			}
			if got != want {
				t.Errorf("RedactBody(%d bytes, %d omitted) = …%q, want …%q", len(tt.in), tt.omitted, tail(got), tail(want))
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func tail(s string) string {
	if len(s) > 40 {
		return s[len(s)-40:]
	}
	return s
}

func TestRedactQuery(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"filter=userName%20eq%20%22a%22&startIndex=1", "filter=userName%20eq%20%22a%22&startIndex=1"},
		{"filter=x&access_token=abc", "filter=x&access_token=[FILTERED]"},
		{"Token=abc&client_secret=s", "Token=[FILTERED]&client_secret=[FILTERED]"},
		{"access%5Ftoken=abc", "access%5Ftoken=[FILTERED]"},
		{"token", "token"},
		{"a=1&&b", "a=1&&b"},
	}
	for _, tt := range tests {
		if got := RedactQuery(tt.in); got != tt.want {
			t.Errorf("RedactQuery(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	u, _ := url.Parse("https://gh.example/api/scim/v2/groups/acme/Users?filter=userName+eq+%22a%22&access_token=abc")
	if got, want := Path(u), `/api/scim/v2/groups/acme/Users?filter=userName+eq+%22a%22&access_token=[FILTERED]`; got != want {
		t.Errorf("Path(%v) = %q, want %q", u, got, want)
	}
}

// FuzzRedactBody checks, for any input, that the result is text the log
// accepts and, for JSON input, still JSON in which no secret member keeps
// its value.
func FuzzRedactBody(f *testing.F) {
	for _, s := range []string{
		`{"password":"x"}`, `{"Operations":[{"op":"replace","path":"password","value":"x"}]}`,
		`{"a":[{"token":{"b":1}}],"c":"d"}`, `{"value":"x","path":"password"}`, `password=x&a=b`,
		`{"pass\u0077ord":"x"}`, `[1,"a",{"secret":null}]`, `{"a":"b`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got := RedactBody(in, 0)
		if len(got) > gatehouse.SCIMLogBodyLimit || !utf8.ValidString(got) || strings.IndexByte(got, 0) >= 0 {
			t.Fatalf("RedactBody(%q) = %q: not valid log text", in, got)
		}
		if !json.Valid(in) || len(got) >= gatehouse.SCIMLogBodyLimit-64 {
			return
		}
		var v any
		d := json.NewDecoder(strings.NewReader(got))
		d.UseNumber() // numbers past float64 are still JSON
		if err := d.Decode(&v); err != nil {
			t.Fatalf("RedactBody(%q) = %q, not JSON: %v", in, got, err)
		}
		if path, ok := leak(v, "$"); !ok {
			t.Fatalf("RedactBody(%q) = %q keeps a secret at %s", in, got, path)
		}
	})
}

// leak walks a decoded document and reports where a secret member (or a
// secret PATCH operation's value) is not "[FILTERED]".
func leak(v any, at string) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		secretOp := false
		for k, x := range v {
			if strings.EqualFold(k, "path") {
				if p, ok := x.(string); ok && secretPath(p) {
					secretOp = true
				}
			}
		}
		for k, x := range v {
			if secretName(k) || (secretOp && strings.EqualFold(k, "value")) {
				if x != Filtered {
					return at + "." + k, false
				}
				continue
			}
			if p, ok := leak(x, at+"."+k); !ok {
				return p, false
			}
		}
	case []any:
		for _, x := range v {
			if p, ok := leak(x, at+"[]"); !ok {
				return p, false
			}
		}
	}
	return "", true
}
