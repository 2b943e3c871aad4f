package sp_test

// Worst cases of the cost model (SECURITY.md, "What a response costs"): for each stage a
// response passes through, the input that makes it work hardest under the default
// Limits. TestWorstCaseCost asserts each is refused (or accepted) and that the bytes it
// allocates stay under a bound; BenchmarkWorstCase reports ns/op and B/op for each next
// to a normal Entra-shaped login. No test here reads a clock.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

// forgetAll is a ReplayCache that accepts every ID, so a benchmark can post the same
// response again and again.
type forgetAll struct{}

func (forgetAll) Remember(context.Context, string, time.Time) error { return nil }

// Default limits the generators fill up to: MaxDecodedSize and MaxXMLAttributes (less
// the ordinary response's own attributes).
const (
	defaultDecoded = 3 << 19
	attrRoom       = 30000 - 100
)

// fill returns how many copies of unit fit into the room left in a document of size
// used, under the default MaxDecodedSize (keeping 1 KiB spare).
func fill(used, fixed int, unit string) int {
	n := (defaultDecoded - 1024 - used - fixed) / len(unit)
	if n < 1 {
		n = 1
	}
	return n
}

// insertBefore puts s before the first occurrence of marker in doc.
func insertBefore(tb testing.TB, doc []byte, marker, s string) []byte {
	tb.Helper()
	i := bytes.Index(doc, []byte(marker))
	if i < 0 {
		tb.Fatalf("marker %q not in the document", marker)
	}
	out := make([]byte, 0, len(doc)+len(s))
	out = append(out, doc[:i]...)
	out = append(out, s...)
	return append(out, doc[i:]...)
}

// prefixedAttrs is ` p0:a="" p1:a="" …`: one attribute of the same local name under each
// of n prefixes.
func prefixedAttrs(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, ` p%d:a=""`, i)
	}
	return b.String()
}

// prefixDecls declares p0…p(n-1), each bound to a distinct URI of about uriLen bytes.
func prefixDecls(n, uriLen int) string {
	var b strings.Builder
	for i := range n {
		u := fmt.Sprintf("urn:%d:", i)
		fmt.Fprintf(&b, ` xmlns:p%d="%s%s"`, i, u, strings.Repeat("u", max(0, uriLen-len(u))))
	}
	return b.String()
}

// c14nBomb is finding 1 of issue #12: after the IdP signed the Assertion, an element is
// added inside it that declares prefixes (with URIs of uriLen bytes) and holds as many
// empty elements as the limits let in, each using every prefix in an attribute of one
// local name. SignedInfo still verifies, so the Assertion is canonicalized before its
// digest can fail, and exclusive C14N renders every declaration again on every child.
// Text pads the document to MaxDecodedSize, which raises the canonicalization budget
// to its highest.
func c14nBomb(tb testing.TB, prefixes, uriLen int) []byte {
	good := samltest.DefaultIdP().MustResponse(tb, samltest.Options{})
	decls := prefixDecls(prefixes, uriLen)
	child := "<e" + prefixedAttrs(prefixes) + "/>"
	n := min(fill(len(good), len(decls)+20, child), (attrRoom-prefixes)/prefixes)
	bomb := "<Amp" + decls + ">" + strings.Repeat(child, n) + "</Amp>"
	return insertBefore(tb, good, "</Assertion>", padding(len(good)+len(bomb))+bomb)
}

// c14nBombAsReported is finding 1 as the review built it, before MaxXMLAttributes and
// MaxNamespaceURILength existed: 58 URIs of 12 KB, as many children as fit.
func c14nBombAsReported(tb testing.TB) []byte {
	good := samltest.DefaultIdP().MustResponse(tb, samltest.Options{})
	decls := prefixDecls(58, 12000)
	child := "<e" + prefixedAttrs(58) + "/>"
	n := fill(len(good), len(decls)+20, child)
	return insertBefore(tb, good, "</Assertion>", "<Amp"+decls+">"+strings.Repeat(child, n)+"</Amp>")
}

// dupAttrBombAsReported is finding 2 as the review built it: as many elements as fit.
func dupAttrBombAsReported(tb testing.TB) []byte {
	good := samltest.DefaultIdP().MustResponse(tb, samltest.Options{})
	decls := prefixDecls(62, 8)
	child := "<x" + prefixedAttrs(62) + "/>"
	n := fill(len(good), len(decls)+40, child)
	return insertBefore(tb, good, "<Assertion", "<samlp:Extensions"+decls+">"+strings.Repeat(child, n)+"</samlp:Extensions>")
}

