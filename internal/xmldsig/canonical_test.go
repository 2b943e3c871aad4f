package xmldsig_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/recorded"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/internal/xmldsig"
)

// TestCanonicalizeIsGoxmldsigExcC14N: canonicalizeTo reads the element in place and
// streams its canonical form; its bytes must be exactly what goxmldsig's Canonicalize
// makes of a detached copy, for every element of every document we have, with and
// without an InclusiveNamespaces PrefixList. Otherwise a genuine signature would fail to
// verify or, worse, two forms would disagree about what was signed.
func TestCanonicalizeIsGoxmldsigExcC14N(t *testing.T) {
	docs := map[string][]byte{}
	idp := samltest.DefaultIdP()
	for _, sign := range []samltest.Placement{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth} {
		docs["samltest "+sign.String()] = idp.MustResponse(t, samltest.Options{Sign: sign})
	}
	// Markup canonicalization rewrites: comments, escapes, CR, prefixes declared far from
	// where they are used, redundant and unused declarations, attribute order.
	docs["awkward"] = []byte("<?xml version=\"1.0\"?>\n<!-- c --><p:R xmlns:p=\"urn:p\" xmlns:q=\"urn:q\" xmlns=\"urn:d\" b=\"2\" a=\"&lt;&amp;&quot;&#9;&#10;&#13;'>\" ID=\"r\">" +
		"<x q:y=\"1\" xmlns:q=\"urn:q\"><!-- gone -->t&amp;&lt;&gt;&#13;\r\nu<![CDATA[<&>]]></x><p:e xmlns:p=\"urn:p\" xmlns:z=\"urn:z\"/>" +
		"<y xmlns=\"\"><q:w/></y></p:R>")
	dir := recorded.Dir(t)
	names, _ := filepath.Glob(filepath.Join(dir, "*.xml"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		docs[filepath.Base(n)] = b
	}
	if len(names) == 0 {
		t.Fatalf("no recorded XML in %s", dir)
	}

	compared := 0
	for name, b := range docs {
		doc := etree.NewDocument()
		if err := doc.ReadFromBytes(b); err != nil {
			t.Logf("%s: not parsed (%v); skipped", name, err)
			continue
		}
		var walk func(el *etree.Element)
		walk = func(el *etree.Element) {
			for _, prefixes := range []string{"", "xs xsi", "#default p"} {
				want, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes).Canonicalize(xmldsig.Detach(el))
				if err != nil {
					continue // goxmldsig refuses it (e.g. an undeclared prefix); so would Verify
				}
				var buf bytes.Buffer
				if err := xmldsig.CanonicalizeTo(&buf, el, nil, prefixes, xmldsig.Budget(el)); err != nil {
					t.Errorf("%s <%s> prefixes %q: goxmldsig canonicalizes it, we fail: %v", name, el.FullTag(), prefixes, err)
					continue
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s <%s> prefixes %q:\n got %s\nwant %s", name, el.FullTag(), prefixes, buf.Bytes(), want)
				}
				compared++
			}
			for _, c := range el.ChildElements() {
				walk(c)
			}
		}
		walk(doc.Root())
	}
	if compared < 100 {
		t.Fatalf("only %d elements compared", compared)
	}
	t.Logf("%d canonical forms compared over %d documents", compared, len(docs))
}

// FuzzCanonicalizeIsGoxmldsigExcC14N is the differential check behind the test above:
// for every element of any document etree parses, canonicalizeTo writes exactly what
// goxmldsig's exclusive C14N makes of a detached copy, or refuses only markup the gate
// never lets through (CDATA kept as such, processing instructions, directives). It
// skips elements whose order goxmldsig itself leaves to its sort's internals (see
// ambiguousOrder).
func FuzzCanonicalizeIsGoxmldsigExcC14N(f *testing.F) {
	idp := samltest.DefaultIdP()
	f.Add([]byte(idp.MustResponse(f, samltest.Options{Sign: samltest.SignBoth})), "")
	f.Add([]byte(`<p:R xmlns:p="urn:p" xmlns:q="urn:q" xmlns="urn:d" b="2" a="&lt;&amp;&quot;&#9;&#10;&#13;'>"><x q:y="1" xmlns:q="urn:q"><!-- c -->t&amp;&lt;&gt;&#13;`+"\r\n"+`u<![CDATA[<&>]]></x><y xmlns=""><q:w/></y></p:R>`), "q")
	f.Add([]byte(`<a xmlns:b="urn:z" xmlns:c="urn:a" b:x="1" c:x="2" c:y="3"><d b:x="" c:x=""/></a>`), "b")
	f.Add([]byte(`<a xmlns="urn:a"><b xmlns=""><c xmlns="urn:c" xml:lang="en"/></b></a>`), "#default")
	f.Fuzz(func(t *testing.T, data []byte, prefixes string) {
		doc := etree.NewDocument()
		if doc.ReadFromBytes(data) != nil || doc.Root() == nil {
			return
		}
		n := 0
		var walk func(el *etree.Element)
		walk = func(el *etree.Element) {
			if n++; n > 50 {
				return
			}
			want, werr := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes).Canonicalize(xmldsig.Detach(el))
			var got bytes.Buffer
			err := xmldsig.CanonicalizeTo(&got, el, nil, prefixes, xmldsig.Budget(el))
			switch {
			case err != nil && werr == nil && !unrenderable(el):
				t.Fatalf("<%s> prefixes %q: goxmldsig canonicalizes it, we fail: %v", el.FullTag(), prefixes, err)
			case err == nil && werr == nil && !ambiguousOrder(el) && !bytes.Equal(got.Bytes(), want):
				t.Fatalf("<%s> prefixes %q:\n got %s\nwant %s", el.FullTag(), prefixes, got.Bytes(), want)
			}
			for _, c := range el.ChildElements() {
				walk(c)
			}
		}
		walk(doc.Root())
	})
}

// unrenderable reports markup canonicalizeTo refuses and goxmldsig writes as it is.
func unrenderable(el *etree.Element) bool {
	for _, t := range el.Child {
		switch t := t.(type) {
		case *etree.CharData:
			if t.IsCData() {
				return true
			}
		case *etree.ProcInst, *etree.Directive:
			return true
		case *etree.Element:
			if unrenderable(t) {
				return true
			}
		}
	}
	return false
}

// ambiguousOrder reports an element in el's subtree where goxmldsig's attribute order
// depends on its sort's internals rather than on the attributes: two prefixed
// attributes share a local name and either the element has too many attributes for
// the stable insertion sort goxmldsig's sort.Sort uses below 12 elements, or an
// attribute is named like a prefix (goxmldsig's tie-break then reads whichever such
// attribute its sort left last).
func ambiguousOrder(el *etree.Element) bool {
	local := map[string]int{}
	names := map[string]bool{}
	for _, a := range el.Attr {
		if a.Space != "" && a.Space != "xmlns" {
			local[a.Key]++
		}
		names[a.Key] = true
	}
	for k, c := range local {
		if c < 2 {
			continue
		}
		if len(el.Attr) > 5 {
			return true
		}
		for _, a := range el.Attr {
			if a.Space != "" && a.Space != "xmlns" && a.Key == k && names[a.Space] && countKey(el, a.Space) > 1 {
				return true
			}
		}
	}
	for _, c := range el.ChildElements() {
		if ambiguousOrder(c) {
			return true
		}
	}
	return false
}

func countKey(el *etree.Element, key string) int {
	n := 0
	for _, a := range el.Attr {
		if a.Key == key {
			n++
		}
	}
	return n
}
