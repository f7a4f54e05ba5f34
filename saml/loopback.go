package saml

import (
	"net/netip"
	"net/url"
	"strings"
)

// loopbackHTTP reports whether u is a plain http URL on the machine itself
// (localhost, 127.0.0.0/8, ::1), where an AuthnRequest may be sent without
// TLS because it never crosses a network: the built-in demo IdP of serve
// --demo. Package saml imports nothing of the module, so this repeats
// gatehouse.LoopbackHTTP; IdP metadata must still name an https URL.
func loopbackHTTP(u *url.URL) bool {
	if u.Scheme != "http" || u.User != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
