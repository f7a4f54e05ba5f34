// Package storetest is the conformance suite of the store contract. Every
// backend runs Run from a test file of a few lines, and Bench and BenchFilter
// from benchmarks:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return sqlitestoretest.Open(t) })
//	}
//
//	func BenchmarkStore(b *testing.B) { storetest.Bench(b, sqlitestoretest.Open) }
//
//	func BenchmarkFilter(b *testing.B) { storetest.BenchFilter(b, sqlitestoretest.Open) }
//
// The suite checks what package store promises: create, read, update and
// delete of every entity; uniqueness on canonical keys surfacing as Conflict;
// NotFound for every missing row; that a group-scoped call never reaches
// another group's rows; that transactions land whole or not at all; that
// concurrent creates of the same row leave exactly one; that of concurrent
// consumers of single-use SAML sign-in state exactly one wins, also across
// stores that share a database (RunShared), and that such state has expired
// at exactly its expiry; that SCIM filters match by each attribute's rules,
// within one group; that times come back in UTC with microsecond precision;
// that sign-in failure counters count every concurrent failure once, also
// across stores; that paging is stable and totals exact, through every
// change, rollback and concurrent create; and that invalid values are refused with Invalid
// and write nothing. Every failure is checked for its precise gatehouse
// error kind.
//
// The Must helpers (MustCreateUser, MustCreateGroup and the like) set up rows
// for other packages' tests.
package storetest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// Run runs the conformance suite as subtests of t. open must return a fresh,
// empty, migrated store and register its own cleanup; every subtest opens its
// own store and runs in parallel with the others.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	for _, tc := range suite() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, open(t))
		})
	}
}

