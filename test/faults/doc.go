// Package faults holds the database fault tests of security.md §5 (issue
// 7): a PostgreSQL restart, terminated connections and a simulated crash
// under SCIM load, a slow database behind a delaying TCP proxy, and a full
// disk under the SQLite store. Each test runs the real gatehouse binary
// (internal/proctest), injects its fault from outside the process, and
// counts every answer: no 500, no request past the server's deadline, and
// every acknowledged write still there afterwards.
//
// The tests run in parallel, each with its own cluster, port and tmpfs.
// They need root (tmpfs mounts, running PostgreSQL as the postgres
// user) and PostgreSQL 15's binaries; without them they skip, unless
// GATEHOUSE_TEST_FAULTS=1 makes them mandatory. docs/reliability.md
// describes each fault and the numbers of the last run.
package faults
