package gatehouse_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestValidatePath(t *testing.T) {
	tests := []struct {
		path string
		ok   bool
	}{
		{"acme", true},
		{"acme.corp", true},
		{"acme-corp_eu", true},
		{"_private", true},
		{"a", true},
		{"2024-team", true},
		{"Team.2024", true},
		{strings.Repeat("a", 255), true},
		{"", false},
		{strings.Repeat("a", 256), false},
		{"12345", false},         // digits alone name an id
		{".acme", false},         // must start with a letter, digit or _
		{"-acme", false},         // likewise
		{"ac me", false},         // no spaces
		{"acme/corp", false},     // no slashes
		{"ünal", false},          // ASCII only
		{"acme..corp", false},    // no ..
		{"acme.", false},         // no trailing dot
		{"acme.git", false},      // no .git
		{"acme.GIT", false},      // in any case
		{"acme.atom", false},     // no .atom
		{"api", false},           // reserved
		{"Groups", false},        // reserved in any case
		{"-", false},             // reserved (and a bad start)
		{"admin", false},         // reserved
		{"acme%2Fcorp", false},   // no escapes
		{"acme\x00corp", false},  // no control characters
		{"acme.git.corp", true},  // .git only matters at the end
		{"administrators", true}, // only the whole word is reserved
	}
	for _, tt := range tests {
		err := gatehouse.ValidatePath("group path", tt.path)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePath(%q) = %v, want ok=%v", tt.path, err, tt.ok)
		}
		if err != nil && gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("ValidatePath(%q) kind = %v, want invalid", tt.path, gatehouse.ErrorKind(err))
		}
	}
}

func TestParseRole(t *testing.T) {
	tests := []struct {
		in   string
		want gatehouse.Role
		ok   bool
	}{
		{"guest", gatehouse.Guest, true},
		{"Developer", gatehouse.Developer, true},
		{" OWNER ", gatehouse.Owner, true},
		{"40", gatehouse.Maintainer, true},
		{"20", gatehouse.Reporter, true},
		{"boss", 0, false},
		{"15", 0, false},
		{"", 0, false},
	}
	for _, tt := range tests {
		got, err := gatehouse.ParseRole(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseRole(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if s := gatehouse.Role(12).String(); s != "role(12)" {
		t.Errorf("Role(12).String() = %q", s)
	}
}

func TestGroupValidate(t *testing.T) {
	ok := gatehouse.Group{Path: "acme.corp", Name: "Acme", DefaultRole: gatehouse.Guest}
	if err := ok.Validate(); err != nil {
		t.Errorf("Validate(%+v) = %v", ok, err)
	}
	bad := map[string]gatehouse.Group{
		"no name":  {Path: "acme", DefaultRole: gatehouse.Guest},
		"bad role": {Path: "acme", Name: "Acme", DefaultRole: 5},
		"bad path": {Path: "a..b", Name: "Acme", DefaultRole: gatehouse.Guest},
	}
	for name, g := range bad {
		if err := g.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}
