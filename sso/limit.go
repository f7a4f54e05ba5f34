package sso

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
)

// SignInLimits bound failed password sign-ins (security.md §2.1). Once a
// key has PerAccount (or PerIP) failures in a window, its attempts are
// refused, with status 429, until the window ends; the window opens at the
// key's first failure. The counters are in the database, so the limits hold
// for the instance, whichever node each attempt reaches.
type SignInLimits struct {
	// PerAccount is the failures allowed per login (a username or email,
	// in any letter case) in a window.
	PerAccount int
	// PerIP is the failures allowed per client address in a window; IPv6
	// addresses count per /64, which one client can hold whole.
	PerIP int
	// Window is how long a window lasts.
	Window time.Duration
}

// DefaultSignInLimits are the limits when Service.Limits leaves a field
// zero.
var DefaultSignInLimits = SignInLimits{PerAccount: 10, PerIP: 50, Window: 15 * time.Minute}

func (s *Service) limits() SignInLimits {
	l := s.Limits
	if l.PerAccount <= 0 {
		l.PerAccount = DefaultSignInLimits.PerAccount
	}
	if l.PerIP <= 0 {
		l.PerIP = DefaultSignInLimits.PerIP
	}
	if l.Window <= 0 {
		l.Window = DefaultSignInLimits.Window
	}
	return l
}

// loginKey is the counter key of a login: the SHA-256 of its canonical
// key (so that the table holds no usernames or addresses), cut to 128
// bits. A username and an email of one account are two logins, counted
// apart: counting them together would tell an attacker who knows both
// that the account exists.
func loginKey(login string) string {
	h := sha256.Sum256([]byte(canon.Key(login)))
	return "login:" + hex.EncodeToString(h[:16])
}

// ipKey is the counter key of a client address, "" when it is unknown.
func ipKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return "ip:" + p.String()
	}
	return "ip:" + ip.String()
}

// attempt is a password check counted before its outcome is known, so that
// attempts running at once, on any number of nodes, cannot slip past a
// limit together. One that turns out right takes its count back.
type attempt struct {
	s     *Service
	login string // the login's key
	ip    string // the address's key; "" for none
	now   time.Time
}

// startAttempt counts an attempt against the login's and the address's
// counters, and refuses it with tooManyAttempts when either is over its
// limit.
func (s *Service) startAttempt(ctx context.Context, login string, ip netip.Addr) (*attempt, error) {
	a := &attempt{s: s, login: loginKey(login), ip: ipKey(ip), now: s.now()}
	lim := s.limits()
	var until time.Time
	for _, k := range []struct {
		key   string
		limit int
	}{{a.login, lim.PerAccount}, {a.ip, lim.PerIP}} {
		if k.key == "" {
			continue
		}
		f, err := s.Store.CountSignInFailure(ctx, k.key, lim.Window, a.now)
		if err != nil {
			return nil, fmt.Errorf("count a sign-in attempt: %w", err)
		}
		if f.Count > k.limit && f.End.After(until) {
			until = f.End
		}
	}
	s.sweepSignInFailures(ctx, a.now)
	if !until.IsZero() {
		return nil, tooManyAttempts(until, a.now)
	}
	return a, nil
}

// succeeded takes the attempt back: it resets the counters of every login
// of u (a success proves the person knows the password, whichever login
// they typed), and forgives the address this one failure, so that the
// address's other failures still count.
func (a *attempt) succeeded(ctx context.Context, u *gatehouse.User) error {
	keys := []string{a.login, loginKey(u.Username)}
	for _, e := range u.Emails {
		keys = append(keys, loginKey(e.Address))
	}
	if _, err := a.s.Store.ResetSignInFailures(ctx, keys...); err != nil {
		return fmt.Errorf("reset the sign-in counters of %s: %w", u.Username, err)
	}
	return a.forgiveIP(ctx)
}

// notAGuess takes the attempt back from both counters: it failed before
// any password was checked (a new password that breaks the rules).
func (a *attempt) notAGuess(ctx context.Context) error {
	if err := a.s.Store.ForgiveSignInFailure(ctx, a.login, a.now); err != nil {
		return err
	}
	return a.forgiveIP(ctx)
}

func (a *attempt) forgiveIP(ctx context.Context) error {
	if a.ip == "" {
		return nil
	}
	return a.s.Store.ForgiveSignInFailure(ctx, a.ip, a.now)
}

// sweepEvery is how often a node removes the counters whose window has
// ended, on the first attempt after it is due.
const sweepEvery = time.Minute

// sweepSignInFailures removes ended counters when a sweep is due. A
// failed sweep is not the attempt's failure: ended counters only take
// room, and the next sweep removes them.
func (s *Service) sweepSignInFailures(ctx context.Context, now time.Time) {
	last := s.sweptAt.Load()
	if now.UnixMicro()-last < sweepEvery.Microseconds() || !s.sweptAt.CompareAndSwap(last, now.UnixMicro()) {
		return
	}
	_, _ = s.Store.DeleteExpiredSignInFailures(ctx, now)
}

// OutcomeRateLimited is the metrics label of a refused attempt.
const OutcomeRateLimited = "rate_limited"

// tooManyAttempts refuses an attempt until the window ends. It says the
// same for every login, whether or not it names an account.
func tooManyAttempts(until, now time.Time) *Failure {
	wait := until.Sub(now)
	in := fmt.Sprintf("in about %d minutes", int(wait.Round(time.Minute)/time.Minute))
	if wait < 90*time.Second {
		in = "in about a minute"
	}
	return &Failure{Status: http.StatusTooManyRequests, Outcome: OutcomeRateLimited,
		Title: "Too many sign-in attempts",
		Message: fmt.Sprintf("There were too many failed sign-in attempts for this account or from your network, so signing in is paused until %s UTC (%s).",
			until.UTC().Format("15:04"), in),
		Next:       "Wait until then and try again.",
		RetryAfter: wait}
}
