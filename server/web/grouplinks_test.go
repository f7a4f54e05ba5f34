package web_test

import (
	"context"
	"encoding/json"
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

// TestSignInGroupLinks signs in with a groups attribute and checks that the
// member's role follows the group links at once, with the sign-in's
// reference in the audit trail.
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
		}{
			{"in the linked group", "groups", []string{"ENGINEERING", "Other"}, gatehouse.Developer},
			{"no groups attribute keeps the last groups", "", nil, gatehouse.Developer},
			{"left the linked group", "Groups", []string{"Sales"}, gatehouse.Guest},
			{"Entra's claim", "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", []string{"engineering"}, gatehouse.Developer},
		}
		for _, st := range steps {
			b := e.browser()
			b.continueTo(b.callback(e.group.Path, e.signedWithGroups("00u1alice", st.attr, st.groups...), ""), sso.AccountPath)
			if got := e.roleOf(si.UserID); got != st.want {
				t.Errorf("%s: role = %v, want %v", st.name, got, st.want)
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
		// Newest first: back to developer (Entra), guest, developer.
		want := "saml_sign_in:developer saml_sign_in:guest saml_sign_in:developer"
		if got := strings.Join(causes, " "); got != want {
			t.Errorf("role changes = %q, want %q", got, want)
		}
	})
}
