package metadata

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"strings"
	"testing"

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
