// Package samltest builds SAML responses for tests: a test identity provider
// that signs responses and assertions in any shape (with goxmldsig, or with
// crewjam/saml's own IdentityProvider), and mutations that turn a genuine
// signed response into the attacks of docs/security.md (signature wrapping,
// comment injection, namespace smuggling and more). Key pairs are generated
// once per test binary.
package samltest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"time"
)

// Now is the instant the tests of package saml take as the present.
var Now = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// KeyPair is an RSA key and a self-signed certificate for it.
type KeyPair struct {
	Key  *rsa.PrivateKey
	Cert *x509.Certificate
}

var (
	keysMu sync.Mutex
	keys   = map[string]*KeyPair{}
)

// Keys returns the key pair called name: a 2048-bit RSA key with a
// certificate whose subject is CN=name, valid from 2000 to 2100. It is
// generated the first time it is asked for, then kept for the life of the
// test binary. Tests that must not share a key use different names.
func Keys(name string) *KeyPair {
	keysMu.Lock()
	defer keysMu.Unlock()
	if kp, ok := keys[name]; ok {
		return kp
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(fmt.Sprintf("samltest: generate key: %v", err))
	}
	kp := &KeyPair{Key: key}
	kp.Cert = kp.Certificate(name,
		time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC))
	keys[name] = kp
	return kp
}

// Certificate returns a new self-signed certificate for kp's key with the
// subject CN=cn, valid from notBefore to notAfter.
func (kp *KeyPair) Certificate(cn string, notBefore, notAfter time.Time) *x509.Certificate {
	sum := sha256.Sum256([]byte(cn + notBefore.String() + notAfter.String()))
	serial := new(big.Int).SetBytes(sum[:16])
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &kp.Key.PublicKey, kp.Key)
	if err != nil {
		panic(fmt.Sprintf("samltest: create certificate: %v", err))
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		panic(fmt.Sprintf("samltest: parse certificate: %v", err))
	}
	return cert
}

// KeyPEM and CertPEM return the key (PKCS #1) and certificate in PEM, for
// tools such as xmlsec1.
func (kp *KeyPair) KeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.Key)})
}

func (kp *KeyPair) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: kp.Cert.Raw})
}
