package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ssokit/saml/internal/recorded"
)

// recordedCert is one recorded IdP certificate and its DER, decoded with encoding/pem
// (not with Parse) so the expected thumbprint is derived independently.
type recordedCert struct {
	name string
	pem  []byte
	der  []byte
}

func recordedCerts(tb testing.TB) []recordedCert {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(recorded.Dir(tb), "*.cert.pem"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no recorded *.cert.pem files: %v", err)
	}
	var out []recordedCert
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		block, _ := pem.Decode(b)
		if block == nil || block.Type != "CERTIFICATE" {
			tb.Fatalf("%s: no CERTIFICATE block", f)
		}
		out = append(out, recordedCert{name: filepath.Base(f), pem: b, der: block.Bytes})
	}
	return out
}

func sha1Hex(der []byte) string {
	sum := sha1.Sum(der)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// wrap breaks s into lines of n characters joined by sep.
func wrap(s string, n int, sep string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(s[i:min(i+n, len(s))])
	}
	return b.String()
}

// forms are the ways a certificate reaches an admin's clipboard or download folder.
func forms(c recordedCert) map[string][]byte {
	b64 := base64.StdEncoding.EncodeToString(c.der)
	lf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.der})
	return map[string][]byte{
		"recorded file":                   c.pem,
		"PEM LF":                          lf,
		"PEM CRLF":                        bytes.ReplaceAll(lf, []byte("\n"), []byte("\r\n")),
		"PEM with BOM, text around":       append(append([]byte("\xef\xbb\xbfSubject: Entra\r\n"), lf...), "\r\n\r\nthis line is junk\n-----\n"...),
		"PEM squeezed onto one line":      bytes.ReplaceAll(bytes.TrimSpace(lf), []byte("\n"), []byte(" ")),
		"PEM indented":                    bytes.ReplaceAll(lf, []byte("\n"), []byte("\n    ")),
		"base64 one line":                 []byte(b64),
		"base64 64-column LF":             []byte(wrap(b64, 64, "\n")),
		"base64 76-column CRLF":           []byte(wrap(b64, 76, "\r\n") + "\r\n"),
		"base64 with spaces and tabs":     []byte("  " + wrap(b64, 10, " \t") + "  "),
		"base64 without padding":          []byte(strings.TrimRight(b64, "=")),
		"DER (Entra Certificate (Raw))":   c.der,
		"PEM in an env var (\\n escapes)": []byte(strings.ReplaceAll(string(lf), "\n", `\n`)),
		"PEM as a JSON string":            []byte(`"` + strings.ReplaceAll(strings.ReplaceAll(string(lf), "/", `\/`), "\n", `\n`) + `"`),
		"base64 in single quotes":         []byte("'" + b64 + "'"),
		"X509 CERTIFICATE label":          pem.EncodeToMemory(&pem.Block{Type: "X509 CERTIFICATE", Bytes: c.der}),
		"TRUSTED CERTIFICATE with aux":    pem.EncodeToMemory(&pem.Block{Type: "TRUSTED CERTIFICATE", Bytes: append(append([]byte{}, c.der...), 0x30, 0x00)}),
	}
}

func TestParseReadsEveryRecordedCertificateInEveryForm(t *testing.T) {
	for _, c := range recordedCerts(t) {
		want := sha1Hex(c.der)
		for form, input := range forms(c) {
			t.Run(c.name+"/"+form, func(t *testing.T) {
				cs, err := Parse(input)
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if len(cs) != 1 {
					t.Fatalf("got %d certificates, want 1", len(cs))
				}
				if got := Thumbprint(cs[0]); got != want {
					t.Errorf("thumbprint %s, want %s", got, want)
				}
			})
		}
	}
}

