package storetest

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/scim/scimfilter"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The Must helpers create a row through q (a Store, or the Queries of an InTx
// callback) and stop the test when that fails. The rows they create are valid
// and derive every other field from their arguments.

// MustCreateGroup creates a group with the path, named after it, whose
// default role is guest.
func MustCreateGroup(tb testing.TB, q store.Queries, path string) *gatehouse.Group {
	tb.Helper()
	g := &gatehouse.Group{Path: path, Name: "Group " + path, DefaultRole: gatehouse.Guest}
	must(tb, fmt.Sprintf("CreateGroup(%q)", path), q.CreateGroup(tb.Context(), g))
	return g
}

// MustCreateUser creates an active personal account with the username and
// the primary, verified email <username>@example.org (lowercase).
func MustCreateUser(tb testing.TB, q store.Queries, username string) *gatehouse.User {
	tb.Helper()
	u := newPersonal(username, strings.ToLower(username)+"@example.org")
	must(tb, fmt.Sprintf("CreateUser(%q)", username), q.CreateUser(tb.Context(), u))
	return u
}

// MustCreateManagedUser creates an active account managed by the group, with
// the username and the primary, verified email <username>@managed.example
// (lowercase), which is unique only within the group.
func MustCreateManagedUser(tb testing.TB, q store.Queries, groupID int64, username string) *gatehouse.User {
	tb.Helper()
	u := newManaged(groupID, username, strings.ToLower(username)+"@managed.example")
	must(tb, fmt.Sprintf("CreateUser(%q, managed by %d)", username, groupID), q.CreateUser(tb.Context(), u))
	return u
}

// MustPutMember makes the user an active member of the group with the role.
func MustPutMember(tb testing.TB, q store.Queries, groupID, userID int64, role gatehouse.Role) *gatehouse.Member {
	tb.Helper()
	m := &gatehouse.Member{GroupID: groupID, UserID: userID, Role: role, State: gatehouse.MemberActive}
	must(tb, fmt.Sprintf("PutMember(%d, %d, %v)", groupID, userID, role), q.PutMember(tb.Context(), m))
	return m
}

// MustCreateIdentity creates an active SAML identity of the user in the group.
func MustCreateIdentity(tb testing.TB, q store.Queries, groupID, userID int64, externUID string) *gatehouse.Identity {
	tb.Helper()
	i := &gatehouse.Identity{GroupID: groupID, UserID: userID, ExternUID: externUID, State: gatehouse.IdentityActive}
	must(tb, fmt.Sprintf("CreateIdentity(%d, %d, %q)", groupID, userID, externUID), q.CreateIdentity(tb.Context(), i))
	return i
}

// MustCreateSCIMIdentity creates an active SCIM identity of the user in the
// group, with a fresh SCIM id and externUID as both extern_uid and userName.
func MustCreateSCIMIdentity(tb testing.TB, q store.Queries, groupID, userID int64, externUID string) *gatehouse.SCIMIdentity {
	tb.Helper()
	s := newSCIMIdentity(groupID, userID, externUID)
	must(tb, fmt.Sprintf("CreateSCIMIdentity(%d, %d, %q)", groupID, userID, externUID), q.CreateSCIMIdentity(tb.Context(), s))
	return s
}

// MustCreateSCIMToken creates a SCIM token of the group and returns the token
// (shown once) with its stored row.
func MustCreateSCIMToken(tb testing.TB, q store.Queries, groupID int64) (string, *gatehouse.SCIMToken) {
	tb.Helper()
	token, hash := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	t := &gatehouse.SCIMToken{GroupID: groupID, Hash: hash}
	must(tb, fmt.Sprintf("CreateSCIMToken(%d)", groupID), q.CreateSCIMToken(tb.Context(), t))
	return token, t
}

// MustCreatePAT creates a personal access token of the user that never
// expires and returns the token (shown once) with its stored row.
func MustCreatePAT(tb testing.TB, q store.Queries, userID int64, name string) (string, *gatehouse.PersonalAccessToken) {
	tb.Helper()
	token, hash := gatehouse.NewToken(gatehouse.PATPrefix)
	t := &gatehouse.PersonalAccessToken{UserID: userID, Name: name, Hash: hash}
	must(tb, fmt.Sprintf("CreatePAT(%d, %q)", userID, name), q.CreatePAT(tb.Context(), t))
	return token, t
}

// newPersonal returns an unsaved active personal account; the first email is
// primary and verified.
func newPersonal(username string, emails ...string) *gatehouse.User {
	u := &gatehouse.User{
		Username: username,
		Name:     "Name of " + username,
		Kind:     gatehouse.Personal,
		State:    gatehouse.UserActive,
	}
	for i, e := range emails {
		u.Emails = append(u.Emails, gatehouse.Email{Address: e, Primary: i == 0, Verified: i == 0})
	}
	return u
}

// newManaged returns an unsaved active account managed by the group.
func newManaged(groupID int64, username string, emails ...string) *gatehouse.User {
	u := newPersonal(username, emails...)
	u.Kind = gatehouse.Managed
	u.ManagingGroupID = groupID
	return u
}

// newSCIMIdentity returns an unsaved active SCIM identity with a fresh SCIM id
// and externUID as both extern_uid and userName.
func newSCIMIdentity(groupID, userID int64, externUID string) *gatehouse.SCIMIdentity {
	return &gatehouse.SCIMIdentity{
		SCIMID:        newSCIMID(),
		GroupID:       groupID,
		UserID:        userID,
		ExternUID:     externUID,
		ExternalIDSet: true,
		UserName:      externUID,
		DisplayName:   "Display " + externUID,
		State:         gatehouse.IdentityActive,
	}
}

// newSCIMID returns a fresh random SCIM id.
func newSCIMID() string { return strings.ToLower(rand.Text()) }

// mustParseFilter parses a SCIM filter that the test knows is valid.
func mustParseFilter(tb testing.TB, filter string) scimfilter.Filter {
	tb.Helper()
	f, err := scimfilter.Parse(filter)
	must(tb, fmt.Sprintf("scimfilter.Parse(%q)", filter), err)
	return f
}
