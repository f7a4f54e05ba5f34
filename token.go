package gatehouse

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
	"time"
)

// Token prefixes let secret scanners recognise leaked Gatehouse tokens.
const (
	SCIMTokenPrefix = "gth_scim_"
	PATPrefix       = "gth_pat_"
)

// tokenRandomBytes is the entropy of every token: 32 bytes, which base64url
// (unpadded) spells in 43 characters.
const tokenRandomBytes = 32

// NewToken returns a fresh token with the given prefix and the hash to store.
// Only the hash is ever stored; the token is shown once.
func NewToken(prefix string) (token string, hash []byte) {
	b := make([]byte, tokenRandomBytes)
	rand.Read(b) // never returns an error (crypto/rand, Go 1.24+)
	token = prefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the SHA-256 of a token, the form tokens are stored and
// looked up in. The tokens carry 256 bits of entropy, so a fast hash suffices.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// WellFormedToken reports whether s looks like a token with the prefix: the
// prefix and 43 base64url characters. It lets callers refuse junk before any
// database lookup.
func WellFormedToken(prefix, s string) bool {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok || len(rest) != 43 {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

// HashesEqual compares two token hashes in constant time.
func HashesEqual(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// SCIMToken is a group's SCIM bearer token. A group holds one, or two during a
// rotation.
type SCIMToken struct {
	ID         int64
	GroupID    int64
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used
}

// PersonalAccessToken authenticates a user to the admin API.
type PersonalAccessToken struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       []byte
	ExpiresAt  time.Time // zero: never expires
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first used
}

// Expired reports whether the token has expired at now.
func (t *PersonalAccessToken) Expired(now time.Time) bool {
	return !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)
}

// Validate reports the first rule the token breaks.
func (t *PersonalAccessToken) Validate() error {
	if t.UserID <= 0 {
		return Errorf(Invalid, "token needs a user")
	}
	if t.Name == "" || len(t.Name) > 255 {
		return Errorf(Invalid, "token name is required and at most 255 bytes")
	}
	if len(t.Hash) != sha256.Size {
		return Errorf(Invalid, "token hash must be a SHA-256")
	}
	return nil
}
