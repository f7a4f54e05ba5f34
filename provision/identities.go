package provision

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The owner's identity use cases, behind the admin API: read, re-key and
// remove a group's SCIM and SAML identities. The caller has been
// authorized as an owner of c.Group (admin.AuthorizeOwner); these
// functions take the group from the caller and never touch another one.
// They speak gatehouse error kinds, not SCIM errors: NotFound for an
// identity the group does not have (or an extern_uid none can have), Invalid for a bad extern_uid or the
// last owner, Conflict for an extern_uid another identity holds.

// FindByExternUID returns the group's live SCIM identity whose extern_uid
// is uid in any letter case (decision 8). NotFound.
func (s *Service) FindByExternUID(ctx context.Context, groupID int64, uid string) (*gatehouse.SCIMIdentity, error) {
	if gatehouse.ValidateExternUID(uid) != nil {
		return nil, identityNotFound("SCIM", uid)
	}
	si, err := s.Store.FindSCIMIdentityByExternUID(ctx, groupID, uid)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, identityNotFound("SCIM", uid)
	}
	return si, err
}

// SetExternUID changes the extern_uid (the SCIM externalId) of the group's
// SCIM identity uid to newUID, and moves the user's SAML identity in the
// group with it, so that NameID = externalId keeps holding (decision 7).
// From then on the identity has an externalId of its own: a later change
// of the IdP's userName no longer re-keys it (decision 26). Nothing is
// written when newUID is the extern_uid already.
func (s *Service) SetExternUID(ctx context.Context, c Caller, uid, newUID string) (*gatehouse.SCIMIdentity, error) {
	if gatehouse.ValidateExternUID(uid) != nil {
		return nil, identityNotFound("SCIM", uid)
	}
	if err := checkExternUID(newUID); err != nil {
		return nil, err
	}
	var out *gatehouse.SCIMIdentity
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		si, err := q.FindSCIMIdentityByExternUID(ctx, c.Group.ID, uid)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return identityNotFound("SCIM", uid)
		}
		if err != nil {
			return err
		}
		ident, err := samlIdentityOf(ctx, q, c.Group.ID, si.UserID)
		if err != nil {
			return err
		}
		out = si
		return s.rekey(ctx, q, c, target{"scim_identity", si.SCIMID, si.ExternUID}, si, ident, newUID)
	})
	return out, err
}

// SetUserExternUID changes the extern_uid of the user's identities in the
// group, the SAML identity and the live SCIM identity together (decision 7),
// as the owner's identity page does. NotFound when the user has neither in
// the group; otherwise as SetExternUID.
func (s *Service) SetUserExternUID(ctx context.Context, c Caller, userID int64, newUID string) error {
	if err := checkExternUID(newUID); err != nil {
		return err
	}
	return s.Store.InTx(ctx, func(q store.Queries) error {
		ident, err := samlIdentityOf(ctx, q, c.Group.ID, userID)
		if err != nil {
			return err
		}
		si, err := q.FindSCIMIdentityForUser(ctx, c.Group.ID, userID, false)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			si = nil
		} else if err != nil {
			return err
		}
		var t target
		switch {
		case si != nil:
			t = target{"scim_identity", si.SCIMID, si.ExternUID}
		case ident != nil:
			t = target{"saml_identity", strconv.FormatInt(ident.ID, 10), ident.ExternUID}
		default:
			return gatehouse.Errorf(gatehouse.NotFound,
				"user %d has no SAML or SCIM identity in group %s, so there is no extern_uid to change", userID, c.Group.Path)
		}
		return s.rekey(ctx, q, c, t, si, ident, newUID)
	})
}

// Remove removes the group's SCIM identity uid as the IdP's DELETE does:
// the membership it gave goes (its role remembered for a re-provisioning),
// the user's SSO sessions for the group end, and the identity answers
// NotFound from then on. The account and its SAML identity stay. The
// group's last owner cannot be removed (Invalid).
func (s *Service) Remove(ctx context.Context, c Caller, uid string) error {
	if gatehouse.ValidateExternUID(uid) != nil {
		return identityNotFound("SCIM", uid)
	}
	return asAdmin(s.Store.InTx(ctx, func(q store.Queries) error {
		si, err := q.FindSCIMIdentityByExternUID(ctx, c.Group.ID, uid)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return identityNotFound("SCIM", uid)
		}
		if err != nil {
			return err
		}
		return s.delete(ctx, q, c, si)
	}))
}

