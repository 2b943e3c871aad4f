package sp_test

// Attack cases found after the main table was written.

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

// #30(d), #26(f): every sibling EncryptedKey is tried with RSA, so one unauthenticated
// post of ~1.5 MB (about 700 garbage EncryptedKeys) costs seconds of CPU (measured here:
// 100 keys, 0.5 s on a loaded 2-core machine). Entra sends exactly one EncryptedKey
// (inside EncryptedData/KeyInfo); more than one must be refused before any RSA work.
func TestAttackManyEncryptedKeys(t *testing.T) {
	doc, err := samltest.DefaultIdP().ResponseDoc(samltest.Options{EncryptTo: samltest.DefaultSP().Cert})
	if err != nil {
		t.Fatal(err)
	}
	ea := samltest.Child(doc.Root(), nsSAML, "EncryptedAssertion")
	data := samltest.Child(ea, samltest.NSXMLEnc, "EncryptedData")
	ki := samltest.Child(data, nsDSig, "KeyInfo")
	good := samltest.Copy(samltest.Child(ki, samltest.NSXMLEnc, "EncryptedKey"))
	data.RemoveChild(ki)
	bad := samltest.Copy(good)
	samltest.Find(bad, samltest.NSXMLEnc, "CipherValue").SetText(base64.StdEncoding.EncodeToString(make([]byte, 256)))
	ea.AddChild(bad)
	ea.AddChild(good)
	_, err = attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(samltest.Serialize(doc)), samltest.RequestID)
	if err == nil {
		t.Fatal("accepted an EncryptedAssertion with two EncryptedKeys: each is an RSA decryption an attacker can multiply")
	}
	checkRejection(t, err, []error{sp.ErrMalformed}, nil)
}

// #26: exclusive C14N drops comments one at a time, renumbering later siblings, so n
// comments cost O(n²) CPU: 100,000 comments in a fake SignedInfo (under 1 MB posted)
// took 27 s before the gate counted them. They must be refused before any
// canonicalization, by the XML gate.
func TestAttackCommentFloodIsRefusedByTheGate(t *testing.T) {
	unsigned, err := samltest.DefaultIdP().Response(samltest.Options{Sign: samltest.SignNone})
	if err != nil {
		t.Fatal(err)
	}
	sig := `<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
		`<ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>` +
		strings.Repeat("<!---->", 40000) +
		`</ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature>`
	i := bytes.Index(unsigned, []byte("<Assertion "))
	j := bytes.Index(unsigned[i:], []byte("</Issuer>")) + i + len("</Issuer>")
	doc := append(append(append([]byte{}, unsigned[:j]...), sig...), unsigned[j:]...)

	_, err = attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(doc), samltest.RequestID)
	var e *sp.Error
	if !errors.Is(err, sp.ErrMalformed) || !errors.As(err, &e) || e.Check != "xml" || !strings.Contains(err.Error(), "comments") {
		t.Fatalf("err = %v, want ErrMalformed from the xml gate naming the comments", err)
	}

	// Control: the same comments, under the cap, are not what is refused.
	few := bytes.Replace(doc, []byte(strings.Repeat("<!---->", 40000)), []byte("<!---->"), 1)
	_, err = attackSP(t, attackConfig()).ValidateResponse(context.Background(), samltest.Encode(few), samltest.RequestID)
	if !errors.Is(err, sp.ErrSignature) {
		t.Fatalf("control: err = %v, want the forged signature refused as ErrSignature", err)
	}
}
