package metadata

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/xmldsig"
	"github.com/ssokit/saml/internal/xmlgate"
)

// Limits on metadata we read. Entra federation metadata is 15–25 kB, 6 levels deep and
// has about 60 elements; the limits leave room for other IdPs and small federations
// (tens of IdPs) while keeping a hostile document from costing much. Metadata passes the
// same gate as responses (internal/xmlgate): these are only its sizes.
const (
	MaxMetadataSize = 4 << 20
	maxDepth        = 64
	// maxElements and maxAttributes bound the tree the parse builds (some hundreds of
	// bytes per element and attribute): a federation of a hundred IdPs fits.
	maxElements   = 20_000
	maxAttributes = 30_000
	// maxValueLength bounds one text node or attribute value: a certificate is 1–3 kB;
	// an mdui:Logo may be an inline data: URI of some kilobytes.
	maxValueLength = 256 << 10
	// maxComments: IdPs publish none; federation aggregates carry a few.
	maxComments = 256
)

var gateLimits = xmlgate.Limits{
	MaxSize:        MaxMetadataSize,
	MaxDepth:       maxDepth,
	MaxElements:    maxElements,
	MaxValueLength: maxValueLength,
	MaxComments:    maxComments,

	MaxDocumentAttributes: maxAttributes,
}

const (
	nsMetadata = "urn:oasis:names:tc:SAML:2.0:metadata"
	nsDSig     = xmldsig.Namespace
)

// readTree admits data through the strict gate every SAML document passes (size, no
// DOCTYPE, entities or processing instructions, bounded depth and element count, no
// duplicate attributes, namespace well-formedness, unique IDs) and returns the root.
func readTree(data []byte) (*etree.Element, error) {
	// Windows editors add a UTF-8 byte order mark; it is not part of the document (and
	// not covered by any signature), so it goes. UTF-16 is refused with a clear word
	// rather than transcoded: SAML metadata is UTF-8 as every IdP publishes it.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if bytes.HasPrefix(data, []byte{0xff, 0xfe}) || bytes.HasPrefix(data, []byte{0xfe, 0xff}) {
		return nil, &Error{Kind: ErrMalformed, Found: "a file saved as UTF-16", Expected: "UTF-8 XML",
			Hint: "download the metadata again and upload it unchanged, or save it as UTF-8"}
	}
	trimmed := bytes.TrimSpace(data)
	switch {
	case len(trimmed) == 0:
		return nil, &Error{Kind: ErrMalformed, Found: "nothing (empty input)", Expected: "SAML metadata XML (an EntityDescriptor)"}
	case trimmed[0] != '<':
		return nil, &Error{Kind: ErrMalformed, Found: "text that is not XML", Expected: "SAML metadata XML (an EntityDescriptor)"}
	case len(data) > MaxMetadataSize:
		return nil, &Error{Kind: ErrMalformed, Found: fmt.Sprintf("%d bytes", len(data)), Expected: fmt.Sprintf("at most %d bytes of metadata", MaxMetadataSize)}
	}
	ids := map[string]bool{}
	var dup string
	doc, err := xmlgate.Parse(data, gateLimits, func(el *etree.Element, _ string) error {
		for _, a := range el.Attr {
			if a.Space == "" && a.Key == "ID" {
				if ids[a.Value] {
					dup = a.Value
					return errDuplicateID
				}
				ids[a.Value] = true
			}
		}
		return nil
	})
	if err != nil {
		if dup != "" {
			return nil, &Error{Kind: ErrMalformed, Found: fmt.Sprintf("ID %q used twice", dup), Expected: "every ID attribute unique",
				Hint: "metadata as the IdP publishes it never repeats an ID; download it again"}
		}
		return nil, &Error{Kind: ErrMalformed, Found: "XML the strict gate refuses: " + err.Error(),
			Expected: "plain, well-formed XML without DTDs, entities, duplicate attributes or processing instructions", Err: err}
	}
	return doc.Root(), nil
}

var errDuplicateID = errors.New("duplicate ID")

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
