package metadata

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/recorded"
)

// recordedCert reads a recorded .cert.pem with encoding/pem and crypto/x509 directly, so
// expectations do not depend on the code under test.
func recordedCert(t testing.TB, name string) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(recorded.Read(t, name))
	if block == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

func b64(c *x509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }

func thumbprints(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, certs.Thumbprint(c))
	}
	return out
}

// kd renders a KeyDescriptor; use "" omits the attribute.
func kd(use string, c *x509.Certificate) string {
	u := ""
	if use != "" {
		u = fmt.Sprintf(` use="%s"`, use)
	}
	return fmt.Sprintf(`<KeyDescriptor%s><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`, u, b64(c))
}

const (
	redirectSSO = `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/sso/redirect"/>`
	postSSO     = `<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.example/sso/post"/>`
	redirectSLO = `<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example/slo"/>`
)

// entity renders an EntityDescriptor in the default metadata namespace around body.
func entity(entityID, body string) string {
	return fmt.Sprintf(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">%s</EntityDescriptor>`, entityID, body)
}

func idpDescriptor(parts ...string) string {
	return `<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">` + strings.Join(parts, "") + `</IDPSSODescriptor>`
}

type signer struct {
	key  crypto.Signer
	cert *x509.Certificate
}

var (
	signersOnce sync.Once
	signers     []signer
)

// testSigners are three RSA keys with self-signed certificates, made once, and
// independent of the recorded data so the rules they test hold on any checkout.
func testSigners(t testing.TB) []signer {
	t.Helper()
	signersOnce.Do(func() {
		now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 3 {
			key, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(int64(i + 1)), Subject: pkix.Name{CommonName: fmt.Sprintf("idp%d.example", i)},
				NotBefore: now, NotAfter: now.Add(time.Hour)}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
			if err != nil {
				panic(err)
			}
			c, err := x509.ParseCertificate(der)
			if err != nil {
				panic(err)
			}
			signers = append(signers, signer{key: key, cert: c})
		}
	})
	return signers
}

func testSigner(t testing.TB) signer { return testSigners(t)[0] }

func testCert(t testing.TB) *x509.Certificate { return testSigner(t).cert }

func testCertPEM(t testing.TB) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: testCert(t).Raw}))
}
