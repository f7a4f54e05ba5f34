package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Browser is what the HTTP layer knows of the browser asking: the SHA-256
// of its nonce cookie (nil without one) and its signed-in session (nil for
// none).
type Browser struct {
	Hash    []byte
	Session *gatehouse.Session
}

// Result is where a finished step sends the browser.
type Result struct {
	// Location is the local path to go to; empty when Confirm is set.
	Location string
	// SessionToken, when set, is a new session's cookie value: the browser
	// must store it (it replaces the one it had).
	SessionToken string
	// Confirm, when set, asks the signed-in user to confirm linking.
	Confirm *LinkConfirmation
	// Verify, when set, is an owner's test of the group's SAML
	// configuration to show; nobody was signed in.
	Verify *VerifyReport
}

// LinkConfirmation is the page that asks a signed-in user to confirm that
// their account should be linked to the group's IdP identity.
type LinkConfirmation struct {
	Token     string // the one-time token the confirming POST carries
	NameID    string
	Username  string
	GroupName string
}

func flowGone() *Failure {
	return &Failure{Status: http.StatusBadRequest, Outcome: "flow_gone",
		Title:   "This sign-in link does not work any more",
		Message: "The sign-in link was used already, has expired, or belongs to another group.",
		Next:    "Start again from the group's sign-in page."}
}

func otherBrowser() *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: "other_browser",
		Title:   "This sign-in was started in another browser",
		Message: "The sign-in was started in another browser (or its cookies were cleared), so it cannot finish here.",
		Next:    "Start again from the group's sign-in page in this browser."}
}

// consume takes the flow a continue token names, checking its group and,
// when it has one, its browser.
func (s *Service) consume(ctx context.Context, g *gatehouse.Group, token string, b Browser) (*gatehouse.SAMLFlow, error) {
	if token == "" || len(token) > 128 {
		return nil, flowGone()
	}
	f, err := s.Store.ConsumeSAMLFlow(ctx, gatehouse.HashToken(token), s.now())
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, flowGone()
	}
	if err != nil {
		return nil, err
	}
	if f.GroupID != g.ID {
		return nil, flowGone()
	}
	if len(f.BrowserHash) > 0 && !gatehouse.HashesEqual(f.BrowserHash, b.Hash) {
		return nil, otherBrowser()
	}
	return f, nil
}

// Continue finishes what the ACS verified, at the continue URL: it signs
// the user in (creating the managed account first for a create flow), or
// asks the signed-in user to confirm a link.
func (s *Service) Continue(ctx context.Context, g *gatehouse.Group, token string, b Browser) (Result, error) {
	f, err := s.consume(ctx, g, token, b)
	if err != nil {
		return Result{}, err
	}
	switch f.Kind {
	case gatehouse.SAMLFlowSignIn:
		u, err := s.Store.FindUserByID(ctx, f.UserID)
		if err != nil {
			return Result{}, err
		}
		return s.signIn(ctx, g, u, f, b)
	case gatehouse.SAMLFlowCreate:
		u, made, err := s.createAccount(ctx, g, f)
		if err != nil {
			return Result{}, err
		}
		if !made {
			// The IdP's SCIM provisioned the NameID after the ACS looked:
			// its account signs in, as it would have then.
			return s.signIn(ctx, g, u, f, b)
		}
		return s.finish(ctx, g, u, f, b)
	case gatehouse.SAMLFlowLink:
		if fail := s.linkSession(f, b); fail != nil {
			return Result{}, fail
		}
		u, err := s.Store.FindUserByID(ctx, f.UserID)
		if err != nil {
			return Result{}, err
		}
		// A new one-time flow for the confirming POST.
		next := *f
		next.UsedAt, next.BrowserHash = time.Time{}, b.Hash
		tok, err := s.createFlow(ctx, g, &next)
		if err != nil {
			return Result{}, err
		}
		return Result{Confirm: &LinkConfirmation{Token: tok, NameID: f.ExternUID, Username: u.Username, GroupName: g.Name}}, nil
	case gatehouse.SAMLFlowVerify:
		return s.verifyReport(ctx, g, f, b)
	}
	return Result{}, flowGone()
}

// signIn signs in u, whose active identity has the flow's NameID, unless
// it may not sign in through the group; the groups the flow carries are
// applied first.
func (s *Service) signIn(ctx context.Context, g *gatehouse.Group, u *gatehouse.User, f *gatehouse.SAMLFlow, b Browser) (Result, error) {
	if fail, err := s.allowed(ctx, g, u); fail != nil || err != nil {
		return Result{}, errOr(fail, err)
	}
	if hasGroups(f) {
		err := s.Store.InTx(ctx, func(q store.Queries) error { return s.signInGroups(ctx, q, g, u.ID, f) })
		if err != nil {
			return Result{}, err
		}
	}
	return s.finish(ctx, g, u, f, b)
}

