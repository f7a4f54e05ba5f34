package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
)

// signedWithGroups is an IdP-initiated response for nameID carrying the
// attribute named attr with groups; attr "" sends none.
func (e *env) signedWithGroups(nameID, attr string, groups ...string) string {
	e.t.Helper()
	spec := e.okta.Spec(e.nodes[0].svc.SP(e.group), time.Now())
	spec.NameID = nameID
	if attr != "" {
		spec.Attributes = append(spec.Attributes, samltest.Attribute{Name: attr, Values: groups})
	}
	return samltest.Encode(e.okta.Response(e.t, spec))
}

func (e *env) roleOf(userID int64) gatehouse.Role {
	e.t.Helper()
	m, err := e.s.FindMember(context.Background(), e.group.ID, userID)
	if err != nil {
		e.t.Fatalf("FindMember: %v", err)
	}
	return m.Role
}

// TestSignInGroupLinks signs in with and without a groups attribute and
// checks that the member's role follows the group links at once, with the
// sign-in's reference in the audit trail and a "groups" check in its SAML
// log entry: no attribute means no group (IdPs leave it out for someone in
// none), except beside Entra ID's overage claim, which keeps the last ones.
func TestSignInGroupLinks(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		si := e.provision("00u1alice", "alice@example.com", "alice@example.com")
		if _, _, err := e.adm.AddGroupLink(ctx, admin.System, e.group.Path, "Engineering", gatehouse.Developer); err != nil {
			t.Fatal(err)
		}
		if got := e.roleOf(si.UserID); got != gatehouse.Guest {
			t.Fatalf("role before sign-in = %v, want guest", got)
		}
		steps := []struct {
			name   string
			attr   string
			groups []string
			want   gatehouse.Role
			check  string // in the SAML log's groups check
		}{
			{"in the linked group", "groups", []string{"ENGINEERING", "Other"}, gatehouse.Developer, "2 IdP groups; linked: ENGINEERING"},
			{"no groups attribute: in no group", "", nil, gatehouse.Guest, "no groups attribute"},
			{"back in the linked group", "Groups", []string{"Engineering"}, gatehouse.Developer, "1 IdP groups; linked: Engineering"},
			{"Entra's overage claim keeps the last groups", admin.SAMLGroupsOverageAttribute,
				[]string{"https://graph.windows.net/0f1e/users/00u1alice/getMemberObjects"}, gatehouse.Developer, "the groups of the last sign-in stay"},
			{"left the linked group", "Groups", []string{"Sales"}, gatehouse.Guest, "1 IdP groups, none of them linked"},
			{"Entra's claim", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", []string{"engineering"}, gatehouse.Developer, "linked: engineering"},
		}
		for _, st := range steps {
			b := e.browser()
			b.continueTo(b.callback(e.group.Path, e.signedWithGroups("00u1alice", st.attr, st.groups...), ""), sso.AccountPath)
			if got := e.roleOf(si.UserID); got != st.want {
				t.Errorf("%s: role = %v, want %v", st.name, got, st.want)
			}
			entries, _, err := e.s.ListSAMLLogs(ctx, e.group.ID, store.Page{Limit: 1})
			if err != nil || len(entries) != 1 {
				t.Fatalf("ListSAMLLogs = %d entries, %v", len(entries), err)
			}
			var checks []struct{ Name, Detail string }
			if err := json.Unmarshal(entries[0].Checks, &checks); err != nil || len(checks) == 0 {
				t.Fatalf("%s: SAML log checks %s: %v", st.name, entries[0].Checks, err)
			}
			if last := checks[len(checks)-1]; last.Name != sso.GroupsCheck || !strings.Contains(last.Detail, st.check) {
				t.Errorf("%s: last SAML log check = %s %q, want %s saying %q", st.name, last.Name, last.Detail, sso.GroupsCheck, st.check)
			}
		}
		events, _, err := e.s.ListAuditEvents(ctx, e.group.ID, store.Page{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var causes []string
		for _, ev := range events {
			if ev.Action != "member_role_changed" {
				continue
			}
			var d struct {
				Role  string `json:"role"`
				Cause struct {
					Kind      string `json:"kind"`
					Reference string `json:"reference"`
				} `json:"cause"`
			}
			if err := json.Unmarshal(ev.Detail, &d); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(d.Cause.Reference, "saml sign-in ") {
				t.Errorf("role change cause reference = %q, want the sign-in's", d.Cause.Reference)
			}
			ref := strings.TrimPrefix(d.Cause.Reference, "saml sign-in ")
			if _, err := e.s.FindSAMLLogByReference(ctx, e.group.ID, ref); err != nil {
				t.Errorf("FindSAMLLogByReference(%s) = %v, want the sign-in's log entry", ref, err)
			}
			causes = append(causes, d.Cause.Kind+":"+d.Role)
		}
		// Newest first: developer (Entra), guest (left), developer (back
		// in), guest (no attribute), developer (joined).
		want := "saml_sign_in:developer saml_sign_in:guest saml_sign_in:developer saml_sign_in:guest saml_sign_in:developer"
		if got := strings.Join(causes, " "); got != want {
			t.Errorf("role changes = %q, want %q", got, want)
		}
	})
}

// TestSettingsGroupLinks previews, saves and removes a link on the
// settings page, and checks that only saving changes roles.
func TestSettingsGroupLinks(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		ctx := context.Background()
		people(t, e)
		si := e.provision("00u1alice", "alice@example.com", "alice@example.com")
		alice, err := e.s.FindUserByID(ctx, si.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.s.ReplaceUserIdPGroups(ctx, e.group.ID, alice.ID, gatehouse.IdPGroupSAML, []string{"Engineering"}); err != nil {
			t.Fatal(err)
		}
		b := e.signIn("olga")
		wantBody(t, "page", b.get(settingsPage), "Group links", "The group has no links.")
		post := func(form url.Values, status int) response {
			t.Helper()
			res := b.post(settingsPage+"/group_links", form)
			if res.status != status {
				t.Fatalf("POST group_links %v = %d, want %d\n%s", form, res.status, status, res.body)
			}
			return res
		}

		res := post(url.Values{"action": {"preview"}, "idp_group": {"engineering"}, "role": {"developer"}}, http.StatusOK)
		wantBody(t, "preview", res, "role with the link (those whose role would change first)", "<td>"+alice.Username+"</td><td>guest</td><td><strong>developer</strong></td>", "<td>olga</td><td>owner</td><td>owner (stays)</td>", "Nothing is saved yet")
		if ls, _ := e.s.ListGroupLinks(ctx, e.group.ID); len(ls) != 0 {
			t.Errorf("preview saved links %v", ls)
		}
		if got := e.roleOf(alice.ID); got != gatehouse.Guest {
			t.Errorf("role after preview = %v, want guest", got)
		}

		res = post(url.Values{"action": {"add"}, "idp_group": {"engineering"}, "role": {"developer"}}, http.StatusOK)
		wantBody(t, "saved", res, "is linked to developer; 1 member roles changed", "Remove")
		if got := e.roleOf(alice.ID); got != gatehouse.Developer {
			t.Errorf("role after save = %v, want developer", got)
		}
		res = post(url.Values{"action": {"add"}, "idp_group": {"ENGINEERING"}, "role": {"owner"}}, http.StatusConflict)
		wantBody(t, "twice", res, "already linked")
		post(url.Values{"action": {"preview"}, "idp_group": {"x"}, "role": {"boss"}}, http.StatusBadRequest)

		ls, err := e.s.ListGroupLinks(ctx, e.group.ID)
		if err != nil || len(ls) != 1 {
			t.Fatalf("ListGroupLinks = %v, %v", ls, err)
		}
		post(url.Values{"action": {"remove"}, "id": {itoa(ls[0].ID)}}, http.StatusOK)
		if got := e.roleOf(alice.ID); got != gatehouse.Guest {
			t.Errorf("role after remove = %v, want guest", got)
		}

		// Nobody but the owner may.
		for _, who := range []struct {
			login  string
			status int
		}{{"mia", http.StatusForbidden}, {"sam", http.StatusNotFound}} {
			res := e.signIn(who.login).post(settingsPage+"/group_links", url.Values{"action": {"add"}, "idp_group": {"x"}, "role": {"owner"}})
			if res.status != who.status {
				t.Errorf("POST group_links as %s = %d, want %d", who.login, res.status, who.status)
			}
		}
		if ls, _ := e.s.ListGroupLinks(ctx, e.group.ID); len(ls) != 0 {
			t.Errorf("refused POSTs saved links %v", ls)
		}
	})
}
