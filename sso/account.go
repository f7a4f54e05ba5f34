package sso

import (
	"context"
	"errors"
	"net/netip"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
)

// Account is what the account page shows.
type Account struct {
	User *gatehouse.User
	// HasPassword says the account signs in with a password and can
	// change it; a managed account has none.
	HasPassword bool
	// ManagingGroup names the group whose identity provider created a
	// managed account; "" for a personal one.
	ManagingGroup string
	Groups        []AccountGroup
	Identities    []AccountIdentity
}

// AccountGroup is one of the user's memberships.
type AccountGroup struct {
	Path, Name, Role string
	Pending          bool
}

// AccountIdentity is one of the user's SAML identities.
type AccountIdentity struct {
	GroupPath, GroupName, ExternUID string
}

// FindAccount returns what the user's account page lists: memberships in
// group id order and active SAML identities.
func (s *Service) FindAccount(ctx context.Context, u *gatehouse.User) (*Account, error) {
	a := &Account{User: u, HasPassword: u.Kind == gatehouse.Personal && u.PasswordHash != ""}
	ms, err := s.Store.ListUserMemberships(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	groups := map[int64]*gatehouse.Group{}
	group := func(id int64) (*gatehouse.Group, error) {
		if g, ok := groups[id]; ok {
			return g, nil
		}
		g, err := s.Store.FindGroupByID(ctx, id)
		if err != nil {
			return nil, err
		}
		groups[id] = g
		return g, nil
	}
	for _, m := range ms {
		g, err := group(m.GroupID)
		if err != nil {
			return nil, err
		}
		a.Groups = append(a.Groups, AccountGroup{Path: g.Path, Name: g.Name, Role: m.Role.String(), Pending: m.State != gatehouse.MemberActive})
	}
	if u.Kind == gatehouse.Managed {
		g, err := group(u.ManagingGroupID)
		if err != nil {
			return nil, err
		}
		a.ManagingGroup = g.Name
	}
	ids, err := s.Store.ListUserIdentities(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		if i.State != gatehouse.IdentityActive {
			continue
		}
		g, err := group(i.GroupID)
		if err != nil {
			return nil, err
		}
		a.Identities = append(a.Identities, AccountIdentity{GroupPath: g.Path, GroupName: g.Name, ExternUID: i.ExternUID})
	}
	return a, nil
}

// PasswordChange asks to change the signed-in user's password.
type PasswordChange struct {
	Session *gatehouse.Session // the browser's session
	User    *gatehouse.User    // its user
	Current string
	New     string
	// ClientIP is the client's address, for the sign-in limits.
	ClientIP  netip.Addr
	RequestID string // for the audit event
}

// ChangePassword changes the password of the session's user, with
// admin.ChangePassword's rules and errors (admin.ErrWrongPassword for a
// wrong current password), which ends every session of the account. It
// then signs the browser in again, in a new session, and returns its
// cookie token; a session that had to choose a new password becomes an
// ordinary one.
//
// A wrong current password counts against the account's and the address's
// limits as a failed sign-in does, and past them the change is refused with
// a *Failure of status 429 before the password is checked; a new password
// that breaks the rules does not count.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) (string, error) {
	u := in.User
	if in.Session == nil || u == nil || in.Session.UserID != u.ID {
		return "", gatehouse.Errorf(gatehouse.Unauthenticated, "sign in to change your password")
	}
	if u.Kind != gatehouse.Personal || u.PasswordHash == "" {
		return "", gatehouse.Errorf(gatehouse.Forbidden, "your account has no password: it signs in through your organisation's identity provider")
	}
	if err := admin.CheckPassword(u.Username, in.New); err != nil {
		return "", err
	}
	att, err := s.startAttempt(ctx, u.Username, in.ClientIP)
	if err != nil {
		return "", err
	}
	err = s.admin().ChangePassword(ctx, admin.Actor{Kind: gatehouse.ActorUser, ID: u.ID, RequestID: in.RequestID}, u.ID, in.Current, in.New)
	switch {
	case errors.Is(err, admin.ErrWrongPassword):
		return "", err
	case err != nil:
		if ferr := att.notAGuess(ctx); ferr != nil {
			return "", errors.Join(err, ferr)
		}
		return "", err
	}
	if err := att.succeeded(ctx, u); err != nil {
		return "", err
	}
	u.PasswordExpired = false
	token, _, err := s.newSession(ctx, u, true)
	return token, err
}