// ConfirmLink links the signed-in account to the NameID of a confirmed link
// flow and signs it in through the group: the account's SAML identity is
// created (or its pending one activated), its pending SCIM identity with
// the same NameID and its membership become active, and a new membership
// gets the group's default role.
func (s *Service) ConfirmLink(ctx context.Context, g *gatehouse.Group, token string, b Browser) (Result, error) {
	f, err := s.consume(ctx, g, token, b)
	if err != nil {
		return Result{}, err
	}
	if f.Kind != gatehouse.SAMLFlowLink {
		return Result{}, flowGone()
	}
	if fail := s.linkSession(f, b); fail != nil {
		return Result{}, fail
	}
	var u *gatehouse.User
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		var err error
		if u, err = q.FindUserByID(ctx, f.UserID); err != nil {
			return err
		}
		if u.State != gatehouse.UserActive {
			return blocked()
		}
		ident, err := q.FindIdentityByUser(ctx, g.ID, u.ID)
		switch {
		case err == nil && ident.State == gatehouse.IdentityActive:
			return notLinkable("your account is linked to this group under another NameID")
		case err == nil:
			ident.ExternUID, ident.State = f.ExternUID, gatehouse.IdentityActive
			err = q.UpdateIdentity(ctx, ident)
		case gatehouse.IsKind(err, gatehouse.NotFound):
			err = q.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, ExternUID: f.ExternUID, State: gatehouse.IdentityActive})
		}
		if gatehouse.IsKind(err, gatehouse.Conflict) {
			return notLinkable("another account is linked to this NameID")
		}
		if err != nil {
			return err
		}
		si, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
		switch {
		case err == nil && si.State == gatehouse.IdentityPendingLink && sameUID(si.ExternUID, f.ExternUID):
			si.State = gatehouse.IdentityActive
			if err := q.UpdateSCIMIdentity(ctx, si, si.Version); err != nil {
				return err
			}
		case err == nil && !si.Active():
			return accessRemoved(nil)
		case err == nil && !sameUID(si.ExternUID, f.ExternUID):
			return notLinkable("your identity provider provisioned your account under another NameID")
		case err != nil && !gatehouse.IsKind(err, gatehouse.NotFound):
			return err
		}
		m, err := q.FindMember(ctx, g.ID, u.ID)
		switch {
		case err == nil && m.State == gatehouse.MemberPendingLink:
			m.State = gatehouse.MemberActive
			err = q.PutMember(ctx, m)
		case gatehouse.IsKind(err, gatehouse.NotFound):
			err = q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: defaultRole(g), State: gatehouse.MemberActive})
		}
		if err != nil {
			return err
		}
		if err := s.signInGroups(ctx, q, g, u.ID, f); err != nil {
			return err
		}
		return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorUser, ActorID: u.ID,
			Action: "saml_identity_linked", TargetKind: "user", TargetID: fmt.Sprint(u.ID),
			Detail: mustJSON(map[string]any{"extern_uid": f.ExternUID})})
	})
	if err != nil {
		return Result{}, err
	}
	return s.finish(ctx, g, u, f, b)
}

// linkSession checks that the browser is signed in, with its password
// recently, as the account the link flow is for.
func (s *Service) linkSession(f *gatehouse.SAMLFlow, b Browser) *Failure {
	if b.Session == nil || b.Session.UserID != f.UserID || b.Session.PasswordAt.IsZero() ||
		s.now().Sub(b.Session.PasswordAt) > LinkPasswordAge {
		return &Failure{Status: http.StatusForbidden, Outcome: "link_needs_password",
			Title:   "Sign in with your password to link your account",
			Message: "Linking your account needs the account signed in with its password, recently, in this browser.",
			Next:    "Sign in with your password, then start the group's SSO again."}
	}
	return nil
}

// createAccount creates the managed account of a create flow, with its
// identity and membership at the group's default role, and says so with
// made. A first sign-in can race the IdP's SCIM POST of the same person
// (security.md §5.7): when the NameID has an active identity by now, that
// account is returned instead (made false) for the caller to sign in under
// the usual checks, and what else SCIM made meanwhile is refused as the
// ACS would have refused it.
func (s *Service) createAccount(ctx context.Context, g *gatehouse.Group, f *gatehouse.SAMLFlow) (u *gatehouse.User, made bool, err error) {
	var d flowDetail
	if err := json.Unmarshal(f.Detail, &d); err != nil || d.Email == "" {
		return nil, false, flowGone()
	}
	// A conflict means another writer committed first, without the group
	// lock (SCIM's one-statement create): one more try sees what it made.
	for attempt := 1; attempt <= 2; attempt++ {
		u, made, err = s.createAccountOnce(ctx, g, f, d)
		if !gatehouse.IsKind(err, gatehouse.Conflict) {
			return u, made, err
		}
	}
	return nil, false, &Failure{Status: http.StatusConflict, Outcome: "create_conflict",
		Title:   "Your account could not be created",
		Message: "An account with this identity or email was created at the same time.",
		Next:    "Start again from the group's sign-in page.", Err: err}
}

