package samltest

import (
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// Metadata returns the SAML 2.0 metadata idp would publish, signing with
// certs (idp's own certificate when none are given), valid until
// validUntil (none when zero).
func (idp *IdP) Metadata(validUntil time.Time, certs ...*x509.Certificate) []byte {
	if len(certs) == 0 {
		certs = []*x509.Certificate{idp.Keys.Cert}
	}
	var kds strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&kds, `
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`,
			base64.StdEncoding.EncodeToString(c.Raw))
	}
	until := ""
	if !validUntil.IsZero() {
		until = ` validUntil="` + validUntil.UTC().Format(time.RFC3339) + `"`
	}
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor entityID="` + idp.EntityID + `"` + until + ` xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + kds.String() + `
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="` + idp.SSOURL + `"/>
  </IDPSSODescriptor>
</EntityDescriptor>
`)
}
