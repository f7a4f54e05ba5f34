package sso

import (
	"context"
	"net/http"
	"net/netip"
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
	sess := &gatehouse.Session{Hash: hash, UserID: u.ID, ExpiresAt: now.Add(s.sessionTTL()), LastSeenAt: now}
	if withPassword {
		sess.PasswordAt = now
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Session returns the live session whose cookie holds token, and its user.
// NotFound for none, one past its lifetime or its idle timeout (which it
// deletes), or a blocked user's. It records the session's use, at most once per TouchInterval.
func (s *Service) Session(ctx context.Context, token string) (*gatehouse.Session, *gatehouse.User, error) {
	if token == "" || len(token) > 128 {
		return nil, nil, gatehouse.Errorf(gatehouse.NotFound, "no session")
	}
	now := s.now()
	sess, err := s.Store.FindSessionByHash(ctx, gatehouse.HashToken(token), now)
	if err != nil {
		return nil, nil, err
	}
	if idle := s.idleTimeout(); idle > 0 && !now.Before(sess.LastSeenAt.Add(idle)) {
		if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return nil, nil, err
		}
		return nil, nil, gatehouse.Errorf(gatehouse.NotFound, "the session was idle for %v", idle)
	}
	u, err := s.Store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.State != gatehouse.UserActive {
		return nil, nil, gatehouse.Errorf(gatehouse.NotFound, "no session")
	}
	if now.Sub(sess.LastSeenAt) >= TouchInterval {
		if err := s.Store.TouchSession(ctx, sess.ID, now); err != nil {
			return nil, nil, err
		}
		sess.LastSeenAt = now
	}
	return sess, u, nil
}

// TokenUser returns the user of a personal access token, and records the
// token's use (at most once per TouchInterval). Unauthenticated for a
// malformed, unknown or expired token, or a blocked user's.
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
	now := s.now()
	if t.Expired(now) {
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
	if now.Sub(t.LastUsedAt) >= TouchInterval {
		err := s.Store.TouchPAT(ctx, t.ID, now)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return nil, denied // revoked meanwhile
		}
		if err != nil {
			return nil, err
		}
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
// sign-in takes as long whether or not the account exists: it has the costs
// of the hashes of real accounts.
func (s *Service) dummyHash() string {
	s.dummy.once.Do(func() {
		s.dummy.hash = password.Hash("gatehouse-dummy-password", s.admin().PasswordHashParams())
	})
	return s.dummy.hash
}

// PasswordSignIn is a password sign-in attempt.
type PasswordSignIn struct {
	Login    string // a username or an email
	Password string
	// ClientIP is the client's address (server.ClientIP), for the
	// per-address limit; the zero Addr skips that limit.
	ClientIP netip.Addr
	// Current is the browser's session, which the sign-in ends; nil for
	// none.
	Current *gatehouse.Session
}

// SignedIn is a successful password sign-in.
type SignedIn struct {
	Token string // the new session's cookie value
	User  *gatehouse.User
}

// SignInPassword signs a personal account in with its password, by
// username or email, always in a new session (the browser's current one
// is ended).
//
// Every failure is the same *Failure (401), whether or not the account
// exists, and takes as long (a dummy hash is checked when there is no
// password to check). Failed attempts count against the login and the
// client's address (SignInLimits); past a limit, attempts are refused with
// a *Failure of status 429 whose RetryAfter says when to try again, before
// any password is checked. A success resets the counters of the account's
// logins and takes this attempt back from the address's.
func (s *Service) SignInPassword(ctx context.Context, in PasswordSignIn) (SignedIn, error) {
	login, pw := in.Login, in.Password
	if login == "" || len(login) > 255 || pw == "" || len(pw) > password.MaxLength {
		return SignedIn{}, wrongPassword()
	}
	att, err := s.startAttempt(ctx, login, in.ClientIP)
	if err != nil {
		return SignedIn{}, err
	}
	u, err := s.Store.FindUserByUsername(ctx, login)
	if gatehouse.IsKind(err, gatehouse.NotFound) || gatehouse.IsKind(err, gatehouse.Invalid) {
		u, err = s.Store.FindPersonalUserByEmail(ctx, login)
	}
	if gatehouse.IsKind(err, gatehouse.NotFound) || gatehouse.IsKind(err, gatehouse.Invalid) {
		password.Verify(s.dummyHash(), pw)
		return SignedIn{}, wrongPassword()
	}
	if err != nil {
		return SignedIn{}, err
	}
	if u.Kind != gatehouse.Personal || u.PasswordHash == "" || u.State != gatehouse.UserActive {
		password.Verify(s.dummyHash(), pw)
		return SignedIn{}, wrongPassword()
	}
	ok, err := password.Verify(u.PasswordHash, pw)
	if err != nil || !ok {
		return SignedIn{}, wrongPassword()
	}
	if err := att.succeeded(ctx, u); err != nil {
		return SignedIn{}, err
	}
	if in.Current != nil {
		if err := s.Store.DeleteSession(ctx, in.Current.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return SignedIn{}, err
		}
	}
	token, _, err := s.newSession(ctx, u, true)
	if err != nil {
		return SignedIn{}, err
	}
	return SignedIn{Token: token, User: u}, nil
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
