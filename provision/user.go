package provision

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/uuid"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/scim"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
	"github.com/gatehouse-sso/gatehouse/store"
)

// createAttempts bounds how often Create tries again after another writer
// took a key between Create's check and its insert, or after the first
// username derived from userName turned out taken. The account's derived
// username never causes a 409 (decision 26); a second POST of the same user
// still does, as its next attempt finds the first one's identity.
const createAttempts = 4

// Get returns the group's live SCIM identity with the SCIM id.
func (s *Service) Get(ctx context.Context, groupID int64, id string) (*gatehouse.SCIMIdentity, error) {
	si, err := s.Store.FindSCIMIdentity(ctx, groupID, id)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, notFound(id)
	}
	return si, err
}

// List returns a page of the group's live SCIM identities matching f (nil:
// all) and the total number that match.
func (s *Service) List(ctx context.Context, groupID int64, f scimfilter.Filter, p store.Page) ([]*gatehouse.SCIMIdentity, int, error) {
	return s.Store.ListSCIMIdentities(ctx, groupID, f, p)
}

// asSCIM turns the store's client-caused errors into the SCIM errors the
// RFC names for them, so callers of this package see one vocabulary: a
// uniqueness clash is 409 uniqueness, a rule a value breaks 400 invalidValue.
// Other errors pass through unchanged.
func asSCIM(err error) error {
	var se *scim.Error
	switch {
	case err == nil, errors.As(err, &se):
		return err
	case gatehouse.IsKind(err, gatehouse.Conflict):
		return &scim.Error{Status: http.StatusConflict, ScimType: scim.Uniqueness, Detail: gatehouse.ErrorMessage(err)}
	case gatehouse.IsKind(err, gatehouse.Invalid):
		return &scim.Error{Status: http.StatusBadRequest, ScimType: scim.InvalidValue, Detail: gatehouse.ErrorMessage(err)}
	}
	return err
}

func notFound(id string) error {
	return scim.Errorf(http.StatusNotFound, "", "no user with id %q in this group", id)
}

// Create provisions the user an IdP POSTed: a new managed account, a link
// pending proof to an existing personal account, or the re-activation of a
// user the IdP deprovisioned before (which keeps its id).
//
// Nearly every POST of an initial sync is for someone new to the group and
// the instance: that case is one write that checks, in the same statement
// on PostgreSQL, that nothing holds the user's keys. When something does,
// the slower path decides inside a transaction.
func (s *Service) Create(ctx context.Context, c Caller, u *scim.UserDoc) (*gatehouse.SCIMIdentity, error) {
	email, err := u.AccountEmail()
	if err != nil {
		return nil, err
	}
	username := scim.SanitizeUsername(u.UserName)
	var out *gatehouse.SCIMIdentity
	for range createAttempts {
		var clash store.SCIMUserClashes
		out, clash, err = s.createNew(ctx, c, u, email, username)
		switch {
		case err == nil && clash.Known():
			err = s.Store.InTx(ctx, func(q store.Queries) error {
				var err error
				out, err = s.create(ctx, q, c, u, email)
				return err
			})
			return out, asSCIM(err)
		case err == nil && clash.Username:
			if username, err = s.freeUsername(ctx, s.Store, u); err != nil {
				return nil, asSCIM(err)
			}
		case err == nil:
			return out, nil
		case !gatehouse.IsKind(err, gatehouse.Conflict):
			return nil, asSCIM(err)
		}
		// Run again: the next check sees what the other writer created.
	}
	return nil, asSCIM(err)
}

// freeUsername picks the first free username derived from userName.
func (s *Service) freeUsername(ctx context.Context, q store.Queries, u *scim.UserDoc) (string, error) {
	for cand := range scim.UsernameCandidates(scim.SanitizeUsername(u.UserName)) {
		taken, err := q.UsernameTaken(ctx, cand)
		if err != nil {
			return "", err
		}
		if !taken {
			return cand, nil
		}
	}
	return "", scim.Errorf(http.StatusConflict, scim.Uniqueness,
		"every username derived from userName %q is taken; send a more distinctive userName", u.UserName)
}

