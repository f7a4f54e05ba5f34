//go:build gatehouse_testnext

package sqldb

import (
	"embed"
	"io/fs"
)

// nextFiles is the migration of a "next release" that test/crash runs
// beside today's binary (see testnext/sqlite/90001_testnext_note.sql).
// Only a binary built with -tags gatehouse_testnext embeds it; the real
// binary never does (TestNoTestMigrations).
//
//go:embed testnext/sqlite/*.sql testnext/postgres/*.sql
var nextFiles embed.FS

func extraMigrations(dir string) (fs.FS, error) { return fs.Sub(nextFiles, "testnext/"+dir) }
