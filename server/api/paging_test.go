package api_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPagination(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		var uids []string
		for i := range 45 {
			uid := fmt.Sprintf("user-%02d", i)
			e.provision(e.acme, uid, uid+"@acme.example", uid+"@acme.example")
			uids = append(uids, uid)
		}
		const list = "/api/v4/groups/acme.corp/scim/identities"
		link := func(page, perPage int, rel string) string {
			return fmt.Sprintf(`<%s%s?page=%d&per_page=%d>; rel="%s"`, base, list, page, perPage, rel)
		}
		for _, tc := range []struct {
			name  string
			query string
			want  map[string]string
			uids  []string
		}{
			{"default", "", map[string]string{
				"X-Total": "45", "X-Total-Pages": "3", "X-Page": "1", "X-Per-Page": "20", "X-Next-Page": "2", "X-Prev-Page": "",
				"Link": strings.Join([]string{link(2, 20, "next"), link(1, 20, "first"), link(3, 20, "last")}, ", "),
			}, uids[:20]},
			{"middle", "?page=2", map[string]string{
				"X-Total": "45", "X-Total-Pages": "3", "X-Page": "2", "X-Per-Page": "20", "X-Next-Page": "3", "X-Prev-Page": "1",
				"Link": strings.Join([]string{link(1, 20, "prev"), link(3, 20, "next"), link(1, 20, "first"), link(3, 20, "last")}, ", "),
			}, uids[20:40]},
			{"last", "?page=3&per_page=20", map[string]string{
				"X-Total": "45", "X-Total-Pages": "3", "X-Page": "3", "X-Per-Page": "20", "X-Next-Page": "", "X-Prev-Page": "2",
				"Link": strings.Join([]string{link(2, 20, "prev"), link(1, 20, "first"), link(3, 20, "last")}, ", "),
			}, uids[40:]},
			{"past the end", "?page=4", map[string]string{
				"X-Total": "45", "X-Total-Pages": "3", "X-Page": "4", "X-Next-Page": "", "X-Prev-Page": "",
				"Link": strings.Join([]string{link(1, 20, "first"), link(3, 20, "last")}, ", "),
			}, nil},
			{"per_page 7", "?per_page=7&page=7", map[string]string{
				"X-Total": "45", "X-Total-Pages": "7", "X-Page": "7", "X-Per-Page": "7", "X-Next-Page": "", "X-Prev-Page": "6",
			}, uids[42:]},
			{"per_page capped at 100", "?per_page=500", map[string]string{
				"X-Total": "45", "X-Total-Pages": "1", "X-Page": "1", "X-Per-Page": "100", "X-Next-Page": "", "X-Prev-Page": "",
				"Link": strings.Join([]string{link(1, 100, "first"), link(1, 100, "last")}, ", "),
			}, uids},
			{"empty values are the defaults", "?page=&per_page=", map[string]string{"X-Page": "1", "X-Per-Page": "20"}, uids[:20]},
		} {
			got := e.as("olga", "GET", list+tc.query, "")
			e.want(tc.name, got, 200, "")
			for k, v := range tc.want {
				if g := got.header.Get(k); g != v || len(got.header.Values(k)) != 1 {
					t.Errorf("%s: %s = %q, want %q", tc.name, k, g, v)
				}
			}
			var items []struct {
				ExternUID string `json:"extern_uid"`
			}
			if err := json.Unmarshal([]byte(got.body), &items); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var gotUIDs []string
			for _, it := range items {
				gotUIDs = append(gotUIDs, it.ExternUID)
			}
			if diff := cmp.Diff(tc.uids, gotUIDs); diff != "" {
				t.Errorf("%s: extern_uids (-want +got):\n%s", tc.name, diff)
			}
		}

		// Other parameters are kept in the links, and the group stays as
		// the request named it.
		got := e.as("olga", "GET", "/api/v4/groups/"+itoa(e.acme.ID)+"/saml/identities?per_page=40&page=2&sort=asc", "")
		wantLink := fmt.Sprintf(`<%s/api/v4/groups/%d/saml/identities?page=1&per_page=40&sort=asc>; rel="prev", `+
			`<%[1]s/api/v4/groups/%[2]d/saml/identities?page=1&per_page=40&sort=asc>; rel="first", `+
			`<%[1]s/api/v4/groups/%[2]d/saml/identities?page=2&per_page=40&sort=asc>; rel="last"`, base, e.acme.ID)
		if l := got.header.Get("Link"); l != wantLink {
			t.Errorf("SAML list Link = %s\nwant %s", l, wantLink)
		}
		if n := strings.Count(got.body, "extern_uid"); n != 5 || got.header.Get("X-Total") != "45" {
			t.Errorf("SAML list page 2 by 40: %d items of X-Total %s, want 5 of 45", n, got.header.Get("X-Total"))
		}
		got = e.as("olga", "GET", "/api/v4/groups/acme.corp/members?per_page=40&page=2", "")
		if n := strings.Count(got.body, `"username"`); n != 7 || got.header.Get("X-Total") != "47" {
			t.Errorf("members page 2 by 40: %d members of X-Total %s, want 7 of 47 (45 and olga and dev)", n, got.header.Get("X-Total"))
		}

		for _, q := range []string{"page=0", "page=-1", "page=abc", "page=1.5", "page=2000000", "per_page=0", "per_page=-5", "per_page=x", "page=99999999999999999999"} {
			for _, path := range []string{list, "/api/v4/groups/acme.corp/saml/identities", "/api/v4/groups/acme.corp/members"} {
				got := e.as("olga", "GET", path+"?"+q, "")
				param := strings.SplitN(q, "=", 2)[0]
				e.messageContains(path+"?"+q, got, 400, param+" must be a whole number")
				if got.header.Get("Link") != "" || got.header.Get("X-Total") != "" {
					t.Errorf("%s?%s: paging headers on an error: %v", path, q, got.header)
				}
			}
		}
	})
}
