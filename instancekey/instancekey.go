// Package instancekey loads the instance's SAML service-provider key pair
// (behaviour.md decision 37): generated on the first start of the first
// node, stored in the database, and the same on every node after that.
//
// # The secret key file
//
// When serve is given --secret-key-file, the private key is stored sealed
// with AES-256-GCM. The file holds any secret of at least 32 bytes (for
// example the output of `openssl rand -base64 48`); surrounding white space,
// such as a final newline, is ignored. The AES key is derived from the
// secret with HKDF-SHA256 (no salt, info "gatehouse instance key " and the
// key's name), so the file may be text. The stored private key is then a
// PEM block of type "GATEHOUSE SEALED PRIVATE KEY" whose bytes are the
// 12-byte nonce followed by the sealed PKCS #8 key; the key's name is the
// additional data. Every node must be given the same file; losing it
// means losing the key (delete the row to generate a new one, and give
// every IdP the new metadata).
//
// Without a secret key file the private key is stored as a plain PKCS #8
// PEM block, readable by anyone who can read the database.
package instancekey

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/store"
)

// Parameters of a generated key pair.
const (
	// RSABits is the size of the generated RSA key.
	RSABits = 3072
	// Validity is how long the self-signed certificate is valid.
	Validity = 10 * 365 * 24 * time.Hour
	// Subject is the certificate's common name.
	Subject = "Gatehouse SAML SP"
	// MinSecretKeySize is the fewest bytes a secret key may hold.
	MinSecretKeySize = 32
)

// sealedType is the PEM type of a sealed private key.
const sealedType = "GATEHOUSE SEALED PRIVATE KEY"

// KeyPair is the instance's SAML SP key and its certificate, used for the
// metadata and for signing AuthnRequests.
type KeyPair struct {
	Key         crypto.Signer
	Certificate *x509.Certificate
}

// ErrSecretKey is wrapped by the errors Load returns when the stored key
// cannot be opened with the secret key given (none, or another one).
var ErrSecretKey = errors.New("the secret key does not open the stored SAML SP key")

// Load returns the instance's SAML SP key pair, stored under
// gatehouse.SAMLSPKeyName. The first call on a database generates it and
// stores it, sealed under secretKey unless secretKey is empty; nodes that
// start together all get the pair that was stored first. secretKey is the
// content of the secret key file (see the package documentation), nil
// when there is none; a given one shorter than MinSecretKeySize is
// Invalid. As the store can only insert a key unless one exists, every
// call generates a key pair (about a second), which is dropped when one is
// stored already.
//
// Load refuses, with an Invalid error wrapping ErrSecretKey, a stored key
// that is sealed when secretKey is empty or is another one. A stored key that is
// not sealed is used as it is even when secretKey is given; it stays
// unsealed.
func Load(ctx context.Context, s store.Store, secretKey []byte) (KeyPair, error) {
	given := secretKey != nil
	secretKey = bytes.TrimSpace(secretKey)
	if given && len(secretKey) < MinSecretKeySize {
		return KeyPair{}, gatehouse.Errorf(gatehouse.Invalid, "the secret key file holds %d bytes; it must hold at least %d bytes (openssl rand -base64 48)", len(secretKey), MinSecretKeySize)
	}
	// A stored key is used as it is: generating an RSA key costs about a
	// second, and only the first start of an instance needs one.
	if stored, err := s.FindInstanceKey(ctx, gatehouse.SAMLSPKeyName); err == nil {
		return open(stored, secretKey)
	} else if !gatehouse.IsKind(err, gatehouse.NotFound) {
		return KeyPair{}, fmt.Errorf("read the SAML SP key: %w", err)
	}
	k, kp, err := generate(secretKey, time.Now())
	if err != nil {
		return KeyPair{}, err
	}
	stored, err := s.EnsureInstanceKey(ctx, k)
	if err != nil {
		return KeyPair{}, fmt.Errorf("store the SAML SP key: %w", err)
	}
	if stored.Encrypted == k.Encrypted && bytes.Equal(stored.PrivateKeyPEM, k.PrivateKeyPEM) {
		return kp, nil // ours landed
	}
	return open(stored, secretKey)
}

