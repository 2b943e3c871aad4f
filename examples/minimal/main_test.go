package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
)

// entraCert stands in for Entra's "Certificate (Base64)" download.
var entraCert = sync.OnceValues(func() (*certs.KeyPair, error) {
	return certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate", time.Now(), time.Hour)
})

// env is what an admin sets after creating the Enterprise application in Entra.
func env(t *testing.T) map[string]string {
	kp, err := entraCert()
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(t.TempDir(), "entra.cer")
	if err := os.WriteFile(certFile, kp.CertificatePEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"SAML_LOGIN_URL": "https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2",
		"SAML_CERT_FILE": certFile,
		"SAML_ENTITY_ID": "https://app.example/saml",
		"SAML_ACS_URL":   "https://app.example/saml/acs",
	}
}

func TestMinimalSendsVisitorsToEntra(t *testing.T) {
	vars := env(t)
	h, err := newHandler(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || loc.Host != "login.microsoftonline.com" || loc.Query().Get("SAMLRequest") == "" {
		t.Errorf("GET / = %d to %s, want a redirect to Entra with an AuthnRequest", rec.Code, loc)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/saml/metadata", nil))
	if !strings.Contains(rec.Body.String(), `Location="https://app.example/saml/acs"`) {
		t.Errorf("metadata does not name the ACS URL:\n%s", rec.Body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "https://app.example/saml/acs", strings.NewReader("")))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("empty POST to the ACS = %d, want 400", rec.Code)
	}
}

func TestMinimalExplainsBadSettings(t *testing.T) {
	for key, bad := range map[string]string{
		"SAML_LOGIN_URL": "https://contoso.example/sso",
		"SAML_CERT_FILE": "/nonexistent/entra.cer",
		"SAML_ENTITY_ID": "",
		"SAML_ACS_URL":   "http://app.example/saml/acs", // plain http off localhost
	} {
		vars := env(t)
		vars[key] = bad
		if _, err := newHandler(func(k string) string { return vars[k] }); err == nil {
			t.Errorf("%s=%q accepted", key, bad)
		}
	}
}

func TestMinimalGatesAdminOnTheEntraGroupAndSignsOut(t *testing.T) {
	vars := env(t)
	vars["SAML_ADMIN_GROUP"] = "5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94"
	h, err := newHandler(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/admin", nil))
	if loc, _ := url.Parse(rec.Header().Get("Location")); rec.Code != http.StatusFound || loc.Host != "login.microsoftonline.com" {
		t.Errorf("anonymous GET /admin = %d to %s, want sign-in at Entra", rec.Code, loc)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "https://app.example/logout", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "signed out") {
		t.Errorf("POST /logout = %d %s", rec.Code, rec.Body)
	}
}
