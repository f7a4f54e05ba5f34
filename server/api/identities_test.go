package api_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/provision"
	"github.com/gatehouse-sso/gatehouse/scim/scimpatch"
)

func TestSCIMIdentityRead(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.provision(e.acme, "Alice-UID", "alice@acme.example", "alice@acme.example")
		gone := e.provision(e.acme, "gone-uid", "gone@acme.example", "gone@acme.example")
		if _, err := e.prov.Patch(ctx, provision.Caller{Group: e.acme, TokenID: 1},
			gone.SCIMID, []scimpatch.Operation{{Op: "replace", Path: "active", Value: false}}, 0); err != nil {
			t.Fatal(err)
		}
		deleted := e.provision(e.acme, "deleted-uid", "deleted@acme.example", "deleted@acme.example")
		if err := e.prov.Delete(ctx, provision.Caller{Group: e.acme, TokenID: 1}, deleted.SCIMID, 0); err != nil {
			t.Fatal(err)
		}

		e.want("list", e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/identities", ""), 200,
			`[{"extern_uid":"Alice-UID","user_id":`+itoa(alice.UserID)+`,"active":true},
			  {"extern_uid":"gone-uid","user_id":`+itoa(gone.UserID)+`,"active":false}]`)
		e.want("list of a group without identities", e.as("olga", "GET", "/api/v4/groups/plain/scim/identities", ""), 200, `[]`)

		for _, tc := range []struct {
			name, uid string
			status    int
			body      string
		}{
			{"exact", "Alice-UID", 200, `{"extern_uid":"Alice-UID","user_id":` + itoa(alice.UserID) + `,"active":true}`},
			{"another case", "alice-uid", 200, `{"extern_uid":"Alice-UID","user_id":` + itoa(alice.UserID) + `,"active":true}`},
			{"deactivated", "gone-uid", 200, `{"extern_uid":"gone-uid","user_id":` + itoa(gone.UserID) + `,"active":false}`},
			{"deleted", "deleted-uid", 404, `{"message":"404 Identity Not Found"}`},
			{"unknown", "nobody", 404, `{"message":"404 Identity Not Found"}`},
		} {
			e.want("GET "+tc.name, e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/"+tc.uid, ""), tc.status, tc.body)
		}
	})
}