// padding is text elements that fill a document of size used up to MaxDecodedSize
// (within MaxValueLength per text).
func padding(used int) string { return padTo(used, defaultDecoded-1024) }

// padTo is text elements that fill a document of size used up to about size bytes.
func padTo(used, size int) string {
	room := size - used
	var b strings.Builder
	for room > 32 {
		n := min(room-16, 60<<10)
		b.WriteString("<Pad>" + strings.Repeat("p", n) + "</Pad>")
		room -= n + 11
	}
	return b.String()
}

// dupAttrBomb is finding 2 of issue #12: elements with prefixes attributes of the same
// local name under different prefixes, as many as the limits let in, in the Response's
// Extensions. No signature is needed: the gate sees it first.
func dupAttrBomb(tb testing.TB, prefixes int) []byte {
	good := samltest.DefaultIdP().MustResponse(tb, samltest.Options{})
	decls := prefixDecls(prefixes, 8)
	child := "<x" + prefixedAttrs(prefixes) + "/>"
	n := min(fill(len(good), len(decls)+40, child), (attrRoom-prefixes)/prefixes)
	return insertBefore(tb, good, "<Assertion", "<samlp:Extensions"+decls+">"+strings.Repeat(child, n)+"</samlp:Extensions>")
}

// afterSigning edits the text of an ordinary assertion-signed response after the IdP
// signed it: the Assertion's digest fails, but only once it was canonicalized.
func afterSigning(tb testing.TB, marker, insert string) []byte {
	return insertBefore(tb, normalLogin(tb), marker, insert)
}

// manyReferences stuffs the Assertion's SignedInfo with Reference elements.
func manyReferences(tb testing.TB) []byte {
	good := normalLogin(tb)
	ref := `<Reference URI="#x"><Transforms><Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></Transforms><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><DigestValue>AAAA</DigestValue></Reference>`
	n := min(fill(len(good), 0, ref), 29000/6)
	return insertBefore(tb, good, "</SignedInfo>", strings.Repeat(ref, n))
}

// hugeSignatureValue replaces the Assertion's SignatureValue by 64 KiB of base64.
func hugeSignatureValue(tb testing.TB) []byte {
	good := normalLogin(tb)
	i := bytes.Index(good, []byte("<SignatureValue>")) + len("<SignatureValue>")
	j := bytes.Index(good, []byte("</SignatureValue>"))
	return slices.Concat(good[:i], bytes.Repeat([]byte("QUFB"), 16<<10), good[j:])
}

// manyEncryptedKeys is an EncryptedAssertion for the SP with as many EncryptedKeys as
// fit beside its EncryptedData, each of which could cost an RSA decryption.
func manyEncryptedKeys(tb testing.TB) []byte {
	doc := samltest.DefaultIdP().MustResponse(tb, samltest.Options{EncryptTo: samltest.DefaultSP().Cert})
	i := bytes.Index(doc, []byte("<xenc:EncryptedKey "))
	j := bytes.Index(doc, []byte("</xenc:EncryptedKey>")) + len("</xenc:EncryptedKey>")
	ek := strings.Replace(string(doc[i:j]), "<xenc:EncryptedKey ", `<xenc:EncryptedKey xmlns:ds="`+samltest.NSDSig+`" `, 1)
	n := min(fill(len(doc), 0, ek), 29000/10)
	return insertBefore(tb, doc, "</EncryptedAssertion>", strings.Repeat(ek, n))
}

// encryptedGateBomb is the gate's worst case as the plaintext of an EncryptedAssertion
// made with the SP's public certificate (which anyone may do): the plaintext gets its
// own gate and parse.
func encryptedGateBomb(tb testing.TB) []byte {
	decls := prefixDecls(62, 8)
	child := "<x" + prefixedAttrs(62) + "/>"
	// The ciphertext is base64 (4/3) of the plaintext; leave room for the rest.
	n := min((defaultDecoded*3/4-8<<10)/len(child), (attrRoom-62)/62)
	plain := `<Assertion xmlns="` + samltest.NSAssertion + `" ID="_e" Version="2.0"` + decls + ">" + strings.Repeat(child, n) + "</Assertion>"
	ea, err := samltest.EncryptBytes([]byte(plain), samltest.DefaultSP().Cert)
	if err != nil {
		tb.Fatal(err)
	}
	doc := etree.NewDocument()
	doc.SetRoot(ea)
	s, err := doc.WriteToString()
	if err != nil {
		tb.Fatal(err)
	}
	good := samltest.DefaultIdP().MustResponse(tb, samltest.Options{EncryptTo: samltest.DefaultSP().Cert})
	i := bytes.Index(good, []byte("<EncryptedAssertion"))
	j := bytes.Index(good, []byte("</EncryptedAssertion>")) + len("</EncryptedAssertion>")
	return slices.Concat(good[:i], []byte(s), good[j:])
}