// createAccountOnce is one attempt of createAccount, in one transaction.
func (s *Service) createAccountOnce(ctx context.Context, g *gatehouse.Group, f *gatehouse.SAMLFlow, d flowDetail) (u *gatehouse.User, made bool, err error) {
	err = s.Store.InTx(ctx, func(q store.Queries) error {
		u, made = nil, false
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		// What the ACS found absent may exist now: the same checks, in
		// the same order. SCIM's create does not take the group lock, and
		// each statement here may see more of what it committed than the
		// one before (PostgreSQL's read committed): a later check that
		// finds something looks for the NameID's identity again first.
		linked := func() error {
			ident, err := q.FindIdentityByExternUID(ctx, g.ID, f.ExternUID)
			switch {
			case err == nil && ident.State == gatehouse.IdentityActive:
				u, err = q.FindUserByID(ctx, ident.UserID)
				return err
			case err != nil && !gatehouse.IsKind(err, gatehouse.NotFound):
				return err
			}
			return nil
		}
		if err := linked(); err != nil || u != nil {
			return err
		}
		if si, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, f.ExternUID); err == nil {
			if err := linked(); err != nil || u != nil {
				return err
			}
			if !si.Active() {
				return accessRemoved(nil)
			}
			// Provisioned for a personal account that has not linked yet.
			return passwordFirstFailure()
		} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
			return err
		}
		if _, err := q.FindPersonalUserByEmail(ctx, d.Email); err == nil {
			return passwordFirstFailure()
		} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
			return err
		}
		if _, err := q.FindManagedUserByEmail(ctx, g.ID, d.Email); err == nil {
			if err := linked(); err != nil || u != nil {
				return err
			}
			return unknownNameID(f.ExternUID, "an account of this group already has its email under another NameID; correct that account's extern_uid")
		} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
			return err
		}
		made = true
		username, err := freeUsername(ctx, q, d.Email)
		if err != nil {
			return err
		}
		name := d.Name
		if name == "" || len(name) > 255 {
			name = username
		}
		u = &gatehouse.User{Username: username, Name: name, Emails: []gatehouse.Email{{Address: d.Email, Primary: true}},
			Kind: gatehouse.Managed, ManagingGroupID: g.ID, State: gatehouse.UserActive}
		if err := q.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := q.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: u.ID, ExternUID: f.ExternUID, State: gatehouse.IdentityActive}); err != nil {
			return err
		}
		if err := q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: u.ID, Role: defaultRole(g), State: gatehouse.MemberActive}); err != nil {
			return err
		}
		if err := s.signInGroups(ctx, q, g, u.ID, f); err != nil {
			return err
		}
		return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorSystem,
			Action: "saml_user_created", TargetKind: "user", TargetID: fmt.Sprint(u.ID),
			Detail: mustJSON(map[string]any{"extern_uid": f.ExternUID, "username": u.Username})})
	})
	if err != nil {
		return nil, false, err
	}
	return u, made, nil
}

func passwordFirstFailure() *Failure {
	return &Failure{Status: http.StatusForbidden, Outcome: OutcomePasswordFirst,
		Title:   "Sign in with your password first",
		Message: "An account with your email exists already; it is never linked to an identity provider by email alone.",
		Next:    "Sign in with your password, then start the group's SSO again to link your account."}
}

// freeUsername picks the first free username derived from the email's
// local part.
func freeUsername(ctx context.Context, q store.Queries, email string) (string, error) {
	local, _, _ := strings.Cut(email, "@")
	for cand := range scim.UsernameCandidates(scim.SanitizeUsername(local)) {
		taken, err := q.UsernameTaken(ctx, cand)
		if err != nil {
			return "", err
		}
		if !taken {
			return cand, nil
		}
	}
	return "", gatehouse.Errorf(gatehouse.Conflict, "every username derived from %q is taken", local)
}

// finish signs u in through the group: in the browser's session when it is
// u's, else in a new one; marks its SSO for the group; and records the
// identity's sign-in.
func (s *Service) finish(ctx context.Context, g *gatehouse.Group, u *gatehouse.User, f *gatehouse.SAMLFlow, b Browser) (Result, error) {
	now := s.now()
	res := Result{Location: f.RelayState}
	if res.Location == "" {
		res.Location = AccountPath
	}
	sess := b.Session
	if sess == nil || sess.UserID != u.ID {
		if sess != nil {
			if err := s.Store.DeleteSession(ctx, sess.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
				return Result{}, err
			}
		}
		var err error
		if res.SessionToken, sess, err = s.newSession(ctx, u, false); err != nil {
			return Result{}, err
		}
	}
	if err := s.Store.MarkSessionSSO(ctx, sess.ID, g.ID, now); err != nil {
		return Result{}, err
	}
	if ident, err := s.Store.FindIdentityByUser(ctx, g.ID, u.ID); err == nil {
		ident.LastSignIn = now
		if err := s.Store.UpdateIdentity(ctx, ident); err != nil {
			return Result{}, err
		}
	}
	return res, nil
}

func defaultRole(g *gatehouse.Group) gatehouse.Role {
	if g.DefaultRole.Valid() {
		return g.DefaultRole
	}
	return gatehouse.Guest
}

func mustJSON(v any) json.RawMessage {
	b, _ := json.Marshal(v)
	return b
}

// errOr returns f when it is set, else err.
func errOr(f *Failure, err error) error {
	if f != nil {
		return f
	}
	return err
}
