package saml_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	"github.com/google/go-cmp/cmp"

	"github.com/gatehouse-sso/gatehouse/saml"
	"github.com/gatehouse-sso/gatehouse/saml/samltest"
)

func TestMetadata(t *testing.T) {
	b, err := saml.Metadata(acme)
	if err != nil {
		t.Fatalf("Metadata() error = %v", err)
	}
	if strings.Contains(string(b), "validUntil") || !strings.Contains(string(b), "cacheDuration") {
		t.Errorf("Metadata() depends on the time or has no cacheDuration:\n%s", b)
	}
	md, err := samlsp.ParseMetadata(b)
	if err != nil {
		t.Fatalf("samlsp.ParseMetadata(Metadata()) error = %v\n%s", err, b)
	}
	if md.EntityID != acme.EntityID || len(md.SPSSODescriptors) != 1 {
		t.Fatalf("Metadata() entity %q with %d SP descriptors, want %q with 1", md.EntityID, len(md.SPSSODescriptors), acme.EntityID)
	}
	d := md.SPSSODescriptors[0]
	if d.AuthnRequestsSigned == nil || !*d.AuthnRequestsSigned || d.WantAssertionsSigned == nil || !*d.WantAssertionsSigned {
		t.Errorf("Metadata() AuthnRequestsSigned %v, WantAssertionsSigned %v; want both true", d.AuthnRequestsSigned, d.WantAssertionsSigned)
	}
	var acs []string
	for _, e := range d.AssertionConsumerServices {
		if e.Binding != crewjam.HTTPPostBinding {
			t.Errorf("ACS %s has binding %s, want HTTP-POST", e.Location, e.Binding)
		}
		acs = append(acs, e.Location)
	}
	if diff := cmp.Diff(acme.ACSURLs, acs); diff != "" {
		t.Errorf("Metadata() ACS URLs differ (-want +got):\n%s", diff)
	}
	if e := d.AssertionConsumerServices[0]; e.IsDefault == nil || !*e.IsDefault {
		t.Errorf("the canonical ACS URL is not the default")
	}
	if len(d.KeyDescriptors) != 1 || d.KeyDescriptors[0].Use != "signing" {
		t.Fatalf("Metadata() key descriptors %+v, want one for signing and none for encryption", d.KeyDescriptors)
	}
	if got := d.KeyDescriptors[0].KeyInfo.X509Data.X509Certificates[0].Data; got != base64.StdEncoding.EncodeToString(acme.Certificate.Raw) {
		t.Errorf("Metadata() certificate is not the SP's")
	}
	var formats []string
	for _, f := range d.NameIDFormats {
		formats = append(formats, string(f))
	}
	if diff := cmp.Diff([]string{saml.NameIDPersistent, saml.NameIDUnspecified, saml.NameIDEmail}, formats); diff != "" {
		t.Errorf("Metadata() NameID formats differ (-want +got):\n%s", diff)
	}

	noCert := acme
	noCert.Certificate = nil
	if _, err := saml.Metadata(noCert); err == nil {
		t.Errorf("Metadata() without a certificate succeeded")
	}
	wrongCert := acme
	wrongCert.Certificate = idp.Keys.Cert
	if _, err := saml.Metadata(wrongCert); err == nil {
		t.Errorf("Metadata() with another key's certificate succeeded")
	}
}

// entraMetadata returns metadata in the shape Microsoft Entra ID publishes,
// with the given signing certificates and validUntil ("" for none).
func entraMetadata(validUntil string, certs ...*x509.Certificate) []byte {
	var kds strings.Builder
	for _, c := range certs {
		fmt.Fprintf(&kds, `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`,
			base64.StdEncoding.EncodeToString(c.Raw))
	}
	if validUntil != "" {
		validUntil = ` validUntil="` + validUntil + `"`
	}
	return []byte(`<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_6d8f" entityID="https://sts.windows.net/0000-tenant/"` + validUntil + ` xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/wsfed/federation/200706" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">
    <fed:ClaimTypesOffered><auth:ClaimType Uri="http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name" xmlns:auth="http://docs.oasis-open.org/wsfed/authorization/200706"><auth:DisplayName>Name</auth:DisplayName></auth:ClaimType></fed:ClaimTypesOffered>
  </RoleDescriptor>
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    ` + kds.String() + `
    <SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/0000-tenant/saml2"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://login.microsoftonline.com/0000-tenant/saml2/post"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/0000-tenant/saml2"/>
  </IDPSSODescriptor>
</EntityDescriptor>`)
}

