package sso

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/saml"
)

// Start begins an SP-initiated sign-in for the browser whose nonce cookie
// hashes to browserHash, signed in as current (nil for nobody): it stores
// the AuthnRequest, bound to both, and returns the IdP URL to redirect to.
// relayState is where to land afterwards; anything but a local path is
// dropped.
func (s *Service) Start(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, browserHash []byte, current *gatehouse.Session, relayState string) (string, error) {
	// The RelayState sent is empty: the response's InResponseTo finds the
	// request, which holds where to go.
	r := &gatehouse.SAMLRequest{RelayState: SafeRelayState(relayState), BrowserHash: browserHash}
	if current != nil {
		r.SessionID = current.ID
	}
	return s.sendRequest(ctx, g, cfg, r)
}

// sendRequest makes a signed AuthnRequest of the group, stores r under its
// id (with the group and the expiry set), and returns the IdP URL that
// carries it.
func (s *Service) sendRequest(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, r *gatehouse.SAMLRequest) (string, error) {
	now := s.now()
	idp, err := IdP(cfg)
	if err != nil {
		return "", misconfigured(err)
	}
	ar, err := saml.NewAuthnRequest(s.SP(g), idp, "", now)
	if err != nil {
		return "", misconfigured(err)
	}
	r.ID, r.GroupID, r.ExpiresAt = ar.ID, g.ID, now.Add(RequestTTL)
	if err := s.Store.CreateSAMLRequest(ctx, r); err != nil {
		return "", fmt.Errorf("store the SAML request of group %s: %w", g.Path, err)
	}
	return ar.RedirectURL, nil
}

func misconfigured(err error) *Failure {
	return &Failure{Status: http.StatusServiceUnavailable, Outcome: "misconfigured",
		Title:   "SAML SSO is not set up correctly",
		Message: "This group's SAML settings cannot be used to sign in.",
		Next:    "Ask the group's owner to check the identity provider's SSO URL and certificates in the group's SAML settings.",
		Err:     err}
}

// unavailable is the answer to a sign-in that the database's failure, err,
// kept from being checked or recorded: it is refused (fail closed).
func unavailable(err error) *Failure {
	return &Failure{Status: http.StatusServiceUnavailable, Outcome: "unavailable",
		Title:   "Sign-in is not available right now",
		Message: "Gatehouse could not finish checking your sign-in.",
		Next:    "Try again in a minute. If it keeps failing, give the group's owner the reference below, or the request id if there is none.",
		Err:     err}
}

// Response is what the group's ACS received.
type Response struct {
	SAMLResponse string
	RelayState   string
	// ByID says the response was posted to the group's ACS URL by id
	// rather than by path.
	ByID      bool
	ClientIP  string
	UserAgent string
	// FormError, when set, says why the posted form itself is refused (a
	// second SAMLResponse, say): the response is logged and refused
	// unread.
	FormError string
}

// Accepted is a response that passed every check: the browser goes on to
// Location, a same-origin path.
type Accepted struct {
	Outcome   string // signed_in, link_required, create, password_first, verified
	Location  string
	Reference string // its SAML log entry
}

// The outcomes of the ACS, as the SAML log and the metrics name them.
const (
	OutcomeSignedIn      = "signed_in"
	OutcomeLinkRequired  = "link_required"
	OutcomeCreate        = "create"
	OutcomePasswordFirst = "password_first"
	OutcomeInvalid       = "invalid"
	OutcomeReplayed      = "replayed"
	OutcomeUnknown       = "unknown_name_id"
	OutcomeBlocked       = "blocked"
	OutcomeDeprovisioned = "deprovisioned"
	OutcomeNotLinkable   = "not_linkable"
)

// flowDetail is what a create flow carries to the continue step.
type flowDetail struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name,omitempty"`
	// SAMLGroups says the assertion carried a groups attribute; Groups
	// are its values, for the group links (see withGroups).
	SAMLGroups bool     `json:"saml_groups,omitempty"`
	Groups     []string `json:"groups,omitempty"`
	// Reference is the sign-in's SAML log reference, the cause of a role
	// change in the audit trail.
	Reference string `json:"reference,omitempty"`
}