// ListSAMLIdentities returns a page of the group's SAML identities, in
// creation order, and their total number. Invalid when the group has no
// SAML configuration, as GitLab answers.
func (s *Service) ListSAMLIdentities(ctx context.Context, g *gatehouse.Group, p store.Page) ([]*gatehouse.Identity, int, error) {
	if _, err := s.Store.FindSAMLConfig(ctx, g.ID); gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, 0, gatehouse.Errorf(gatehouse.Invalid,
			"group %s has no SAML configuration; configure it first (gatehouse saml configure --group %s)", g.Path, g.Path)
	} else if err != nil {
		return nil, 0, err
	}
	return s.Store.ListIdentities(ctx, g.ID, p)
}

// FindSAMLIdentity returns the group's SAML identity whose extern_uid is
// uid, matched as SAML sign-in matches a NameID: in any letter case
// (decision 8). NotFound.
func (s *Service) FindSAMLIdentity(ctx context.Context, groupID int64, uid string) (*gatehouse.Identity, error) {
	if gatehouse.ValidateExternUID(uid) != nil {
		return nil, identityNotFound("SAML", uid)
	}
	ident, err := s.Store.FindIdentityByExternUID(ctx, groupID, uid)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, identityNotFound("SAML", uid)
	}
	return ident, err
}

// SetSAMLExternUID changes the extern_uid (the NameID the IdP sends) of the
// group's SAML identity uid to newUID. When the user has a live SCIM
// identity in the group, its externalId moves too, keeping the two equal
// (decision 7). Nothing is written when newUID is the extern_uid already.
func (s *Service) SetSAMLExternUID(ctx context.Context, c Caller, uid, newUID string) (*gatehouse.Identity, error) {
	if gatehouse.ValidateExternUID(uid) != nil {
		return nil, identityNotFound("SAML", uid)
	}
	if err := checkExternUID(newUID); err != nil {
		return nil, err
	}
	var out *gatehouse.Identity
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		ident, err := q.FindIdentityByExternUID(ctx, c.Group.ID, uid)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return identityNotFound("SAML", uid)
		}
		if err != nil {
			return err
		}
		si, err := q.FindSCIMIdentityForUser(ctx, c.Group.ID, ident.UserID, false)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			si = nil
		} else if err != nil {
			return err
		}
		out = ident
		return s.rekey(ctx, q, c, target{"saml_identity", strconv.FormatInt(ident.ID, 10), ident.ExternUID}, si, ident, newUID)
	})
	return out, err
}

// UnlinkSAML deletes the group's SAML identity uid and ends the user's SSO
// sessions for the group. The account, its membership and its SCIM
// identity stay; the person signs in through the IdP again only once an
// identity is linked again.
func (s *Service) UnlinkSAML(ctx context.Context, c Caller, uid string) error {
	if gatehouse.ValidateExternUID(uid) != nil {
		return identityNotFound("SAML", uid)
	}
	return s.Store.InTx(ctx, func(q store.Queries) error {
		ident, err := q.FindIdentityByExternUID(ctx, c.Group.ID, uid)
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return identityNotFound("SAML", uid)
		}
		if err != nil {
			return err
		}
		if err := q.DeleteIdentity(ctx, c.Group.ID, ident.ID); err != nil {
			return err
		}
		n, err := q.DeleteGroupSSOSessions(ctx, c.Group.ID, ident.UserID)
		if err != nil {
			return err
		}
		e, err := s.newEvent(c, "saml_identity_unlinked", "saml_identity", strconv.FormatInt(ident.ID, 10),
			map[string]any{"user_id": ident.UserID, "extern_uid": ident.ExternUID, "sessions_ended": n})
		if err != nil {
			return err
		}
		return q.CreateAuditEvent(ctx, e)
	})
}

// target is the identity an admin API route names, for the audit event.
type target struct {
	kind      string // scim_identity or saml_identity
	id        string // its SCIM id or SAML identity id
	externUID string // its extern_uid before the change
}