// createNew provisions someone new: a managed account with its SAML
// identity, the membership at the group's default role, the SCIM identity,
// all in one write, unless a key of theirs is held: then it writes nothing
// and returns what holds it.
func (s *Service) createNew(ctx context.Context, c Caller, u *scim.UserDoc, email, username string) (*gatehouse.SCIMIdentity, store.SCIMUserClashes, error) {
	g := c.Group
	uid := externUID(u)
	role := g.DefaultRole
	if !role.Valid() {
		role = gatehouse.Guest
	}
	si := &gatehouse.SCIMIdentity{
		SCIMID: uuid.NewString(), GroupID: g.ID,
		ExternUID: uid, ExternalIDSet: u.ExternalIDSet, State: gatehouse.IdentityActive,
	}
	if err := setAttributes(si, u, email); err != nil {
		return nil, store.SCIMUserClashes{}, err
	}
	ev, err := s.event(c, "scim_user_provisioned", si, map[string]any{"user_name": si.UserName, "role": role.String()})
	if err != nil {
		return nil, store.SCIMUserClashes{}, err
	}
	// The account's id is known once it is written: the store fills it in
	// every row, the event's detail included.
	clash, err := s.Store.CreateSCIMUser(ctx, &store.NewSCIMUser{
		User:     managedUser(g, u, email, username),
		Identity: &gatehouse.Identity{GroupID: g.ID, ExternUID: uid, State: gatehouse.IdentityActive},
		Member:   &gatehouse.Member{GroupID: g.ID, Role: role, State: gatehouse.MemberActive},
		SCIM:     si,
		Audit:    ev,
	})
	return si, clash, err
}

// externUID is the extern_uid a user document asks for: its externalId, or
// its userName while the IdP never sent one (decision 6a).
func externUID(u *scim.UserDoc) string {
	if u.ExternalIDSet {
		return u.ExternalID
	}
	return u.UserName
}

func (s *Service) create(ctx context.Context, q store.Queries, c Caller, u *scim.UserDoc, email string) (*gatehouse.SCIMIdentity, error) {
	g := c.Group
	uid := externUID(u)

	// The IdP may be re-adding someone it deprovisioned, by externalId or,
	// with a new externalId, by userName.
	existing, err := q.FindSCIMIdentityByExternUID(ctx, g.ID, uid)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		existing, err = q.FindSCIMIdentityByUserName(ctx, g.ID, u.UserName)
	}
	switch {
	case err == nil && existing.State == gatehouse.IdentityInactive:
		return s.update(ctx, q, c, existing, u, true, 0)
	case err == nil:
		return nil, scim.Errorf(http.StatusConflict, scim.Uniqueness,
			"a user with externalId or userName %q is already provisioned in this group as id %q; update it with PUT or PATCH",
			uid, existing.SCIMID)
	case !gatehouse.IsKind(err, gatehouse.NotFound):
		return nil, err
	}

	user, err := s.account(ctx, q, g, u, email)
	if err != nil {
		return nil, err
	}
	if other, err := q.FindSCIMIdentityForUser(ctx, g.ID, user.ID, false); err == nil {
		return nil, scim.Errorf(http.StatusConflict, scim.Uniqueness,
			"the account with email %q is already provisioned in this group as id %q (externalId %q)",
			email, other.SCIMID, other.ExternUID)
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, err
	}

	si := &gatehouse.SCIMIdentity{
		SCIMID:        uuid.NewString(),
		GroupID:       g.ID,
		UserID:        user.ID,
		ExternUID:     uid,
		ExternalIDSet: u.ExternalIDSet,
	}
	if err := setAttributes(si, u, email); err != nil {
		return nil, err
	}
	si.State, err = s.linkState(ctx, q, g, user, uid)
	if err != nil {
		return nil, err
	}
	// A user deleted from the IdP and added again gets a new id but the role
	// they had (decision 29).
	role := g.DefaultRole
	if gone, err := q.FindSCIMIdentityForUser(ctx, g.ID, user.ID, true); err == nil && gone.PreviousRole.Valid() {
		role = gone.PreviousRole
	}
	if err := s.grant(ctx, q, g, user.ID, role, si.State); err != nil {
		return nil, err
	}
	if err := q.CreateSCIMIdentity(ctx, si); err != nil {
		return nil, err
	}
	action := "scim_user_provisioned"
	if si.State == gatehouse.IdentityPendingLink {
		action = "scim_user_pending_link"
	}
	return si, s.audit(ctx, q, c, action, si, map[string]any{"user_name": si.UserName, "role": role.String()})
}

