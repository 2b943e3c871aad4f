package sp

import (
	"strings"
	"time"

	"github.com/beevik/etree"
)

// Namespaces the pipeline matches elements by (URI and local name, never the prefix).
const (
	protoNS  = "urn:oasis:names:tc:SAML:2.0:protocol"
	assertNS = "urn:oasis:names:tc:SAML:2.0:assertion"
	dsigNS   = "http://www.w3.org/2000/09/xmldsig#"

	statusSuccess    = "urn:oasis:names:tc:SAML:2.0:status:Success"
	cmBearer         = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
	nameIDEntity     = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
	samlVersion      = "2.0"
	xsiNamespace     = "http://www.w3.org/2001/XMLSchema-instance"
	encryptedElement = "EncryptedAssertion"
)

func elIs(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// elChildren returns el's child elements named {ns}local.
func elChildren(el *etree.Element, ns, local string) []*etree.Element {
	if el == nil {
		return nil
	}
	var out []*etree.Element
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && elIs(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// elChild returns el's first child element named {ns}local, or nil.
func elChild(el *etree.Element, ns, local string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, t := range el.Child {
		if c, ok := t.(*etree.Element); ok && elIs(c, ns, local) {
			return c
		}
	}
	return nil
}

// elAttr returns the unqualified attribute key of el.
func elAttr(el *etree.Element, key string) string {
	if el == nil {
		return ""
	}
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return a.Value
		}
	}
	return ""
}

func elHasAttr(el *etree.Element, key string) bool {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == key {
			return true
		}
	}
	return false
}

// elText is the full text content of el: every character data descendant, so a value
// split by a comment or by markup is read whole, never truncated at the split.
func elText(el *etree.Element) string {
	if el == nil {
		return ""
	}
	var only string
	var b *strings.Builder
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				switch {
				case b != nil:
					b.WriteString(t.Data)
				case only == "":
					only = t.Data
				default:
					b = &strings.Builder{}
					b.WriteString(only)
					b.WriteString(t.Data)
				}
			case *etree.Element:
				walk(t)
			}
		}
	}
	walk(el)
	if b != nil {
		return b.String()
	}
	return only
}

// hasElementChildren reports whether el contains elements (a text-only SAML value with
// markup inside is refused rather than read in part).
func hasElementChildren(el *etree.Element) bool {
	for _, t := range el.Child {
		if _, ok := t.(*etree.Element); ok {
			return true
		}
	}
	return false
}

// parseTime reads an xs:dateTime as SAML uses it (UTC, optional fraction).
func parseTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func quote(s string) string { return "`" + s + "`" }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
