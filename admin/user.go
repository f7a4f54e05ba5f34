package admin

import (
	"context"
	"fmt"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/store"
)

// NewUser is what CreateUser needs.
type NewUser struct {
	Username string
	Email    string
	Name     string // defaults to the username
	Password string // empty: the account has no password until one is set
	Admin    bool
	// PasswordExpired forces a change at first sign-in (one-time passwords).
	PasswordExpired bool
}

// CreateUser creates a personal account. Errors: Invalid (username grammar,
// email, weak password), Conflict (username or email taken, in any letter case).
func (s *Service) CreateUser(ctx context.Context, a Actor, in NewUser) (*gatehouse.User, error) {
	u := &gatehouse.User{
		Username:        in.Username,
		Name:            in.Name,
		Emails:          []gatehouse.Email{{Address: in.Email, Primary: true}},
		Kind:            gatehouse.Personal,
		State:           gatehouse.UserActive,
		Admin:           in.Admin,
		PasswordExpired: in.PasswordExpired,
	}
	if u.Name == "" {
		u.Name = in.Username
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if in.Password != "" {
		if err := CheckPassword(u.Username, in.Password); err != nil {
			return nil, err
		}
		u.PasswordHash = password.Hash(in.Password, s.params())
	}
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		return s.audit(ctx, q, a, 0, "user_created", "user", u.ID,
			map[string]any{"username": u.Username, "admin": u.Admin})
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// RootUsername is the administrator Bootstrap creates.
const RootUsername = "root"

// Bootstrap makes sure an administrator exists. When none does, it creates
// the account root with pw (or, when pw is empty, a generated one-time
// password that must be changed at first sign-in) and returns created=true
// and the password to show once. Two nodes starting at once create one root:
// the loser's insert conflicts and it reports created=false.
func (s *Service) Bootstrap(ctx context.Context, pw string) (created bool, shown string, err error) {
	n, err := s.Store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return false, "", err
	}
	oneTime := pw == ""
	if oneTime {
		pw = password.Generate()
	}
	_, err = s.CreateUser(ctx, System, NewUser{
		Username:        RootUsername,
		Email:           "root@localhost.invalid",
		Name:            "Administrator",
		Password:        pw,
		Admin:           true,
		PasswordExpired: oneTime,
	})
	if gatehouse.IsKind(err, gatehouse.Conflict) {
		// Another node won the race, or a non-admin holds the name.
		if n, cerr := s.Store.CountAdmins(ctx); cerr == nil && n > 0 {
			return false, "", nil
		}
		return false, "", gatehouse.Errorf(gatehouse.Conflict,
			"no administrator exists and the username %q is taken by an ordinary account; rename that account", RootUsername)
	}
	if err != nil {
		return false, "", err
	}
	return true, pw, nil
}

// CheckPassword reports, as an Invalid error whose message says what to
// change, why pw cannot be the password of the account username: the
// length rules of package password (password.MinLength characters to
// password.MaxLength bytes of UTF-8), and never the username itself, in
// any letter case.
func CheckPassword(username, pw string) error {
	if err := password.Check(pw); err != nil {
		return gatehouse.Errorf(gatehouse.Invalid, "%v", err)
	}
	if canon.Key(pw) == canon.Key(username) {
		return gatehouse.Errorf(gatehouse.Invalid, "password must not be the username")
	}
	return nil
}

// ErrWrongPassword is the Forbidden error of ChangePassword for a current
// password that does not match.
var ErrWrongPassword = &gatehouse.Error{Kind: gatehouse.Forbidden, Message: "the current password is wrong"}

// ChangePassword gives the personal account userID the password next,
// after checking its current password: the password page, and the change a
// one-time password forces at first sign-in. It clears PasswordExpired and
// ends every session of the account, in one transaction with the audit
// event; the caller signs the browser in again if it should stay signed
// in.
//
// Errors: Invalid when next breaks CheckPassword or equals current (the
// message says which); ErrWrongPassword; Forbidden when the account has no
// password (a managed account signs in through its group's identity
// provider); NotFound; Conflict when the password changed meanwhile.
func (s *Service) ChangePassword(ctx context.Context, a Actor, userID int64, current, next string) error {
	u, err := s.Store.FindUserByID(ctx, userID)
	if err != nil {
		return err
	}
	if u.Kind != gatehouse.Personal || u.PasswordHash == "" {
		return gatehouse.Errorf(gatehouse.Forbidden,
			"account %s has no password: it signs in through its group's identity provider", u.Username)
	}
	if err := CheckPassword(u.Username, next); err != nil {
		return err
	}
	// Hashing takes tens of milliseconds: both happen before the
	// transaction, so that SQLite's one writer never waits for them.
	ok, err := password.Verify(u.PasswordHash, current)
	if err != nil {
		return fmt.Errorf("verify the password of user %d: %w", u.ID, err)
	}
	if !ok {
		return ErrWrongPassword
	}
	if next == current {
		return gatehouse.Errorf(gatehouse.Invalid, "the new password must differ from the current one")
	}
	hash := password.Hash(next, s.params())
	return s.Store.InTx(ctx, func(q store.Queries) error {
		fresh, err := q.FindUserByID(ctx, userID)
		if err != nil {
			return err
		}
		if fresh.PasswordHash != u.PasswordHash {
			return gatehouse.Errorf(gatehouse.Conflict, "the password of %s was changed meanwhile; sign in with the new one", u.Username)
		}
		fresh.PasswordHash, fresh.PasswordExpired = hash, false
		if err := q.UpdateUser(ctx, fresh); err != nil {
			return err
		}
		n, err := q.DeleteUserSessions(ctx, userID)
		if err != nil {
			return err
		}
		return s.audit(ctx, q, a, 0, "password_changed", "user", userID,
			map[string]any{"was_expired": u.PasswordExpired, "sessions_ended": n})
	})
}

// PasswordHashParams are the argon2id costs new passwords are hashed with.
// Sign-in verifies a dummy hash of the same costs for accounts that do not
// exist, so that a failure takes as long either way.
func (s *Service) PasswordHashParams() password.Params { return s.params() }
