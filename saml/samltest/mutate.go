package samltest

import (
	"strings"
	"testing"

	"github.com/beevik/etree"
)

// Mutate parses a response, lets f change its root element, and writes it
// back without signing anything again: what an attacker holding a genuine
// response can send.
func Mutate(t testing.TB, xml []byte, f func(root *etree.Element)) []byte {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(xml); err != nil {
		t.Fatalf("samltest: mutate: %v", err)
	}
	f(doc.Root())
	b, err := doc.WriteToBytes()
	if err != nil {
		t.Fatalf("samltest: mutate: %v", err)
	}
	return b
}

// Child returns el's first child element with the local name tag, or nil.
func Child(el *etree.Element, tag string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

// Path follows child elements by local name from el: Path(r, "Assertion",
// "Subject", "NameID"). It returns nil if one is missing.
func Path(el *etree.Element, tags ...string) *etree.Element {
	for _, tag := range tags {
		if el == nil {
			return nil
		}
		el = Child(el, tag)
	}
	return el
}

// SetNameID replaces the NameID of the assertion a.
func SetNameID(a *etree.Element, v string) {
	Path(a, "Subject", "NameID").SetText(v)
}

// NameID returns the NameID text of the assertion a.
func NameID(a *etree.Element) string {
	return Path(a, "Subject", "NameID").Text()
}

// RemoveSignature removes el's Signature child, if it has one.
func RemoveSignature(el *etree.Element) {
	if sig := Child(el, "Signature"); sig != nil {
		el.RemoveChild(sig)
	}
}

// SplitWithComment rewrites el's text v as v[:at], an empty comment and
// v[at:], which leaves a signature over el valid (exclusive C14N drops
// comments) and fools a reader that takes the first text node only.
func SplitWithComment(el *etree.Element, at int) {
	v := el.Text()
	el.SetText(v[:at])
	el.CreateComment("")
	el.CreateText(v[at:])
}

// The signature wrapping attacks, named as SAML Raider and "On Breaking
// SAML" (Somorovsky et al., 2012) name them. Each takes a genuine response
// and evil, which turns a copy of the assertion into the attacker's (it
// usually changes the NameID), and returns the attack. XSW1 and XSW2 need a
// signed Response; XSW3 to XSW8 a signed Assertion in an unsigned Response.

// XSW1 moves the signed Response, without its signature, into the
// Signature of an evil copy that carries a new ID.
func XSW1(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		original := keepOriginal(r, "_evil_response")
		evil(Child(r, "Assertion"))
		Child(r, "Signature").AddChild(original)
	})
}

// XSW2 is XSW1 with the original Response beside the Signature, before it.
func XSW2(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		original := keepOriginal(r, "_evil_response")
		evil(Child(r, "Assertion"))
		sig := Child(r, "Signature")
		r.InsertChildAt(sig.Index(), original)
	})
}

// XSW3 puts an evil, unsigned copy of the assertion with a new ID before the
// signed one.
func XSW3(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		a := Child(r, "Assertion")
		r.InsertChildAt(a.Index(), evilCopy(a, "_evil_assertion", evil))
	})
}

// XSW4 wraps the signed assertion in an evil copy with a new ID.
func XSW4(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		a := Child(r, "Assertion")
		e := evilCopy(a, "_evil_assertion", evil)
		r.InsertChildAt(a.Index(), e)
		r.RemoveChild(a)
		e.AddChild(a)
	})
}

// XSW5 changes the assertion in place, keeping its signature, and appends
// an unchanged, unsigned copy of the original (with the ID the signature
// references) at the end of the Response.
func XSW5(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		a := Child(r, "Assertion")
		original := keepOriginal(a, "_evil_assertion")
		evil(a)
		r.AddChild(original)
	})
}

// XSW6 is XSW5 with the original inside the evil assertion's Signature.
func XSW6(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		a := Child(r, "Assertion")
		original := keepOriginal(a, "_evil_assertion")
		evil(a)
		Child(a, "Signature").AddChild(original)
	})
}

// XSW7 adds an Extensions element holding an evil, unsigned copy of the
// assertion, leaving the signed assertion in place: an SP that reads the
// first Assertion anywhere reads the evil one.
func XSW7(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		ext := etree.NewElement("samlp:Extensions")
		ext.AddChild(evilCopy(Child(r, "Assertion"), "", evil))
		r.InsertChildAt(Child(r, "Status").Index(), ext)
	})
}

// XSW8 is XSW6 with the original inside a ds:Object in the Signature.
func XSW8(t testing.TB, xml []byte, evil func(a *etree.Element)) []byte {
	return Mutate(t, xml, func(r *etree.Element) {
		a := Child(r, "Assertion")
		original := keepOriginal(a, "_evil_assertion")
		evil(a)
		sig := Child(a, "Signature")
		obj := sig.CreateElement(prefix(sig) + "Object")
		obj.AddChild(original)
	})
}

// keepOriginal returns an unsigned copy of el, the element its signature
// covers, and gives el itself the ID id, for the wrapping variants that
// turn the signed element evil in place and hide the original elsewhere.
func keepOriginal(el *etree.Element, id string) *etree.Element {
	original := el.Copy()
	RemoveSignature(original)
	el.SelectAttr("ID").Value = id
	return original
}

// evilCopy returns an unsigned copy of el, with the ID id (unless id is
// empty), changed by evil.
func evilCopy(el *etree.Element, id string, evil func(a *etree.Element)) *etree.Element {
	e := el.Copy()
	RemoveSignature(e)
	if id != "" {
		e.SelectAttr("ID").Value = id
	}
	evil(e)
	return e
}

// prefix returns el's namespace prefix with its colon, or "".
func prefix(el *etree.Element) string {
	if el.Space == "" {
		return ""
	}
	return el.Space + ":"
}

// InsertBeforeRoot puts s (a DOCTYPE, say) between the XML declaration, if
// any, and the root element.
func InsertBeforeRoot(xml []byte, s string) []byte {
	x := string(xml)
	if strings.HasPrefix(x, "<?xml") {
		i := strings.Index(x, "?>") + 2
		return []byte(x[:i] + s + x[i:])
	}
	return []byte(s + x)
}
