// Package canon computes the canonical key that every case-insensitive
// uniqueness rule and lookup in Gatehouse uses: usernames, emails, group paths,
// SCIM userName and extern_uid. The key is computed in Go and stored in its own
// indexed column, so SQLite and PostgreSQL apply exactly the same rule (no
// COLLATE NOCASE or lower(), which differ between the two and ignore most of
// Unicode).
package canon

import (
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Key returns the canonical form of s: Unicode NFC, then full case folding,
// then NFC again (folding can leave a string unnormalised). Two strings that
// differ only in letter case or in composed versus decomposed accents have
// the same key: Key("ÜNAL@x") == Key("ünal@x") == Key("u\u0308nal@x").
//
// Key is safe for concurrent use.
func Key(s string) string {
	// cases.Caser is stateful and not safe for concurrent use, so each call
	// takes its own; it is small.
	return norm.NFC.String(cases.Fold().String(norm.NFC.String(s)))
}
