package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store/pgstore/pgstoretest"
)

// result is what one run of the command line produced.
type result struct {
	code           int
	stdout, stderr string
}

// gh runs the command line in-process with the environment envs and stdin.
func gh(t *testing.T, envs map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	getenv := func(k string) string { return envs[k] }
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &out, &errb)
	code := exitCode(err, &errb)
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// databases returns the --db URLs to run a test on: a fresh SQLite file, and a
// fresh PostgreSQL schema when GATEHOUSE_TEST_POSTGRES is set.
func databases(t *testing.T) map[string]string {
	t.Helper()
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "gh.db")}
	if os.Getenv(pgstoretest.EnvDSN) != "" {
		dbs["postgres"] = pgstoretest.DSN(t)
	}
	return dbs
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"no command", nil, exitUsage, "no command"},
		{"unknown", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown sub", []string{"scim", "token", "burn"}, exitUsage, "unknown command"},
		{"help", []string{"help"}, exitOK, ""},
		{"flag help", []string{"user", "create", "-h"}, exitOK, ""},
		{"missing flag", []string{"user", "create", "--email", "a@b.co"}, exitUsage, "needs --username"},
		{"bad flag", []string{"group", "create", "--paht", "x"}, exitUsage, "flag provided but not defined"},
		{"positional", []string{"group", "create", "acme"}, exitUsage, "takes flags only"},
		{"bad role", []string{"member", "set", "--group", "g", "--user", "u", "--role", "boss"}, exitUsage, "not one of guest"},
		{"bad db", []string{"migrate", "--db", "mysql://root:hunter2@x/db"}, exitUsage, "not sqlite:PATH"},
		{"bad expiry", []string{"token", "create", "--user", "u", "--expires", "tomorrow"}, exitUsage, "not a date"},
		{"revoke without id", []string{"token", "revoke"}, exitUsage, "needs --id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gh(t, nil, "", tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.msg) {
				t.Errorf("gatehouse %v = exit %d, stderr %q; want exit %d mentioning %q", tt.args, r.code, r.stderr, tt.code, tt.msg)
			}
			if strings.Contains(r.stderr, "hunter2") {
				t.Errorf("stderr %q shows the database password", r.stderr)
			}
		})
	}
}

func TestCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"GATEHOUSE_DB": db}
			ok := func(args ...string) string {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != exitOK {
					t.Fatalf("gatehouse %v = exit %d, stderr %q", args, r.code, r.stderr)
				}
				return strings.TrimSpace(r.stdout)
			}
			fails := func(code int, msg string, args ...string) {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != code || !strings.Contains(r.stderr, msg) {
					t.Errorf("gatehouse %v = exit %d, stderr %q; want exit %d mentioning %q", args, r.code, r.stderr, code, msg)
				}
			}

			ok("migrate")
			alice := ok("user", "create", "--username", "alice", "--email", "Ünal@example.com", "--name", "Alice")
			if alice != "1" {
				t.Errorf("user create printed %q, want the id 1 alone", alice)
			}
			r := gh(t, env, "s3cret-password\n", "user", "create", "--username", "bob", "--email", "bob@example.com", "--password-stdin", "--json")
			var created map[string]int64
			if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &created) != nil || created["id"] == 0 {
				t.Errorf("user create --json = exit %d, %q, %q", r.code, r.stdout, r.stderr)
			}
			fails(exitConflict, "already", "user", "create", "--username", "ALICE", "--email", "x@example.com")
			fails(exitConflict, "already", "user", "create", "--username", "carol", "--email", "ÜNAL@EXAMPLE.COM")
			fails(exitError, "cannot contain", "user", "create", "--username", "a..b", "--email", "y@example.com")

			gid := ok("group", "create", "--path", "acme.corp", "--name", "Acme", "--owner", "alice")
			fails(exitConflict, "already", "group", "create", "--path", "ACME.CORP", "--owner", "alice")
			fails(exitNotFound, `user "ghost" not found`, "group", "create", "--path", "ghosts", "--owner", "ghost")
			fails(exitError, "all digits", "group", "create", "--path", "2024", "--owner", "alice")

			ok("member", "set", "--group", gid, "--user", "bob", "--role", "developer")
			fails(exitError, "last owner", "member", "set", "--group", "acme.corp", "--user", "alice", "--role", "guest")
			fails(exitNotFound, `group "nowhere" not found`, "member", "set", "--group", "nowhere", "--user", "bob", "--role", "guest")

			tok := ok("scim", "token", "reset", "--group", "acme.corp")
			if !gatehouse.WellFormedToken(gatehouse.SCIMTokenPrefix, tok) {
				t.Errorf("scim token reset printed %q, want a gth_scim_ token alone", tok)
			}
			r = gh(t, env, "", "scim", "token", "create", "--group", gid, "--json")
			var second struct {
				ID    int64  `json:"id"`
				Token string `json:"token"`
			}
			if r.code != exitOK || json.Unmarshal([]byte(r.stdout), &second) != nil || second.ID == 0 || second.Token == "" {
				t.Fatalf("scim token create --json = exit %d, %q", r.code, r.stdout)
			}
			fails(exitConflict, "already has 2", "scim", "token", "create", "--group", "acme.corp")
			list := ok("scim", "token", "list", "--group", "acme.corp")
			if strings.Contains(list, tok) || strings.Count(list, "\n") != 2 {
				t.Errorf("scim token list = %q; want a header and two rows, no secrets", list)
			}
			ok("scim", "token", "revoke", "--group", "acme.corp", "--id", itoa(second.ID))
			fails(exitNotFound, "no SCIM token", "scim", "token", "revoke", "--group", "acme.corp", "--id", itoa(second.ID))
			var tokens []map[string]any
			if err := json.Unmarshal([]byte(ok("scim", "token", "list", "--group", "acme.corp", "--json")), &tokens); err != nil || len(tokens) != 1 {
				t.Errorf("scim token list --json = %v, %v; want one token", tokens, err)
			}

			pat := ok("token", "create", "--user", "alice", "--name", "ci", "--expires", "2999-01-01")
			if !gatehouse.WellFormedToken(gatehouse.PATPrefix, pat) {
				t.Errorf("token create printed %q", pat)
			}
			if l := ok("token", "list", "--user", "alice"); !strings.Contains(l, "ci") || !strings.Contains(l, "2999-01-01") || strings.Contains(l, pat) {
				t.Errorf("token list = %q", l)
			}
			fails(exitError, "not in the future", "token", "create", "--user", "alice", "--expires", "2001-01-01")
			ok("token", "revoke", "--id", "1")
			fails(exitNotFound, "no personal access token", "token", "revoke", "--id", "1")
		})
	}
}

