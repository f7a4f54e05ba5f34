package scimpatch_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
)

// opsJSON builds n operations with op(i).
func opsJSON(n int, op func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = op(i)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func objJSON(n int, kv func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = kv(i)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func emailsJSON(n int) string {
	return opsJSON(n, func(i int) string { return fmt.Sprintf(`{"value": "u%d@x.com"}`, i) })
}

func TestLimits(t *testing.T) {
	addTag := func(i int) string {
		return fmt.Sprintf(`{"op": "add", "path": "urn:acme:2.0:User:k%d", "value": %d}`, i, i)
	}
	t.Run("ParseRequest refuses more than 1000 operations", func(t *testing.T) {
		_, err := scimpatch.ParseRequest([]byte(body(opsJSON(1001, addTag))))
		checkErr(t, err, scim.InvalidValue, "1001 operations", "at most 1000")
	})
	t.Run("Apply refuses more than 1000 operations", func(t *testing.T) {
		ops := make([]scimpatch.Operation, 1001)
		for i := range ops {
			ops[i] = scimpatch.Operation{Op: "remove", Path: "title"}
		}
		_, err := scimpatch.Apply(nil, ops)
		checkErr(t, err, scim.InvalidValue, "at most 1000")
	})
	var fullExt strings.Builder
	fullExt.WriteString(`{"userName": "u", "urn:acme:2.0:User": `)
	fullExt.WriteString(objJSON(1000, func(i int) string { return fmt.Sprintf(`"k%d": %d`, i, i) }))
	fullExt.WriteString(`}`)
	var fullEmails strings.Builder
	fullEmails.WriteString(`{"userName": "u", "emails": ` + emailsJSON(1000) + `}`)

	runCases(t, []patchCase{
		{
			name: "a value object with more than 1000 keys",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "value": ` + objJSON(1001, func(i int) string { return fmt.Sprintf(`"urn:acme:2.0:User:k%d": 1`, i) }) + `}]`),
			err:  scim.InvalidValue, detail: []string{"1001 keys"},
		},
		{
			name: "an extension object with more than 1000 keys",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "add", "path": "urn:acme:2.0:User", "value": ` + objJSON(1001, func(i int) string { return fmt.Sprintf(`"k%d": 1`, i) }) + `}]`),
			err:  scim.InvalidValue, detail: []string{"1001 keys"},
		},
		{
			name: "a value array with more than 1000 values",
			doc:  `{"userName": "u"}`,
			body: body(`[{"op": "replace", "path": "emails", "value": ` + emailsJSON(1001) + `}]`),
			err:  scim.InvalidValue, detail: []string{"1001 values"},
		},
		{
			name: "growing a multi-valued attribute beyond 1000 values",
			doc:  fullEmails.String(),
			body: body(`[{"op": "add", "path": "emails", "value": {"value": "new@x.com"}}]`),
			err:  scim.InvalidValue, detail: []string{"emails would hold more than 1000 values"},
		},
		{
			name: "growing a multi-valued attribute through a filter beyond 1000 values",
			doc:  fullEmails.String(),
			body: body(`[{"op": "add", "path": "emails[type eq \"work\"].value", "value": "new@x.com"}]`),
			err:  scim.InvalidValue, detail: []string{"more than 1000 values"},
		},
		{
			name: "a new attribute in a full extension",
			doc:  fullExt.String(),
			body: body(`[{"op": "add", "path": "urn:acme:2.0:User:new", "value": 1}]`),
			err:  scim.InvalidValue, detail: []string{"urn:acme:2.0:User already holds 1000 attributes"},
		},
	})

	t.Run("a full extension still takes replacements and removals", func(t *testing.T) {
		ops, err := scimpatch.ParseRequest([]byte(body(`[{"op": "replace", "path": "urn:acme:2.0:User:k1", "value": "x"}, {"op": "remove", "path": "urn:acme:2.0:User:k2"}]`)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := scimpatch.Apply(mustDoc(t, fullExt.String()), ops)
		if err != nil {
			t.Fatalf("Apply() error = %v", err)
		}
		ext := got["urn:acme:2.0:User"].(map[string]any)
		if len(ext) != 999 || ext["k1"] != "x" {
			t.Errorf("Apply() extension has %d keys and k1 = %v, want 999 and x", len(ext), ext["k1"])
		}
	})
}

// The worst requests a 1 MB body allows, to keep their cost in view.
func BenchmarkApplyWorstCase(b *testing.B) {
	cases := []struct{ name, doc, body string }{
		{"1000 new custom attributes", `{"userName": "u"}`, body(opsJSON(1000, func(i int) string {
			return fmt.Sprintf(`{"op": "add", "path": "urn:acme:2.0:User:k%d", "value": %d}`, i, i)
		}))},
		{"1000 path-less keys", `{"userName": "u"}`, body(`[{"op": "add", "value": ` + objJSON(1000, func(i int) string {
			return fmt.Sprintf(`"urn:acme:2.0:User:K%d": 1`, i)
		}) + `}]`)},
		{"1000 emails in one add", `{"userName": "u"}`, body(`[{"op": "add", "path": "emails", "value": ` + emailsJSON(1000) + `}]`)},
		{"1000 filtered adds", `{"userName": "u"}`, body(opsJSON(1000, func(i int) string {
			return fmt.Sprintf(`{"op": "add", "path": "emails[value eq \"u%d@x.com\"].type", "value": "work"}`, i)
		}))},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			ops, err := scimpatch.ParseRequest([]byte(c.body))
			if err != nil {
				b.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(c.doc), &doc); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				if _, err := scimpatch.Apply(doc, ops); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkApplyEntra is the common case: Entra's legacy multi-attribute
// replace on a typical user.
func BenchmarkApplyEntra(b *testing.B) {
	ops, err := scimpatch.ParseRequest([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
		"Operations":[
			{"op":"Replace","path":"displayName","value":"Pvlo"},
			{"op":"Replace","path":"emails[type eq \"work\"].value","value":"TestBcwqnm@test.microsoft.com"},
			{"op":"Replace","path":"name.givenName","value":"Gtfd"},
			{"op":"Replace","path":"name.familyName","value":"Pkqf"},
			{"op":"Replace","path":"externalId","value":"Eqpj"},
			{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber","value":"Eqpj"}]}`))
	if err != nil {
		b.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(entraUser), &doc); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := scimpatch.Apply(doc, ops); err != nil {
			b.Fatal(err)
		}
	}
}