// testCase is one subtest of the suite; run gets a store of its own.
type testCase struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// suite lists every case Run runs.
func suite() []testCase {
	return []testCase{
		{"Store/Info", testStoreInfo},
		{"User/CRUD", testUserCRUD},
		{"User/Managed", testManagedUser},
		{"User/UsernameUnique", testUsernameUnique},
		{"User/EmailUnique", testEmailUnique},
		{"Group/CRUD", testGroupCRUD},
		{"Group/PathUnique", testGroupPathUnique},
		{"Member/CRUD", testMemberCRUD},
		{"Member/RoleSource", testMemberRoleSource},
		{"GroupLink/CRUD", testGroupLinkCRUD},
		{"GroupLink/UserIdPGroups", testUserIdPGroups},
		{"GroupLink/SetMemberRoles", testSetMemberRoles},
		{"Identity/CRUD", testIdentityCRUD},
		{"Identity/Unique", testIdentityUnique},
		{"SCIMIdentity/CRUD", testSCIMIdentityCRUD},
		{"SCIMIdentity/Version", testSCIMIdentityVersion},
		{"SCIMIdentity/Unique", testSCIMIdentityUnique},
		{"SCIMIdentity/Deleted", testSCIMIdentityDeleted},
		{"SCIMIdentity/Emails", testSCIMIdentityEmails},
		{"SCIMIdentity/Total", testSCIMIdentityTotal},
		{"SCIMIdentity/Filter", testSCIMIdentityFilter},
		{"SCIMIdentity/FilterScope", testSCIMIdentityFilterScope},
		{"SCIMUser/Create", testCreateSCIMUser},
		{"SCIMUser/CreateRefused", testCreateSCIMUserRefused},
		{"SCIMUser/Clashes", testFindSCIMUserClashes},
		{"SCIMGroup/CRUD", testSCIMGroupCRUD},
		{"SCIMGroup/Members", testSCIMGroupMembers},
		{"SCIMGroup/Bulk", testSCIMGroupBulk},
		{"SCIMGroup/Names", testSCIMGroupNames},
		{"SCIMToken/CRUD", testSCIMTokenCRUD},
		{"PAT/CRUD", testPATCRUD},
		{"SAMLConfig/CRUD", testSAMLConfigCRUD},
		{"SAMLConfig/MetadataRefreshError", testSAMLMetadataRefreshError},
		{"Audit/CRUD", testAuditCRUD},
		{"SCIMRequestLog/CRUD", testSCIMLogCRUD},
		{"SCIMRequestLog/Keep", testSCIMLogKeep},
		{"SCIMRequestLog/Refused", testSCIMLogRefused},
		{"InstanceKey/Ensure", testInstanceKeyEnsure},
		{"InstanceKey/Race", testRaceInstanceKey},
		{"Session/CRUD", testSessionCRUD},
		{"Session/Expiry", testSessionExpiry},
		{"Session/SSO", testSessionSSO},
		{"Session/DeleteGroupSSO", testDeleteGroupSSOSessions},
		{"SAMLRequest/CRUD", testSAMLRequestCRUD},
		{"SAMLRequest/Expiry", testSAMLRequestExpiry},
		{"SAMLRequest/Race", testRaceSAMLRequest},
		{"SAMLAssertion/Replay", testSAMLAssertionReplay},
		{"SAMLAssertion/Race", testRaceSAMLAssertion},
		{"SAMLFlow/CRUD", testSAMLFlowCRUD},
		{"SAMLFlow/Refused", testSAMLFlowRefused},
		{"SAMLFlow/Expiry", testSAMLFlowExpiry},
		{"SAMLFlow/Race", testRaceSAMLFlow},
		{"SAMLLog/CRUD", testSAMLLogCRUD},
		{"SAMLLog/Paging", testSAMLLogPaging},
		{"SAMLLog/Keep", testSAMLLogKeep},
		{"SAMLLog/Refused", testSAMLLogRefused},
		{"SAMLState/Sweep", testDeleteExpiredSAMLState},
		{"SAMLState/GroupIsolation", testSAMLStateIsolation},
		{"SignInFailures/Count", testSignInFailures},
		{"SignInFailures/Refused", testSignInFailuresRefused},
		{"SignInFailures/Sweep", testSignInFailuresSweep},
		{"SignInFailures/Race", testRaceSignInFailures},
		{"NotFound", testNotFound},
		{"GroupIsolation", testGroupIsolation},
		{"Tx/Rollback", testTxRollback},
		{"Tx/Commit", testTxCommit},
		{"Tx/ConflictRollsBack", testTxConflictRollsBack},
		{"Tx/ConcurrentMixed", testTxConcurrentMixed},
		{"Race/SCIMIdentity", testRaceSCIMIdentity},
		{"Race/SCIMIdentityTotal", testRaceSCIMIdentityTotal},
		{"Race/Username", testRaceUsername},
		{"Race/LockGroup", testRaceLockGroup},
		{"Times", testTimes},
		{"Paging", testPaging},
		{"Paging/SCIMChanges", testSCIMPagingChanges},
		{"Validation", testValidation},
	}
}

// testStoreInfo checks Ping, SchemaInfo and Stats of a fresh store.
func testStoreInfo(t *testing.T, s store.Store) {
	ctx := t.Context()
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping() = %v, want nil", err)
	}
	info, err := s.SchemaInfo(ctx)
	if err != nil {
		t.Errorf("SchemaInfo() = %v, want nil", err)
	} else if info.Known <= 0 || info.Current != info.Known {
		t.Errorf("SchemaInfo() = %+v, want Current == Known > 0 on a migrated store", info)
	}
	if stats := s.Stats(); len(stats) == 0 {
		t.Errorf("Stats() = %v, want at least one pool", stats)
	}
}

// missingID is an id no test creates a row with.
const missingID int64 = 1 << 40

