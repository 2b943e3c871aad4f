package sp

import (
	"bytes"
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
)

// countingKey is the SP's key behind a crypto.Decrypter that counts private-key
// operations: the seam an HSM would use, and the way these tests count RSA work.
type countingKey struct {
	*rsa.PrivateKey
	ops *atomic.Int64
}

func (k countingKey) Decrypt(r io.Reader, c []byte, opts crypto.DecrypterOpts) ([]byte, error) {
	k.ops.Add(1)
	return k.PrivateKey.Decrypt(r, c, opts)
}

// counted returns a config whose SP key counts its RSA operations.
func counted(cfg Config) (Config, *atomic.Int64) {
	ops := new(atomic.Int64)
	spk := samltest.DefaultSP()
	cfg.Key = &certs.KeyPair{Key: countingKey{spk.Key, ops}, Certificate: spk.Cert}
	return cfg, ops
}

// encSpec is how a test encrypts an assertion: every parameter an IdP (or an attacker
// holding the SP's public certificate) may choose.
type encSpec struct {
	content          string      // EncryptedData algorithm; aes256-cbc when empty
	keyAlg           string      // EncryptedKey algorithm; rsa-oaep-mgf1p when empty
	digest, mgf      string      // DigestMethod and MGF elements, omitted when empty
	wrapHash, wrapMG crypto.Hash // what the key is really wrapped with (SHA-1 when 0)
	pad              func(plain []byte) []byte
	keyInfoCert      bool // name the SP certificate in the EncryptedKey's KeyInfo
}

func pkcs7(plain []byte) []byte {
	n := aes.BlockSize - len(plain)%aes.BlockSize
	return append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(n)}, n)...)
}

// encryptAs builds an EncryptedAssertion for plain by hand, with spec's parameters.
func encryptAs(t testing.TB, plain []byte, spec encSpec) *etree.Element {
	t.Helper()
	if spec.content == "" {
		spec.content = nsXMLEnc + "aes256-cbc"
	}
	if spec.keyAlg == "" {
		spec.keyAlg = algRSAOAEPMGF1P
	}
	if spec.wrapHash == 0 {
		spec.wrapHash = crypto.SHA1
	}
	if spec.wrapMG == 0 {
		spec.wrapMG = crypto.SHA1
	}
	if spec.pad == nil {
		spec.pad = pkcs7
	}
	alg := contentAlgs[spec.content]
	key := make([]byte, alg.keySize)
	rand.Read(key)
	block, _ := aes.NewCipher(key)
	var body []byte
	if alg.gcm {
		aead, _ := cipher.NewGCM(block)
		nonce := make([]byte, 12)
		rand.Read(nonce)
		body = aead.Seal(nonce, nonce, plain, nil)
	} else {
		p := spec.pad(plain)
		body = make([]byte, aes.BlockSize+len(p))
		rand.Read(body[:aes.BlockSize])
		cipher.NewCBCEncrypter(block, body[:aes.BlockSize]).CryptBlocks(body[aes.BlockSize:], p)
	}
	pub := &samltest.DefaultSP().Key.PublicKey
	var wrapped []byte
	var err error
	if spec.keyAlg == algRSA15 {
		wrapped, err = rsa.EncryptPKCS1v15(rand.Reader, pub, key)
	} else {
		wrapped, err = rsa.EncryptOAEPWithOptions(rand.Reader, pub, key, &rsa.OAEPOptions{Hash: spec.wrapHash, MGFHash: spec.wrapMG})
	}
	if err != nil {
		t.Fatal(err)
	}
	ea := etree.NewElement("EncryptedAssertion")
	ea.CreateAttr("xmlns", assertNS)
	data := ea.CreateElement("xenc:EncryptedData")
	data.CreateAttr("xmlns:xenc", nsXMLEnc)
	data.CreateAttr("Type", nsXMLEnc+"Element")
	data.CreateElement("xenc:EncryptionMethod").CreateAttr("Algorithm", spec.content)
	ki := data.CreateElement("ds:KeyInfo")
	ki.CreateAttr("xmlns:ds", dsigNS)
	ek := ki.CreateElement("xenc:EncryptedKey")
	em := ek.CreateElement("xenc:EncryptionMethod")
	em.CreateAttr("Algorithm", spec.keyAlg)
	if spec.digest != "" {
		em.CreateElement("ds:DigestMethod").CreateAttr("Algorithm", spec.digest)
	}
	if spec.mgf != "" {
		m := em.CreateElement("xenc11:MGF")
		m.CreateAttr("xmlns:xenc11", nsXMLEnc11)
		m.CreateAttr("Algorithm", spec.mgf)
	}
	if spec.keyInfoCert {
		ek.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509Certificate").
			SetText(base64.StdEncoding.EncodeToString(samltest.DefaultSP().Cert.Raw))
	}
	ek.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(wrapped))
	data.CreateElement("xenc:CipherData").CreateElement("xenc:CipherValue").SetText(base64.StdEncoding.EncodeToString(body))
	return ea
}

