package metadata

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/beevik/etree"
)

// Limits on metadata we read. Entra federation metadata is 15–25 kB and 6 levels deep;
// the limits leave room for other IdPs and small federations while keeping a hostile
// document from costing much.
const (
	MaxMetadataSize = 4 << 20
	maxDepth        = 64
	maxElements     = 100_000
)

const (
	nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig     = "http://www.w3.org/2000/09/xmldsig#"
)

// readTree checks data before building a tree (size, well-formedness, no DOCTYPE or
// entity declarations, one root, bounded depth and element count) and returns the root.
func readTree(data []byte) (*etree.Element, error) {
	// Windows editors add a UTF-8 byte order mark; it is not part of the document (and
	// not covered by any signature), so it goes. UTF-16 is refused with a clear word
	// rather than transcoded: SAML metadata is UTF-8 as every IdP publishes it.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, &Error{Kind: ErrMalformed, Found: "a file saved as UTF-16", Expected: "UTF-8 XML",
			Hint: "download the metadata again and upload it unchanged, or save it as UTF-8"}
	}
	if err := gate(data); err != nil {
		return nil, err
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(data); err != nil {
		return nil, &Error{Kind: ErrMalformed, Found: "XML that does not parse", Err: err}
	}
	root := doc.Root()
	if root == nil {
		return nil, &Error{Kind: ErrMalformed, Found: "no root element"}
	}
	return root, nil
}

func gate(data []byte) error {
	if len(data) > MaxMetadataSize {
		return &Error{Kind: ErrMalformed, Found: fmt.Sprintf("%d bytes", len(data)), Expected: fmt.Sprintf("at most %d bytes of metadata", MaxMetadataSize)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return &Error{Kind: ErrMalformed, Found: "nothing (empty input)", Expected: "SAML metadata XML (an EntityDescriptor)"}
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	depth, elements, roots := 0, 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return &Error{Kind: ErrMalformed, Found: "XML that is not well-formed", Err: err}
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth == 1 {
				roots++
			}
			if roots > 1 {
				return &Error{Kind: ErrMalformed, Found: "more than one root element"}
			}
			if depth > maxDepth || elements > maxElements {
				return &Error{Kind: ErrMalformed, Found: "XML nested too deeply or with too many elements",
					Expected: fmt.Sprintf("at most %d levels and %d elements", maxDepth, maxElements)}
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			// DOCTYPE and ENTITY declarations have no business in SAML metadata and are the
			// door to entity-expansion and external-entity attacks.
			return &Error{Kind: ErrMalformed, Found: fmt.Sprintf("a <!%s> declaration", firstWord(t)),
				Expected: "no DOCTYPE or ENTITY declarations (SAML forbids them)"}
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				if roots == 0 {
					return &Error{Kind: ErrMalformed, Found: "text that is not XML", Expected: "SAML metadata XML (an EntityDescriptor)"}
				}
				return &Error{Kind: ErrMalformed, Found: "text outside the root element"}
			}
		}
	}
	if roots == 0 {
		return &Error{Kind: ErrMalformed, Found: "no root element", Expected: "SAML metadata XML (an EntityDescriptor)"}
	}
	return nil
}

func firstWord(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return ""
	}
	w := f[0]
	if len(w) > 20 {
		w = w[:20]
	}
	return w
}

// is reports whether el is {ns}local, matching the namespace URI and never the prefix.
func is(el *etree.Element, ns, local string) bool {
	return el.Tag == local && el.NamespaceURI() == ns
}

// children returns el's child elements named {ns}local.
func children(el *etree.Element, ns, local string) []*etree.Element {
	var out []*etree.Element
	for _, c := range el.ChildElements() {
		if is(c, ns, local) {
			out = append(out, c)
		}
	}
	return out
}

// attr returns an unprefixed attribute's value with xs:anyURI / token whitespace
// collapsed at the ends. etree's SelectAttr would also match a prefixed attribute.
func attr(el *etree.Element, name string) string {
	for _, a := range el.Attr {
		if a.Space == "" && a.Key == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

func qname(el *etree.Element) string {
	return "{" + el.NamespaceURI() + "}" + el.Tag
}
