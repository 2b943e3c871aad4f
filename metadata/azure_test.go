package metadata

import (
	"errors"
	"strings"
	"testing"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/recorded"
)

func TestFromAzureDerivesTheIssuerOfEachCloud(t *testing.T) {
	cert := testCertPEM(t)
	want := certs.Thumbprint(testCert(t))
	const tid = "92b20d54-6bdd-4686-9286-c44865f50277"
	tests := []struct {
		name, loginURL, entityID, ssoURL string
	}{
		{"global", "https://login.microsoftonline.com/" + tid + "/saml2", "https://sts.windows.net/" + tid + "/", "https://login.microsoftonline.com/" + tid + "/saml2"},
		{"global, upper-case GUID and host, trailing slash, spaces", "  https://LOGIN.microsoftonline.com/" + strings.ToUpper(tid) + "/saml2/ \n", "https://sts.windows.net/" + tid + "/", "https://login.microsoftonline.com/" + tid + "/saml2"},
		{"US Government", "https://login.microsoftonline.us/" + tid + "/saml2", "https://sts.windows.net/" + tid + "/", "https://login.microsoftonline.us/" + tid + "/saml2"},
		{"China", "https://login.partner.microsoftonline.cn/" + tid + "/saml2", "https://sts.chinacloudapi.cn/" + tid + "/", "https://login.partner.microsoftonline.cn/" + tid + "/saml2"},
		{"China, former host", "https://login.chinacloudapi.cn/" + tid + "/saml2", "https://sts.chinacloudapi.cn/" + tid + "/", "https://login.chinacloudapi.cn/" + tid + "/saml2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, err := FromAzure(tt.loginURL, cert)
			if err != nil {
				t.Fatal(err)
			}
			if idp.EntityID != tt.entityID || idp.SSOURL != tt.ssoURL || idp.SLOURL != tt.ssoURL || idp.SSOBinding != BindingHTTPRedirect {
				t.Errorf("got %+v, want entity %s, SSO and SLO %s", idp, tt.entityID, tt.ssoURL)
			}
			if len(idp.Certificates) != 1 || certs.Thumbprint(idp.Certificates[0]) != want {
				t.Errorf("certificates %v, want [%s]", thumbprints(idp.Certificates), want)
			}
		})
	}
}

// The pasted values must describe the same IdP as Entra's own federation metadata.
func TestFromAzureAgreesWithRecordedFederationMetadata(t *testing.T) {
	for _, pair := range []struct{ metadata, cert string }{
		{"010-wire-2018-federationmetadata.xml", "007-wire-2018.cert.pem"},
		{"022-wire-server-2025-federationmetadata.xml", "021-wire-server-2025.cert.pem"},
	} {
		t.Run(pair.metadata, func(t *testing.T) {
			fromMetadata, err := ParseIdP(recorded.Read(t, pair.metadata))
			if err != nil {
				t.Fatal(err)
			}
			pasted, err := FromAzure(fromMetadata.SSOURL, string(recorded.Read(t, pair.cert)))
			if err != nil {
				t.Fatal(err)
			}
			if pasted.EntityID != fromMetadata.EntityID || pasted.SSOURL != fromMetadata.SSOURL || pasted.SLOURL != fromMetadata.SLOURL ||
				pasted.LogoutResponseIssuer != fromMetadata.LogoutResponseIssuer || pasted.LogoutResponseIssuer == "" {
				t.Errorf("FromAzure %+v\nmetadata  %+v", pasted, fromMetadata)
			}
		})
	}
}

