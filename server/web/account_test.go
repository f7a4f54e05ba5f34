package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/password"
	"github.com/gatehouse-sso/gatehouse/store"
	"github.com/gatehouse-sso/gatehouse/store/storetest"
)

var patPattern = regexp.MustCompile(gatehouse.PATPrefix + `[A-Za-z0-9_-]{43}`)

func TestPersonalAccessTokens(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.newAlice()
		bobsToken, bobs := storetest.MustCreatePAT(t, e.s, e.mustUser("bob").ID, "bob's")
		b := e.browser()
		b.signIn("alice", alicePassword, "/-/account")
		expires := time.Now().UTC().AddDate(0, 1, 0).Format(time.DateOnly)

		res := b.post("/-/account/tokens", url.Values{"name": {"ci"}, "expires_at": {expires}})
		token := patPattern.FindString(res.body)
		if res.status != http.StatusCreated || token == "" || !strings.Contains(res.body, "not shown again") {
			t.Fatalf("create = %d, want 201 showing the token once\n%s", res.status, res.body)
		}
		if page := b.get("/-/account"); strings.Contains(page.body, token) || !strings.Contains(page.body, "ci") || !strings.Contains(page.body, expires) {
			t.Errorf("account page after the create: shows the token again %v, lists ci %v, expiry %v; want false, true, true",
				strings.Contains(page.body, token), strings.Contains(page.body, "ci"), strings.Contains(page.body, expires))
		}
		api := e.browser()
		if res := api.do("GET", "/api/v4/user", nil, false, "PRIVATE-TOKEN", token); res.status != http.StatusOK || !strings.Contains(res.body, `"username":"alice"`) {
			t.Errorf("GET /api/v4/user with the new token = %d %s, want alice", res.status, res.body)
		}
		ts, err := e.s.ListPATs(ctx, alice.ID)
		if err != nil || len(ts) != 1 || ts[0].LastUsedAt.IsZero() {
			t.Fatalf("alice's tokens = %v, %v; want one, used", ts, err)
		}
		if page := b.get("/-/account"); strings.Count(page.body, " UTC</td>") != 2 {
			t.Errorf("the token list shows %d times, want its creation and last use\n%s", strings.Count(page.body, " UTC</td>"), page.body)
		}

		for _, tc := range []struct {
			name string
			form url.Values
			says string
		}{
			{"no name", url.Values{"name": {"  "}}, "Give the token a name"},
			{"expiry in the past", url.Values{"name": {"old"}, "expires_at": {"2020-01-01"}}, "is not in the future"},
			{"expiry not a date", url.Values{"name": {"odd"}, "expires_at": {"next week"}}, "must be a date"},
		} {
			if res := b.post("/-/account/tokens", tc.form); res.status != http.StatusBadRequest || !strings.Contains(res.body, tc.says) || patPattern.MatchString(res.body) {
				t.Errorf("create with %s = %d, want 400 saying %q and no token\n%s", tc.name, res.status, tc.says, res.body)
			}
		}
		if res := b.crossSite("/-/account/tokens", url.Values{"name": {"csrf"}}); res.status != http.StatusForbidden {
			t.Errorf("cross-site create = %d, want 403", res.status)
		}

		// Another user's token id cannot be revoked; the page does not say
		// it exists.
		res = b.post("/-/account/tokens/"+strconv.FormatInt(bobs.ID, 10)+"/revoke", url.Values{})
		if res.status != http.StatusNotFound || !strings.Contains(res.body, "You have no token with that id") {
			t.Errorf("revoke of bob's token = %d, want 404\n%s", res.status, res.body)
		}
		if res := api.do("GET", "/api/v4/user", nil, false, "PRIVATE-TOKEN", bobsToken); res.status != http.StatusOK {
			t.Errorf("bob's token after alice tried to revoke it = %d, want 200", res.status)
		}
		if res := b.crossSite("/-/account/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", url.Values{}); res.status != http.StatusForbidden {
			t.Errorf("cross-site revoke = %d, want 403", res.status)
		}

		res = b.post("/-/account/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", url.Values{})
		if res.status != http.StatusSeeOther || res.location != "/-/account?notice=token_revoked" {
			t.Fatalf("revoke = %d %q, want 303 to the account page", res.status, res.location)
		}
		if res := api.do("GET", "/api/v4/user", nil, false, "PRIVATE-TOKEN", token); res.status != http.StatusUnauthorized {
			t.Errorf("GET /api/v4/user with the revoked token = %d, want 401", res.status)
		}
		if res := b.post("/-/account/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", url.Values{}); res.status != http.StatusNotFound {
			t.Errorf("revoke again = %d, want 404", res.status)
		}
	})
}

