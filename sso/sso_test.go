package sso_test

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
	"github.com/gatehouse-sso/gatehouse/sso"
)

func TestSafeRelayState(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"/-/account", "/-/account"},
		{"/groups/acme.corp?x=1#top", "/groups/acme.corp?x=1#top"},
		{"", ""},
		{"//evil.example", ""},
		{"/a//b", ""},
		{"/\\evil.example", ""},
		{"\\\\evil.example", ""},
		{"https://evil.example/", ""},
		{"javascript:alert(1)", ""},
		{"evil.example", ""},
		{"/a b", ""},
		{"/a\tb", ""},
		{"/a\x00", ""},
		{"/\xff", ""},
		{"/" + string(make([]byte, sso.MaxRelayState)), ""},
	} {
		if got := sso.SafeRelayState(tc.in); got != tc.want {
			t.Errorf("SafeRelayState(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestIdP(t *testing.T) {
	idp := samltest.NewIdP("okta")
	good := string(idp.Keys.CertPEM())
	for _, tc := range []struct {
		name    string
		certs   []string
		want    int
		wantErr bool
	}{
		{"one", []string{good}, 1, false},
		{"rotation", []string{good, string(samltest.Keys("okta2").CertPEM())}, 2, false},
		{"fingerprint only", nil, 0, false},
		{"not PEM", []string{"hello"}, 0, true},
		{"broken DER", []string{"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, 0, true},
	} {
		got, err := sso.IdP(&gatehouse.SAMLConfig{IdPEntityID: idp.EntityID, SSOURL: idp.SSOURL, Certificates: tc.certs, Fingerprints: []string{"ab"}})
		if (err != nil) != tc.wantErr || len(got.Certificates) != tc.want {
			t.Errorf("%s: IdP() = %d certificates, %v; want %d, error %v", tc.name, len(got.Certificates), err, tc.want, tc.wantErr)
		}
	}
}

func TestSPValues(t *testing.T) {
	s := &sso.Service{BaseURL: "https://gh.example"}
	g := &gatehouse.Group{ID: 42, Path: "acme.corp"}
	sp := s.SP(g)
	if sp.EntityID != "https://gh.example/groups/acme.corp" ||
		len(sp.ACSURLs) != 2 || sp.ACSURLs[0] != "https://gh.example/groups/acme.corp/-/saml/callback" ||
		sp.ACSURLs[1] != "https://gh.example/groups/42/-/saml/callback" {
		t.Errorf("SP() = %+v, want the entity ID by path and the ACS URLs by path and by id", sp)
	}
}
