package admin

import (
	"context"

	"github.com/gatehouse-sso/gatehouse"
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
		if err := password.Check(in.Password); err != nil {
			return nil, gatehouse.Errorf(gatehouse.Invalid, "%v", err)
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
