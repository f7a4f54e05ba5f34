package saml

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/url"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
)

// CheckMetadata names the errors of ParseIdPMetadata.
const CheckMetadata = "metadata"

// ParseIdPMetadata reads an identity provider's metadata: its entity ID, the
// SSO URL of its HTTP-Redirect binding, and the certificates it signs with
// (KeyDescriptors with use="signing" or no use), RSA only. It refuses a
// document over MaxMetadataSize, with a DOCTYPE or beyond the response depth
// and token limits, metadata whose validUntil has passed at now, an
// aggregate with more than one identity provider, and an SSO URL that is
// not https. A certificate that has expired is still returned: its expiry is
// for the caller to show (decision 14).
func ParseIdPMetadata(data []byte, now time.Time) (IdP, error) {
	setLimits()
	if len(data) > MaxMetadataSize {
		return IdP{}, metadataError("the metadata is %d bytes; Gatehouse reads at most %d", len(data), MaxMetadataSize)
	}
	if err := scanXML(data); err != nil {
		return IdP{}, metadataError("the metadata is not XML Gatehouse accepts: %s", err)
	}
	ed, err := samlsp.ParseMetadata(data)
	if err != nil {
		return IdP{}, fail(CheckMetadata, "the metadata could not be read: upload the IdP's SAML 2.0 federation metadata XML", err.Error())
	}
	if !ed.ValidUntil.IsZero() && !now.Before(ed.ValidUntil) {
		return IdP{}, metadataError("the metadata expired at %s (validUntil): download a fresh copy from the IdP", stamp(ed.ValidUntil))
	}
	if ed.EntityID == "" {
		return IdP{}, metadataError("the metadata names no entityID")
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return IdP{}, metadataError("the metadata of %s has no IDPSSODescriptor: it is not an identity provider's metadata (perhaps it is the SP's own)", q(ed.EntityID))
	}
	idp := IdP{EntityID: ed.EntityID}
	for _, d := range ed.IDPSSODescriptors {
		if d.ValidUntil != nil && !d.ValidUntil.IsZero() && !now.Before(*d.ValidUntil) {
			return IdP{}, metadataError("the metadata's IDPSSODescriptor expired at %s (validUntil): download a fresh copy from the IdP", stamp(*d.ValidUntil))
		}
		if !strings.Contains(d.ProtocolSupportEnumeration, protocolNS) {
			continue
		}
		for _, s := range d.SingleSignOnServices {
			if s.Binding == crewjam.HTTPRedirectBinding && idp.SSOURL == "" {
				idp.SSOURL = s.Location
			}
		}
		for _, kd := range d.KeyDescriptors {
			if kd.Use != "" && kd.Use != "signing" {
				continue
			}
			for _, xc := range kd.KeyInfo.X509Data.X509Certificates {
				cert, err := parseCertText(xc.Data)
				if err != nil {
					return IdP{}, fail(CheckMetadata, "a signing certificate in the metadata does not parse", err.Error())
				}
				if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
					continue
				}
				if !containsCert(idp.Certificates, cert) {
					idp.Certificates = append(idp.Certificates, cert)
				}
			}
		}
	}
	if idp.SSOURL == "" {
		return IdP{}, metadataError("the metadata of %s has no SAML 2.0 SingleSignOnService with the HTTP-Redirect binding", q(ed.EntityID))
	}
	if u, err := url.Parse(idp.SSOURL); err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil {
		return IdP{}, metadataError("the metadata's SSO URL %s is not an https URL", q(idp.SSOURL))
	}
	if len(idp.Certificates) == 0 {
		return IdP{}, metadataError("the metadata of %s has no RSA signing certificate", q(ed.EntityID))
	}
	return idp, nil
}

func metadataError(format string, args ...any) *Error {
	return failf(CheckMetadata, format, args...)
}

// Metadata returns this service provider's metadata for the group's IdP:
// its entity ID, its signing certificate, the ACS URLs (HTTP-POST, the
// canonical one first and default), the NameID formats it accepts, and that
// it signs its requests and wants signed assertions. It carries no
// encryption key, since encrypted assertions are refused, and no validUntil,
// so that it does not depend on the time (a cacheDuration of one day
// instead).
func Metadata(sp SP) ([]byte, error) {
	setLimits()
	if err := checkSP(sp); err != nil {
		return nil, err
	}
	yes := true
	var acs []crewjam.IndexedEndpoint
	for i, u := range sp.ACSURLs {
		e := crewjam.IndexedEndpoint{Binding: crewjam.HTTPPostBinding, Location: u, Index: i}
		if i == 0 {
			e.IsDefault = &yes
		}
		acs = append(acs, e)
	}
	ed := crewjam.EntityDescriptor{
		EntityID:      sp.EntityID,
		CacheDuration: crewjam.DefaultCacheDuration,
		SPSSODescriptors: []crewjam.SPSSODescriptor{{
			SSODescriptor: crewjam.SSODescriptor{
				RoleDescriptor: crewjam.RoleDescriptor{
					ProtocolSupportEnumeration: protocolNS,
					KeyDescriptors: []crewjam.KeyDescriptor{{
						Use:     "signing",
						KeyInfo: keyInfo(sp.Certificate),
					}},
				},
				NameIDFormats: []crewjam.NameIDFormat{NameIDPersistent, NameIDUnspecified, NameIDEmail},
			},
			AuthnRequestsSigned:       &yes,
			WantAssertionsSigned:      &yes,
			AssertionConsumerServices: acs,
		}},
	}
	b, err := xml.MarshalIndent(ed, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("saml metadata: %w", err)
	}
	return append([]byte(xml.Header), b...), nil
}

func keyInfo(c *x509.Certificate) crewjam.KeyInfo {
	return crewjam.KeyInfo{X509Data: crewjam.X509Data{
		X509Certificates: []crewjam.X509Certificate{{Data: base64.StdEncoding.EncodeToString(c.Raw)}},
	}}
}
