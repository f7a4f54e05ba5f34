// Package pgstoretest opens PostgreSQL stores for tests. It runs them
// against the database named by the environment variable
// GATEHOUSE_TEST_POSTGRES (a DSN, for example
// postgres://postgres@127.0.0.1:5432/gatehouse_test?sslmode=disable) and
// skips the test when the variable is empty. Each test gets a new schema of
// its own, dropped when the test ends, so tests may run in parallel and
// leave nothing behind.
package pgstoretest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore"
)

// EnvDSN is the environment variable that holds the test database's DSN.
const EnvDSN = "GATEHOUSE_TEST_POSTGRES"

// Open returns a migrated store in a new schema, closed and dropped by tb's
// cleanup. It skips tb when EnvDSN is empty and fails it when the store
// cannot be opened.
func Open(tb testing.TB) store.Store {
	tb.Helper()
	return OpenWith(tb, pgstore.Options{})
}

// OpenWith is Open with options (a fixed clock, a logger).
func OpenWith(tb testing.TB, opts pgstore.Options) store.Store {
	tb.Helper()
	s, err := pgstore.Open(context.Background(), DSN(tb), opts)
	if err != nil {
		tb.Fatalf("pgstore.Open: %v", err)
	}
	// Registered after DSN's cleanup, so it runs first: the store lets go
	// of its connections before the schema is dropped.
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("closing the PostgreSQL store: %v", err)
		}
	})
	return s
}

// OpenShared returns n migrated stores open on one new schema, as n nodes
// of one instance would be, each with a pool of its own; they are closed,
// and the schema dropped, by tb's cleanup. It skips tb when EnvDSN is empty.
func OpenShared(tb testing.TB, n int) []store.Store {
	tb.Helper()
	dsn := DSN(tb)
	stores := make([]store.Store, n)
	for i := range stores {
		s, err := pgstore.Open(context.Background(), dsn, pgstore.Options{})
		if err != nil {
			tb.Fatalf("pgstore.Open #%d: %v", i, err)
		}
		// Registered after DSN's cleanup, so they run first.
		tb.Cleanup(func() {
			if err := s.Close(); err != nil {
				tb.Errorf("closing PostgreSQL store #%d: %v", i, err)
			}
		})
		stores[i] = s
	}
	return stores
}

// DSN creates a new, empty schema and returns EnvDSN's DSN with its
// search_path set to it, for tests that open the database themselves
// (through the command line, say). The schema is dropped by tb's cleanup. It
// skips tb when EnvDSN is empty.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		tb.Skipf("%s is not set; skipping the PostgreSQL test", EnvDSN)
	}
	b := make([]byte, 8)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	schema := "gatehouse_test_" + hex.EncodeToString(b)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		tb.Fatalf("connecting to %s: %v", pgstore.RedactDSN(base), err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("creating schema %s: %v", schema, err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("connecting to %s to drop schema %s: %v", pgstore.RedactDSN(base), schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			tb.Errorf("dropping schema %s: %v", schema, err)
		}
	})
	return withSearchPath(base, schema)
}

// withSearchPath returns dsn with the search_path run-time parameter set to
// schema, in either DSN form. pgx sends parameters it does not know itself
// to the server at connection start.
func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	// keyword=value: a later keyword overrides an earlier one.
	return dsn + " search_path=" + schema
}
