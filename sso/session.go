package sso

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/password"
)

// newSession creates a session for u and returns its cookie token; only the
// token's SHA-256 is stored. withPassword records that the password signed
// it in now.
func (s *Service) newSession(ctx context.Context, u *gatehouse.User, withPassword bool) (string, *gatehouse.Session, error) {
	now := s.now()
	token, hash := gatehouse.NewToken("")
	sess := &gatehouse.Session{Hash: hash, UserID: u.ID, ExpiresAt: now.Add(s.sessionTTL())}
	if withPassword {
		sess.PasswordAt = now
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Session returns the live session whose cookie holds token, and its user;
// NotFound for none, an expired one, or a blocked user's.
func (s *Service) Session(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, error) {
	if token == "" || len(token) > 128 {
		return nil, nil, gatehouse.Errorf(gatehouse.NotFound, "no session")
	}
	sess, err := s.Store.FindSessionByHash(ctx, gatehouse.HashToken(token), s.now())
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.State != gatehouse.UserActive {
		return nil, nil, gatehouse.Errorf(gatehouse.NotFound, "no session")
	}
	return sess, u, nil
}

// TokenUser returns the user of a personal access token. Unauthenticated
// for a malformed, unknown or expired token, or a blocked user's.
func (s *Service) TokenUser(ctx context.Context, token string) (*gatehouse.User, error) {
	denied := gatehouse.Errorf(gatehouse.Unauthenticated, "a valid personal access token or a signed-in session is required")
	if !gatehouse.WellFormedToken(gatehouse.PATPrefix, token) {
		return nil, denied
	}
	t, err := s.Store.FindPATByHash(ctx, gatehouse.HashToken(token))
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if t.Expired(s.now()) {
		return nil, denied
	}
	u, err := s.Store.FindUserByID(ctx, t.UserID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, denied
	}
	if err != nil {
		return nil, err
	}
	if u.State != gatehouse.UserActive {
		return nil, denied
	}
	return u, nil
}

// wrongPassword is the one answer for every failed password sign-in, so
// that it does not tell which accounts exist.
func wrongPassword() *Failure {
	return &Failure{Status: http.StatusUnauthorized, Outcome: "wrong_password",
		Title:   "Wrong username or password",
		Message: "The username (or email) and password do not match an account that signs in with a password.",
		Next:    "Check them and try again. Accounts your organisation's identity provider created sign in through its SSO page."}
}

// dummyHash is verified against when there is no account, so that a failed
// sign-in takes as long whether or not the account exists.
var dummyHash = sync.OnceValue(func() string {
	return password.Hash("gatehouse-dummy-password", password.Params{Memory: 64 << 10, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32})
})

// SignInPassword signs a personal account in with its password, by
// username or email, always in a new session (the browser's current one
// is ended). It returns the new session's cookie token.
func (s *Service) SignInPassword(ctx context.Context, login, pw string, current *gatehouse.Session) (string, error) {
	if login == "" || len(login) > 255 || pw == "" || len(pw) > password.MaxLength {
		return "", wrongPassword()
	}
	u, err := s.Store.FindUserByUsername(ctx, login)
	if gatehouse.IsKind(err, gatehouse.NotFound) || gatehouse.IsKind(err, gatehouse.Invalid) {
		u, err = s.Store.FindPersonalUserByEmail(ctx, login)
	}
	if gatehouse.IsKind(err, gatehouse.NotFound) || gatehouse.IsKind(err, gatehouse.Invalid) {
		password.Verify(dummyHash(), pw)
		return "", wrongPassword()
	}
	if err != nil {
		return "", err
	}
	if u.Kind != gatehouse.Personal || u.PasswordHash == "" || u.State != gatehouse.UserActive {
		password.Verify(dummyHash(), pw)
		return "", wrongPassword()
	}
	ok, err := password.Verify(u.PasswordHash, pw)
	if err != nil || !ok {
		return "", wrongPassword()
	}
	if current != nil {
		if err := s.Store.DeleteSession(ctx, current.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return "", err
		}
	}
	token, _, err := s.newSession(ctx, u, true)
	return token, err
}

// SignOut ends the session.
func (s *Service) SignOut(ctx context.Context, sess *gatehouse.Session) error {
	if sess == nil {
		return nil
	}
	if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return err
	}
	return nil
}

// Account is what the account page shows.
type Account struct {
	User       *gatehouse.User
	Groups     []AccountGroup
	Identities []AccountIdentity
}

// AccountGroup is one of the user's memberships.
type AccountGroup struct {
	Path, Name, Role string
	Pending          bool
}

// AccountIdentity is one of the user's SAML identities.
type AccountIdentity struct {
	GroupPath, ExternUID string
}

// FindAccount returns what the user's account page lists.
func (s *Service) FindAccount(ctx context.Context, u *gatehouse.User) (*Account, error) {
	a := &Account{User: u}
	ms, err := s.Store.ListUserMemberships(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	paths := map[int64]string{}
	for _, m := range ms {
		g, err := s.Store.FindGroupByID(ctx, m.GroupID)
		if err != nil {
			return nil, err
		}
		paths[g.ID] = g.Path
		a.Groups = append(a.Groups, AccountGroup{Path: g.Path, Name: g.Name, Role: m.Role.String(), Pending: m.State != gatehouse.MemberActive})
	}
	ids, err := s.Store.ListUserIdentities(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		if i.State != gatehouse.IdentityActive {
			continue
		}
		p, ok := paths[i.GroupID]
		if !ok {
			g, err := s.Store.FindGroupByID(ctx, i.GroupID)
			if err != nil {
				return nil, err
			}
			p = g.Path
		}
		a.Identities = append(a.Identities, AccountIdentity{GroupPath: p, ExternUID: i.ExternUID})
	}
	return a, nil
}

// SessionLifetime is how long a new session lasts.
func (s *Service) SessionLifetime() time.Duration { return s.sessionTTL() }

// Linked reports whether u has an active SAML identity in the group.
func (s *Service) Linked(ctx context.Context, g *gatehouse.Group, u *gatehouse.User) (bool, error) {
	i, err := s.Store.FindIdentityByUser(ctx, g.ID, u.ID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return i.State == gatehouse.IdentityActive, nil
}

// CanLink reports whether sess signed in with its password recently
// enough to link an account (decision 19).
func (s *Service) CanLink(sess *gatehouse.Session) bool {
	return sess != nil && !sess.PasswordAt.IsZero() && s.now().Sub(sess.PasswordAt) <= LinkPasswordAge
}