func TestSCIMIdentityPatchRefusals(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		e.provision(e.acme, "Carol-UID", "carol@acme.example", "carol@acme.example")
		// A SAML identity nobody provisioned over SCIM: its extern_uid is
		// taken too.
		if err := e.s.CreateIdentity(ctx, &gatehouse.Identity{GroupID: e.acme.ID, UserID: e.users["dev"].ID,
			ExternUID: "dev-nameid", State: gatehouse.IdentityActive}); err != nil {
			t.Fatal(err)
		}
		missing := `{"error":"extern_uid is missing"}`
		for _, tc := range []struct {
			name        string
			uid         string
			body        string
			contentType string
			status      int
			body2       string   // the exact body wanted, or
			says        []string // what the message must say
		}{
			{name: "empty JSON object", body: `{}`, contentType: "application/json", status: 400, body2: missing},
			{name: "other parameters only", body: `{"active":false}`, contentType: "application/json", status: 400, body2: missing},
			{name: "no body", status: 400, body2: missing},
			{name: "empty form", body: "active=false", contentType: "application/x-www-form-urlencoded", status: 400, body2: missing},
			{name: "JSON null", body: `null`, contentType: "application/json", status: 400, body2: missing},
			{name: "empty", body: `{"extern_uid":""}`, contentType: "application/json", status: 400, says: []string{"extern_uid cannot be blank"}},
			{name: "blank", body: `{"extern_uid":"   "}`, contentType: "application/json", status: 400, says: []string{"extern_uid cannot be blank"}},
			{name: "blank form", body: "extern_uid=+", contentType: "application/x-www-form-urlencoded", status: 400, says: []string{"extern_uid cannot be blank"}},
			{name: "null value", body: `{"extern_uid":null}`, contentType: "application/json", status: 400, says: []string{"extern_uid cannot be blank"}},
			{name: "not a string", body: `{"extern_uid":42}`, contentType: "application/json", status: 400, says: []string{"extern_uid must be a JSON string"}},
			{name: "too long", body: `{"extern_uid":"` + strings.Repeat("x", 1025) + `"}`, contentType: "application/json", status: 400, says: []string{"1024 bytes"}},
			{name: "not UTF-8", body: "extern_uid=%FF", contentType: "application/x-www-form-urlencoded", status: 400, says: []string{"UTF-8"}},
			{name: "malformed JSON", body: `{"extern_uid":`, contentType: "application/json", status: 400, says: []string{"not valid JSON"}},
			{name: "trailing garbage", body: `{"extern_uid":"x"} {}`, contentType: "application/json", status: 400, says: []string{"not valid JSON"}},
			{name: "JSON array", body: `["x"]`, contentType: "application/json", status: 400, says: []string{"JSON object"}},
			{name: "malformed form", body: "extern_uid=%zz", contentType: "application/x-www-form-urlencoded", status: 400, says: []string{"not a valid form"}},
			{name: "too large", body: `{"extern_uid":"` + strings.Repeat("x", 70<<10) + `"}`, contentType: "application/json", status: 413, says: []string{"larger than"}},
			{name: "taken", body: `{"extern_uid":"Carol-UID"}`, contentType: "application/json", status: 409, says: []string{"Carol-UID", "already used"}},
			{name: "taken in another case", body: `{"extern_uid":"carol-uid"}`, contentType: "application/json", status: 409, says: []string{"already used", "letter case"}},
			{name: "taken by a SAML identity", body: `{"extern_uid":"DEV-NAMEID"}`, contentType: "application/json", status: 409, says: []string{"SAML identity"}},
			{name: "unknown identity", uid: "nobody", body: `{"extern_uid":"new"}`, contentType: "application/json", status: 404, body2: `{"message":"404 Identity Not Found"}`},
		} {
			uid := tc.uid
			if uid == "" {
				uid = "alice-uid"
			}
			for _, kind := range []string{"scim", "saml"} {
				if kind == "saml" && strings.Contains(tc.name, "SAML identity") {
					continue // dev-nameid is dev's, not carol's; checked below
				}
				got := e.do(request{method: "PATCH", path: "/api/v4/groups/acme.corp/" + kind + "/" + uid, token: e.tokens["olga"], body: tc.body, contentType: tc.contentType})
				what := kind + " " + tc.name
				if tc.body2 != "" {
					e.want(what, got, tc.status, tc.body2)
				} else {
					e.messageContains(what, got, tc.status, tc.says...)
				}
			}
		}
		e.messageContains("saml taken by a SCIM identity",
			e.as("olga", "PATCH", "/api/v4/groups/acme.corp/saml/dev-nameid", `{"extern_uid":"ALICE-uid"}`), 409, "SCIM identity")

		// Nothing moved.
		for _, uid := range []string{"alice-uid", "Carol-UID"} {
			if _, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, uid); err != nil {
				t.Errorf("SCIM identity %s: %v", uid, err)
			}
			if i, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, uid); err != nil || i.ExternUID != uid {
				t.Errorf("SAML identity %s: %v, %v", uid, i, err)
			}
		}
	})
}

