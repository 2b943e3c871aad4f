package xmlgate

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

var lim = Limits{MaxSize: 4096, MaxDepth: 8, MaxElements: 50, MaxValueLength: 64, MaxComments: 2,
	MaxCipherValueLength: 200, MaxNamespaceURILength: 40, MaxNamespaceDeclarations: 100, MaxDocumentAttributes: 200}

func TestGateRejects(t *testing.T) {
	cases := map[string]string{
		"DOCTYPE":                       `<!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>`,
		"ENTITY alone":                  `<r><!ENTITY x "y"></r>`,
		"external entity reference":     `<r>&xxe;</r>`,
		"processing instruction":        `<r><?php echo 1 ?></r>`,
		"PI named like the declaration": `<r/><?xml-stylesheet href="x"?>`,
		"declaration not first":         ` <?xml version="1.0"?><r/>`,
		"too deep":                      strings.Repeat("<a>", 9) + strings.Repeat("</a>", 9),
		"too many elements":             "<r>" + strings.Repeat("<a/>", 50) + "</r>",
		"too big":                       "<r>" + strings.Repeat(" ", 4096) + "</r>",
		"empty":                         "",
		"not well-formed":               "<a><b></a></b>",
		"unclosed":                      "<a>",
		"two roots":                     "<a/><b/>",
		"text outside root":             "<a/>text",
		"duplicate attribute":           `<a x="1" x="2"/>`,
		"duplicate expanded attribute":  `<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`,
		"name with two colons":          `<a:b:c xmlns:a="u"/>`,
		"attribute with two colons":     `<a xmlns:p="u" p:x:y="1"/>`,
		"undeclared element prefix":     `<p:a/>`,
		"undeclared attribute prefix":   `<a p:x="1"/>`,
		"prefix undeclared by empty":    `<a xmlns:p=""/>`,
		"xmlns prefix declared":         `<a xmlns:xmlns="u"/>`,
		"xml prefix rebound":            `<a xmlns:xml="u"/>`,
		"xml namespace under another":   `<a xmlns:p="http://www.w3.org/XML/1998/namespace"/>`,
		"element in xmlns prefix":       `<xmlns:a/>`,
		"long attribute value":          `<a x="` + strings.Repeat("v", 65) + `"/>`,
		"long text":                     `<a>` + strings.Repeat("v", 65) + `</a>`,
		"invalid UTF-8":                 "<a>\xff</a>",
		"too many attributes":           "<a" + manyAttrs(65) + "/>",
		"too many namespaces in scope":  "<a" + manyDecls(40) + "><b" + manyDecls(30) + "/></a>",
		"too many comments":             "<r><!----><!----><!----></r>",
		"UTF-16 declared":               `<?xml version="1.0" encoding="UTF-16"?><r/>`,
		"Latin-1 declared":              `<?xml version="1.0" encoding='ISO-8859-1'?><r/>`,
		"encoding without a value":      `<?xml version="1.0" encoding?><r/>`,
		"declaration not closed":        `<?xml version="1.0" <r/>`,
		"namespace URI too long":        `<a xmlns:p="urn:` + strings.Repeat("u", 37) + `"/>`,
		"default namespace too long":    `<a xmlns="urn:` + strings.Repeat("u", 37) + `"/>`,
		"too many declarations":         "<r>" + strings.Repeat("<a"+manyDecls(10)+"/>", 10) + "<a xmlns:z=\"u\"/></r>",
		"too many attributes in all":    "<r>" + strings.Repeat("<a"+manyAttrs(40)+"/>", 5) + "<a b=\"\"/></r>",
		"long CipherValue elsewhere":    `<a xmlns="urn:x"><CipherValue>` + strings.Repeat("v", 65) + `</CipherValue></a>`,
		"CipherValue over its limit":    `<a xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherValue>` + strings.Repeat("v", 201) + `</CipherValue></a>`,
		"duplicate among many prefixes": "<a" + manyPrefixDecls(40) + ">" + "<b" + manyPrefixedAttrs(40) + ` p3:x="2"/></a>`,
		"same URI under two of many":    "<a" + manyPrefixDecls(40) + ` xmlns:z="urn:5">` + "<b" + manyPrefixedAttrs(40) + ` z:x="2"/></a>`,
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc), lim, nil); !errors.Is(err, ErrRejected) {
				t.Fatalf("err = %v, want ErrRejected", err)
			}
		})
	}
}

