package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/storeurl"
)

// defaultDB is the embedded store in the working directory.
const defaultDB = "sqlite:./gatehouse.db"

// dbFlag registers --db on fs.
func dbFlag(fs *flag.FlagSet) *string {
	return fs.String("db", defaultDB, "database: sqlite:PATH (embedded) or postgres://user:pass@host/db (env GATEHOUSE_DB)")
}

// openStore opens the database the URL names and runs its migrations; a URL
// of the wrong form is a usage error. The URL never appears in errors or logs
// with its password.
func openStore(ctx context.Context, dbURL string, log *slog.Logger) (store.Store, error) {
	s, err := storeurl.Open(ctx, dbURL, log)
	var bad *storeurl.BadURLError
	if errors.As(err, &bad) {
		return nil, usagef("--db: %v", bad)
	}
	return s, err
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