func TestSCIMIdentityPatch(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		id := itoa(alice.UserID)

		// JSON: the SCIM identity and the SAML identity move together.
		got := e.as("olga", "PATCH", "/api/v4/groups/acme.corp/scim/ALICE-UID", `{"extern_uid":"alice.new@acme.example","active":false}`)
		e.want("PATCH JSON", got, 200, `{"extern_uid":"alice.new@acme.example","user_id":`+id+`,"active":true}`)
		si, err := e.prov.Get(ctx, e.acme.ID, alice.SCIMID)
		if err != nil || si.ExternUID != "alice.new@acme.example" || !si.ExternalIDSet || !si.Active() {
			t.Errorf("the SCIM resource after PATCH: %+v, %v; want the same id with the new externalId, active", si, err)
		}
		// The ACS looks a NameID up with FindIdentityByExternUID: the new
		// NameID, in any case, finds alice; the old one nobody.
		for _, nameID := range []string{"alice.new@acme.example", "ALICE.NEW@acme.example"} {
			if i, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, nameID); err != nil || i.UserID != alice.UserID {
				t.Errorf("SAML sign-in lookup of %q after PATCH = %v, %v; want alice", nameID, i, err)
			}
		}
		if _, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, "alice-uid"); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("SAML sign-in lookup of the old NameID: err = %v, want NotFound", err)
		}
		e.want("GET the old extern_uid", e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/alice-uid", ""), 404, `{"message":"404 Identity Not Found"}`)

		// The audit event names olga, in the same group.
		evs, _, err := e.s.ListAuditEvents(ctx, e.acme.ID, store0())
		if err != nil {
			t.Fatal(err)
		}
		ev := evs[0]
		var detail map[string]any
		json.Unmarshal(ev.Detail, &detail)
		if ev.Action != "scim_identity_extern_uid_updated" || ev.ActorKind != gatehouse.ActorUser || ev.ActorID != e.users["olga"].ID ||
			ev.TargetID != alice.SCIMID || detail["previous_extern_uid"] != "alice-uid" || detail["saml_identity_moved_from"] != "alice-uid" {
			t.Errorf("newest audit event = %+v %s, want scim_identity_extern_uid_updated by olga on %s", ev, ev.Detail, alice.SCIMID)
		}

		// A form, and the same value again (nothing to write), and a
		// change of letter case only.
		for _, tc := range []struct {
			name, body, contentType, want string
		}{
			{"form", "extern_uid=alice%2Bform%40acme.example&active=false", "application/x-www-form-urlencoded", "alice+form@acme.example"},
			{"JSON labelled as a form (curl --data)", `{"extern_uid":"alice-json"}`, "application/x-www-form-urlencoded", "alice-json"},
			{"JSON without a content type", `{"extern_uid":"alice-plain"}`, "", "alice-plain"},
			{"the same value", `{"extern_uid":"alice-plain"}`, "application/json", "alice-plain"},
			{"letter case only", `{"extern_uid":"Alice-Plain"}`, "application/json", "Alice-Plain"},
		} {
			cur, err := e.prov.Get(ctx, e.acme.ID, alice.SCIMID)
			if err != nil {
				t.Fatal(err)
			}
			got := e.do(request{method: "PATCH", path: "/api/v4/groups/acme.corp/scim/" + cur.ExternUID, token: e.tokens["olga"], body: tc.body, contentType: tc.contentType})
			e.want(tc.name, got, 200, `{"extern_uid":"`+tc.want+`","user_id":`+id+`,"active":true}`)
			if i, err := e.s.FindIdentityByUser(ctx, e.acme.ID, alice.UserID); err != nil || i.ExternUID != tc.want {
				t.Errorf("%s: the SAML identity = %v, %v; want extern_uid %q", tc.name, i, err, tc.want)
			}
		}
		// In the query string, as GitLab also reads it.
		got = e.do(request{method: "PATCH", path: "/api/v4/groups/acme.corp/scim/alice-plain?extern_uid=alice%40query", token: e.tokens["olga"]})
		e.want("query string", got, 200, `{"extern_uid":"alice@query","user_id":`+id+`,"active":true}`)
		// An extern_uid with a slash, URL-encoded in the path.
		e.as("olga", "PATCH", "/api/v4/groups/acme.corp/scim/alice@query", `{"extern_uid":"CN=alice/OU=people"}`)
		e.want("GET an encoded slash", e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/CN=alice%2FOU=people", ""), 200,
			`{"extern_uid":"CN=alice/OU=people","user_id":`+id+`,"active":true}`)
	})
}

