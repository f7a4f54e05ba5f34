package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	crewjam "github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/sso"
)

// Limits of the simulator's waiting requests.
const (
	// PendingTTL is how long a verified AuthnRequest waits for a pick: as
	// long as Gatehouse waits for its answer.
	PendingTTL = sso.RequestTTL
	// maxPending bounds the requests waiting at once, so that a flood of
	// AuthnRequests cannot fill the memory.
	maxPending = 1000
	// MaxNameID is the longest NameID the simulator sends.
	MaxNameID = 1024
)

// pending is an AuthnRequest the simulator verified, waiting for the person
// trying the demo to pick who signs in.
type pending struct {
	req     *crewjam.IdpAuthnRequest
	expires time.Time
}

// Post is what the browser posts to the group's ACS: the HTTP-POST binding.
type Post struct {
	URL          string // the ACS URL
	SAMLResponse string // base64 of the signed Response
	RelayState   string
}

// Verify checks the AuthnRequest r carries (HTTP-Redirect binding) as a
// real IdP does, with crewjam/saml's IdentityProvider: the query signature
// against the signing certificate of the demo group's SP metadata (an
// unsigned request is refused), the Destination, the issue instant, the
// issuer and the ACS URL. It keeps the verified request and returns its
// key for Answer. Invalid, with what is wrong, when the request is refused.
func (d *Demo) Verify(r *http.Request) (string, error) {
	idp, err := d.idp()
	if err != nil {
		return "", err
	}
	req, err := crewjam.NewIdpAuthnRequest(idp, r)
	if err == nil {
		err = req.Validate()
	}
	if err != nil {
		return "", &gatehouse.Error{Kind: gatehouse.Invalid, Op: "demo.Verify", Err: err,
			Message: "the simulator refused the sign-in request: " + firstLine(err.Error())}
	}
	key := newKey()
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, p := range d.pending {
		if !now.Before(p.expires) {
			delete(d.pending, k)
		}
	}
	if len(d.pending) >= maxPending {
		return "", gatehouse.Errorf(gatehouse.Unavailable, "too many sign-ins are waiting in the simulator; try again in a few minutes")
	}
	d.pending[key] = &pending{req: req, expires: now.Add(PendingTTL)}
	return key, nil
}

// Waiting reports whether the request key is waiting for a pick.
func (d *Demo) Waiting(key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.pending[key]
	return ok && d.now().Before(p.expires)
}

// Answer signs in nameID in answer to the verified request key, once: it
// returns the signed response to post to the ACS the request named.
// Invalid when the key is unknown, used or expired, or the NameID empty or
// too long.
func (d *Demo) Answer(ctx context.Context, r *http.Request, key, nameID string) (Post, error) {
	nameID, err := checkNameID(nameID)
	if err != nil {
		return Post{}, err
	}
	d.mu.Lock()
	p, ok := d.pending[key]
	delete(d.pending, key)
	d.mu.Unlock()
	if !ok || !d.now().Before(p.expires) {
		return Post{}, gatehouse.Errorf(gatehouse.Invalid, "this sign-in request was answered already or has expired; start again from the group's sign-in page")
	}
	// The request was verified when it came; the answer is made now, with
	// the clock of now.
	idp, err := d.idp()
	if err != nil {
		return Post{}, err
	}
	req := p.req
	req.IDP, req.HTTPRequest, req.Now = idp, r, d.now()
	return d.respond(ctx, req, nameID)
}

// Unsolicited signs in nameID to the demo group without a request, as an
// IdP's app dashboard does (IdP-initiated).
func (d *Demo) Unsolicited(ctx context.Context, r *http.Request, nameID string) (Post, error) {
	nameID, err := checkNameID(nameID)
	if err != nil {
		return Post{}, err
	}
	idp, err := d.idp()
	if err != nil {
		return Post{}, err
	}
	req, err := idp.NewIdpInitiatedRequest(r, d.cfg.SSO.EntityID(d.group), "")
	if err != nil {
		return Post{}, fmt.Errorf("demo: IdP-initiated sign-in: %w", err)
	}
	return d.respond(ctx, req, nameID)
}

