package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestCopyScript: the copy buttons' script is served from the server's own
// origin, which the pages' Content-Security-Policy allows scripts from and
// nothing else; other names are 404.
func TestCopyScript(t *testing.T) {
	backends(t, 1, func(t *testing.T, e *env) {
		b := e.browser()
		res := b.get("/-/assets/copy.js")
		if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/javascript") ||
			!strings.Contains(res.body, "navigator.clipboard") {
			t.Errorf("GET /-/assets/copy.js = %d %q\n%s", res.status, res.header.Get("Content-Type"), res.body)
		}
		for _, name := range []string{"missing.js", "..%2fweb.go", "copy.css"} {
			if res := b.get("/-/assets/" + name); res.status != http.StatusNotFound {
				t.Errorf("GET /-/assets/%s = %d, want 404", name, res.status)
			}
		}
		page := b.get("/users/sign_in")
		if !strings.Contains(page.body, `<script src="/-/assets/copy.js" defer></script>`) {
			t.Errorf("the layout does not load the copy script:\n%s", page.body)
		}
		csp := page.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self';") {
			t.Errorf("Content-Security-Policy = %q, want scripts from the server's origin only", csp)
		}
	})
}