func TestSCIMIdentityDelete(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")

		got := e.as("olga", "DELETE", "/api/v4/groups/acme.corp/scim/ALICE-uid", "")
		if got.status != 204 || got.body != "" {
			t.Fatalf("DELETE = %d %q, want 204 and no body", got.status, got.body)
		}
		if _, err := e.s.FindMember(ctx, e.acme.ID, alice.UserID); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("the membership after DELETE: err = %v, want NotFound", err)
		}
		if u, err := e.s.FindUserByID(ctx, alice.UserID); err != nil || u.State != gatehouse.UserActive {
			t.Errorf("the account after DELETE = %v, %v; want it kept, active", u, err)
		}
		if _, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, "alice-uid"); err != nil {
			t.Errorf("the SAML identity after DELETE: %v; want it kept", err)
		}
		e.want("GET after DELETE", e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/alice-uid", ""), 404, `{"message":"404 Identity Not Found"}`)
		e.want("DELETE again", e.as("olga", "DELETE", "/api/v4/groups/acme.corp/scim/alice-uid", ""), 404, `{"message":"404 Identity Not Found"}`)
		e.want("list after DELETE", e.as("olga", "GET", "/api/v4/groups/acme.corp/scim/identities", ""), 200, `[]`)
		evs, _, err := e.s.ListAuditEvents(ctx, e.acme.ID, store0())
		if err != nil {
			t.Fatal(err)
		}
		if ev := evs[0]; ev.Action != "scim_user_deleted" || ev.ActorKind != gatehouse.ActorUser || ev.ActorID != e.users["olga"].ID {
			t.Errorf("newest audit event = %+v, want scim_user_deleted by olga", ev)
		}

		// The IdP provisions alice again: she gets her account back.
		again := e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		if again.UserID != alice.UserID {
			t.Errorf("re-provisioned user %d, want the same account %d", again.UserID, alice.UserID)
		}
	})
}

func TestSCIMIdentityDeleteLastOwner(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		carol := e.provision(e.acme, "carol-uid", "carol@acme.example", "carol@acme.example")
		carolName, err := e.s.FindUserByID(ctx, carol.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", carolName.Username, gatehouse.Owner); err != nil {
			t.Fatal(err)
		}
		if _, err := e.adm.SetMember(ctx, admin.System, "acme.corp", "olga", gatehouse.Maintainer); err != nil {
			t.Fatal(err)
		}
		got := e.as("root", "DELETE", "/api/v4/groups/acme.corp/scim/carol-uid", "")
		e.messageContains("DELETE the last owner", got, 400, "last owner", "make another member owner first")
		if m, err := e.s.FindMember(ctx, e.acme.ID, carol.UserID); err != nil || m.Role != gatehouse.Owner {
			t.Errorf("the last owner's membership after a refused DELETE = %v, %v", m, err)
		}
		if _, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, "carol-uid"); err != nil {
			t.Errorf("the SCIM identity after a refused DELETE: %v", err)
		}
	})
}

