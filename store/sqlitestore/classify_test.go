package sqlitestore

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestUniqueConstraint(t *testing.T) {
	tests := []struct {
		msg  string
		want string
	}{
		{"constraint failed: UNIQUE constraint failed: users.username_key (2067)", "users.username_key"},
		{"constraint failed: UNIQUE constraint failed: user_emails.managing_group_id, user_emails.email_key (2067)",
			"user_emails.managing_group_id, user_emails.email_key"},
		{"UNIQUE constraint failed: groups.path_key", "groups.path_key"},
		{"constraint failed: UNIQUE constraint failed: index 'some_index' (2067)", "some_index"},
		{"constraint failed: FOREIGN KEY constraint failed (787)", ""},
	}
	for _, tt := range tests {
		if got := uniqueConstraint(tt.msg); got != tt.want {
			t.Errorf("uniqueConstraint(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestDSN(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"/var/lib/gatehouse/gatehouse.db", "file:/var/lib/gatehouse/gatehouse.db?p"},
		{"./gatehouse.db", "file:./gatehouse.db?p"},
		{"/tmp/a?b#c%d.db", "file:/tmp/a%3fb%23c%25d.db?p"},
	}
	for _, tt := range tests {
		if got := dsn(tt.path, "p"); got != tt.want {
			t.Errorf("dsn(%q, %q) = %q, want %q", tt.path, "p", got, tt.want)
		}
	}
}

// TestClassifyFull fills a database capped by max_page_count, which fails
// the write with SQLITE_FULL as a full disk does: the error is Unavailable
// and says the disk is full.
func TestClassifyFull(t *testing.T) {
	db, err := sql.Open("sqlite", dsn(filepath.Join(t.TempDir(), "full.db"), "_pragma=max_page_count(16)"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		_, err = db.Exec("INSERT INTO t VALUES (zeroblob(4096))")
		if err != nil {
			break
		}
		if i == 99 {
			t.Fatal("100 pages written past max_page_count(16)")
		}
	}
	c := classify(err)
	if c.Kind != gatehouse.Unavailable || c.Message != DiskFullMessage {
		t.Errorf("classify(%v) = %+v, want Unavailable with DiskFullMessage", err, c)
	}
}
