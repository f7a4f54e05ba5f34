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