// account finds or creates the account a POST is for. Only accounts this
// group manages, or personal accounts (decision 18), are matched by email;
// a personal account is only ever linked pending proof (decision 11).
func (s *Service) account(ctx context.Context, q store.Queries, g *gatehouse.Group, u *scim.UserDoc, email string) (*gatehouse.User, error) {
	user, err := q.FindManagedUserByEmail(ctx, g.ID, email)
	if err == nil {
		return user, s.updateManagedProfile(ctx, q, g, user, u, email)
	}
	if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, err
	}
	user, err = q.FindPersonalUserByEmail(ctx, email)
	if err == nil || !gatehouse.IsKind(err, gatehouse.NotFound) {
		return user, err
	}
	return s.createManaged(ctx, q, g, u, email)
}

// createManaged creates an account managed by the group, with a username
// derived from userName.
func (s *Service) createManaged(ctx context.Context, q store.Queries, g *gatehouse.Group, u *scim.UserDoc, email string) (*gatehouse.User, error) {
	username, err := s.freeUsername(ctx, q, u)
	if err != nil {
		return nil, err
	}
	user := managedUser(g, u, email, username)
	return user, q.CreateUser(ctx, user)
}

// managedUser is a new account managed by the group. It has no password:
// its owner signs in through the group's SSO.
func managedUser(g *gatehouse.Group, u *scim.UserDoc, email, username string) *gatehouse.User {
	return &gatehouse.User{
		Username:        username,
		Name:            displayName(u),
		Emails:          []gatehouse.Email{{Address: email, Primary: true}},
		Kind:            gatehouse.Managed,
		ManagingGroupID: g.ID,
		State:           gatehouse.UserActive,
	}
}

// displayName is the account name a user document gives.
func displayName(u *scim.UserDoc) string {
	n := u.AccountName()
	if len(n) > 255 {
		n = n[:255]
	}
	return n
}

// updateManagedProfile applies the IdP's name and email to an account this
// group manages (decision 6). Other accounts are never changed by a group.
func (s *Service) updateManagedProfile(ctx context.Context, q store.Queries, g *gatehouse.Group, user *gatehouse.User, u *scim.UserDoc, email string) error {
	if user.Kind != gatehouse.Managed || user.ManagingGroupID != g.ID {
		return nil
	}
	name := displayName(u)
	if user.Name == name && canon.Key(user.PrimaryEmail()) == canon.Key(email) {
		return nil
	}
	user.Name = name
	user.Emails = []gatehouse.Email{{Address: email, Primary: true, Verified: true}}
	return q.UpdateUser(ctx, user)
}

