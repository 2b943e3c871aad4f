package samltest

import (
	"bytes"
	"github.com/ssokit/saml/internal/testenv"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"
)

func mustDoc(t *testing.T, idp *IdP, o Options) *etree.Document {
	t.Helper()
	doc, err := idp.ResponseDoc(o)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestEachPlacementVerifiesWithGoxmldsig(t *testing.T) {
	idp := DefaultIdP()
	for _, tc := range []struct {
		sign                Placement
		response, assertion bool
	}{
		{SignAssertion, false, true},
		{SignResponse, true, false},
		{SignBoth, true, true},
		{SignNone, false, false},
	} {
		t.Run(tc.sign.String(), func(t *testing.T) {
			b := idp.MustResponse(t, Options{Sign: tc.sign})
			doc, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			resp := doc.Root()
			a := AssertionOf(doc)
			if (SignatureOf(resp) != nil) != tc.response || (SignatureOf(a) != nil) != tc.assertion {
				t.Fatalf("signature placement: response %v assertion %v", SignatureOf(resp) != nil, SignatureOf(a) != nil)
			}
			if tc.response {
				if _, err := Verify(resp, Now, idp.Cert); err != nil {
					t.Errorf("response signature: %v", err)
				}
				if _, err := Verify(resp, Now, OtherTenantIdP().Cert); err == nil {
					t.Error("response verified with another tenant's certificate")
				}
			}
			if tc.assertion {
				got, err := Verify(a, Now, idp.Cert)
				if err != nil {
					t.Fatalf("assertion signature: %v", err)
				}
				if n := NameIDOf(got); n == nil || n.Text() != UserEmail {
					t.Errorf("verified NameID = %v", n)
				}
			}
		})
	}
}

func TestEntraShape(t *testing.T) {
	b := DefaultIdP().MustResponse(t, Options{Sign: SignBoth})
	s := string(b)
	for _, want := range []string{
		`<samlp:Response ID="_`,
		`xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">`,
		`</Issuer><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><SignedInfo><CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>`,
		`<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><Assertion ID="_`,
		`Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>https://sts.windows.net/` + TenantID + `/</Issuer><Signature xmlns=`,
		`<X509Certificate>`,
		`SessionIndex="` + ID("assertion") + `"`,
		ClaimObjectID, ClaimAuthnMethods, ClaimName,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("missing %q", want)
		}
	}
	if strings.Contains(s, "ds:") || strings.Contains(s, "<?xml") || strings.Contains(s, "\n") {
		t.Error("Entra writes no ds: prefix, no XML declaration and no line breaks")
	}
}

func TestDeterministicAndFixturesUpToDate(t *testing.T) {
	idp := DefaultIdP()
	for _, f := range Fixtures() {
		a := idp.MustResponse(t, f.Options)
		b := idp.MustResponse(t, f.Options)
		if !bytes.Equal(a, b) {
			t.Fatalf("%s: two runs differ", f.Name)
		}
		onDisk, err := os.ReadFile(filepath.Join("..", "..", "testdata", f.Name+".xml"))
		if err != nil {
			t.Fatalf("%s: %v (run go generate ./internal/samltest)", f.Name, err)
		}
		if !bytes.Equal(onDisk, a) {
			t.Errorf("testdata/%s.xml is stale: run go generate ./internal/samltest", f.Name)
		}
	}
}

func TestXMLSec1VerifiesFixtures(t *testing.T) {
	idp := DefaultIdP()
	for _, f := range Fixtures() {
		b := idp.MustResponse(t, f.Options)
		for _, id := range []string{ID("response"), ID("assertion")} {
			signed := (id == ID("response") && f.Options.Sign != SignAssertion) ||
				(id == ID("assertion") && f.Options.Sign != SignResponse)
			if !signed {
				continue
			}
			ok, out, err := XMLSec1(b, idp.Cert, id)
			if err != nil {
				testenv.Missing(t, "xmlsec1 not available (%v): apt-get install xmlsec1", err)
			}
			if !ok {
				t.Errorf("%s: xmlsec1 rejects the signature in %s:\n%s", f.Name, id, out)
			}
			if ok, _, _ := XMLSec1(b, OtherTenantIdP().Cert, id); ok {
				t.Errorf("%s: xmlsec1 accepts another tenant's key", f.Name)
			}
		}
	}
}

func TestAlgorithmsAndRollover(t *testing.T) {
	for _, alg := range []Algorithm{SHA1, SHA256, SHA384, SHA512} {
		idp := NextIdP()
		doc := mustDoc(t, idp, Options{Algorithm: alg})
		if _, err := Verify(AssertionOf(doc), Now, DefaultIdP().Cert, idp.Cert); err != nil {
			t.Errorf("%q: %v", alg, err)
		}
	}
}