// An owner reaches the group's pages from the account page; other members
// get no links there.
func TestAccountLinksOwnersToGroupPages(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		alice := e.newAlice()
		storetest.MustPutMember(t, e.s, e.group.ID, alice.ID, gatehouse.Owner)
		b := e.browser()
		b.signIn("alice", alicePassword, "/-/account")
		settings := `<a href="/groups/acme.corp/-/saml">SAML SSO settings</a>`
		members := `<a href="/groups/acme.corp/-/members">Members</a>`
		if page := b.get("/-/account"); !strings.Contains(page.body, settings) || !strings.Contains(page.body, members) {
			t.Errorf("an owner's account page has no links to the group's settings and members\n%s", page.body)
		}
		storetest.MustPutMember(t, e.s, e.group.ID, alice.ID, gatehouse.Developer)
		if page := b.get("/-/account"); strings.Contains(page.body, settings) {
			t.Errorf("a developer's account page links to the group's settings\n%s", page.body)
		}
	})
}

func TestUnlink(t *testing.T) {
	for _, tc := range []struct {
		name string
		// setup links accounts and returns the browser that unlinks, and
		// the user whose identity in the group should be gone (or stay).
		setup  func(e *env) (*browser, *gatehouse.User)
		group  string
		status int    // of the confirmed unlink
		says   string // on the refusal page
		gone   bool   // the identity and membership are removed
	}{
		{"personal account", func(e *env) (*browser, *gatehouse.User) {
			alice := e.newAlice()
			storetest.MustCreateIdentity(e.t, e.s, e.group.ID, alice.ID, "00u1alice")
			storetest.MustPutMember(e.t, e.s, e.group.ID, alice.ID, gatehouse.Developer)
			b := e.browser()
			b.signIn("alice", alicePassword, "/-/account")
			return b, alice
		}, "acme.corp", http.StatusSeeOther, "", true},
		{"another user's identity", func(e *env) (*browser, *gatehouse.User) {
			e.newAlice()
			bob := e.mustUser("bob")
			storetest.MustCreateIdentity(e.t, e.s, e.group.ID, bob.ID, "00u1bob")
			storetest.MustPutMember(e.t, e.s, e.group.ID, bob.ID, gatehouse.Developer)
			b := e.browser()
			b.signIn("alice", alicePassword, "/-/account")
			return b, bob
		}, "acme.corp", http.StatusNotFound, "is not linked to", false},
		{"a managed account's only identity", func(e *env) (*browser, *gatehouse.User) {
			e.provision("00u1bob", "bob@acme.example", "bob@acme.example")
			b := e.browser()
			b.continueTo(b.callback("acme.corp", e.signed(e.group, e.okta, "00u1bob", ""), ""), "/-/account")
			bob, err := e.s.FindUserByUsername(context.Background(), "bob")
			if err != nil {
				e.t.Fatal(err)
			}
			if page := b.get("/-/account"); !strings.Contains(page.body, "Cannot be unlinked") || strings.Contains(page.body, "Unlink…") {
				e.t.Errorf("account page of a managed account offers to unlink its only identity:\n%s", page.body)
			}
			return b, bob
		}, "acme.corp", http.StatusForbidden, "would leave you unable to sign in", false},
		{"the group's last owner", func(e *env) (*browser, *gatehouse.User) {
			owner, err := e.s.FindUserByUsername(context.Background(), "owner")
			if err != nil {
				e.t.Fatal(err)
			}
			owner.PasswordHash = password.Hash(alicePassword, fastParams)
			if err := e.s.UpdateUser(context.Background(), owner); err != nil {
				e.t.Fatal(err)
			}
			storetest.MustCreateIdentity(e.t, e.s, e.group.ID, owner.ID, "00u1owner")
			b := e.browser()
			b.signIn("owner", alicePassword, "/-/account")
			return b, owner
		}, "acme.corp", http.StatusForbidden, "only owner", false},
		{"a group that does not exist", func(e *env) (*browser, *gatehouse.User) {
			alice := e.newAlice()
			storetest.MustCreateIdentity(e.t, e.s, e.group.ID, alice.ID, "00u1alice")
			b := e.browser()
			b.signIn("alice", alicePassword, "/-/account")
			return b, alice
		}, "nowhere", http.StatusNotFound, "is not linked to", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			backends(t, 1, func(t *testing.T, e *env) {
				ctx := context.Background()
				b, u := tc.setup(e)
				action := "/-/account/identities/" + tc.group + "/unlink"
				if tc.gone {
					confirm := b.post(action, url.Values{})
					if confirm.status != http.StatusOK || !strings.Contains(confirm.body, "you stop being a member of") || !strings.Contains(confirm.body, `name="confirm" value="yes"`) {
						t.Fatalf("unlink without confirmation = %d, want the confirmation page\n%s", confirm.status, confirm.body)
					}
					if res := b.crossSite(action, url.Values{"confirm": {"yes"}}); res.status != http.StatusForbidden {
						t.Errorf("cross-site unlink = %d, want 403", res.status)
					}
					if _, err := e.s.FindIdentityByUser(ctx, e.group.ID, u.ID); err != nil {
						t.Fatalf("identity after the unconfirmed and the cross-site unlink: %v, want it kept", err)
					}
				}
				res := b.post(action, url.Values{"confirm": {"yes"}})
				if res.status != tc.status || !strings.Contains(res.body, tc.says) {
					t.Errorf("unlink = %d %q, want %d saying %q\n%s", res.status, res.location, tc.status, tc.says, res.body)
				}
				_, ierr := e.s.FindIdentityByUser(ctx, e.group.ID, u.ID)
				_, merr := e.s.FindMember(ctx, e.group.ID, u.ID)
				if gone := gatehouse.IsKind(ierr, gatehouse.NotFound); gone != tc.gone {
					t.Errorf("identity after the unlink: %v, want gone %v", ierr, tc.gone)
				}
				if tc.gone {
					if !gatehouse.IsKind(merr, gatehouse.NotFound) {
						t.Errorf("membership after the unlink: %v, want gone", merr)
					}
					events, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 1})
					if err != nil || len(events) != 1 || events[0].Action != "saml_identity_unlinked" {
						t.Errorf("audit after the unlink = %v, %v; want saml_identity_unlinked", events, err)
					}
					if page := b.get(res.location); !strings.Contains(page.body, "No identity provider is linked") {
						t.Errorf("account page after the unlink still lists the identity:\n%s", page.body)
					}
				}
			})
		})
	}
}

