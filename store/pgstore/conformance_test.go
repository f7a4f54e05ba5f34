package pgstore_test

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

// The suite runs when GATEHOUSE_TEST_POSTGRES names a database (see
// pgstoretest); each case gets a schema of its own.

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return pgstoretest.Open(t) })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, pgstoretest.Open)
}

func BenchmarkFilter(b *testing.B) {
	storetest.BenchFilter(b, pgstoretest.Open)
}

// TestShared races consumers of the SAML sign-in state on two stores, each
// with a pool of its own, on one schema: two nodes of one instance. The
// replay cache holds across them (security.md §5.7).
func TestShared(t *testing.T) {
	storetest.RunShared(t, pgstoretest.OpenShared(t, 2)...)
}
