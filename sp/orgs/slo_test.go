package orgs_test

import (
	"crypto"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/web"
)

// Single Logout per organization: the IdP's signed LogoutRequest at {org}/saml/logout
// (Entra's "Logout Url", listed in the org's SP metadata) ends the member's session in
// that organization, every copy of it with a SessionStore, even without the browser's
// cookie (a front-channel frame); the IdP gets its LogoutResponse.
func TestIdPLogoutRequestEndsTheMembersSession(t *testing.T) {
	h := newHarness(t)
	idp := samltest.DefaultIdP()
	h.enabledOrg("acme", idp)
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler),
		SessionStore: func(string) web.SessionStore { return &web.MemorySessionStore{Now: h.clock.Now} }})
	if err != nil {
		t.Fatal(err)
	}
	e := m.Endpoints("acme")
	if e.LogoutURL != base+"/organizations/acme/saml/logout" {
		t.Fatalf("LogoutURL %q", e.LogoutURL)
	}
	md := httptest.NewRecorder()
	m.Handler().ServeHTTP(md, httptest.NewRequest("GET", e.MetadataURL, nil))
	if !strings.Contains(md.Body.String(), `SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="`+e.LogoutURL+`"`) {
		t.Errorf("the org's SP metadata does not list its Logout URL:\n%s", md.Body)
	}

	const assertionID = "_slo-member-assertion"
	w := h.memberLogin(m, "acme", idp, samltest.Options{AssertionID: assertionID})
	session := httptest.NewRequest("GET", base+"/organizations/acme", nil)
	for _, c := range w.Result().Cookies() {
		session.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	if m.Session(session, "acme") == nil {
		t.Fatal("control: no session after sign-in")
	}
	logout := func(id, sessionIndex string, signed bool) *httptest.ResponseRecorder {
		x := fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="%s" Version="2.0" IssueInstant="%s" NotOnOrAfter="%s" Destination="%s"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer><NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion">opaque</NameID><samlp:SessionIndex>%s</samlp:SessionIndex></samlp:LogoutRequest>`,
			id, h.clock.Now().UTC().Format(time.RFC3339), h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339), e.LogoutURL, samltest.IssuerFor(idp.TenantID), sessionIndex)
		v, err := redirect.Encode([]byte(x))
		if err != nil {
			t.Fatal(err)
		}
		var key crypto.Signer // nil: unsigned
		if signed {
			key = idp.Key
		}
		q, err := redirect.Query(redirect.SAMLRequest, v, "", key)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", e.LogoutURL+"?"+q, nil)) // no cookie: a frame
		return rec
	}
	if rec := logout("_unsigned", assertionID, false); rec.Code != http.StatusForbidden || m.Session(session, "acme") == nil {
		t.Errorf("an unsigned LogoutRequest: status %d; want 403 and the session kept (Entra signs its requests)", rec.Code)
	}
	if rec := logout("_other", "_another-login", true); rec.Code != http.StatusFound || m.Session(session, "acme") == nil {
		t.Errorf("another login's LogoutRequest: status %d; want an answer and the session kept", rec.Code)
	}
	rec := logout("_mine", assertionID, true)
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code != http.StatusFound || loc == nil || loc.Host != "login.microsoftonline.com" || loc.Query().Get("SAMLResponse") == "" {
		t.Fatalf("LogoutRequest: status %d Location %q, want a LogoutResponse to Entra's Logout URL", rec.Code, rec.Header().Get("Location"))
	}
	if m.Session(session, "acme") != nil {
		t.Error("the member's session outlived the IdP's LogoutRequest")
	}
}
