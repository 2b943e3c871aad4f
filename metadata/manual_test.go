package metadata

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
)

func TestNewIdPBuildsAHandConfiguredIdP(t *testing.T) {
	a, b := testSigners(t)[0].cert, testSigners(t)[1].cert
	pemA, pemB := testCertPEM(t), pemOfCert(b)
	for name, tc := range map[string]struct {
		entityID, sso string
		certs         []string
		want          int
	}{
		"one certificate":                   {"https://idp.example.com/metadata", "https://idp.example.com/sso", []string{pemA}, 1},
		"rollover as two pastes":            {"urn:example:idp", "https://idp.example.com/sso", []string{pemA, pemB}, 2},
		"rollover as one paste, duplicated": {"https://idp.example.com/", " https://idp.example.com/sso?tenant=1 ", []string{pemA + pemB, pemA, ""}, 2},
		"an IdP on this machine over http":  {"http://127.0.0.1:8080/idp", "http://127.0.0.1:8080/sso", []string{b64(a)}, 1},
		"localhost":                         {"http://localhost/idp", "http://localhost:9000/sso", []string{pemA}, 1},
	} {
		t.Run(name, func(t *testing.T) {
			idp, err := NewIdP(tc.entityID, tc.sso, tc.certs...)
			if err != nil {
				t.Fatal(err)
			}
			if idp.EntityID != strings.TrimSpace(tc.entityID) || idp.SSOURL != strings.TrimSpace(tc.sso) || idp.SSOBinding != BindingHTTPRedirect || len(idp.Certificates) != tc.want {
				t.Errorf("got %+v with %d certificates", idp, len(idp.Certificates))
			}
		})
	}
}

func TestNewIdPRejectsEachFieldWithItsOwnMessage(t *testing.T) {
	const tid = "92b20d54-6bdd-4686-9286-c44865f50277"
	good := struct{ entityID, sso, cert string }{"https://idp.example.com/", "https://idp.example.com/sso", testCertPEM(t)}
	if _, err := NewIdP(good.entityID, good.sso, good.cert); err != nil {
		t.Fatalf("control: %v", err)
	}
	ca, leaf := chain(t)
	for _, tc := range []struct {
		name, entityID, sso string
		certs               []string
		field               string
		kind                error
		says                string
	}{
		{"empty sign-on URL", good.entityID, "", []string{good.cert}, FieldSSOURL, ErrLoginURL, "empty"},
		{"relative sign-on URL", good.entityID, "/sso", []string{good.cert}, FieldSSOURL, ErrLoginURL, "not an absolute https URL"},
		{"script URL", good.entityID, "javascript:alert(1)", []string{good.cert}, FieldSSOURL, ErrLoginURL, "not an absolute https URL"},
		{"plain http elsewhere", good.entityID, "http://idp.example.com/sso", []string{good.cert}, FieldSSOURL, ErrLoginURL, "plain http"},
		{"copied redirect", good.entityID, "https://idp.example.com/sso?SAMLRequest=fZ", []string{good.cert}, FieldSSOURL, ErrLoginURL, "copied from the browser"},
		{"Entra Identifier as sign-on URL", good.entityID, "https://sts.windows.net/" + tid + "/", []string{good.cert}, FieldSSOURL, ErrLoginURL, "Microsoft Entra Identifier"},
		{"My Apps as sign-on URL", good.entityID, "https://myapps.microsoft.com/signin/x", []string{good.cert}, FieldSSOURL, ErrLoginURL, "My Apps"},
		{"App Federation Metadata URL as sign-on URL", good.entityID, "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=1", []string{good.cert}, FieldSSOURL, ErrLoginURL, "App Federation Metadata URL"},
		{"empty entity ID", "", good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "empty"},
		{"entity ID not a URI", "my idp", good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "spaces"},
		{"entity ID relative", "idp.example.com", good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "not an absolute URI"},
		{"certificate as entity ID", good.cert, good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "a certificate"},
		{"Entra Login URL as entity ID", "https://login.microsoftonline.com/" + tid + "/saml2", good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "https://sts.windows.net/" + tid + "/"},
		{"entity ID too long", "urn:" + strings.Repeat("x", maxEntityID), good.sso, []string{good.cert}, FieldEntityID, ErrEntityID, "characters"},
		{"no certificate", good.entityID, good.sso, nil, FieldCertificate, certs.ErrEmpty, "Certificate (Base64)"},
		{"blank certificate", good.entityID, good.sso, []string{" \n"}, FieldCertificate, certs.ErrEmpty, "empty"},
		{"thumbprint", good.entityID, good.sso, []string{certs.Thumbprint(testCert(t))}, FieldCertificate, certs.ErrNotCertificate, "thumbprint"},
		{"a chain", good.entityID, good.sso, []string{pemOfCert(leaf) + pemOfCert(ca)}, FieldCertificate, certs.ErrNotSigning, certs.Thumbprint(leaf)},
		{"a chain in two pastes", good.entityID, good.sso, []string{pemOfCert(leaf), pemOfCert(ca)}, FieldCertificate, certs.ErrNotSigning, "Contoso CA"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idp, err := NewIdP(tc.entityID, tc.sso, tc.certs...)
			if err == nil {
				t.Fatalf("accepted as %+v", idp)
			}
			ps := Problems(err)
			if len(ps) != 1 || ps[0].Field != tc.field || !errors.Is(ps[0], tc.kind) || !strings.Contains(ps[0].Error(), tc.says) {
				t.Fatalf("problems %v, want one for %q (%v) saying %q", ps, tc.field, tc.kind, tc.says)
			}
		})
	}
}

