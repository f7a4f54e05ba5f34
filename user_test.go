package gatehouse_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestValidateEmail(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"alice@example.com", true},
		{"ünal@例え.jp", true},
		{"a.b+tag@sub.example.org", true},
		{"", false},
		{"alice", false},
		{"@example.com", false},
		{"alice@", false},
		{"Alice <alice@example.com>", false},
		{" alice@example.com", false},
		{"alice@example.com\n", false},
		{strings.Repeat("a", 250) + "@x.io", false},
		{"bad\xff@example.com", false},
	}
	for _, tt := range tests {
		if err := gatehouse.ValidateEmail(tt.in); (err == nil) != tt.ok {
			t.Errorf("ValidateEmail(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
	}
}

func TestUserValidate(t *testing.T) {
	valid := func() gatehouse.User {
		return gatehouse.User{
			Username: "alice", Name: "Alice", Kind: gatehouse.Personal, State: gatehouse.UserActive,
			Emails: []gatehouse.Email{{Address: "alice@example.com", Primary: true}, {Address: "a@example.org"}},
		}
	}
	u := valid()
	if err := u.Validate(); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	if got := u.PrimaryEmail(); got != "alice@example.com" {
		t.Errorf("PrimaryEmail() = %q", got)
	}
	tests := []struct {
		name   string
		change func(*gatehouse.User)
	}{
		{"bad username", func(u *gatehouse.User) { u.Username = "a b" }},
		{"no emails", func(u *gatehouse.User) { u.Emails = nil }},
		{"two primaries", func(u *gatehouse.User) { u.Emails[1].Primary = true }},
		{"no primary", func(u *gatehouse.User) { u.Emails[0].Primary = false }},
		{"bad email", func(u *gatehouse.User) { u.Emails[1].Address = "nope" }},
		{"personal with group", func(u *gatehouse.User) { u.ManagingGroupID = 3 }},
		{"managed without group", func(u *gatehouse.User) { u.Kind = gatehouse.Managed }},
		{"unknown kind", func(u *gatehouse.User) { u.Kind = "robot" }},
		{"unknown state", func(u *gatehouse.User) { u.State = "gone" }},
		{"long name", func(u *gatehouse.User) { u.Name = strings.Repeat("n", 256) }},
	}
	for _, tt := range tests {
		u := valid()
		tt.change(&u)
		if err := u.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("%s: Validate = %v, want invalid", tt.name, err)
		}
	}
	m := valid()
	m.Kind, m.ManagingGroupID = gatehouse.Managed, 7
	if err := m.Validate(); err != nil {
		t.Errorf("Validate(managed) = %v", err)
	}
}