// linkState decides whether a SCIM identity of the user works at once or
// waits for its owner to link the account: accounts this group manages and
// accounts already linked to the group's SSO are active; anything else is a
// personal account whose owner has not proved it is theirs.
func (s *Service) linkState(ctx context.Context, q store.Queries, g *gatehouse.Group, user *gatehouse.User, uid string) (gatehouse.IdentityState, error) {
	ident, err := q.FindIdentityByUser(ctx, g.ID, user.ID)
	switch {
	case err == nil:
		if ident.State != gatehouse.IdentityActive {
			return gatehouse.IdentityPendingLink, nil
		}
		// A linked identity follows the SCIM externalId (decision 7).
		if canon.Key(ident.ExternUID) != canon.Key(uid) {
			ident.ExternUID = uid
			if err := q.UpdateIdentity(ctx, ident); err != nil {
				return "", err
			}
		}
		return gatehouse.IdentityActive, nil
	case !gatehouse.IsKind(err, gatehouse.NotFound):
		return "", err
	}
	if user.Kind == gatehouse.Managed && user.ManagingGroupID == g.ID {
		// An account this group created signs in through its SSO at once.
		err := q.CreateIdentity(ctx, &gatehouse.Identity{GroupID: g.ID, UserID: user.ID, ExternUID: uid, State: gatehouse.IdentityActive})
		return gatehouse.IdentityActive, err
	}
	return gatehouse.IdentityPendingLink, nil
}

// grant gives the user a membership: an existing one is kept as it is, a
// new one gets the role, pending while the identity is. A role other than
// the group's default is one restored from before (decisions 9 and 29),
// which someone gave: it is kept as direct, so group links do not lower it.
func (s *Service) grant(ctx context.Context, q store.Queries, g *gatehouse.Group, userID int64, role gatehouse.Role, state gatehouse.IdentityState) error {
	m, err := q.FindMember(ctx, g.ID, userID)
	if err == nil {
		if m.State == gatehouse.MemberPendingLink && state == gatehouse.IdentityActive {
			m.State = gatehouse.MemberActive
			return q.PutMember(ctx, m)
		}
		return nil
	}
	if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return err
	}
	ms := gatehouse.MemberActive
	if state == gatehouse.IdentityPendingLink {
		ms = gatehouse.MemberPendingLink
	}
	if !role.Valid() {
		role = gatehouse.Guest
	}
	source := gatehouse.RoleFromDefault
	if role != g.DefaultRole {
		source = gatehouse.RoleDirect
	}
	return q.PutMember(ctx, &gatehouse.Member{GroupID: g.ID, UserID: userID, Role: role, State: ms, RoleSource: source})
}

// setAttributes copies what the IdP sent onto the identity.
func setAttributes(si *gatehouse.SCIMIdentity, u *scim.UserDoc, email string) error {
	doc, err := json.Marshal(u.Doc)
	if err != nil {
		return err
	}
	si.UserName = u.UserName
	si.DisplayName = u.DisplayName
	si.GivenName = u.GivenName
	si.FamilyName = u.FamilyName
	si.Email = email
	si.Attributes = doc
	si.Emails = si.Emails[:0]
	for _, e := range u.Emails {
		si.Emails = append(si.Emails, gatehouse.SCIMEmail{Value: e.Value, Type: e.Type, Primary: e.Primary})
	}
	return nil
}

// Replace is PUT: the document replaces what the IdP sent before. externalId
// and active stay as they are when the body leaves them out (Okta's PUT omits
// externalId; decision 28).
func (s *Service) Replace(ctx context.Context, c Caller, id string, u *scim.UserDoc, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
	return s.rewrite(ctx, c, id, ifVersion, func(*gatehouse.SCIMIdentity) (*scim.UserDoc, error) { return u, nil })
}

// Patch applies PATCH operations to the stored document, all or nothing.
func (s *Service) Patch(ctx context.Context, c Caller, id string, ops []scimpatch.Operation, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
	return s.rewrite(ctx, c, id, ifVersion, func(si *gatehouse.SCIMIdentity) (*scim.UserDoc, error) {
		doc, err := Document(si)
		if err != nil {
			return nil, err
		}
		next, err := scimpatch.Apply(doc, ops)
		if err != nil {
			return nil, err
		}
		return scim.UserFromDoc(next)
	})
}