// signedPlaintext is the plaintext of a genuine assertion-signed, encrypted response.
func signedPlaintext(t testing.TB, o samltest.Options) (doc *etree.Document, plain []byte) {
	t.Helper()
	o.EncryptTo = samltest.DefaultSP().Cert
	doc, err := samltest.DefaultIdP().ResponseDoc(o)
	if err != nil {
		t.Fatal(err)
	}
	plain, err = samltest.DefaultSP().Decrypt(samltest.Child(doc.Root(), assertNS, encryptedElement))
	if err != nil {
		t.Fatal(err)
	}
	return doc, plain
}

// responseWith is a genuine response whose EncryptedAssertion is replaced by ea.
func responseWith(doc *etree.Document, ea *etree.Element) string {
	doc = doc.Copy()
	old := samltest.Child(doc.Root(), assertNS, encryptedElement)
	samltest.InsertBefore(old, ea)
	samltest.Detach(old)
	return samltest.Encode(samltest.Serialize(doc))
}

func TestKeyTransportIsRSAOAEPOnly(t *testing.T) {
	doc, plain := signedPlaintext(t, samltest.Options{})
	cases := []struct {
		name    string
		spec    encSpec
		allow15 bool
		ops     int64
		want    string // "" accepts
	}{
		{name: "rsa-oaep-mgf1p, SHA-1 (Entra)", ops: 1},
		{name: "rsa-1_5 refused before any RSA work", spec: encSpec{keyAlg: algRSA15}, ops: 0, want: "rsa-1_5"},
		{name: "rsa-1_5 with InsecureAllowRSA15KeyTransport", spec: encSpec{keyAlg: algRSA15}, allow15: true, ops: 1},
		{name: "unknown key transport refused before any RSA work", spec: encSpec{keyAlg: nsXMLEnc + "kw-aes256"}, ops: 0, want: "kw-aes256"},
		{name: "unknown OAEP digest refused before any RSA work", spec: encSpec{digest: "http://www.w3.org/2001/04/xmldsig-more#md5"}, ops: 0, want: "md5"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ops := counted(genConfig(samltest.DefaultIdP()))
			cfg.InsecureAllowRSA15KeyTransport = c.allow15
			err := validate(t, cfg, responseWith(doc, encryptAs(t, plain, c.spec)), samltest.RequestID)
			if got := ops.Load(); got != c.ops {
				t.Errorf("%d RSA operations, want %d", got, c.ops)
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case c.want != "" && (!errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want ErrMalformed naming %q", err, c.want)
			}
		})
	}
}

// #18.2: the MGF is chosen from the element, never guessed twice: every request costs
// at most one RSA private-key operation, whether the unwrap succeeds or not.
func TestOneRSAOperationPerRequest(t *testing.T) {
	doc, plain := signedPlaintext(t, samltest.Options{})
	sha256 := nsXMLEnc + "sha256"
	cases := []struct {
		name string
		spec encSpec
		ok   bool
	}{
		{"rsa-oaep-mgf1p, SHA-256 digest: MGF1 is SHA-1 by the algorithm's name", encSpec{digest: sha256, wrapHash: crypto.SHA256}, true},
		// The ambiguous form crewjam's xmlenc retried with a second RSA decryption.
		{"rsa-oaep-mgf1p, SHA-256 digest, key wrapped with MGF1-SHA-256: one try, refused",
			encSpec{digest: sha256, wrapHash: crypto.SHA256, wrapMG: crypto.SHA256}, false},
		{"xmlenc11 rsa-oaep naming MGF1-SHA-256", encSpec{keyAlg: algRSAOAEP, digest: sha256, mgf: nsXMLEnc11 + "mgf1sha256",
			wrapHash: crypto.SHA256, wrapMG: crypto.SHA256}, true},
		{"xmlenc11 rsa-oaep without MGF is MGF1-SHA-1", encSpec{keyAlg: algRSAOAEP, digest: sha256, wrapHash: crypto.SHA256}, true},
		{"xmlenc11 rsa-oaep without MGF, key wrapped with MGF1-SHA-256: one try, refused",
			encSpec{keyAlg: algRSAOAEP, digest: sha256, wrapHash: crypto.SHA256, wrapMG: crypto.SHA256}, false},
		{"AES-128-GCM", encSpec{content: nsXMLEnc11 + "aes128-gcm"}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ops := counted(genConfig(samltest.DefaultIdP()))
			err := validate(t, cfg, responseWith(doc, encryptAs(t, plain, c.spec)), samltest.RequestID)
			if got := ops.Load(); got != 1 {
				t.Errorf("%d RSA operations for one request, want 1", got)
			}
			if c.ok != (err == nil) {
				t.Fatalf("err = %v, want ok = %v", err, c.ok)
			}
			if !c.ok && !strings.Contains(err.Error(), errDecrypt.Error()) {
				t.Fatalf("err = %v, want the uniform decryption error", err)
			}
		})
	}
	t.Run("an MGF element on rsa-oaep-mgf1p is refused before any RSA work", func(t *testing.T) {
		cfg, ops := counted(genConfig(samltest.DefaultIdP()))
		err := validate(t, cfg, responseWith(doc, encryptAs(t, plain, encSpec{mgf: nsXMLEnc11 + "mgf1sha256"})), samltest.RequestID)
		if !errors.Is(err, ErrMalformed) || ops.Load() != 0 {
			t.Fatalf("err = %v after %d RSA operations", err, ops.Load())
		}
	})
	t.Run("rollover: the key the EncryptedKey names is the only one tried", func(t *testing.T) {
		cfg, ops := counted(genConfig(samltest.DefaultIdP()))
		other := samltest.OtherTenantIdP()
		otherOps := new(atomic.Int64)
		cfg.DecryptionKeys = []*certs.KeyPair{cfg.Key}
		cfg.Key = &certs.KeyPair{Key: countingKey{other.Key, otherOps}, Certificate: other.Cert}
		mustValidate(t, cfg, responseWith(doc, encryptAs(t, plain, encSpec{keyInfoCert: true})), samltest.RequestID)
		if ops.Load() != 1 || otherOps.Load() != 0 {
			t.Fatalf("%d + %d RSA operations, want 1 with the named key only", ops.Load(), otherOps.Load())
		}
	})
}

