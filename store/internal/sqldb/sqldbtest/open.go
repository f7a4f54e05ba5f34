package sqldbtest

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Database is one new database of a backend, for the checks of Open.
type Database struct {
	// Open opens a store on the database as a starting process does,
	// migrating it; logger receives Open's logs (nil discards them).
	Open func(ctx context.Context, logger *slog.Logger) (store.Store, error)
	// SQL opens a handle of its own on the database, outside any store, for
	// reading and writing goose's version table.
	SQL func() (*sql.DB, error)
	// Dialect and Dir are how the backend migrates the database
	// (sqldb.MigrateConfig), for checks that take its schema back to an
	// earlier version.
	Dialect goose.Dialect
	Dir     string
}

// Exec runs query on a handle of its own and fails t when it fails.
func (d Database) Exec(t *testing.T, query string, args ...any) {
	t.Helper()
	d.withSQL(t, query, func(db *sql.DB) error {
		_, err := db.ExecContext(t.Context(), query, args...)
		return err
	})
}

// withSQL runs fn, which runs query, on a handle of its own and fails t when
// it fails.
func (d Database) withSQL(t *testing.T, query string, fn func(*sql.DB) error) {
	t.Helper()
	db, err := d.SQL()
	if err != nil {
		t.Fatalf("opening a handle on the database: %v", err)
	}
	defer db.Close()
	if err := fn(db); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// OpenConcurrently opens d from n goroutines at once, as processes or nodes
// started together would: every Open must succeed, every store must see the
// others' writes, and each migration must be recorded once.
func OpenConcurrently(t *testing.T, d Database, n int) {
	t.Helper()
	stores := make([]store.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			stores[i], errs[i] = d.Open(t.Context(), nil)
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
	const count = "SELECT COUNT(*), COUNT(DISTINCT version_id) FROM goose_db_version"
	var rows, distinct int
	d.withSQL(t, count, func(db *sql.DB) error {
		return db.QueryRowContext(t.Context(), count).Scan(&rows, &distinct)
	})
	if rows != distinct {
		t.Errorf("goose_db_version has %d rows for %d versions, want one row per version", rows, distinct)
	}
}

// OpenNewerSchema opens d after a newer release has migrated it (a version
// this binary does not know is recorded): Open warns and goes on.
func OpenNewerSchema(t *testing.T, d Database) {
	t.Helper()
	ctx := t.Context()
	s, err := d.Open(ctx, nil)
	if err != nil {
		t.Fatalf("Open = %v", err)
	}
	info, err := s.SchemaInfo(ctx)
	if err != nil {
		t.Fatalf("SchemaInfo = %v", err)
	}
	s.Close()

	future := info.Known + 1
	d.Exec(t, "INSERT INTO goose_db_version (version_id, is_applied) VALUES ($1, true)", future)

	var logs bytes.Buffer
	s, err = d.Open(ctx, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatalf("Open(database at version %d) = %v, want nil", future, err)
	}
	defer s.Close()
	if got := logs.String(); !strings.Contains(got, "level=WARN") || !strings.Contains(got, "schema_version="+strconv.FormatInt(future, 10)) {
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
