package scimlog

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gatehouse-sso/gatehouse"
)

// Filtered is what a secret is replaced with.
const Filtered = "[FILTERED]"

// filteredJSON replaces a JSON value, keeping the document valid.
const filteredJSON = `"` + Filtered + `"`

// secretFragments are the parts of a key (folded to lowercase ASCII, without
// punctuation) that make its value secret: password, newPassword,
// client_secret, access_token, refreshToken, x-api-key and the like. The
// list errs towards redacting: a log that hides a harmless value costs
// little, one that shows a password costs a lot.
var secretFragments = []string{"password", "passwd", "secret", "token", "apikey", "privatekey", "authorization", "cookie", "credential"}

// secretName reports whether a key, a query parameter or a SCIM attribute
// names a secret. A URN-qualified name
// (urn:ietf:params:scim:schemas:core:2.0:User:password) is judged by its
// last part. Letters are compared after Unicode case folding, so that
// "PaSSWORD" and "paſsword" (long s) count as well: ParseUser and
// encoding/json match keys that loosely too.
func secretName(name string) bool {
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		name = name[i+1:]
	}
	var buf [64]byte
	norm := buf[:0]
	for _, r := range name {
		if r >= utf8.RuneSelf {
			r = asciiFold(r)
		}
		switch {
		case 'A' <= r && r <= 'Z':
			norm = append(norm, byte(r)+'a'-'A')
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			norm = append(norm, byte(r))
		}
	}
	if string(norm) == "pwd" {
		return true
	}
	for _, f := range secretFragments {
		if bytes.Contains(norm, []byte(f)) {
			return true
		}
	}
	return false
}

// asciiFold returns the ASCII letter r folds to under Unicode simple case
// folding (the Kelvin sign to k, long s to s), or r itself.
func asciiFold(r rune) rune {
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < utf8.RuneSelf {
			return f
		}
	}
	return r
}

// secretPath reports whether a SCIM PATCH path names a secret attribute:
// "password", "urn:…:User:password", or a sub-attribute of one.
func secretPath(path string) bool {
	if i := strings.IndexByte(path, '['); i >= 0 {
		// A value path: emails[type eq "work"].value; the filter is data.
		rest := path[i:]
		path = path[:i]
		if j := strings.IndexByte(rest, ']'); j >= 0 {
			path += rest[j+1:]
		}
	}
	for part := range strings.SplitSeq(path, ".") {
		if secretName(part) {
			return true
		}
	}
	return false
}

// RedactBody returns a request or response body as the SCIM request log
// keeps it (behaviour.md decision 24):
//
//   - In a JSON body, the value of every member whose name is a secret
//     (password, token, secret, access_token, client_secret and their
//     variants, in any case and at any depth) becomes "[FILTERED]", whatever
//     its type; so does the value of a PATCH operation whose path names one
//     ({"op":"replace","path":"password","value":"…"}, as Entra ID and
//     Okta send). The result is still valid JSON.
//   - A body that is not valid JSON (cut short, or not JSON at all) gets the
//     same treatment on a best-effort scan: "name": value pairs,
//     name=value pairs and PATCH values as above; then it is kept as it is.
//   - Gatehouse tokens (gth_scim_…, gth_pat_…) are filtered wherever they
//     appear.
//   - The result is valid UTF-8 without NULs, at most
//     gatehouse.SCIMLogBodyLimit bytes; a longer one is cut at a character
//     boundary and ends with "…[truncated N bytes]".
//
// omitted is how many bytes followed body that the caller did not keep (a
// response captured only in part); they count towards the truncation
// marker. Redaction is the caller's duty, never the store's.
func RedactBody(body []byte, omitted int) string {
	if len(body) == 0 {
		return gatehouse.ClampSCIMLogBody("", omitted)
	}
	var cuts []cut
	if p := (parser{in: body}); p.document() {
		cuts = p.cuts
	} else {
		cuts = scanLenient(body)
	}
	out := apply(body, cuts)
	out = filterTokens(out)
	return gatehouse.ClampSCIMLogBody(string(out), omitted)
}

// cut is a range of the input replaced by with.
type cut struct {
	start, end int
	with       string
}

// apply returns in with the cuts made. Cuts may nest (a secret member
// inside the value of a secret PATCH operation); the outer one wins.
func apply(in []byte, cuts []cut) []byte {
	if len(cuts) == 0 {
		return in
	}
	slices.SortFunc(cuts, func(a, b cut) int {
		if a.start != b.start {
			return a.start - b.start
		}
		return b.end - a.end // the longer first
	})
	out := make([]byte, 0, len(in))
	pos := 0
	for _, c := range cuts {
		if c.start < pos {
			continue // inside one already made
		}
		out = append(out, in[pos:c.start]...)
		out = append(out, c.with...)
		pos = c.end
	}
	return append(out, in[pos:]...)
}

