package sqlitestore_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb/sqldbtest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

func TestSQLDB(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T) store.Store { return sqlitestoretest.Open(t) })
}

// TestOpenConcurrently opens one database from several goroutines at once,
// as processes started together would. It races on a new file, and on a file
// where goose's version table exists but no migration ran, so that the
// goroutines race on the migrations themselves rather than queue behind the
// table's creation.
func TestOpenConcurrently(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, d sqldbtest.Database)
	}{
		{"new file", func(*testing.T, sqldbtest.Database) {}},
		{"version table only", func(t *testing.T, d sqldbtest.Database) {
			// What goose creates before the first migration.
			d.Exec(t, `CREATE TABLE goose_db_version (id INTEGER PRIMARY KEY AUTOINCREMENT,
	version_id INTEGER NOT NULL, is_applied INTEGER NOT NULL, tstamp TIMESTAMP DEFAULT (datetime('now')));
INSERT INTO goose_db_version (version_id, is_applied) VALUES (0, 1);`)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 3 {
				d := database(t)
				tt.prepare(t, d)
				sqldbtest.OpenConcurrently(t, d, 6)
			}
		})
	}
}

func TestOpenNewerSchema(t *testing.T) {
	sqldbtest.OpenNewerSchema(t, database(t))
}

func TestOpenUpgrade(t *testing.T) {
	sqldbtest.OpenUpgrade(t, database(t))
}

func TestOpenUpgradeRoleSource(t *testing.T) {
	sqldbtest.OpenUpgradeRoleSource(t, database(t))
}

// database returns a new database file for sqldbtest's checks of Open.
func database(t *testing.T) sqldbtest.Database {
	path := sqlitestoretest.Path(t)
	return sqldbtest.Database{
		Open: func(ctx context.Context, logger *slog.Logger) (store.Store, error) {
			return sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: logger})
		},
		SQL:     func() (*sql.DB, error) { return sql.Open("sqlite", "file:"+path) },
		Dialect: goose.DialectSQLite3,
		Dir:     sqldb.SQLiteDir,
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

// TestCheckpointInBackground commits a few small transactions, far fewer
// WAL frames than the writer's own automatic checkpoint waits for, and
// expects their pages in the database file soon after anyway: the
// checkpointer's connection copied them while the store stayed open.
func TestCheckpointInBackground(t *testing.T) {
	path := sqlitestoretest.Path(t)
	s, err := sqlitestore.Open(t.Context(), path, sqlitestore.Options{})
	if err != nil {
		t.Fatalf("Open(%q) = %v, want nil", path, err)
	}
	defer s.Close()
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatalf("Stat(%q) = %v", path, err)
		}
		return fi.Size()
	}
	before := size()
	g := storetest.MustCreateGroup(t, s, "checkpoint")
	for i := range 20 {
		storetest.MustCreateManagedUser(t, s, g.ID, fmt.Sprintf("checkpoint%d", i))
	}
	for deadline := time.Now().Add(10 * time.Second); size() <= before; {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 10 s after 21 commits, want the WAL copied into it", size())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