// The same forms with a generated certificate, so they are checked on any checkout.
func TestParseReadsAGeneratedCertificateInEveryForm(t *testing.T) {
	der := testKeyPair(t).Certificate.Raw
	c := recordedCert{name: "generated", der: der, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	for form, input := range forms(c) {
		cs, err := Parse(input)
		if err != nil || len(cs) != 1 || Thumbprint(cs[0]) != sha1Hex(der) {
			t.Errorf("%s: %d certificates, %v", form, len(cs), err)
		}
	}
}

func TestParseReturnsEveryCertificateInOrder(t *testing.T) {
	all := recordedCerts(t)
	var pemAll, derAll []byte
	for i, c := range all {
		pemAll = append(pemAll, c.pem...)
		if i%2 == 0 {
			pemAll = append(pemAll, "\r\nbetween blocks\r\n"...)
		}
		derAll = append(derAll, c.der...)
	}
	for name, input := range map[string][]byte{"several PEM blocks": pemAll, "concatenated DER": derAll} {
		t.Run(name, func(t *testing.T) {
			cs, err := Parse(input)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) != len(all) {
				t.Fatalf("got %d certificates, want %d", len(cs), len(all))
			}
			for i := range all {
				if got, want := Thumbprint(cs[i]), sha1Hex(all[i].der); got != want {
					t.Errorf("certificate %d: thumbprint %s, want %s", i, got, want)
				}
			}
		})
	}
}

