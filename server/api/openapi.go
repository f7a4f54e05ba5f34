package api

import (
	_ "embed"
	"encoding/json"
	"net/http"
)

// openAPIJSON is the OpenAPI 3.1 document of every /api/v4 route, written
// by hand; TestOpenAPIMatchesRoutes holds it to the routes really served.
//
//go:embed openapi.json
var openAPIJSON []byte

// openAPIDocument returns the document with its servers set to base, the
// server's public URL.
func openAPIDocument(base string) []byte {
	var doc map[string]any
	if err := json.Unmarshal(openAPIJSON, &doc); err != nil {
		panic("api: the embedded openapi.json is not valid JSON: " + err.Error())
	}
	doc["servers"] = []map[string]string{{"url": base}}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic("api: marshal the OpenAPI document: " + err.Error())
	}
	return b
}

// openAPI is GET /api/v4/openapi.json. It needs no token: it describes the
// API, nothing of any group.
func (h *Handler) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(h.doc)
	return err
}
