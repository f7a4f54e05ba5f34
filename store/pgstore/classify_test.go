package pgstore

import (
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gatehouse-sso/gatehouse"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		kind    gatehouse.Kind
		message string
	}{
		{"unique", &pgconn.PgError{Code: "23505", ConstraintName: "users_username_key"}, gatehouse.Conflict, ""},
		{"disk full", fmt.Errorf("insert: %w", &pgconn.PgError{Code: "53100"}), gatehouse.Unavailable, DiskFullMessage},
		{"too many connections", &pgconn.PgError{Code: "53300"}, gatehouse.Unavailable, ""},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, gatehouse.Unavailable, ""},
		{"other", errors.New("boom"), gatehouse.Internal, ""},
	}
	for _, tt := range tests {
		if c := classify(tt.err); c.Kind != tt.kind || c.Message != tt.message {
			t.Errorf("%s: classify(%v) = %+v, want kind %v, message %q", tt.name, tt.err, c, tt.kind, tt.message)
		}
	}
}
