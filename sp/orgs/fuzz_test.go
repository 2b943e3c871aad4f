package orgs

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzOpenTestCookie: the test cookie comes back from the browser, so it is untrusted
// input. Nothing opens but the payload this Manager sealed under that name, and
// nothing panics.
func FuzzOpenTestCookie(f *testing.F) {
	m := &Manager{testKey: deriveKey(bytes.Repeat([]byte{1}, 32), "ssokit orgs test cookie")}
	const name = "org.acme.-test"
	good, err := m.seal(name, testState{Org: "acme", Version: 1, RequestID: "id1", RelayState: "ts00", Expires: 1})
	if err != nil {
		f.Fatal(err)
	}
	payload, _, _ := strings.Cut(good, ".")
	f.Add(name, good)
	f.Add(name, good+"x")
	f.Add(name, good[:10]+"\r"+good[10:])
	f.Add(name, good[:len(good)-1]+"B")
	f.Add("org.acme-req.-test", good)
	f.Add(name, "eyJvIjoiYWNtZSJ9.")
	f.Add(name, payload+".")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, n, value string) {
		var st testState
		if m.open(n, value, &st) != nil {
			return
		}
		if n != name || value != good {
			t.Fatalf("opened %q=%q, which is not the one spelling this Manager sealed", n, value)
		}
	})
}

// FuzzValidate: what an admin types (or a script posts) into the settings form never
// panics; a refusal is always a *SettingsError naming a field.
func FuzzValidate(f *testing.F) {
	f.Add("https://login.microsoftonline.com/7c1e4f2a-93b5-4d08-a6e1-2f8b0c9d5e37/saml2", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "", "", "contoso.com")
	f.Add("https://sts.windows.net/x/", "AAAA", "", "", "@x, y")
	f.Add("", "", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`, "", "")
	f.Add("http://127.0.0.1/sso", "", "", "idp", "a..b")
	f.Fuzz(func(t *testing.T, loginURL, cert, xml, entityID, domains string) {
		_, err := Validate(Settings{LoginURL: loginURL, Certificate: cert, MetadataXML: xml, IdPEntityID: entityID, AllowedEmailDomains: []string{domains}}, time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC))
		if err == nil {
			return
		}
		se, ok := err.(*SettingsError)
		if !ok || len(se.Fields) == 0 {
			t.Fatalf("refusal %v is not a SettingsError with fields", err)
		}
	})
}
