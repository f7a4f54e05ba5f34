package saml_test

import (
	"testing"

	"github.com/gatehouse-sso/gatehouse/saml"
)

// TestNewAuthnRequestLoopbackHTTP: an http SSO URL is sent to only on the
// machine itself (the demo IdP); anywhere else it must be https.
func TestNewAuthnRequestLoopbackHTTP(t *testing.T) {
	for _, tt := range []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080/-/demo/idp/sso", true},
		{"http://127.1.2.3/-/demo/idp/sso", true},
		{"http://[::1]:8080/-/demo/idp/sso", true},
		{"http://localhost:8080/-/demo/idp/sso", true},
		{"http://LOCALHOST/sso", true},
		{"http://idp.test/sso", false},
		{"http://10.0.0.1/sso", false},
		{"http://localhost.evil.example/sso", false},
		{"http://user@127.0.0.1/sso", false},
		{"ftp://127.0.0.1/sso", false},
	} {
		trust := idp.Trust()
		trust.SSOURL = tt.url
		_, err := saml.NewAuthnRequest(acme, trust, "", now)
		if (err == nil) != tt.ok {
			t.Errorf("NewAuthnRequest(SSO URL %s) error = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}
