package server

import (
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMetrics(t *testing.T) {
	db := &fakeDB{stats: map[string]sql.DBStats{
		"read":  {OpenConnections: 3, InUse: 1, Idle: 2, WaitCount: 7, WaitDuration: 1500 * time.Millisecond},
		"write": {OpenConnections: 1, InUse: 0, Idle: 1},
	}}
	s, _ := newTestServer(t, Config{DB: db})
	s.HandleFunc("GET /api/scim/v2/groups/{group}/Users", func(w http.ResponseWriter, r *http.Request) error {
		return nil
	})

	serve(t, s, httptest.NewRequest("GET", "/api/scim/v2/groups/acme/Users", nil))
	serve(t, s, httptest.NewRequest("GET", "/api/scim/v2/groups/other/Users", nil))
	serve(t, s, httptest.NewRequest("GET", "/no/such/secret-path-123", nil))
	serve(t, s, httptest.NewRequest("BREW", "/api/scim/v2/groups/acme/Users", nil))
	res, body := serve(t, s, httptest.NewRequest("GET", "/metrics", nil))
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics status = %d, want 200", res.StatusCode)
	}

	for _, want := range []string{
		`gatehouse_http_requests_total{method="GET",route="GET /api/scim/v2/groups/{group}/Users",status="200"} 2`,
		`gatehouse_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`gatehouse_http_requests_total{method="other",route="unmatched",status="405"} 1`,
		`gatehouse_http_request_duration_seconds_count{method="GET",route="GET /api/scim/v2/groups/{group}/Users"} 2`,
		`gatehouse_db_open_connections{pool="read"} 3`,
		`gatehouse_db_in_use_connections{pool="read"} 1`,
		`gatehouse_db_idle_connections{pool="read"} 2`,
		`gatehouse_db_wait_count_total{pool="read"} 7`,
		`gatehouse_db_wait_duration_seconds_total{pool="read"} 1.5`,
		`gatehouse_db_open_connections{pool="write"} 1`,
		`go_goroutines `,
		`process_start_time_seconds`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, leak := range []string{"secret-path-123", "acme", "BREW"} {
		if strings.Contains(body, leak) {
			t.Errorf("/metrics contains %q from a request: label sets must stay bounded", leak)
		}
	}

	// The scrape itself is counted on the next one.
	_, body = serve(t, s, httptest.NewRequest("GET", "/metrics", nil))
	if want := `gatehouse_http_requests_total{method="GET",route="GET /metrics",status="200"} 1`; !strings.Contains(body, want) {
		t.Errorf("/metrics lacks %s", want)
	}
}