// respond makes the assertion for nameID, with the attributes of the demo
// group's SCIM user of that externalId when there is one, else those of
// the sample person of that NameID, and the signed Response around it.
func (d *Demo) respond(ctx context.Context, req *crewjam.IdpAuthnRequest, nameID string) (Post, error) {
	now := d.now()
	s := &crewjam.Session{
		ID: newKey(), CreateTime: now, ExpireTime: now.Add(time.Hour), Index: newKey(),
		NameID: nameID, NameIDFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
	}
	si, err := d.cfg.Store.FindSCIMIdentityByExternUID(ctx, d.group.ID, nameID)
	switch {
	case err == nil:
		s.UserName, s.UserEmail = si.UserName, si.Email
		s.UserGivenName, s.UserSurname = si.GivenName, si.FamilyName
		s.UserCommonName = strings.TrimSpace(si.GivenName + " " + si.FamilyName)
	case !gatehouse.IsKind(err, gatehouse.NotFound):
		return Post{}, err
	default:
		// A sample person's NameID that Gatehouse no longer knows, as after
		// an owner changed their extern_uid: a real IdP still sends its own
		// attributes of the person, which lets the owner's identity page
		// tie the refused sign-in to them.
		for _, p := range Samples {
			if strings.EqualFold(p.ExternalID, nameID) {
				s.UserName, s.UserEmail = p.UserName, p.Email
				s.UserGivenName, s.UserSurname = p.GivenName, p.FamilyName
				s.UserCommonName = p.GivenName + " " + p.FamilyName
			}
		}
	}
	if err := (crewjam.DefaultAssertionMaker{}).MakeAssertion(req, s); err != nil {
		return Post{}, fmt.Errorf("demo: make the assertion: %w", err)
	}
	// PostBinding signs the Assertion, then the Response around it.
	form, err := req.PostBinding()
	if err != nil {
		return Post{}, fmt.Errorf("demo: sign the response: %w", err)
	}
	return Post{URL: form.URL, SAMLResponse: form.SAMLResponse, RelayState: form.RelayState}, nil
}

// idp is crewjam's IdentityProvider as the demo IdP, knowing one service
// provider: the demo group, by the metadata Gatehouse publishes for it.
func (d *Demo) idp() (*crewjam.IdentityProvider, error) {
	md, err := d.cfg.SSO.Metadata(d.group)
	if err != nil {
		return nil, fmt.Errorf("demo: the demo group's SP metadata: %w", err)
	}
	var ed crewjam.EntityDescriptor
	if err := xml.Unmarshal(md, &ed); err != nil {
		return nil, fmt.Errorf("demo: read the demo group's SP metadata: %w", err)
	}
	entity, err := url.Parse(d.EntityID())
	if err != nil {
		return nil, err
	}
	ssoURL, err := url.Parse(d.SSOURL())
	if err != nil {
		return nil, err
	}
	return &crewjam.IdentityProvider{
		Key:                     d.key,
		Certificate:             d.cert,
		MetadataURL:             *entity,
		SSOURL:                  *ssoURL,
		ServiceProviderProvider: oneSP{&ed},
		SignatureMethod:         dsig.RSASHA256SignatureMethod,
		WantAuthnRequestsSigned: true,
		RejectSHA1Signatures:    true,
		Clock:                   dsig.NewFakeClockAt(d.now()),
		Logger:                  log.New(io.Discard, "", 0),
	}, nil
}

// oneSP is the demo IdP's only service provider.
type oneSP struct{ md *crewjam.EntityDescriptor }

func (s oneSP) GetServiceProvider(_ *http.Request, id string) (*crewjam.EntityDescriptor, error) {
	if id != s.md.EntityID {
		return nil, fmt.Errorf("unknown service provider %q: %w", id, os.ErrNotExist)
	}
	return s.md, nil
}

func checkNameID(nameID string) (string, error) {
	nameID = strings.TrimSpace(nameID)
	if nameID == "" || len(nameID) > MaxNameID {
		return "", gatehouse.Errorf(gatehouse.Invalid, "pick a user, or type a NameID of 1 to %d bytes", MaxNameID)
	}
	return nameID, nil
}

func newKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
