package main

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ssokit/saml/sp/orgs"
)

const entraLogin = "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/saml2"

// postSettings submits the SSO form for acme straight to the handler, as its admin,
// from the settings page of the seeded version 1.
func postSettings(t *testing.T, ts *testServer, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	if form.Get("version") == "" {
		form.Set("version", "1")
	}
	req := httptest.NewRequest(http.MethodPost, ts.srv.URL+"/organizations/acme/settings/sso", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", ts.srv.URL)
	req.AddCookie(ts.adminSession(demoAdmin))
	rec := httptest.NewRecorder()
	ts.app.ServeHTTP(rec, req)
	return rec
}

// fieldMessage returns the text of the error (or warning) shown under a field.
func fieldMessage(body, kind, field string) string {
	start := strings.Index(body, `id="`+kind+`-`+field+`">`)
	if start < 0 {
		return ""
	}
	rest := body[start+len(`id="`+kind+`-`+field+`">`):]
	return html.UnescapeString(rest[:strings.Index(rest, "</div>")])
}

// TestSettingsFormRejectsBadInputWithFieldMessages: every bad paste gets a message under the
// field it concerns, and nothing is saved.
func TestSettingsFormRejectsBadInputWithFieldMessages(t *testing.T) {
	ts := newTestServer(t)
	demoCert := ts.app.demo.CertificatePEM()
	tests := []struct {
		name       string
		signOnURL  string
		cert       string
		entityID   string
		wantField  string
		wantSubstr string
	}{
		{"empty sign-on URL", "", demoCert, "", fieldSignOnURL, `Required. Paste the IdP's sign-on URL: in Entra, "Login URL"`},
		{"empty certificate", entraLogin, "", "", fieldCertificate, `Required. Paste the IdP's signing certificate`},
		{"Entra Identifier pasted as Login URL", "https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/", demoCert, "", fieldSignOnURL, `is the "Microsoft Entra Identifier" (the issuer), not the Login URL`},
		{"My Apps URL pasted as Login URL", "https://myapps.microsoft.com/signin/app/1234?tenantId=x", demoCert, "", fieldSignOnURL, `My Apps "User access URL"`},
		{"tenant domain instead of tenant ID", "https://login.microsoftonline.com/contoso.onmicrosoft.com/saml2", demoCert, "", fieldSignOnURL, "the tenant as a domain name"},
		{"federation metadata URL", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/federationmetadata/2007-06/federationmetadata.xml", demoCert, "", fieldSignOnURL, "the federation metadata URL"},
		{"App Federation Metadata URL", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/federationmetadata/2007-06/federationmetadata.xml?appid=0b0a3d7b-7a83-4b0e-9d0e-5b1f4f1b1c1d", demoCert, "", fieldSignOnURL, "the Login URL to paste here is " + entraLogin},
		{"OAuth endpoint", "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/authorize", demoCert, "", fieldSignOnURL, "which is not the SAML endpoint"},
		{"not a URL", "login.microsoftonline", demoCert, "", fieldSignOnURL, "is not an absolute https URL"},
		{"plain http to another host", "http://idp.example.com/sso", demoCert, "https://idp.example.com", fieldSignOnURL, "uses plain http"},
		{"other IdP without entity ID", "https://idp.example.com/sso", demoCert, "", fieldIdPEntityID, "Required when the sign-on URL is not Entra's"},
		{"private key pasted as certificate", entraLogin, otherKeyPEM, "", fieldCertificate, "This is not a certificate: found a private key"},
		{"thumbprint pasted as certificate", entraLogin, "80CC2EF7CB636C4A0A2056488EB4DEAB04591624", "", fieldCertificate, "thumbprint"},
		{"truncated certificate", entraLogin, demoCert[:200] + "\n-----END CERTIFICATE-----", "", fieldCertificate, "This certificate is damaged"},
		{"metadata XML pasted as certificate", entraLogin, `<?xml version="1.0"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"/>`, "", fieldCertificate, "This is not a certificate"},
		{"expired certificate", entraLogin, expiredCertPEM, "", fieldCertificate, "expired on"},
	}
	whatToPaste := map[string]string{
		"Entra Identifier pasted as Login URL": `Paste "Login URL" from section 4 ("Set up …") of the application's Single sign-on page in Entra: ` + entraLogin,
		"My Apps URL pasted as Login URL":      `Paste "Login URL" from section 4`,
		"tenant domain instead of tenant ID":   "copy the Login URL exactly as Entra shows it (with the GUID)",
		"OAuth endpoint":                       "copy the Login URL from the Single sign-on page",
		"not a URL":                            "Paste the whole address, starting with https://",
		"plain http to another host":           "Use the IdP's https address",
		"other IdP without entity ID":          "the Issuer of its responses (entityID in its metadata",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := settingsForm(tt.signOnURL, tt.cert)
			form.Set(fieldIdPEntityID, tt.entityID)
			rec := postSettings(t, ts, form)
			body := rec.Body.String()
			if rec.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", rec.Code)
			}
			if got := fieldMessage(body, "error", tt.wantField); !strings.Contains(got, tt.wantSubstr) {
				t.Errorf("message under %s = %q, want it to contain %q", tt.wantField, got, tt.wantSubstr)
			}
			// A mistaken paste also says what to paste instead (package metadata's text).
			if want, ok := whatToPaste[tt.name]; ok && !strings.Contains(fieldMessage(body, "error", tt.wantField), want) {
				t.Errorf("message under %s = %q, want it to say what to paste: %q", tt.wantField, fieldMessage(body, "error", tt.wantField), want)
			}
			if !strings.Contains(body, "Nothing was saved") {
				t.Error("the page does not say that nothing was saved")
			}
			if o := ts.ssoOf(t, "acme"); o.Pending.Number != 1 || o.Pending.Settings.LoginURL != ts.app.demo.LoginURL() {
				t.Errorf("bad input was saved: version %d, %+v", o.Pending.Number, o.Pending)
			}
		})
	}
}

