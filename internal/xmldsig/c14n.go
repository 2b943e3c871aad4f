package xmldsig

import (
	"cmp"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/beevik/etree"
)

// Exclusive XML canonicalization (without comments), written straight into the digest
// or signature hash: no copy of the tree is transformed and no buffer holds the whole
// canonical form. The output is byte-for-byte goxmldsig's (TransformExcC14n followed by
// etree's canonical write settings), quirks included, because that is what the project
// has always verified against; TestCanonicalizeIsGoxmldsigExcC14N and
// FuzzCanonicalizeIsGoxmldsigExcC14N hold the two equal.
//
// Cost: one visit of every node, a constant number of map operations per attribute and
// per rendered namespace declaration, and one sort of each element's attributes by
// precomputed keys (O(a log a)). Exclusive C14N may still render a namespace declaration
// again on every element that uses its prefix, so the output can be far larger than the
// input; the budget refuses that as soon as it is exceeded.

const (
	// canonicalRatio and canonicalSlack set the output budget of one canonicalization:
	// canonicalRatio times the signed element's size in the document, plus
	// canonicalSlack. Escaping grows a value at most sixfold (`"` becomes `&quot;`) and
	// end tags double a name; genuine responses come to under three times their size
	// (an xsi declaration rendered again on each AttributeValue), so 8 refuses no
	// genuine document while capping a crafted one at 8 × MaxDecodedSize of hashing.
	canonicalRatio = 8
	canonicalSlack = 64 << 10

	xmlNamespace   = "http://www.w3.org/XML/1998/namespace"
	xmlnsNamespace = "http://www.w3.org/2000/xmlns/"
)

// errBudget is returned when the canonical form outgrows its budget.
var errBudget = fail(ErrProfile, "canonical form too large")

// canonicalizer holds the state of one canonicalization. It is not safe for
// concurrent use, and not reusable.
type canonicalizer struct {
	out   io.Writer
	buf   []byte
	n     int // bytes produced so far
	limit int // most bytes allowed
	err   error

	skip      *etree.Element  // the enveloped Signature, not part of the output
	inclusive map[string]bool // InclusiveNamespaces PrefixList

	scope    nsStack // declarations in scope in the document
	rendered nsStack // declarations in scope in the output

	seen     map[string]int // prefix → number of the element that last used it
	elems    int
	utilized []string  // one element's visibly used prefixes, reused
	attrs    []outAttr // one element's attributes, reused
	order    []int32   // c.attrs sorted, reused
	keyed    map[string]string
}

// outAttr is one attribute of the output with its sort key (goxmldsig's order).
type outAttr struct {
	space, key, value string
	class             int    // 0 xmlns="", 1 xmlns:p, 2 unprefixed, 3 prefixed
	tie               string // for prefixed attributes sharing a local name
	plain             bool   // value needs no escaping
}

// nsStack maps prefixes to URIs with scoping: push on entering an element, popTo on
// leaving it, lookups in O(1).
type nsStack struct {
	top      map[string]int // prefix → index of its innermost entry
	entries  []nsEntry
	scanURIs bool // note which URIs need no escaping (for the document's scope)
}

type nsEntry struct {
	prefix, uri string
	prev        int  // index of the entry it shadows, -1 if none
	plain       bool // uri needs no escaping in an attribute value
}

func newNSStack(scanURIs bool) nsStack {
	s := nsStack{top: make(map[string]int, 16), scanURIs: scanURIs}
	// goxmldsig's starting context, the unprefixed name included.
	s.push("", xmlNamespace)
	s.push("xml", xmlNamespace)
	s.push("xmlns", xmlnsNamespace)
	return s
}

func (s *nsStack) push(prefix, uri string) {
	prev, ok := s.top[prefix]
	if !ok {
		prev = -1
	}
	s.top[prefix] = len(s.entries)
	s.entries = append(s.entries, nsEntry{prefix, uri, prev, s.scanURIs && plainAttr(uri)})
}

func (s *nsStack) lookup(prefix string) (string, bool) {
	i, ok := s.top[prefix]
	if !ok {
		return "", false
	}
	return s.entries[i].uri, true
}

