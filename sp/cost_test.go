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
	attrRoom       = 40000 - 100
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

// padding is text elements that fill a document of size used up to MaxDecodedSize
// (within MaxValueLength per text).
func padding(used int) string {
	room := defaultDecoded - 1024 - used
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
		{name: "C14N amplification, long URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 1000) }, want: sp.ErrSignature, detail: "more than 8 times"},
		{name: "C14N amplification, 12 KB URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 12000) }, want: sp.ErrMalformed, detail: "more than 1024"},
		{name: "C14N attribute sort, short URIs", doc: func(tb testing.TB) []byte { return c14nBomb(tb, 58, 8) }, want: sp.ErrSignature},
		{name: "gate duplicate-attribute check", doc: func(tb testing.TB) []byte { return dupAttrBomb(tb, 62) }},
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
