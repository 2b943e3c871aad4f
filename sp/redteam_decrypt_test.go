package sp

import (
	"runtime"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
)

// An X509SerialNumber in the EncryptedKey's KeyInfo is unauthenticated input read before
// any key is used, whenever the SP has more than one decryption key (a key rollover).
// Parsing a decimal number costs time quadratic in its length: a response of 1.3 million
// digits (split over child elements, each under MaxValueLength) took over two seconds
// of CPU in keysFor. Serial numbers longer than any certificate's are not parsed.
func TestKeyInfoSerialNumberIsBounded(t *testing.T) {
	serial := func(text string) *etree.Element {
		el := etree.NewElement("X509SerialNumber")
		el.SetText(text)
		return el
	}
	if _, ok := parseSerial(serial(strings.Repeat("9", maxSerialDigits))); !ok {
		t.Fatalf("a %d-digit serial number was not read", maxSerialDigits)
	}
	if n, ok := parseSerial(serial(" 123\n")); !ok || n.Int64() != 123 {
		t.Fatal("a serial number with surrounding whitespace was not read")
	}
	if _, ok := parseSerial(serial(strings.Repeat("9", maxSerialDigits+1))); ok {
		t.Fatalf("a %d-digit serial number was read", maxSerialDigits+1)
	}

	doc, plain := signedPlaintext(t, samltest.Options{})
	ea := encryptAs(t, plain, encSpec{})
	ek := ea.FindElement(".//EncryptedKey")
	sn := ek.CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").CreateElement("ds:X509IssuerSerial").CreateElement("ds:X509SerialNumber")
	for range 20 {
		sn.CreateElement("ds:x").SetText(strings.Repeat("9", 60000)) // each under MaxValueLength
	}
	cfg := genConfig(samltest.DefaultIdP())
	spk, other := samltest.DefaultSP(), samltest.OtherTenantIdP()
	cfg.Key = &certs.KeyPair{Key: spk.Key, Certificate: spk.Cert}
	cfg.DecryptionKeys = []*certs.KeyPair{{Key: other.Key, Certificate: other.Cert}}
	s := newSP(t, cfg)
	// Neither parsed nor gathered: a big.Int parse of the digits (or joining them into
	// one string) allocates megabytes; keysFor now allocates next to nothing.
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	keys := s.keysFor(ek)
	runtime.ReadMemStats(&after)
	if len(keys) != 2 {
		t.Errorf("an unreadable serial number chose %d keys, want every configured key (2)", len(keys))
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<10 {
		t.Errorf("keysFor allocated %d bytes for a serial number of 1.2 million digits", got)
	}
	// And the response still decrypts with the key that unwraps it.
	mustValidate(t, cfg, responseWith(doc, ea), samltest.RequestID)
}

// BenchmarkKeyInfoSerialWorstCase is the response of TestKeyInfoSerialNumberIsBounded,
// validated by an SP with two decryption keys (before the bound: about 2.2 s/op).
func BenchmarkKeyInfoSerialWorstCase(b *testing.B) {
	doc, plain := signedPlaintext(b, samltest.Options{})
	ea := encryptAs(b, plain, encSpec{})
	sn := ea.FindElement(".//EncryptedKey").CreateElement("ds:KeyInfo").CreateElement("ds:X509Data").
		CreateElement("ds:X509IssuerSerial").CreateElement("ds:X509SerialNumber")
	for range 20 {
		sn.CreateElement("ds:x").SetText(strings.Repeat("9", 60000))
	}
	cfg := genConfig(samltest.DefaultIdP())
	spk, other := samltest.DefaultSP(), samltest.OtherTenantIdP()
	cfg.Key = &certs.KeyPair{Key: spk.Key, Certificate: spk.Cert}
	cfg.DecryptionKeys = []*certs.KeyPair{{Key: other.Key, Certificate: other.Cert}}
	s := newSP(b, cfg)
	resp := responseWith(doc, ea)
	b.ReportAllocs()
	for b.Loop() {
		s.run(b.Context(), resp, nil, false)
	}
}
