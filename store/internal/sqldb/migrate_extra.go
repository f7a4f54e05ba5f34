package sqldb

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
)

// overlayFS is base with the files of extra added: what Migrations returns
// when a test build adds migrations.
type overlayFS struct{ base, extra fs.FS }

func (o overlayFS) Open(name string) (fs.File, error) {
	if name != "." && !strings.Contains(name, "/") {
		if f, err := o.extra.Open(name); err == nil {
			return f, nil
		}
	}
	return o.base.Open(name)
}

func (o overlayFS) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := fs.ReadDir(o.base, name)
	if err != nil {
		return nil, err
	}
	more, err := fs.ReadDir(o.extra, name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	entries = append(entries, more...)
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	return entries, nil
}
