package storetest

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/store"
)

// RunShared checks the single-use guarantees of the SAML sign-in state
// across several stores open on one database, as the nodes of one instance
// are (security.md §5.7): in each subtest, racers spread over the stores
// race for one thing (an instance key, an assertion ID, a request, a flow)
// and exactly one wins, or count failed sign-ins of one key and each
// counts once. stores must be open on the same, migrated
// database, and at least two; each subtest creates rows of its own.
func RunShared(t *testing.T, stores ...store.Store) {
	t.Helper()
	if len(stores) < 2 {
		t.Fatalf("RunShared needs two stores or more, got %d", len(stores))
	}
	storeOf := func(racer int) store.Store { return stores[racer%len(stores)] }
	t.Run("SAMLAssertion", func(t *testing.T) { raceSAMLAssertion(t, stores[0], storeOf) })
	t.Run("SAMLRequest", func(t *testing.T) { raceSAMLRequest(t, stores[0], storeOf) })
	t.Run("SAMLFlow", func(t *testing.T) { raceSAMLFlow(t, stores[0], storeOf) })
	t.Run("InstanceKey", func(t *testing.T) { raceInstanceKey(t, storeOf) })
	t.Run("SignInFailures", func(t *testing.T) { raceSignInFailures(t, stores[0], storeOf) })
}
