package xmldsig_test

import (
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/internal/xmldsig"
)

// signedAssertion is a fresh Entra-shaped Response whose Assertion the test IdP signed
// with the given spec; it returns the Assertion and its Signature.
func signedAssertion(t *testing.T, spec *samltest.Spec) (*etree.Element, *etree.Element) {
	t.Helper()
	idp := samltest.DefaultIdP()
	doc, err := idp.ResponseDoc(samltest.Options{Sign: samltest.SignNone})
	if err != nil {
		t.Fatal(err)
	}
	a := samltest.AssertionOf(doc)
	if spec == nil {
		err = idp.Sign(a, samltest.SHA256)
	} else {
		err = idp.SignSpec(a, *spec)
	}
	if err != nil {
		t.Fatal(err)
	}
	// Re-parse, as the SP sees it.
	doc, err = samltest.Parse(samltest.Serialize(doc))
	if err != nil {
		t.Fatal(err)
	}
	a = samltest.AssertionOf(doc)
	return a, samltest.SignatureOf(a)
}

func trusted() []*x509.Certificate { return []*x509.Certificate{samltest.DefaultIdP().Cert} }

func TestProfile(t *testing.T) {
	cases := []struct {
		name    string
		spec    samltest.Spec
		profile xmldsig.Profile
		want    error // nil: verifies
	}{
		{"Entra's shape", samltest.Spec{}, xmldsig.Profile{}, nil},
		{"no KeyInfo: configured certificates are tried", samltest.Spec{NoKeyInfo: true}, xmldsig.Profile{}, nil},
		{"RSA-SHA384", samltest.Spec{SignatureMethod: xmldsig.RSASHA384, DigestMethod: xmldsig.SHA384}, xmldsig.Profile{}, nil},
		{"RSA-SHA512", samltest.Spec{SignatureMethod: xmldsig.RSASHA512, DigestMethod: xmldsig.SHA512}, xmldsig.Profile{}, nil},
		{"RSA-SHA1 without opt-in", samltest.Spec{SignatureMethod: xmldsig.RSASHA1}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"SHA-1 digest without opt-in", samltest.Spec{DigestMethod: xmldsig.SHA1}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"RSA-SHA1 with opt-in", samltest.Spec{SignatureMethod: xmldsig.RSASHA1, DigestMethod: xmldsig.SHA1}, xmldsig.Profile{AllowSHA1: true}, nil},
		{"HMAC-SHA256", samltest.Spec{SignatureMethod: samltest.AlgHMACSHA256, HMACKey: []byte("k")}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"HMAC-SHA1 even with SHA-1 opt-in", samltest.Spec{SignatureMethod: samltest.AlgHMACSHA1, HMACKey: []byte("k")}, xmldsig.Profile{AllowSHA1: true}, xmldsig.ErrAlgorithm},
		{"inclusive C14N of SignedInfo", samltest.Spec{C14NMethod: samltest.AlgC14N10}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"C14N with comments", samltest.Spec{C14NMethod: samltest.AlgExcC14NComments}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"no transforms", samltest.Spec{Transforms: []string{}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"enveloped only", samltest.Spec{Transforms: []string{samltest.AlgEnveloped}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"transforms reversed", samltest.Spec{Transforms: []string{samltest.AlgExcC14N, samltest.AlgEnveloped}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"XSLT transform", samltest.Spec{Transforms: []string{samltest.AlgEnveloped, samltest.AlgXSLT}, TransformBody: "x"}, xmldsig.Profile{}, xmldsig.ErrAlgorithm},
		{"third transform", samltest.Spec{Transforms: []string{samltest.AlgEnveloped, samltest.AlgExcC14N, samltest.AlgBase64}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"empty Reference URI", samltest.Spec{References: []string{""}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"Reference to another ID", samltest.Spec{References: []string{"#" + samltest.ID("response")}}, xmldsig.Profile{}, xmldsig.ErrProfile},
		{"two References", samltest.Spec{References: []string{"#" + samltest.ID("assertion"), "#" + samltest.ID("assertion")}}, xmldsig.Profile{}, xmldsig.ErrProfile},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, sig := signedAssertion(t, &c.spec)
			v, err := xmldsig.Verify(a, sig, trusted(), c.profile)
			if c.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if v.Element.SelectAttrValue("ID", "") != samltest.ID("assertion") || samltest.SignatureOf(v.Element) != nil {
					t.Fatal("Verified.Element is not the assertion without its signature")
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestUntrustedSignerIsReportedWithItsKeyInfo(t *testing.T) {
	a, sig := signedAssertion(t, nil)
	other := []*x509.Certificate{samltest.OtherTenantIdP().Cert}
	_, err := xmldsig.Verify(a, sig, other, xmldsig.Profile{})
	var e *xmldsig.Error
	if !errors.As(err, &e) || !errors.Is(err, xmldsig.ErrUntrusted) {
		t.Fatalf("err = %v, want ErrUntrusted", err)
	}
	if string(e.KeyInfoCert) != string(samltest.DefaultIdP().Cert.Raw) {
		t.Fatal("KeyInfoCert is not the certificate KeyInfo carried")
	}
}

func TestKeyInfoNeverAddsTrust(t *testing.T) {
	atk := samltest.AttackerIdP()
	doc, err := atk.ResponseDoc(samltest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := samltest.AssertionOf(doc)
	if _, err := xmldsig.Verify(a, samltest.SignatureOf(a), trusted(), xmldsig.Profile{}); !errors.Is(err, xmldsig.ErrUntrusted) {
		t.Fatalf("err = %v, want ErrUntrusted", err)
	}
}

func TestModifiedContentFailsTheDigest(t *testing.T) {
	a, sig := signedAssertion(t, nil)
	samltest.NameIDOf(a).SetText("admin@contoso.example")
	if _, err := xmldsig.Verify(a, sig, trusted(), xmldsig.Profile{}); !errors.Is(err, xmldsig.ErrDigest) {
		t.Fatalf("err = %v, want ErrDigest", err)
	}
}

func TestSignatureShape(t *testing.T) {
	cases := map[string]func(a, sig *etree.Element) (el, s *etree.Element){
		"Object in Signature": func(a, sig *etree.Element) (*etree.Element, *etree.Element) {
			sig.CreateElement("Object")
			return a, sig
		},
		"two SignatureValues": func(a, sig *etree.Element) (*etree.Element, *etree.Element) {
			sv := samltest.Child(sig, xmldsig.Namespace, "SignatureValue")
			samltest.InsertAfter(sv, sv.Copy())
			return a, sig
		},
		"not a child of the signed element": func(a, sig *etree.Element) (*etree.Element, *etree.Element) {
			return a.Parent(), sig
		},
		"signed element without ID": func(a, sig *etree.Element) (*etree.Element, *etree.Element) {
			a.RemoveAttr("ID")
			return a, sig
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			a, sig := signedAssertion(t, nil)
			el, s := mutate(a, sig)
			if _, err := xmldsig.Verify(el, s, trusted(), xmldsig.Profile{}); !errors.Is(err, xmldsig.ErrProfile) {
				t.Fatalf("err = %v, want ErrProfile", err)
			}
		})
	}
}

func TestVerifyLeavesTheTreeAsItWas(t *testing.T) {
	a, sig := signedAssertion(t, nil)
	doc := etree.NewDocument()
	doc.SetRoot(a.Parent().Copy())
	before, _ := doc.WriteToString()
	if _, err := xmldsig.Verify(a, sig, trusted(), xmldsig.Profile{}); err != nil {
		t.Fatal(err)
	}
	doc.SetRoot(a.Parent().Copy())
	after, _ := doc.WriteToString()
	if before != after {
		t.Fatal("Verify changed the document")
	}
}

func TestOversizedSignedInfoIsRefusedBeforeCanonicalization(t *testing.T) {
	a, sig := signedAssertion(t, nil)
	si := samltest.Child(sig, xmldsig.Namespace, "SignedInfo")
	for range 20 {
		si.CreateElement("Junk")
	}
	_, err := xmldsig.Verify(a, sig, trusted(), xmldsig.Profile{})
	var e *xmldsig.Error
	if !errors.As(err, &e) || !errors.Is(err, xmldsig.ErrProfile) || !strings.Contains(e.Reason, "more than") {
		t.Fatalf("err = %v, want the SignedInfo size bound", err)
	}
}

// countingWriter counts what canonicalization writes.
type countingWriter struct{ n int }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// amplifier is finding 1 of issue #12 in small: an element declaring prefixes with long
// URIs, holding children that each use every prefix, so exclusive C14N writes every
// declaration again on every child.
func amplifier(prefixes, uriLen, children int) string {
	var b strings.Builder
	b.WriteString("<Amp")
	for i := range prefixes {
		fmt.Fprintf(&b, ` xmlns:p%d="urn:%d:%s"`, i, i, strings.Repeat("u", uriLen))
	}
	b.WriteString(">")
	for range children {
		b.WriteString("<e")
		for i := range prefixes {
			fmt.Fprintf(&b, ` p%d:a=""`, i)
		}
		b.WriteString("/>")
	}
	return b.String() + "</Amp>"
}

func TestCanonicalizationStopsAtItsBudget(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(amplifier(50, 1000, 200)); err != nil {
		t.Fatal(err)
	}
	el := doc.Root()
	// Unbounded, this writes 200 × 50 declarations of 1 KB: 10 MB from a 150 KB element.
	var all countingWriter
	if err := xmldsig.CanonicalizeTo(&all, el, nil, "", 1<<30); err != nil || all.n < 10_000_000 {
		t.Fatalf("control: the element canonicalizes to %d bytes (%v), want over 10 MB", all.n, err)
	}
	var w countingWriter
	limit := xmldsig.Budget(el)
	if err := xmldsig.CanonicalizeTo(&w, el, nil, "", limit); err != xmldsig.ErrBudget {
		t.Fatalf("err = %v, want the budget refusal", err)
	}
	if w.n > limit || limit > xmldsig.CanonicalRatio*len(amplifier(50, 1000, 200))+xmldsig.CanonicalSlack {
		t.Fatalf("wrote %d bytes under a budget of %d", w.n, limit)
	}
}

func TestAmplifyingAssertionIsRefusedWithinItsBudget(t *testing.T) {
	a, sig := signedAssertion(t, nil)
	amp, err := samltest.Parse([]byte(amplifier(50, 1000, 200)))
	if err != nil {
		t.Fatal(err)
	}
	a.AddChild(amp.Root())
	_, err = xmldsig.Verify(a, sig, trusted(), xmldsig.Profile{})
	var e *xmldsig.Error
	if !errors.As(err, &e) || !errors.Is(err, xmldsig.ErrProfile) || !strings.Contains(e.Reason, "times its") {
		t.Fatalf("err = %v, want the canonicalization budget", err)
	}
}