// TestUnlinkSCIMIdentityWaitsForLink unlinks a personal account the IdP
// provisions: its SCIM identity goes back to pending link, and the IdP
// signs it in again only after it links again.
func TestUnlinkSCIMIdentityWaitsForLink(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.newAlice()
		storetest.MustCreateIdentity(t, e.s, e.group.ID, alice.ID, "00u1alice")
		storetest.MustPutMember(t, e.s, e.group.ID, alice.ID, gatehouse.Developer)
		si := storetest.MustCreateSCIMIdentity(t, e.s, e.group.ID, alice.ID, "00u1alice")
		b := e.browser()
		b.signIn("alice", alicePassword, "/-/account")
		if res := b.post("/-/account/identities/acme.corp/unlink", url.Values{"confirm": {"yes"}}); res.status != http.StatusSeeOther {
			t.Fatalf("unlink = %d\n%s", res.status, res.body)
		}
		got, err := e.s.FindSCIMIdentity(ctx, e.group.ID, si.SCIMID)
		if err != nil || got.State != gatehouse.IdentityPendingLink {
			t.Errorf("SCIM identity after the unlink = %+v, %v; want pending_link", got, err)
		}
		res := e.browser().callback("acme.corp", e.signed(e.group, e.okta, "00u1alice", ""), "")
		if res.status != http.StatusSeeOther || !strings.HasPrefix(res.location, "/users/sign_in?reason=link") {
			t.Errorf("SSO after the unlink = %d %q, want the password first", res.status, res.location)
		}
	})
}
