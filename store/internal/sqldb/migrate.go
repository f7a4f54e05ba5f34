package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/scim"
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
	base, err := fs.Sub(migrationFiles, "migrations/"+dir)
	if err != nil {
		return nil, err
	}
	extra, err := extraMigrations(dir)
	if err != nil || extra == nil {
		return base, err
	}
	return overlayFS{base: base, extra: extra}, nil
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
//
// Then Migrate does what SQL cannot: it fills in the formatted names of SCIM
// identities that have none yet (fillFormattedNames).
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
	if err := fillFormattedNames(ctx, cfg.DB); err != nil {
		return known, fmt.Errorf("fill in the formatted names of SCIM identities: %w", err)
	}
	if current > known {
		logger.WarnContext(ctx, "the database schema is newer than this binary; continuing, as during a rolling upgrade",
			"schema_version", current, "known_version", known)
	}
	return known, nil
}

// fillBatch is how many rows one statement of fillFormattedNames reads or
// writes.
const fillBatch = 500

// fillFormattedNames gives every SCIM identity whose formatted_name is NULL
// (written before migration 00004, or since by a release before it) the
// name.formatted of its stored document and its canonical key, which SQL
// cannot compute. It reads the rows in id order through the partial index
// on them, so that once none is left it costs one index probe. A row is
// written only while its version is the one read, so a concurrent update
// keeps what it wrote (and a row whose update came from a previous release
// is filled in at the next start). Several processes may run it at once.
func fillFormattedNames(ctx context.Context, db *sql.DB) error {
	type row struct {
		id, version int64
		doc         string
	}
	for after := int64(0); ; {
		rows, err := db.QueryContext(ctx, `SELECT id, version, attributes FROM scim_identities
WHERE formatted_name IS NULL AND id > $1 ORDER BY id LIMIT $2`, after, fillBatch)
		if err != nil {
			return err
		}
		var batch []row
		for rows.Next() {
			var r row
			if err := rows.Scan(&r.id, &r.version, &r.doc); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			return nil
		}
		var (
			b    strings.Builder
			args []any
		)
		// VALUES names its columns column1, column2, … on both databases;
		// the casts give PostgreSQL the types of the ids.
		b.WriteString(`UPDATE scim_identities SET formatted_name = v.column3, formatted_name_key = v.column4 FROM (VALUES `)
		for i, r := range batch {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "(CAST($%d AS BIGINT), CAST($%d AS BIGINT), $%d, $%d)", n+1, n+2, n+3, n+4)
			formatted := scim.FormattedName([]byte(r.doc))
			args = append(args, r.id, r.version, formatted, canon.Key(formatted))
		}
		b.WriteString(`) AS v WHERE scim_identities.id = v.column1 AND scim_identities.version = v.column2
	AND scim_identities.formatted_name IS NULL`)
		if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		after = batch[len(batch)-1].id
	}
}
