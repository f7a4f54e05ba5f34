package scimhttp_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/server/scimhttp"
)

// TestRenderUnavailable: a 503 says why in terms a client can act on, as a
// SCIM error, with the reference.
func TestRenderUnavailable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"store", &gatehouse.Error{Kind: gatehouse.Unavailable, Message: "the database's disk is full"},
			"the database's disk is full (reference REF)"},
		{"deadline", fmt.Errorf("list users: %w", context.DeadlineExceeded),
			"the request did not finish in time; try again (reference REF)"},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		scimhttp.RenderError(rec, httptest.NewRequest("GET", "/", nil), http.StatusServiceUnavailable, tt.err, "REF")
		var body struct {
			Schemas []string
			Status  string
			Detail  string
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: body %q: %v", tt.name, rec.Body, err)
		}
		if rec.Code != 503 || body.Status != "503" || body.Detail != tt.want ||
			len(body.Schemas) != 1 || body.Schemas[0] != "urn:ietf:params:scim:api:messages:2.0:Error" {
			t.Errorf("%s: RenderError = %d %+v, want 503 with detail %q", tt.name, rec.Code, body, tt.want)
		}
	}
}