// generate makes a new key pair and its stored form.
func generate(secretKey []byte, now time.Time) (*gatehouse.InstanceKey, KeyPair, error) {
	key, err := rsa.GenerateKey(rand.Reader, RSABits)
	if err != nil {
		return nil, KeyPair{}, fmt.Errorf("generate the SAML SP key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, KeyPair{}, fmt.Errorf("generate the SAML SP certificate: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: Subject},
		NotBefore:             now.Add(-time.Hour).UTC(),
		NotAfter:              now.Add(Validity).UTC(),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, KeyPair{}, fmt.Errorf("generate the SAML SP certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, KeyPair{}, fmt.Errorf("generate the SAML SP certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, KeyPair{}, fmt.Errorf("encode the SAML SP key: %w", err)
	}
	k := &gatehouse.InstanceKey{
		Name:           gatehouse.SAMLSPKeyName,
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}
	if len(secretKey) == 0 {
		k.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})
	} else {
		sealed, err := seal(secretKey, k.Name, pkcs8)
		if err != nil {
			return nil, KeyPair{}, err
		}
		k.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: sealedType, Bytes: sealed})
		k.Encrypted = true
	}
	return k, KeyPair{Key: key, Certificate: cert}, nil
}

// open decodes a stored key pair.
func open(k *gatehouse.InstanceKey, secretKey []byte) (KeyPair, error) {
	cb, _ := pem.Decode(k.CertificatePEM)
	if cb == nil || cb.Type != "CERTIFICATE" {
		return KeyPair{}, fmt.Errorf("the stored SAML SP certificate is not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return KeyPair{}, fmt.Errorf("the stored SAML SP certificate does not parse: %w", err)
	}
	kb, _ := pem.Decode(k.PrivateKeyPEM)
	if kb == nil {
		return KeyPair{}, fmt.Errorf("the stored SAML SP key is not PEM")
	}
	der := kb.Bytes
	switch {
	case k.Encrypted && len(secretKey) == 0:
		return KeyPair{}, &gatehouse.Error{Kind: gatehouse.Invalid, Err: ErrSecretKey,
			Message: "the SAML SP key in the database is sealed: serve needs the --secret-key-file it was created with (GATEHOUSE_SECRET_KEY_FILE)"}
	case k.Encrypted:
		if kb.Type != sealedType {
			return KeyPair{}, fmt.Errorf("the stored SAML SP key is marked sealed but is a %q PEM block", kb.Type)
		}
		if der, err = unseal(secretKey, k.Name, kb.Bytes); err != nil {
			return KeyPair{}, &gatehouse.Error{Kind: gatehouse.Invalid, Err: ErrSecretKey,
				Message: "the SAML SP key in the database was sealed with another secret key: give serve the --secret-key-file it was created with (every node the same file)"}
		}
	}
	key, err := parseKey(kb.Type, der, k.Encrypted)
	if err != nil {
		return KeyPair{}, fmt.Errorf("the stored SAML SP key does not parse: %w", err)
	}
	signer, ok := key.(*rsa.PrivateKey)
	if !ok {
		return KeyPair{}, fmt.Errorf("the stored SAML SP key is a %T, not an RSA key", key)
	}
	if !signer.PublicKey.Equal(cert.PublicKey) {
		return KeyPair{}, fmt.Errorf("the stored SAML SP key does not match its certificate")
	}
	return KeyPair{Key: signer, Certificate: cert}, nil
}

func parseKey(pemType string, der []byte, sealed bool) (any, error) {
	if !sealed && pemType == "RSA PRIVATE KEY" {
		return x509.ParsePKCS1PrivateKey(der)
	}
	return x509.ParsePKCS8PrivateKey(der)
}

// aead derives the AES-256-GCM cipher for the key called name.
func aead(secretKey []byte, name string) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, secretKey, nil, "gatehouse instance key "+name, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(secretKey []byte, name string, plain []byte) ([]byte, error) {
	g, err := aead(secretKey, name)
	if err != nil {
		return nil, fmt.Errorf("seal the SAML SP key: %w", err)
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal the SAML SP key: %w", err)
	}
	return g.Seal(nonce, nonce, plain, []byte(name)), nil
}

func unseal(secretKey []byte, name string, sealed []byte) ([]byte, error) {
	g, err := aead(secretKey, name)
	if err != nil {
		return nil, err
	}
	if len(sealed) < g.NonceSize() {
		return nil, errors.New("sealed key too short")
	}
	return g.Open(nil, sealed[:g.NonceSize()], sealed[g.NonceSize():], []byte(name))
}