// rewrite runs a PUT or PATCH: in one transaction it reads the live
// identity (checking If-Match), asks next for the new document, and writes
// it; active keeps its value when the document leaves it out.
func (s *Service) rewrite(ctx context.Context, c Caller, id string, ifVersion int64, next func(*gatehouse.SCIMIdentity) (*scim.UserDoc, error)) (*gatehouse.SCIMIdentity, error) {
	var out *gatehouse.SCIMIdentity
	err := s.Store.InTx(ctx, func(q store.Queries) error {
		si, err := s.find(ctx, q, c.Group.ID, id, ifVersion)
		if err != nil {
			return err
		}
		u, err := next(si)
		if err != nil {
			return err
		}
		active := si.Active()
		if u.ActiveSet {
			active = u.Active
		}
		out, err = s.update(ctx, q, c, si, u, active, ifVersion)
		return err
	})
	return out, asSCIM(err)
}

// Document returns the identity's resource document as PATCH sees it: what
// the IdP sent, with userName, externalId and active as they are now.
func Document(si *gatehouse.SCIMIdentity) (map[string]any, error) {
	doc := map[string]any{}
	if len(si.Attributes) > 0 {
		if err := json.Unmarshal(si.Attributes, &doc); err != nil {
			return nil, fmt.Errorf("stored attributes of %s: %w", si.SCIMID, err)
		}
	}
	doc["userName"] = si.UserName
	delete(doc, "externalId")
	if si.ExternalIDSet {
		doc["externalId"] = si.ExternUID
	}
	doc["active"] = si.Active()
	return doc, nil
}

// find reads the live identity for a write and checks If-Match.
func (s *Service) find(ctx context.Context, q store.Queries, groupID int64, id string, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
	si, err := q.FindSCIMIdentity(ctx, groupID, id)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, err
	}
	if ifVersion > 0 && si.Version != ifVersion {
		return nil, scim.Errorf(http.StatusPreconditionFailed, "",
			"the user changed since version %d (now %d); read it again and retry", ifVersion, si.Version)
	}
	return si, nil
}

// update writes the new state of an identity: its extern_uid (moving the
// SAML identity with it), activation, the managed account's profile and the
// stored attributes.
func (s *Service) update(ctx context.Context, q store.Queries, c Caller, si *gatehouse.SCIMIdentity, u *scim.UserDoc, active bool, ifVersion int64) (*gatehouse.SCIMIdentity, error) {
	g := c.Group
	email, err := u.AccountEmail()
	if err != nil {
		return nil, err
	}
	user, err := q.FindUserByID(ctx, si.UserID)
	if err != nil {
		return nil, err
	}
	detail := map[string]any{}

	// externalId, or userName while no externalId was ever sent (decision 26).
	uid := si.ExternUID
	switch {
	case u.ExternalIDSet:
		uid = u.ExternalID
	case !si.ExternalIDSet:
		uid = u.UserName
	}
	if uid != si.ExternUID {
		if err := s.moveSAMLIdentity(ctx, q, g, si, uid); err != nil {
			return nil, err
		}
		detail["previous_extern_uid"] = si.ExternUID
		si.ExternUID = uid
	}
	si.ExternalIDSet = si.ExternalIDSet || u.ExternalIDSet

	action := "scim_user_updated"
	switch wasActive := si.Active(); {
	case wasActive && !active:
		if err := s.deprovision(ctx, q, g, si, user); err != nil {
			return nil, err
		}
		si.State = gatehouse.IdentityInactive
		action = "scim_user_deprovisioned"
		detail["previous_role"] = si.PreviousRole.String()
	case !wasActive && active:
		state, err := s.linkState(ctx, q, g, user, uid)
		if err != nil {
			return nil, err
		}
		role := si.PreviousRole
		if !role.Valid() {
			role = g.DefaultRole
		}
		if err := s.grant(ctx, q, g, user.ID, role, state); err != nil {
			return nil, err
		}
		si.State = state
		action = "scim_user_reprovisioned"
		detail["role"] = role.String()
	}

	if err := s.updateManagedProfile(ctx, q, g, user, u, email); err != nil {
		return nil, err
	}
	if err := setAttributes(si, u, email); err != nil {
		return nil, err
	}
	version := si.Version
	if ifVersion > 0 {
		version = ifVersion
	}
	if err := q.UpdateSCIMIdentity(ctx, si, version); err != nil {
		return nil, err
	}
	return si, s.audit(ctx, q, c, action, si, detail)
}