func TestParseIdPMetadata(t *testing.T) {
	next := samltest.Keys("idp-next").Cert
	t.Run("Entra shape with two certificates", func(t *testing.T) {
		got, err := saml.ParseIdPMetadata(entraMetadata("2026-06-01T00:00:00Z", idp.Keys.Cert, next, idp.Keys.Cert), now)
		if err != nil {
			t.Fatalf("ParseIdPMetadata() error = %v", err)
		}
		want := saml.IdP{
			EntityID:     "https://sts.windows.net/0000-tenant/",
			SSOURL:       "https://login.microsoftonline.com/0000-tenant/saml2",
			Certificates: []*x509.Certificate{idp.Keys.Cert, next},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ParseIdPMetadata() differs (-want +got):\n%s", diff)
		}
	})
	t.Run("crewjam's IdP", func(t *testing.T) {
		md, _ := saml.Metadata(acme)
		b, err := xml.Marshal(idp.Crewjam(t, md, samltest.Session("x", now), now).Metadata())
		if err != nil {
			t.Fatal(err)
		}
		got, err := saml.ParseIdPMetadata(b, now)
		if err != nil {
			t.Fatalf("ParseIdPMetadata() error = %v\n%s", err, b)
		}
		if got.EntityID != idp.EntityID || got.SSOURL != idp.SSOURL || len(got.Certificates) != 1 || !got.Certificates[0].Equal(idp.Keys.Cert) {
			t.Errorf("ParseIdPMetadata() = %+v, want %s, %s and the IdP's certificate", got, idp.EntityID, idp.SSOURL)
		}
		if _, err := saml.ParseIdPMetadata(b, now.Add(72*time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
			t.Errorf("ParseIdPMetadata() three days later error = %v, want expired", err)
		}
	})

	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "ec"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(1, 0, 0)}
	ecDER, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &ecKey.PublicKey, ecKey)
	ecCert, _ := x509.ParseCertificate(ecDER)
	good := string(entraMetadata("", idp.Keys.Cert))
	spMetadata, _ := saml.Metadata(acme)
	for _, tt := range []struct {
		name string
		data []byte
		want string
	}{
		{"a DOCTYPE", samltest.InsertBeforeRoot([]byte(good), `<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>`), "DOCTYPE"},
		{"too large", []byte(good + strings.Repeat(" ", saml.MaxMetadataSize)), "at most"},
		{"expired", entraMetadata("2026-01-01T00:00:00Z", idp.Keys.Cert), "expired"},
		{"an SP's metadata", spMetadata, "no IDPSSODescriptor"},
		{"no Redirect binding", []byte(strings.Replace(good, `HTTP-Redirect" Location="https://login.microsoftonline.com/0000-tenant/saml2"/>
  </IDP`, `SOAP" Location="https://x"/>
  </IDP`, 1)), "HTTP-Redirect"},
		{"http SSO URL", []byte(strings.ReplaceAll(good, "https://login.microsoftonline.com/0000-tenant/saml2\"/>\n  </IDP", "http://login.microsoftonline.com/0000-tenant/saml2\"/>\n  </IDP")), "not an https URL"},
		{"javascript SSO URL", []byte(strings.ReplaceAll(good, "https://login.microsoftonline.com/0000-tenant/saml2\"/>\n  </IDP", "javascript:alert(1)\"/>\n  </IDP")), ""},
		{"no certificate", entraMetadata(""), "no RSA signing certificate"},
		{"only an ECDSA certificate", entraMetadata("", ecCert), "no RSA signing certificate"},
		{"a certificate that does not parse", []byte(strings.Replace(good, "<X509Certificate>", "<X509Certificate>AAAA", 1)), "does not parse"},
		{"two identity providers", []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
			strings.TrimPrefix(good, `<?xml version="1.0" encoding="utf-8"?>`) +
			strings.Replace(strings.TrimPrefix(good, `<?xml version="1.0" encoding="utf-8"?>`), "0000-tenant/\"", "1111-tenant/\"", 1) +
			`</EntitiesDescriptor>`), "could not be read"},
		{"not XML", []byte("metadata"), "not XML"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := saml.ParseIdPMetadata(tt.data, now)
			e, ok := err.(*saml.Error)
			if !ok || e.Check != saml.CheckMetadata {
				t.Fatalf("ParseIdPMetadata() error = %v (%T), want a metadata *saml.Error", err, err)
			}
			if !strings.Contains(e.Public, tt.want) || strings.ContainsAny(e.Public, "<>") {
				t.Errorf("Public message %q does not say %q, or holds markup", e.Public, tt.want)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	c := idp.Keys.Cert
	for _, tt := range []struct {
		sha1 bool
		n    int
	}{{false, 64}, {true, 40}} {
		got := saml.Fingerprint(c, tt.sha1)
		if len(got) != tt.n || strings.ToLower(got) != got || strings.ContainsAny(got, ": ") {
			t.Errorf("Fingerprint(cert, %v) = %q, want %d lowercase hex digits", tt.sha1, got, tt.n)
		}
	}
	if saml.Fingerprint(c, false) == saml.Fingerprint(samltest.Keys("idp-next").Cert, false) {
		t.Errorf("two certificates have the same fingerprint")
	}
	if got := saml.Fingerprint(nil, false); got != "" {
		t.Errorf("Fingerprint(nil) = %q, want empty", got)
	}
}
