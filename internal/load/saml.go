package load

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

// Default identity of the built-in IdP. The SSO URL is never visited: the
// load tool reads the AuthnRequest from the redirect to it.
const (
	DefaultIdPEntityID = "https://idp.gatehouse-load.invalid/metadata"
	DefaultIdPSSOURL   = "https://idp.gatehouse-load.invalid/sso"
)

// SessionCookie is the cookie a finished Gatehouse sign-in sets.
const SessionCookie = "gatehouse_session"

// IdP is the built-in identity provider: an RSA key and a self-signed
// certificate that sign SAML responses as Entra ID does by default (a
// signed Assertion, RSA-SHA256, exclusive C14N, the certificate in
// KeyInfo).
type IdP struct {
	EntityID, SSOURL string
	Key              *rsa.PrivateKey
	Cert             *x509.Certificate
}

// NewIdP generates a 2048-bit key and a certificate valid for ten years.
func NewIdP(entityID, ssoURL string) (*IdP, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "gatehouse-load IdP"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &IdP{EntityID: entityID, SSOURL: ssoURL, Key: key, Cert: cert}, nil
}

// LoadIdP reads an IdP's key (PKCS #1 or PKCS #8 PEM) and certificate
// (PEM), as NewIdP's KeyPEM and CertPEM wrote them.
func LoadIdP(entityID, ssoURL string, keyPEM, certPEM []byte) (*IdP, error) {
	kb, _ := pem.Decode(keyPEM)
	if kb == nil {
		return nil, errors.New("the IdP key file holds no PEM block")
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(kb.Bytes); err == nil {
		key = k
	} else if k8, err8 := x509.ParsePKCS8PrivateKey(kb.Bytes); err8 == nil {
		var ok bool
		if key, ok = k8.(*rsa.PrivateKey); !ok {
			return nil, errors.New("the IdP key is not an RSA key")
		}
	} else {
		return nil, fmt.Errorf("the IdP key: %v", err)
	}
	cb, _ := pem.Decode(certPEM)
	if cb == nil {
		return nil, errors.New("the IdP certificate file holds no PEM block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the IdP certificate: %v", err)
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		return nil, errors.New("the IdP certificate is not the key's")
	}
	return &IdP{EntityID: entityID, SSOURL: ssoURL, Key: key, Cert: cert}, nil
}

// KeyPEM and CertPEM return the key (PKCS #1) and certificate in PEM.
func (idp *IdP) KeyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(idp.Key)})
}

func (idp *IdP) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Cert.Raw})
}

// GetKeyPair makes idp a goxmldsig key store.
func (idp *IdP) GetKeyPair() (*rsa.PrivateKey, []byte, error) { return idp.Key, idp.Cert.Raw, nil }

// Assertion is what one response asserts.
type Assertion struct {
	SPEntityID   string // the audience
	ACSURL       string // Destination and Recipient
	InResponseTo string // the AuthnRequest's ID; "" for IdP-initiated
	NameID       string
	Email, Name  string
	Now          time.Time
}

const (
	protocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	assertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
)

