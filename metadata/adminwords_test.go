package metadata

import (
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
)

// An admin reads these messages in the app's settings form: they say what to paste or
// upload in the portal's words, never which Go function a developer would call.
func TestMispasteMessagesNameNoGoFunctions(t *testing.T) {
	c := testCert(t)
	pem := testCertPEM(t)
	const tid = "0b5cfd4e-1a52-4d0e-9c2e-2b9d6f3a7e11"
	two := []byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata">` +
		entity("https://a.example/", idpDescriptor(kd("signing", c), redirectSSO)) +
		entity("https://b.example/", idpDescriptor(kd("signing", c), redirectSSO)) + `</EntitiesDescriptor>`)
	errs := map[string]error{}
	for name, loginURL := range map[string]string{
		"another IdP's URL":           "https://idp.example/sso",
		"multi-instance Login URL":    "https://login.microsoftonline.com/" + tid + "/saml2/extra",
		"tenant as a domain":          "https://login.microsoftonline.com/contoso.example/saml2",
		"App Federation Metadata URL": "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=5e1f8a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b",
		"tenant federation metadata":  "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml",
	} {
		_, errs[name] = FromAzure(loginURL, pem)
	}
	_, errs["metadata XML as the certificate"] = certs.Parse(two)
	_, errs["metadata with two IdPs"] = ParseIdP(two)
	for name, err := range errs {
		if err == nil {
			t.Errorf("%s: accepted", name)
			continue
		}
		for _, g := range []string{"ParseIdP", "FromAzure", "NewIdP", "NewRemote", "ParseSigning"} {
			if strings.Contains(err.Error(), g) {
				t.Errorf("%s: message names the Go function %q: %v", name, g, err)
			}
		}
	}
}
