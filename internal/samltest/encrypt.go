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
	ea, err := EncryptBytes(Serialize(etree.NewDocumentWithRoot(d)), cert)
	if err != nil {
		return err
	}
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

// EncryptBytes makes an <EncryptedAssertion> whose plaintext is exactly plain, whatever it
// is: for attacks that hide XSW shapes, several assertions or a DOCTYPE in the ciphertext
// (catalog #28).
func EncryptBytes(plain []byte, cert *x509.Certificate) (*etree.Element, error) {
	enc := xmlenc.OAEP()
	enc.BlockCipher = xmlenc.AES256CBC
	enc.DigestMethod = xmlenc.SHA1
	data, err := enc.Encrypt(cert, plain, nil)
	if err != nil {
		return nil, err
	}
	data.CreateAttr("Type", "http://www.w3.org/2001/04/xmlenc#Element")
	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", NSAssertion)
	ea.AddChild(data)
	return ea, nil
}
