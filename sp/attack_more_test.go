package sp_test

// Attack cases found after the main table was written.

import (
	"context"
	"encoding/base64"
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
