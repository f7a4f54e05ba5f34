package gatehouse_test

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-sso/gatehouse"
)

func TestNewToken(t *testing.T) {
	for _, prefix := range []string{gatehouse.SCIMTokenPrefix, gatehouse.PATPrefix} {
		tok, hash := gatehouse.NewToken(prefix)
		if !strings.HasPrefix(tok, prefix) || len(tok) != len(prefix)+43 {
			t.Errorf("NewToken(%q) = %q, want the prefix and 43 characters", prefix, tok)
		}
		if want := sha256.Sum256([]byte(tok)); !bytes.Equal(hash, want[:]) {
			t.Errorf("NewToken(%q) hash is not the token's SHA-256", prefix)
		}
		if !gatehouse.WellFormedToken(prefix, tok) {
			t.Errorf("WellFormedToken(%q, own token) = false", prefix)
		}
		if !gatehouse.HashesEqual(hash, gatehouse.HashToken(tok)) {
			t.Errorf("HashesEqual(hash, HashToken(token)) = false")
		}
		other, _ := gatehouse.NewToken(prefix)
		if other == tok {
			t.Errorf("NewToken(%q) repeated %q", prefix, tok)
		}
	}
	scim, _ := gatehouse.NewToken(gatehouse.SCIMTokenPrefix)
	for _, s := range []string{"", "gth_scim_", scim[:len(scim)-1], scim + "A", "gth_scim_" + strings.Repeat("!", 43), strings.Replace(scim, "gth_scim_", "gth_pat_", 1)} {
		if gatehouse.WellFormedToken(gatehouse.SCIMTokenPrefix, s) {
			t.Errorf("WellFormedToken(scim, %q) = true", s)
		}
	}
}

func TestPATExpired(t *testing.T) {
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		expires time.Time
		want    bool
	}{
		{time.Time{}, false},
		{now.Add(time.Second), false},
		{now, true},
		{now.Add(-time.Hour), true},
	}
	for _, tt := range tests {
		p := gatehouse.PersonalAccessToken{ExpiresAt: tt.expires}
		if got := p.Expired(now); got != tt.want {
			t.Errorf("Expired(expires %v, now %v) = %v, want %v", tt.expires, now, got, tt.want)
		}
	}
}
