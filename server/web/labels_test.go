package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/server"
)

var (
	formControl = regexp.MustCompile(`<(input|select|textarea)\b[^>]*>`)
	attrValue   = func(tag, name string) (string, bool) {
		m := regexp.MustCompile(`\s` + name + `="([^"]*)"`).FindStringSubmatch(tag)
		if m == nil {
			return "", false
		}
		return m[1], true
	}
)

// unlabelled returns the form controls of an HTML page that a screen
// reader could not name: neither a <label for> of their id nor an
// aria-label or aria-labelledby. Hidden fields and buttons need none.
func unlabelled(page string) []string {
	var out []string
	for _, tag := range formControl.FindAllString(page, -1) {
		if typ, _ := attrValue(tag, "type"); typ == "hidden" || typ == "submit" || typ == "button" {
			continue
		}
		if _, ok := attrValue(tag, "aria-label"); ok {
			continue
		}
		if _, ok := attrValue(tag, "aria-labelledby"); ok {
			continue
		}
		if id, ok := attrValue(tag, "id"); ok && regexp.MustCompile(`<label\b[^>]*\sfor="`+regexp.QuoteMeta(id)+`"`).MatchString(page) {
			continue
		}
		out = append(out, tag)
	}
	return out
}

// TestEveryPageLabelsItsControls opens every page the server routes, as
// the group's owner, and checks that each form control on it has a label,
// and that every form is a plain HTML form (method and action), so that
// it works with the keyboard and without JavaScript.
func TestEveryPageLabelsItsControls(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		si := e.provision("00u1alice", "alice@acme.example", "alice@acme.example")
		ref := refPattern.FindStringSubmatch(e.browser().callback("acme.corp", e.signed(e.group, e.okta, "nobody", ""), "").body)[1]
		owner, _ := e.signedIn("boss", gatehouse.Owner)
		values := map[string]string{"group": "acme.corp", "user_id": strconv.FormatInt(si.UserID, 10), "ref": ref}
		checked := 0
		for _, p := range e.nodes[0].h.(*server.Server).Routes() {
			method, path, _ := strings.Cut(p, " ")
			if method != "GET" || strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/-/assets/") || strings.HasSuffix(path, "/metadata") || strings.HasSuffix(path, "/continue") {
				continue
			}
			for k, v := range values {
				path = strings.ReplaceAll(path, "{"+k+"}", v)
			}
			res := owner.get(path)
			if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") {
				continue
			}
			checked++
			for _, tag := range unlabelled(res.body) {
				t.Errorf("%s: a form control without a label: %s", path, tag)
			}
			for _, form := range regexp.MustCompile(`<form\b[^>]*>`).FindAllString(res.body, -1) {
				if _, ok := attrValue(form, "action"); !ok {
					t.Errorf("%s: a form without an action: %s", path, form)
				}
				if m, _ := attrValue(form, "method"); m != "post" && m != "get" {
					t.Errorf("%s: a form without method post or get: %s", path, form)
				}
			}
		}
		if checked < 8 {
			t.Errorf("only %d HTML pages were checked; the route listing or the sign-in is broken", checked)
		}
	})
}

func TestUnlabelled(t *testing.T) {
	for _, tc := range []struct {
		page string
		want int
	}{
		{`<label for="a">A</label><input type="text" id="a" name="a">`, 0},
		{`<label class="inline" for="a">A</label><input id="a" type="checkbox">`, 0},
		{`<input type="text" id="a" name="a">`, 1},
		{`<label for="ab">A</label><input type="text" id="a">`, 1},
		{`<input type="search" aria-label="Search">`, 0},
		{`<input type="hidden" name="token" value="x"><input type="submit" value="Go">`, 0},
		{`<select id="role" name="role"></select><textarea name="pem"></textarea>`, 2},
	} {
		if got := unlabelled(tc.page); len(got) != tc.want {
			t.Errorf("unlabelled(%s) = %v, want %d", tc.page, got, tc.want)
		}
	}
}