func TestFlagBeatsEnv(t *testing.T) {
	dir := t.TempDir()
	envDB := "sqlite:" + filepath.Join(dir, "env.db")
	flagDB := "sqlite:" + filepath.Join(dir, "flag.db")
	env := map[string]string{"GATEHOUSE_DB": envDB}
	if r := gh(t, env, "", "user", "create", "--username", "a", "--email", "a@example.com"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// The flag names another database, where "a" does not exist yet.
	if r := gh(t, env, "", "user", "create", "--db", flagDB, "--username", "a", "--email", "a@example.com"); r.code != 0 {
		t.Errorf("--db did not beat GATEHOUSE_DB: exit %d, %s", r.code, r.stderr)
	}
	if r := gh(t, env, "", "user", "create", "--username", "a", "--email", "a@example.com"); r.code != exitConflict {
		t.Errorf("GATEHOUSE_DB not used without --db: exit %d, %s", r.code, r.stderr)
	}
	if r := gh(t, map[string]string{"GATEHOUSE_LOG_FORMAT": "xml"}, "", "serve"); r.code != exitUsage || !strings.Contains(r.stderr, "not text or json") {
		t.Errorf("bad GATEHOUSE_LOG_FORMAT = exit %d, %q", r.code, r.stderr)
	}
}

func TestUnreachableDatabase(t *testing.T) {
	r := gh(t, nil, "", "migrate", "--db", "postgres://gate:hunter2@127.0.0.1:1/gatehouse?connect_timeout=2")
	if r.code != exitError || strings.Contains(r.stderr, "hunter2") || !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Errorf("migrate on a closed port = exit %d, stderr %q; want exit 1 naming the host without the password", r.code, r.stderr)
	}
	r = gh(t, nil, "", "migrate", "--db", "sqlite:"+filepath.Join(t.TempDir(), "missing-dir", "x.db"))
	if r.code != exitError {
		t.Errorf("migrate into a missing directory = exit %d, stderr %q; want 1", r.code, r.stderr)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// TestTokensNotStoredInClear reads every byte of the SQLite database files
// after tokens were issued: neither token may appear, only their hashes.
func TestTokensNotStoredInClear(t *testing.T) {
	dir := t.TempDir()
	env := map[string]string{"GATEHOUSE_DB": "sqlite:" + filepath.Join(dir, "t.db")}
	for _, args := range [][]string{
		{"user", "create", "--username", "alice", "--email", "alice@example.com"},
		{"group", "create", "--path", "acme", "--owner", "alice"},
	} {
		if r := gh(t, env, "", args...); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	scim := strings.TrimSpace(gh(t, env, "", "scim", "token", "reset", "--group", "acme").stdout)
	pat := strings.TrimSpace(gh(t, env, "", "token", "create", "--user", "alice").stdout)
	if scim == "" || pat == "" {
		t.Fatal("no tokens issued")
	}
	// The database file and its WAL together hold everything written.
	files, _ := filepath.Glob(filepath.Join(dir, "t.db*"))
	var all []byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	for _, tok := range []string{scim, pat, scim[len(gatehouse.SCIMTokenPrefix):], pat[len(gatehouse.PATPrefix):]} {
		if bytes.Contains(all, []byte(tok)) {
			t.Errorf("the database files hold the token %.16q… in clear", tok)
		}
	}
	for _, tok := range []string{scim, pat} {
		if !bytes.Contains(all, gatehouse.HashToken(tok)) {
			t.Errorf("the database files do not hold the SHA-256 of %.16q…; the test reads the wrong files", tok)
		}
	}
}