// tokenPrefixes are the prefixes of Gatehouse's secrets.
var tokenPrefixes = [][]byte{[]byte(gatehouse.SCIMTokenPrefix), []byte(gatehouse.PATPrefix)}

// filterTokens replaces the secret part of every Gatehouse token in b.
func filterTokens(b []byte) []byte {
	if !bytes.Contains(b, []byte("gth_")) {
		return b
	}
	var out []byte
	pos := 0
	for i := 0; i < len(b); i++ {
		for _, p := range tokenPrefixes {
			if !bytes.HasPrefix(b[i:], p) {
				continue
			}
			j := i + len(p)
			for j < len(b) && isBase64URL(b[j]) {
				j++
			}
			if j > i+len(p) {
				out = append(out, b[pos:i+len(p)]...)
				out = append(out, Filtered...)
				pos = j
				i = j - 1
			}
			break
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[pos:]...)
}

func isBase64URL(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_'
}

// maxDepth bounds the nesting the parser follows; deeper documents are
// scanned leniently instead (the SCIM parser refuses them anyway).
const maxDepth = 256

// parser walks a JSON document and records the cuts RedactBody makes. It
// checks the structure only as far as redaction needs: a document it
// accepts has every member name and value where JSON puts them.
type parser struct {
	in    []byte
	pos   int
	depth int
	cuts  []cut
}

// document parses the whole input as one JSON value.
func (p *parser) document() bool {
	p.space()
	if !p.value() {
		return false
	}
	p.space()
	return p.pos == len(p.in)
}

func (p *parser) space() {
	for p.pos < len(p.in) {
		switch p.in[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// value parses one value at p.pos.
func (p *parser) value() bool {
	if p.pos >= len(p.in) {
		return false
	}
	switch p.in[p.pos] {
	case '{':
		return p.object()
	case '[':
		return p.array()
	case '"':
		_, ok := p.str()
		return ok
	case ',', ':', '}', ']':
		return false
	}
	// A number, true, false or null.
	start := p.pos
	for p.pos < len(p.in) && !structural(p.in[p.pos]) {
		p.pos++
	}
	return literal(p.in[start:p.pos])
}

// literal reports whether b is true, false, null or a JSON number.
func literal(b []byte) bool {
	switch string(b) {
	case "true", "false", "null":
		return true
	case "":
		return false
	}
	return (b[0] == '-' || '0' <= b[0] && b[0] <= '9') && json.Valid(b)
}

func structural(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':', '"', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

// str parses a string at p.pos and returns its raw form, quotes included.
func (p *parser) str() ([]byte, bool) {
	start := p.pos
	end, ok := stringEnd(p.in, p.pos)
	if !ok {
		return nil, false
	}
	p.pos = end
	return p.in[start:end], true
}

// stringEnd returns the offset just past the string that starts at in[i],
// and false when it is not closed.
func stringEnd(in []byte, i int) (int, bool) {
	for i++; i < len(in); i++ {
		switch in[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return len(in), false
}

// text decodes a raw JSON string; escapes are rare in names, so only then
// does it pay for encoding/json.
func text(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw[1 : len(raw)-1])
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return string(raw[1 : len(raw)-1])
	}
	return s
}

// object parses an object, cutting the values of secret members and, when
// the object is a PATCH operation on a secret path, its value.
func (p *parser) object() bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.pos++ // {
	secretOp := false
	var values []cut // every "value" member: a name may come twice
	for first := true; ; first = false {
		p.space()
		if p.pos < len(p.in) && p.in[p.pos] == '}' && first {
			p.pos++
			break
		}
		if p.pos >= len(p.in) || p.in[p.pos] != '"' {
			return false
		}
		rawKey, ok := p.str()
		if !ok {
			return false
		}
		p.space()
		if p.pos >= len(p.in) || p.in[p.pos] != ':' {
			return false
		}
		p.pos++
		p.space()
		start := p.pos
		if !p.value() {
			return false
		}
		key := text(rawKey)
		switch {
		case secretName(key):
			p.cuts = append(p.cuts, cut{start, p.pos, filteredJSON})
		case strings.EqualFold(key, "path") && p.in[start] == '"':
			secretOp = secretOp || secretPath(text(p.in[start:p.pos]))
		case strings.EqualFold(key, "value"):
			values = append(values, cut{start, p.pos, filteredJSON})
		}
		p.space()
		if p.pos >= len(p.in) {
			return false
		}
		if p.in[p.pos] == '}' {
			p.pos++
			break
		}
		if p.in[p.pos] != ',' {
			return false
		}
		p.pos++
	}
	if secretOp {
		p.cuts = append(p.cuts, values...)
	}
	return true
}

func (p *parser) array() bool {
	if p.depth++; p.depth > maxDepth {
		return false
	}
	defer func() { p.depth-- }()
	p.pos++ // [
	for first := true; ; first = false {
		p.space()
		if p.pos < len(p.in) && p.in[p.pos] == ']' && first {
			p.pos++
			return true
		}
		if !p.value() {
			return false
		}
		p.space()
		if p.pos >= len(p.in) {
			return false
		}
		if p.in[p.pos] == ']' {
			p.pos++
			return true
		}
		if p.in[p.pos] != ',' {
			return false
		}
		p.pos++
	}
}

// scanLenient finds the cuts of a body that is not valid JSON: after a
// quoted or bare name followed by ':' or '=', a secret name's value is cut
// (a string, a bracketed value to its matching bracket, or a bare word);
// and when any "path" names a secret, so is every "value". Anything cut
// short runs to the end of the body.
func scanLenient(in []byte) []cut {
	var (
		cuts     []cut
		values   []cut
		secretOp bool
	)
	for i := 0; i < len(in); {
		// Read a name: a string, or a bare word.
		var name string
		switch c := in[i]; {
		case c == '"':
			end, closed := stringEnd(in, i)
			if closed {
				name = text(in[i:end])
			} else {
				name = string(in[i+1:])
			}
			i = end
		case isWord(c):
			start := i
			for i < len(in) && isWord(in[i]) {
				i++
			}
			name = string(in[start:i])
		default:
			i++
			continue
		}
		// A separator makes it a name.
		j := i
		for j < len(in) && (in[j] == ' ' || in[j] == '\t') {
			j++
		}
		if j >= len(in) || (in[j] != ':' && in[j] != '=') {
			continue
		}
		sep := in[j]
		j++
		for j < len(in) && (in[j] == ' ' || in[j] == '\t') {
			j++
		}
		end, jsonValue := valueEnd(in, j, sep)
		with := Filtered
		if jsonValue {
			with = filteredJSON
		}
		switch {
		case secretName(name):
			cuts = append(cuts, cut{j, end, with})
		case strings.EqualFold(name, "path"):
			secretOp = secretOp || secretPath(strings.Trim(string(in[j:end]), `"`))
		case strings.EqualFold(name, "value"):
			values = append(values, cut{j, end, with})
		}
		if secretName(name) {
			i = end // the secret is not scanned for names
		}
	}
	if secretOp {
		cuts = append(cuts, values...)
	}
	return cuts
}

// isWord reports whether c may be part of a bare name (query-string or
// header style: client_secret=…, x-api-key: …).
func isWord(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// valueEnd returns where the value that starts at in[i] ends, and whether
// it is a JSON string, object or array (replaced by a JSON string, not a
// bare word). A string ends at its closing quote, an object or array at its
// matching bracket (or the end of the input); a bare value after ':' at the
// end of the line or a JSON delimiter, after '=' at '&', ';' or white space.
func valueEnd(in []byte, i int, sep byte) (int, bool) {
	if i >= len(in) {
		return i, false
	}
	switch in[i] {
	case '"':
		end, _ := stringEnd(in, i)
		return end, true
	case '{', '[':
		depth := 0
		for j := i; j < len(in); j++ {
			switch in[j] {
			case '"':
				end, _ := stringEnd(in, j)
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1, true
				}
			}
		}
		return len(in), true
	}
	j := i
	for j < len(in) {
		c := in[j]
		if c == '\n' || c == '\r' || (sep == ':' && (c == ',' || c == '}' || c == ']')) ||
			(sep == '=' && (c == '&' || c == ';' || c == ' ' || c == '\t')) {
			break
		}
		j++
	}
	return j, false
}

// RedactQuery returns a raw query string with the value of every parameter
// whose name is a secret (access_token, token, client_secret, …) replaced
// by "[FILTERED]"; everything else is kept as the client sent it.
func RedactQuery(rawQuery string) string {
	if rawQuery == "" {
		return ""
	}
	parts := strings.Split(rawQuery, "&")
	for i, part := range parts {
		name, _, hasValue := strings.Cut(part, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if hasValue && secretName(name) {
			raw, _, _ := strings.Cut(part, "=")
			parts[i] = raw + "=" + Filtered
		}
	}
	return strings.Join(parts, "&")
}

// Path returns the path and redacted query of u as the SCIM request log
// shows it.
func Path(u *url.URL) string {
	if u.RawQuery == "" {
		return u.Path
	}
	return u.Path + "?" + RedactQuery(u.RawQuery)
}
