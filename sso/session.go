package sso

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/password"
)

// newSession creates a session for u and returns its cookie token; only the
// token's SHA-256 is stored. withPassword records that the password signed
// it in now. A session that must choose a new password first lasts
// PasswordChangeTTL.
func (s *Service) newSession(ctx context.Context, u *gatehouse.User, withPassword bool) (string, *gatehouse.Session, error) {
	now := s.now()
	token, hash := gatehouse.NewToken("")
	ttl := s.sessionTTL()
	if u.PasswordExpired {
		ttl = min(ttl, PasswordChangeTTL)
	}
	sess := &gatehouse.Session{Hash: hash, UserID: u.ID, ExpiresAt: now.Add(ttl), LastSeenAt: now}
	if withPassword {
		sess.PasswordAt = now
	}
	if err := s.Store.CreateSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// OutcomePasswordChange is the outcome of a request that a session whose
// password must change first cannot make.
const OutcomePasswordChange = "password_change"

// passwordChangeFirst is Session's answer for a user who signed in with a
// one-time password.
func passwordChangeFirst() *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomePasswordChange,
		Title:   "Choose a new password first",
		Message: "You signed in with a one-time password. Until you choose a new password, your session can do nothing else.",
		Next:    "Choose a new password on the password page (" + PasswordPath + "), or sign out."}
}

// IsPasswordChange reports whether err is Session's refusal of a session
// that must choose a new password before anything else.
func IsPasswordChange(err error) bool {
	var f *Failure
	return errors.As(err, &f) && f.Outcome == OutcomePasswordChange
}

// Session returns the live session whose cookie holds token, and its user.
// NotFound for none, one past its lifetime or its idle timeout (which it
// deletes), or a blocked user's. When the user must choose a new password
// first (a one-time password), it returns the session and the user with a
// *Failure (403) for which IsPasswordChange is true: such a session serves
// ChangePassword and SignOut only, so every caller that only checks the
// error refuses it.
//
// It records the session's use, at most once per TouchInterval.
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
	if u.PasswordExpired {
		return sess, u, passwordChangeFirst()
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
	// MustChangePassword says the account signed in with a one-time
	// password: the session serves only ChangePassword and SignOut, and
	// lasts PasswordChangeTTL.
	MustChangePassword bool
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
	return SignedIn{Token: token, User: u, MustChangePassword: u.PasswordExpired}, nil
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

// DeleteExpired removes the sign-in state whose time is over: AuthnRequest
// ids, replay-cache entries, continue flows, sessions and the password
// sign-in failure counters. Nothing expired is ever used (every read
// compares its own now), so this only keeps the tables small; any node may
// run it at any time. It returns how many rows went.
func (s *Service) DeleteExpired(ctx context.Context) (int, error) {
	now := s.now()
	n, err := s.Store.DeleteExpiredSAMLState(ctx, now)
	if err != nil {
		return n, err
	}
	m, err := s.Store.DeleteExpiredSignInFailures(ctx, now)
	return n + m, err
}
