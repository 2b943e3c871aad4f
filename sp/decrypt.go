package sp

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/xmlgate"
)

const (
	nsXMLEnc   = "http://www.w3.org/2001/04/xmlenc#"
	nsXMLEnc11 = "http://www.w3.org/2009/xmlenc11#"

	algRSAOAEPMGF1P = nsXMLEnc + "rsa-oaep-mgf1p" // Entra's key transport
	algRSAOAEP      = nsXMLEnc11 + "rsa-oaep"
	algRSA15        = nsXMLEnc + "rsa-1_5"
)

// contentAlgs are the block ciphers an EncryptedData may name. CBC has no integrity:
// see Config.RequireAuthenticatedEncryption and SECURITY.md.
var contentAlgs = map[string]struct {
	keySize int
	gcm     bool
}{
	nsXMLEnc + "aes128-cbc":   {16, false},
	nsXMLEnc + "aes192-cbc":   {24, false},
	nsXMLEnc + "aes256-cbc":   {32, false}, // Entra's
	nsXMLEnc11 + "aes128-gcm": {16, true},
	nsXMLEnc11 + "aes192-gcm": {24, true},
	nsXMLEnc11 + "aes256-gcm": {32, true},
}

// oaepDigests are the DigestMethods RSA-OAEP may name, and mgfHashes the MGF1 hashes
// XML Encryption 1.1 names.
var (
	oaepDigests = map[string]crypto.Hash{
		"http://www.w3.org/2000/09/xmldsig#sha1":        crypto.SHA1,
		nsXMLEnc + "sha256":                             crypto.SHA256,
		"http://www.w3.org/2001/04/xmldsig-more#sha384": crypto.SHA384,
		nsXMLEnc + "sha512":                             crypto.SHA512,
	}
	mgfHashes = map[string]crypto.Hash{
		nsXMLEnc11 + "mgf1sha1":   crypto.SHA1,
		nsXMLEnc11 + "mgf1sha224": crypto.SHA224,
		nsXMLEnc11 + "mgf1sha256": crypto.SHA256,
		nsXMLEnc11 + "mgf1sha384": crypto.SHA384,
		nsXMLEnc11 + "mgf1sha512": crypto.SHA512,
	}
)

// errDecrypt is the one error every decryption failure becomes: which step failed
// (key unwrap, padding, plaintext) is exactly what a padding-oracle attacker wants to
// learn, so it is not told.
var errDecrypt = errors.New("cannot decrypt the EncryptedAssertion with the SP's keys")

// refusal is an EncryptedAssertion refused for what it openly names (an algorithm,
// a shape) before any key is used. It depends on nothing secret, so unlike errDecrypt
// it may say exactly what is wrong.
type refusal struct{ expected, received, fix string }

func (r *refusal) Error() string { return r.received }

// Step 5: decrypt an EncryptedAssertion with the SP's keys.

func checkDecryption(st *state) Check {
	const name = "decryption"
	if st.encrypted == nil {
		return notApplicable("the assertion is not encrypted")
	}
	if len(st.sp.decryptKeys) == 0 {
		return failed(ErrMalformed, name, "an unencrypted Assertion (this SP has no Key)", "an EncryptedAssertion",
			fix(CodeTokenEncryptionKey, "configure this SP's key pair (the one whose certificate is uploaded in Entra under Token encryption), or turn off Token encryption in Entra"))
	}
	// A ciphertext the Response's signature should authenticate is never decrypted
	// unauthenticated: Validate stops at the failed signature, and Diagnose must not
	// go on to become the padding oracle Validate is not.
	// The response signature check failed and says what to fix; this check stops the
	// pipeline without a second failure.
	if st.respV == nil && (st.respSig != nil || st.sp.cfg.RequireSignedResponse) {
		st.stop = "response signature"
		return notApplicable("not decrypted: the Response signature did not verify")
	}
	// Every failure from here to a parsed Assertion reads the same, fix included, so
	// not even an admin-facing report becomes a decryption oracle.
	undecryptable := func() Check {
		return failed(ErrMalformed, name, "an EncryptedAssertion for this SP's key", errDecrypt.Error(),
			fix(CodeTokenEncryptionCertificate, "in Entra, under Token encryption, upload this SP's certificate and make it active; while changing SP keys, keep the previous key pair configured here as well"))
	}
	// Decrypt the copy the Response signature verified, when there is one.
	enc := st.encrypted
	if st.respV != nil {
		enc = elChild(st.respV.Element, assertNS, encryptedElement)
	}
	plain, ok, err := st.sp.decrypt(enc)
	if r, isRefusal := err.(*refusal); isRefusal {
		return failed(ErrMalformed, name, r.expected, r.received, fix(CodeEncryptionAlgorithm, r.fix, "received", r.received))
	}
	if err != nil {
		return undecryptable()
	}
	// From here on ok (the padding, the key unwrap) is only read at the end: a
	// plaintext with bad padding goes through exactly the work a good one does.
	if st.sp.observeGate != nil {
		st.sp.observeGate(plain)
	}
	var dup string
	doc, err := xmlgate.Parse(plain, st.sp.gateLimits(), func(el *etree.Element, _ string) error {
		return collectID(st.ids, el, &dup)
	})
	var root *etree.Element
	if err == nil {
		root = doc.Root()
	}
	sig, bad := assertionShape(root)
	if ok != 1 || err != nil || !elIs(root, assertNS, "Assertion") {
		return undecryptable()
	}
	if bad {
		return failed(ErrMalformed, name, "one Assertion with at most one Signature, its direct child",
			"nested assertions or misplaced signatures", fix(CodeSignatureWrapping, "this is a signature-wrapping attack"))
	}
	st.assertSig = sig
	st.received = root
	return passed("an EncryptedAssertion for this SP's key", "decrypted")
}

