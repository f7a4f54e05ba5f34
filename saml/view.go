package saml

import (
	"strings"
	"time"

	"github.com/beevik/etree"
)

// XML namespaces.
const (
	protocolNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	assertionNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	dsigNS      = "http://www.w3.org/2000/09/xmldsig#"
	xmlencNS    = "http://www.w3.org/2001/04/xmlenc#"
)

const (
	statusSuccess = "urn:oasis:names:tc:SAML:2.0:status:Success"
	bearer        = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
)

// responseView is what the checks read from a Response element.
type responseView struct {
	signed        bool // read from what the Response's signature covers
	ID            string
	Version       string
	InResponseTo  string
	Destination   string
	IssueInstant  time.Time
	Issuer        string
	hasIssuer     bool
	Status        string // top-level StatusCode
	SubStatus     string // second-level StatusCode, if any
	StatusMessage string
}

// assertionView is what the checks read from an Assertion element.
type assertionView struct {
	ID           string
	Version      string
	IssueInstant time.Time
	Issuer       string
	hasIssuer    bool

	hasSubject      bool
	hasNameID       bool
	hasBaseID       bool
	NameID          string
	NameIDFormat    string
	SPNameQualifier string
	bearers         []confirmation // bearer SubjectConfirmations

	hasConditions     bool
	NotBefore         time.Time // of Conditions; zero if absent
	NotOnOrAfter      time.Time
	audiences         [][]string // one list per AudienceRestriction
	unknownConditions []string

	authn      []authnStatement
	attributes []attribute
}

type confirmation struct {
	hasData      bool
	Recipient    string
	InResponseTo string
	NotBefore    time.Time
	NotOnOrAfter time.Time
}

type authnStatement struct {
	SessionIndex        string
	SessionNotOnOrAfter time.Time
}

type attribute struct {
	Name   string
	Values []string
}

// readResponse reads the Response el. Its errors are malformed values.
func readResponse(el *etree.Element) (responseView, *Error) {
	var r responseView
	var err *Error
	r.ID, _ = attr(el, "ID")
	r.Version, _ = attr(el, "Version")
	r.InResponseTo, _ = attr(el, "InResponseTo")
	r.Destination, _ = attr(el, "Destination")
	if r.IssueInstant, err = timeAttr(el, "the Response's IssueInstant", "IssueInstant", true); err != nil {
		return r, err
	}
	if r.Issuer, r.hasIssuer, err = singleText(el, assertionNS, "Issuer", "the Response"); err != nil {
		return r, err
	}
	status, err := single(el, protocolNS, "Status", "the Response")
	if err != nil {
		return r, err
	}
	if status != nil {
		code, err := single(status, protocolNS, "StatusCode", "the Response's Status")
		if err != nil {
			return r, err
		}
		if code != nil {
			r.Status, _ = attr(code, "Value")
			if sub, err := single(code, protocolNS, "StatusCode", "the Response's StatusCode"); err != nil {
				return r, err
			} else if sub != nil {
				r.SubStatus, _ = attr(sub, "Value")
			}
		}
		if r.StatusMessage, _, err = singleText(status, protocolNS, "StatusMessage", "the Response's Status"); err != nil {
			return r, err
		}
	}
	return r, nil
}

