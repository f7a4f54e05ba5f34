//go:build !gatehouse_testnext

package sqldb

import "io/fs"

// extraMigrations returns the migrations a test build adds to the
// embedded ones of dir (migrate_testnext.go); the real binary has none.
func extraMigrations(dir string) (fs.FS, error) { return nil, nil }
