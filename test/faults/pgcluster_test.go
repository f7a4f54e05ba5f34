package faults

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
)

// pgBin is where Debian installs PostgreSQL 15's server programs.
const pgBin = "/usr/lib/postgresql/15/bin"

// cluster is a private PostgreSQL cluster of one test, which the test may
// stop, crash and restart: the shared one at 127.0.0.1:5432 serves other
// tests and is never touched.
type cluster struct {
	t    *testing.T
	dir  string // owned by postgres: the WAL, the socket, the log and, unless startClusterOn put it elsewhere, the data directory
	data string
	port int
}

// startCluster initdb's a cluster in a fresh directory and starts it on a
// free loopback port, with fsync on (the crash test's claim depends on it)
// and small buffers. The test's cleanup stops it and removes the directory.
func startCluster(t *testing.T) *cluster { return startClusterOn(t, "") }

// startClusterOn is startCluster with the data directory (tables and
// indexes, not the WAL, which stays in the private directory) made inside
// dataParent, a directory the postgres user owns; "" keeps it private too.
func startClusterOn(t *testing.T, dataParent string) *cluster {
	t.Helper()
	require(t, isRoot(), "the PostgreSQL fault tests run a private cluster as the postgres user, which needs root")
	_, err := os.Stat(filepath.Join(pgBin, "pg_ctl"))
	require(t, err == nil, "PostgreSQL 15's binaries are not in "+pgBin+" (apt-get install postgresql-15)")
	uid, gid := postgresUser(t)

	// t.TempDir is root's and 0700: the postgres user could not enter it.
	dir, err := os.MkdirTemp("", "gatehouse-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if dataParent == "" {
		dataParent = dir
	}
	c := &cluster{t: t, dir: dir, data: filepath.Join(dataParent, "data")}
	t.Cleanup(func() {
		c.ctl("stop", "-m", "immediate") // may be stopped already
		os.RemoveAll(dir)
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	if out, err := c.run("initdb", "-D", c.data, "--waldir", filepath.Join(dir, "wal"), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf(`
listen_addresses = '127.0.0.1'
unix_socket_directories = '%s'
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = 16MB
max_connections = 60
log_min_messages = warning
`, dir)
	// The port is free when chosen, but another test may take it before
	// PostgreSQL listens: then try another (the last port line wins).
	for attempt := 1; ; attempt++ {
		c.port = freePort(t)
		if err := appendFile(filepath.Join(c.data, "postgresql.conf"), conf+fmt.Sprintf("port = %d\n", c.port)); err != nil {
			t.Fatal(err)
		}
		conf = ""
		out, err := c.ctl("start")
		if err == nil {
			break
		}
		if attempt == 3 {
			t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.log())
		}
	}
	return c
}

// postgresUser returns the uid and gid of the postgres user.
func postgresUser(t *testing.T) (uid, gid int) {
	t.Helper()
	pg, err := user.Lookup("postgres")
	require(t, err == nil, "there is no postgres user to run the private cluster as")
	uid, _ = strconv.Atoi(pg.Uid)
	gid, _ = strconv.Atoi(pg.Gid)
	return uid, gid
}

// run runs a PostgreSQL program as the postgres user.
func (c *cluster) run(prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "runuser", append([]string{"-u", "postgres", "--", filepath.Join(pgBin, prog)}, args...)...)
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ctl runs pg_ctl on the cluster.
func (c *cluster) ctl(args ...string) (string, error) {
	return c.run("pg_ctl", append([]string{"-D", c.data, "-l", filepath.Join(c.dir, "log"), "-w", "-t", "60"}, args...)...)
}

// start starts the cluster and waits until it accepts connections.
func (c *cluster) start() {
	c.t.Helper()
	if out, err := c.ctl("start"); err != nil {
		c.t.Fatalf("pg_ctl start: %v\n%s\n%s", err, out, c.log())
	}
}

// stop stops the cluster: mode "fast" disconnects the clients and shuts
// down cleanly, "immediate" kills every process as a crash would.
func (c *cluster) stop(mode string) {
	c.t.Helper()
	if out, err := c.ctl("stop", "-m", mode); err != nil {
		c.t.Fatalf("pg_ctl stop -m %s: %v\n%s", mode, err, out)
	}
}

// log returns the end of the server's log.
func (c *cluster) log() string {
	b, _ := os.ReadFile(filepath.Join(c.dir, "log"))
	s := string(b)
	if len(s) > 4000 {
		s = s[len(s)-4000:]
	}
	return s
}

// dsn is the URL of database db over TCP on port (the cluster's own, or a
// proxy's in front of it).
func (c *cluster) dsn(db string, port int) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, db)
}

// admin connects to the cluster's postgres database over its Unix socket,
// so that its own session never counts among the server's TCP ones.
func (c *cluster) admin() *sql.DB {
	c.t.Helper()
	db, err := sql.Open("pgx", fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable connect_timeout=10", c.dir, c.port))
	if err != nil {
		c.t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	c.t.Cleanup(func() { db.Close() })
	return db
}

// serverBackends counts the client sessions that came over TCP: the
// gatehouse server's (the test's own come over the socket).
func (c *cluster) serverBackends(db *sql.DB) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND client_addr IS NOT NULL`).Scan(&n)
	return n, err
}

// terminateServer ends every TCP session with pg_terminate_backend and
// returns how many there were.
func (c *cluster) terminateServer(db *sql.DB) int {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND client_addr IS NOT NULL) AS t`).Scan(&n)
	if err != nil {
		c.t.Fatalf("pg_terminate_backend: %v", err)
	}
	return n
}

// appendFile appends text to the file at path.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