// Response returns a signed SAML Response, as XML.
func (idp *IdP) Response(a Assertion) ([]byte, error) {
	ts := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	attr := func(el *etree.Element, k, v string) {
		if v != "" {
			el.CreateAttr(k, v)
		}
	}
	as := etree.NewElement("saml:Assertion")
	as.CreateAttr("xmlns:saml", assertionNS)
	as.CreateAttr("xmlns:xs", "http://www.w3.org/2001/XMLSchema")
	as.CreateAttr("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
	as.CreateAttr("ID", newID())
	as.CreateAttr("Version", "2.0")
	as.CreateAttr("IssueInstant", ts(a.Now))
	as.CreateElement("saml:Issuer").SetText(idp.EntityID)
	subj := as.CreateElement("saml:Subject")
	nid := subj.CreateElement("saml:NameID")
	nid.CreateAttr("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
	nid.SetText(a.NameID)
	sc := subj.CreateElement("saml:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml:SubjectConfirmationData")
	attr(scd, "InResponseTo", a.InResponseTo)
	scd.CreateAttr("NotOnOrAfter", ts(a.Now.Add(5*time.Minute)))
	scd.CreateAttr("Recipient", a.ACSURL)
	cond := as.CreateElement("saml:Conditions")
	cond.CreateAttr("NotBefore", ts(a.Now.Add(-time.Minute)))
	cond.CreateAttr("NotOnOrAfter", ts(a.Now.Add(5*time.Minute)))
	cond.CreateElement("saml:AudienceRestriction").CreateElement("saml:Audience").SetText(a.SPEntityID)
	st := as.CreateElement("saml:AuthnStatement")
	st.CreateAttr("AuthnInstant", ts(a.Now))
	st.CreateAttr("SessionIndex", newID())
	st.CreateElement("saml:AuthnContext").CreateElement("saml:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	attrs := as.CreateElement("saml:AttributeStatement")
	for _, kv := range [][2]string{{"email", a.Email}, {"name", a.Name}} {
		if kv[1] == "" {
			continue
		}
		ae := attrs.CreateElement("saml:Attribute")
		ae.CreateAttr("Name", kv[0])
		v := ae.CreateElement("saml:AttributeValue")
		v.CreateAttr("xsi:type", "xs:string")
		v.SetText(kv[1])
	}

	ctx := dsig.NewDefaultSigningContext(idp)
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return nil, err
	}
	sig, err := ctx.ConstructSignature(as, true)
	if err != nil {
		return nil, fmt.Errorf("sign the assertion: %w", err)
	}
	as.InsertChildAt(1, sig) // right after the Issuer, where the schema puts it

	r := etree.NewElement("samlp:Response")
	r.CreateAttr("xmlns:samlp", protocolNS)
	r.CreateAttr("xmlns:saml", assertionNS)
	r.CreateAttr("ID", newID())
	r.CreateAttr("Version", "2.0")
	r.CreateAttr("IssueInstant", ts(a.Now))
	r.CreateAttr("Destination", a.ACSURL)
	attr(r, "InResponseTo", a.InResponseTo)
	r.CreateElement("saml:Issuer").SetText(idp.EntityID)
	r.CreateElement("samlp:Status").CreateElement("samlp:StatusCode").
		CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	r.AddChild(as)
	doc := etree.NewDocument()
	doc.SetRoot(r)
	return doc.WriteToBytes()
}

func newID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return "_" + hex.EncodeToString(b)
}

// SAMLTarget is a group's SAML sign-in, on one or more nodes.
type SAMLTarget struct {
	// Nodes are the servers' base URLs (http://host:port), used in turn;
	// they serve one instance, whose public base URL is in the group's
	// SP metadata.
	Nodes []string
	Group string // the group's path (or id)
	IdP   *IdP
	// IdPInitiated posts unsolicited responses instead of answering an
	// AuthnRequest the sign-in started (SP-initiated, the default).
	IdPInitiated bool

	next atomic.Uint64
}

func (st *SAMLTarget) node() string {
	return strings.TrimRight(st.Nodes[int(st.next.Add(1)-1)%len(st.Nodes)], "/")
}

// sp is what the group's SP metadata says.
type sp struct {
	EntityID string `xml:"entityID,attr"`
	SSO      struct {
		ACS []struct {
			Binding  string `xml:"Binding,attr"`
			Location string `xml:"Location,attr"`
		} `xml:"AssertionConsumerService"`
	} `xml:"SPSSODescriptor"`
}

func (st *SAMLTarget) metadata(ctx context.Context, c *http.Client) (entityID, acs string, err error) {
	u := st.node() + "/groups/" + st.Group + "/-/saml/metadata"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", "", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("GET %s = %d: is SAML configured for the group? (gatehouse saml configure)", u, resp.StatusCode)
	}
	var md sp
	if err := xml.Unmarshal(b, &md); err != nil {
		return "", "", fmt.Errorf("the group's SP metadata: %w", err)
	}
	for _, a := range md.SSO.ACS {
		if strings.HasSuffix(a.Binding, "HTTP-POST") {
			return md.EntityID, a.Location, nil
		}
	}
	return "", "", errors.New("the group's SP metadata has no HTTP-POST assertion consumer service")
}

// browser is one sign-in's cookies, sent to whichever node serves the
// next step.
type browser struct {
	c       *http.Client
	cookies map[string]string
	rec     *recorder
}

func (b *browser) do(kind string, req *http.Request) (*http.Response, []byte, error) {
	for k, v := range b.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	t0 := time.Now()
	resp, err := b.c.Do(req)
	if err != nil {
		b.rec.request(kind, 0, time.Since(t0))
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	b.rec.request(kind, resp.StatusCode, time.Since(t0))
	for _, c := range resp.Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(b.cookies, c.Name)
		} else {
			b.cookies[c.Name] = c.Value
		}
	}
	return resp, body, err
}

// authnRequestID reads the ID of the AuthnRequest an HTTP-Redirect binding
// URL carries.
func authnRequestID(location string) (id, acs string, err error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", "", err
	}
	raw, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		return "", "", fmt.Errorf("the redirect to the IdP carries no SAMLRequest: %w", err)
	}
	x, err := io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(raw)), 1<<20))
	if err != nil {
		return "", "", fmt.Errorf("inflate the SAMLRequest: %w", err)
	}
	var ar struct {
		ID  string `xml:"ID,attr"`
		ACS string `xml:"AssertionConsumerServiceURL,attr"`
	}
	if err := xml.Unmarshal(x, &ar); err != nil || ar.ID == "" {
		return "", "", fmt.Errorf("the SAMLRequest is no AuthnRequest: %v", err)
	}
	return ar.ID, ar.ACS, nil
}

