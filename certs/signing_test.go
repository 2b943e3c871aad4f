package certs

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// issued is a certificate made for these tests, with its key so it can issue others.
type issued struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var testEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// mint makes a certificate for cn, issued by parent (self-signed when parent is nil).
func mint(t *testing.T, cn string, parent *issued, isCA bool, usage x509.KeyUsage) issued {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             testEpoch,
		NotAfter:              testEpoch.Add(365 * 24 * time.Hour),
		KeyUsage:              usage,
		BasicConstraintsValid: true,
		IsCA:                  isCA,
	}
	issuer, signer := tmpl, any(key)
	if parent != nil {
		issuer, signer = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, issuer, &key.PublicKey, signer)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return issued{cert: c, key: key}
}

func pemOf(cs ...issued) []byte {
	var out []byte
	for _, c := range cs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.cert.Raw})...)
	}
	return out
}

func TestParseSigningRefusesCertificateAuthorities(t *testing.T) {
	root := mint(t, "Contoso Root CA", nil, true, x509.KeyUsageCertSign|x509.KeyUsageCRLSign)
	inter := mint(t, "Contoso Issuing CA", &root, true, x509.KeyUsageCertSign)
	leaf := mint(t, "idp.contoso.example", &inter, false, x509.KeyUsageDigitalSignature)
	// openssl req -x509 makes a self-signed CA=true certificate without key usage, and
	// signs with it; the same certificate used as a CA for another one is a chain.
	opensslRoot := mint(t, "hand-made root", nil, true, 0)
	opensslLeaf := mint(t, "signed by the hand-made root", &opensslRoot, false, 0)

	for _, tc := range []struct {
		name  string
		input []byte
		found string // in the error: the CA refused
		hint  string // in the error: the leaf to paste
	}{
		{"full chain leaf first", pemOf(leaf, inter, root), "Contoso Issuing CA", "idp.contoso.example"},
		{"full chain root first", pemOf(root, inter, leaf), "Contoso Root CA", "idp.contoso.example"},
		{"intermediate alone", pemOf(inter), "Contoso Issuing CA", ""},
		{"root alone", pemOf(root), "Contoso Root CA", ""},
		{"self-signed root without key usage, with the leaf it issued", pemOf(opensslLeaf, opensslRoot), "hand-made root", "signed by the hand-made root"},
		{"concatenated DER chain", append(append([]byte{}, leaf.cert.Raw...), inter.cert.Raw...), "Contoso Issuing CA", "idp.contoso.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Control: Parse reads every certificate, so only the signing check refuses.
			if cs, err := Parse(tc.input); err != nil || len(cs) == 0 {
				t.Fatalf("control: Parse = %d, %v", len(cs), err)
			}
			_, err := ParseSigning(tc.input)
			if !errors.Is(err, ErrNotSigning) {
				t.Fatalf("err = %v, want ErrNotSigning", err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || !strings.Contains(ie.Found, tc.found) || !strings.Contains(ie.Found, "certificate authority") {
				t.Errorf("Found = %q, want it to name %q as a certificate authority", ie.Found, tc.found)
			}
			if tc.hint != "" && !strings.Contains(ie.Hint, tc.hint) {
				t.Errorf("Hint = %q, want it to name the leaf %q", ie.Hint, tc.hint)
			}
		})
	}
}

func TestParseSigningAcceptsSignersIncludingOpenSSLSelfSigned(t *testing.T) {
	root := mint(t, "root", nil, true, x509.KeyUsageCertSign)
	leaf := mint(t, "leaf", &root, false, x509.KeyUsageDigitalSignature)
	opensslStyle := mint(t, "openssl req -x509", nil, true, 0)
	current := mint(t, "current", nil, false, 0)
	next := mint(t, "next", nil, false, 0)
	for name, input := range map[string][]byte{
		"a leaf issued by a CA, alone":      pemOf(leaf),
		"openssl req -x509 (CA=true alone)": pemOf(opensslStyle),
		"rollover: two self-signed":         pemOf(current, next),
		"rollover with openssl-style":       pemOf(current, opensslStyle),
		"generated key pair":                testKeyPair(t).CertificatePEM(),
	} {
		if _, err := ParseSigning(input); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseSigningBoundsTheNumberOfCertificates(t *testing.T) {
	c := mint(t, "one", nil, false, 0)
	at := bytes.Repeat(pemOf(c), MaxSigners)
	if _, err := ParseSigning(at); err != nil {
		t.Fatalf("%d certificates: %v", MaxSigners, err)
	}
	over := bytes.Repeat(pemOf(c), MaxSigners+1)
	if _, err := ParseSigning(over); !errors.Is(err, ErrNotSigning) {
		t.Fatalf("%d certificates: err = %v, want ErrNotSigning", MaxSigners+1, err)
	}
}