// assertionShape finds the decrypted root's Signature and reports markup that has no
// place in one assertion: a nested assertion, or a Signature anywhere but as the
// root's one direct child after its Issuer. It walks the whole tree whatever it finds.
func assertionShape(root *etree.Element) (sig *etree.Element, bad bool) {
	if root == nil {
		return nil, false
	}
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			ns := c.NamespaceURI()
			switch {
			case ns == assertNS && (c.Tag == "Assertion" || c.Tag == encryptedElement):
				bad = true
			case ns == dsigNS && c.Tag == "Signature":
				if e != root || sig != nil {
					bad = true
				}
				sig = c
			}
			walk(c)
		}
	}
	walk(root)
	if sig != nil && !signatureAfterIssuer(sig) {
		bad = true
	}
	if bad {
		sig = nil
	}
	return sig, bad
}

// decrypt returns the plaintext of the EncryptedAssertion enc and ok = 1 when it
// decrypted, or a same-length plaintext of no meaning and ok = 0 when the key did not
// unwrap or the padding was wrong: the caller processes both alike and reads ok last.
// err is a *refusal for what enc openly names, errDecrypt for a broken structure.
//
// Exactly one RSA private-key operation is done per call when the EncryptedKey names
// one of the SP's certificates (Entra names it) or the SP has one key; otherwise one
// per configured key, a bound set by the configuration, not by the request.
func (s *SP) decrypt(enc *etree.Element) (plain []byte, ok int, err error) {
	data := elChildren(enc, nsXMLEnc, "EncryptedData")
	if len(data) != 1 {
		return nil, 0, errDecrypt
	}
	content, ok2 := contentAlgs[algorithmOf(data[0], nsXMLEnc)]
	if !ok2 {
		return nil, 0, &refusal{"AES-CBC or AES-GCM content encryption", "EncryptionMethod " + quote(algorithmOf(data[0], nsXMLEnc)),
			"set the IdP's token encryption to AES-256 (Entra uses aes256-cbc)"}
	}
	if !content.gcm && s.cfg.RequireAuthenticatedEncryption {
		return nil, 0, &refusal{"AES-GCM content encryption (this SP requires authenticated encryption)", "EncryptionMethod " + quote(algorithmOf(data[0], nsXMLEnc)),
			"configure the IdP to encrypt with AES-GCM, or accept AES-CBC in this SP (Entra encrypts with AES-CBC: then have it sign the Response, Signing Option \"Sign SAML response and assertion\")"}
	}
	// Each EncryptedKey would cost an RSA decryption, and nothing is authenticated yet:
	// an attacker could post hundreds. IdPs (Entra among them) send exactly one, inside
	// EncryptedData/KeyInfo or beside EncryptedData; refuse more before any RSA work.
	if countEncryptedKeys(enc, 2) != 1 {
		return nil, 0, errDecrypt
	}
	ek := elChild(elChild(data[0], dsigNS, "KeyInfo"), nsXMLEnc, "EncryptedKey")
	if ek == nil {
		ek = elChild(enc, nsXMLEnc, "EncryptedKey")
	}
	if ek == nil {
		return nil, 0, errDecrypt
	}
	opts, err := keyTransport(ek, content.keySize, s.cfg.InsecureAllowRSA15KeyTransport)
	if err != nil {
		return nil, 0, err
	}
	wrapped, err1 := cipherValue(ek)
	body, err2 := cipherValue(data[0])
	if err1 != nil || err2 != nil {
		return nil, 0, errDecrypt
	}
	bs := aes.BlockSize
	if content.gcm && len(body) < 12+16 || !content.gcm && (len(body) < 2*bs || len(body)%bs != 0) {
		return nil, 0, errDecrypt // a public length, before any key is used
	}

	key, ok := s.unwrap(ek, wrapped, opts, content.keySize)
	block, _ := aes.NewCipher(key) // key has the size the algorithm needs
	if content.gcm {
		aead, _ := cipher.NewGCM(block)
		out, err := aead.Open(nil, body[:12], body[12:], nil)
		if err != nil || ok != 1 {
			// Authenticated: a forged ciphertext fails here whatever it holds.
			return nil, 0, errDecrypt
		}
		return out, 1, nil
	}
	out := make([]byte, len(body)-bs)
	cipher.NewCBCDecrypter(block, body[:bs]).CryptBlocks(out, body[bs:])
	return out, ok & blankPadding(out), nil
}

