package sp

// Limits bound what a response may cost before it is rejected. A response over any of
// them fails with ErrMalformed before (or while) it is parsed, in time and memory
// proportional to the limit, not to the input.
type Limits struct {
	// MaxEncodedSize is the largest SAMLResponse form value, in bytes. Zero means 2 MiB.
	MaxEncodedSize int
	// MaxDecodedSize is the largest decoded XML document, in bytes. Zero means 1.5 MiB.
	MaxDecodedSize int
	// MaxDepth is the deepest element nesting. Zero means 32 (Entra uses 7).
	MaxDepth int
	// MaxElements is the largest number of elements in the document. Zero means 30,000.
	MaxElements int
	// MaxAttributeValues is the most values one SAML Attribute may carry. Zero means
	// 10,000 (Entra stops at 150 groups; other IdPs send thousands).
	MaxAttributeValues int
	// MaxValueLength is the longest XML attribute value or element text, in bytes. Zero
	// means 64 KiB. The text of an xenc:CipherValue, which carries a whole encrypted
	// assertion, may be as long as MaxDecodedSize, so an encrypted response is refused
	// by no limit its plaintext would pass.
	MaxValueLength int
	// MaxComments is the most XML comments a response may hold. Zero means 16. IdPs send
	// none; the allowance only tolerates hand-edited test input, and the bound matters
	// because canonicalization removes comments at quadratic cost.
	MaxComments int
	// MaxNamespaceURILength is the longest namespace URI a declaration may bind, in
	// bytes. Zero means 1 KiB (SAML's are under 100 bytes). Exclusive C14N writes a
	// declaration again on every element that uses its prefix, so long URIs are what a
	// crafted response would make canonicalization repeat.
	MaxNamespaceURILength int
	// MaxNamespaceDeclarations is the most namespace declarations (xmlns and xmlns:p
	// attributes) in the document. Zero means 30,000: IdPs that declare xs and xsi on
	// every AttributeValue make two per value.
	MaxNamespaceDeclarations int
	// MaxXMLAttributes is the most XML attributes, namespace declarations included, in
	// the document. Zero means 30,000: IdPs that write xmlns:xs, xmlns:xsi and xsi:type
	// on every AttributeValue spend some 180 bytes on those three, so a response of the
	// default MaxDecodedSize holds under 26,000. The parse spends some 300 bytes and
	// 0.3 µs on each, so this bounds its cost with MaxElements; the gate counts them
	// before parsing.
	MaxXMLAttributes int
}

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxEncodedSize, 2<<20)
	def(&l.MaxDecodedSize, 3<<19)
	def(&l.MaxDepth, 32)
	def(&l.MaxElements, 30000)
	def(&l.MaxAttributeValues, 10000)
	def(&l.MaxValueLength, 64<<10)
	def(&l.MaxComments, 16)
	def(&l.MaxNamespaceURILength, 1<<10)
	def(&l.MaxNamespaceDeclarations, 30000)
	def(&l.MaxXMLAttributes, 30000)
	return l
}