func TestFromAzureRejectsWhatIsNotAnEntraSAMLLoginURL(t *testing.T) {
	cert := testCertPEM(t)
	const tid = "92b20d54-6bdd-4686-9286-c44865f50277"
	tests := []struct {
		name, loginURL, says string
	}{
		{"empty", "", "empty"},
		{"not a URL", "login.microsoftonline.com/" + tid + "/saml2", "not an absolute URL"},
		{"another IdP", "https://accounts.google.com/o/saml2/idp?idpid=x", "not an Entra ID sign-in host"},
		{"look-alike host", "https://login.microsoftonline.com.evil.example/" + tid + "/saml2", "not an Entra ID sign-in host"},
		{"http", "http://login.microsoftonline.com/" + tid + "/saml2", "use https"},
		{"port", "https://login.microsoftonline.com:8443/" + tid + "/saml2", "use https"},
		{"user info", "https://x@login.microsoftonline.com/" + tid + "/saml2", "use https"},
		{"tenant as domain name", "https://login.microsoftonline.com/contoso.onmicrosoft.com/saml2", "domain name"},
		{"tenant as custom domain", "https://login.microsoftonline.com/contoso.com/saml2", "tenant ID GUID"},
		{"common endpoint", "https://login.microsoftonline.com/common/saml2", "multi-tenant"},
		{"organizations endpoint", "https://login.microsoftonline.com/organizations/saml2", "multi-tenant"},
		{"not a GUID", "https://login.microsoftonline.com/1234/saml2", "not a tenant ID GUID"},
		{"no tenant", "https://login.microsoftonline.com/", "without a tenant"},
		{"WS-Federation endpoint", "https://login.microsoftonline.com/" + tid + "/wsfed", "not the SAML endpoint"},
		{"OAuth endpoint", "https://login.microsoftonline.com/" + tid + "/oauth2/v2.0/authorize", "not the SAML endpoint"},
		{"metadata URL", "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml", "federation metadata XML"},
		// What admins paste by mistake, each recognised and answered with the right value.
		{"App Federation Metadata URL (not a copied redirect)", "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=0b0a3d7b-7a83-4b0e-9d0e-5b1f4f1b1c1d", "the App Federation Metadata URL"},
		{"App Federation Metadata URL names the Login URL", "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=x", "the Login URL to paste here is https://login.microsoftonline.com/" + tid + "/saml2"},
		{"App Federation Metadata URL says where it belongs", "https://login.microsoftonline.com/" + tid + "/federationmetadata/2007-06/federationmetadata.xml?appid=x", "IdP metadata URL"},
		{"Entra Identifier", "https://sts.windows.net/" + tid + "/", `the "Microsoft Entra Identifier" (the issuer), not the Login URL`},
		{"Entra Identifier names the Login URL", "https://sts.windows.net/" + tid + "/", "https://login.microsoftonline.com/" + tid + "/saml2"},
		{"Entra Identifier, China", "https://sts.chinacloudapi.cn/" + tid + "/", "https://login.partner.microsoftonline.cn/" + tid + "/saml2"},
		{"My Apps", "https://myapps.microsoft.com/signin/app/1234?tenantId=" + tid, `My Apps "User access URL"`},
		{"My Apps launcher", "https://launcher.myapps.microsoft.com/api/signin/1234?tenantId=" + tid, `My Apps "User access URL"`},
		{"admin portal", "https://portal.azure.com/#view/Microsoft_AAD_IAM/ManagedAppMenuBlade", "admin portal"},
		{"Entra admin center", "https://entra.microsoft.com/#view/x", "admin portal"},
		{"multi-instance form", "https://login.microsoftonline.com/" + tid + "/saml2/0b0a3d7b-7a83-4b0e-9d0e-5b1f4f1b1c1d", "multi-instance"},
		{"redirect copied from the browser", "https://login.microsoftonline.com/" + tid + "/saml2?SAMLRequest=fZ", "query"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			idp, err := FromAzure(tt.loginURL, cert)
			if err == nil {
				t.Fatalf("accepted as %+v", idp)
			}
			if !errors.Is(err, ErrLoginURL) {
				t.Errorf("error %q is not ErrLoginURL", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if !strings.Contains(err.Error(), "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/saml2") {
				t.Errorf("error %q does not show a correct Login URL", err)
			}
		})
	}
}

func TestFromAzureRejectsWhatIsNotTheCertificate(t *testing.T) {
	const loginURL = "https://login.microsoftonline.com/92b20d54-6bdd-4686-9286-c44865f50277/saml2"
	thumb := certs.Thumbprint(testCert(t))
	tests := []struct {
		name, cert string
		kind       error
		says       string
	}{
		{"empty", "", certs.ErrEmpty, "empty"},
		{"thumbprint", thumb, certs.ErrNotCertificate, "thumbprint"},
		{"metadata XML", entity("https://idp.example/", idpDescriptor(kd("signing", testCert(t)), redirectSSO)), certs.ErrNotCertificate, "metadata"},
		{"truncated", testCertPEM(t)[:300], certs.ErrMalformed, "truncated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := FromAzure(loginURL, tt.cert)
			if !errors.Is(err, ErrCertificate) || !errors.Is(err, tt.kind) {
				t.Fatalf("error %v, want ErrCertificate and %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.says) || !strings.Contains(err.Error(), "Certificate (Base64)") {
				t.Errorf("error %q does not say %q and where to get the certificate", err, tt.says)
			}
		})
	}
}
