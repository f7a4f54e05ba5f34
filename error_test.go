package gatehouse_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestErrorKindsThroughWrapping(t *testing.T) {
	base := &gatehouse.Error{Kind: gatehouse.Conflict, Op: "store.CreateUser", Message: `username "a" is already taken`, Err: errors.New("UNIQUE constraint failed")}
	wrapped := fmt.Errorf("create user: %w", base)
	if got := gatehouse.ErrorKind(wrapped); got != gatehouse.Conflict {
		t.Errorf("ErrorKind(wrapped) = %v, want conflict", got)
	}
	if got := gatehouse.ErrorMessage(wrapped); got != `username "a" is already taken` {
		t.Errorf("ErrorMessage(wrapped) = %q", got)
	}
	if !gatehouse.IsKind(wrapped, gatehouse.Conflict) || gatehouse.IsKind(wrapped, gatehouse.NotFound) {
		t.Errorf("IsKind is wrong for %v", wrapped)
	}
	if got, want := base.Error(), `store.CreateUser: username "a" is already taken: UNIQUE constraint failed`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	plain := errors.New("disk on fire at /var/lib/x")
	if gatehouse.ErrorKind(plain) != gatehouse.Internal || gatehouse.ErrorMessage(plain) != "internal error" {
		t.Errorf("a plain error must be internal with a generic message, got %v %q", gatehouse.ErrorKind(plain), gatehouse.ErrorMessage(plain))
	}
	if gatehouse.ErrorMessage(&gatehouse.Error{Kind: gatehouse.NotFound}) != "not found" {
		t.Errorf("an error without a message falls back to its kind")
	}
}
