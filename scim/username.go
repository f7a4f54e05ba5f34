package scim

import (
	"iter"
	"math/rand/v2"
	"strconv"
	"strings"
)

// maxUsername is the longest username the path grammar allows.
const maxUsername = 255

// reservedUsernames are the words the path grammar reserves (behaviour
// decision 21); they match in any case.
var reservedUsernames = map[string]bool{
	"api": true, "users": true, "groups": true, "-": true,
	"admin": true, "assets": true, "static": true,
}

// SanitizeUsername derives an account username from a SCIM userName, the way
// GitLab's ExternalUsernameSanitizer does (behaviour Part B §1.10.4), so that
// the result always satisfies the username grammar of decision 21:
//
//  1. an email-like userName keeps only its local part ("alice@example.com"
//     gives "alice"), as GitLab's slug does;
//  2. Latin letters with diacritics become their ASCII base letters ("José"
//     gives "Jose"; GitLab drops them), and every other character outside
//     A-Z a-z 0-9 _ . - is dropped; letter case is kept;
//  3. runs of '.', '_' and '-' collapse to their first character, and those
//     characters are stripped from both ends, as are trailing ".git" and
//     ".atom"; the result is cut to 255 bytes;
//  4. an empty result becomes "user", an all-digit one gets the prefix
//     "user-" (digits alone name a numeric id), and a reserved word gets the
//     suffix "1" ("admin" gives "admin1", as in GitLab).
//
// Making the name unique is the caller's job; see UsernameCandidates.
func SanitizeUsername(userName string) string {
	if i := strings.IndexByte(userName, '@'); i >= 0 {
		userName = userName[:i]
	}
	var b strings.Builder
	var last byte // the last separator written, or 0
	for _, r := range userName {
		var s string
		switch {
		case r < 0x80 && allowedUsernameByte(byte(r)):
			s = string(r)
		default:
			s = transliterate(r)
		}
		for i := 0; i < len(s); i++ {
			c := s[i]
			if isSeparator(c) {
				if last != 0 {
					continue
				}
				last = c
			} else {
				last = 0
			}
			b.WriteByte(c)
		}
	}
	s := trimUsername(b.String())
	if len(s) > maxUsername {
		s = trimUsername(s[:maxUsername])
	}
	switch {
	case s == "":
		return "user"
	case allDigits(s):
		return trimUsername(truncate("user-"+s, maxUsername))
	case reservedUsernames[strings.ToLower(s)]:
		return s + "1"
	}
	return s
}

// trimUsername strips separators from both ends and trailing ".git" and
// ".atom" until none is left.
func trimUsername(s string) string {
	for {
		before := s
		s = strings.TrimLeft(s, "._-")
		s = strings.TrimRight(s, "._-")
		lower := strings.ToLower(s)
		for _, suffix := range []string{".git", ".atom"} {
			if strings.HasSuffix(lower, suffix) {
				s = s[:len(s)-len(suffix)]
				break
			}
		}
		if s == before {
			return s
		}
	}
}

// The number of plain numeric and of random candidates UsernameCandidates
// yields.
const (
	numberedCandidates = 4
	randomCandidates   = 16
)

// UsernameCandidates yields account usernames to try, in order, until the
// caller finds one that is free: base, then base1 to base4, then 16 names
// with a random suffix (base-k3x9qz), as GitLab does after four tries. Every
// name yielded satisfies the username grammar, base cut short when needed to
// leave room for the suffix. base should come from SanitizeUsername; one
// that breaks the grammar is sanitised first. The sequence is finite (at
// most 21 names), so a caller that finds every name taken must fail.
func UsernameCandidates(base string) iter.Seq[string] {
	if !validUsername(base) {
		base = SanitizeUsername(base)
	}
	return func(yield func(string) bool) {
		if !yield(base) {
			return
		}
		for i := 1; i <= numberedCandidates; i++ {
			if c := withSuffix(base, strconv.Itoa(i)); validUsername(c) && !yield(c) {
				return
			}
		}
		for range randomCandidates {
			suffix := randomSuffix()
			if !isSeparator(base[len(base)-1]) {
				suffix = "-" + suffix
			}
			if c := withSuffix(base, suffix); validUsername(c) && !yield(c) {
				return
			}
		}
	}
}