// TestPrivateKeyIsNeverEchoedBack: a private key pasted by mistake is not sent back in the
// re-rendered form.
func TestPrivateKeyIsNeverEchoedBack(t *testing.T) {
	ts := newTestServer(t)
	rec := postSettings(t, ts, settingsForm(entraLogin, otherKeyPEM))
	keyLine := strings.Split(otherKeyPEM, "\n")[1]
	if strings.Contains(rec.Body.String(), keyLine) {
		t.Fatal("the private key came back in the page")
	}
	// The other fields are kept, so nothing the admin typed is lost.
	if !strings.Contains(rec.Body.String(), `value="`+entraLogin+`"`) {
		t.Error("the Sign-on URL was not kept in the form")
	}
}

// TestValidEntraSettingsGoToEntra: a well-formed Entra Login URL and certificate are saved
// and the browser is sent to Entra with an AuthnRequest; no network is needed for that.
func TestValidEntraSettingsGoToEntra(t *testing.T) {
	ts := newTestServer(t)
	rec := postSettings(t, ts, settingsForm(entraLogin, otherCertPEM))
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d:\n%s", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if loc.Scheme+"://"+loc.Host+loc.Path != entraLogin || loc.Query().Get("SAMLRequest") == "" || !strings.HasPrefix(loc.Query().Get("RelayState"), "ts") {
		t.Errorf("redirect = %s", loc)
	}
	if o := ts.ssoOf(t, "acme"); o.Pending.Number != 2 || o.Pending.Settings.LoginURL != entraLogin || o.Pending.LastTest != nil {
		t.Errorf("saved org = %+v", o.Pending)
	}
	var c *http.Cookie
	for _, k := range rec.Result().Cookies() {
		if strings.HasSuffix(k.Name, "-test") {
			c = k
		}
	}
	if c == nil || !c.HttpOnly {
		t.Errorf("test cookie = %+v", c)
	}
}