// posted is a response that signed someone in, kept for a replay.
type posted struct {
	acs      string
	response string
	cookies  map[string]string
}

// SignIn signs n users in (the population's active users in turn; all of
// them once when n ≤ 0; users the run knows nothing of are looked up
// first, see Learn): each sign-in starts at the group's SSO URL
// (unless IdP-initiated), posts a freshly signed response for the user's
// externalId to the ACS, follows the redirect to the continue step, which
// must set the session cookie, and reads GET /api/v4/user with it. Then it
// posts replays of earlier, accepted responses again, each of which must
// be refused.
func (r *Runner) SignIn(ctx context.Context, st *SAMLTarget, n, replays int) *Summary {
	learnErr := r.Learn(ctx)
	users := r.Pop.Active()
	if n <= 0 {
		n = len(users)
	}
	var list []*User
	for i := range n {
		if len(users) > 0 {
			list = append(list, users[i%len(users)])
		}
	}
	c := r.Target.client()
	entityID, acs, mdErr := st.metadata(ctx, c)
	var (
		mu   sync.Mutex
		kept []posted
	)
	s := r.each(ctx, "signin", list, func(ctx context.Context, rec *recorder, u *User) (bool, error) {
		if err := errors.Join(learnErr, mdErr); err != nil {
			return false, err
		}
		b := &browser{c: c, cookies: map[string]string{}, rec: rec}
		a := Assertion{SPEntityID: entityID, ACSURL: acs, NameID: u.ExternalID, Email: u.UserName, Name: local(u.UserName)}
		if !st.IdPInitiated {
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.node()+"/groups/"+st.Group+"/-/saml/sso", strings.NewReader(""))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, body, err := b.do("POST sso (start)", req)
			if err != nil {
				return false, err
			}
			if resp.StatusCode != http.StatusFound {
				return false, &statusError{"POST", req.URL.Path, resp.StatusCode, body}
			}
			id, reqACS, err := authnRequestID(resp.Header.Get("Location"))
			if err != nil {
				return false, err
			}
			a.InResponseTo = id
			if reqACS != "" {
				a.ACSURL = reqACS
			}
		}
		a.Now = time.Now()
		x, err := st.IdP.Response(a)
		if err != nil {
			return false, err
		}
		response := base64.StdEncoding.EncodeToString(x)
		acsPath := a.ACSURL
		if u, err := url.Parse(a.ACSURL); err == nil {
			acsPath = u.Path
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.node()+acsPath,
			strings.NewReader(url.Values{"SAMLResponse": {response}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		cookies := map[string]string{}
		for k, v := range b.cookies {
			cookies[k] = v
		}
		resp, body, err := b.do("POST callback (ACS)", req)
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusSeeOther {
			return false, &statusError{"POST", acsPath, resp.StatusCode, body}
		}
		next := resp.Header.Get("Location")
		if lu, err := url.Parse(next); err == nil {
			next = lu.RequestURI()
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, st.node()+next, nil)
		resp, body, err = b.do("GET continue", req)
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusSeeOther || b.cookies[SessionCookie] == "" {
			return false, fmt.Errorf("GET %s = %d without a session cookie: the sign-in did not finish: %.200s", next, resp.StatusCode, body)
		}
		req, _ = http.NewRequestWithContext(ctx, http.MethodGet, st.node()+"/api/v4/user", nil)
		resp, body, err = b.do("GET /api/v4/user", req)
		if err != nil {
			return false, err
		}
		if resp.StatusCode != http.StatusOK {
			return false, &statusError{"GET", "/api/v4/user", resp.StatusCode, body}
		}
		mu.Lock()
		if len(kept) < replays {
			kept = append(kept, posted{acs: acsPath, response: response, cookies: cookies})
		}
		mu.Unlock()
		return false, nil
	})
	// The replays: the same response, from the same browser, later.
	for _, p := range kept {
		b := &browser{c: c, cookies: p.cookies, rec: newRecorder("", "", 0)}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, st.node()+p.acs,
			strings.NewReader(url.Values{"SAMLResponse": {p.response}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _, err := b.do("POST callback (replay)", req)
		if err != nil {
			continue
		}
		s.Replays++
		if resp.StatusCode < 400 {
			s.ReplaysAccepted++
		}
	}
	if len(users) == 0 && s.Errors == 0 {
		s.Errors, s.FirstError = 1, "no active users to sign in: run a sync with this --prefix first"
	}
	return s
}
