package gatehouse_test

import (
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

func TestSCIMIdentityValidate(t *testing.T) {
	valid := func() gatehouse.SCIMIdentity {
		return gatehouse.SCIMIdentity{
			SCIMID: "0b1c", GroupID: 1, UserID: 2, ExternUID: "00u1", UserName: "alice@example.com",
			State: gatehouse.IdentityActive, Attributes: []byte(`{"title":"x"}`),
		}
	}
	s := valid()
	if err := s.Validate(); err != nil || !s.Active() {
		t.Fatalf("Validate(valid) = %v, Active = %v", err, s.Active())
	}
	for _, st := range []gatehouse.IdentityState{gatehouse.IdentityInactive, gatehouse.IdentityDeleted} {
		s.State = st
		if s.Active() {
			t.Errorf("Active() in state %s = true", st)
		}
	}
	tests := map[string]func(*gatehouse.SCIMIdentity){
		"no id":          func(s *gatehouse.SCIMIdentity) { s.SCIMID = "" },
		"no extern uid":  func(s *gatehouse.SCIMIdentity) { s.ExternUID = "" },
		"long uid":       func(s *gatehouse.SCIMIdentity) { s.ExternUID = strings.Repeat("u", 1025) },
		"NUL in uid":     func(s *gatehouse.SCIMIdentity) { s.ExternUID = "00u\x001" },
		"uid not UTF-8":  func(s *gatehouse.SCIMIdentity) { s.ExternUID = "00u\xff" },
		"no userName":    func(s *gatehouse.SCIMIdentity) { s.UserName = "" },
		"bad state":      func(s *gatehouse.SCIMIdentity) { s.State = "gone" },
		"bad prev role":  func(s *gatehouse.SCIMIdentity) { s.PreviousRole = 7 },
		"bad attributes": func(s *gatehouse.SCIMIdentity) { s.Attributes = []byte(`{"a":`) },
		"no group":       func(s *gatehouse.SCIMIdentity) { s.GroupID = 0 },
	}
	for name, change := range tests {
		s := valid()
		change(&s)
		if err := s.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}

func TestIdentityValidate(t *testing.T) {
	i := gatehouse.Identity{GroupID: 1, UserID: 2, ExternUID: "x", State: gatehouse.IdentityActive}
	if err := i.Validate(); err != nil {
		t.Errorf("Validate = %v", err)
	}
	i.State = gatehouse.IdentityInactive // SAML identities are active or pending only
	if err := i.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
		t.Errorf("Validate(inactive SAML identity) = %v, want invalid", err)
	}
}

func TestSAMLConfigValidate(t *testing.T) {
	valid := func() gatehouse.SAMLConfig {
		return gatehouse.SAMLConfig{GroupID: 1, IdPEntityID: "https://idp.example/x", SSOURL: "https://idp.example/sso",
			Fingerprints: []string{"ab"}, ClockSkew: gatehouse.DefaultClockSkew}
	}
	c := valid()
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate(valid) = %v", err)
	}
	tests := map[string]func(*gatehouse.SAMLConfig){
		"http sso url":   func(c *gatehouse.SAMLConfig) { c.SSOURL = "http://idp.example/sso" },
		"no issuer":      func(c *gatehouse.SAMLConfig) { c.IdPEntityID = "" },
		"no trust":       func(c *gatehouse.SAMLConfig) { c.Fingerprints = nil },
		"skew too large": func(c *gatehouse.SAMLConfig) { c.ClockSkew = 6 * time.Minute },
		"negative skew":  func(c *gatehouse.SAMLConfig) { c.ClockSkew = -time.Second },
		"refresh error without its time": func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError = "the server answered 500"
		},
		"refresh time without its error": func(c *gatehouse.SAMLConfig) { c.MetadataRefreshFailedAt = time.Now() },
		"refresh error too long": func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError = strings.Repeat("x", gatehouse.MetadataRefreshErrorLimit+1)
			c.MetadataRefreshFailedAt = time.Now()
		},
		"refresh error not UTF-8": func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "bad \xff byte", time.Now()
		},
		"refresh error with a line break": func(c *gatehouse.SAMLConfig) {
			c.MetadataRefreshError, c.MetadataRefreshFailedAt = "two\nlines", time.Now()
		},
	}
	for name, change := range tests {
		c := valid()
		change(&c)
		if err := c.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
	c = valid()
	c.MetadataRefreshError = strings.Repeat("é", gatehouse.MetadataRefreshErrorLimit/2)
	c.MetadataRefreshFailedAt = time.Now()
	if err := c.Validate(); err != nil {
		t.Errorf("Validate(refresh error of %d bytes) = %v, want nil", len(c.MetadataRefreshError), err)
	}
}

func TestClampMetadataRefreshError(t *testing.T) {
	long := strings.Repeat("é", gatehouse.MetadataRefreshErrorLimit) // twice the limit in bytes
	tests := []struct {
		name, in, want string
	}{
		{"plain", "the server answered 500", "the server answered 500"},
		{"empty", "", "unknown error"},
		{"blank", " \t\n", "unknown error"},
		{"control characters", "a\x1b[31mred\r\nnext", "a [31mred  next"},
		{"invalid UTF-8", "bad \xff byte", "bad \uFFFD byte"},
		{"NUL", "a\x00b", "a\uFFFDb"},
		// Cut at the last character that fits with the "…".
		{"long", long, strings.Repeat("é", (gatehouse.MetadataRefreshErrorLimit-len("…"))/2) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := gatehouse.ClampMetadataRefreshError(tt.in)
			if got != tt.want {
				t.Errorf("ClampMetadataRefreshError(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if err := gatehouse.ValidateMetadataRefreshError(got, time.Now()); err != nil {
				t.Errorf("ValidateMetadataRefreshError(ClampMetadataRefreshError(%q)) = %v, want nil", tt.in, err)
			}
		})
	}
}