func TestParseNamesWhatWasPastedInstead(t *testing.T) {
	kp := testKeyPair(t)
	// Generated, not recorded: these rules must hold on any checkout.
	cert := recordedCert{name: "generated", der: kp.Certificate.Raw}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.der})
	pkcs8, _ := kp.KeyPEM()
	pkcs8DER, _ := x509.MarshalPKCS8PrivateKey(kp.Key)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	csrDER, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "sp.example"}}, ecKey)
	if err != nil {
		t.Fatal(err)
	}
	pubDER, _ := x509.MarshalPKIXPublicKey(&ecKey.PublicKey)
	thumb := sha1Hex(cert.der)
	pfx := mustMarshal(t, struct {
		Version  int
		AuthSafe struct {
			ContentType asn1.ObjectIdentifier
			Content     []byte `asn1:"explicit,tag:0"`
		}
	}{Version: 3, AuthSafe: struct {
		ContentType asn1.ObjectIdentifier
		Content     []byte `asn1:"explicit,tag:0"`
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}, []byte{1, 2, 3}}})
	p7b := mustMarshal(t, struct {
		ContentType asn1.ObjectIdentifier
		Content     []byte `asn1:"explicit,tag:0"`
	}{asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}, cert.der})
	b64 := base64.StdEncoding.EncodeToString(cert.der)

	tests := []struct {
		name  string
		input []byte
		kind  error
		says  string // the message must name the problem
	}{
		{"empty input", nil, ErrEmpty, "empty input"},
		{"only whitespace", []byte(" \r\n\t "), ErrEmpty, "empty input"},
		{"PKCS#8 private key PEM", pkcs8, ErrNotCertificate, "private key"},
		{"PKCS#1 private key PEM", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(kp.Key.(*rsa.PrivateKey))}), ErrNotCertificate, "private key"},
		{"SEC1 EC private key PEM", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), ErrNotCertificate, "private key"},
		{"encrypted private key PEM", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}), ErrNotCertificate, "private key"},
		{"certificate followed by its private key", append(append([]byte{}, certPEM...), pkcs8...), ErrNotCertificate, "private key"},
		{"private key as bare base64", []byte(base64.StdEncoding.EncodeToString(pkcs8DER)), ErrNotCertificate, "private key"},
		{"private key as DER", pkcs8DER, ErrNotCertificate, "private key"},
		{"certificate request PEM", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: csrDER}), ErrNotCertificate, "certificate signing request"},
		{"certificate request bare base64", []byte(base64.StdEncoding.EncodeToString(csrDER)), ErrNotCertificate, "certificate signing request"},
		{"PKCS#12 file", pfx, ErrNotCertificate, "PKCS#12"},
		{"PKCS#12 file as base64", []byte(base64.StdEncoding.EncodeToString(pfx)), ErrNotCertificate, "PKCS#12"},
		{"PKCS#7 bundle (.p7b)", p7b, ErrNotCertificate, "PKCS#7"},
		{"PKCS#7 bundle PEM", pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: p7b}), ErrNotCertificate, "PKCS#7"},
		{"public key PEM", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), ErrNotCertificate, "public key"},
		{"federation metadata XML", []byte(`<?xml version="1.0" encoding="utf-8"?><EntityDescriptor ID="_1" entityID="https://sts.windows.net/x/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`), ErrNotCertificate, "metadata"},
		{"a SAML response", []byte(`<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"/>`), ErrNotCertificate, "XML"},
		{"thumbprint as Entra shows it", []byte(thumb), ErrNotCertificate, "thumbprint"},
		{"thumbprint lower case with colons", []byte(strings.ToLower(wrap(thumb, 2, ":"))), ErrNotCertificate, "thumbprint"},
		{"SHA-256 fingerprint", []byte(strings.Repeat("AB", 32)), ErrNotCertificate, "SHA-256 fingerprint"},
		{"PEM cut off before END", certPEM[:len(certPEM)/2], ErrMalformed, "truncated"},
		{"PEM END of another block", bytes.Replace(certPEM, []byte("END CERTIFICATE"), []byte("END PRIVATE KEY"), 1), ErrMalformed, "truncated"},
		{"PEM missing lines, END kept", append(append([]byte{}, certPEM[:200]...), "\n-----END CERTIFICATE-----\n"...), ErrMalformed, "cut off"},
		{"PEM missing one line, END kept", append(append([]byte{}, certPEM[:len(certPEM)-90]...), "\n-----END CERTIFICATE-----\n"...), ErrMalformed, "cut off"},
		{"PEM body edited", bytes.Replace(certPEM, []byte("MII"), []byte("M*I"), 1), ErrMalformed, "damaged"},
		{"PEM BEGIN line broken", []byte("-----BEGIN CERTIFICATE\nMIIC\n"), ErrMalformed, "broken BEGIN"},
		{"bare base64 cut in half", []byte(b64[:len(b64)/2]), ErrMalformed, "cut off"},
		{"bare base64 cut at a 4-character boundary", []byte(b64[:len(b64)/8*4]), ErrMalformed, "cut off"},
		{"DER cut in half", cert.der[:len(cert.der)/2], ErrMalformed, "not a complete certificate"},
		{"random text", []byte("hello, world!"), ErrMalformed, "neither PEM, base64 nor DER"},
		{"too large", bytes.Repeat([]byte("A"), MaxInput+1), ErrMalformed, "bytes of input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs, err := Parse(tt.input)
			if err == nil {
				t.Fatalf("Parse accepted it and returned %d certificates", len(cs))
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if tt.kind != ErrEmpty && !strings.Contains(err.Error(), "expected an X.509 certificate") {
				t.Errorf("error %q does not say what is expected", err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Found == "" {
				t.Errorf("error %q is not an *InputError naming what was found", err)
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestThumbprintIsEntraForm(t *testing.T) {
	for _, c := range recordedCerts(t) {
		cs, err := Parse(c.pem)
		if err != nil {
			t.Fatal(err)
		}
		tp, fp := Thumbprint(cs[0]), Fingerprint256(cs[0])
		if tp != sha1Hex(c.der) || len(tp) != 40 || strings.ToUpper(tp) != tp {
			t.Errorf("%s: Thumbprint %q is not the upper-case SHA-1 of the DER", c.name, tp)
		}
		if len(fp) != 64 || strings.ToUpper(fp) != fp {
			t.Errorf("%s: Fingerprint256 %q is not 64 upper-case hex digits", c.name, fp)
		}
	}
}

func TestFingerprintsOfNilAreEmpty(t *testing.T) {
	if Thumbprint(nil) != "" || Fingerprint256(nil) != "" {
		t.Error("nil certificate must give empty fingerprints")
	}
}

func BenchmarkParse(b *testing.B) {
	c := recordedCerts(b)[0]
	for _, form := range []string{"recorded file", "base64 64-column LF", "DER (Entra Certificate (Raw))"} {
		input := forms(c)[form]
		b.Run(form, func(b *testing.B) {
			for b.Loop() {
				if _, err := Parse(input); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
