package sso

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml"
)

// OutcomeVerified is the SAML log outcome of a response to an owner's test
// of the configuration that passed every check. It signed nobody in.
const OutcomeVerified = "verified"

// maxVerifyDetail bounds the attributes a verify flow carries to the
// continue step, well within gatehouse.SAMLFlowDetailLimit.
const maxVerifyDetail = 6 << 10

// VerifyReport is what "Verify SAML configuration" shows the group's owner
// about one response of their IdP (behaviour.md Part B §3.9): the verdict
// of each check, and for a response that passed them, the NameID, its
// format and the attributes received, with advice on what to change.
type VerifyReport struct {
	// OK says the response passed every check.
	OK bool
	// Reference is the response's SAML log entry.
	Reference string
	// Checks are the checks made, in order; a failure is the last one.
	Checks []saml.Check
	// NameID and NameIDFormat are the verified subject; empty when the
	// response was refused.
	NameID, NameIDFormat string
	// Attributes are the attributes received, by name; AttributesCut says
	// some were left out to fit.
	Attributes    []VerifyAttribute
	AttributesCut bool
	// StoredNameID is the owner's own SAML identity in the group, if any.
	StoredNameID string
	// Advice says what to change at the IdP; empty when nothing.
	Advice []string
}

// VerifyAttribute is one attribute of a tested response.
type VerifyAttribute struct {
	Name   string
	Values []string
}

// verifyDetail is what a verify flow carries to the continue step; the
// checks are read back from the SAML log entry.
type verifyDetail struct {
	Reference    string              `json:"reference"`
	NameIDFormat string              `json:"name_id_format,omitempty"`
	Attributes   map[string][]string `json:"attributes,omitempty"`
	Cut          bool                `json:"cut,omitempty"`
}

// StartVerify begins an owner's test of the group's SAML configuration: an
// SP-initiated request like Start's, marked as a test, bound to the
// browser and to the owner's session. When the IdP answers, the ACS signs
// nobody in and links nothing; the continue step returns a VerifyReport
// instead. Forbidden or NotFound unless u may administer the group.
func (s *Service) StartVerify(ctx context.Context, g *gatehouse.Group, cfg *gatehouse.SAMLConfig, b Browser, u *gatehouse.User) (string, error) {
	if b.Session == nil || u == nil || b.Session.UserID != u.ID {
		return "", gatehouse.Errorf(gatehouse.Unauthenticated, "sign in to verify the group's SAML configuration")
	}
	if _, err := admin.AuthorizeOwner(ctx, s.Store, u, strconv.FormatInt(g.ID, 10)); err != nil {
		return "", err
	}
	return s.sendRequest(ctx, g, cfg, &gatehouse.SAMLRequest{BrowserHash: b.Hash, SessionID: b.Session.ID, Verify: true})
}

// verifyFailure turns a refusal of a response that claims to answer one of
// the group's pending verify requests into the owner's verdict page. The
// claim is unverified, but a request ID is known only to the browser that
// started it and to the IdP, and the request is consumed, so the page is
// shown once. Anything else keeps its failure page.
func (s *Service) verifyFailure(ctx context.Context, g *gatehouse.Group, v *saml.Verdict, f *Failure) error {
	if v == nil || v.InResponseTo == "" {
		return nil
	}
	now := s.now()
	req, err := s.Store.FindSAMLRequest(ctx, g.ID, v.InResponseTo, now)
	if gatehouse.IsKind(err, gatehouse.NotFound) || err == nil && !req.Verify {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := s.Store.ConsumeSAMLRequest(ctx, g.ID, req.ID, now); err != nil {
		if gatehouse.IsKind(err, gatehouse.NotFound) {
			return nil
		}
		return err
	}
	f.Verify = &VerifyReport{Checks: v.Checks}
	return nil
}

// verifyFlow is the continue flow of a verified response to an owner's
// test: nothing is decided or changed, the owner is shown what came.
func (s *Service) verifyFlow(ctx context.Context, g *gatehouse.Group, a *saml.Assertion, req *gatehouse.SAMLRequest, ref string) (*gatehouse.SAMLFlow, *Failure, error) {
	sess, err := s.Store.FindSession(ctx, req.SessionID, s.now())
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		return nil, &Failure{Status: http.StatusForbidden, Outcome: "verify_signed_out",
			Title:   "The test of the SAML settings was not finished",
			Message: "The identity provider answered, but the owner who started the test is no longer signed in.",
			Next:    "Sign in again and start the test from the group's SAML SSO settings page."}, nil
	}
	if err != nil {
		return nil, nil, err
	}
	d := verifyDetail{Reference: ref, NameIDFormat: a.NameIDFormat, Attributes: map[string][]string{}}
	names := make([]string, 0, len(a.Attributes))
	for n := range a.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		d.Attributes[n] = a.Attributes[n]
		if b, _ := json.Marshal(d); len(b) > maxVerifyDetail {
			delete(d.Attributes, n)
			d.Cut = true
		}
	}
	detail, err := json.Marshal(d)
	if err != nil || !json.Valid(detail) || len(detail) > gatehouse.SAMLFlowDetailLimit {
		// Attribute values that JSON cannot keep as sent are left out.
		detail, _ = json.Marshal(verifyDetail{Reference: ref, NameIDFormat: a.NameIDFormat, Cut: true})
	}
	return &gatehouse.SAMLFlow{GroupID: g.ID, Kind: gatehouse.SAMLFlowVerify, UserID: sess.UserID,
		ExternUID: a.NameID, Detail: detail}, nil, nil
}