// blankPadding checks the XML Encryption padding of a CBC plaintext in constant time
// and overwrites the padding bytes with spaces (whitespace XML allows after the root
// element), so the plaintext keeps its length. Only the last byte is significant: a
// valid one (1 to 16) says how many bytes are padding. An invalid one is treated as
// the valid one with the same low four bits, so the buffer the gate then reads is the
// very buffer a valid padding would have given: the padding cannot change the work.
// It returns 1 when the padding was valid, 0 otherwise.
func blankPadding(p []byte) int {
	b := int(p[len(p)-1])
	valid := subtle.ConstantTimeLessOrEq(1, b) & subtle.ConstantTimeLessOrEq(b, aes.BlockSize)
	n := (b-1)&(aes.BlockSize-1) + 1
	tail := p[len(p)-aes.BlockSize:]
	for i := range tail {
		pad := subtle.ConstantTimeLessOrEq(aes.BlockSize-n, i)
		tail[i] = byte(subtle.ConstantTimeSelect(pad, ' ', int(tail[i])))
	}
	return valid
}

// unwrap does the one RSA private-key operation of a request. When it fails it
// returns a random key and ok = 0, so that the content decryption and everything after
// it run the same either way.
func (s *SP) unwrap(ek *etree.Element, wrapped []byte, opts crypto.DecrypterOpts, size int) (key []byte, ok int) {
	key = make([]byte, size)
	if _, err := rand.Read(key); err != nil {
		panic("saml: crypto/rand failed: " + err.Error()) // as crypto/rand itself does
	}
	for _, kp := range s.keysFor(ek) {
		d, isDecrypter := kp.Key.(crypto.Decrypter)
		if !isDecrypter {
			continue
		}
		// With PKCS#1 v1.5 (only when allowed), SessionKeyLen makes bad padding yield
		// a random key of the right length in constant time (RFC 3218 2.3.2), not an
		// error. A key of another length (a Decrypter that ignores it) is refused.
		got, err := d.Decrypt(rand.Reader, wrapped, opts)
		if err == nil && len(got) == size {
			return got, 1
		}
	}
	return key, 0
}

// keysFor returns the SP keys to try for ek: the one whose certificate ek's KeyInfo
// names (a hint to choose among our own keys, never trust; several only when they
// share a certificate), else every key.
func (s *SP) keysFor(ek *etree.Element) []*certs.KeyPair {
	if len(s.decryptKeys) == 1 {
		return s.decryptKeys
	}
	var ders [][]byte
	var serials []*big.Int
	var walk func(*etree.Element)
	walk = func(e *etree.Element) {
		for _, c := range e.ChildElements() {
			if c.NamespaceURI() == dsigNS {
				switch c.Tag {
				case "X509Certificate":
					if der, err := decodeBase64(elText(c)); err == nil {
						ders = append(ders, der)
					}
				case "X509SerialNumber":
					if n, ok := parseSerial(c); ok {
						serials = append(serials, n)
					}
				}
			}
			walk(c)
		}
	}
	walk(elChild(ek, dsigNS, "KeyInfo"))
	var named []*certs.KeyPair
	for _, kp := range s.decryptKeys {
		if kp.Certificate != nil && namesCert(kp.Certificate, ders, serials) {
			named = append(named, kp)
		}
	}
	if len(named) == 0 {
		return s.decryptKeys
	}
	return named
}

// maxSerialDigits bounds an X509SerialNumber read from an EncryptedKey's KeyInfo, which
// nothing has authenticated: a certificate's serial number is at most 20 octets (RFC
// 5280 4.1.2.2), 49 decimal digits, and big.Int's decimal parse is quadratic in the
// length (the 1.3 million digits a response can hold took over two seconds of CPU).
const maxSerialDigits = 128

// parseSerial reads el's decimal serial number, when its text has at most
// maxSerialDigits digits (and surrounding whitespace); a longer text is not even
// gathered.
func parseSerial(el *etree.Element) (*big.Int, bool) {
	n := 0
	var count func(*etree.Element) bool
	count = func(e *etree.Element) bool {
		for _, t := range e.Child {
			switch t := t.(type) {
			case *etree.CharData:
				if n += len(strings.TrimSpace(t.Data)); n > maxSerialDigits {
					return false
				}
			case *etree.Element:
				if !count(t) {
					return false
				}
			}
		}
		return true
	}
	if !count(el) {
		return nil, false
	}
	return new(big.Int).SetString(strings.TrimSpace(elText(el)), 10)
}

