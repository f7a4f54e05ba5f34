package sqlitestore_test

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/sqlitestore/sqlitestoretest"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return sqlitestoretest.Open(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, sqlitestoretest.Open)
}

func BenchmarkFilter(b *testing.B) {
	storetest.BenchFilter(b, sqlitestoretest.Open)
}

// TestShared races consumers of the SAML sign-in state on two stores open
// on one file, as two processes sharing it would be.
func TestShared(t *testing.T) {
	storetest.RunShared(t, sqlitestoretest.OpenShared(t, 2)...)
}
