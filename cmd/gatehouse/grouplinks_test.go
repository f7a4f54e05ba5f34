package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestGroupLinkCommands(t *testing.T) {
	for name, db := range databases(t) {
		t.Run(name, func(t *testing.T) {
			env := map[string]string{"GATEHOUSE_DB": db}
			ok := func(args ...string) string {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != exitOK {
					t.Fatalf("gatehouse %v = exit %d, stderr %q", args, r.code, r.stderr)
				}
				return strings.TrimSpace(r.stdout)
			}
			fails := func(code int, msg string, args ...string) {
				t.Helper()
				r := gh(t, env, "", args...)
				if r.code != code || !strings.Contains(r.stderr, msg) {
					t.Errorf("gatehouse %v = exit %d, stderr %q; want exit %d mentioning %q", args, r.code, r.stderr, code, msg)
				}
			}
			ok("migrate")
			ok("user", "create", "--username", "alice", "--email", "alice@example.com")
			ok("user", "create", "--username", "bob", "--email", "bob@example.com")
			ok("group", "create", "--path", "acme", "--owner", "alice")

			id := ok("group", "link", "add", "--group", "acme", "--idp-group", "Engineering", "--role", "developer")
			if id != "1" {
				t.Errorf("group link add printed %q, want the id 1 alone", id)
			}
			fails(exitConflict, "already linked", "group", "link", "add", "--group", "acme", "--idp-group", "ENGINEERING", "--role", "owner")
			fails(exitUsage, "not one of guest", "group", "link", "add", "--group", "acme", "--idp-group", "x", "--role", "boss")
			fails(exitUsage, "needs --idp-group", "group", "link", "add", "--group", "acme", "--role", "guest")
			fails(exitNotFound, `group "nowhere" not found`, "group", "link", "add", "--group", "nowhere", "--idp-group", "x", "--role", "guest")
			var added struct{ ID, Changed int64 }
			if err := json.Unmarshal([]byte(ok("group", "link", "add", "--group", "acme", "--idp-group",
				"0b8c3f7e-6d8c-4a1e-9b1e-2f1d5c6a7b8c", "--role", "maintainer", "--json")), &added); err != nil || added.ID <= 1 {
				t.Errorf("group link add --json = %+v, %v; want a new id", added, err)
			}

			list := ok("group", "link", "list", "--group", "acme")
			if !strings.Contains(list, "Engineering") || !strings.Contains(list, "developer") || strings.Count(list, "\n") != 2 {
				t.Errorf("group link list = %q; want a header and two rows", list)
			}
			var links []map[string]any
			if err := json.Unmarshal([]byte(ok("group", "link", "list", "--group", "acme", "--json")), &links); err != nil ||
				len(links) != 2 || links[1]["access_level"] != float64(40) {
				t.Errorf("group link list --json = %v, %v; want two links, the second maintainer (40)", links, err)
			}

			ok("group", "link", "remove", "--group", "acme", "--id", "1")
			fails(exitNotFound, "not found", "group", "link", "remove", "--group", "acme", "--id", "1")
			fails(exitUsage, "needs --id", "group", "link", "remove", "--group", "acme")

			// member set --role auto hands a direct role back to the links.
			ok("member", "set", "--group", "acme", "--user", "bob", "--role", "reporter")
			var m map[string]any
			if err := json.Unmarshal([]byte(ok("member", "set", "--group", "acme", "--user", "bob", "--role", "auto", "--json")), &m); err != nil ||
				m["role"] != "guest" || m["role_source"] != "default" {
				t.Errorf("member set --role auto --json = %v, %v; want guest from the default", m, err)
			}
			ok("group", "links-only", "--group", "acme")
			fails(exitNotFound, "not a member", "member", "set", "--group", "acme", "--user", "bob", "--role", "auto")
			ok("group", "links-only", "--group", "acme", "--off")
		})
	}
}
