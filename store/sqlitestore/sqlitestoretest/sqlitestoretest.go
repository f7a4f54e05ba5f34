// Package sqlitestoretest opens SQLite stores for tests: each on a new file
// in the test's temporary directory, closed when the test ends.
package sqlitestoretest

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
)

// Open returns a migrated store on a new database file, closed by tb's
// cleanup. It fails tb when the store cannot be opened.
func Open(tb testing.TB) store.Store {
	tb.Helper()
	return OpenWith(tb, sqlitestore.Options{})
}

// OpenWith is Open with options (a fixed clock, a logger).
func OpenWith(tb testing.TB, opts sqlitestore.Options) store.Store {
	tb.Helper()
	s, err := sqlitestore.Open(context.Background(), Path(tb), opts)
	if err != nil {
		tb.Fatalf("sqlitestore.Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("closing the SQLite store: %v", err)
		}
	})
	return s
}

// OpenShared returns n migrated stores open on one new database file, as n
// processes sharing the file would be, closed by tb's cleanup.
func OpenShared(tb testing.TB, n int) []store.Store {
	tb.Helper()
	path := Path(tb)
	stores := make([]store.Store, n)
	for i := range stores {
		s, err := sqlitestore.Open(context.Background(), path, sqlitestore.Options{})
		if err != nil {
			tb.Fatalf("sqlitestore.Open #%d: %v", i, err)
		}
		tb.Cleanup(func() {
			if err := s.Close(); err != nil {
				tb.Errorf("closing SQLite store #%d: %v", i, err)
			}
		})
		stores[i] = s
	}
	return stores
}

// Path returns the path of a database file that does not exist yet, in tb's
// temporary directory, for tests that open the database themselves (through
// the command line, say).
func Path(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(tb.TempDir(), "gatehouse.db")
}
