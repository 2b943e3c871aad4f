package samltest

import (
	"bytes"

	"github.com/beevik/etree"
)

// Parse reads a document into an etree tree for mutation.
func Parse(b []byte) (*etree.Document, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		return nil, err
	}
	return doc, nil
}

// Serialize writes doc without an XML declaration and without indentation, as Entra sends.
func Serialize(doc *etree.Document) []byte {
	var buf bytes.Buffer
	if _, err := doc.WriteTo(&buf); err != nil {
		// etree writes to a bytes.Buffer cannot fail.
		panic(err)
	}
	return buf.Bytes()
}

// Is reports whether el is {ns}local, comparing the resolved namespace URI, never the prefix.
func Is(el *etree.Element, ns, local string) bool {
	return el != nil && el.Tag == local && el.NamespaceURI() == ns
}

// Child is the first direct child {ns}local of el, or nil.
func Child(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if Is(c, ns, local) {
			return c
		}
	}
	return nil
}

// Children are all direct children {ns}local of el.
func Children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if Is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// Find is the first descendant {ns}local of el in document order (el included), or nil.
func Find(el *etree.Element, ns, local string) *etree.Element {
	if Is(el, ns, local) {
		return el
	}
	for _, c := range el.ChildElements() {
		if f := Find(c, ns, local); f != nil {
			return f
		}
	}
	return nil
}

// FindAll is every descendant {ns}local of el in document order (el included).
func FindAll(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		if Is(e, ns, local) {
			out = append(out, e)
		}
		for _, c := range e.ChildElements() {
			walk(c)
		}
	}
	walk(el)
	return out
}

// FindID is the first element under root (included) whose unprefixed ID attribute is id.
func FindID(root *etree.Element, id string) *etree.Element {
	if a := root.SelectAttr("ID"); a != nil && a.Space == "" && a.Value == id {
		return root
	}
	for _, c := range root.ChildElements() {
		if f := FindID(c, id); f != nil {
			return f
		}
	}
	return nil
}

// AssertionOf is the first direct-child Assertion of the Response root.
func AssertionOf(doc *etree.Document) *etree.Element {
	return Child(doc.Root(), NSAssertion, "Assertion")
}

// SignatureOf is el's direct-child ds:Signature, or nil.
func SignatureOf(el *etree.Element) *etree.Element { return Child(el, NSDSig, "Signature") }

// NameIDOf is the NameID in the Subject of assertion a.
func NameIDOf(a *etree.Element) *etree.Element {
	if s := Child(a, NSAssertion, "Subject"); s != nil {
		return Child(s, NSAssertion, "NameID")
	}
	return nil
}

// SubjectConfirmationDataOf is the first SubjectConfirmationData of assertion a.
func SubjectConfirmationDataOf(a *etree.Element) *etree.Element {
	if s := Child(a, NSAssertion, "Subject"); s != nil {
		if sc := Child(s, NSAssertion, "SubjectConfirmation"); sc != nil {
			return Child(sc, NSAssertion, "SubjectConfirmationData")
		}
	}
	return nil
}

// Detach removes el from its parent and returns it.
func Detach(el *etree.Element) *etree.Element {
	if p := el.Parent(); p != nil {
		p.RemoveChild(el)
	}
	return el
}

// InsertBefore puts el into ref's parent right before ref.
func InsertBefore(ref, el *etree.Element) { ref.Parent().InsertChildAt(ref.Index(), el) }

// InsertAfter puts el into ref's parent right after ref.
func InsertAfter(ref, el *etree.Element) { ref.Parent().InsertChildAt(ref.Index()+1, el) }

// Append makes el the last child of parent.
func Append(parent, el *etree.Element) { parent.AddChild(el) }

// Wrap replaces el by a new element tag (declaring xmlns=ns when ns is not empty) and
// puts el inside it; it returns the wrapper.
func Wrap(el *etree.Element, tag, ns string) *etree.Element {
	w := etree.NewElement(tag)
	if ns != "" {
		w.CreateAttr("xmlns", ns)
	}
	p := el.Parent()
	i := el.Index()
	p.RemoveChildAt(i)
	p.InsertChildAt(i, w)
	w.AddChild(el)
	return w
}

// SetText replaces the character data of el.
func SetText(el *etree.Element, s string) { el.SetText(s) }

// Copy is a deep copy of el that keeps the namespaces in scope at its original position
// declared on the copy, so it means the same wherever it is placed.
func Copy(el *etree.Element) *etree.Element {
	c, err := detach(el)
	if err != nil {
		return el.Copy()
	}
	return c
}

// Edit parses b, applies f to the tree, and serializes it again.
func Edit(b []byte, f func(doc *etree.Document)) ([]byte, error) {
	doc, err := Parse(b)
	if err != nil {
		return nil, err
	}
	f(doc)
	return Serialize(doc), nil
}
