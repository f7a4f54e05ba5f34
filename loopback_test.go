package gatehouse_test

import (
	"net/url"
	"testing"

	"github.com/gatehouse-sso/gatehouse"
)

func TestLoopbackHTTP(t *testing.T) {
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"http://127.0.0.1:8080/-/demo/idp/sso", true},
		{"http://[::1]/sso", true},
		{"http://localhost:8080/sso", true},
		{"https://127.0.0.1/sso", false}, // https needs no exception
		{"http://idp.example/sso", false},
		{"http://192.168.1.5/sso", false},
		{"http://localhost.example/sso", false},
		{"http://u:p@127.0.0.1/sso", false},
	} {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		if got := gatehouse.LoopbackHTTP(u); got != tt.want {
			t.Errorf("LoopbackHTTP(%s) = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestSAMLConfigValidateLoopbackHTTP(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/-/demo/idp/sso", true},
		{"http://idp.example/sso", false},
	} {
		c := gatehouse.SAMLConfig{GroupID: 1, IdPEntityID: "http://127.0.0.1:8080/-/demo/idp", SSOURL: tt.url,
			Fingerprints: []string{"ab"}, ClockSkew: gatehouse.DefaultClockSkew}
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(SSO URL %s) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}
