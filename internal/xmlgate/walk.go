package xmlgate

import (
	"slices"
	"strings"

	"github.com/beevik/etree"
)

const (
	nsXML   = "http://www.w3.org/XML/1998/namespace"
	nsXMLNS = "http://www.w3.org/2000/xmlns/"
	// nsXMLEnc is XML Encryption's namespace, whose CipherValue may be long.
	nsXMLEnc = "http://www.w3.org/2001/04/xmlenc#"

	// MaxAttributes bounds the attributes of one element. SAML elements carry fewer than
	// ten; the bound keeps the duplicate check and canonicalization cheap.
	MaxAttributes = 64
	// MaxInScope bounds the namespace declarations in scope at any element. Exclusive
	// C14N copies the in-scope namespaces at every element it visits, so an attacker's
	// thousands of declarations must not reach it.
	MaxInScope = 64

	// Defaults for a zero Limits.MaxNamespaceURILength and MaxNamespaceDeclarations.
	// SAML's namespace URIs are under 100 bytes; IdPs that declare xs and xsi on every
	// AttributeValue make two declarations per value.
	DefaultMaxNamespaceURILength    = 1024
	DefaultMaxNamespaceDeclarations = 30000
	// DefaultMaxDocumentAttributes is the default for a zero Limits.MaxDocumentAttributes.
	// IdPs that write xmlns:xs, xmlns:xsi and xsi:type on every AttributeValue spend
	// some 180 bytes on three attributes, so a document of 1.5 MiB holds under 26,000.
	DefaultMaxDocumentAttributes = 30000
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
	if lim.MaxNamespaceURILength <= 0 {
		lim.MaxNamespaceURILength = DefaultMaxNamespaceURILength
	}
	if lim.MaxNamespaceDeclarations <= 0 {
		lim.MaxNamespaceDeclarations = DefaultMaxNamespaceDeclarations
	}
	w := walker{lim: lim, visit: visit, top: make(map[string]int, 16)}
	w.push("xml", nsXML)
	return w.element(root, 1)
}

// binding is one namespace declaration in scope.
type binding struct {
	prefix, uri string
	prev        int // index of the binding of the same prefix it shadows, -1 if none
}

type walker struct {
	lim      Limits
	visit    func(*etree.Element, string) error
	scope    []binding      // innermost last; "" is the default namespace
	top      map[string]int // prefix → index in scope of its innermost binding
	elements int
	decls    int       // namespace declarations seen in the document
	names    []expName // one element's attribute names, reused
}

// expName is an attribute's expanded name: two attributes of one element may not share
// it, whatever prefixes they are written with.
type expName struct{ uri, local string }

func (w *walker) push(prefix, uri string) {
	prev, ok := w.top[prefix]
	if !ok {
		prev = -1
	}
	w.top[prefix] = len(w.scope)
	w.scope = append(w.scope, binding{prefix, uri, prev})
}

func (w *walker) popTo(mark int) {
	for i := len(w.scope) - 1; i >= mark; i-- {
		b := w.scope[i]
		if b.prev < 0 {
			delete(w.top, b.prefix)
		} else {
			w.top[b.prefix] = b.prev
		}
	}
	w.scope = w.scope[:mark]
}

// lookup resolves a prefix in O(1).
func (w *walker) lookup(prefix string) (string, bool) {
	if i, ok := w.top[prefix]; ok {
		return w.scope[i].uri, true
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
		isDecl := a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns")
		if !isDecl {
			continue
		}
		w.decls++
		if w.decls > w.lim.MaxNamespaceDeclarations {
			return reject("more than %d namespace declarations in the document", w.lim.MaxNamespaceDeclarations)
		}
		if len(a.Value) > w.lim.MaxNamespaceURILength {
			return reject("namespace URI declared by %s on %s is %d bytes, more than %d", a.FullKey(), el.FullTag(), len(a.Value), w.lim.MaxNamespaceURILength)
		}
		if a.Space == "xmlns" {
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
			w.push(a.Key, a.Value)
			continue
		}
		if a.Value == nsXML || a.Value == nsXMLNS {
			return reject("reserved namespace cannot be the default")
		}
		w.push("", a.Value)
	}
	if len(w.scope) > MaxInScope {
		return reject("more than %d namespace declarations in scope at %s", MaxInScope, el.FullTag())
	}
	ns, ok := w.lookup(el.Space)
	if !ok {
		return reject("element %s uses undeclared prefix %q", el.FullTag(), el.Space)
	}
	// Each attribute's namespace is resolved once; duplicates (by qualified or by
	// expanded name) are then found by sorting the expanded names: O(a log a).
	w.names = w.names[:0]
	for _, a := range el.Attr {
		if !validName(a.Key) || strings.ContainsRune(a.Space, ':') {
			return reject("attribute name %q on %s is not a valid qualified name", a.FullKey(), el.FullTag())
		}
		if len(a.Value) > w.lim.MaxValueLength {
			return reject("attribute %s on %s is longer than %d bytes", a.FullKey(), el.FullTag(), w.lim.MaxValueLength)
		}
		var uri string
		switch a.Space {
		case "":
		case "xmlns":
			uri = nsXMLNS // only declarations live there: the gate refuses binding it
		default:
			if uri, ok = w.lookup(a.Space); !ok {
				return reject("attribute %s on %s uses undeclared prefix %q", a.FullKey(), el.FullTag(), a.Space)
			}
		}
		w.names = append(w.names, expName{uri, a.Key})
	}
	if len(w.names) > 1 {
		slices.SortFunc(w.names, func(x, y expName) int {
			if n := strings.Compare(x.local, y.local); n != 0 {
				return n
			}
			return strings.Compare(x.uri, y.uri)
		})
		for i := 1; i < len(w.names); i++ {
			if w.names[i] == w.names[i-1] {
				return w.duplicate(el, w.names[i])
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
			if max := w.textLimit(el, ns); len(t.Data) > max {
				return reject("text in %s is longer than %d bytes", el.FullTag(), max)
			}
		case *etree.Comment:
		case *etree.ProcInst:
			return reject("processing instruction is not allowed")
		default:
			return reject("markup declaration is not allowed")
		}
	}
	w.popTo(mark)
	return nil
}

// textLimit is the longest text el may hold: an xenc:CipherValue carries a whole
// encrypted assertion as one base64 text.
func (w *walker) textLimit(el *etree.Element, ns string) int {
	if el.Tag == "CipherValue" && ns == nsXMLEnc && w.lim.MaxCipherValueLength > w.lim.MaxValueLength {
		return w.lim.MaxCipherValueLength
	}
	return w.lim.MaxValueLength
}

// duplicate names the two attributes of el whose expanded name is n.
func (w *walker) duplicate(el *etree.Element, n expName) error {
	var first *etree.Attr
	for i := range el.Attr {
		a := &el.Attr[i]
		if a.Key != n.local {
			continue
		}
		var uri string
		switch a.Space {
		case "":
		case "xmlns":
			uri = nsXMLNS
		default:
			uri, _ = w.lookup(a.Space)
		}
		if uri != n.uri {
			continue
		}
		if first == nil {
			first = a
			continue
		}
		if first.Space == a.Space {
			return reject("attribute %s appears twice on %s", a.FullKey(), el.FullTag())
		}
		return reject("attributes %s and %s on %s are the same attribute", first.FullKey(), a.FullKey(), el.FullTag())
	}
	return reject("an attribute appears twice on %s", el.FullTag())
}
