package api_test

import (
	"context"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestSAMLGroupLinks(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		const links = "/api/v4/groups/acme.corp/saml_group_links"
		e.want("empty list", e.as("olga", "GET", links, ""), 200, `[]`)

		got := e.as("olga", "POST", links, `{"saml_group_name":"Engineering","access_level":30}`)
		e.want("add", got, 201, `{"name":"Engineering","access_level":30,"member_role_id":null,"provider":null}`)
		e.messageContains("add again", e.as("olga", "POST", links, `{"saml_group_name":"ENGINEERING","access_level":50}`), 409, "already linked")
		e.messageContains("bad level", e.as("olga", "POST", links, `{"saml_group_name":"Ops","access_level":35}`), 400, "access_level")
		e.want("no name", e.as("olga", "POST", links, `{"access_level":30}`), 400, `{"error":"saml_group_name is missing"}`)
		form := e.do(request{method: "POST", path: links, token: e.tokens["olga"],
			body: "saml_group_name=Admins&access_level=40", contentType: "application/x-www-form-urlencoded"})
		e.want("add by form", form, 201, `{"name":"Admins","access_level":40,"member_role_id":null,"provider":null}`)

		e.want("list", e.as("olga", "GET", links, ""), 200,
			`[{"name":"Engineering","access_level":30,"member_role_id":null,"provider":null},{"name":"Admins","access_level":40,"member_role_id":null,"provider":null}]`)
		e.want("get in any case", e.as("olga", "GET", links+"/engineering", ""), 200,
			`{"name":"Engineering","access_level":30,"member_role_id":null,"provider":null}`)
		e.want("get missing", e.as("olga", "GET", links+"/nope", ""), 404, `{"message":"404 SAML Group Link Not Found"}`)

		e.want("not the owner", e.as("bob", "GET", links, ""), 404, `{"message":"404 Group Not Found"}`)
		e.want("not the owner adds", e.as("bob", "POST", links, `{"saml_group_name":"X","access_level":10}`), 404, `{"message":"404 Group Not Found"}`)

		e.want("delete", e.as("olga", "DELETE", links+"/ADMINS", ""), 204, "")
		e.want("delete again", e.as("olga", "DELETE", links+"/ADMINS", ""), 404, "")
		ls, err := e.s.ListGroupLinks(ctx, e.acme.ID)
		if err != nil || len(ls) != 1 || ls[0].IdPGroup != "Engineering" {
			t.Errorf("links after delete = %v, %v; want Engineering alone", ls, err)
		}
		evs, _, err := e.s.ListAuditEvents(ctx, e.acme.ID, store0())
		if err != nil || len(evs) == 0 {
			t.Fatalf("ListAuditEvents = %v, %v", evs, err)
		}
		if ev := evs[0]; ev.Action != "group_link_removed" || ev.ActorKind != gatehouse.ActorUser || ev.ActorID != e.users["olga"].ID {
			t.Errorf("newest audit event = %+v, want olga's group_link_removed", ev)
		}
	})
}