// verifyReport is the continue step of a verify flow: the browser must be
// signed in as the owner who started it, and still be an owner.
func (s *Service) verifyReport(ctx context.Context, g *gatehouse.Group, f *gatehouse.SAMLFlow, b Browser) (Result, error) {
	if b.Session == nil || b.Session.UserID != f.UserID {
		return Result{}, &Failure{Status: http.StatusForbidden, Outcome: "verify_other_user",
			Title:   "This test belongs to another account",
			Message: "The test of the SAML settings was started by an account that is not signed in in this browser.",
			Next:    "Sign in as the group's owner who started the test, and start it again from the group's SAML SSO settings page."}
	}
	u, err := s.Store.FindUserByID(ctx, f.UserID)
	if err != nil {
		return Result{}, err
	}
	if _, err := admin.AuthorizeOwner(ctx, s.Store, u, strconv.FormatInt(g.ID, 10)); err != nil {
		return Result{}, err
	}
	var d verifyDetail
	if err := json.Unmarshal(f.Detail, &d); err != nil {
		return Result{}, flowGone()
	}
	rep := &VerifyReport{OK: true, Reference: d.Reference, NameID: f.ExternUID, NameIDFormat: d.NameIDFormat, AttributesCut: d.Cut}
	names := make([]string, 0, len(d.Attributes))
	for n := range d.Attributes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rep.Attributes = append(rep.Attributes, VerifyAttribute{Name: n, Values: d.Attributes[n]})
	}
	if e, err := s.Store.FindSAMLLogByReference(ctx, g.ID, d.Reference); err == nil {
		if err := json.Unmarshal(e.Checks, &rep.Checks); err != nil {
			rep.Checks = nil
		}
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return Result{}, err
	}
	ident, err := s.Store.FindIdentityByUser(ctx, g.ID, u.ID)
	switch {
	case err == nil:
		rep.StoredNameID = ident.ExternUID
	case !gatehouse.IsKind(err, gatehouse.NotFound):
		return Result{}, err
	}
	rep.Advice = VerifyAdvice(rep.NameID, rep.NameIDFormat, rep.StoredNameID)
	links, err := s.Store.ListGroupLinks(ctx, g.ID)
	if err != nil {
		return Result{}, err
	}
	rep.Advice = append(rep.Advice, GroupsAdvice(len(links), d.Attributes, d.Cut)...)
	return Result{Verify: rep}, nil
}

// GroupsAdvice is the advice on a tested response's groups, for a group
// with links links: the groups overage claim, or no groups attribute at
// all (unless cut says attributes were left out of the report).
func GroupsAdvice(links int, attrs map[string][]string, cut bool) []string {
	if links == 0 {
		return nil
	}
	if _, ok := admin.SAMLGroups(attrs); ok {
		return nil
	}
	if admin.SAMLGroupsOverage(attrs) {
		return []string{fmt.Sprintf("Entra ID sent its groups overage claim instead of your groups: you are in more groups than a SAML token holds (150), "+
			"so the group's %d links cannot follow your groups at sign-in (the groups of your last sign-in stay). "+
			"Limit the groups claim to the groups assigned to the application, or push groups over SCIM.", links)}
	}
	if cut {
		return nil
	}
	return []string{fmt.Sprintf("The group has %d group links, but the response carries no groups attribute (groups, Groups or Entra ID's groups claim), "+
		"which Gatehouse reads as \"in no IdP group\". That is right only if you are in none of the groups the IdP sends; "+
		"otherwise add a groups claim at the IdP.", links)}
}

// VerifyAdvice is GitLab's "Verify SAML configuration" advice (behaviour.md
// Part B §3.9) on a verified NameID of the given format, for an owner whose
// identity in the group has the NameID stored ("" for none).
func VerifyAdvice(nameID, format, stored string) []string {
	var out []string
	if nameID == "" {
		return []string{"The response carries no NameID: the IdP must send one, unique and persistent per user."}
	}
	if format == "" {
		out = append(out, "The response does not say the NameID's format: set it to persistent in the IdP.")
	}
	emailish := looksLikeEmail(nameID)
	if stored != "" && !sameUID(stored, nameID) {
		out = append(out, fmt.Sprintf("The NameID must match the stored NameID of %q to identify you and allow sign-in: "+
			"the IdP sent %q. Change the IdP's NameID source, or correct the identity's extern_uid.", stored, nameID))
	}
	switch {
	case strings.HasSuffix(format, ":persistent"):
	case strings.HasSuffix(format, ":emailAddress") && emailish:
	default:
		out = append(out, fmt.Sprintf("The NameID format is %q: \"persistent\" is recommended, with an opaque id that never changes.", format))
	}
	if emailish && (stored == "" || !sameUID(stored, nameID)) {
		out = append(out, "The NameID looks like an email address, which can change: a persistent ID (such as the IdP's user id) is recommended instead of email.")
	}
	return out
}

// looksLikeEmail reports whether s has the shape of an email address.
func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " \t")
}
