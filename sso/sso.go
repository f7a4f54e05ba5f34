// Package sso holds the use cases of signing in to Gatehouse: a group's SAML
// SSO (start, the assertion consumer service, the continue step, linking a
// personal account, creating a managed account on first sign-in), password
// sign-in with its rate limits, browser sessions with their lifetime and
// idle timeout, personal access tokens, and what the account page does
// (changing the password, unlinking an identity).
//
// The business rules of behaviour.md decisions 8, 10, 11, 16-19 and 33-40
// live here, once, above storage. Package saml checks the response; this
// package consumes its request id, records its assertion in the replay
// cache, decides the outcome and writes the group's SAML log. Every flow is
// kept in the database, so a flow started on one node finishes on any other.
// The group is an explicit argument of every call.
//
// A Service is safe for concurrent use.
package sso

import (
	"context"
	"crypto"
	"crypto/x509"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Lifetimes and limits.
const (
	// RequestTTL is how long an AuthnRequest waits for its response.
	RequestTTL = 10 * time.Minute
	// FlowTTL is how long a continue URL (and a link confirmation) works.
	FlowTTL = 5 * time.Minute
	// DefaultSessionTTL is how long a session lasts when Service.SessionTTL
	// is zero.
	DefaultSessionTTL = 24 * time.Hour
	// DefaultIdleTimeout ends a session unused for that long when
	// Service.IdleTimeout is zero.
	DefaultIdleTimeout = 2 * time.Hour
	// TouchInterval is how stale a session's last use may be before a
	// request records it again: the idle timeout is that much coarse, and
	// a busy session costs one write a minute, not one per request.
	TouchInterval = time.Minute
	// PasswordChangeTTL is the life of a session that signed in with a
	// one-time password and may only choose a new one.
	PasswordChangeTTL = 15 * time.Minute
	// LinkPasswordAge is how recently the session must have signed in with
	// the password to link an account (decision 19).
	LinkPasswordAge = time.Hour
	// LogKeep is how many entries a group's SAML log keeps: admin's
	// number, which its readers (saml log, the log page) rely on.
	LogKeep = admin.SAMLLogKeep
	// MaxRelayState is the longest RelayState path accepted.
	MaxRelayState = 1024
)

// AccountPath is where a signed-in user lands without a RelayState
// (decision 39).
const AccountPath = "/-/account"

// PasswordPath is the page that changes the signed-in user's password,
// and where a session that must choose a new one is sent.
const PasswordPath = "/-/account/password"

// KeyPair is the instance's SAML service provider key pair: it signs the
// AuthnRequests and is announced in the metadata.
type KeyPair struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// Service runs the sign-in use cases. Set the fields before the first call.
type Service struct {
	Store store.Store
	// BaseURL is the public URL without a trailing slash; the SP values are
	// built from it.
	BaseURL string
	Keys    KeyPair
	// SessionTTL is the life of a session; 0 means DefaultSessionTTL.
	SessionTTL time.Duration
	// IdleTimeout ends a session unused for that long; 0 means
	// DefaultIdleTimeout, a negative value none.
	IdleTimeout time.Duration
	// Limits bound failed password sign-ins; zero fields take
	// DefaultSignInLimits'.
	Limits SignInLimits
	// Admin runs the account use cases that sign-in shares (passwords);
	// nil means one over Store with the default password costs.
	Admin *admin.Service
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	// dummy is the hash checked for accounts that do not exist.
	dummy struct {
		once sync.Once
		hash string
	}
	// sweptAt is when this node last removed ended sign-in counters, in
	// Unix microseconds.
	sweptAt atomic.Int64
}

func (s *Service) admin() *admin.Service {
	if s.Admin != nil {
		return s.Admin
	}
	return &admin.Service{Store: s.Store, Now: s.Now}
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) sessionTTL() time.Duration {
	if s.SessionTTL > 0 {
		return s.SessionTTL
	}
	return DefaultSessionTTL
}

func (s *Service) idleTimeout() time.Duration {
	if s.IdleTimeout == 0 {
		return DefaultIdleTimeout
	}
	return max(s.IdleTimeout, 0)
}

// Failure is a sign-in that cannot go on. Its texts are safe to show: what
// happened, what the user can do next, and the reference id the group's
// owner looks up in the SAML log. Err holds the detail for the server log.
type Failure struct {
	Status    int    // the HTTP status of the page: 400, 403, 404 or 429
	Outcome   string // the SAML log outcome and metrics label
	Title     string
	Message   string // what happened
	Next      string // what to do now
	Reference string // the SAML log entry's reference id; "" when none was written
	// Verify, when set, is the refused response to an owner's test of the
	// configuration: show it instead of the failure page, with Status.
	Verify *VerifyReport
	// RetryAfter, when positive, is how long to wait before trying again
	// can succeed (HTTP's Retry-After).
	RetryAfter time.Duration
	Err        error
}

func (f *Failure) Error() string {
	if f.Err != nil {
		return "sso " + f.Outcome + ": " + f.Message + ": " + f.Err.Error()
	}
	return "sso " + f.Outcome + ": " + f.Message
}

// HTTPStatus is the status of the failure page.
func (f *Failure) HTTPStatus() int { return f.Status }

func (f *Failure) Unwrap() error { return f.Err }

// notConfigured is the answer for a group without enabled SAML SSO, and for
// a group that does not exist, so that nobody learns which groups exist.
func notConfigured() *Failure {
	return &Failure{Status: http.StatusNotFound, Outcome: "not_configured",
		Title:   "SAML SSO is not configured for this group",
		Message: "SAML SSO is not configured for this group, or the group does not exist.",
		Next:    "Check the address you followed. If it is right, ask the group's owner to set up SAML SSO."}
}

// Group finds the group by ref (its path or numeric id) and its enabled
// SAML configuration. A missing group, configuration or a disabled one are
// all the same *Failure (404).
func (s *Service) Group(ctx context.Context, ref string) (*gatehouse.Group, *gatehouse.SAMLConfig, error) {
	g, err := admin.FindGroup(ctx, s.Store, ref)
	switch {
	case gatehouse.IsKind(err, gatehouse.NotFound), gatehouse.IsKind(err, gatehouse.Invalid):
		return nil, nil, notConfigured()
	case err != nil:
		return nil, nil, err
	}
	cfg, err := s.Store.FindSAMLConfig(ctx, g.ID)
	switch {
	case gatehouse.IsKind(err, gatehouse.NotFound):
		return nil, nil, notConfigured()
	case err != nil:
		return nil, nil, err
	case !cfg.Enabled:
		return nil, nil, notConfigured()
	}
	return g, cfg, nil
}

// EntityID is the group's SP entity ID (decision 33).
func (s *Service) EntityID(g *gatehouse.Group) string {
	return admin.ServiceProvider(s.BaseURL, g).EntityID
}

// SP returns the service provider the group's IdP sees: the entity ID by
// path, and the ACS URLs by path (canonical) and by id, as
// admin.ServiceProvider spells them for the owner.
func (s *Service) SP(g *gatehouse.Group) saml.SP {
	v := admin.ServiceProvider(s.BaseURL, g)
	return saml.SP{
		EntityID:    v.EntityID,
		ACSURLs:     []string{v.ACSURL, v.ACSURLByID},
		Key:         s.Keys.Key,
		Certificate: s.Keys.Certificate,
	}
}

// IdP returns the group's identity provider as package saml trusts it. An
// error (a certificate that does not parse) is a configuration problem the
// owner must fix.
func IdP(cfg *gatehouse.SAMLConfig) (saml.IdP, error) {
	idp := saml.IdP{
		EntityID:          cfg.IdPEntityID,
		SSOURL:            cfg.SSOURL,
		Fingerprints:      cfg.Fingerprints,
		AllowIdPInitiated: cfg.AllowIdPInitiated,
		ClockSkew:         cfg.ClockSkew,
	}
	certs, err := admin.TrustedCertificates(cfg.Certificates)
	if err != nil {
		return saml.IdP{}, err
	}
	idp.Certificates = certs
	return idp, nil
}

// Metadata returns the group's SP metadata.
func (s *Service) Metadata(g *gatehouse.Group) ([]byte, error) {
	return saml.Metadata(s.SP(g))
}

// SafeRelayState returns p when it is a local path the browser may be sent
// to after sign-in (security.md §1.17): it starts with a single '/', holds
// no '\', no control characters and no "//", and is at most MaxRelayState
// bytes. Anything else is "".
func SafeRelayState(p string) string {
	if p == "" || len(p) > MaxRelayState || p[0] != '/' || strings.Contains(p, "//") || strings.ContainsRune(p, '\\') {
		return ""
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x21 || p[i] == 0x7f {
			return ""
		}
	}
	if !gatehouseValidText(p) {
		return ""
	}
	return p
}

// gatehouseValidText reports whether s is valid UTF-8.
func gatehouseValidText(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
