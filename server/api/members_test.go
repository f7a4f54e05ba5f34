package api_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
)

func TestMembers(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		// stranger's personal account, provisioned by email: a pending link.
		pending := e.provision(e.acme, "stranger-uid", "stranger", "stranger@example.com")
		if pending.UserID != e.users["stranger"].ID || pending.State != gatehouse.IdentityPendingLink {
			t.Fatalf("provisioning stranger's email gave %+v, want a pending link to stranger", pending)
		}

		got := e.as("olga", "GET", "/api/v4/groups/acme.corp/members", "")
		e.want("members", got, 200, "")
		var members []map[string]any
		if err := json.Unmarshal([]byte(got.body), &members); err != nil {
			t.Fatal(err)
		}
		aliceUser, err := e.s.FindUserByID(ctx, alice.UserID)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]map[string]any{}
		for _, m := range members {
			created, err := time.Parse(time.RFC3339, m["created_at"].(string))
			if err != nil || time.Since(created) > time.Hour {
				t.Errorf("member %v: created_at %v is not a recent RFC 3339 time", m["username"], m["created_at"])
			}
			delete(m, "created_at")
			byName[m["username"].(string)] = m
		}
		num := func(n int64) float64 { return float64(n) }
		want := map[string]map[string]any{
			"olga": {"id": num(e.users["olga"].ID), "username": "olga", "name": "olga", "state": "active", "access_level": 50.0,
				"membership_state": "active", "group_saml_identity": nil, "group_scim_identity": nil},
			"dev": {"id": num(e.users["dev"].ID), "username": "dev", "name": "dev", "state": "active", "access_level": 30.0,
				"membership_state": "active", "group_saml_identity": nil, "group_scim_identity": nil},
			aliceUser.Username: {"id": num(alice.UserID), "username": aliceUser.Username, "name": aliceUser.Name, "state": "active", "access_level": 10.0,
				"membership_state":    "active",
				"group_saml_identity": map[string]any{"extern_uid": "alice-uid", "provider": "group_saml", "saml_provider_id": num(e.acme.ID)},
				"group_scim_identity": map[string]any{"extern_uid": "alice-uid", "active": true}},
			"stranger": {"id": num(e.users["stranger"].ID), "username": "stranger", "name": "stranger", "state": "active", "access_level": 10.0,
				"membership_state": "pending_link", "group_saml_identity": nil,
				"group_scim_identity": map[string]any{"extern_uid": "stranger-uid", "active": true}},
		}
		if diff := cmp.Diff(want, byName); diff != "" {
			t.Errorf("GET members (-want +got):\n%s", diff)
		}
		if len(members) != 4 || members[0]["username"] != "olga" {
			t.Errorf("members in order %v, want 4 in user id order, olga first", members)
		}

		// A deprovisioned user is no longer a member.
		if _, err := e.prov.Patch(ctx, provision.Caller{Group: e.acme, TokenID: 1}, alice.SCIMID,
			[]scimpatch.Operation{{Op: "replace", Path: "active", Value: false}}, 0); err != nil {
			t.Fatal(err)
		}
		got = e.as("olga", "GET", "/api/v4/groups/acme.corp/members", "")
		if err := json.Unmarshal([]byte(got.body), &members); err != nil || len(members) != 3 {
			t.Errorf("members after deprovisioning alice: %s, want 3", got.body)
		}
		e.want("members of plain", e.as("olga", "GET", "/api/v4/groups/plain/members", ""), 200, "")
		if _, err := e.adm.SetMember(ctx, admin.System, "plain", "bob", gatehouse.Reporter); err != nil {
			t.Fatal(err)
		}
		got = e.as("root", "GET", "/api/v4/groups/"+itoa(e.plain.ID)+"/members?per_page=1&page=2", "")
		if err := json.Unmarshal([]byte(got.body), &members); err != nil || len(members) != 1 || members[0]["username"] != "bob" || members[0]["access_level"] != 20.0 {
			t.Errorf("page 2 of plain's members by 1: %s, want bob as reporter", got.body)
		}
	})
}
