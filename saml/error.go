package saml

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The checks ParseResponse makes, in the order it makes them. A Verdict and
// an *Error name them with these values.
const (
	CheckConfig       = "configuration"  // the group's SP and IdP settings are usable
	CheckSize         = "size"           // the form value and the decoded XML are within limits
	CheckEncoding     = "encoding"       // the form value is base64
	CheckXML          = "xml"            // well-formed, no DOCTYPE, within depth and token limits
	CheckResponse     = "response"       // a SAML 2.0 Response with an ID
	CheckStatus       = "status"         // the IdP reports Success
	CheckStructure    = "structure"      // one Assertion, directly in the Response, nothing wrapped
	CheckEncryption   = "encryption"     // nothing encrypted (not supported)
	CheckSigned       = "signed"         // the Response or the Assertion carries a signature
	CheckAlgorithm    = "algorithm"      // signature shape and algorithms are allowed
	CheckCertificate  = "certificate"    // the signing certificate is trusted
	CheckSignature    = "signature"      // the signature verifies
	CheckIssuer       = "issuer"         // Response and Assertion Issuer are the IdP's entity ID
	CheckDestination  = "destination"    // the Response is addressed to this group's ACS
	CheckRecipient    = "recipient"      // the bearer confirmation names this group's ACS
	CheckAudience     = "audience"       // every AudienceRestriction names this group's entity ID
	CheckTime         = "time"           // validity windows, issue instants, assertion age
	CheckInResponseTo = "in response to" // answers a request of this group, or is an allowed IdP-initiated one
	CheckSubject      = "subject"        // an acceptable NameID
	CheckAssertion    = "assertion"      // the rest of the assertion's shape (version, ID, AuthnStatement, conditions)
)

// Error is a response, request or metadata that Gatehouse refuses.
type Error struct {
	Check   string // the failed check, one of the Check constants ("metadata" for ParseIdPMetadata)
	Public  string // what failed and what to change; safe to show, never raw XML
	Private string // Public with the technical detail, for the log
}

func (e *Error) Error() string {
	return "saml " + e.Check + ": " + e.Private
}

// Check is one check of a response and its outcome.
type Check struct {
	Name   string // one of the Check constants
	OK     bool
	Detail string // what was found; for a failure, the error's Private text
}

// Verdict is what ParseResponse found, for the group's SAML log and the
// owner's "why did this fail" view.
type Verdict struct {
	// Checks are the checks made, in order; a failure is the last one.
	Checks []Check
	// XML is the decoded response with signature values and certificates
	// trimmed, at most MaxVerdictXML bytes. It never holds secrets: a
	// response carries none once its signatures are trimmed.
	XML string
	// InResponseTo is the Response's InResponseTo as received, verified or
	// not: it says which request a refused response claims to answer, so
	// that the caller can route its result (an owner's test of the
	// configuration, say). Never trust it for anything else.
	InResponseTo string
}

// Failed returns the failed check, if there is one.
func (v *Verdict) Failed() (Check, bool) {
	if n := len(v.Checks); n > 0 && !v.Checks[n-1].OK {
		return v.Checks[n-1], true
	}
	return Check{}, false
}

// pass records a passed check, once per name.
func (v *Verdict) pass(name, format string, args ...any) {
	for _, c := range v.Checks {
		if c.Name == name {
			return
		}
	}
	v.Checks = append(v.Checks, Check{Name: name, OK: true, Detail: fmt.Sprintf(format, args...)})
}

// note records a passed check, or adds detail to it if it was recorded.
func (v *Verdict) note(name, detail string) {
	for i, c := range v.Checks {
		if c.Name == name {
			v.Checks[i].Detail += "; " + detail
			return
		}
	}
	v.Checks = append(v.Checks, Check{Name: name, OK: true, Detail: detail})
}

// fail records the failed check.
func (v *Verdict) fail(e *Error) {
	v.Checks = append(v.Checks, Check{Name: e.Check, Detail: e.Private})
}

// fail returns an *Error for check. public says what failed and what to do;
// detail, if not empty, is added for the log.
func fail(check, public, detail string) *Error {
	e := &Error{Check: check, Public: public, Private: public}
	if detail != "" {
		e.Private = public + " (" + detail + ")"
	}
	return e
}

// failf is fail with a formatted public message and no detail.
func failf(check, format string, args ...any) *Error {
	return fail(check, fmt.Sprintf(format, args...), "")
}

func configError(format string, args ...any) *Error {
	return failf(CheckConfig, format, args...)
}

// q quotes a value read from a response for a message: at most 200 bytes of
// it, Go-quoted, with < and > escaped so that no markup survives.
func q(s string) string {
	const max = 200
	cut := ""
	if len(s) > max {
		i := max
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s, cut = s[:i], "…"
	}
	return noMarkup(strconv.Quote(s)) + cut
}

// noMarkup escapes < and > in a message, so that none of it reads as XML
// or HTML.
func noMarkup(s string) string {
	return strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(s)
}
