package admin

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/canon"
	"github.com/gatehouse-sso/gatehouse/store"
)

// SignInFacts is what decides whether a person can sign in through a
// group's IdP (behaviour.md decision 17): the group's SAML configuration,
// what the group knows about the person, and the newest SAML response
// about them.
type SignInFacts struct {
	SAML *gatehouse.SAMLConfig // nil: the group has no SAML configuration
	MemberView
	// LastResponse is the newest entry of the group's SAML log about the
	// person: one with their extern_uid as NameID, or a refused one whose
	// NameID no account has but whose response names the person (their
	// email or SCIM userName). Nil when the log holds none.
	LastResponse *gatehouse.SAMLLogEntry
}

// SignInVerdict is one answer, in plain words, to "can this person sign in
// through the group's IdP, and if not, why not".
type SignInVerdict struct {
	OK bool
	// Reason names the answer: ok, saml_not_configured, blocked,
	// deprovisioned, no_identity, pending_link, uid_mismatch,
	// name_id_mismatch, not_member.
	Reason  string
	Message string // what stands
	Next    string // what to do about it; empty when nothing is needed
}

// Verdict judges the facts. The first reason that stops a sign-in wins, in
// the order the ACS meets them.
func (f *SignInFacts) Verdict() SignInVerdict {
	name := "This person"
	if f.User != nil {
		name = f.User.Username
	}
	switch {
	case f.SAML == nil || !f.SAML.Enabled:
		return SignInVerdict{Reason: "saml_not_configured",
			Message: "SAML single sign-on is not configured (or is turned off) for this group, so nobody can sign in through its identity provider.",
			Next:    "Configure the group's SAML settings first."}
	case f.User == nil:
		return SignInVerdict{Reason: "no_identity", Message: "There is no such account."}
	case f.User.State != gatehouse.UserActive:
		return SignInVerdict{Reason: "blocked",
			Message: fmt.Sprintf("The account %s is blocked, so every sign-in to it is refused.", name),
			Next:    "Ask the instance's administrator to unblock the account."}
	case f.SCIM != nil && (f.SCIM.State == gatehouse.IdentityInactive || f.SCIM.State == gatehouse.IdentityDeleted):
		how := "set to inactive (active: false)"
		if f.SCIM.State == gatehouse.IdentityDeleted {
			how = "deleted"
		}
		return SignInVerdict{Reason: "deprovisioned",
			Message: fmt.Sprintf("The identity provider deprovisioned %s: their SCIM identity was %s, so sign-ins are refused with \"Your access was removed\".", name, how),
			Next:    "If they should have access, assign them to the application in the identity provider again; it re-provisions them with their previous role."}
	}
	pending := SignInVerdict{Reason: "pending_link",
		Message: fmt.Sprintf("%s has a personal account that is not linked to the identity provider yet, so an SSO sign-in alone does not sign them in.", name),
		Next:    "They must sign in to Gatehouse with their password first, then start single sign-on from the group's sign-in page and confirm the link."}
	if f.Identity == nil {
		if f.SCIM != nil || (f.Member != nil && f.Member.State == gatehouse.MemberPendingLink) {
			return pending
		}
		return SignInVerdict{Reason: "no_identity",
			Message: fmt.Sprintf("%s has no SAML identity in this group: Gatehouse does not know which NameID is theirs, so a sign-in through the identity provider does not reach this account.", name),
			Next:    "Provision them over SCIM with externalId equal to their NameID, or have them sign in with their password and then start single sign-on to link the account."}
	}
	uid := f.Identity.ExternUID
	switch {
	case f.Identity.State == gatehouse.IdentityPendingLink:
		return pending
	case f.SCIM != nil && canon.Key(f.SCIM.ExternUID) != canon.Key(uid):
		return SignInVerdict{Reason: "uid_mismatch",
			Message: fmt.Sprintf("The SAML identity's extern_uid is %q but the SCIM externalId is %q; the identity provider sends one NameID, so one of them is wrong.", uid, f.SCIM.ExternUID),
			Next:    "Set the extern_uid below to the NameID the identity provider sends; Gatehouse then sets both."}
	}
	if e := f.LastResponse; e != nil && e.NameID != "" && canon.Key(e.NameID) != canon.Key(uid) {
		return SignInVerdict{Reason: "name_id_mismatch",
			Message: fmt.Sprintf("The identity provider last sent NameID %q at %s (reference %s), but the identity's extern_uid is %q, so that sign-in found no account.",
				e.NameID, e.At.UTC().Format(time.DateTime+" UTC"), e.ReferenceID, uid),
			Next: fmt.Sprintf("If %q is right, set the extern_uid below to it. Otherwise correct the NameID the identity provider sends (and its SCIM externalId).", e.NameID)}
	}
	switch {
	case f.Member == nil:
		return SignInVerdict{Reason: "not_member",
			Message: fmt.Sprintf("%s can sign in with NameID %q, but is not a member of this group, so the sign-in opens nothing here.", name, uid),
			Next:    "Add them as a member on the members page, or have the identity provider provision them again."}
	case f.Member.State == gatehouse.MemberPendingLink:
		return pending
	}
	return SignInVerdict{OK: true, Reason: "ok",
		Message: fmt.Sprintf("%s can sign in through the group's identity provider with NameID %q.", name, uid)}
}

