package sqldb

import (
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// migrationName is goose's file name with the padded version this project
// uses.
var migrationName = regexp.MustCompile(`^(\d{5})_[a-z0-9_]+\.sql$`)

func versions(t *testing.T, dir string) []int64 {
	t.Helper()
	fsys, err := Migrations(dir)
	if err != nil {
		t.Fatalf("Migrations(%q) = %v", dir, err)
	}
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		t.Fatalf("reading the %s migrations: %v", dir, err)
	}
	var vs []int64
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			t.Errorf("%s migration %q is not named NNNNN_name.sql", dir, e.Name())
			continue
		}
		v, _ := strconv.ParseInt(m[1], 10, 64)
		vs = append(vs, v)
	}
	return vs
}

// TestMigrationVersionsMatch checks that both databases have the same
// migration versions, so a schema change is never made for one only.
func TestMigrationVersionsMatch(t *testing.T) {
	sqlite, postgres := versions(t, SQLiteDir), versions(t, PostgresDir)
	if len(sqlite) == 0 {
		t.Fatalf("no SQLite migrations")
	}
	if diff := cmp.Diff(sqlite, postgres); diff != "" {
		t.Errorf("migration versions differ (-sqlite +postgres):\n%s", diff)
	}
	for i, v := range sqlite {
		if v != int64(i+1) {
			t.Errorf("SQLite migration versions = %v, want 1, 2, 3, … without gaps", sqlite)
			break
		}
	}
}

var createUnique = regexp.MustCompile(`(?i)CREATE UNIQUE INDEX (\w+) ON (\w+) \(([^)]*)\)`)

// TestUniqueIndexesMatchSchema checks that uniqueIndexes lists exactly the
// unique indexes of each schema, with the columns SQLite reports, so that
// every conflict gets its message.
func TestUniqueIndexesMatchSchema(t *testing.T) {
	var want []string
	for _, ix := range uniqueIndexes {
		want = append(want, ix.name+" "+ix.columns)
	}
	slices.Sort(want)
	for _, dir := range []string{SQLiteDir, PostgresDir} {
		fsys, err := Migrations(dir)
		if err != nil {
			t.Fatalf("Migrations(%q) = %v", dir, err)
		}
		files, err := fs.Glob(fsys, "*.sql")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			b, err := fs.ReadFile(fsys, f)
			if err != nil {
				t.Fatal(err)
			}
			up, _, _ := strings.Cut(string(b), "-- +goose Down")
			for _, m := range createUnique.FindAllStringSubmatch(up, -1) {
				name, table := m[1], m[2]
				if table == "goose_db_version" {
					continue // goose's table; see the SQLite migration
				}
				var cols []string
				for c := range strings.SplitSeq(m[3], ",") {
					cols = append(cols, table+"."+strings.TrimSpace(c))
				}
				got = append(got, name+" "+strings.Join(cols, ", "))
			}
		}
		slices.Sort(got)
		// A table that a later migration rebuilds (SQLite cannot change a
		// CHECK constraint in place) creates its indexes again.
		got = slices.Compact(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("unique indexes of the %s schema differ from uniqueIndexes (-uniqueIndexes +schema):\n%s", dir, diff)
		}
	}
}

func TestFindUnique(t *testing.T) {
	tests := []struct {
		constraint string
		want       string
	}{
		{"users_username_key", "users_username_key"},                           // PostgreSQL
		{"users.username_key", "users_username_key"},                           // SQLite
		{"user_emails.user_id, user_emails.email_key", "user_emails_user_key"}, // SQLite, two columns
		{"identities.group_id, identities.user_id", "identities_user_key"},     // same columns, other table
		{"scim_identities.group_id, scim_identities.user_id", "scim_identities_user_key"},
		{"", ""},
		{"nonsense", ""},
	}
	for _, tt := range tests {
		ix, _ := findUnique(tt.constraint)
		if ix.name != tt.want {
			t.Errorf("findUnique(%q) = %q, want %q", tt.constraint, ix.name, tt.want)
		}
	}
}

// TestNoTestMigrations checks that the real build embeds no migration of
// the test-only "next release" (versions from 90000, built with -tags
// gatehouse_testnext for test/crash).
func TestNoTestMigrations(t *testing.T) {
	for _, dir := range []string{SQLiteDir, PostgresDir} {
		for _, v := range versions(t, dir) {
			if v >= 90000 {
				t.Errorf("%s migrations include version %d, which only test builds may embed", dir, v)
			}
		}
	}
}
