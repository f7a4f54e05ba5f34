// Package crash holds the tests that stop the real gatehouse binary while
// SCIM clients write to it, and check afterwards that nothing it
// acknowledged was lost or half-applied (security.md §5.1, 5.2, 5.8, 5.10;
// docs/reliability.md):
//
//   - TestKill9UnderSCIMWrites kills the server with SIGKILL at a random
//     moment, round after round on the same database, on SQLite and on
//     PostgreSQL.
//   - TestSIGTERMUnderSCIMWrites stops it with SIGTERM under the same load.
//   - TestTwoVersionsDuringMigration runs today's binary and a "next
//     release" (built with -tags gatehouse_testnext, which adds a migration)
//     on one database while the newer one migrates it.
//
// The package has no code of its own outside its tests.
package crash
