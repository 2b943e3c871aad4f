package xmldsig

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/recorded"
	"github.com/ssokit/saml/internal/samltest"
)

// TestCanonicalizeIsGoxmldsigExcC14N: canonicalize skips the copy goxmldsig's
// Canonicalize makes and writes into a reused buffer; its bytes must be exactly
// goxmldsig's, for every element of every document we have, with and without an
// InclusiveNamespaces PrefixList. Otherwise a genuine signature would fail to verify or,
// worse, two forms would disagree about what was signed.
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
				want, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList(prefixes).Canonicalize(detach(el))
				if err != nil {
					continue // goxmldsig refuses it (e.g. an undeclared prefix); so would Verify
				}
				buf, err := canonicalize(detach(el), prefixes)
				if err != nil {
					t.Errorf("%s <%s> prefixes %q: goxmldsig canonicalizes it, we fail: %v", name, el.FullTag(), prefixes, err)
					continue
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Errorf("%s <%s> prefixes %q:\n got %s\nwant %s", name, el.FullTag(), prefixes, buf.Bytes(), want)
				}
				release(buf)
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
