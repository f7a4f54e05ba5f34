package scimfilter

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSimpleMatchesGeneral checks that the fast path for `attr eq "value"`
// gives exactly what the general parser gives, and declines everything else.
func TestSimpleMatchesGeneral(t *testing.T) {
	tests := []struct {
		filter string
		fast   bool
	}{
		{`userName eq "alice@example.com"`, true},
		{`USERNAME EQ "Alice@Example.com"`, true},
		{`externalId eq "00u1abc"`, true},
		{`id eq "2819c223-7f76-453a-919d-413861904646"`, true},
		{`displayName eq "Ünal Öz"`, true},
		{`emails eq "a@b.c"`, true},
		{`emails.value eq "a@b.c"`, true},
		{`emails.type eq "work"`, true},
		{`name.givenName eq "Barbara"`, true},
		{`name.formatted eq "Ms. Barbara J Jensen III"`, true},
		{`userName eq "quote \" inside"`, true},
		{`userName eq "\u00fcnal"`, true},
		{`userName eq ""`, true},
		{"userName\teq\t\"tabs\"", true},
		{`userName ne "x"`, false},
		{`userName eq x`, false},
		{`active eq "true"`, false},
		{`title eq "x"`, false},
		{`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`, false},
		{`userName eq "x" and active eq true`, false},
		{`(userName eq "x")`, false},
		{`userName eq "a\u0000b"`, false},
	}
	for _, tt := range tests {
		toks, err := lex(tt.filter)
		if err != nil {
			t.Fatalf("lex(%q): %v", tt.filter, err)
		}
		fast, ok := simple(toks)
		if ok != tt.fast {
			t.Errorf("simple(%q) took = %v, want %v", tt.filter, ok, tt.fast)
		}
		if !ok {
			continue
		}
		general, err := parseTokens(toks)
		if err != nil {
			t.Errorf("general path of %q: %v", tt.filter, err)
			continue
		}
		if d := cmp.Diff(general, fast); d != "" {
			t.Errorf("simple(%q) differs from the general parser (-general +simple):\n%s", tt.filter, d)
		}
	}
}
