package samltest

import (
	"crypto/x509"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
)

// Encrypt replaces assertion a by <EncryptedAssertion> holding it encrypted for cert the
// way Entra's "Token encryption" does: AES-256-CBC content, key wrapped with RSA-OAEP
// (MGF1, SHA-1 digest). The signature inside a, if any, is encrypted with it.
func Encrypt(a *etree.Element, cert *x509.Certificate) error {
	d, err := detach(a)
	if err != nil {
		return err
	}
	plain := Serialize(etree.NewDocumentWithRoot(d))
	enc := xmlenc.OAEP()
	enc.BlockCipher = xmlenc.AES256CBC
	enc.DigestMethod = xmlenc.SHA1
	data, err := enc.Encrypt(cert, plain, nil)
	if err != nil {
		return err
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", NSAssertion)
	ea.AddChild(data)
	p := a.Parent()
	i := a.Index()
	p.RemoveChildAt(i)
	p.InsertChildAt(i, ea)
	return nil
}

// Decrypt is the inverse of Encrypt, for tests: it returns the plaintext of the
// EncryptedAssertion ea with the SP's key.
func (s SP) Decrypt(ea *etree.Element) ([]byte, error) {
	data := Child(ea, "http://www.w3.org/2001/04/xmlenc#", "EncryptedData")
	if data == nil {
		data = ea
	}
	return xmlenc.Decrypt(s.Key, data)
}