// plain reports whether the URI bound to prefix needs no escaping; a declaration can be
// written again on every element, so its URI is scanned once, when it comes into scope.
func (s *nsStack) plain(prefix string) bool { return s.entries[s.top[prefix]].plain }

// plainAttr reports whether escape would write s unchanged as an attribute value.
func plainAttr(s string) bool {
	for i := 0; i < len(s); i++ {
		if attrSpecial[s[i]] {
			return false
		}
	}
	return true
}

func (s *nsStack) popTo(mark int) {
	for i := len(s.entries) - 1; i >= mark; i-- {
		e := s.entries[i]
		if e.prev < 0 {
			delete(s.top, e.prefix)
		} else {
			s.top[e.prefix] = e.prev
		}
	}
	s.entries = s.entries[:mark]
}

// canonicalizeTo writes the exclusive canonical form of el, without its child skip (the
// enveloped Signature; may be nil), to out. el is read where it sits in its document:
// the namespaces its ancestors declare are in scope, as if el had been detached with
// them. It fails with errBudget once the output would exceed limit bytes, and with an
// error of kind ErrProfile for markup exclusive C14N cannot render as goxmldsig does.
// el is not modified.
func canonicalizeTo(out io.Writer, el, skip *etree.Element, prefixes string, limit int) error {
	c := &canonicalizer{
		out:       out,
		buf:       make([]byte, 0, 4096),
		limit:     limit,
		skip:      skip,
		inclusive: make(map[string]bool),
		scope:     newNSStack(true),
		rendered:  newNSStack(false),
		seen:      make(map[string]int, 16),
	}
	for _, p := range strings.Fields(prefixes) {
		c.inclusive[p] = true
	}
	// The apex carries, as detach would put them there, its ancestors' declarations
	// that it does not make itself; the nearest ancestor's wins.
	var inherited []etree.Attr
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if isDecl(a) && !hasDecl(el.Attr, a) && !hasDecl(inherited, a) {
				inherited = append(inherited, a)
			}
		}
	}
	if err := c.element(el, inherited); err != nil {
		return err
	}
	return c.flush()
}