// ACS handles a SAMLResponse posted to the group's assertion consumer
// service. It returns Accepted, or a *Failure for a response that is
// refused; either way the group's SAML log has an entry, whose reference
// the failure page shows. Other errors are the database's.
func (s *Service) ACS(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, in Response) (Accepted, error) {
	now := s.now()
	entry := &gatehouse.SAMLLogEntry{GroupID: g.ID, At: now, ReferenceID: newReference(),
		ClientIP: in.ClientIP, UserAgent: in.UserAgent}
	acc, f, err := s.acs(ctx, g, cfg, in, entry)
	if err != nil && f == nil {
		// The database failed: the sign-in is refused (fail closed) and
		// the log entry says so.
		f = unavailable(err)
	}
	if f != nil {
		entry.Outcome = f.Outcome
	} else {
		entry.Outcome = acc.Outcome
	}
	entry.Clamp()
	if lerr := s.Store.AppendSAMLLog(ctx, entry, LogKeep); lerr != nil {
		// Without its log entry a refusal could not be looked up, and a
		// success would leave no trace: refuse both, a success with the
		// same page as any other failure of the database.
		if f == nil {
			f = unavailable(lerr)
		}
		lerr = errors.Join(lerr, f)
		return Accepted{}, fmt.Errorf("write the SAML log of group %s: %w", g.Path, lerr)
	}
	if f != nil {
		f.Reference = entry.ReferenceID
		if f.Verify != nil {
			f.Verify.Reference = entry.ReferenceID
		}
		return Accepted{}, f
	}
	acc.Reference = entry.ReferenceID
	return acc, nil
}

