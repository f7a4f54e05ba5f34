package scim_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/scim"
)

// usernameGrammar is behaviour decision 21's grammar, apart from the rules a
// regexp cannot say; valid adds those.
var usernameGrammar = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$`)

func valid(s string) bool {
	lower := strings.ToLower(s)
	allDigits := strings.Trim(s, "0123456789") == ""
	reserved := slices.Contains([]string{"api", "users", "groups", "-", "admin", "assets", "static"}, lower)
	return usernameGrammar.MatchString(s) && !allDigits && !strings.Contains(s, "..") &&
		!strings.HasSuffix(s, ".") && !strings.HasSuffix(lower, ".git") && !strings.HasSuffix(lower, ".atom") && !reserved
}

func TestSanitizeUsername(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		// GitLab's spec table (ee external_username_sanitizer_spec.rb).
		{"alice", "alice"},
		{"admin", "admin1"},
		{"testy.git", "testy"},
		{"___carly_the_capybara", "carly_the_capybara"},
		{"shingo___the...shiba---inu", "shingo_the.shiba-inu"},
		{"francis-the-ferret-", "francis-the-ferret"},
		{"___opie.-_!the$_#^^opossum---", "opie.the_opossum"},
		{" --ricky.^#!__the._raccoon--", "ricky.the.raccoon"},
		{"*&$amy_the_armadillo", "amy_the_armadillo"},
		{"bobby-the-badger$!()", "bobby-the-badger"},
		{"denise^&*the!dhole", "denisethedhole"},
		{strings.Repeat("-", 54773) + "\x00-z", "z"},
		// Emails keep their local part, as GitLab's slug does.
		{"alice@example.com", "alice"},
		{"Test.User@okta.local", "Test.User"},
		{"first.last+tag@example.com", "first.lasttag"},
		{"@example.com", "user"},
		// Unicode: Latin letters lose their accents, the rest is dropped.
		{"José.Núñez", "Jose.Nunez"},
		{"Jose\u0301", "Jose"},
		{"Ærøskøbing", "AEroskobing"},
		{"straße", "strasse"},
		{"Łukasz Żółć", "LukaszZolc"},
		{"李小龍", "user"},
		{"李-lee", "lee"},
		{"😀bob😀", "bob"},
		// Grammar rules.
		{"12345", "user-12345"},
		{"12345@corp.example", "user-12345"},
		{"1.2.3", "1.2.3"},
		{"Users", "Users1"},
		{"API", "API1"},
		{"static.atom", "static1"},
		{"x.atom.git", "x"},
		{"x.GIT", "x"},
		{"a..b", "a.b"},
		{"_a_", "a"},
		{"", "user"},
		{"   ", "user"},
		{"...", "user"},
		{strings.Repeat("ab", 200), strings.Repeat("ab", 127) + "a"},
		{strings.Repeat("a", 254) + ".b", strings.Repeat("a", 254)},
	}
	for _, tt := range tests {
		got := scim.SanitizeUsername(tt.in)
		if got != tt.want {
			t.Errorf("SanitizeUsername(%.60q) = %q, want %q", tt.in, got, tt.want)
		}
		if !valid(got) {
			t.Errorf("SanitizeUsername(%.60q) = %q, which breaks the username grammar", tt.in, got)
		}
	}
}

func TestUsernameCandidates(t *testing.T) {
	got := slices.Collect(scim.UsernameCandidates("ricky.the.raccoon"))
	if len(got) != 21 {
		t.Fatalf("UsernameCandidates gave %d names, want 21: %q", len(got), got)
	}
	want := []string{"ricky.the.raccoon", "ricky.the.raccoon1", "ricky.the.raccoon2", "ricky.the.raccoon3", "ricky.the.raccoon4"}
	if !slices.Equal(got[:5], want) {
		t.Errorf("UsernameCandidates first names = %q, want %q", got[:5], want)
	}
	random := regexp.MustCompile(`^ricky\.the\.raccoon-[a-z0-9]{6}$`)
	seen := map[string]bool{}
	for _, c := range got[5:] {
		if !random.MatchString(c) {
			t.Errorf("random candidate %q does not look like ricky.the.raccoon-xxxxxx", c)
		}
		seen[c] = true
	}
	if len(seen) < 15 {
		t.Errorf("random candidates repeat: %q", got[5:])
	}

	for _, base := range []string{strings.Repeat("a", 255), strings.Repeat("9", 250) + "x", "admin", "a..b", "", "user-1"} {
		n := 0
		for c := range scim.UsernameCandidates(base) {
			n++
			if !valid(c) {
				t.Errorf("UsernameCandidates(%.20q…) yielded %q, which breaks the grammar", base, c)
			}
		}
		if n < 16 {
			t.Errorf("UsernameCandidates(%.20q…) yielded only %d names", base, n)
		}
	}

	// Stopping early is allowed.
	for c := range scim.UsernameCandidates("bob") {
		if c != "bob" {
			t.Errorf("first candidate = %q, want bob", c)
		}
		break
	}
}