// deepScopes nests elements 31 deep inside the signed Assertion, each level declaring
// two prefixes its children use, as many times as the limits allow.
func deepScopes(tb testing.TB) []byte {
	var b strings.Builder
	for i := range 30 {
		fmt.Fprintf(&b, `<d xmlns:a%d="urn:a:%d" xmlns:b%d="urn:b:%d" a%d:x="" b%d:x="">`, i%2, i, i%2, i, i%2, i%2)
	}
	b.WriteString(strings.Repeat("</d>", 30))
	unit := b.String()
	good := normalLogin(tb)
	n := min(fill(len(good), 0, unit), 29000/30, 29000/60, attrRoom/120)
	return insertBefore(tb, good, "</Assertion>", strings.Repeat(unit, n))
}

// manyIDs is as many elements with a distinct ID attribute as the limits allow.
func manyIDs(tb testing.TB) []byte {
	var b strings.Builder
	for i := range 29000 {
		fmt.Fprintf(&b, `<x ID="_%08x-0000-4000-8000-000000000000"/>`, i)
	}
	return inExtensions(tb, b.String())
}

// longTexts pads the signed Assertion, after signing, with text nodes of 60 KiB up to
// MaxDecodedSize, which every stage reads and canonicalization escapes.
func longTexts(tb testing.TB) []byte {
	good := normalLogin(tb)
	return insertBefore(tb, good, "</Assertion>", padding(len(good)))
}

// manyCDATA splits the signed NameID, after signing, into as many CDATA sections as fit:
// each is a text token of its own that the value reader must join.
func manyCDATA(tb testing.TB) []byte {
	good := normalLogin(tb)
	unit := "<![CDATA[a]]>"
	return insertBefore(tb, good, "</NameID>", strings.Repeat(unit, fill(len(good), 0, unit)))
}

// maxElements is the most elements the limits allow, in the unsigned Extensions.
func maxElements(tb testing.TB) []byte { return inExtensions(tb, strings.Repeat("<x/>", 29900)) }

// maxAttributes is the most XML attributes the limits allow, ten to an element.
func maxAttributes(tb testing.TB) []byte {
	el := `<x a0="" a1="" a2="" a3="" a4="" a5="" a6="" a7="" a8="" a9=""/>`
	return inExtensions(tb, strings.Repeat(el, attrRoom/10))
}

// wrappedBase64 is a response padded to MaxDecodedSize whose form value has a line
// break after every four characters, as far as MaxEncodedSize allows.
func wrappedBase64(tb testing.TB) string {
	// Base64 is 4/3 of the document and a CRLF after every 4 characters 6/4 of that.
	good := normalLogin(tb)
	doc := inExtensions(tb, padTo(len(good), (2<<20)/2-4096))
	enc := samltest.Encode(doc)
	var b strings.Builder
	for i := 0; i < len(enc); i += 4 {
		b.WriteString(enc[i:min(i+4, len(enc))])
		b.WriteString("\r\n")
	}
	return b.String()
}

