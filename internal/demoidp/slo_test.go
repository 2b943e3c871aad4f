package demoidp

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/redirect"
)

// signedIn signs adele in to spEntityID and returns the posted Response.
func (h *harness) signedIn(t *testing.T) posted {
	t.Helper()
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-slo", spEntityID, ""))
	status, body := h.login(t, body, "adele@contoso.example", "adele-demo")
	if status != http.StatusOK {
		t.Fatalf("login: status %d\n%s", status, body)
	}
	return parsePosted(t, body)
}

func (h *harness) sessionCookie(t *testing.T) string {
	u, _ := url.Parse(h.srv.URL + "/demo-idp/")
	for _, c := range h.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	return ""
}

// The SessionIndex every application gets is not the IdP's session cookie: an
// application (or its logs) must not be able to act as the user's browser at the IdP.
func TestSessionIndexIsNotTheSessionCookie(t *testing.T) {
	h := newHarness(t, Config{})
	p := h.signedIn(t)
	an := p.doc.FindElement("//AuthnStatement")
	cookie := h.sessionCookie(t)
	if an == nil || cookie == "" {
		t.Fatal("no AuthnStatement or no session cookie")
	}
	if si := an.SelectAttrValue("SessionIndex", ""); si == "" || strings.Contains(si, cookie) {
		t.Errorf("SessionIndex %q carries the session cookie %q", si, cookie)
	}
}

func logoutRequestURL(t testing.TB, loginURL, issuer string) string {
	t.Helper()
	x := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_lr1" Version="2.0" IssueInstant="2026-03-14T09:26:53Z"><saml:Issuer>` + issuer + `</saml:Issuer><saml:NameID>adele@contoso.example</saml:NameID></samlp:LogoutRequest>`
	v, err := redirect.Encode([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	return loginURL + "?SAMLRequest=" + url.QueryEscape(v)
}

// What Entra refuses, and a non-participant's LogoutRequest, which leaves the session.
func TestLogoutRequestsEntraRefuses(t *testing.T) {
	h := newHarness(t, Config{})
	h.signedIn(t)
	if status, body := h.get(t, logoutRequestURL(t, h.idp.LogoutURL(), "https://unknown.example/")); status != http.StatusBadRequest || !strings.Contains(body, "AADSTS700016") {
		t.Errorf("unknown app: status %d\n%s", status, body)
	}
	if status, body := h.get(t, logoutRequestURL(t, h.idp.LogoutURL(), spEntityID)); status != http.StatusBadRequest || !strings.Contains(body, "AADSTS50061") {
		t.Errorf("app without a Logout Url: status %d\n%s", status, body)
	}
	const other = "https://other.example/saml"
	h.idp.RegisterSP(other, "https://other.example/acs")
	h.idp.SetLogoutURL(other, "https://other.example/saml/logout")
	status, _ := h.get(t, logoutRequestURL(t, h.idp.LogoutURL(), other))
	if status != http.StatusFound {
		t.Fatalf("non-participant: status %d, want a LogoutResponse redirect", status)
	}
	if h.sessionCookie(t) == "" {
		t.Error("a non-participant's LogoutRequest ended the IdP session")
	}
	// A participant's ends it, and the answer goes to its Logout URL.
	h.idp.SetLogoutURL(spEntityID, "https://app.example/saml/logout")
	resp, err := h.client.Get(logoutRequestURL(t, h.idp.LogoutURL(), spEntityID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "https://app.example/saml/logout?SAMLResponse=") || !strings.Contains(loc, "&Signature=") {
		t.Errorf("LogoutResponse sent to %q", loc)
	}
	if h.sessionCookie(t) != "" {
		t.Error("the participant's LogoutRequest left the IdP session")
	}
}

// Signing out with no application to tell goes straight to the login page; the
// metadata lists the Logout URL.
func TestSignOutAndMetadataLogoutURL(t *testing.T) {
	h := newHarness(t, Config{})
	h.signedIn(t)
	resp, err := h.client.Get(h.idp.SignOutURL())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || h.sessionCookie(t) != "" {
		t.Errorf("sign-out: status %d, session cookie %q", resp.StatusCode, h.sessionCookie(t))
	}
	_, md := h.get(t, h.idp.MetadataURL())
	if !strings.Contains(md, `SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`+h.idp.LogoutURL()+`"`) {
		t.Errorf("metadata has no SingleLogoutService at the Logout URL:\n%s", md)
	}
}

// FuzzLogoutURL: whatever query reaches the Login/Logout URL, the demo IdP answers
// without a panic or a server error.
func FuzzLogoutURL(f *testing.F) {
	idp, err := New(Config{BaseURL: "http://127.0.0.1:1/demo-idp", Key: testKeyF(f), Now: func() time.Time { return fixedNow }})
	if err != nil {
		f.Fatal(err)
	}
	idp.RegisterSP(spEntityID, spACS)
	idp.SetLogoutURL(spEntityID, "https://app.example/saml/logout")
	f.Add(strings.TrimPrefix(logoutRequestURL(f, "", spEntityID), "?"))
	f.Add("SAMLResponse=%00&SigAlg=x")
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/demo-idp/"+DefaultTenantID+"/saml2", nil)
		r.URL.RawQuery = query
		rec := httptest.NewRecorder()
		idp.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}

func testKeyF(f *testing.F) *certs.KeyPair {
	keyOnce.Do(func() {
		var err error
		if key, err = newKeyPair(fixedNow); err != nil {
			panic(err)
		}
	})
	return key
}