// moveSAMLIdentity re-keys the user's SAML identity in the group when it had
// the SCIM identity's old extern_uid, so NameID = externalId keeps holding
// (decision 7; GitLab leaves it behind and locks the user out).
func (s *Service) moveSAMLIdentity(ctx context.Context, q store.Queries, g *gatehouse.Group, si *gatehouse.SCIMIdentity, uid string) error {
	ident, err := q.FindIdentityByUser(ctx, g.ID, si.UserID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if canon.Key(ident.ExternUID) != canon.Key(si.ExternUID) {
		return nil
	}
	ident.ExternUID = uid
	return q.UpdateIdentity(ctx, ident)
}

// deprovision removes the user's membership, remembering its role, unless
// that would leave the group without an owner.
func (s *Service) deprovision(ctx context.Context, q store.Queries, g *gatehouse.Group, si *gatehouse.SCIMIdentity, user *gatehouse.User) error {
	if err := q.LockGroup(ctx, g.ID); err != nil {
		return err
	}
	// The IdP removed the user: the sessions its SSO signed in end with
	// the membership (decision 10), in the same transaction, so a refused
	// deprovisioning (the last owner) keeps them too.
	if _, err := q.DeleteGroupSSOSessions(ctx, g.ID, user.ID); err != nil {
		return err
	}
	m, err := q.FindMember(ctx, g.ID, user.ID)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if m.Role == gatehouse.Owner && m.State == gatehouse.MemberActive {
		n, err := q.CountMembersWithRole(ctx, g.ID, gatehouse.Owner)
		if err != nil {
			return err
		}
		if n <= 1 {
			return scim.Errorf(http.StatusBadRequest, scim.Mutability,
				"%s is the last owner of group %s and cannot be deprovisioned; make another member owner first", user.Username, g.Path)
		}
	}
	si.PreviousRole = m.Role
	return q.DeleteMember(ctx, g.ID, user.ID)
}

// Delete deprovisions the user and marks the identity deleted: it answers
// 404 from then on, while the row stays for re-provisioning and audit.
func (s *Service) Delete(ctx context.Context, c Caller, id string, ifVersion int64) error {
	return asSCIM(s.Store.InTx(ctx, func(q store.Queries) error {
		si, err := s.find(ctx, q, c.Group.ID, id, ifVersion)
		if err != nil {
			return err
		}
		return s.delete(ctx, q, c, si)
	}))
}

// delete deprovisions the user of si, if it is active, and marks si
// deleted, with its audit event.
func (s *Service) delete(ctx context.Context, q store.Queries, c Caller, si *gatehouse.SCIMIdentity) error {
	if si.Active() {
		user, err := q.FindUserByID(ctx, si.UserID)
		if err != nil {
			return err
		}
		if err := s.deprovision(ctx, q, c.Group, si, user); err != nil {
			return err
		}
	}
	si.State = gatehouse.IdentityDeleted
	if err := q.UpdateSCIMIdentity(ctx, si, si.Version); err != nil {
		return err
	}
	return s.audit(ctx, q, c, "scim_user_deleted", si, map[string]any{"previous_role": si.PreviousRole.String()})
}
