package saml

import (
	"fmt"

	"github.com/beevik/etree"
)

// shape is what checkStructure found in a Response.
type shape struct {
	root      *etree.Element // the Response
	assertion *etree.Element // its one Assertion
	respSig   *etree.Element // the Response's Signature, or nil
	assertSig *etree.Element // the Assertion's Signature, or nil
}

// checkStructure enforces the one shape of Response this package reads
// (security.md §0, 1.2, 1.3): exactly one Assertion, a direct child of the
// Response; no Assertion, EncryptedAssertion or Response anywhere else (in
// Advice, Extensions, a Signature, another Assertion); no ds:Object; at most
// one Signature on the Response and one on the Assertion, each a direct
// child, and no Signature anywhere else; no ID attribute with a namespace
// prefix and no ID value twice, so that a signature's Reference can point at
// one element only. Encrypted content is refused with CheckEncryption.
//
// root is the Response, already checked to be one.
func checkStructure(root *etree.Element) (shape, *Error) {
	s := shape{root: root}
	ids := map[string]bool{}
	if err := collectIDs(root, ids); err != nil {
		return s, err
	}
	var plain, encrypted int
	for _, c := range root.ChildElements() {
		switch {
		case is(c, assertionNS, "Assertion"):
			plain++
			s.assertion = c
		case is(c, assertionNS, "EncryptedAssertion"):
			encrypted++
		}
	}
	if encrypted > 0 {
		return s, encryptionError("the Response holds an EncryptedAssertion")
	}
	switch {
	case plain == 0:
		return s, failf(CheckStructure, "the Response holds no Assertion directly inside it: a successful sign-in response must carry exactly one")
	case plain > 1:
		return s, failf(CheckStructure, "the Response holds %d Assertions; Gatehouse accepts exactly one (a response with several is how assertion-confusion attacks are built)", plain)
	}

	// Walk every element below the root, depth first.
	stack := []*etree.Element{}
	for _, c := range root.ChildElements() {
		stack = append(stack, c)
	}
	for len(stack) > 0 {
		el := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if err := collectIDs(el, ids); err != nil {
			return s, err
		}
		ns, parent := el.NamespaceURI(), el.Parent()
		switch {
		case el.Tag == "Assertion" || el.Tag == "EncryptedAssertion":
			if el != s.assertion {
				return s, failf(CheckStructure, "the Response holds an %s in %s; Gatehouse refuses responses with an assertion anywhere but directly inside the Response (signature wrapping)", el.Tag, where(parent))
			}
		case el.Tag == "Response":
			return s, failf(CheckStructure, "the Response holds another Response in %s (signature wrapping)", where(parent))
		case ns == dsigNS && el.Tag == "Object":
			return s, failf(CheckStructure, "a Signature holds a ds:Object; SAML signatures have none (signature wrapping)")
		case ns == dsigNS && el.Tag == "Signature":
			switch {
			case parent == root && s.respSig == nil:
				s.respSig = el
			case parent == s.assertion && s.assertSig == nil:
				s.assertSig = el
			case parent == root || parent == s.assertion:
				return s, failf(CheckStructure, "%s has more than one Signature", where(parent))
			default:
				return s, failf(CheckStructure, "a Signature sits in %s; only the Response and the Assertion may be signed, each by a Signature directly inside it", where(parent))
			}
		case ns == xmlencNS || el.Tag == "EncryptedID" || el.Tag == "EncryptedAttribute":
			return s, encryptionError(fmt.Sprintf("the Response holds an encrypted %s", el.Tag))
		}
		for _, c := range el.ChildElements() {
			stack = append(stack, c)
		}
	}
	return s, nil
}

// collectIDs records el's ID attribute in ids, refusing a value seen before
// and an ID attribute with a prefix (etree and goxmldsig match x:ID and
// xmlns:ID when they look for ID).
func collectIDs(el *etree.Element, ids map[string]bool) *Error {
	for _, a := range el.Attr {
		if a.Key != "ID" {
			continue
		}
		if a.Space != "" {
			return failf(CheckStructure, "%s has a prefixed ID attribute %s:ID; Gatehouse refuses it so that a signature's reference can point at one element only", where(el), a.Space)
		}
		if ids[a.Value] {
			return failf(CheckStructure, "the ID %s appears on two elements (signature wrapping)", q(a.Value))
		}
		ids[a.Value] = true
	}
	return nil
}

// where names el for a message, such as "the Extensions in the Response".
func where(el *etree.Element) string {
	if el == nil {
		return "the document"
	}
	if p := el.Parent(); p != nil && p.Parent() != nil {
		return fmt.Sprintf("the %s in the %s", el.Tag, p.Tag)
	}
	return "the " + el.Tag
}

func encryptionError(what string) *Error {
	return fail(CheckEncryption,
		"the response is encrypted, and Gatehouse does not accept encrypted assertions: turn off assertion encryption in the IdP (the response already travels over HTTPS)",
		what)
}
