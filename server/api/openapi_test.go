package api_test

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOpenAPIMatchesRoutes holds the OpenAPI document to the routes the
// server really serves: every route under /api/v4 is documented, every
// documented path and method is routed, and the document is valid JSON of
// OpenAPI 3.1 whose references all resolve.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("openapi.json is not valid JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}

	backends(t, func(t *testing.T, e *env) {
		e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")

		// What the server routes under /api/v4, as "METHOD /path".
		var served []string
		for _, p := range e.srv.Routes() {
			method, path, ok := strings.Cut(p, " ")
			if !ok {
				t.Errorf("route %q has no method; every /api/v4 route must name one", p)
				continue
			}
			if strings.HasPrefix(path, "/api/v4/") || path == "/api/v4" {
				served = append(served, method+" "+path)
			}
		}
		slices.Sort(served)

		// What the document describes.
		var documented []string
		methods := map[string]bool{"get": true, "put": true, "post": true, "delete": true, "options": true, "head": true, "patch": true, "trace": true}
		for path, item := range doc.Paths {
			for m := range item {
				if methods[m] {
					documented = append(documented, strings.ToUpper(m)+" "+path)
				}
			}
		}
		slices.Sort(documented)
		if diff := cmp.Diff(served, documented); diff != "" {
			t.Errorf("routes served under /api/v4 (-) and documented in openapi.json (+) differ:\n%s", diff)
		}

		// Each documented operation is routed: the mux answers neither its
		// own 404 (text/plain) nor 405.
		values := map[string]string{"id": "acme.corp", "uid": "alice-uid", "name": "Engineering"}
		param := regexp.MustCompile(`\{([^}]+)\}`)
		for _, op := range documented {
			method, path, _ := strings.Cut(op, " ")
			path = param.ReplaceAllStringFunc(path, func(m string) string { return values[m[1:len(m)-1]] })
			r := request{method: method, path: path, token: e.tokens["olga"]}
			if method == "PATCH" {
				r.body, r.contentType = `{"extern_uid":"alice-uid"}`, "application/json"
			}
			got := e.do(r)
			routed := got.status != 405 && !(got.status == 404 && strings.HasPrefix(got.header.Get("Content-Type"), "text/plain"))
			if !routed || got.status >= 500 {
				t.Errorf("%s %s (documented) = %d %q: not served", method, path, got.status, got.body)
			}
		}

		// The served document is the file, with the server's base URL.
		got := e.do(request{method: "GET", path: "/api/v4/openapi.json"})
		e.want("GET openapi.json", got, 200, "")
		var servedDoc, fileDoc map[string]any
		json.Unmarshal([]byte(got.body), &servedDoc)
		json.Unmarshal(raw, &fileDoc)
		fileDoc["servers"] = []any{map[string]any{"url": base}}
		if diff := cmp.Diff(fileDoc, servedDoc); diff != "" {
			t.Errorf("served document differs from openapi.json with its servers set (-file +served):\n%s", diff)
		}
	})

	// Every $ref points into the document.
	var whole any
	json.Unmarshal(raw, &whole)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok && resolve(whole, ref) == nil {
				t.Errorf("$ref %q does not resolve", ref)
			}
			for _, c := range v {
				walk(c)
			}
		case []any:
			for _, c := range v {
				walk(c)
			}
		}
	}
	walk(whole)
}

// resolve follows a local JSON pointer reference ("#/components/…").
func resolve(doc any, ref string) any {
	p, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	cur := doc
	for _, part := range strings.Split(p, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[strings.NewReplacer("~1", "/", "~0", "~").Replace(part)]
	}
	return cur
}