func TestSAMLIdentities(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		alice := e.provision(e.acme, "alice-uid", "alice@acme.example", "alice@acme.example")
		bob := e.provision(e.acme, "Bob-UID", "bob@acme.example", "bob@acme.example")
		a, b := itoa(alice.UserID), itoa(bob.UserID)

		e.want("list", e.as("olga", "GET", "/api/v4/groups/acme.corp/saml/identities", ""), 200,
			`[{"extern_uid":"alice-uid","user_id":`+a+`},{"extern_uid":"Bob-UID","user_id":`+b+`}]`)
		e.messageContains("list without SAML", e.as("olga", "GET", "/api/v4/groups/plain/saml/identities", ""), 400,
			"no SAML configuration", "gatehouse saml configure")
		e.want("GET", e.as("olga", "GET", "/api/v4/groups/acme.corp/saml/bob-uid", ""), 200, `{"extern_uid":"Bob-UID","user_id":`+b+`}`)
		e.want("GET unknown", e.as("olga", "GET", "/api/v4/groups/acme.corp/saml/nobody", ""), 404, `{"message":"404 Identity Not Found"}`)

		// PATCH moves the SCIM identity with it.
		e.want("PATCH", e.as("olga", "PATCH", "/api/v4/groups/acme.corp/saml/ALICE-uid", `{"extern_uid":"alice@idp.example"}`), 200,
			`{"extern_uid":"alice@idp.example","user_id":`+a+`}`)
		if i, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, "Alice@IdP.example"); err != nil || i.UserID != alice.UserID {
			t.Errorf("SAML sign-in lookup of the new NameID = %v, %v; want alice", i, err)
		}
		if si, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, "alice@idp.example"); err != nil || si.SCIMID != alice.SCIMID {
			t.Errorf("the SCIM identity after the SAML PATCH = %v, %v; want alice's, moved", si, err)
		}
		e.messageContains("PATCH onto bob in another case", e.as("olga", "PATCH", "/api/v4/groups/acme.corp/saml/alice@idp.example", `{"extern_uid":"bob-uid"}`), 409, "already used")
		evs, _, err := e.s.ListAuditEvents(ctx, e.acme.ID, store0())
		if err != nil {
			t.Fatal(err)
		}
		if ev := evs[0]; ev.Action != "saml_identity_extern_uid_updated" || ev.ActorID != e.users["olga"].ID {
			t.Errorf("newest audit event = %+v, want saml_identity_extern_uid_updated by olga", ev)
		}

		// DELETE unlinks: the identity goes, the account, membership and
		// SCIM identity stay.
		got := e.as("olga", "DELETE", "/api/v4/groups/acme.corp/saml/bob-uid", "")
		if got.status != 204 || got.body != "" {
			t.Fatalf("DELETE = %d %q, want 204 and no body", got.status, got.body)
		}
		if _, err := e.s.FindIdentityByExternUID(ctx, e.acme.ID, "Bob-UID"); !gatehouse.IsKind(err, gatehouse.NotFound) {
			t.Errorf("the SAML identity after DELETE: err = %v, want NotFound", err)
		}
		if _, err := e.s.FindMember(ctx, e.acme.ID, bob.UserID); err != nil {
			t.Errorf("the membership after the SAML DELETE: %v; want it kept", err)
		}
		if _, err := e.s.FindUserByID(ctx, bob.UserID); err != nil {
			t.Errorf("the account after the SAML DELETE: %v; want it kept", err)
		}
		if _, err := e.s.FindSCIMIdentityByExternUID(ctx, e.acme.ID, "Bob-UID"); err != nil {
			t.Errorf("the SCIM identity after the SAML DELETE: %v; want it kept", err)
		}
		e.want("DELETE again", e.as("olga", "DELETE", "/api/v4/groups/acme.corp/saml/bob-uid", ""), 404, `{"message":"404 Identity Not Found"}`)
		e.want("list after DELETE", e.as("olga", "GET", "/api/v4/groups/acme.corp/saml/identities", ""), 200,
			`[{"extern_uid":"alice@idp.example","user_id":`+a+`}]`)

		// A SCIM PATCH of bob, who has no SAML identity now, moves only
		// the SCIM identity.
		e.want("SCIM PATCH without a SAML identity", e.as("olga", "PATCH", "/api/v4/groups/acme.corp/scim/bob-uid", `{"extern_uid":"bob2"}`), 200,
			`{"extern_uid":"bob2","user_id":`+b+`,"active":true}`)
	})
}
