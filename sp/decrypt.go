package sp

import (
	"crypto/rsa"
	"errors"

	"github.com/beevik/etree"
	"github.com/crewjam/saml/xmlenc"
	"github.com/ssokit/saml/internal/xmlgate"
)

const nsXMLEnc = "http://www.w3.org/2001/04/xmlenc#"

// errDecrypt is the one error every decryption failure becomes: which step failed
// (key unwrap, padding, plaintext) is exactly what a padding-oracle attacker wants to
// learn, so it is not told.
var errDecrypt = errors.New("cannot decrypt the EncryptedAssertion with the SP's keys")

// Step 4: decrypt an EncryptedAssertion with the SP's keys.

func checkDecryption(st *state) Check {
	const name = "decryption"
	if st.encrypted == nil {
		return notApplicable("the assertion is not encrypted")
	}
	if len(st.sp.decryptKeys) == 0 {
		return failed(ErrMalformed, name, "an unencrypted Assertion (this SP has no Key)", "an EncryptedAssertion",
			"set Config.Key to the key pair whose certificate the IdP encrypts to, or turn off token encryption in the IdP (Entra: Token encryption)")
	}
	// Every failure from here to a parsed Assertion reads the same, fix included, so
	// not even an admin-facing report becomes a decryption oracle.
	undecryptable := func() Check {
		return failed(ErrMalformed, name, "an EncryptedAssertion for this SP's key", errDecrypt.Error(),
			"upload this SP's certificate as the IdP's token-encryption certificate, or configure the key pair it encrypts to in Config.Key / Config.DecryptionKeys")
	}
	plain, err := st.sp.decrypt(st.encrypted)
	if err != nil {
		return undecryptable()
	}
	var dup string
	doc, err := xmlgate.Parse(plain, st.sp.gateLimits(), func(el *etree.Element, _ string) error {
		return collectID(st.ids, el, &dup)
	})
	if err != nil || !elIs(doc.Root(), assertNS, "Assertion") {
		return undecryptable()
	}
	root := doc.Root()
	var bad bool
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			ns := c.NamespaceURI()
			switch {
			case ns == assertNS && (c.Tag == "Assertion" || c.Tag == encryptedElement):
				bad = true
			case ns == dsigNS && c.Tag == "Signature":
				if e != root || st.assertSig != nil {
					bad = true
				}
				st.assertSig = c
			}
			walk(c)
		}
	}
	walk(root)
	if st.assertSig != nil && !signatureAfterIssuer(st.assertSig) {
		bad = true
	}
	if bad {
		st.assertSig = nil
		return failed(ErrMalformed, name, "one Assertion with at most one Signature, its direct child",
			"nested assertions or misplaced signatures", "this is a signature-wrapping attack")
	}
	st.received = root
	st.assertion = root
	// A verified Response signature covered the ciphertext, so it covers the plaintext.
	st.trusted = st.respV != nil
	return passed("an EncryptedAssertion for this SP's key", "decrypted")
}

func (s *SP) decrypt(enc *etree.Element) ([]byte, error) {
	data := elChild(enc, nsXMLEnc, "EncryptedData")
	if data == nil {
		return nil, errDecrypt
	}
	// Each EncryptedKey costs an RSA decryption, and nothing is authenticated yet: an
	// attacker could post hundreds. IdPs (Entra among them) send exactly one, so refuse
	// more before any RSA work.
	if countEncryptedKeys(enc, 2) > 1 {
		return nil, errDecrypt
	}
	// The EncryptedKey is either inside EncryptedData/KeyInfo (Entra), where the block
	// cipher unwraps it itself, or a sibling of EncryptedData.
	siblingKeys := elChildren(enc, nsXMLEnc, "EncryptedKey")
	for _, kp := range s.decryptKeys {
		key, ok := kp.Key.(*rsa.PrivateKey)
		if !ok {
			continue
		}
		if len(siblingKeys) == 0 {
			if plain, err := xmlenc.Decrypt(key, data); err == nil {
				return plain, nil
			}
			continue
		}
		for _, ek := range siblingKeys {
			sym, err := xmlenc.Decrypt(key, ek)
			if err != nil {
				continue
			}
			if plain, err := xmlenc.Decrypt(sym, data); err == nil {
				return plain, nil
			}
		}
	}
	return nil, errDecrypt
}

// countEncryptedKeys counts the EncryptedKey elements anywhere under el, stopping at max.
func countEncryptedKeys(el *etree.Element, max int) int {
	n := 0
	for _, c := range el.ChildElements() {
		if c.Tag == "EncryptedKey" && c.NamespaceURI() == nsXMLEnc {
			n++
		}
		if n < max {
			n += countEncryptedKeys(c, max-n)
		}
		if n >= max {
			return n
		}
	}
	return n
}
