package certs

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/recorded"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var (
	kpOnce sync.Once
	kp     *KeyPair
	kpErr  error
)

// testKeyPair generates one RSA pair per test binary: key generation is the slow part.
func testKeyPair(t testing.TB) *KeyPair {
	t.Helper()
	kpOnce.Do(func() { kp, kpErr = GenerateKeyPair("sp.example", testNow, 365*24*time.Hour) })
	if kpErr != nil {
		t.Fatal(kpErr)
	}
	return kp
}

func selfSigned(t *testing.T, key any, pub any) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "other"},
		NotBefore: testNow, NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestGenerateKeyPairIsSelfSignedRSA2048ForTheGivenPeriod(t *testing.T) {
	kp := testKeyPair(t)
	c := kp.Certificate
	if c.Subject.CommonName != "sp.example" {
		t.Errorf("CN %q", c.Subject.CommonName)
	}
	if !c.NotBefore.Equal(testNow) || !c.NotAfter.Equal(testNow.Add(365*24*time.Hour)) {
		t.Errorf("validity %v – %v, want %v for a year", c.NotBefore, c.NotAfter, testNow)
	}
	if k, ok := kp.Key.(*rsa.PrivateKey); !ok || k.N.BitLen() != 2048 {
		t.Errorf("key %T, want RSA-2048", kp.Key)
	}
	if err := c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature); err != nil {
		t.Errorf("not self-signed: %v", err)
	}
	if _, err := GenerateKeyPair("x", testNow, 0); err == nil {
		t.Error("validFor 0 accepted")
	}
}

func TestKeyPairPEMRoundTrip(t *testing.T) {
	kp := testKeyPair(t)
	keyPEM, err := kp.KeyPEM()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(keyPEM), "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("KeyPEM is not PKCS#8: %.40q", keyPEM)
	}
	got, err := LoadKeyPair(kp.CertificatePEM(), keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Certificate.Equal(kp.Certificate) || !got.Key.(*rsa.PrivateKey).Equal(kp.Key) {
		t.Error("round trip changed the pair")
	}
}

func TestLoadKeyPairAcceptsPKCS1PKCS8AndSEC1(t *testing.T) {
	kp := testKeyPair(t)
	rsaKey := kp.Key.(*rsa.PrivateKey)
	pkcs8RSA, _ := x509.MarshalPKCS8PrivateKey(rsaKey)
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecCert := selfSigned(t, ecKey, &ecKey.PublicKey)
	sec1, _ := x509.MarshalECPrivateKey(ecKey)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	tests := []struct {
		name      string
		cert, key []byte
	}{
		{"RSA PKCS#1", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey)})},
		{"RSA PKCS#8", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8RSA})},
		{"ECDSA SEC1 after EC PARAMETERS", ecCert, append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 42, 134, 72, 206, 61, 3, 1, 7}}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...)},
		{"ECDSA PKCS#8", ecCert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC})},
		{"key file that also holds the certificate", ecCert, append(append([]byte{}, ecCert...), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC})...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadKeyPair(tt.cert, tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if got.Key == nil || got.Certificate == nil {
				t.Fatal("empty pair")
			}
		})
	}
}

func TestLoadKeyPairRejects(t *testing.T) {
	kp := testKeyPair(t)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pkcs8EC, _ := x509.MarshalPKCS8PrivateKey(ecKey)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	pkcs8Ed, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edCert := selfSigned(t, edKey, edKey.Public())
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	smallCert := selfSigned(t, small, &small.PublicKey)
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-128-CBC,00"}, Bytes: []byte{1}})
	tests := []struct {
		name      string
		cert, key []byte
		kind      error
		says      string
	}{
		{"key of another pair", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC}), ErrKey, "does not belong to the certificate"},
		{"encrypted PKCS#8", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}), ErrKey, "encrypted private key"},
		{"encrypted PKCS#1", kp.CertificatePEM(), encrypted, ErrKey, "encrypted private key"},
		{"no key at all", kp.CertificatePEM(), []byte("not a key"), ErrKey, "no PEM private key"},
		{"certificate only in the key file", kp.CertificatePEM(), kp.CertificatePEM(), ErrKey, "no PEM private key"},
		{"damaged key", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 1, 2}}), ErrKey, "does not parse"},
		{"public key instead of private", kp.CertificatePEM(), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30}}), ErrKey, `"PUBLIC KEY" block`},
		{"Ed25519 key", edCert, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8Ed}), ErrKey, "ed25519"},
		{"RSA-1024 key", smallCert, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(small)}), ErrKey, "1024-bit"},
		{"certificate is not one", []byte("0123"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8EC}), ErrMalformed, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadKeyPair(tt.cert, tt.key)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q, want %v saying %q", err, tt.kind, tt.says)
			}
		})
	}
}

// 020's published SP key and the IdP certificate of the same recording are two different
// parties' keys: a mix-up LoadKeyPair must catch.
func TestLoadKeyPairRejectsRecordedMismatch(t *testing.T) {
	_, err := LoadKeyPair(recorded.Read(t, "020-aspnetsaml-2025-encrypted.cert.pem"), recorded.Read(t, "020-aspnetsaml-2025-encrypted.sp-key.pem"))
	if !errors.Is(err, ErrKey) || !strings.Contains(err.Error(), "does not belong to the certificate") {
		t.Errorf("error %v, want ErrKey saying the key does not belong", err)
	}
}
