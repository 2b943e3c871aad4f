package certs

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// mintNoConstraints makes an RSA certificate without a basicConstraints extension (as a
// version-1 or legacy CA certificate has none), issued by parent, or self-signed.
func mintNoConstraints(t *testing.T, cn string, parent *rsaIssued) rsaIssued {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024) // small: only this test's speed depends on it
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: testEpoch, NotAfter: testEpoch.Add(365 * 24 * time.Hour)}
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
	return rsaIssued{issued{cert: c}, key}
}

type rsaIssued struct {
	issued
	key *rsa.PrivateKey
}

// A pasted chain whose issuer has no basicConstraints (a legacy or version-1 root) is a
// chain all the same: the issuer's key must not become a SAML signer.
func TestParseSigningRefusesAnIssuerWithoutBasicConstraints(t *testing.T) {
	root := mintNoConstraints(t, "Legacy Root", nil)
	leaf := mintNoConstraints(t, "idp.legacy.example", &root)
	if root.cert.BasicConstraintsValid {
		t.Fatal("control: the root carries basicConstraints")
	}
	if err := leaf.cert.CheckSignature(leaf.cert.SignatureAlgorithm, leaf.cert.RawTBSCertificate, leaf.cert.Signature); err == nil {
		t.Fatal("control: the leaf is self-signed")
	}
	for name, input := range map[string][]byte{"leaf first": pemOf(leaf.issued, root.issued), "root first": pemOf(root.issued, leaf.issued)} {
		_, err := ParseSigning(input)
		var ie *InputError
		if !errors.Is(err, ErrNotSigning) || !errors.As(err, &ie) || !strings.Contains(ie.Found, "Legacy Root") {
			t.Errorf("%s: err = %v, want ErrNotSigning naming the issuer", name, err)
		}
	}
	// Entra's rollover: two self-signed certificates with one subject name each names the
	// other as issuer, and neither issued the other.
	var same []issued
	for range 7 {
		same = append(same, mintNoConstraints(t, "Microsoft Azure Federated SSO Certificate", nil).issued)
	}
	for _, n := range []int{2, 3, 6} {
		if _, err := ParseSigning(pemOf(same[:n]...)); err != nil {
			t.Errorf("%d certificates with one subject: %v", n, err)
		}
	}
	// Each pair of one subject costs a signature check: a set built of many is refused
	// rather than checked (42 pairs here, over the bound of 32).
	if _, err := ParseSigning(pemOf(same...)); !errors.Is(err, ErrNotSigning) {
		t.Errorf("seven certificates naming one another: err = %v, want ErrNotSigning", err)
	}
}