func TestNewIdPReportsEveryWrongField(t *testing.T) {
	_, err := NewIdP("", "http://idp.example.com/sso", "80CC2EF7CB636C4A0A2056488EB4DEAB04591624")
	var fields []string
	for _, p := range Problems(err) {
		fields = append(fields, p.Field)
	}
	if strings.Join(fields, ",") != FieldSSOURL+","+FieldEntityID+","+FieldCertificate {
		t.Errorf("fields %q, want all three in order", fields)
	}
	if !errors.Is(err, ErrLoginURL) || !errors.Is(err, ErrEntityID) || !errors.Is(err, ErrCertificate) {
		t.Errorf("errors.Is does not see every kind in %v", err)
	}
}

func TestLogoutResponseIssuerIsDerivedForEntraOnly(t *testing.T) {
	const tid = "92b20d54-6bdd-4686-9286-c44865f50277"
	cert := testCertPEM(t)
	for login, want := range map[string]string{
		"https://login.microsoftonline.com/" + tid + "/saml2":        "https://login.microsoftonline.com/" + tid + "/",
		"https://login.partner.microsoftonline.cn/" + tid + "/saml2": "https://login.partner.microsoftonline.cn/" + tid + "/",
	} {
		idp, err := FromAzure(login, cert)
		if err != nil || idp.LogoutResponseIssuer != want {
			t.Errorf("FromAzure(%s): LogoutResponseIssuer %q, %v; want %q", login, idp.LogoutResponseIssuer, err, want)
		}
	}
	other, err := ParseIdP([]byte(entity("https://idp.example/", idpDescriptor(kd("signing", testCert(t)), redirectSSO, redirectSLO))))
	if err != nil || other.LogoutResponseIssuer != "" {
		t.Errorf("another IdP: LogoutResponseIssuer %q, %v; want empty (its entity ID)", other.LogoutResponseIssuer, err)
	}
	// Entra's issuer form on another host is not Entra.
	spoof, err := ParseIdP([]byte(entity("https://sts.windows.net/"+tid+"/", idpDescriptor(kd("signing", testCert(t)), redirectSSO, redirectSLO))))
	if err != nil || spoof.LogoutResponseIssuer != "" {
		t.Errorf("Entra entity ID with a foreign SLO host: %q, %v", spoof.LogoutResponseIssuer, err)
	}
}