// acs checks the response and decides; it fills entry as it learns. A
// *Failure is a refusal; an error alone is the database's.
func (s *Service) acs(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, in Response, entry *gatehouse.SAMLLogEntry) (Accepted, *Failure, error) {
	now := entry.At
	if in.FormError != "" {
		return Accepted{}, &Failure{Status: http.StatusBadRequest, Outcome: OutcomeInvalid,
			Title:   "Your identity provider's response was refused",
			Message: in.FormError,
			Next:    "Start again from the group's sign-in page. If it fails again, give the group's owner the reference below."}, nil
	}
	idp, err := IdP(cfg)
	if err != nil {
		return Accepted{}, misconfigured(err), nil
	}
	sp := s.SP(g)
	acsURL := sp.ACSURLs[0]
	if in.ByID {
		acsURL = sp.ACSURLs[1]
	}
	a, v, err := saml.ParseResponse(sp, idp, saml.ResponseInput{
		SAMLResponse: in.SAMLResponse,
		ACSURL:       acsURL,
		IsRequestID: func(id string) bool {
			_, err := s.Store.FindSAMLRequest(ctx, g.ID, id, now)
			return err == nil
		},
	}, now)
	entry.Response = v.XML
	entry.Checks = checksJSON(v.Checks)
	if err != nil {
		var se *saml.Error
		public := "The sign-in response from your identity provider was refused."
		if errors.As(err, &se) {
			public = se.Public
		}
		f := &Failure{Status: http.StatusBadRequest, Outcome: OutcomeInvalid,
			Title:   "Your identity provider's response was refused",
			Message: public,
			Next:    "Start again from the group's sign-in page. If it fails again, give the group's owner the reference below: the group's SAML log explains what to change.",
			Err:     err}
		if err := s.verifyFailure(ctx, g, v, f); err != nil {
			return Accepted{}, nil, err
		}
		return Accepted{}, f, nil
	}
	entry.NameID, entry.RequestID = a.NameID, a.InResponseTo

	var req *gatehouse.SAMLRequest
	if a.InResponseTo != "" {
		req, err = s.Store.ConsumeSAMLRequest(ctx, g.ID, a.InResponseTo, now)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return Accepted{}, replayed(), nil
		}
		if err != nil {
			return Accepted{}, nil, err
		}
	}
	if err := s.Store.ConsumeSAMLAssertion(ctx, g.ID, a.ID, a.NotOnOrAfter, now); err != nil {
		if gatehouse.IsKind(err, gatehouse.Conflict) {
			return Accepted{}, replayed(), nil
		}
		return Accepted{}, nil, err
	}
	if req != nil && req.Verify {
		// An owner's test: nothing is decided, nobody signed in.
		flow, f, err := s.verifyFlow(ctx, g, a, req, entry.ReferenceID)
		if f != nil || err != nil {
			return Accepted{}, f, err
		}
		flow.RequestID, flow.BrowserHash = req.ID, req.BrowserHash
		token, err := s.createFlow(ctx, g, flow)
		if err != nil {
			return Accepted{}, nil, err
		}
		return Accepted{Outcome: OutcomeVerified, Location: ContinuePath(g, token)}, nil, nil
	}
	flow, f, err := s.decide(ctx, g, cfg, a, req)
	if f != nil || err != nil {
		return Accepted{}, f, err
	}
	if flow == nil {
		// The NameID belongs to someone who must sign in with their
		// password first, then come back to link.
		return Accepted{Outcome: OutcomePasswordFirst, Location: passwordFirst(g)}, nil, nil
	}
	groups, err := s.withGroups(ctx, g, a, flow, entry.ReferenceID)
	if err != nil {
		return Accepted{}, nil, err
	}
	if groups != nil {
		entry.Checks = checksJSON(append(v.Checks, *groups))
	}
	if req != nil {
		flow.RequestID, flow.BrowserHash, flow.RelayState = req.ID, req.BrowserHash, req.RelayState
	} else {
		flow.RelayState = SafeRelayState(in.RelayState)
	}
	token, err := s.createFlow(ctx, g, flow)
	if err != nil {
		return Accepted{}, nil, err
	}
	outcome := map[gatehouse.SAMLFlowKind]string{
		gatehouse.SAMLFlowSignIn: OutcomeSignedIn, gatehouse.SAMLFlowLink: OutcomeLinkRequired, gatehouse.SAMLFlowCreate: OutcomeCreate,
	}[flow.Kind]
	return Accepted{Outcome: outcome, Location: ContinuePath(g, token)}, nil, nil
}

// ContinuePath is the continue URL of a flow.
func ContinuePath(g *gatehouse.Group, token string) string {
	return "/groups/" + g.Path + "/-/saml/continue?token=" + url.QueryEscape(token)
}

// passwordFirst is the sign-in page that tells the user to sign in with
// their password and come back to the group's SSO page to link.
func passwordFirst(g *gatehouse.Group) string {
	return "/users/sign_in?reason=link&return_to=" + url.QueryEscape("/groups/"+g.Path+"/-/saml/sso")
}

func replayed() *Failure {
	return &Failure{Status: http.StatusBadRequest, Outcome: OutcomeReplayed,
		Title:   "This sign-in was used already",
		Message: "The sign-in response was used already, or answers a sign-in request that was used or has expired.",
		Next:    "Start again from the group's sign-in page; each sign-in works once."}
}

func accessRemoved(err error) *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomeDeprovisioned,
		Title:   "Your access was removed",
		Message: "Your access was removed by your organisation's identity provider.",
		Next:    "If you should still have access, ask your organisation's administrator to assign you to the application again.",
		Err:     err}
}

func blocked() *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomeBlocked,
		Title:   "Your account is blocked",
		Message: "The account this sign-in belongs to is blocked.",
		Next:    "Ask the instance's administrator to unblock it."}
}

