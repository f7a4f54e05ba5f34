package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestSmoke runs a small, bounded version of the load run on SQLite: the
// numbers are not checked (speed is measured by the tool, not by tests), the
// outcome is: every user created, every lookup finds its user, the paged
// read sees them all.
func TestSmoke(t *testing.T) {
	var out bytes.Buffer
	db := "sqlite:" + filepath.Join(t.TempDir(), "load.db")
	err := run(context.Background(), []string{"--db", db, "--users", "300", "--concurrency", "4", "--filter-requests", "100", "--count", "50"}, &out)
	if err != nil {
		t.Fatalf("gatehouse-load: %v\n%s", err, out.String())
	}
	for _, want := range []string{"sync: 300 users", "paged read: 300 users in 6 pages", "userName eq   n=50", "externalId eq n=50"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "errors:") {
		t.Errorf("the run had errors:\n%s", out.String())
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--url", "http://127.0.0.1:1/x"},
		{"--db", "sqlite:x", "--url", "http://127.0.0.1:1/x", "--token", "t"},
		{"--db", "sqlite:x", "--concurrency", "0"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("run(%q) = nil, want a usage error", args)
		}
	}
}
