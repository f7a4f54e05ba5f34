package sso_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/sso"
)

func TestVerifyAdvice(t *testing.T) {
	const emailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"
	tests := []struct {
		name                   string
		nameID, format, stored string
		want                   []string // a phrase of each piece of advice, in order
	}{
		{"persistent, nothing stored", "00u1abc", saml.NameIDPersistent, "", nil},
		{"persistent, matching the stored one", "00u1abc", saml.NameIDPersistent, "00u1abc", nil},
		{"stored differs only in letter case", "00U1ABC", saml.NameIDPersistent, "00u1abc", nil},
		{"no NameID", "", "", "", []string{"carries no NameID"}},
		{"stored differs", "00u1xyz", saml.NameIDPersistent, "00u1abc", []string{`must match the stored NameID of "00u1abc"`}},
		{"unspecified format", "00u1abc", saml.NameIDUnspecified, "", []string{`"persistent" is recommended`}},
		{"email format with an email", "alice@example.com", emailFormat, "", []string{"instead of email"}},
		{"email format without an email", "alice", emailFormat, "", []string{`"persistent" is recommended`}},
		{"email, known already", "alice@example.com", emailFormat, "alice@example.com", nil},
		{"email in an unspecified format, stored differs", "bob@example.com", saml.NameIDUnspecified, "00u1abc",
			[]string{"must match", `"persistent" is recommended`, "instead of email"}},
	}
	for _, tt := range tests {
		got := sso.VerifyAdvice(tt.nameID, tt.format, tt.stored)
		if len(got) != len(tt.want) {
			t.Errorf("%s: VerifyAdvice(%q, %q, %q) = %q, want %d pieces of advice", tt.name, tt.nameID, tt.format, tt.stored, got, len(tt.want))
			continue
		}
		for i, phrase := range tt.want {
			if !strings.Contains(got[i], phrase) {
				t.Errorf("%s: VerifyAdvice(%q, %q, %q)[%d] = %q, want it to say %q", tt.name, tt.nameID, tt.format, tt.stored, i, got[i], phrase)
			}
		}
	}
}

func TestGroupsAdvice(t *testing.T) {
	entraGroups := "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
	overage := map[string][]string{"http://schemas.microsoft.com/claims/groups.link": {"https://graph.windows.net/t/users/u/getMemberObjects"}}
	tests := []struct {
		name  string
		links int
		attrs map[string][]string
		cut   bool
		want  string // a phrase of the one piece of advice; "" for none
	}{
		{"no links", 0, nil, false, ""},
		{"groups sent", 2, map[string][]string{"groups": {"Engineering"}}, false, ""},
		{"Entra's claim sent", 2, map[string][]string{entraGroups: {"0b8c3f7e-6d8c-4a1e-9b1e-2f1d5c6a7b8c"}}, false, ""},
		{"an empty groups attribute", 2, map[string][]string{"Groups": nil}, false, ""},
		{"no groups attribute", 2, map[string][]string{"email": {"a@example.com"}}, false, "carries no groups attribute"},
		{"no groups attribute, but the report was cut", 2, map[string][]string{"email": {"a@example.com"}}, true, ""},
		{"overage", 3, overage, false, "the group's 3 links cannot follow your groups"},
		{"overage, cut", 3, overage, true, "overage claim"},
	}
	for _, tt := range tests {
		got := sso.GroupsAdvice(tt.links, tt.attrs, tt.cut)
		switch {
		case tt.want == "" && len(got) != 0:
			t.Errorf("%s: GroupsAdvice = %q, want none", tt.name, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s: GroupsAdvice = %q, want one saying %q", tt.name, got, tt.want)
		}
	}
}