// ExplainSignIn gathers the facts about the user in the group and judges
// them. NotFound as FindMemberView.
func (s *Service) ExplainSignIn(ctx context.Context, g *gatehouse.Group, userID int64) (*SignInFacts, SignInVerdict, error) {
	v, err := s.FindMemberView(ctx, g, userID)
	if err != nil {
		return nil, SignInVerdict{}, err
	}
	f := &SignInFacts{MemberView: *v}
	if f.SAML, err = s.Store.FindSAMLConfig(ctx, g.ID); err != nil && !gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, SignInVerdict{}, err
	}
	if f.LastResponse, err = s.lastResponse(ctx, g, v); err != nil {
		return nil, SignInVerdict{}, err
	}
	return f, f.Verdict(), nil
}

// refusedUnknown are the outcomes of a response whose NameID matched no
// account the IdP meant: where a wrong extern_uid shows.
var refusedUnknown = map[string]bool{"unknown_name_id": true, "not_linkable": true}

// lastResponse finds the newest SAML log entry about the person of v (see
// SignInFacts.LastResponse).
func (s *Service) lastResponse(ctx context.Context, g *gatehouse.Group, v *MemberView) (*gatehouse.SAMLLogEntry, error) {
	uids := map[string]bool{}
	var names []string
	if v.Identity != nil {
		uids[canon.Key(v.Identity.ExternUID)] = true
	}
	if v.SCIM != nil {
		uids[canon.Key(v.SCIM.ExternUID)] = true
		names = append(names, v.SCIM.UserName, v.SCIM.Email)
	}
	for _, e := range v.User.Emails {
		names = append(names, e.Address)
	}
	for i, n := range names {
		names[i] = strings.ToLower(n)
	}
	about := func(e *gatehouse.SAMLLogEntry) bool {
		if e.NameID == "" {
			return false
		}
		if uids[canon.Key(e.NameID)] {
			return true
		}
		if !refusedUnknown[e.Outcome] {
			return false
		}
		resp := strings.ToLower(e.Response)
		for _, n := range names {
			if n != "" && strings.Contains(resp, n) {
				return true
			}
		}
		return false
	}
	list := func(p store.Page) ([]*gatehouse.SAMLLogEntry, error) {
		l, _, err := s.Store.ListSAMLLogs(ctx, g.ID, p)
		return l, err
	}
	found, _, err := scanLog(list, func(e *gatehouse.SAMLLogEntry) int64 { return e.ID }, about, 0, 1)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	return found[0], nil
}
