package metadata

import (
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

	"github.com/ssokit/saml/certs"
)

// chain is a CA and the signing certificate it issued, as a "full chain" export holds them.
func chain(t *testing.T) (ca, leaf *x509.Certificate) {
	t.Helper()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(10), Subject: pkix.Name{CommonName: "Contoso CA"},
		NotBefore: now, NotAfter: now.Add(time.Hour), BasicConstraintsValid: true, IsCA: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ = x509.ParseCertificate(der)
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	leafTmpl := &x509.Certificate{SerialNumber: big.NewInt(11), Subject: pkix.Name{CommonName: "idp signing"},
		NotBefore: now, NotAfter: now.Add(time.Hour), BasicConstraintsValid: true}
	der, err = x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ = x509.ParseCertificate(der)
	return ca, leaf
}

func TestFromAzureRefusesAPastedChain(t *testing.T) {
	const loginURL = "https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2"
	ca, leaf := chain(t)
	leafPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}))
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}))
	if _, err := FromAzure(loginURL, leafPEM); err != nil { // control: the leaf alone is fine
		t.Fatalf("leaf alone: %v", err)
	}
	_, err := FromAzure(loginURL, leafPEM+caPEM)
	if !errors.Is(err, ErrCertificate) || !errors.Is(err, certs.ErrNotSigning) {
		t.Fatalf("err = %v, want ErrCertificate wrapping certs.ErrNotSigning", err)
	}
	if !strings.Contains(err.Error(), certs.Thumbprint(leaf)) || !strings.Contains(err.Error(), "Contoso CA") {
		t.Errorf("error %q does not name the CA refused and the leaf to paste", err)
	}
}

func TestParseIdPRefusesACertificateAuthorityAsSigner(t *testing.T) {
	ca, leaf := chain(t)
	doc := entity("https://idp.example/", idpDescriptor(kd("signing", leaf), kd("signing", ca), redirectSSO))
	if _, err := ParseIdP([]byte(entity("https://idp.example/", idpDescriptor(kd("signing", leaf), redirectSSO)))); err != nil {
		t.Fatalf("control, leaf alone: %v", err)
	}
	_, err := ParseIdP([]byte(doc))
	if !errors.Is(err, ErrCertificate) || !errors.Is(err, certs.ErrNotSigning) {
		t.Fatalf("err = %v, want ErrCertificate wrapping certs.ErrNotSigning", err)
	}
	// The CA listed for encryption only is not a signer and does not matter.
	if _, err := ParseIdP([]byte(entity("https://idp.example/", idpDescriptor(kd("signing", leaf), kd("encryption", ca), redirectSSO)))); err != nil {
		t.Errorf("CA as encryption key: %v", err)
	}
}

func pemOfCert(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}
