package sp

import (
	"context"
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
)

// Token encryption keeps the assertion from everyone but the SP; sp/orgs gives every
// organization the same SP key pair, and shows each organization's admin the Diagnosis
// of the responses posted to its test. A response encrypted for another organization
// (captured ciphertext) decrypts with that key; its signature is not one this SP trusts,
// yet Diagnose went on and reported what the plaintext says (NameID, issuer, audience,
// recipient): a decryption service for another tenant's tokens. What a decrypted
// assertion says is reported only when a trusted signature covers it.
func TestDiagnoseShowsNothingOfAnUntrustedDecryptedAssertion(t *testing.T) {
	o := samltest.Options{Sign: samltest.SignAssertion, EncryptTo: samltest.DefaultSP().Cert}
	doc, err := samltest.DefaultIdP().ResponseDoc(o) // the other organization's login
	if err != nil {
		t.Fatal(err)
	}
	resp := samltest.Encode(samltest.Serialize(doc))
	_, plain := signedPlaintext(t, samltest.Options{})
	secrets := []string{"adele", samltest.SPEntityID} // inside the ciphertext only
	for _, s := range secrets {
		if !strings.Contains(string(plain), s) {
			t.Fatalf("control: the plaintext does not hold %q", s)
		}
	}
	cfg := genConfig(samltest.OtherTenantIdP()) // this organization's IdP
	cfg.EntityID, cfg.ACSURL = "https://app.example/organizations/mallory/saml/metadata", "https://app.example/organizations/mallory/saml/consume"
	spk := samltest.DefaultSP()
	cfg.Key = &certs.KeyPair{Key: spk.Key, Certificate: spk.Cert} // shared by every organization
	d := newSP(t, cfg).Diagnose(context.Background(), resp, samltest.RequestID)
	if d.OK || d.Signed != nil {
		t.Fatalf("control: the foreign response passed: %+v", d)
	}
	var decrypted bool
	for _, c := range d.Checks {
		if c.Name == "decryption" && c.Status == Passed {
			decrypted = true
		}
		text := c.Expected + " " + c.Received + " " + c.Fix
		if c.Err != nil {
			text += " " + c.Err.Error()
		}
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("check %q reports %q from the untrusted plaintext: %s", c.Name, s, text)
			}
		}
	}
	if !decrypted {
		t.Fatal("control: the shared key did not decrypt the other organization's assertion")
	}
}
