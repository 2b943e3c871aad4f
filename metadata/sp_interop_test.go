package metadata

import (
	"encoding/json"
	"github.com/ssokit/saml/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// peerScript loads SP metadata the way two IdP implementations nobody here wrote do:
// Lasso (as an IdP server adding an SP provider) and pysaml2 (its metadata schema
// classes). It prints what each understood.
const peerScript = `
import json, sys
import lasso
from saml2 import md
path = sys.argv[1]
out = {}
server = lasso.Server()
server.addProvider(lasso.PROVIDER_ROLE_SP, path)
p = server.getProvider(sys.argv[2])
out["lasso_entity"] = p.providerId
out["lasso_acs"] = p.getAssertionConsumerServiceUrl(None)
ed = md.entity_descriptor_from_string(open(path).read())
sp = ed.spsso_descriptor[0]
out["entity"] = ed.entity_id
out["acs"] = [a.location for a in sp.assertion_consumer_service]
out["acs_binding"] = [a.binding for a in sp.assertion_consumer_service]
out["slo"] = [s.location for s in sp.single_logout_service]
out["key_uses"] = [k.use for k in sp.key_descriptor]
out["authn_requests_signed"] = sp.authn_requests_signed
out["want_assertions_signed"] = sp.want_assertions_signed
out["nameid_formats"] = [n.text for n in sp.name_id_format]
out["cache_duration"] = ed.cache_duration
print(json.dumps(out))
`

// Debian's python3 is used on purpose: the peers come from Debian packages.
const peerPython = "/usr/bin/python3"

func TestSPMetadataIsReadByLassoAndPySAML2(t *testing.T) {
	if _, err := os.Stat(peerPython); err != nil {
		testenv.Missing(t, "%s absent: apt-get install python3 python3-lasso python3-pysaml2", peerPython)
	}
	if err := exec.Command(peerPython, "-c", "import lasso, saml2").Run(); err != nil {
		testenv.Missing(t, "Lasso or pysaml2 absent (%v): apt-get install python3-lasso python3-pysaml2", err)
	}
	m := SP{
		EntityID:              "https://app.example/organizations/acme/saml/metadata",
		ACSURL:                "https://app.example/organizations/acme/saml/consume",
		SLOURL:                "https://app.example/organizations/acme/saml/logout",
		SigningCertificate:    testSigners(t)[0].cert,
		EncryptionCertificate: testSigners(t)[1].cert,
		AuthnRequestsSigned:   true,
		WantAssertionsSigned:  true,
		NameIDFormats:         []string{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		CacheDuration:         48 * time.Hour,
	}
	out, err := m.XML()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "sp.xml")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := exec.Command(peerPython, "-c", peerScript, path, m.EntityID).Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("peers refused our SP metadata: %v\n%s\n%s", err, stderr, out)
	}
	var got struct {
		LassoEntity          string   `json:"lasso_entity"`
		LassoACS             string   `json:"lasso_acs"`
		Entity               string   `json:"entity"`
		ACS                  []string `json:"acs"`
		ACSBinding           []string `json:"acs_binding"`
		SLO                  []string `json:"slo"`
		KeyUses              []string `json:"key_uses"`
		AuthnRequestsSigned  string   `json:"authn_requests_signed"`
		WantAssertionsSigned string   `json:"want_assertions_signed"`
		NameIDFormats        []string `json:"nameid_formats"`
		CacheDuration        string   `json:"cache_duration"`
	}
	if err := json.Unmarshal(res, &got); err != nil {
		t.Fatalf("peer output %q: %v", res, err)
	}
	if got.LassoEntity != m.EntityID || got.LassoACS != m.ACSURL {
		t.Errorf("Lasso read entity %q ACS %q", got.LassoEntity, got.LassoACS)
	}
	if got.Entity != m.EntityID || !slices.Equal(got.ACS, []string{m.ACSURL}) || !slices.Equal(got.ACSBinding, []string{BindingHTTPPost}) ||
		!slices.Equal(got.SLO, []string{m.SLOURL}) || !slices.Equal(got.KeyUses, []string{"signing", "encryption"}) ||
		!slices.Equal(got.NameIDFormats, m.NameIDFormats) || got.AuthnRequestsSigned != "true" || got.WantAssertionsSigned != "true" ||
		got.CacheDuration != "PT48H" {
		t.Errorf("pysaml2 read %+v", got)
	}
}