// decide picks what the verified assertion leads to: a flow to create, nil
// for "sign in with your password first", or a refusal.
func (s *Service) decide(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, a *saml.Assertion, req *gatehouse.SAMLRequest) (*gatehouse.SAMLFlow, *Failure, error) {
	q := s.Store
	ident, err := q.FindIdentityByExternUID(ctx, g.ID, a.NameID)
	if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	if err == nil && ident.State == gatehouse.IdentityActive {
		u, err := q.FindUserByID(ctx, ident.UserID)
		if err != nil {
			return nil, nil, err
		}
		if f, err := s.allowed(ctx, g, u); f != nil || err != nil {
			return nil, f, err
		}
		return &gatehouse.SAMLFlow{GroupID: g.ID, Kind: gatehouse.SAMLFlowSignIn, UserID: u.ID, ExternUID: ident.ExternUID}, nil, nil
	}

	// No linked identity. A SCIM identity with the NameID says whom the IdP
	// means.
	si, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, a.NameID)
	if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	if err != nil {
		si = nil
	}
	if si != nil && !si.Active() {
		return nil, accessRemoved(nil), nil
	}

	// Linking happens only in an SP-initiated flow that a session signed
	// in with its password started (decision 19).
	if req != nil && req.SessionID != 0 {
		sess, err := q.FindSession(ctx, req.SessionID, s.now())
		if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
			return nil, nil, err
		}
		if err == nil && !sess.PasswordAt.IsZero() {
			return s.linkFlow(ctx, g, a, sess, si)
		}
	}
	if si != nil {
		// Provisioned for a personal account that has not linked yet.
		return nil, nil, nil
	}
	if a.NameIDFormat == saml.NameIDTransient {
		return nil, unknownNameID(a.NameID, "a transient NameID never creates an account"), nil
	}
	email := attribute(a, emailAttributes)
	if !cfg.CreateUsers || email == "" {
		why := "the group does not create accounts on first sign-in"
		if cfg.CreateUsers {
			why = "the response carries no email attribute to create an account from"
		}
		return nil, unknownNameID(a.NameID, why), nil
	}
	if err := gatehouse.ValidateEmail(email); err != nil {
		return nil, unknownNameID(a.NameID, "its email attribute is not an email address"), nil
	}
	if _, err := q.FindPersonalUserByEmail(ctx, email); err == nil {
		// Never linked by email (security.md §1.16): the owner of the
		// account proves it with the password.
		return nil, nil, nil
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	if _, err := q.FindManagedUserByEmail(ctx, g.ID, email); err == nil {
		return nil, unknownNameID(a.NameID, "an account of this group already has its email under another NameID; correct that account's extern_uid"), nil
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	detail, _ := json.Marshal(flowDetail{Email: email, Name: attribute(a, nameAttributes)})
	return &gatehouse.SAMLFlow{GroupID: g.ID, Kind: gatehouse.SAMLFlowCreate, ExternUID: a.NameID, Detail: detail}, nil, nil
}

// allowed refuses a user who may not sign in through the group: blocked,
// or deprovisioned by its SCIM.
func (s *Service) allowed(ctx context.Context, g *gatehouse.Group, u *gatehouse.User) (*Failure, error) {
	if u.State != gatehouse.UserActive {
		return blocked(), nil
	}
	si, err := s.Store.FindSCIMIdentityForUser(ctx, g.ID, u.ID, true)
	switch {
	case gatehouse.IsKind(err, gatehouse.NotFound):
		return nil, nil
	case err != nil:
		return nil, err
	case !si.Active():
		return accessRemoved(nil), nil
	}
	return nil, nil
}

// linkFlow is the link confirmation for the signed-in sess, unless the
// NameID or the account is tied to something else already.
func (s *Service) linkFlow(ctx context.Context, g *gatehouse.Group, a *saml.Assertion, sess *gatehouse.Session, si *gatehouse.SCIMIdentity) (*gatehouse.SAMLFlow, *Failure, error) {
	u, err := s.Store.FindUserByID(ctx, sess.UserID)
	if err != nil {
		return nil, nil, err
	}
	if u.State != gatehouse.UserActive {
		return nil, blocked(), nil
	}
	if si != nil && si.UserID != u.ID {
		return nil, notLinkable("your identity provider provisioned this NameID for another account"), nil
	}
	// The SAML identity follows the SCIM externalId (decision 7): an
	// account the IdP provisioned links only under that NameID.
	if own, err := s.Store.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false); err == nil {
		if !own.Active() {
			return nil, accessRemoved(nil), nil
		}
		if !sameUID(own.ExternUID, a.NameID) {
			return nil, notLinkable(fmt.Sprintf("your identity provider provisioned your account under the NameID %q, not %q", own.ExternUID, a.NameID)), nil
		}
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	if other, err := s.Store.FindIdentityByUser(ctx, g.ID, u.ID); err == nil && other.State == gatehouse.IdentityActive {
		return nil, notLinkable("your account is linked to this group under another NameID"), nil
	} else if err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil, err
	}
	return &gatehouse.SAMLFlow{GroupID: g.ID, Kind: gatehouse.SAMLFlowLink, UserID: u.ID, ExternUID: a.NameID}, nil, nil
}

