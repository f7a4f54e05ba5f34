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
	}
	for name, change := range tests {
		c := valid()
		change(&c)
		if err := c.Validate(); gatehouse.ErrorKind(err) != gatehouse.Invalid {
			t.Errorf("%s: Validate = %v, want invalid", name, err)
		}
	}
}
