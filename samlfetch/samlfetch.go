// Package samlfetch downloads identity-provider metadata from the URL a
// group owner gave (behaviour.md decision 41). The URL is chosen by a
// tenant, so the request must not become a way into the instance's own
// network (server-side request forgery): only https, never to a loopback,
// link-local, private, unspecified or multicast address, at most
// MaxRedirects redirects, at most saml.MaxMetadataSize bytes and Timeout in
// all.
//
// The address rule is enforced when the connection is dialled, on the
// address DNS resolved to, so a name that resolves to a public address when
// checked and to 127.0.0.1 when used (DNS rebinding) is refused as well.
package samlfetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/gatehouse-sso/gatehouse"
	"github.com/gatehouse-sso/gatehouse/saml"
)

// Limits of one fetch.
const (
	// Timeout bounds a whole fetch: dialling, TLS, redirects and the body.
	Timeout = 10 * time.Second
	// MaxRedirects is how many redirects a fetch follows.
	MaxRedirects = 3
	// MaxSize is the longest metadata document read, in bytes.
	MaxSize = saml.MaxMetadataSize
)

// extraBlocked are ranges that are not public although netip does not call
// them private: "this network", carrier-grade NAT, IETF protocol
// assignments, benchmarking, reserved, broadcast, and NAT64 (which can
// reach any IPv4 address, private ones included).
var extraBlocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// CheckAddr reports why a connection to ip is refused, or nil when ip is a
// public unicast address.
func CheckAddr(ip netip.Addr) error {
	ip = ip.Unmap()
	var why string
	switch {
	case !ip.IsValid():
		why = "not an IP address"
	case ip.IsLoopback():
		why = "a loopback address"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		why = "a link-local address"
	case ip.IsPrivate():
		why = "a private address"
	case ip.IsUnspecified():
		why = "the unspecified address"
	case ip.IsMulticast(), ip.IsInterfaceLocalMulticast():
		why = "a multicast address"
	}
	for _, p := range extraBlocked {
		if why == "" && p.Contains(ip) {
			why = "a reserved address"
		}
	}
	if why != "" {
		return fmt.Errorf("%s is %s; metadata URLs must reach a public address", ip, why)
	}
	return nil
}

// control is the dialer's Control function: it runs for every address a
// connection is attempted to, after DNS resolution.
func control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	return CheckAddr(ap.Addr())
}

// NewClient returns the HTTP client production fetches use: it dials only
// public addresses, ignores proxy settings (a proxy would dial for it,
// unchecked), follows at most MaxRedirects redirects and only to https
// URLs, and gives up after Timeout. It is safe for concurrent use.
func NewClient() *http.Client {
	dialer := &net.Dialer{Timeout: Timeout, Control: control}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         dialer.DialContext,
			TLSHandshakeTimeout: Timeout,
			MaxIdleConns:        4,
			IdleConnTimeout:     time.Minute,
		},
		CheckRedirect: checkRedirect,
	}
}

func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > MaxRedirects {
		return fmt.Errorf("more than %d redirects", MaxRedirects)
	}
	if _, err := CheckURL(req.URL.String()); err != nil {
		return fmt.Errorf("redirected to %s: %w", req.URL.Redacted(), err)
	}
	return nil
}

// CheckURL parses a metadata URL and checks its form: https, a host, no
// user name or password. Where it may lead is checked when dialling (a
// literal IP address too), by the client NewClient returns.
func CheckURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Hostname() == "" {
		return nil, errors.New("it is not an absolute URL")
	}
	if u.Scheme != "https" {
		return nil, errors.New("it must be an https URL")
	}
	if u.User != nil {
		return nil, errors.New("it must not carry a user name or password")
	}
	return u, nil
}

// Fetch downloads the metadata at rawURL with client (NewClient in
// production; tests pass the client of an httptest TLS server). Errors are
// gatehouse.Invalid with a message that names the URL and the problem.
func Fetch(ctx context.Context, client *http.Client, rawURL string) ([]byte, error) {
	u, err := CheckURL(rawURL)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "metadata URL %q: %v", rawURL, err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "metadata URL %q: %v", rawURL, err)
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	resp, err := client.Do(req)
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "fetching the metadata from %s failed: %v", u.Redacted(), unwrapURLError(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "fetching the metadata from %s failed: the server answered %s", u.Redacted(), resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxSize+1))
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "reading the metadata from %s failed: %v", u.Redacted(), err)
	}
	if len(body) > MaxSize {
		return nil, gatehouse.Errorf(gatehouse.Invalid, "the metadata at %s is larger than %d bytes", u.Redacted(), MaxSize)
	}
	return body, nil
}

// unwrapURLError drops the "Get \"URL\": " prefix the message already has.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
