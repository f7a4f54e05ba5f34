package sqlitestore_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb/sqldbtest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

func TestSQLDB(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T) store.Store { return sqlitestoretest.Open(t) })
}

// TestOpenConcurrently opens one database from several goroutines at once,
// as processes started together would: every Open must succeed and leave the
// database migrated once. It races on a new file, and on a file where goose's
// version table exists but no migration ran, so that the goroutines race on
// the migrations themselves rather than queue behind the table's creation.
func TestOpenConcurrently(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
	}{
		{"new file", func(*testing.T, string) {}},
		{"version table only", func(t *testing.T, path string) {
			db, err := sql.Open("sqlite", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			// What goose creates before the first migration.
			_, err = db.Exec(`CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
	version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);`)
			if err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 {
				path := sqlitestoretest.Path(t)
				tt.prepare(t, path)
				openConcurrently(t, path, 6)
			}
		})
	}
}

func openConcurrently(t *testing.T, path string, n int) {
	t.Helper()
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open #%d = %v, want nil", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	info, err := stores[0].SchemaInfo(t.Context())
	if err != nil || info.Current != info.Known || info.Known == 0 {
		t.Errorf("SchemaInfo() = %+v, %v; want Current == Known > 0", info, err)
	}
	// Every store sees the others' writes.
	g := &gatehouse.Group{Path: "acme", Name: "Acme", DefaultRole: gatehouse.Guest}
	if err := stores[1].CreateGroup(t.Context(), g); err != nil {
		t.Fatalf("CreateGroup = %v", err)
	}
	if _, err := stores[n-1].FindGroupByID(t.Context(), g.ID); err != nil {
		t.Errorf("FindGroupByID(%d) on another store = %v, want nil", g.ID, err)
	}
	countVersions(t, path)
}

// countVersions checks that each migration was recorded once.
func countVersions(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows, distinct int
	if err := db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT version_id) FROM goose_db_version").Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != distinct {
		t.Errorf("goose_db_version has %d rows for %d versions, want one row per version", rows, distinct)
	}
}

// TestOpenNewerSchema opens a database that a newer release has migrated
// (a version this binary does not know is recorded): Open warns and goes on.
func TestOpenNewerSchema(t *testing.T) {
	ctx := t.Context()
	path := sqlitestoretest.Path(t)
	s, err := sqlitestore.Open(ctx, path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	info, err := s.SchemaInfo(ctx)
	if err != nil {
		t.Fatalf("SchemaInfo = %v", err)
	}
	s.Close()

	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	future := info.Known + 1
	if _, err := db.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, 1)", future); err != nil {
		t.Fatalf("recording version %d: %v", future, err)
	}
	db.Close()

	var logs bytes.Buffer
	s, err = sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open(database at version %d) = %v, want nil", future, err)
	}
	defer s.Close()
	if got, want := logs.String(), "level=WARN"; !strings.Contains(got, want) || !strings.Contains(got, "schema_version="+strconv.FormatInt(future, 10)) {
		t.Errorf("Open(database at version %d) logged %q, want a warning naming the version", future, got)
	}
	got, err := s.SchemaInfo(ctx)
	if want := (store.SchemaInfo{Current: future, Known: info.Known}); err != nil || got != want {
		t.Errorf("SchemaInfo() = %+v, %v; want %+v", got, err, want)
	}
	if err := s.CreateGroup(ctx, &gatehouse.Group{Path: "acme", Name: "Acme", DefaultRole: gatehouse.Guest}); err != nil {
		t.Errorf("CreateGroup on the newer schema = %v, want nil", err)
	}
}

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		name string
		path string
		kind gatehouse.Kind
	}{
		{"empty", "", gatehouse.Invalid},
		{"in memory", ":memory:", gatehouse.Invalid},
		{"URI", "file:x.db", gatehouse.Invalid},
		{"missing directory", filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"), gatehouse.Unavailable},
	}
	for _, tt := range tests {
		s, err := sqlitestore.Open(context.Background(), tt.path, sqlitestore.Options{})
		if err == nil {
			s.Close()
		}
		if got := gatehouse.ErrorKind(err); err == nil || got != tt.kind {
			t.Errorf("Open(%q) = %v (kind %v), want kind %v", tt.path, err, got, tt.kind)
		}
	}
}

// TestOpenOddPath opens a file whose name holds the characters SQLite URIs
// give a meaning to.
func TestOpenOddPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a?b#c%20d.db")
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	defer s.Close()
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.db"))
	if len(matches) != 1 || matches[0] != path {
		t.Errorf("Open(%q) created %q, want exactly that file", path, matches)
	}
}

// TestStats checks the pool names.
func TestStats(t *testing.T) {
	s := sqlitestoretest.Open(t)
	got := s.Stats()
	if len(got) != 2 || got["write"].MaxOpenConnections != 1 || got["read"].MaxOpenConnections < 1 {
		t.Errorf("Stats() = %+v, want pools read and write (of one connection)", got)
	}
}
