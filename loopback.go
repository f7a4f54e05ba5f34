package gatehouse

import (
	"net/netip"
	"net/url"
	"strings"
)

// LoopbackHTTP reports whether u is a plain http URL whose host is the
// machine itself: localhost, or a loopback address (127.0.0.0/8, ::1). A
// browser sent there never leaves the machine, so nothing crosses a
// network in the clear; it is the one place an http SAML SSO URL is
// accepted (the built-in demo IdP of serve --demo). Owners still configure
// https URLs only: admin.ConfigureSAML and IdP metadata refuse anything
// else.
func LoopbackHTTP(u *url.URL) bool {
	if u == nil || u.Scheme != "http" || u.User != nil {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}
