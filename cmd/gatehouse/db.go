package main

import (
	"context"
	"flag"
	"log/slog"
	"strings"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
)

// defaultDB is the embedded store in the working directory.
const defaultDB = "sqlite:./gatehouse.db"

// dbFlag registers --db on fs.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "database: sqlite:PATH (embedded) or postgres://user:pass@host/db (env GATEHOUSE_DB)")
}

// openStore opens the database the URL names and runs its migrations. The URL
// never appears in errors or logs with its password.
func openStore(ctx context.Context, dbURL string, log *slog.Logger) (store.Store, error) {
	switch {
	case strings.HasPrefix(dbURL, "sqlite:"):
		path := strings.TrimPrefix(dbURL, "sqlite:")
		if strings.HasPrefix(path, "//") {
			path = path[2:] // sqlite:///abs/path and sqlite://rel/path
		}
		if path == "" {
			return nil, usagef("--db %q names no file; use sqlite:PATH, e.g. sqlite:./gatehouse.db", dbURL)
		}
		return sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: log})
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return pgstore.Open(ctx, dbURL, pgstore.Options{Logger: log})
	}
	return nil, usagef("--db %q is not sqlite:PATH or a postgres:// URL", pgstore.RedactDSN(dbURL))
}

// withStore opens the store for a one-shot command, runs fn and closes it.
// Migration notices go to stderr as text.
func (c *cli) withStore(ctx context.Context, dbURL string, fn func(s store.Store) error) error {
	log := slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := openStore(ctx, dbURL, log)
	if err != nil {
		return err
	}
	defer s.Close()
	return fn(s)
}