func isDecl(a etree.Attr) bool { return a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") }

func hasDecl(attrs []etree.Attr, d etree.Attr) bool {
	for _, a := range attrs {
		if a.Space == d.Space && a.Key == d.Key {
			return true
		}
	}
	return false
}

func (c *canonicalizer) element(el *etree.Element, inherited []etree.Attr) error {
	c.elems++
	scopeMark, renderedMark := len(c.scope.entries), len(c.rendered.entries)

	// Declarations made here (and, on the apex, inherited) come into scope.
	for _, list := range [2][]etree.Attr{el.Attr, inherited} {
		for _, a := range list {
			switch {
			case a.Space == "xmlns":
				if (a.Key == "xml" && a.Value != xmlNamespace) || a.Key == "xmlns" {
					return fail(ErrProfile, "reserved namespace prefix %q declared on <%s>", a.Key, el.FullTag())
				}
				c.scope.push(a.Key, a.Value)
			case a.Space == "" && a.Key == "xmlns":
				if a.Value == xmlnsNamespace {
					return fail(ErrProfile, "the xmlns namespace declared as default on <%s>", el.FullTag())
				}
				c.scope.push("", a.Value)
			}
		}
	}

	// The prefixes this element visibly uses, each once: its own, its attributes', and
	// those of the PrefixList it declares (as goxmldsig reads it, "#default" never
	// matches).
	c.attrs = c.attrs[:0]
	c.utilized = c.utilized[:0]
	use := func(p string) {
		if c.seen[p] != c.elems {
			c.seen[p] = c.elems
			c.utilized = append(c.utilized, p)
		}
	}
	use(el.Space)
	for _, list := range [2][]etree.Attr{el.Attr, inherited} {
		for _, a := range list {
			switch {
			case a.Space == "xmlns":
				if c.inclusive[a.Key] {
					use(a.Key)
				}
			case a.Space == "" && a.Key == "xmlns":
			default:
				if a.Space != "" {
					use(a.Space)
				}
				cl := 2
				if a.Space != "" {
					cl = 3
				}
				c.attrs = append(c.attrs, outAttr{space: a.Space, key: a.Key, value: a.Value, class: cl})
			}
		}
	}
	for _, p := range c.utilized {
		uri, inScope := c.scope.lookup(p)
		if r, ok := c.rendered.lookup(p); ok && inScope && r == uri {
			continue // an output ancestor already declared it
		}
		if !inScope {
			return fail(ErrProfile, "<%s> uses the undeclared namespace prefix %q", el.FullTag(), p)
		}
		c.rendered.push(p, uri)
		plain := c.scope.plain(p)
		if p == "" {
			c.attrs = append(c.attrs, outAttr{key: "xmlns", value: uri, class: 0, plain: plain})
		} else {
			c.attrs = append(c.attrs, outAttr{space: "xmlns", key: p, value: uri, class: 1, plain: plain})
		}
	}
	c.sortAttrs()

	c.str("<")
	c.name(el.Space, el.Tag)
	for _, i := range c.order {
		a := &c.attrs[i]
		c.str(" ")
		c.name(a.space, a.key)
		c.str(`="`)
		if a.plain {
			c.str(a.value)
		} else {
			c.escape(a.value, true)
		}
		c.str(`"`)
	}
	c.str(">")
	if c.err != nil {
		return c.err
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			if t == c.skip {
				continue
			}
			if err := c.element(t, nil); err != nil {
				return err
			}
		case *etree.CharData:
			if t.IsCData() {
				// The gate's parse turns CDATA into text; a CDATA token here would be
				// written as CDATA, which is not canonical.
				return fail(ErrProfile, "CDATA section kept in <%s>", el.FullTag())
			}
			c.escape(t.Data, false)
		case *etree.Comment:
			// dropped
		default:
			return fail(ErrProfile, "markup in <%s> that canonical XML cannot hold", el.FullTag())
		}
		if c.err != nil {
			return c.err
		}
	}
	c.str("</")
	c.name(el.Space, el.Tag)
	c.str(">")

	c.scope.popTo(scopeMark)
	c.rendered.popTo(renderedMark)
	return c.err
}

// sortAttrs puts c.attrs in goxmldsig's order: the default declaration, prefix
// declarations by prefix, unprefixed attributes by name, then prefixed ones by local
// name and, for one local name under several prefixes, by the value of the attribute
// whose name is that prefix (the declaration rendered here, or "" when an output
// ancestor declared it). goxmldsig finds that value by a scan on every comparison; here
// it is found once per attribute. The sort is stable, as goxmldsig's insertion sort is
// for the dozen attributes an element normally has.
func (c *canonicalizer) sortAttrs() {
	prefixed := 0
	for _, a := range c.attrs {
		if a.class == 3 {
			prefixed++
		}
	}
	if prefixed > 1 {
		// goxmldsig takes the last attribute so named in its list before sorting, which
		// is the order c.attrs was built in: other attributes, then declarations.
		if c.keyed == nil {
			c.keyed = make(map[string]string, len(c.attrs))
		}
		clear(c.keyed)
		for _, a := range c.attrs {
			c.keyed[a.key] = a.value
		}
		for i := range c.attrs {
			if c.attrs[i].class == 3 {
				c.attrs[i].tie = c.keyed[c.attrs[i].space]
			}
		}
	}
	// Sort indices, not the attributes themselves, and only when needed.
	c.order = c.order[:0]
	for i := range c.attrs {
		c.order = append(c.order, int32(i))
	}
	less := func(i, j int32) int {
		a, b := &c.attrs[i], &c.attrs[j]
		if n := cmp.Compare(a.class, b.class); n != 0 {
			return n
		}
		if n := strings.Compare(a.key, b.key); n != 0 {
			return n
		}
		return strings.Compare(a.tie, b.tie)
	}
	if !slices.IsSortedFunc(c.order, less) {
		slices.SortStableFunc(c.order, less)
	}
}

