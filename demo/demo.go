// Package demo is serve --demo: a group whose identity provider is built
// into Gatehouse, so that a newcomer can try SCIM provisioning and SAML
// sign-in in a browser without an IdP tenant.
//
// Setup makes sure, idempotently, that the demo group (path "demo", owned
// by the administrator root) exists and trusts the demo IdP, whose key pair
// is generated once and stored in the database like the instance's own SP
// key. The IdP is a simulator driven by crewjam/saml's IdentityProvider: it
// verifies the group's AuthnRequests as a real IdP does (signature against
// the SP metadata, destination, issue instant, ACS URL), lets the person
// trying it pick a user, and answers with a response whose Response and
// Assertion are both signed with RSA-SHA256. It provisions sample people
// over the group's real SCIM endpoint, with a SCIM token it resets at every
// start and keeps only in memory.
//
// Demo mode is for trying only: anyone who can open the simulator signs in
// as anyone of the demo group. It is off unless serve is given --demo.
//
// A Demo is safe for concurrent use.
package demo

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/admin"
	"github.com/gatehouse-sso/gatehouse/sso"
	"github.com/gatehouse-sso/gatehouse/store"
)

// The demo's fixed names.
const (
	// GroupPath is the demo group's path.
	GroupPath = "demo"
	// GroupName is the demo group's name.
	GroupName = "Demo group"
	// KeyName is the name the demo IdP's key pair is stored under.
	KeyName = "demo_idp"
	// IdPPath is the demo IdP's entity ID below the base URL; its SSO URL
	// is IdPPath + "/sso".
	IdPPath = "/-/demo/idp"
	// keyBits is the size of the demo IdP's RSA key.
	keyBits = 2048
)

// Config is what Setup needs.
type Config struct {
	Store store.Store
	// SSO is the service provider: the demo group's metadata and entity
	// ID come from it, as a real IdP reads them.
	SSO *sso.Service
	// SCIM is the server's HTTP handler: the sample people are provisioned
	// through it with real SCIM requests, as an IdP would send them.
	SCIM http.Handler
	// BaseURL is the server's public URL without a trailing slash.
	BaseURL string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Demo is the demo group and its simulated IdP. Make it with Setup.
type Demo struct {
	cfg   Config
	group *gatehouse.Group
	key   crypto.Signer
	cert  *x509.Certificate
	token string // the group's SCIM token, in memory only

	mu      sync.Mutex
	pending map[string]*pending // AuthnRequests verified and waiting for a pick
}

func (d *Demo) now() time.Time {
	if d.cfg.Now != nil {
		return d.cfg.Now().UTC()
	}
	return time.Now().UTC()
}

// EntityID is the demo IdP's entity ID (its issuer).
func (d *Demo) EntityID() string { return d.cfg.BaseURL + IdPPath }

// SSOURL is the demo IdP's single sign-on URL.
func (d *Demo) SSOURL() string { return d.cfg.BaseURL + IdPPath + "/sso" }

// Group returns the demo group.
func (d *Demo) Group() *gatehouse.Group { return d.group }

// SignInURL is where a newcomer starts: the demo group's sign-in page.
func (d *Demo) SignInURL() string { return admin.ServiceProvider(d.cfg.BaseURL, d.group).SSOURL }

// Setup makes sure the demo group exists, owned by root, and trusts the
// demo IdP, whose key pair it loads (generating and storing it the first
// time), and gives the group a new SCIM token that only this Demo knows.
// Running it again on the same database changes nothing but the token.
// Errors: Invalid for a base URL that is neither https nor on this
// machine; NotFound when there is no root to own the group; Conflict when
// a group with the demo's path exists and trusts another IdP.
func Setup(ctx context.Context, cfg Config) (*Demo, error) {
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	// The simulator is reached at the base URL: over https, or over http
	// on this machine only (gatehouse.LoopbackHTTP).
	if u, err := url.Parse(cfg.BaseURL); err != nil || (u.Scheme != "https" && !gatehouse.LoopbackHTTP(u)) {
		return nil, gatehouse.Errorf(gatehouse.Invalid,
			"demo mode needs an https base URL, or an http one on this machine (http://127.0.0.1:8080, http://localhost:8080); %q is neither", cfg.BaseURL)
	}
	d := &Demo{cfg: cfg, pending: map[string]*pending{}}
	var err error
	if d.key, d.cert, err = loadKey(ctx, cfg.Store, d.now()); err != nil {
		return nil, err
	}
	adm := &admin.Service{Store: cfg.Store, Now: cfg.Now}
	if d.group, err = ensureGroup(ctx, adm); err != nil {
		return nil, err
	}
	if err := d.ensureSAML(ctx); err != nil {
		return nil, err
	}
	// A new token at every start: the old one, if it leaked from an earlier
	// run, stops working.
	if d.token, _, err = adm.ResetSCIMTokens(ctx, admin.System, GroupPath); err != nil {
		return nil, fmt.Errorf("demo: reset the demo group's SCIM token: %w", err)
	}
	return d, nil
}

// ensureGroup finds or creates the demo group.
func ensureGroup(ctx context.Context, adm *admin.Service) (*gatehouse.Group, error) {
	g, err := admin.FindGroup(ctx, adm.Store, GroupPath)
	if err == nil || !gatehouse.IsKind(err, gatehouse.NotFound) {
		return g, err
	}
	g, err = adm.CreateGroup(ctx, admin.System, admin.NewGroup{Path: GroupPath, Name: GroupName, Owner: admin.RootUsername})
	if gatehouse.IsKind(err, gatehouse.Conflict) {
		// Another node created it meanwhile.
		return admin.FindGroup(ctx, adm.Store, GroupPath)
	}
	if err != nil {
		return nil, fmt.Errorf("demo: create the demo group: %w", err)
	}
	return g, nil
}

// ensureSAML makes the demo group trust the demo IdP at the current base
// URL, writing only when something differs, with an audit event.
func (d *Demo) ensureSAML(ctx context.Context) error {
	certPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: d.cert.Raw}))
	return d.cfg.Store.InTx(ctx, func(q store.Queries) error {
		old, err := q.FindSAMLConfig(ctx, d.group.ID)
		switch {
		case gatehouse.IsKind(err, gatehouse.NotFound):
			old = nil
		case err != nil:
			return err
		case !strings.HasSuffix(old.IdPEntityID, IdPPath):
			// A group of someone's own that happens to be called demo.
			return gatehouse.Errorf(gatehouse.Conflict,
				"the group %s exists and trusts the IdP %s, not the demo's; run serve --demo on a fresh database", GroupPath, old.IdPEntityID)
		case old.Enabled && old.IdPEntityID == d.EntityID() && old.SSOURL == d.SSOURL() &&
			slices.Equal(old.Certificates, []string{certPEM}) && len(old.Fingerprints) == 0 && old.AllowIdPInitiated:
			return nil // as it should be
		}
		c := &gatehouse.SAMLConfig{
			GroupID:           d.group.ID,
			Enabled:           true,
			IdPEntityID:       d.EntityID(),
			SSOURL:            d.SSOURL(),
			Certificates:      []string{certPEM},
			AllowIdPInitiated: true,
			ClockSkew:         gatehouse.DefaultClockSkew,
		}
		if err := q.PutSAMLConfig(ctx, c); err != nil {
			return fmt.Errorf("demo: configure the demo group's SAML: %w", err)
		}
		detail, err := json.Marshal(map[string]any{"source": "demo", "idp_entity_id": c.IdPEntityID, "sso_url": c.SSOURL})
		if err != nil {
			return err
		}
		return q.CreateAuditEvent(ctx, &gatehouse.AuditEvent{At: d.now(), GroupID: d.group.ID, ActorKind: gatehouse.ActorSystem,
			Action: "saml_configured", TargetKind: "saml_config", TargetID: fmt.Sprint(d.group.ID), Detail: detail})
	})
}

