// Package storeurl opens the store a database URL names, the form every
// Gatehouse command takes in --db: sqlite:PATH for the embedded store, or a
// postgres:// (postgresql://) URL.
package storeurl

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore"
)

// BadURLError is a URL of neither form; its message shows the URL with the
// password redacted and says what to write instead.
type BadURLError struct{ msg string }

func (e *BadURLError) Error() string { return e.msg }

// Open opens (and migrates) the store the URL names. Migration notices go to
// log. Errors other than *BadURLError come from the backend.
func Open(ctx context.Context, url string, log *slog.Logger) (store.Store, error) {
	switch {
	case strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if strings.HasPrefix(path, "//") {
			path = path[2:] // sqlite:///abs/path and sqlite://rel/path
		}
		if path == "" {
			return nil, &BadURLError{fmt.Sprintf("database URL %q names no file; use sqlite:PATH, e.g. sqlite:./gatehouse.db", url)}
		}
		return sqlitestore.Open(ctx, path, sqlitestore.Options{Logger: log})
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		return pgstore.Open(ctx, url, pgstore.Options{Logger: log})
	}
	return nil, &BadURLError{fmt.Sprintf("database URL %q is not sqlite:PATH or a postgres:// URL", pgstore.RedactDSN(url))}
}