func (c *canonicalizer) name(space, local string) {
	if space != "" {
		c.str(space)
		c.str(":")
	}
	c.str(local)
}

// str appends s to the output, flushing to the hash in chunks.
func (c *canonicalizer) str(s string) {
	if c.err != nil {
		return
	}
	c.n += len(s)
	if c.n > c.limit {
		c.err = errBudget
		return
	}
	if len(c.buf)+len(s) > cap(c.buf) {
		if c.flush() != nil {
			return
		}
		if len(s) > cap(c.buf) {
			_, c.err = io.WriteString(c.out, s)
			return
		}
	}
	c.buf = append(c.buf, s...)
}

func (c *canonicalizer) flush() error {
	if c.err == nil && len(c.buf) > 0 {
		_, c.err = c.out.Write(c.buf)
		c.buf = c.buf[:0]
	}
	return c.err
}

// escape writes s as etree's canonical settings do: in text & < > and CR become
// references; in attribute values & < " TAB LF and CR do. Characters XML does not
// allow (and bytes that are not UTF-8) become U+FFFD.
func (c *canonicalizer) escape(s string, attr bool) {
	special := &textSpecial
	if attr {
		special = &attrSpecial
	}
	last := 0
	for i := 0; i < len(s); {
		// Skip, a byte at a time with one table load each, what needs no escape.
		for i < len(s) && !special[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		b := s[i]
		var esc string
		width := 1
		switch {
		case b == '&':
			esc = "&amp;"
		case b == '<':
			esc = "&lt;"
		case b == '>':
			esc = "&gt;"
		case b == '"':
			esc = "&quot;"
		case b == '\t':
			esc = "&#x9;"
		case b == '\n':
			esc = "&#xA;"
		case b == '\r':
			esc = "&#xD;"
		case b < 0x20:
			esc = "\uFFFD"
		default: // b >= utf8.RuneSelf
			var r rune
			r, width = utf8.DecodeRuneInString(s[i:])
			if (r == utf8.RuneError && width == 1) || !inCharacterRange(r) {
				esc = "\uFFFD"
			}
		}
		if esc == "" {
			i += width
			continue
		}
		c.str(s[last:i])
		c.str(esc)
		i += width
		last = i
	}
	c.str(s[last:])
}

// textSpecial and attrSpecial mark the bytes escape must look at in text and in
// attribute values: the escaped ones, control characters, and the start of every
// multi-byte UTF-8 sequence (checked for validity).
var textSpecial, attrSpecial = specialBytes("&<>\r"), specialBytes("&<\"\t\n\r")

func specialBytes(escaped string) (t [256]bool) {
	for b := range 256 {
		t[b] = (b < 0x20 && b != '\t' && b != '\n') || b >= utf8.RuneSelf
	}
	for i := range len(escaped) {
		t[escaped[i]] = true
	}
	return t
}

func inCharacterRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// documentSize is a lower bound of the bytes el (and the declarations it inherits)
// took in the document it was parsed from: names, values and text as decoded, plus the
// least markup around them. The canonicalization budget is a multiple of it.
func documentSize(el *etree.Element) int {
	n := 0
	for p := el.Parent(); p != nil; p = p.Parent() {
		for _, a := range p.Attr {
			if isDecl(a) {
				n += len(a.Space) + len(a.Key) + len(a.Value) + 4
			}
		}
	}
	return n + subtreeSize(el)
}

func subtreeSize(el *etree.Element) int {
	n := len(el.Space) + len(el.Tag) + 3 // <t/>
	for _, a := range el.Attr {
		n += len(a.Space) + len(a.Key) + len(a.Value) + 4 // ` k=""`
	}
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.Element:
			n += subtreeSize(t)
		case *etree.CharData:
			n += len(t.Data)
		case *etree.Comment:
			n += len(t.Data) + 7
		}
	}
	return n
}

// budget is the most canonical bytes el may produce.
func budget(el *etree.Element) int { return canonicalRatio*documentSize(el) + canonicalSlack }
