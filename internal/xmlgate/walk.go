package xmlgate

import (
	"strings"

	"github.com/beevik/etree"
)

const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"

	// MaxAttributes bounds the attributes of one element. SAML elements carry fewer than
	// ten; the bound keeps the duplicate check and canonicalization cheap.
	MaxAttributes = 64
	// MaxInScope bounds the namespace declarations in scope at any element. Exclusive
	// C14N copies the in-scope namespaces at every element it visits, so an attacker's
	// thousands of declarations must not reach it.
	MaxInScope = 64
)

// Walk checks a parsed document: exactly one root element and nothing but whitespace,
// comments and the XML declaration beside it; every name a plain NCName or
// prefix:NCName with a declared prefix; namespace declarations that XML Namespaces
// allows; no attribute twice (by qualified or by expanded name); text and attribute
// values within lim.MaxValueLength; at most lim.MaxElements elements.
func Walk(doc *etree.Document, lim Limits, visit func(el *etree.Element, ns string) error) error {
	var root *etree.Element
	for _, tok := range doc.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if root != nil {
				return reject("more than one root element")
			}
			root = t
		case *etree.CharData:
			if strings.TrimSpace(t.Data) != "" {
				return reject("text outside the root element")
			}
		case *etree.Comment:
		case *etree.ProcInst:
			if t.Target != "xml" {
				return reject("processing instruction is not allowed")
			}
		default:
			return reject("markup declaration is not allowed")
		}
	}
	if root == nil {
		return reject("no root element")
	}
	w := walker{lim: lim, visit: visit}
	w.scope = append(w.scope, binding{"xml", nsXML})
	return w.element(root, 1)
}

type binding struct{ prefix, uri string }

type walker struct {
	lim      Limits
	visit    func(*etree.Element, string) error
	scope    []binding // innermost last; "" is the default namespace
	elements int
}

func (w *walker) lookup(prefix string) (string, bool) {
	for i := len(w.scope) - 1; i >= 0; i-- {
		if w.scope[i].prefix == prefix {
			return w.scope[i].uri, true
		}
	}
	if prefix == "" {
		return "", true
	}
	return "", false
}

func validName(s string) bool {
	return s != "" && !strings.ContainsRune(s, ':')
}

func (w *walker) element(el *etree.Element, depth int) error {
	w.elements++
	if w.elements > w.lim.MaxElements {
		return reject("more than %d elements", w.lim.MaxElements)
	}
	if depth > w.lim.MaxDepth {
		return reject("elements nested deeper than %d", w.lim.MaxDepth)
	}
	if !validName(el.Tag) || el.Space == "xmlns" || el.Space == "xml" || strings.ContainsRune(el.Space, ':') {
		return reject("element name %q is not a valid qualified name", el.FullTag())
	}
	if len(el.Attr) > MaxAttributes {
		return reject("element %s has more than %d attributes", el.FullTag(), MaxAttributes)
	}
	mark := len(w.scope)
	// Declarations first: they apply to the element's own name and attributes.
	for _, a := range el.Attr {
		switch {
		case a.Space == "xmlns":
			if !validName(a.Key) {
				return reject("namespace declaration xmlns:%s is not valid", a.Key)
			}
			switch {
			case a.Key == "xmlns":
				return reject("the xmlns prefix cannot be declared")
			case a.Key == "xml" && a.Value != nsXML, a.Key != "xml" && a.Value == nsXML:
				return reject("the xml prefix is bound to its namespace only")
			case a.Value == "":
				return reject("xmlns:%s=\"\" cannot undeclare a prefix in XML 1.0", a.Key)
			case a.Value == nsXMLNS:
				return reject("the xmlns namespace cannot be bound")
			}
			w.scope = append(w.scope, binding{a.Key, a.Value})
		case a.Space == "" && a.Key == "xmlns":
			if a.Value == nsXML || a.Value == nsXMLNS {
				return reject("reserved namespace cannot be the default")
			}
			w.scope = append(w.scope, binding{"", a.Value})
		}
	}
	if len(w.scope) > MaxInScope {
		return reject("more than %d namespace declarations in scope at %s", MaxInScope, el.FullTag())
	}
	ns, ok := w.lookup(el.Space)
	if !ok {
		return reject("element %s uses undeclared prefix %q", el.FullTag(), el.Space)
	}
	for i, a := range el.Attr {
		if !validName(a.Key) || strings.ContainsRune(a.Space, ':') {
			return reject("attribute name %q on %s is not a valid qualified name", a.FullKey(), el.FullTag())
		}
		if len(a.Value) > w.lim.MaxValueLength {
			return reject("attribute %s on %s is longer than %d bytes", a.FullKey(), el.FullTag(), w.lim.MaxValueLength)
		}
		var uri string
		if a.Space != "" && a.Space != "xmlns" {
			if uri, ok = w.lookup(a.Space); !ok {
				return reject("attribute %s on %s uses undeclared prefix %q", a.FullKey(), el.FullTag(), a.Space)
			}
		}
		for _, b := range el.Attr[:i] {
			if b.Key != a.Key {
				continue
			}
			if b.Space == a.Space {
				return reject("attribute %s appears twice on %s", a.FullKey(), el.FullTag())
			}
			if uri != "" && b.Space != "" && b.Space != "xmlns" {
				if buri, _ := w.lookup(b.Space); buri == uri {
					return reject("attributes %s and %s on %s are the same attribute", a.FullKey(), b.FullKey(), el.FullTag())
				}
			}
		}
	}
	if w.visit != nil {
		if err := w.visit(el, ns); err != nil {
			return err
		}
	}
	for _, tok := range el.Child {
		switch t := tok.(type) {
		case *etree.Element:
			if err := w.element(t, depth+1); err != nil {
				return err
			}
		case *etree.CharData:
			if len(t.Data) > w.lim.MaxValueLength {
				return reject("text in %s is longer than %d bytes", el.FullTag(), w.lim.MaxValueLength)
			}
		case *etree.Comment:
		case *etree.ProcInst:
			return reject("processing instruction is not allowed")
		default:
			return reject("markup declaration is not allowed")
		}
	}
	w.scope = w.scope[:mark]
	return nil
}
