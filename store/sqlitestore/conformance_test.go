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