// TestOtherIdPWithEntityID accepts a non-Entra IdP when its Entity ID is given.
func TestOtherIdPWithEntityID(t *testing.T) {
	ts := newTestServer(t)
	form := settingsForm("https://idp.example.com/saml/sso", otherCertPEM)
	form.Set(fieldIdPEntityID, "https://idp.example.com/metadata")
	if rec := postSettings(t, ts, form); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "https://idp.example.com/saml/sso?") {
		t.Fatalf("status %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
}

// TestCrossOriginFormPostIsRefused: another site cannot submit the settings form.
func TestCrossOriginFormPostIsRefused(t *testing.T) {
	ts := newTestServer(t)
	req := httptest.NewRequest(http.MethodPost, ts.srv.URL+"/organizations/acme/settings/sso/disable", nil)
	req.Header.Set("Origin", "https://evil.example")
	rec := httptest.NewRecorder()
	ts.app.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden {
		t.Fatalf("status %d, want 403", rec.Code)
	}
}

// TestSPMetadataNamesTheOrganizationsEndpoints: the metadata file an admin uploads to Entra
// carries the same Entity ID and ACS URL the settings page shows.
func TestSPMetadataNamesTheOrganizationsEndpoints(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t)
	body := b.get(ts.app.spEntityID("acme") + "?download=1")
	if b.status() != http.StatusOK || b.last.Header.Get("Content-Type") != "application/samlmetadata+xml" ||
		!strings.Contains(b.last.Header.Get("Content-Disposition"), `filename="acme-sp-metadata.xml"`) {
		t.Fatalf("status %d, headers %v", b.status(), b.last.Header)
	}
	for _, want := range []string{
		`entityID="` + ts.app.spEntityID("acme") + `"`,
		`Location="` + ts.app.acsURL("acme") + `"`,
		`Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"`,
		`WantAssertionsSigned="true"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
}

// TestUnsafeMetadataURLIsAFieldError: the metadata URL is fetched only over https to a
// public address; anything else gets its message under the field, and nothing is saved.
func TestUnsafeMetadataURLIsAFieldError(t *testing.T) {
	ts := newTestServer(t)
	rec := postSettings(t, ts, url.Values{orgs.FieldMetadataURL: {ts.app.demo.MetadataURL()}, fieldSigned: {"on"}})
	if rec.Code != http.StatusUnprocessableEntity || fieldMessage(rec.Body.String(), "error", orgs.FieldMetadataURL) == "" {
		t.Fatalf("status %d, message %q", rec.Code, fieldMessage(rec.Body.String(), "error", orgs.FieldMetadataURL))
	}
	if o := ts.ssoOf(t, "acme"); o.Pending.Number != 1 {
		t.Errorf("an unusable metadata URL was saved")
	}
}

// Signing out ends the admin's stored session: a copy of the old cookie opens no admin page.
func TestAdminSignOutEndsEveryCopyOfTheSession(t *testing.T) {
	ts := newTestServer(t)
	cookie := ts.adminSession(demoAdmin)
	get := func() int {
		req := httptest.NewRequest(http.MethodGet, ts.srv.URL+"/organizations/acme/settings/sso", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		ts.app.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := get(); code != http.StatusOK {
		t.Fatalf("settings page while signed in: %d, want 200", code)
	}
	req := httptest.NewRequest(http.MethodPost, ts.srv.URL+"/admin/logout", nil)
	req.Header.Set("Origin", ts.srv.URL)
	req.AddCookie(cookie)
	ts.app.ServeHTTP(httptest.NewRecorder(), req)
	if code := get(); code == http.StatusOK {
		t.Fatalf("settings page with a copy of the signed-out cookie: %d, want a refusal", code)
	}
}
