package gatehouse

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// SignInKeyLimit is the longest key of a sign-in failure counter, in bytes.
const SignInKeyLimit = 128

// SignInFailures counts the failed password sign-ins of one key (an
// account's login, a client address) within a window of time that opens at
// the first failure: the rate limit of security.md §2.1. When the count
// reaches the limit, further attempts with the key are refused until the
// window ends; a failure after that opens a new window. The counters live in
// the database, so every node of an instance sees the same counts.
type SignInFailures struct {
	Key   string
	Count int
	// Start is the window's first failure; End is when the window ends,
	// and with it the refusal.
	Start time.Time
	End   time.Time
}

// Ended reports whether the window has ended at now: a window that ends
// exactly at now has.
func (f *SignInFailures) Ended(now time.Time) bool { return !now.Before(f.End) }

// ValidateSignInKey checks a counter's key: 1 to SignInKeyLimit bytes of
// UTF-8 text without spaces or control characters. The caller chooses the
// form ("ip:203.0.113.7"); a key never holds a password.
func ValidateSignInKey(key string) error {
	if key == "" || len(key) > SignInKeyLimit || !utf8.ValidString(key) ||
		strings.ContainsFunc(key, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return Errorf(Invalid, "a sign-in counter key must be 1 to %d bytes of text without spaces", SignInKeyLimit)
	}
	return nil
}
