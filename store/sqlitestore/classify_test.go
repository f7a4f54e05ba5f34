package sqlitestore

import "testing"

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
