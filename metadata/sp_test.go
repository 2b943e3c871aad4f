package metadata

import (
	"encoding/base64"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
)

func TestSPMetadataRoundTrip(t *testing.T) {
	signing, encryption := testSigners(t)[0].cert, testSigners(t)[1].cert
	validUntil := time.Date(2027, 6, 1, 12, 0, 0, 0, time.FixedZone("CEST", 2*3600))
	m := SP{
		EntityID:              "https://app.example/organizations/acme & co/saml",
		ACSURL:                "https://app.example/organizations/acme/saml/consume?x=1&y=<2>",
		SLOURL:                "https://app.example/organizations/acme/saml/logout",
		SigningCertificate:    signing,
		EncryptionCertificate: encryption,
		AuthnRequestsSigned:   true,
		WantAssertionsSigned:  true,
		NameIDFormats:         []string{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"},
		ValidUntil:            validUntil,
		CacheDuration:         48 * time.Hour,
	}
	out, err := m.XML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "<?xml") {
		t.Errorf("no XML declaration: %.60q", out)
	}
	if _, err := readTree(out); err != nil {
		t.Fatalf("not well-formed or not safe: %v", err)
	}
	// As an IdP would read it: with crewjam/saml's schema types.
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(out, &ed); err != nil {
		t.Fatal(err)
	}
	if ed.EntityID != m.EntityID || !ed.ValidUntil.Equal(validUntil) || ed.CacheDuration != m.CacheDuration {
		t.Errorf("entity %q validUntil %v cacheDuration %v", ed.EntityID, ed.ValidUntil, ed.CacheDuration)
	}
	if len(ed.SPSSODescriptors) != 1 || len(ed.IDPSSODescriptors) != 0 {
		t.Fatalf("%d SP and %d IdP descriptors, want 1 SP", len(ed.SPSSODescriptors), len(ed.IDPSSODescriptors))
	}
	sp := ed.SPSSODescriptors[0]
	if sp.ProtocolSupportEnumeration != ProtocolSAML20 {
		t.Errorf("protocolSupportEnumeration %q", sp.ProtocolSupportEnumeration)
	}
	if sp.AuthnRequestsSigned == nil || !*sp.AuthnRequestsSigned || sp.WantAssertionsSigned == nil || !*sp.WantAssertionsSigned {
		t.Errorf("AuthnRequestsSigned %v WantAssertionsSigned %v", sp.AuthnRequestsSigned, sp.WantAssertionsSigned)
	}
	if len(sp.AssertionConsumerServices) != 1 || sp.AssertionConsumerServices[0].Binding != BindingHTTPPost || sp.AssertionConsumerServices[0].Location != m.ACSURL {
		t.Errorf("ACS %+v", sp.AssertionConsumerServices)
	}
	if len(sp.SingleLogoutServices) != 1 || sp.SingleLogoutServices[0].Binding != BindingHTTPRedirect || sp.SingleLogoutServices[0].Location != m.SLOURL {
		t.Errorf("SLO %+v", sp.SingleLogoutServices)
	}
	if len(sp.NameIDFormats) != 2 || string(sp.NameIDFormats[0]) != m.NameIDFormats[0] || string(sp.NameIDFormats[1]) != m.NameIDFormats[1] {
		t.Errorf("NameIDFormats %v", sp.NameIDFormats)
	}
	wantKeys := map[string][]byte{"signing": signing.Raw, "encryption": encryption.Raw}
	if len(sp.KeyDescriptors) != 2 {
		t.Fatalf("%d KeyDescriptors, want signing and encryption", len(sp.KeyDescriptors))
	}
	for _, kd := range sp.KeyDescriptors {
		xcs := kd.KeyInfo.X509Data.X509Certificates
		if len(xcs) != 1 {
			t.Fatalf("use=%q: %d certificates", kd.Use, len(xcs))
		}
		der, err := base64.StdEncoding.DecodeString(xcs[0].Data)
		if err != nil || string(der) != string(wantKeys[kd.Use]) {
			t.Errorf("use=%q: wrong certificate (%v)", kd.Use, err)
		}
		delete(wantKeys, kd.Use)
	}
	if len(wantKeys) != 0 {
		t.Errorf("missing KeyDescriptors %v", wantKeys)
	}
	// Given to ParseIdP by mistake, it is recognised for what it is.
	if _, err := ParseIdP(out); !errors.Is(err, ErrNoIdP) || !strings.Contains(err.Error(), "service provider metadata") {
		t.Errorf("ParseIdP(SP metadata): %v", err)
	}
}

func TestSPMetadataOmitsWhatIsNotSet(t *testing.T) {
	out, err := SP{EntityID: "https://app.example/saml", ACSURL: "http://127.0.0.1:8080/acs"}.XML()
	if err != nil {
		t.Fatal(err)
	}
	for _, absent := range []string{"KeyDescriptor", "SingleLogoutService", "NameIDFormat", "validUntil", "cacheDuration"} {
		if strings.Contains(string(out), absent) {
			t.Errorf("minimal metadata contains %s:\n%s", absent, out)
		}
	}
	for _, present := range []string{`AuthnRequestsSigned="false"`, `WantAssertionsSigned="false"`, `Location="http://127.0.0.1:8080/acs"`} {
		if !strings.Contains(string(out), present) {
			t.Errorf("minimal metadata lacks %s:\n%s", present, out)
		}
	}
}

func TestSPMetadataRejects(t *testing.T) {
	good := SP{EntityID: "https://app.example/saml", ACSURL: "https://app.example/acs"}
	tests := []struct {
		name   string
		modify func(*SP)
		says   string
	}{
		{"no entity ID", func(m *SP) { m.EntityID = "" }, "EntityID"},
		{"no ACS URL", func(m *SP) { m.ACSURL = "" }, "ACSURL"},
		{"relative ACS URL", func(m *SP) { m.ACSURL = "/saml/acs" }, "ACSURL"},
		{"script ACS URL", func(m *SP) { m.ACSURL = "javascript:alert(1)" }, "ACSURL"},
		{"bad SLO URL", func(m *SP) { m.SLOURL = "ftp://app.example/slo" }, "SLOURL"},
		{"signed requests without a certificate", func(m *SP) { m.AuthnRequestsSigned = true }, "SigningCertificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := good
			tt.modify(&m)
			_, err := m.XML()
			if !errors.Is(err, ErrSP) || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %v, want ErrSP naming %s", err, tt.says)
			}
		})
	}
}