func notLinkable(why string) *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomeNotLinkable,
		Title:   "Your account cannot be linked",
		Message: "Your account cannot be linked to this group's identity provider: " + why + ".",
		Next:    "Ask the group's owner to check the identity in the group's SAML and SCIM settings, giving the reference below."}
}

func unknownNameID(nameID, why string) *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomeUnknown,
		Title: "No account for this sign-in",
		Message: fmt.Sprintf("Your identity provider signed you in as NameID %q, but no account of this group has that identity, and %s.",
			nameID, why),
		Next: "If you have an account here, sign in with your password, then start the group's SSO again to link it. " +
			"Otherwise ask the group's owner to provision you over SCIM (with externalId equal to the NameID), or to allow account creation on first sign-in."}
}

// createFlow stores flow with a fresh one-time token and returns the token.
func (s *Service) createFlow(ctx context.Context, g *gatehouse.Group, flow *gatehouse.SAMLFlow) (string, error) {
	token, hash := gatehouse.NewToken("")
	flow.Hash = hash
	flow.ExpiresAt = s.now().Add(FlowTTL)
	if err := s.Store.CreateSAMLFlow(ctx, flow); err != nil {
		return "", fmt.Errorf("store the SAML flow of group %s: %w", g.Path, err)
	}
	return token, nil
}

// The attribute names read for an account's email and name, as GitLab
// reads them (behaviour.md Part B §3.3).
var (
	emailAttributes = []string{"email", "mail",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/emailaddress",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/email",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/email",
		"urn:oid:0.9.2342.19200300.100.1.3"}
	nameAttributes = []string{"name",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
		"http://schemas.microsoft.com/ws/2008/06/identity/claims/name",
		"urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3"}
)

// attribute returns the first value of the first attribute named one of
// names, compared case-insensitively.
func attribute(a *saml.Assertion, names []string) string {
	for _, n := range names {
		for k, vs := range a.Attributes {
			if strings.EqualFold(k, n) && len(vs) > 0 && strings.TrimSpace(vs[0]) != "" {
				return strings.TrimSpace(vs[0])
			}
		}
	}
	return ""
}

// checksJSON is the verdict's checks for the log, within its limit: the
// oldest passed checks go first when they do not fit.
func checksJSON(checks []saml.Check) json.RawMessage {
	checks = slices.Clone(checks)
	for i := range checks {
		// PostgreSQL's jsonb refuses \u0000.
		checks[i].Detail = strings.ReplaceAll(checks[i].Detail, "\x00", "\uFFFD")
	}
	for len(checks) > 0 {
		b, err := json.Marshal(checks)
		if err == nil && len(b) <= gatehouse.SAMLLogChecksLimit {
			return b
		}
		checks = checks[1:]
	}
	return nil
}

// newReference returns a fresh SAML log reference id.
func newReference() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// sameUID compares extern_uids by the rule of decision 8.
func sameUID(a, b string) bool { return canon.Key(a) == canon.Key(b) }
