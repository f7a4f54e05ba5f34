package main

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestServeDemo(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", nil, []string{"--demo"}},
		{"variable", map[string]string{"GATEHOUSE_DEMO": "1"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := "sqlite:" + filepath.Join(t.TempDir(), "demo.db")
			args := append([]string{"--db", db, "--base-url", "http://127.0.0.1:8080"}, tt.args...)
			n := startServe(t, tt.env, args...)
			logs := n.stderr.String()
			if !strings.Contains(logs, "Demo: open http://127.0.0.1:8080/groups/demo/-/saml/sso\n") {
				t.Errorf("serve --demo does not say where to go:\n%s", logs)
			}
			if strings.Count(logs, "one-time password") != 1 {
				t.Errorf("serve --demo mentions the one-time password %d times, want once:\n%s", strings.Count(logs, "one-time password"), logs)
			}
			code, body := get(t, "http://"+n.addr+"/-/demo/idp")
			if code != 200 || !strings.Contains(body, "Demo mode: the identity provider is a simulator") {
				t.Errorf("GET /-/demo/idp = %d, want the simulator with the banner:\n%.500s", code, body)
			}
			if err := n.stop(); err != nil {
				t.Fatal(err)
			}
			// A second start with --demo finds everything in place.
			n2 := startServe(t, tt.env, args...)
			if !strings.Contains(n2.stderr.String(), "Demo: open ") {
				t.Errorf("second serve --demo:\n%s", n2.stderr.String())
			}
			if err := n2.stop(); err != nil {
				t.Fatal(err)
			}
			// Without --demo, the simulator is gone.
			n3 := startServe(t, nil, "--db", db)
			if code, _ := get(t, "http://"+n3.addr+"/-/demo/idp"); code != 404 || strings.Contains(n3.stderr.String(), "Demo: open") {
				t.Errorf("serve without --demo: GET /-/demo/idp = %d, want 404", code)
			}
		})
	}
}
