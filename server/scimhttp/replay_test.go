package scimhttp_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gatehouse-sso/gatehouse/internal/replay"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
)

// TestReplay replays the requests real identity providers send, one fixture
// file per request and response (testdata/replay/<idp>/), each IdP's
// sequence against a fresh server and group.
func TestReplay(t *testing.T) {
	dirs, err := filepath.Glob("testdata/replay/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no replay fixtures: %v", err)
	}
	for _, b := range []struct {
		name string
		open func(testing.TB) store.Store
	}{{"sqlite", sqlitestoretest.Open}, {"postgres", pgstoretest.Open}} {
		t.Run(b.name, func(t *testing.T) {
			if b.name == "postgres" && os.Getenv(pgstoretest.EnvDSN) == "" {
				t.Skipf("%s is not set", pgstoretest.EnvDSN)
			}
			for _, dir := range dirs {
				t.Run(filepath.Base(dir), func(t *testing.T) {
					e := newEnv(t, b.open(t))
					replay.Run(t, replay.Config{
						Base: e.byPath(),
						Vars: map[string]string{
							"token":        e.token,
							"base_by_path": e.byPath(),
							"base_by_id":   e.byID(),
						},
					}, dir)
				})
			}
		})
	}
}