func TestGateAdmits(t *testing.T) {
	cases := map[string]string{
		"declaration":                   `<?xml version="1.0" encoding="UTF-8"?><r/>`,
		"lower-case utf-8":              `<?xml version="1.0" encoding='utf-8'?><r/>`,
		"no encoding":                   `<?xml version="1.0"?><r/>`,
		"comments up to the cap":        `<r><!-- a --><!-- b --></r>`,
		"byte order mark":               "\xef\xbb\xbf<r/>",
		"comment":                       `<r><!-- c --></r>`,
		"CDATA":                         `<r><![CDATA[x<y]]></r>`,
		"prefixed and default":          `<p:r xmlns:p="u" xmlns="d"><a p:x="1" x="2"/></p:r>`,
		"xml:lang":                      `<r xml:lang="en"/>`,
		"same key, other prefix":        `<a xmlns:p="u" xmlns:q="v" p:x="1" q:x="2"/>`,
		"default undeclared":            `<a xmlns="u"><b xmlns=""/></a>`,
		"namespace URI at the cap":      `<a xmlns:p="urn:` + strings.Repeat("u", 36) + `" xmlns="urn:` + strings.Repeat("u", 36) + `"/>`,
		"declarations at the cap":       "<r>" + strings.Repeat("<a"+manyDecls(10)+"/>", 10) + "</r>",
		"attributes at the cap":         "<r>" + strings.Repeat("<a"+manyAttrs(40)+"/>", 5) + "</r>",
		"'=' in values and text":        `<r a="x=y" b='=>='>a=b</r>`,
		"CipherValue up to its cap":     `<a xmlns="http://www.w3.org/2001/04/xmlenc#"><CipherValue>` + strings.Repeat("v", 200) + `</CipherValue></a>`,
		"one local name, many prefixes": "<a" + manyPrefixDecls(40) + ">" + "<b" + manyPrefixedAttrs(40) + "/></a>",
	}
	for name, doc := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse([]byte(doc), lim, nil); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWalkVisitsEveryElementWithItsNamespace(t *testing.T) {
	var got []string
	_, err := Parse([]byte(`<p:r xmlns:p="urn:p"><a xmlns="urn:d"><p:b/></a><c/></p:r>`), lim, func(el *etree.Element, ns string) error {
		got = append(got, "{"+ns+"}"+el.Tag)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "{urn:p}r {urn:d}a {urn:p}b {}c"
	if strings.Join(got, " ") != want {
		t.Fatalf("visited %q, want %q", strings.Join(got, " "), want)
	}
}

func manyAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` a%d=""`, i)
	}
	return b.String()
}

func manyDecls(n int) string {
	var b strings.Builder
	for range n {
		fmt.Fprintf(&b, ` xmlns:p%d="u"`, b.Len())
	}
	return b.String()
}

// manyPrefixDecls declares p0…p(n-1), each bound to its own URI.
func manyPrefixDecls(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d"`, i, i)
	}
	return b.String()
}

// manyPrefixedAttrs is one attribute named x under each of p0…p(n-1).
func manyPrefixedAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` p%d:x="1"`, i)
	}
	return b.String()
}

// The duplicate-attribute check resolves each prefix once and sorts: its work on one
// element grows as a log a, not a² (finding 2 of issue #12). Measured in bytes
// allocated by the walk over a tree already parsed, which must not grow with the
// number of attributes beyond the one reused slice.
func TestDuplicateCheckAllocatesNothingPerElement(t *testing.T) {
	big := Limits{MaxSize: 1 << 20, MaxDepth: 8, MaxElements: 2000, MaxValueLength: 64, MaxDocumentAttributes: 100000}
	doc := etree.NewDocument()
	doc.ReadSettings.PreserveDuplicateAttrs = true
	if err := doc.ReadFromString("<a" + manyPrefixDecls(60) + ">" + strings.Repeat("<b"+manyPrefixedAttrs(60)+"/>", 1000) + "</a>"); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if err := Walk(doc, big, nil); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 40 {
		t.Fatalf("Walk made %.0f allocations over 1,000 elements of 60 attributes; want a constant few", allocs)
	}
}

// FuzzDuplicateAttributes holds the sorted duplicate check (issue #12) to the plain
// quadratic one it replaced: a document Walk admits has no element with two attributes
// of one qualified or expanded name, and every duplicate Walk reports is one.
func FuzzDuplicateAttributes(f *testing.F) {
	f.Add(`<a xmlns:p="u" xmlns:q="u" p:x="1" q:x="2"/>`)
	f.Add(`<a xmlns:p="u" xmlns:q="v" p:x="1" q:x="2" x="3"><b xmlns:q="u" p:x="" q:x=""/></a>`)
	f.Add("<a" + manyPrefixDecls(40) + ` xmlns:z="urn:5">` + "<b" + manyPrefixedAttrs(40) + ` z:x="2"/></a>`)
	f.Add(`<a xmlns="u" xmlns:p="u" x="1" p:x="2" xml:lang="en"/>`)
	big := Limits{MaxSize: 1 << 16, MaxDepth: 16, MaxElements: 500, MaxValueLength: 1 << 12}
	f.Fuzz(func(t *testing.T, doc string) {
		d := etree.NewDocument()
		d.ReadSettings.PreserveDuplicateAttrs = true
		if d.ReadFromString(doc) != nil || d.Root() == nil {
			return
		}
		err := Walk(d, big, nil)
		dup := naiveDuplicate(d.Root())
		if err == nil && dup != "" {
			t.Fatalf("admitted a duplicate: %s", dup)
		}
		if err != nil && (strings.Contains(err.Error(), "twice") || strings.Contains(err.Error(), "same attribute")) && dup == "" {
			t.Fatalf("reported a duplicate that is none: %v", err)
		}
	})
}

// naiveDuplicate compares every pair of attributes of every element, resolving prefixes
// through etree, and names the first duplicate.
func naiveDuplicate(el *etree.Element) string {
	uri := func(a etree.Attr) (string, bool) {
		switch a.Space {
		case "":
			return "", true
		case "xmlns":
			return nsXMLNS, true
		case "xml":
			return nsXML, true
		}
		for e := el; e != nil; e = e.Parent() {
			for _, d := range e.Attr {
				if d.Space == "xmlns" && d.Key == a.Space {
					return d.Value, true
				}
			}
		}
		return "", false
	}
	for i, a := range el.Attr {
		for _, b := range el.Attr[:i] {
			if a.Key != b.Key {
				continue
			}
			ua, oka := uri(a)
			ub, okb := uri(b)
			if a.Space == b.Space || (oka && okb && ua == ub) {
				return a.FullKey() + " and " + b.FullKey() + " on " + el.FullTag()
			}
		}
	}
	for _, c := range el.ChildElements() {
		if d := naiveDuplicate(c); d != "" {
			return d
		}
	}
	return ""
}
