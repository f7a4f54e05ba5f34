package gatehouse

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

const (
	testKeyPEM  = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
	testCertPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
)

var (
	testHash   = bytes.Repeat([]byte{7}, 32)
	testExpiry = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
)

// checkValidate reports an error unless err is nil when ok, and an Invalid
// error otherwise.
func checkValidate(t *testing.T, what string, err error, ok bool) {
	t.Helper()
	if (err == nil) != ok {
		t.Errorf("%s: Validate() = %v, want ok %v", what, err, ok)
	} else if err != nil && ErrorKind(err) != Invalid {
		t.Errorf("%s: Validate() = %v, want kind Invalid", what, err)
	}
}

func TestInstanceKeyValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(k *InstanceKey)
		ok     bool
	}{
		{"valid", func(k *InstanceKey) {}, true},
		{"RSA key", func(k *InstanceKey) {
			k.PrivateKeyPEM = []byte("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n")
		}, true},
		{"sealed key", func(k *InstanceKey) { k.PrivateKeyPEM, k.Encrypted = []byte{1, 2, 3}, true }, true},
		{"no name", func(k *InstanceKey) { k.Name = "" }, false},
		{"upper-case name", func(k *InstanceKey) { k.Name = "SAML" }, false},
		{"name starting with a digit", func(k *InstanceKey) { k.Name = "1sp" }, false},
		{"long name", func(k *InstanceKey) { k.Name = strings.Repeat("k", 65) }, false},
		{"no private key", func(k *InstanceKey) { k.PrivateKeyPEM = nil }, false},
		{"no private key, sealed", func(k *InstanceKey) { k.PrivateKeyPEM, k.Encrypted = nil, true }, false},
		{"sealed bytes not marked encrypted", func(k *InstanceKey) { k.PrivateKeyPEM = []byte{1, 2, 3} }, false},
		{"certificate as the private key", func(k *InstanceKey) { k.PrivateKeyPEM = []byte(testCertPEM) }, false},
		{"huge private key", func(k *InstanceKey) {
			k.PrivateKeyPEM, k.Encrypted = make([]byte, InstanceKeyPEMLimit+1), true
		}, false},
		{"no certificate", func(k *InstanceKey) { k.CertificatePEM = nil }, false},
		{"key as the certificate", func(k *InstanceKey) { k.CertificatePEM = []byte(testKeyPEM) }, false},
	}
	for _, tt := range tests {
		k := &InstanceKey{Name: SAMLSPKeyName, PrivateKeyPEM: []byte(testKeyPEM), CertificatePEM: []byte(testCertPEM)}
		tt.change(k)
		checkValidate(t, tt.name, k.Validate(), tt.ok)
	}
}

func TestSAMLRequestValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *SAMLRequest)
		ok     bool
	}{
		{"valid", func(r *SAMLRequest) {}, true},
		{"with a session and RelayState", func(r *SAMLRequest) { r.SessionID, r.RelayState = 3, "/groups/acme" }, true},
		{"ID at the limit", func(r *SAMLRequest) { r.ID = strings.Repeat("i", SAMLIDLimit) }, true},
		{"verify with a session", func(r *SAMLRequest) { r.SessionID, r.Verify = 3, true }, true},
		{"verify without a session", func(r *SAMLRequest) { r.Verify = true }, false},
		{"no group", func(r *SAMLRequest) { r.GroupID = 0 }, false},
		{"no ID", func(r *SAMLRequest) { r.ID = "" }, false},
		{"long ID", func(r *SAMLRequest) { r.ID = strings.Repeat("i", SAMLIDLimit+1) }, false},
		{"ID with a newline", func(r *SAMLRequest) { r.ID = "_a\nb" }, false},
		{"ID with NUL", func(r *SAMLRequest) { r.ID = "_a\x00" }, false},
		{"ID of invalid UTF-8", func(r *SAMLRequest) { r.ID = "_a\xff" }, false},
		{"long RelayState", func(r *SAMLRequest) { r.RelayState = strings.Repeat("r", SAMLRelayStateLimit+1) }, false},
		{"RelayState with NUL", func(r *SAMLRequest) { r.RelayState = "/a\x00" }, false},
		{"no browser hash", func(r *SAMLRequest) { r.BrowserHash = nil }, false},
		{"short browser hash", func(r *SAMLRequest) { r.BrowserHash = testHash[:31] }, false},
		{"negative session", func(r *SAMLRequest) { r.SessionID = -1 }, false},
		{"no expiry", func(r *SAMLRequest) { r.ExpiresAt = time.Time{} }, false},
	}
	for _, tt := range tests {
		r := &SAMLRequest{ID: "_0123abc", GroupID: 1, BrowserHash: testHash, ExpiresAt: testExpiry}
		tt.change(r)
		checkValidate(t, tt.name, r.Validate(), tt.ok)
	}
}

func TestSessionValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *Session)
		ok     bool
	}{
		{"valid", func(s *Session) {}, true},
		{"no user", func(s *Session) { s.UserID = 0 }, false},
		{"no hash", func(s *Session) { s.Hash = nil }, false},
		{"no expiry", func(s *Session) { s.ExpiresAt = time.Time{} }, false},
	}
	for _, tt := range tests {
		s := &Session{UserID: 1, Hash: testHash, ExpiresAt: testExpiry}
		tt.change(s)
		checkValidate(t, tt.name, s.Validate(), tt.ok)
	}
	tests2 := []struct {
		name string
		sso  SessionSSO
		ok   bool
	}{
		{"valid", SessionSSO{SessionID: 1, GroupID: 2, At: testExpiry}, true},
		{"no session", SessionSSO{GroupID: 2, At: testExpiry}, false},
		{"no group", SessionSSO{SessionID: 1, At: testExpiry}, false},
		{"no time", SessionSSO{SessionID: 1, GroupID: 2}, false},
	}
	for _, tt := range tests2 {
		checkValidate(t, "SessionSSO "+tt.name, tt.sso.Validate(), tt.ok)
	}
}

func TestExpired(t *testing.T) {
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"before", testExpiry.Add(-time.Nanosecond), false},
		{"at the expiry", testExpiry, true},
		{"after", testExpiry.Add(time.Nanosecond), true},
		{"in another zone", testExpiry.In(time.FixedZone("UTC-8", -8*3600)), true},
	}
	for _, tt := range tests {
		r := &SAMLRequest{ExpiresAt: testExpiry}
		s := &Session{ExpiresAt: testExpiry}
		f := &SAMLFlow{ExpiresAt: testExpiry}
		for what, got := range map[string]bool{"SAMLRequest": r.Expired(tt.now), "Session": s.Expired(tt.now), "SAMLFlow": f.Expired(tt.now)} {
			if got != tt.want {
				t.Errorf("%s.Expired(%s) = %v, want %v", what, tt.name, got, tt.want)
			}
		}
	}
}

func TestSAMLFlowValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *SAMLFlow)
		ok     bool
	}{
		{"valid", func(f *SAMLFlow) {}, true},
		{"link", func(f *SAMLFlow) { f.Kind = SAMLFlowLink }, true},
		{"create", func(f *SAMLFlow) { f.Kind, f.UserID = SAMLFlowCreate, 0 }, true},
		{"verify", func(f *SAMLFlow) { f.Kind = SAMLFlowVerify }, true},
		{"IdP-initiated, no browser", func(f *SAMLFlow) { f.RequestID, f.BrowserHash = "", nil }, true},
		{"detail with a surrogate pair", func(f *SAMLFlow) { f.Detail = []byte(`{"name":"\ud83e\udd8a"}`) }, true},
		{"detail with an escaped backslash before u0000", func(f *SAMLFlow) { f.Detail = []byte(`{"a":"\\u0000"}`) }, true},
		{"no hash", func(f *SAMLFlow) { f.Hash = nil }, false},
		{"no group", func(f *SAMLFlow) { f.GroupID = 0 }, false},
		{"unknown kind", func(f *SAMLFlow) { f.Kind = "relink" }, false},
		{"no kind", func(f *SAMLFlow) { f.Kind = "" }, false},
		{"sign-in without a user", func(f *SAMLFlow) { f.UserID = 0 }, false},
		{"link without a user", func(f *SAMLFlow) { f.Kind, f.UserID = SAMLFlowLink, 0 }, false},
		{"create with a user", func(f *SAMLFlow) { f.Kind = SAMLFlowCreate }, false},
		{"verify without a user", func(f *SAMLFlow) { f.Kind, f.UserID = SAMLFlowVerify, 0 }, false},
		{"no extern_uid", func(f *SAMLFlow) { f.ExternUID = "" }, false},
		{"extern_uid with NUL", func(f *SAMLFlow) { f.ExternUID = "a\x00" }, false},
		{"bad request id", func(f *SAMLFlow) { f.RequestID = "a\tb" }, false},
		{"short browser hash", func(f *SAMLFlow) { f.BrowserHash = []byte{1} }, false},
		{"RelayState of invalid UTF-8", func(f *SAMLFlow) { f.RelayState = "/\xff" }, false},
		{"detail not JSON", func(f *SAMLFlow) { f.Detail = []byte(`{"a":`) }, false},
		{"detail with NUL", func(f *SAMLFlow) { f.Detail = []byte(`{"a":"\u0000"}`) }, false},
		{"detail with a lone high surrogate", func(f *SAMLFlow) { f.Detail = []byte(`{"a":"\ud83e"}`) }, false},
		{"detail with a high surrogate, then another", func(f *SAMLFlow) { f.Detail = []byte(`{"a":"\ud83e\ud83e"}`) }, false},
		{"detail with a lone low surrogate", func(f *SAMLFlow) { f.Detail = []byte(`{"a":"\udd8a"}`) }, false},
		{"detail of invalid UTF-8", func(f *SAMLFlow) { f.Detail = []byte("{\"a\":\"\xff\"}") }, false},
		{"detail too large", func(f *SAMLFlow) {
			f.Detail = []byte(`{"a":"` + strings.Repeat("x", SAMLFlowDetailLimit) + `"}`)
		}, false},
		{"no expiry", func(f *SAMLFlow) { f.ExpiresAt = time.Time{} }, false},
	}
	for _, tt := range tests {
		f := &SAMLFlow{Hash: testHash, GroupID: 1, Kind: SAMLFlowSignIn, UserID: 2, ExternUID: "alice@idp",
			RequestID: "_0123", BrowserHash: testHash, RelayState: "/", Detail: []byte(`{"email":"a@b"}`), ExpiresAt: testExpiry}
		tt.change(f)
		checkValidate(t, tt.name, f.Validate(), tt.ok)
	}
}