// withSuffix appends suffix to base, cutting base to keep within the limit.
func withSuffix(base, suffix string) string {
	if len(base)+len(suffix) > maxUsername {
		base = base[:maxUsername-len(suffix)]
	}
	return base + suffix
}

const suffixAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func randomSuffix() string {
	var b [6]byte
	for i := range b {
		b[i] = suffixAlphabet[rand.IntN(len(suffixAlphabet))]
	}
	return string(b[:])
}

// validUsername applies the username grammar of behaviour decision 21:
// ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$, not all digits, no "..", not ending
// in ".", ".git" or ".atom", not a reserved word.
func validUsername(s string) bool {
	if s == "" || len(s) > maxUsername || s[0] == '.' || s[0] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !allowedUsernameByte(s[i]) {
			return false
		}
	}
	lower := strings.ToLower(s)
	return !allDigits(s) && !strings.Contains(s, "..") &&
		!strings.HasSuffix(s, ".") && !strings.HasSuffix(lower, ".git") && !strings.HasSuffix(lower, ".atom") &&
		!reservedUsernames[lower]
}

func allowedUsernameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || isSeparator(c)
}

func isSeparator(c byte) bool { return c == '.' || c == '_' || c == '-' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// transliterate gives the ASCII spelling of a Latin letter with a
// diacritic (Latin-1 Supplement and Latin Extended-A), or "" for any other
// character.
func transliterate(r rune) string { return latin[r] }

// latin maps the letters of Latin-1 Supplement and Latin Extended-A to
// ASCII. Combining marks (a decomposed "é") need no entry: the mark is
// dropped and the base letter stays.
var latin = func() map[rune]string {
	m := map[rune]string{}
	for _, g := range []struct{ from, to string }{
		{"ÀÁÂÃÄÅĀĂĄ", "A"}, {"àáâãäåāăą", "a"}, {"Æ", "AE"}, {"æ", "ae"},
		{"ÇĆĈĊČ", "C"}, {"çćĉċč", "c"}, {"ÐĎĐ", "D"}, {"ðďđ", "d"},
		{"ÈÉÊËĒĔĖĘĚ", "E"}, {"èéêëēĕėęě", "e"}, {"ĜĞĠĢ", "G"}, {"ĝğġģ", "g"},
		{"ĤĦ", "H"}, {"ĥħ", "h"}, {"ÌÍÎÏĨĪĬĮİ", "I"}, {"ìíîïĩīĭįı", "i"},
		{"Ĳ", "IJ"}, {"ĳ", "ij"}, {"Ĵ", "J"}, {"ĵ", "j"}, {"Ķ", "K"}, {"ķĸ", "k"},
		{"ĹĻĽĿŁ", "L"}, {"ĺļľŀł", "l"}, {"ÑŃŅŇŊ", "N"}, {"ñńņňŉŋ", "n"},
		{"ÒÓÔÕÖØŌŎŐ", "O"}, {"òóôõöøōŏő", "o"}, {"Œ", "OE"}, {"œ", "oe"},
		{"ŔŖŘ", "R"}, {"ŕŗř", "r"}, {"ŚŜŞŠ", "S"}, {"śŝşšſ", "s"}, {"ß", "ss"},
		{"ŢŤŦ", "T"}, {"ţťŧ", "t"}, {"Þ", "TH"}, {"þ", "th"},
		{"ÙÚÛÜŨŪŬŮŰŲ", "U"}, {"ùúûüũūŭůűų", "u"}, {"Ŵ", "W"}, {"ŵ", "w"},
		{"ÝŶŸ", "Y"}, {"ýÿŷ", "y"}, {"ŹŻŽ", "Z"}, {"źżž", "z"},
	} {
		for _, r := range g.from {
			m[r] = g.to
		}
	}
	return m
}()