func TestRequireAuthenticatedEncryption(t *testing.T) {
	doc, plain := signedPlaintext(t, samltest.Options{})
	cfg, ops := counted(genConfig(samltest.DefaultIdP()))
	cfg.RequireAuthenticatedEncryption = true
	err := validate(t, cfg, responseWith(doc, encryptAs(t, plain, encSpec{})), samltest.RequestID)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "aes256-cbc") || ops.Load() != 0 {
		t.Fatalf("AES-CBC with RequireAuthenticatedEncryption: err = %v after %d RSA operations", err, ops.Load())
	}
	for _, alg := range []string{"aes128-gcm", "aes192-gcm", "aes256-gcm"} {
		mustValidate(t, cfg, responseWith(doc, encryptAs(t, plain, encSpec{content: nsXMLEnc11 + alg})), samltest.RequestID)
	}
	// The default still accepts Entra's AES-CBC.
	cfg.RequireAuthenticatedEncryption = false
	mustValidate(t, cfg, responseWith(doc, encryptAs(t, plain, encSpec{})), samltest.RequestID)
}

// #18.1: a CBC plaintext whose padding is bad gets exactly the work of one whose
// padding is good: the gate receives a buffer of the same length, and for the same
// ciphertext prefix the very same bytes, so no timing can tell the paddings apart.
func TestBadPaddingDoesTheWorkOfGoodPadding(t *testing.T) {
	doc, plain := signedPlaintext(t, samltest.Options{})
	withLast := func(last byte) func([]byte) []byte {
		return func(p []byte) []byte {
			out := pkcs7(p)
			out[len(out)-1] = last
			return out
		}
	}
	gated := func(spec encSpec) (string, error) {
		cfg := genConfig(samltest.DefaultIdP())
		cfg.Key = samltest.DefaultSP().KeyPair()
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var seen []string
		s.observeGate = func(p []byte) { seen = append(seen, string(p)) }
		_, err = s.ValidateResponse(context.Background(), responseWith(doc, encryptAs(t, plain, spec)), samltest.RequestID)
		if len(seen) != 1 {
			t.Fatalf("the gate ran %d times, want once", len(seen))
		}
		return seen[0], err
	}
	n := byte(aes.BlockSize - len(plain)%aes.BlockSize) // the genuine padding length
	good, err := gated(encSpec{})
	if err != nil {
		t.Fatalf("control: genuine padding rejected: %v", err)
	}
	if want := len(pkcs7(plain)); len(good) != want {
		t.Fatalf("the gate read %d bytes, want the whole plaintext (%d)", len(good), want)
	}
	// Bad last bytes that share their low four bits with the genuine one.
	for _, last := range []byte{n + 16, n + 32, n + 0x80, (n + 0xf0) & 0xff} {
		if last >= 1 && last <= 16 {
			continue
		}
		bad, err := gated(encSpec{pad: withLast(last)})
		if err == nil || !strings.Contains(err.Error(), errDecrypt.Error()) {
			t.Fatalf("last byte %#x: err = %v, want the uniform decryption error", last, err)
		}
		if bad != good {
			t.Errorf("last byte %#x: the gate read other bytes than for the good padding (%d vs %d bytes)", last, len(bad), len(good))
		}
	}
	// Every last byte, good or bad, costs a gate over the full length.
	for b := 0; b < 256; b++ {
		p, _ := gated(encSpec{pad: withLast(byte(b))})
		if len(p) != len(good) {
			t.Fatalf("last byte %#x: the gate read %d bytes, want %d", b, len(p), len(good))
		}
	}
}