// readAssertion reads the Assertion el. Its errors are malformed values and
// elements that appear more often than SAML allows.
func readAssertion(el *etree.Element) (assertionView, *Error) {
	var a assertionView
	var err *Error
	a.ID, _ = attr(el, "ID")
	a.Version, _ = attr(el, "Version")
	if a.IssueInstant, err = timeAttr(el, "the Assertion's IssueInstant", "IssueInstant", true); err != nil {
		return a, err
	}
	if a.Issuer, a.hasIssuer, err = singleText(el, assertionNS, "Issuer", "the Assertion"); err != nil {
		return a, err
	}

	subject, err := single(el, assertionNS, "Subject", "the Assertion")
	if err != nil {
		return a, err
	}
	if subject != nil {
		a.hasSubject = true
		nameID, err := single(subject, assertionNS, "NameID", "the Subject")
		if err != nil {
			return a, err
		}
		if nameID != nil {
			a.hasNameID = true
			a.NameID = text(nameID)
			a.NameIDFormat, _ = attr(nameID, "Format")
			a.SPNameQualifier, _ = attr(nameID, "SPNameQualifier")
		}
		a.hasBaseID = len(children(subject, assertionNS, "BaseID")) > 0
		for _, sc := range children(subject, assertionNS, "SubjectConfirmation") {
			if method, _ := attr(sc, "Method"); method != bearer {
				continue
			}
			var c confirmation
			data, err := single(sc, assertionNS, "SubjectConfirmationData", "the bearer SubjectConfirmation")
			if err != nil {
				return a, err
			}
			if data != nil {
				c.hasData = true
				c.Recipient, _ = attr(data, "Recipient")
				c.InResponseTo, _ = attr(data, "InResponseTo")
				if c.NotBefore, err = timeAttr(data, "the SubjectConfirmationData's NotBefore", "NotBefore", false); err != nil {
					return a, err
				}
				if c.NotOnOrAfter, err = timeAttr(data, "the SubjectConfirmationData's NotOnOrAfter", "NotOnOrAfter", false); err != nil {
					return a, err
				}
			}
			a.bearers = append(a.bearers, c)
		}
	}

	conditions, err := single(el, assertionNS, "Conditions", "the Assertion")
	if err != nil {
		return a, err
	}
	if conditions != nil {
		a.hasConditions = true
		if a.NotBefore, err = timeAttr(conditions, "the Conditions' NotBefore", "NotBefore", false); err != nil {
			return a, err
		}
		if a.NotOnOrAfter, err = timeAttr(conditions, "the Conditions' NotOnOrAfter", "NotOnOrAfter", false); err != nil {
			return a, err
		}
		for _, c := range conditions.ChildElements() {
			switch {
			case is(c, assertionNS, "AudienceRestriction"):
				var list []string
				for _, aud := range children(c, assertionNS, "Audience") {
					list = append(list, text(aud))
				}
				a.audiences = append(a.audiences, list)
			case is(c, assertionNS, "OneTimeUse"), is(c, assertionNS, "ProxyRestriction"):
			default:
				a.unknownConditions = append(a.unknownConditions, c.FullTag())
			}
		}
	}

	for _, s := range children(el, assertionNS, "AuthnStatement") {
		var st authnStatement
		st.SessionIndex, _ = attr(s, "SessionIndex")
		if st.SessionNotOnOrAfter, err = timeAttr(s, "the AuthnStatement's SessionNotOnOrAfter", "SessionNotOnOrAfter", false); err != nil {
			return a, err
		}
		a.authn = append(a.authn, st)
	}
	for _, s := range children(el, assertionNS, "AttributeStatement") {
		for _, at := range children(s, assertionNS, "Attribute") {
			name, _ := attr(at, "Name")
			var values []string
			for _, v := range children(at, assertionNS, "AttributeValue") {
				values = append(values, text(v))
			}
			a.attributes = append(a.attributes, attribute{Name: name, Values: values})
		}
	}
	return a, nil
}

// attr returns the value of el's attribute name that has no namespace
// prefix. etree's SelectAttr also matches prefixed attributes and namespace
// declarations of that name (xmlns:Recipient="..."), which exclusive
// canonicalization leaves out of what is signed.
func attr(el *etree.Element, name string) (string, bool) {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return a.Value, true
		}
	}
	return "", false
}

// is reports whether el is the element local in namespace ns.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// children returns el's child elements local in namespace ns.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// single returns el's only child element local in namespace ns, nil if
// there is none, and an error if there are several. in names el for the
// message.
func single(el *etree.Element, ns, local, in string) (*etree.Element, *Error) {
	cs := children(el, ns, local)
	switch len(cs) {
	case 0:
		return nil, nil
	case 1:
		return cs[0], nil
	}
	return nil, failf(CheckStructure, "%s has %d %s elements; SAML allows one", in, len(cs), local)
}

// singleText is single returning the element's text.
func singleText(el *etree.Element, ns, local, in string) (string, bool, *Error) {
	c, err := single(el, ns, local, in)
	if err != nil || c == nil {
		return "", false, err
	}
	return text(c), true, nil
}

// text returns the text directly inside el: its character data and CDATA
// sections joined, comments skipped. A comment inside a NameID therefore
// never shortens it (security.md 1.1); in what a signature covers there are
// no comments anyway, since exclusive C14N removes them.
func text(el *etree.Element) string {
	var b strings.Builder
	for _, t := range el.Child {
		if cd, ok := t.(*etree.CharData); ok {
			b.WriteString(cd.Data)
		}
	}
	return b.String()
}

// timeAttr reads el's attribute name as an xs:dateTime in UTC. A missing
// attribute is the zero time, or an error if required; what names it for
// the message.
func timeAttr(el *etree.Element, what, name string, required bool) (time.Time, *Error) {
	s, ok := attr(el, name)
	if !ok {
		if required {
			return time.Time{}, failf(CheckTime, "%s is missing", what)
		}
		return time.Time{}, nil
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, failf(CheckTime, "%s %s is not a UTC date and time such as 2026-01-02T15:04:05Z: the IdP sent a malformed time", what, q(s))
	}
	return t, nil
}

// parseTime parses an xs:dateTime in UTC, as SAML requires (saml-core
// §1.3.3): 2006-01-02T15:04:05Z, optionally with a fraction of a second.
func parseTime(s string) (time.Time, error) {
	if !strings.HasSuffix(s, "Z") {
		return time.Time{}, &time.ParseError{Layout: time.RFC3339Nano, Value: s, Message: ": not in UTC"}
	}
	return time.Parse(time.RFC3339Nano, s)
}
