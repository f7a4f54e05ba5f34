package sso

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/store"
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
	Tokens        []*gatehouse.PersonalAccessToken
}

// AccountGroup is one of the user's memberships.
type AccountGroup struct {
	Path, Name, Role string
	Pending          bool
}

// AccountIdentity is one of the user's SAML identities.
type AccountIdentity struct {
	GroupPath, GroupName, ExternUID string
	// CanUnlink is false when unlinking would leave the account unable to
	// sign in (a managed account's only identity); Unlink refuses it.
	CanUnlink bool
}

// FindAccount returns what the user's account page lists: memberships in
// group id order, active SAML identities, personal access tokens.
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
	active := activeIdentities(ids)
	for _, i := range active {
		g, err := group(i.GroupID)
		if err != nil {
			return nil, err
		}
		a.Identities = append(a.Identities, AccountIdentity{GroupPath: g.Path, GroupName: g.Name, ExternUID: i.ExternUID,
			CanUnlink: unlinkRefusal(u, g, len(active)) == nil})
	}
	if a.Tokens, err = s.Store.ListPATs(ctx, u.ID); err != nil {
		return nil, err
	}
	return a, nil
}

func activeIdentities(ids []*gatehouse.Identity) []*gatehouse.Identity {
	var active []*gatehouse.Identity
	for _, i := range ids {
		if i.State == gatehouse.IdentityActive {
			active = append(active, i)
		}
	}
	return active
}

// unlinkRefusal says why u may not unlink its identity in g, one of its
// active identities, or nil: a managed account has no password, so its only
// identity is its only way in.
func unlinkRefusal(u *gatehouse.User, g *gatehouse.Group, active int) error {
	if u.Kind == gatehouse.Managed && active <= 1 {
		return gatehouse.Errorf(gatehouse.Forbidden,
			"your account was created by the identity provider of %s and has no password: unlinking its only identity would leave you unable to sign in", g.Name)
	}
	return nil
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

// Unlink removes the link between u's account and the group's identity
// provider, as GitLab's "Disconnect" does (behaviour.md Part B §2.9): the
// account's SAML identity in the group goes, and its membership with it.
// A SCIM identity the group's IdP keeps for the account goes back to
// pending link, so that it grants nothing until the owner of the account
// links it again (decision 19); the IdP sees no change.
//
// Errors: NotFound when the account has no linked identity in the group
// (or the group does not exist); Forbidden, with the reason, when the
// account could no longer sign in (a managed account's only identity) or
// the group would lose its last owner.
func (s *Service) Unlink(ctx context.Context, u *gatehouse.User, groupRef, requestID string) error {
	notLinked := gatehouse.Errorf(gatehouse.NotFound, "your account is not linked to the identity provider of group %q", groupRef)
	return s.Store.InTx(ctx, func(q store.Queries) error {
		g, err := admin.FindGroup(ctx, q, groupRef)
		if gatehouse.IsKind(err, gatehouse.NotFound) || gatehouse.IsKind(err, gatehouse.Invalid) {
			return notLinked
		}
		if err != nil {
			return err
		}
		// The last-owner rule reads the group's members, then writes.
		if err := q.LockGroup(ctx, g.ID); err != nil {
			return err
		}
		ident, err := q.FindIdentityByUser(ctx, g.ID, u.ID)
		if gatehouse.IsKind(err, gatehouse.NotFound) || err == nil && ident.State != gatehouse.IdentityActive {
			return notLinked
		}
		if err != nil {
			return err
		}
		ids, err := q.ListUserIdentities(ctx, u.ID)
		if err != nil {
			return err
		}
		if err := unlinkRefusal(u, g, len(activeIdentities(ids))); err != nil {
			return err
		}
		detail := map[string]any{"extern_uid": ident.ExternUID}
		m, err := q.FindMember(ctx, g.ID, u.ID)
		switch {
		case err == nil:
			if m.Role == gatehouse.Owner && m.State == gatehouse.MemberActive {
				n, err := q.CountMembersWithRole(ctx, g.ID, gatehouse.Owner)
				if err != nil {
					return err
				}
				if n <= 1 {
					return gatehouse.Errorf(gatehouse.Forbidden,
						"you are the only owner of %s: unlinking would remove your membership and leave the group without an owner; make another member owner first", g.Name)
				}
			}
			if err := q.DeleteMember(ctx, g.ID, u.ID); err != nil {
				return err
			}
			detail["previous_role"] = m.Role.String()
		case !gatehouse.IsKind(err, gatehouse.NotFound):
			return err
		}
		si, err := q.FindSCIMIdentityForUser(ctx, g.ID, u.ID, false)
		switch {
		case err == nil && si.State == gatehouse.IdentityActive:
			si.State = gatehouse.IdentityPendingLink
			if err := q.UpdateSCIMIdentity(ctx, si, si.Version); err != nil {
				return err
			}
		case err != nil && !gatehouse.IsKind(err, gatehouse.NotFound):
			return err
		}
		if err := q.DeleteIdentity(ctx, g.ID, ident.ID); err != nil {
			return err
		}
		return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{GroupID: g.ID, ActorKind: gatehouse.ActorUser, ActorID: u.ID,
			Action: "saml_identity_unlinked", TargetKind: "user", TargetID: fmt.Sprint(u.ID), RequestID: requestID,
			Detail: mustJSON(detail)})
	})
}
