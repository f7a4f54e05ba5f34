package sso

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

func TestIPKey(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"203.0.113.7", "ip:203.0.113.7"},
		{"::ffff:203.0.113.7", "ip:203.0.113.7"},
		{"2001:db8:1:2:3:4:5:6", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:2::9", "ip:2001:db8:1:2::/64"},
		{"2001:db8:1:3::9", "ip:2001:db8:1:3::/64"},
	} {
		if got := ipKey(netip.MustParseAddr(tc.in)); got != tc.want {
			t.Errorf("ipKey(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := ipKey(netip.Addr{}); got != "" {
		t.Errorf("ipKey(no address) = %q, want \"\"", got)
	}
}

func TestLoginKey(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"alice", "ALICE", true},
		{"ünal@example.com", "U\u0308NAL@EXAMPLE.COM", true},
		{"alice", "alice@example.com", false},
		{"alice", "bob", false},
	} {
		ka, kb := loginKey(tc.a), loginKey(tc.b)
		if (ka == kb) != tc.same {
			t.Errorf("loginKey(%q) == loginKey(%q) is %v, want %v", tc.a, tc.b, ka == kb, tc.same)
		}
		if err := gatehouse.ValidateSignInKey(ka); err != nil || strings.Contains(ka, tc.a) {
			t.Errorf("loginKey(%q) = %q (%v), want a valid key that does not hold the login", tc.a, ka, err)
		}
	}
	long := strings.Repeat("x", 255)
	if err := gatehouse.ValidateSignInKey(loginKey(long)); err != nil {
		t.Errorf("loginKey of a 255-byte login: %v", err)
	}
}

func TestTooManyAttempts(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		wait time.Duration
		says string
	}{
		{15 * time.Minute, "paused until 03:19 UTC (in about 15 minutes)"},
		{4*time.Minute + 40*time.Second, "(in about 5 minutes)"},
		{20 * time.Second, "(in about a minute)"},
	} {
		f := tooManyAttempts(now.Add(tc.wait), now)
		if f.Status != 429 || f.RetryAfter != tc.wait || !strings.Contains(f.Message, tc.says) {
			t.Errorf("tooManyAttempts(in %v) = %d, %v, %q; want 429, %v, saying %q", tc.wait, f.Status, f.RetryAfter, f.Message, tc.wait, tc.says)
		}
	}
}