func TestAttackerIdPIsNotTrusted(t *testing.T) {
	atk := AttackerIdP()
	real := DefaultIdP()
	if atk.Cert.Subject.String() != real.Cert.Subject.String() || atk.Cert.SerialNumber.Cmp(real.Cert.SerialNumber) != 0 {
		t.Fatal("clone must copy subject and serial")
	}
	doc := mustDoc(t, atk, Options{})
	if _, err := Verify(AssertionOf(doc), Now, atk.Cert); err != nil {
		t.Fatalf("attacker signature is not even self-consistent: %v", err)
	}
	if _, err := Verify(AssertionOf(doc), Now, real.Cert); err == nil {
		t.Fatal("attacker-signed assertion verified with the real certificate")
	}
}

func TestSignSpecShapesAreSound(t *testing.T) {
	idp := DefaultIdP()
	// Shapes goxmldsig itself accepts: only our SP's own profile can refuse them.
	for name, spec := range map[string]Spec{
		"entra-like":        {},
		"inclusive c14n":    {Transforms: []string{AlgEnveloped, AlgC14N11}},
		"with comments":     {Transforms: []string{AlgEnveloped, AlgExcC14NComments}},
		"sha1":              {SignatureMethod: AlgRSASHA1, DigestMethod: AlgDigestSHA1},
		"empty URI":         {References: []string{""}},
		"no enveloped":      {Transforms: []string{AlgExcC14N}},
		"SignedInfo c14n11": {C14NMethod: AlgC14N11},
	} {
		t.Run(name, func(t *testing.T) {
			doc := mustDoc(t, idp, Options{Sign: SignNone})
			a := AssertionOf(doc)
			if err := idp.SignSpec(a, spec); err != nil {
				t.Fatal(err)
			}
			if name == "no enveloped" {
				return // the digest covers a document that still contains the signature
			}
			if _, err := Verify(a, Now, idp.Cert); err != nil {
				t.Errorf("goxmldsig rejects: %v", err)
			}
		})
	}
}

func TestVerifyReferenceFindsMovedTarget(t *testing.T) {
	idp := DefaultIdP()
	doc := mustDoc(t, idp, Options{})
	a := AssertionOf(doc)
	sig := SignatureOf(a)
	// XSW5-like: the signature stays, the pristine copy moves elsewhere.
	pristine := Copy(a)
	RemoveSignature(pristine)
	a.CreateAttr("ID", "_evil")
	Append(doc.Root(), pristine)
	if _, err := VerifyReference(doc, sig, Now, idp.Cert); err != nil {
		t.Fatalf("the moved reference target should still verify: %v", err)
	}
	if _, err := Verify(a, Now, idp.Cert); err == nil {
		t.Fatal("the evil assertion must not verify on its own")
	}
}

func TestEncryptedAssertionRoundTrip(t *testing.T) {
	sp := DefaultSP()
	idp := DefaultIdP()
	doc := mustDoc(t, idp, Options{EncryptTo: sp.Cert})
	if AssertionOf(doc) != nil {
		t.Fatal("plaintext assertion left in place")
	}
	ea := Child(doc.Root(), NSAssertion, "EncryptedAssertion")
	if ea == nil {
		t.Fatal("no EncryptedAssertion")
	}
	plain, err := sp.Decrypt(ea)
	if err != nil {
		t.Fatal(err)
	}
	pd, err := Parse(plain)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(pd.Root(), Now, idp.Cert); err != nil {
		t.Fatalf("decrypted assertion signature: %v", err)
	}
}

func TestManyAttributeValues(t *testing.T) {
	vals := make([]string, 5000)
	for i := range vals {
		vals[i] = ID("group" + string(rune('a'+i%26)) + strings.Repeat("x", i%7))[1:]
	}
	idp := DefaultIdP()
	doc := mustDoc(t, idp, Options{Groups: vals})
	if _, err := Verify(AssertionOf(doc), Now, idp.Cert); err != nil {
		t.Fatal(err)
	}
}

func TestOptionsReachTheDocument(t *testing.T) {
	idp := DefaultIdP()
	doc := mustDoc(t, idp, Options{Unsolicited: true, Destination: "https://d", Recipient: "https://r",
		Audience: "urn:aud", NameID: "n@x", Status: StatusResponder, StatusMessage: "AADSTS50105"})
	r := doc.Root()
	a := AssertionOf(doc)
	if r.SelectAttr("InResponseTo") != nil || SubjectConfirmationDataOf(a).SelectAttr("InResponseTo") != nil {
		t.Error("unsolicited response carries InResponseTo")
	}
	if r.SelectAttrValue("Destination", "") != "https://d" ||
		SubjectConfirmationDataOf(a).SelectAttrValue("Recipient", "") != "https://r" ||
		Find(a, NSAssertion, "Audience").Text() != "urn:aud" || NameIDOf(a).Text() != "n@x" ||
		Find(r, NSProtocol, "StatusCode").SelectAttrValue("Value", "") != StatusResponder {
		t.Error("options not applied")
	}
}