// loadKey returns the demo IdP's key pair, generating and storing it the
// first time. Nodes that start together all get the one stored first. The
// key is stored unsealed even with --secret-key-file: it signs in only the
// demo group's people, on an instance that is for trying only.
func loadKey(ctx context.Context, s store.Store, now time.Time) (crypto.Signer, *x509.Certificate, error) {
	k, err := s.FindInstanceKey(ctx, KeyName)
	if gatehouse.IsKind(err, gatehouse.NotFound) {
		var gen *gatehouse.InstanceKey
		if gen, err = generateKey(now); err != nil {
			return nil, nil, err
		}
		k, err = s.EnsureInstanceKey(ctx, gen)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("demo: load the demo IdP's key: %w", err)
	}
	return openKey(k)
}

func generateKey(now time.Time) (*gatehouse.InstanceKey, error) {
	key, err := rsa.GenerateKey(rand.Reader, keyBits)
	if err != nil {
		return nil, fmt.Errorf("demo: generate the demo IdP's key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "Gatehouse demo IdP (simulator)"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("demo: make the demo IdP's certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &gatehouse.InstanceKey{
		Name:           KeyName,
		PrivateKeyPEM:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}),
		CertificatePEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
	}, nil
}

func openKey(k *gatehouse.InstanceKey) (crypto.Signer, *x509.Certificate, error) {
	if k.Encrypted {
		return nil, nil, fmt.Errorf("demo: the stored demo IdP key is sealed; delete the %s instance key to make a new one", KeyName)
	}
	kb, _ := pem.Decode(k.PrivateKeyPEM)
	cb, _ := pem.Decode(k.CertificatePEM)
	if kb == nil || cb == nil {
		return nil, nil, fmt.Errorf("demo: the stored demo IdP key is not PEM")
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: the stored demo IdP key does not parse: %w", err)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("demo: the stored demo IdP certificate does not parse: %w", err)
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok || !rk.PublicKey.Equal(cert.PublicKey) {
		return nil, nil, fmt.Errorf("demo: the stored demo IdP key is not an RSA key matching its certificate")
	}
	return rk, cert, nil
}