// rekey gives the user's identities in the group, si and ident (either may
// be nil, not both), the extern_uid newUID, after checking that no other
// user's identity in the group holds it in any letter case, and records
// one audit event on t. A change of letter case only is allowed.
func (s *Service) rekey(ctx context.Context, q store.Queries, c Caller, t target, si *gatehouse.SCIMIdentity, ident *gatehouse.Identity, newUID string) error {
	if (si == nil || si.ExternUID == newUID) && (ident == nil || ident.ExternUID == newUID) {
		return nil
	}
	var userID int64
	if si != nil {
		userID = si.UserID
	} else {
		userID = ident.UserID
	}
	if err := externUIDFree(ctx, q, c.Group, userID, newUID); err != nil {
		return err
	}
	detail := map[string]any{"user_id": userID, "extern_uid": newUID, "previous_extern_uid": t.externUID}
	if ident != nil && ident.ExternUID != newUID {
		detail["saml_identity_moved_from"] = ident.ExternUID
		ident.ExternUID = newUID
		if err := q.UpdateIdentity(ctx, ident); err != nil {
			return err
		}
	}
	if si != nil && si.ExternUID != newUID {
		detail["scim_identity_moved_from"] = si.ExternUID
		si.ExternUID = newUID
		si.ExternalIDSet = true
		if err := q.UpdateSCIMIdentity(ctx, si, si.Version); err != nil {
			return err
		}
	}
	e, err := s.newEvent(c, t.kind+"_extern_uid_updated", t.kind, t.id, detail)
	if err != nil {
		return err
	}
	return q.CreateAuditEvent(ctx, e)
}

// externUIDFree checks that no identity of another user in the group, SCIM
// (deleted ones aside) or SAML, holds uid in any letter case, and says whose
// it is when one does.
func externUIDFree(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, uid string) error {
	kind, other, held := "", int64(0), ""
	si, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, uid)
	switch {
	case err == nil && si.UserID != userID:
		kind, other, held = "SCIM", si.UserID, si.ExternUID
	case err != nil && !gatehouse.IsKind(err, gatehouse.NotFound):
		return err
	}
	if other == 0 {
		ident, err := q.FindIdentityByExternUID(ctx, g.ID, uid)
		switch {
		case err == nil && ident.UserID != userID:
			kind, other, held = "SAML", ident.UserID, ident.ExternUID
		case err != nil && !gatehouse.IsKind(err, gatehouse.NotFound):
			return err
		}
	}
	if other == 0 {
		return nil
	}
	who := "user " + strconv.FormatInt(other, 10)
	if u, err := q.FindUserByID(ctx, other); err == nil {
		who = u.Username
	}
	return gatehouse.Errorf(gatehouse.Conflict,
		"extern_uid %q is already used by %s's %s identity %q in group %s (letter case is ignored); each person of a group needs their own, so change or remove that identity first",
		uid, who, kind, held, g.Path)
}

// samlIdentityOf returns the user's SAML identity in the group, or nil.
func samlIdentityOf(ctx context.Context, q store.Queries, groupID, userID int64) (*gatehouse.Identity, error) {
	ident, err := q.FindIdentityByUser(ctx, groupID, userID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, nil
	}
	return ident, err
}

// checkExternUID refuses an extern_uid no IdP sends as a NameID: empty or
// blank, or one gatehouse.ValidateExternUID refuses.
func checkExternUID(uid string) error {
	if strings.TrimSpace(uid) == "" {
		return gatehouse.Errorf(gatehouse.Invalid,
			"extern_uid cannot be blank; send the NameID the identity provider sends for the user (its SCIM externalId)")
	}
	if strings.TrimSpace(uid) != uid {
		return gatehouse.Errorf(gatehouse.Invalid, "extern_uid %q must not begin or end with spaces", uid)
	}
	if err := gatehouse.ValidateExternUID(uid); err != nil {
		return err
	}
	return nil
}

func identityNotFound(kind, uid string) error {
	return gatehouse.Errorf(gatehouse.NotFound, "the group has no %s identity with extern_uid %q", kind, uid)
}

// asAdmin turns the SCIM errors of the rules shared with the SCIM endpoint
// (the last owner's 400 mutability) into the kinds the admin API speaks.
// Other errors pass through unchanged.
func asAdmin(err error) error {
	var se *scim.Error
	if !errors.As(err, &se) {
		return err
	}
	kind := gatehouse.Internal
	switch se.Status {
	case http.StatusBadRequest:
		kind = gatehouse.Invalid
	case http.StatusNotFound:
		kind = gatehouse.NotFound
	case http.StatusConflict, http.StatusPreconditionFailed:
		kind = gatehouse.Conflict
	default:
		return err
	}
	return &gatehouse.Error{Kind: kind, Op: "provision", Message: se.Detail}
}
