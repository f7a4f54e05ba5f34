package saml

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// scanXML checks b, an XML document from an untrusted sender, before any tree
// is built from it: well-formed UTF-8 with one root element, no DOCTYPE or
// other directive, no processing instruction but the XML declaration, names
// with at most one colon, no attribute twice on an element, and within
// MaxDepth, MaxTokens, MaxAttrs and MaxNamespaces. The error says which
// rule broke.
func scanXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = true
	var (
		stack  []xml.Name
		decls  []int // namespace declarations in scope, at each depth
		tokens int
		roots  int
	)
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return fmt.Errorf("not well-formed XML at line %d: %s", se.Line, se.Msg)
			}
			return fmt.Errorf("not well-formed XML: %v", err)
		}
		tokens++
		if tokens > MaxTokens {
			return fmt.Errorf("more than %d XML tokens", MaxTokens)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 {
				roots++
				if roots > 1 {
					return errors.New("more than one root element")
				}
			}
			if len(stack) >= MaxDepth {
				return fmt.Errorf("elements nested more than %d deep", MaxDepth)
			}
			if !qName(t.Name) {
				return fmt.Errorf("element name %s is not a valid qualified name", q(t.Name.Space+":"+t.Name.Local))
			}
			if len(t.Attr) > MaxAttrs {
				return fmt.Errorf("element %s has more than %d attributes", t.Name.Local, MaxAttrs)
			}
			for i, a := range t.Attr {
				if !qName(a.Name) {
					return fmt.Errorf("attribute name %s is not a valid qualified name", q(a.Name.Space+":"+a.Name.Local))
				}
				for _, b := range t.Attr[:i] {
					if a.Name == b.Name {
						return fmt.Errorf("attribute %s appears twice on element %s", a.Name.Local, t.Name.Local)
					}
				}
			}
			n := 0
			if len(decls) > 0 {
				n = decls[len(decls)-1]
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns" {
					n++
				}
			}
			if n > MaxNamespaces {
				return fmt.Errorf("more than %d namespace declarations in scope", MaxNamespaces)
			}
			stack, decls = append(stack, t.Name), append(decls, n)
		case xml.EndElement:
			// RawToken does not match end tags with start tags.
			if len(stack) == 0 || stack[len(stack)-1] != t.Name {
				return fmt.Errorf("end tag %s does not match its start tag", t.Name.Local)
			}
			stack, decls = stack[:len(stack)-1], decls[:len(decls)-1]
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				return errors.New("text outside the root element")
			}
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return errors.New("a DOCTYPE (document type declaration) is not allowed")
			}
			return errors.New("an XML directive is not allowed")
		case xml.ProcInst:
			if t.Target != "xml" || tokens != 1 {
				return fmt.Errorf("the processing instruction %s is not allowed", q(t.Target))
			}
		}
	}
	if len(stack) > 0 {
		return errors.New("the document ends inside an element")
	}
	if roots == 0 {
		return errors.New("no root element")
	}
	return nil
}

// qName reports whether n is a valid qualified name. encoding/xml splits a
// name into prefix and local part only when it has exactly one colon with
// something on both sides, and otherwise keeps the whole name, colons and
// all, as the local part: so a local part with a colon is a name such as
// <x::Root/>, <a:b:c/> or <:a/>, which encoding/xml reads but does not write
// back the same way.
func qName(n xml.Name) bool {
	return n.Local != "" && !strings.Contains(n.Local, ":")
}
