// Package xmlgate admits XML into the SAML pipeline: a byte scan that rejects what must
// never reach a parser (DTDs, entities, processing instructions, oversized input), one
// etree parse with a depth bound, and a walk that enforces namespace well-formedness and
// the rules that keep the tree unambiguous (no duplicate attributes, no odd names), so
// that what a signature covered and what we read cannot differ.
package xmlgate

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Limits bound the input. MaxSize, MaxDepth, MaxElements and MaxValueLength must be
// positive; zero namespace limits mean the package defaults.
type Limits struct {
	MaxSize        int // bytes of XML
	MaxDepth       int // element nesting
	MaxElements    int // elements in the document
	MaxValueLength int // bytes of one attribute value or one text node
	// MaxCipherValueLength is the longest text of an xenc:CipherValue (the ciphertext of
	// an encrypted assertion, as one base64 text). Below MaxValueLength it has no effect.
	MaxCipherValueLength int
	// MaxNamespaceURILength is the longest namespace URI a declaration may bind.
	// Exclusive C14N renders a declaration again on each element that uses its prefix,
	// so long URIs are what canonicalization amplifies.
	MaxNamespaceURILength int
	// MaxNamespaceDeclarations is the most namespace declarations in the document.
	MaxNamespaceDeclarations int
	// MaxDocumentAttributes is the most attributes (declarations included) in the
	// document. Scan counts them, because the parse spends some 300 bytes on each.
	MaxDocumentAttributes int
	// MaxComments is the most comments in the document; zero allows none. Comments are
	// cheap to send and dear to canonicalize: exclusive C14N drops them one at a time,
	// renumbering the siblings after each, so n comments cost O(n²).
	MaxComments int
}

// ErrRejected is wrapped by every error of this package.
var ErrRejected = errors.New("xml rejected")

// Error says why the input was rejected.
type Error struct {
	Reason string
}

func (e *Error) Error() string { return e.Reason }
func (e *Error) Unwrap() error { return ErrRejected }

func reject(format string, args ...any) error {
	return &Error{Reason: fmt.Sprintf(format, args...)}
}

// Scan checks the raw bytes before any parser sees them: size, no markup declarations
// (<!DOCTYPE, <!ENTITY, …), no processing instruction other than a leading XML
// declaration (which, if it names an encoding, names UTF-8), at most lim.MaxElements
// start tags, lim.MaxDocumentAttributes attributes and lim.MaxComments comments. It
// reads every byte once.
func Scan(data []byte, lim Limits) error {
	maxAttrs := lim.MaxDocumentAttributes
	if maxAttrs <= 0 {
		maxAttrs = DefaultMaxDocumentAttributes
	}
	if len(data) > lim.MaxSize {
		return reject("document is %d bytes, more than the limit of %d", len(data), lim.MaxSize)
	}
	if len(data) == 0 {
		return reject("document is empty")
	}
	start := 0
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		start = 3
	}
	tags, comments, attrs := 0, 0, 0
	for i := start; ; {
		j := bytes.IndexByte(data[i:], '<')
		if j < 0 {
			break
		}
		i += j + 1
		if i >= len(data) {
			return reject("document ends inside a tag")
		}
		switch data[i] {
		case '/':
		case '!':
			rest := data[i:]
			switch {
			case bytes.HasPrefix(rest, []byte("!--")):
				comments++
				if comments > lim.MaxComments {
					return reject("more than %d comments (IdPs send none)", lim.MaxComments)
				}
			case bytes.HasPrefix(rest, []byte("![CDATA[")):
			default:
				return reject("markup declaration (<!DOCTYPE, <!ENTITY, …) is not allowed")
			}
		case '?':
			if i-1 != start || !bytes.HasPrefix(data[i:], []byte("?xml")) ||
				len(data) <= i+4 || !isSpace(data[i+4]) {
				return reject("processing instruction is not allowed")
			}
			if err := checkDeclaration(data[i:]); err != nil {
				return err
			}
		default:
			tags++
			if tags > lim.MaxElements {
				return reject("more than %d elements", lim.MaxElements)
			}
			// Count the tag's attributes: its '=' signs outside quoted values. A tag
			// that is not well-formed is refused by the parse.
			n, end := countAttributes(data[i:])
			attrs += n
			if attrs > maxAttrs {
				return reject("more than %d XML attributes in the document", maxAttrs)
			}
			i += end
		}
	}
	return nil
}

// countAttributes reads a start tag (tag begins after its '<') up to its closing '>',
// and returns the number of '=' outside quoted values and the offset of the '>' (or of
// the end of tag).
func countAttributes(tag []byte) (n, end int) {
	for i := 0; i < len(tag); i++ {
		switch tag[i] {
		case '=':
			n++
		case '>', '<':
			return n, i
		case '"', '\'':
			j := bytes.IndexByte(tag[i+1:], tag[i])
			if j < 0 {
				return n, len(tag)
			}
			i += j + 1
		}
	}
	return n, len(tag)
}

// checkDeclaration admits an XML declaration only if any encoding it names is UTF-8.
// The bytes are read as UTF-8 whatever the declaration says, so another encoding would
// be read one way here and another way by any parser that honours it.
func checkDeclaration(decl []byte) error {
	end := bytes.Index(decl, []byte("?>"))
	if end < 0 {
		return reject("XML declaration is not closed")
	}
	decl = decl[:end]
	k := bytes.Index(decl, []byte("encoding"))
	if k < 0 {
		return nil
	}
	rest := bytes.TrimLeft(decl[k+len("encoding"):], " \t\r\n")
	if len(rest) == 0 || rest[0] != '=' {
		return reject("XML declaration has a malformed encoding")
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	if len(rest) < 2 || (rest[0] != '"' && rest[0] != '\'') {
		return reject("XML declaration has a malformed encoding")
	}
	q := bytes.IndexByte(rest[1:], rest[0])
	if q < 0 {
		return reject("XML declaration has a malformed encoding")
	}
	if enc := string(rest[1 : 1+q]); !strings.EqualFold(enc, "UTF-8") {
		return reject("XML declaration names encoding %q; only UTF-8 is accepted", enc)
	}
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// Parse runs Scan, parses data with etree (the one parse), and runs Walk on the
// document. visit, if not nil, is called for every element with its namespace URI, in
// document order.
func Parse(data []byte, lim Limits, visit func(el *etree.Element, ns string) error) (*etree.Document, error) {
	if err := Scan(data, lim); err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark is no text
	doc := etree.NewDocument()
	doc.ReadSettings = etree.ReadSettings{MaxDepth: lim.MaxDepth, PreserveDuplicateAttrs: true}
	if err := doc.ReadFromBytes(data); err != nil {
		if errors.Is(err, etree.ErrMaxDepth) {
			return nil, reject("elements nested deeper than %d", lim.MaxDepth)
		}
		return nil, reject("not well-formed XML: %v", err)
	}
	if err := Walk(doc, lim, visit); err != nil {
		return nil, err
	}
	return doc, nil
}
