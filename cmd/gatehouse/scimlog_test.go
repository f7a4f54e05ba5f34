package main

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
)

// TestServeWritesSCIMLogAtShutdown checks that serve keeps the SCIM request
// log and writes the entries still queued when it shuts down, before the
// database closes.
func TestServeWritesSCIMLogAtShutdown(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log.db")
	env := map[string]string{"GATEHOUSE_DB": "sqlite:" + path}
	for _, args := range [][]string{
		{"user", "create", "--username", "alice", "--email", "alice@example.com"},
		{"group", "create", "--path", "acme", "--owner", "alice"},
	} {
		if r := gh(t, env, "", args...); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	token := strings.TrimSpace(gh(t, env, "", "scim", "token", "reset", "--group", "acme").stdout)

	n := startServe(t, env)
	base := "http://" + n.addr
	req, _ := http.NewRequest("GET", base+"/api/scim/v2/groups/acme/Users", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /Users = %d, want 200", resp.StatusCode)
	}
	if code, body := get(t, base+"/metrics"); code != 200 || !strings.Contains(body, "gatehouse_scim_request_log_dropped_total") {
		t.Errorf("GET /metrics = %d, want gatehouse_scim_request_log_dropped_total among the metrics", code)
	}
	if err := n.stop(); err != nil {
		t.Fatalf("serve after cancel = %v, want nil", err)
	}

	ctx := context.Background()
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	g, err := s.FindGroupByPath(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	logs, _, err := s.ListSCIMRequestLogs(ctx, g.ID, store.Page{Limit: 10})
	if err != nil || len(logs) != 1 || logs[0].Operation != "list_users" || logs[0].Status != http.StatusOK {
		t.Fatalf("the group's SCIM request log after shutdown = %v, %v; want the one GET", logs, err)
	}
}