func namesCert(c *x509.Certificate, ders [][]byte, serials []*big.Int) bool {
	for _, der := range ders {
		if bytes.Equal(der, c.Raw) {
			return true
		}
	}
	for _, n := range serials {
		if n.Cmp(c.SerialNumber) == 0 {
			return true
		}
	}
	return false
}

// keyTransport reads the EncryptedKey's EncryptionMethod into the options of the one
// RSA decryption, choosing every parameter from the element alone (no retry with
// another guess: each retry would be one more RSA operation and one more oracle).
func keyTransport(ek *etree.Element, keySize int, allowV15 bool) (crypto.DecrypterOpts, error) {
	em := elChildren(ek, nsXMLEnc, "EncryptionMethod")
	if len(em) != 1 {
		return nil, errDecrypt
	}
	alg := elAttr(em[0], "Algorithm")
	oaep := "RSA-OAEP key transport (rsa-oaep-mgf1p or xmlenc11 rsa-oaep)"
	switch alg {
	case algRSA15:
		if !allowV15 {
			return nil, &refusal{oaep, "RSA PKCS#1 v1.5 key transport (rsa-1_5), open to Bleichenbacher's attack",
				"configure the IdP to wrap the key with RSA-OAEP (Entra does); RSA PKCS#1 v1.5 is accepted only where this SP is explicitly configured to allow it insecurely"}
		}
		return &rsa.PKCS1v15DecryptOptions{SessionKeyLen: keySize}, nil
	case algRSAOAEPMGF1P, algRSAOAEP:
	default:
		return nil, &refusal{oaep, "key transport " + quote(alg), "configure the IdP to wrap the key with RSA-OAEP"}
	}
	opts := &rsa.OAEPOptions{Hash: crypto.SHA1, MGFHash: crypto.SHA1}
	digests := elChildren(em[0], dsigNS, "DigestMethod")
	mgfs := elChildren(em[0], nsXMLEnc11, "MGF")
	params := elChildren(em[0], nsXMLEnc, "OAEPparams")
	if len(digests) > 1 || len(mgfs) > 1 || len(params) > 1 {
		return nil, &refusal{oaep + " with one DigestMethod, MGF and OAEPparams each", "several of one", "the EncryptedKey is ambiguous; send it as the IdP made it"}
	}
	if len(digests) == 1 {
		h, ok := oaepDigests[elAttr(digests[0], "Algorithm")]
		if !ok {
			return nil, &refusal{"RSA-OAEP with SHA-1, SHA-256, SHA-384 or SHA-512", "DigestMethod " + quote(elAttr(digests[0], "Algorithm")), "configure the IdP's key transport digest to SHA-1 or SHA-256"}
		}
		opts.Hash = h
	}
	// rsa-oaep-mgf1p is MGF1 with SHA-1 by its name, whatever the digest; it has no
	// MGF element. xmlenc11 rsa-oaep names its MGF, SHA-1 when absent.
	if len(mgfs) == 1 {
		h, ok := mgfHashes[elAttr(mgfs[0], "Algorithm")]
		if alg != algRSAOAEP || !ok {
			return nil, &refusal{"rsa-oaep-mgf1p without MGF, or xmlenc11 rsa-oaep with an MGF1 it names", "MGF " + quote(elAttr(mgfs[0], "Algorithm")) + " with " + quote(alg), "the EncryptedKey is ambiguous; send it as the IdP made it"}
		}
		opts.MGFHash = h
	}
	if len(params) == 1 {
		label, err := decodeBase64(elText(params[0]))
		if err != nil {
			return nil, errDecrypt
		}
		opts.Label = label
	}
	return opts, nil
}

func algorithmOf(el *etree.Element, ns string) string {
	return elAttr(elChild(el, ns, "EncryptionMethod"), "Algorithm")
}

// cipherValue decodes el's CipherData/CipherValue (CipherReference is never followed).
func cipherValue(el *etree.Element) ([]byte, error) {
	cd := elChildren(el, nsXMLEnc, "CipherData")
	if len(cd) != 1 {
		return nil, errDecrypt
	}
	cv := elChildren(cd[0], nsXMLEnc, "CipherValue")
	if len(cv) != 1 || hasElementChildren(cv[0]) {
		return nil, errDecrypt
	}
	return decodeBase64(elText(cv[0]))
}

// decodeBase64 decodes standard base64 with any XML whitespace in it.
func decodeBase64(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '\t' || r == '\r' || r == '\n' {
			return -1
		}
		return r
	}, s)
	return base64.StdEncoding.DecodeString(s)
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