// cmpOpts compares domain values the way the contract defines equality: JSON
// documents by value (PostgreSQL's jsonb reorders keys), a user's emails as a
// set, and nil slices equal to empty ones. Times compare with time.Equal; their
// location is checked separately (checkStamp, checkInstant).
var cmpOpts = cmp.Options{
	cmpopts.EquateEmpty(),
	cmp.FilterPath(
		func(p cmp.Path) bool { return p.Last().Type() == reflect.TypeFor[json.RawMessage]() },
		cmp.FilterValues(
			func(a, b json.RawMessage) bool { return len(a) > 0 || len(b) > 0 },
			cmp.Comparer(jsonEqual),
		),
	),
	cmpopts.SortSlices(func(a, b gatehouse.Email) bool { return a.Address < b.Address }),
}

// jsonEqual reports whether two JSON documents hold the same value; documents
// that do not parse are compared byte by byte.
func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	return reflect.DeepEqual(x, y)
}

// must stops the test when a step the rest depends on fails.
func must(t testing.TB, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", op, err)
	}
}

// wantKind reports an error unless err carries the gatehouse error kind.
func wantKind(t testing.TB, op string, err error, kind gatehouse.Kind) {
	t.Helper()
	if err == nil {
		t.Errorf("%s = nil, want a %v error", op, kind)
		return
	}
	if got := gatehouse.ErrorKind(err); got != kind {
		t.Errorf("%s = %v (kind %v), want kind %v", op, err, got, kind)
	}
}

// wantFound reports an error unless a lookup returned want without error.
func wantFound[T any](t testing.TB, op string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s = %v, want nil", op, err)
		return
	}
	if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", op, diff)
	}
}

// wantIDs reports an error unless a list returned the rows with the ids want,
// in that order, without error.
func wantIDs[T any](t testing.TB, op string, got []T, err error, id func(T) int64, want []int64) {
	t.Helper()
	if err != nil {
		t.Errorf("%s = %v, want nil", op, err)
		return
	}
	ids := make([]int64, 0, len(got))
	for _, r := range got {
		ids = append(ids, id(r))
	}
	if diff := cmp.Diff(want, ids, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("%s ids mismatch (-want +got):\n%s", op, diff)
	}
}

// wantTotal reports an error unless a list returned the total want.
func wantTotal(t testing.TB, op string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s total = %d, want %d", op, got, want)
	}
}

// checkStamp reports an error unless a time the store set is in UTC, of
// microsecond precision and close to now.
func checkStamp(t testing.TB, what string, got time.Time) {
	t.Helper()
	switch now := time.Now(); {
	case got.IsZero():
		t.Errorf("%s is zero, want the time of the write", what)
	case got.Location() != time.UTC:
		t.Errorf("%s = %v in %v, want UTC", what, got, got.Location())
	case got.Nanosecond()%1000 != 0:
		t.Errorf("%s = %v, want microsecond precision", what, got.Format(time.RFC3339Nano))
	case got.Before(now.Add(-10*time.Minute)) || got.After(now.Add(10*time.Minute)):
		t.Errorf("%s = %v, want about now (%v)", what, got, now.UTC())
	}
}

// checkInstant reports an error unless got is the instant in, in UTC and
// truncated to the microsecond, or zero when in is zero.
func checkInstant(t testing.TB, what string, got, in time.Time) {
	t.Helper()
	if in.IsZero() {
		if !got.IsZero() {
			t.Errorf("%s = %v, want the zero time", what, got)
		}
		return
	}
	want := in.UTC().Truncate(time.Microsecond)
	if !got.Equal(want) || got.Location() != time.UTC {
		t.Errorf("%s = %v, want %v (the instant %v in UTC, truncated to the microsecond)",
			what, got.Format(time.RFC3339Nano+" MST"), want.Format(time.RFC3339Nano+" MST"), in.Format(time.RFC3339Nano))
	}
}

// fixedTime is a time in UTC with microsecond precision, which every store
// round-trips exactly, for tests that compare whole values.
var fixedTime = time.Date(2030, 1, 2, 3, 4, 5, 678901000, time.UTC)