// maxValues is one attribute with MaxAttributeValues values, signed: the most a genuine
// response makes the value reader do.
func maxValues(tb testing.TB) []byte {
	v := make([]string, 10000)
	for i := range v {
		v[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	return samltest.DefaultIdP().MustResponse(tb, samltest.Options{Groups: v, Sign: samltest.SignBoth})
}

// worstCase is one input of the table.
type worstCase struct {
	name string
	doc  func(tb testing.TB) []byte
	form func(tb testing.TB) string // instead of doc, for form-level cases
	want error                      // nil: accepted
	// detail, when set, must appear in the error: the stage that refused it.
	detail string
}

func (c worstCase) outcome(err error) bool {
	if c.want == nil {
		return err == nil
	}
	return errors.Is(err, c.want) && strings.Contains(err.Error(), c.detail)
}

func (c worstCase) encoded(tb testing.TB) string {
	if c.form != nil {
		return c.form(tb)
	}
	return samltest.Encode(c.doc(tb))
}

func normalLogin(tb testing.TB) []byte {
	return samltest.DefaultIdP().MustResponse(tb, samltest.Options{})
}

func worstCases() []worstCase {
	return []worstCase{
		{name: "normal login (Entra shape)", doc: normalLogin},
		{name: "finding 1 as reported (58 URIs of 12 KB)", doc: c14nBombAsReported, want: sp.ErrMalformed, detail: "XML attributes"},
		{name: "finding 2 as reported (62 prefixes, 1.5 MB)", doc: dupAttrBombAsReported, want: sp.ErrMalformed, detail: "XML attributes"},
		{name: "C14N amplification, long URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 1000) }, want: sp.ErrSignature, detail: "more than 8 times"},
		{name: "C14N amplification, 12 KB URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 12000) }, want: sp.ErrMalformed, detail: "more than 1024"},
		{name: "C14N attribute sort, short URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 8) }, want: sp.ErrSignature},
		{name: "gate duplicate-attribute check", doc: func(tb testing.TB) []byte { return dupAttrBomb(tb, 62) }},
		{name: "SignedInfo with thousands of References", doc: manyReferences, want: sp.ErrSignature, detail: "more than 16 elements"},
		{name: "64 KiB SignatureValue", doc: hugeSignatureValue, want: sp.ErrSignature},
		{name: "thousands of EncryptedKeys", doc: manyEncryptedKeys, want: sp.ErrMalformed},
		{name: "gate worst case as encrypted plaintext", doc: encryptedGateBomb, want: sp.ErrMalformed},
		{name: "deep namespace scopes in the signed Assertion", doc: deepScopes, want: sp.ErrSignature},
		{name: "29,000 IDs", doc: manyIDs},
		{name: "long text nodes in the signed Assertion", doc: longTexts, want: sp.ErrSignature},
		{name: "NameID split into CDATA sections", doc: manyCDATA, want: sp.ErrSignature},
		{name: "30,000 elements", doc: maxElements},
		{name: "30,000 XML attributes", doc: maxAttributes},
		{name: "base64 wrapped every 4 characters", form: wrappedBase64},
		{name: "10,000 attribute values, both signed", doc: maxValues},
	}
}

func costSP(tb testing.TB) *sp.SP {
	cfg := attackConfig()
	cfg.ReplayCache = forgetAll{}
	return attackSP(tb, cfg)
}

func BenchmarkWorstCase(b *testing.B) {
	ctx := context.Background()
	for _, c := range worstCases() {
		b.Run(c.name, func(b *testing.B) {
			s := costSP(b)
			form := c.encoded(b)
			b.ReportAllocs()
			b.SetBytes(int64(len(form)))
			cpu := cpuTime()
			for b.Loop() {
				_, err := s.ValidateResponse(ctx, form, samltest.RequestID)
				if !c.outcome(err) {
					b.Fatalf("err = %v, want %v", err, c.want)
				}
			}
			if cpu != 0 {
				b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
			}
		})
	}
}

// maxWorstCaseAlloc is the bound on what any one response may allocate.
const maxWorstCaseAlloc = 32 << 20

// TestWorstCaseCost: each worst case ends as its row says, allocating at most 32 MiB
// (a normal login allocates under 0.1 MiB); the benchmark above times them.
func TestWorstCaseCost(t *testing.T) {
	ctx := context.Background()
	for _, c := range worstCases() {
		t.Run(c.name, func(t *testing.T) {
			s := costSP(t)
			form := c.encoded(t)
			var err error
			b, objs := allocated(func() { _, err = s.ValidateResponse(ctx, form, samltest.RequestID) })
			if !c.outcome(err) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			t.Logf("%d bytes of form value: %d bytes in %d objects allocated; %v", len(form), b, objs, err)
			if b > maxWorstCaseAlloc {
				t.Errorf("allocated %d bytes, bound %d", b, maxWorstCaseAlloc)
			}
			// Diagnose runs the same pipeline and reports every check: no dearer.
			var d *sp.Diagnosis
			b, _ = allocated(func() { d = s.Diagnose(ctx, form, samltest.RequestID) })
			if d.OK != (c.want == nil) {
				t.Errorf("Diagnose: OK = %v, ValidateResponse's error %v", d.OK, err)
			}
			if b > maxWorstCaseAlloc {
				t.Errorf("Diagnose allocated %d bytes, bound %d", b, maxWorstCaseAlloc)
			}
		})
	}
}

// inExtensions puts markup in the Response's (unsigned) Extensions of an ordinary
// assertion-signed response, which the SP otherwise accepts.
func inExtensions(tb testing.TB, inner string) []byte {
	return insertBefore(tb, normalLogin(tb), "<Assertion", "<samlp:Extensions>"+inner+"</samlp:Extensions>")
}

// countXML counts the attributes and the namespace declarations of a document.
func countXML(tb testing.TB, doc []byte) (attrs, decls int) {
	d, err := samltest.Parse(doc)
	if err != nil {
		tb.Fatal(err)
	}
	var walk func(el *etree.Element)
	walk = func(el *etree.Element) {
		for _, a := range el.Attr {
			attrs++
			if a.Space == "xmlns" || (a.Space == "" && a.Key == "xmlns") {
				decls++
			}
		}
		for _, c := range el.ChildElements() {
			walk(c)
		}
	}
	walk(d.Root())
	return attrs, decls
}

// TestNamespaceAndAttributeLimits: each limit issue #12 added, just under and just over.
func TestNamespaceAndAttributeLimits(t *testing.T) {
	ctx := context.Background()
	baseAttrs, baseDecls := countXML(t, inExtensions(t, ""))
	uri := func(n int) string { return "urn:" + strings.Repeat("u", n-4) }
	decls := func(n int) string { // n elements each declaring one prefix
		return strings.Repeat(`<x xmlns:z="urn:z"/>`, n)
	}
	attrs := func(n int) string { // n attributes on elements of ten
		var b strings.Builder
		for ; n > 0; n -= 10 {
			b.WriteString("<x")
			for i := range min(n, 10) {
				fmt.Fprintf(&b, ` a%d=""`, i)
			}
			b.WriteString("/>")
		}
		return b.String()
	}
	for _, tc := range []struct {
		name        string
		limits      sp.Limits
		under, over string
	}{
		{"MaxNamespaceURILength", sp.Limits{MaxNamespaceURILength: 100},
			`<x xmlns:z="` + uri(100) + `"/>`, `<x xmlns:z="` + uri(101) + `"/>`},
		{"MaxNamespaceURILength (default namespace)", sp.Limits{MaxNamespaceURILength: 100},
			`<x xmlns="` + uri(100) + `"/>`, `<x xmlns="` + uri(101) + `"/>`},
		{"MaxNamespaceDeclarations", sp.Limits{MaxNamespaceDeclarations: 50},
			decls(50 - baseDecls), decls(51 - baseDecls)},
		{"MaxXMLAttributes", sp.Limits{MaxXMLAttributes: 500},
			attrs(500 - baseAttrs), attrs(501 - baseAttrs)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := attackConfig()
			cfg.Limits = tc.limits
			if _, err := attackSP(t, cfg).ValidateResponse(ctx, samltest.Encode(inExtensions(t, tc.under)), samltest.RequestID); err != nil {
				t.Fatalf("just under the limit: %v", err)
			}
			_, err := attackSP(t, cfg).ValidateResponse(ctx, samltest.Encode(inExtensions(t, tc.over)), samltest.RequestID)
			checkRejection(t, err, errMalformed, []string{"more than"})
		})
	}
}

// TestDefaultLimitsAdmitALargeEncryptedAssertion: the 5,000-value attribute, encrypted,
// is one CipherValue of some 400 KB, which MaxValueLength's 64 KiB must not refuse.
func TestDefaultLimitsAdmitALargeEncryptedAssertion(t *testing.T) {
	groups := make([]string, 5000)
	for i := range groups {
		groups[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
	}
	doc := samltest.DefaultIdP().MustResponse(t, samltest.Options{Groups: groups, EncryptTo: samltest.DefaultSP().Cert})
	cv := regexp.MustCompile(`<(?:\w+:)?CipherValue>([^<]*)<`).FindAllSubmatch(doc, -1)
	if len(cv) == 0 || len(cv[len(cv)-1][1]) <= 64<<10 {
		t.Fatalf("control: the ciphertext is not over 64 KiB")
	}
	a, err := attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(doc), samltest.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Attributes[samltest.ClaimGroups].Values; len(got) != 5000 || got[4999] != groups[4999] {
		t.Fatalf("read %d groups", len(got))
	}
}
