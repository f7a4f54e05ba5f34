package pgstore_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	"github.com/pressly/goose/v3"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb"
	"github.com/gatehouse-sso/gatehouse/store/internal/sqldb/sqldbtest"
	"github.com/gatehouse-sso/gatehouse/store/pgstore"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
)

func TestSQLDB(t *testing.T) {
	sqldbtest.Run(t, func(t *testing.T) store.Store { return pgstoretest.Open(t) })
}

func TestRedactDSN(t *testing.T) {
	tests := []struct {
		name string
		dsn  string
		want string
	}{
		{"URL", "postgres://gatehouse:s3cret@db.example:5432/gatehouse?sslmode=require",
			"postgres://gatehouse:xxxxx@db.example:5432/gatehouse?sslmode=require"},
		{"postgresql scheme", "postgresql://u:s3cret@h/d", "postgresql://u:xxxxx@h/d"},
		{"URL without password", "postgres://gatehouse@db.example/gatehouse", "postgres://gatehouse@db.example/gatehouse"},
		{"URL without user", "postgres://db.example/gatehouse?sslmode=disable", "postgres://db.example/gatehouse?sslmode=disable"},
		{"URL with escaped password", "postgres://u:p%40ss%2Fword@h/d", "postgres://u:xxxxx@h/d"},
		{"password parameter", "postgres://u@h/d?password=s3cret&sslmode=disable", "postgres://u@h/d?password=xxxxx&sslmode=disable"},
		{"sslpassword parameter", "postgres://u@h/d?sslpassword=s3cret", "postgres://u@h/d?sslpassword=xxxxx"},
		{"malformed URL", "postgres://u:s3cret@h:port/d?password=s3cret", "postgres://u:xxxxx@h:port/d?password=xxxxx"},
		{"several hosts", "postgres://u:s3cret@h1:5432,h2:5432/d", "postgres://u:xxxxx@h1:5432,h2:5432/d"},
		{"unescaped slash in password", "postgres://u:s3/cret@h/d", "postgres://u:xxxxx@h/d"},
		{"unescaped slash after digits", "postgres://u:123/s3cret@h/d", "postgres://u:xxxxx@h/d"},
		{"unescaped at sign in password", "postgres://u:s3@cret@h/d", "postgres://u:xxxxx@h/d"},
		{"keyword/value", "host=db.example user=gatehouse password=s3cret dbname=gatehouse",
			"host=db.example user=gatehouse password=xxxxx dbname=gatehouse"},
		{"keyword/value, quoted", "host=h password='s3 cr\\'et' dbname=d", "host=h password=xxxxx dbname=d"},
		{"keyword/value, spaced", "host=h password = s3cret dbname=d", "host=h password = xxxxx dbname=d"},
		{"keyword/value, last", "host=h password=s3cret", "host=h password=xxxxx"},
		{"keyword/value, sslpassword", "host=h sslpassword=s3cret", "host=h sslpassword=xxxxx"},
		{"keyword/value without password", "host=h dbname=d", "host=h dbname=d"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		got := pgstore.RedactDSN(tt.dsn)
		if got != tt.want {
			t.Errorf("%s: RedactDSN(%q) = %q, want %q", tt.name, tt.dsn, got, tt.want)
		}
		if strings.Contains(got, "s3") {
			t.Errorf("%s: RedactDSN(%q) = %q, which still holds the password", tt.name, tt.dsn, got)
		}
	}
}

// TestOpenUnreachable needs no database: nothing listens on port 1.
func TestOpenUnreachable(t *testing.T) {
	tests := []struct {
		name     string
		dsn      string
		kind     gatehouse.Kind
		redacted string
	}{
		{"URL", "postgres://gatehouse:s3cret@127.0.0.1:1/gatehouse?sslmode=disable", gatehouse.Unavailable,
			"postgres://gatehouse:xxxxx@127.0.0.1:1/gatehouse?sslmode=disable"},
		{"keyword/value", "host=127.0.0.1 port=1 user=gatehouse password=s3cret dbname=gatehouse sslmode=disable", gatehouse.Unavailable,
			"host=127.0.0.1 port=1 user=gatehouse password=xxxxx dbname=gatehouse sslmode=disable"},
		{"invalid", "postgres://gatehouse:s3cret@127.0.0.1:notaport/gatehouse", gatehouse.Invalid,
			"postgres://gatehouse:xxxxx@127.0.0.1:notaport/gatehouse"},
	}
	for _, tt := range tests {
		s, err := pgstore.Open(context.Background(), tt.dsn, pgstore.Options{})
		if err == nil {
			s.Close()
			t.Errorf("%s: Open(%q) = nil error, want %v", tt.name, tt.dsn, tt.kind)
			continue
		}
		if got := gatehouse.ErrorKind(err); got != tt.kind {
			t.Errorf("%s: Open(%q) = %v (kind %v), want kind %v", tt.name, tt.dsn, err, got, tt.kind)
		}
		if msg := gatehouse.ErrorMessage(err); !strings.Contains(msg, tt.redacted) {
			t.Errorf("%s: Open(%q) message = %q, want it to contain %q", tt.name, tt.dsn, msg, tt.redacted)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: Open(%q) = %q, which holds the password", tt.name, tt.dsn, err)
		}
	}
}

// TestOpenConcurrently opens one new schema from several goroutines at once,
// as nodes started together would: the advisory lock makes one migrate and
// the others find the schema current.
func TestOpenConcurrently(t *testing.T) {
	sqldbtest.OpenConcurrently(t, database(t), 4)
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

func TestStats(t *testing.T) {
	s := pgstoretest.Open(t)
	if got := s.Stats(); len(got) != 1 {
		t.Errorf("Stats() = %+v, want the one pool main", got)
	} else if _, ok := got["main"]; !ok {
		t.Errorf("Stats() = %+v, want the one pool main", got)
	}
}

// database returns a new schema for sqldbtest's checks of Open.
func database(t *testing.T) sqldbtest.Database {
	dsn := pgstoretest.DSN(t)
	return sqldbtest.Database{
		Open: func(ctx context.Context, logger *slog.Logger) (store.Store, error) {
			return pgstore.Open(ctx, dsn, pgstore.Options{Logger: logger})
		},
		SQL:     func() (*sql.DB, error) { return sql.Open("pgx", dsn) }, // pgx's stdlib driver, which pgstore registers
		Dialect: goose.DialectPostgres,
		Dir:     sqldb.PostgresDir,
	}
}