// #18.1: when a Response signature is there (or required), nothing is decrypted until it
// verified, in Validate and in Diagnose: an unauthenticated ciphertext never reaches the
// key.
func TestResponseSignatureVerifiedBeforeDecrypting(t *testing.T) {
	idp := samltest.DefaultIdP()
	tampered := func(o samltest.Options) string {
		o.EncryptTo = samltest.DefaultSP().Cert
		b, err := samltest.Edit(idp.MustResponse(t, o), func(doc *etree.Document) {
			doc.Root().CreateAttr("IssueInstant", "2001-01-01T00:00:00Z") // breaks the Response digest
		})
		if err != nil {
			t.Fatal(err)
		}
		return samltest.Encode(b)
	}
	cases := []struct {
		name        string
		form        string
		requireResp bool
	}{
		{"signed Response whose signature fails", tampered(samltest.Options{Sign: samltest.SignBoth}), false},
		{"unsigned Response while RequireSignedResponse", genResponse(t, idp, samltest.Options{EncryptTo: samltest.DefaultSP().Cert}), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, ops := counted(genConfig(idp))
			cfg.RequireSignedResponse = c.requireResp
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.ValidateResponse(context.Background(), c.form, samltest.RequestID); !errors.Is(err, ErrSignature) {
				t.Fatalf("Validate: err = %v, want ErrSignature", err)
			}
			d := s.Diagnose(context.Background(), c.form, samltest.RequestID)
			if d.OK || ops.Load() != 0 {
				t.Fatalf("Diagnose: OK = %v after %d RSA operations, want a rejection after none", d.OK, ops.Load())
			}
			// The response signature check fails (one fix to give); decryption stands
			// down without decrypting and stops every later check.
			after := false
			for _, ch := range d.Checks {
				switch {
				case ch.Name == "response signature" && (ch.Status != Failed || !errors.Is(ch.Err, ErrSignature)):
					t.Fatalf("Diagnose response signature check = %+v, want failed", ch)
				case ch.Name == "decryption" && (ch.Status != NotRun || !strings.Contains(ch.Received, "not decrypted")):
					t.Fatalf("Diagnose decryption check = %+v, want not run: not decrypted", ch)
				case after && ch.Status != NotRun:
					t.Fatalf("Diagnose ran check %+v on an assertion it did not decrypt", ch)
				}
				after = after || ch.Name == "decryption"
			}
		})
	}
	// Control: the same responses, untampered and allowed, decrypt.
	cfg, ops := counted(genConfig(idp))
	mustValidate(t, cfg, genResponse(t, idp, samltest.Options{Sign: samltest.SignBoth, EncryptTo: samltest.DefaultSP().Cert}), samltest.RequestID)
	if ops.Load() != 1 {
		t.Fatalf("control: %d RSA operations, want 1", ops.Load())
	}
}

// FuzzDecrypt feeds arbitrary EncryptedAssertion elements to the decryption: every
// input is refused or decrypted, never a panic, and at most one RSA operation is done.
func FuzzDecrypt(f *testing.F) {
	_, plain := signedPlaintext(f, samltest.Options{})
	for _, spec := range []encSpec{{}, {content: nsXMLEnc11 + "aes256-gcm"}, {keyAlg: algRSA15}, {keyAlg: algRSAOAEP, mgf: nsXMLEnc11 + "mgf1sha256", digest: nsXMLEnc + "sha256"}, {keyInfoCert: true}} {
		f.Add(samltest.Serialize(etree.NewDocumentWithRoot(encryptAs(f, plain, spec))))
	}
	cfg, ops := counted(genConfig(samltest.DefaultIdP()))
	cfg.InsecureAllowRSA15KeyTransport = true
	s, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		doc := etree.NewDocument()
		if doc.ReadFromBytes(b) != nil || doc.Root() == nil {
			return
		}
		ops.Store(0)
		out, ok, err := s.decrypt(doc.Root())
		if n := ops.Load(); n > 1 {
			t.Fatalf("%d RSA operations", n)
		}
		if err == nil && (ok != 0 && ok != 1 || len(out) == 0) {
			t.Fatalf("ok = %d with %d bytes", ok, len(out))
		}
	})
}
