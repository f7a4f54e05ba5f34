package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/pressly/goose/v3"
)

// migrationFiles holds one directory of goose SQL migrations per database.
// The two directories carry the same versions (a test checks), each written
// in its database's flavour.
//
//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// The migration directories, for Migrations and MigrateConfig.Dir.
const (
	SQLiteDir   = "sqlite"
	PostgresDir = "postgres"
)

// Migrations returns the migration files of one database: SQLiteDir or
// PostgresDir.
func Migrations(dir string) (fs.FS, error) {
	return fs.Sub(migrationFiles, "migrations/"+dir)
}

// MigrateConfig says how to migrate one database.
type MigrateConfig struct {
	Dialect goose.Dialect
	Dir     string // SQLiteDir or PostgresDir
	DB      *sql.DB
	// Options are added to the goose provider's (a session locker, say).
	Options []goose.ProviderOption
	// Logger receives the applied migrations and the newer-schema warning.
	// Nil discards them.
	Logger *slog.Logger
}

// upAttempts bounds how often Migrate runs goose's Up while other processes
// are migrating the same database.
const upAttempts = 10

// Migrate applies the pending migrations and returns the newest version the
// binary knows.
//
// When several processes migrate one database at once, goose serializes
// them on PostgreSQL (with the advisory lock a backend passes in Options);
// on SQLite each migration is one IMMEDIATE transaction and the schema makes
// a second application of a version fail (see the SQLite migration), so a
// process that loses the race gets an error although the database is fine.
// Migrate therefore treats a failed Up as success when the database is then
// current, and otherwise tries again a few times, since the winner may still
// be applying later versions.
//
// A database newer than the binary (a later release has migrated it, and
// this one runs beside it during a rolling upgrade) is logged as a warning
// and accepted: migrations only ever add what older code can ignore.
func Migrate(ctx context.Context, cfg MigrateConfig) (known int64, err error) {
	fsys, err := Migrations(cfg.Dir)
	if err != nil {
		return 0, err
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	opts := append([]goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}, cfg.Options...)
	p, err := goose.NewProvider(cfg.Dialect, cfg.DB, fsys, opts...)
	if err != nil {
		return 0, fmt.Errorf("load migrations: %w", err)
	}
	sources := p.ListSources()
	known = sources[len(sources)-1].Version // NewProvider refuses an empty list

	var upErr error
	for attempt := 1; attempt <= upAttempts; attempt++ {
		res, err := p.Up(ctx)
		for _, r := range res {
			logger.InfoContext(ctx, "applied database migration", "version", r.Source.Version, "duration", r.Duration)
		}
		if err == nil {
			upErr = nil
			break
		}
		upErr = err
		var partial *goose.PartialError
		if errors.As(err, &partial) {
			for _, r := range partial.Applied {
				logger.InfoContext(ctx, "applied database migration", "version", r.Source.Version, "duration", r.Duration)
			}
		}
		if current, verr := p.GetDBVersion(ctx); verr == nil && current >= known {
			upErr = nil // another process finished the job
			break
		}
		select {
		case <-ctx.Done():
			return known, errors.Join(upErr, ctx.Err())
		case <-time.After(time.Duration(attempt) * 50 * time.Millisecond):
		}
	}
	if upErr != nil {
		return known, fmt.Errorf("migrate the database: %w", upErr)
	}

	current, err := p.GetDBVersion(ctx)
	if err != nil {
		return known, fmt.Errorf("read the schema version: %w", err)
	}
	if current > known {
		logger.WarnContext(ctx, "the database schema is newer than this binary; continuing, as during a rolling upgrade",
			"schema_version", current, "known_version", known)
	}
	return known, nil
}
