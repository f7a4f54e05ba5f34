package admin

import (
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

// FuzzSAMLInputs feeds what an owner types or uploads to the parsers of
// ConfigureSAML: whatever the input, they return a value or an Invalid
// error, never a panic.
func FuzzSAMLInputs(f *testing.F) {
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "AB:CD", "https://idp.example.com/sso")
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----"), "", "http://")
	f.Add([]byte{0x30, 0x82, 0x01}, "zz", "https://[::1")
	f.Add([]byte("<EntityDescriptor/>"), "00000000000000000000000000000000000000000", "%")
	f.Fuzz(func(t *testing.T, data []byte, fp, u string) {
		if certs, err := parseCertificates(PEMFile{Name: "f.pem", Data: data}); err != nil && !gatehouse.IsKind(err, gatehouse.Invalid) {
			t.Errorf("parseCertificates: %v is not Invalid", err)
		} else if err == nil && len(certs) == 0 {
			t.Errorf("parseCertificates returned no certificate and no error")
		}
		if norm, _, err := parseFingerprint(fp); err != nil && !gatehouse.IsKind(err, gatehouse.Invalid) {
			t.Errorf("parseFingerprint: %v is not Invalid", err)
		} else if err == nil && len(norm) != 40 && len(norm) != 64 {
			t.Errorf("parseFingerprint(%q) = %q", fp, norm)
		}
		if err := checkHTTPS("SSO URL", u); err != nil && !gatehouse.IsKind(err, gatehouse.Invalid) {
			t.Errorf("checkHTTPS: %v is not Invalid", err)
		}
		if _, err := parseMetadata(data, samlFuzzNow); err != nil && !gatehouse.IsKind(err, gatehouse.Invalid) {
			t.Errorf("parseMetadata: %v is not Invalid", err)
		}
	})
}

var samlFuzzNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
