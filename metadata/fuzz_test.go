package metadata

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/recorded"
)

// FuzzParseIdP: ParseIdP never panics; success means a usable IdP; failures are
// documented kinds. Seeds are the recorded Entra metadata plus small hand-made shapes.
func FuzzParseIdP(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(recorded.Dir(f), "*federationmetadata*.xml"))
	if len(files) == 0 {
		f.Fatal("no recorded federation metadata")
	}
	for _, name := range files {
		f.Add(recorded.Read(f, filepath.Base(name)))
	}
	c := recordedCert(f, "021-wire-server-2025.cert.pem")
	for _, s := range []string{
		entity("https://idp.example/", idpDescriptor(kd("signing", c), redirectSSO, redirectSLO)),
		`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` + entity("https://a/", idpDescriptor(kd("", c), postSSO)) + `</EntitiesDescriptor>`,
		`<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>`,
		`<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`,
		"", "<", "<a><b></a>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		idp, err := ParseIdP(data)
		if err != nil {
			if idp != nil {
				t.Fatal("IdP returned with an error")
			}
			for _, kind := range []error{ErrMalformed, ErrNoIdP, ErrCertificate} {
				if errors.Is(err, kind) {
					return
				}
			}
			t.Fatalf("undocumented error kind: %v", err)
		}
		if idp.EntityID == "" || idp.SSOURL == "" || len(idp.Certificates) == 0 {
			t.Fatalf("incomplete IdP without an error: %+v", idp)
		}
		seen := map[string]bool{}
		for _, c := range idp.Certificates {
			if tp := certs.Thumbprint(c); seen[tp] {
				t.Fatalf("certificate %s listed twice", tp)
			} else {
				seen[tp] = true
			}
		}
	})
}
