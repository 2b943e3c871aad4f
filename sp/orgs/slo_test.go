package orgs_test

import (
	"crypto"
	"errors"
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

// sessionManager is a server over h's store whose members get the default session
// (no Config.OnLogin).
func sessionManager(t *testing.T, h *harness) *orgs.Manager {
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// afterResponse is the cookies a browser holds after rec: cookies minus those rec expired,
// plus those it set.
func afterResponse(cookies []*http.Cookie, rec *httptest.ResponseRecorder) []*http.Cookie {
	jar := map[string]*http.Cookie{}
	for _, c := range cookies {
		jar[c.Name] = c
	}
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 || c.Value == "" {
			delete(jar, c.Name)
		} else {
			jar[c.Name] = c
		}
	}
	var out []*http.Cookie
	for _, c := range jar {
		out = append(out, &http.Cookie{Name: c.Name, Value: c.Value})
	}
	return out
}

func withCookies(r *http.Request, cookies []*http.Cookie) *http.Request {
	for _, c := range cookies {
		r.AddCookie(c)
	}
	return r
}

// A member's Sign out at {org}/saml/signout: only a same-origin POST ends the session,
// and with the IdP's Logout URL (Entra's, derived from its Login URL) the browser goes on
// to the IdP with a LogoutRequest, so the IdP session ends too.
func TestMemberSignOutAlsoAtTheIdP(t *testing.T) {
	h := newHarness(t)
	idp := samltest.DefaultIdP()
	h.enabledOrg("acme", idp)
	m := sessionManager(t, h)
	e := m.Endpoints("acme")
	if e.SignOutURL != base+"/organizations/acme/saml/signout" {
		t.Fatalf("SignOutURL %q", e.SignOutURL)
	}
	cookies := h.memberLogin(m, "acme", idp, samltest.Options{AssertionID: "_signout-member"}).Result().Cookies()
	session := func(cs []*http.Cookie) bool {
		return m.Session(withCookies(httptest.NewRequest("GET", base+"/organizations/acme", nil), cs), "acme") != nil
	}
	if !session(cookies) {
		t.Fatal("control: no session after sign-in")
	}
	signOut := func(method string, header map[string]string) *httptest.ResponseRecorder {
		r := withCookies(httptest.NewRequest(method, e.SignOutURL, nil), cookies)
		for k, v := range header {
			r.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		m.Handler().ServeHTTP(rec, r)
		return rec
	}
	for _, c := range []struct {
		name   string
		method string
		header map[string]string
		status int
	}{
		{"a GET (a link or an image another site embeds)", "GET", nil, http.StatusMethodNotAllowed},
		{"a POST from another site's page (Origin)", "POST", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
		{"a POST another site made (Sec-Fetch-Site)", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		rec := signOut(c.method, c.header)
		if rec.Code != c.status || !session(afterResponse(cookies, rec)) {
			t.Errorf("%s: status %d, session kept %v; want %d and the session kept", c.name, rec.Code, session(afterResponse(cookies, rec)), c.status)
		}
	}

	rec := signOut("POST", map[string]string{"Origin": base, "Sec-Fetch-Site": "same-origin"})
	loc, _ := url.Parse(rec.Header().Get("Location"))
	if rec.Code/100 != 3 || loc == nil || loc.Host != "login.microsoftonline.com" || loc.Path != "/"+idp.TenantID+"/saml2" || loc.Query().Get("SAMLRequest") == "" {
		t.Fatalf("Sign out: status %d Location %q; want a LogoutRequest to Entra's Logout URL", rec.Code, rec.Header().Get("Location"))
	}
	if session(afterResponse(cookies, rec)) {
		t.Error("the member's session outlived Sign out")
	}

	// An organization that is not enabled has no sign-out of its own.
	if rec := httptest.NewRecorder(); true {
		m.Handler().ServeHTTP(rec, httptest.NewRequest("POST", base+"/organizations/nobody/saml/signout", nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("Sign out of an unknown organization: %d, want 404", rec.Code)
		}
	}
}

// An IdP configured by hand (not on Entra's hosts) with a Logout URL: Sign out sends the
// LogoutRequest there, and the LogoutResponse is accepted from the IdP's entity ID or,
// for an IdP that answers as Entra does (entity ID https://sts.windows.net/<tenant>/,
// Logout URL …/<tenant>/saml2, like the demo IdP), from …/<tenant>/; any other Issuer
// is refused and the browser is told its sign-out was not confirmed.
func TestSignOutWithAPastedLogoutURL(t *testing.T) {
	idp := samltest.DefaultIdP()
	const idpBase = "http://127.0.0.1:9/demo-idp/"
	sloURL := idpBase + idp.TenantID + "/saml2"
	for _, c := range []struct {
		name, issuer string
		ok           bool
	}{
		{"the Entra-like issuer", idpBase + idp.TenantID + "/", true},
		{"the entity ID", samltest.IssuerFor(idp.TenantID), true},
		{"another issuer", "http://127.0.0.1:9/other/" + idp.TenantID + "/", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := newHarness(t)
			s := orgs.Settings{LoginURL: sloURL, LogoutURL: sloURL, IdPEntityID: samltest.IssuerFor(idp.TenantID), Certificate: samltest.CertPEM(idp.Cert), SignedAssertions: true}
			o := h.save(h.m, "acme", s)
			st := h.startTest(h.m, "acme")
			if w := h.finishTest(h.m, "acme", idp, st, samltest.Options{AssertionID: "_test-pasted"}); w.Code != http.StatusSeeOther {
				t.Fatalf("test answered %d: %s", w.Code, w.Body)
			}
			if _, err := h.m.Enable(admin("POST", "/enable"), "acme", o.Pending.Number); err != nil {
				t.Fatal(err)
			}
			m := sessionManager(t, h)
			cookies := h.memberLogin(m, "acme", idp, samltest.Options{AssertionID: "_pasted-member"}).Result().Cookies()
			r := withCookies(httptest.NewRequest("POST", m.Endpoints("acme").SignOutURL, nil), cookies)
			r.Header.Set("Origin", base)
			rec := httptest.NewRecorder()
			m.Handler().ServeHTTP(rec, r)
			loc, _ := url.Parse(rec.Header().Get("Location"))
			if rec.Code/100 != 3 || loc == nil || !strings.HasPrefix(loc.String(), sloURL+"?") {
				t.Fatalf("Sign out: %d Location %q, want the pasted Logout URL", rec.Code, rec.Header().Get("Location"))
			}
			cookies = afterResponse(cookies, rec)
			x := fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_lr" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`,
				h.clock.Now().UTC().Format(time.RFC3339), m.Endpoints("acme").LogoutURL, requestID(t, loc.Query().Get("SAMLRequest")), c.issuer)
			v, err := redirect.Encode([]byte(x))
			if err != nil {
				t.Fatal(err)
			}
			q, err := redirect.Query(redirect.SAMLResponse, v, loc.Query().Get("RelayState"), nil)
			if err != nil {
				t.Fatal(err)
			}
			back := httptest.NewRecorder()
			m.Handler().ServeHTTP(back, withCookies(httptest.NewRequest("GET", m.Endpoints("acme").LogoutURL+"?"+q, nil), cookies))
			confirmed := back.Code == http.StatusOK && strings.Contains(back.Body.String(), "You are signed out")
			if confirmed != c.ok {
				t.Errorf("LogoutResponse from %s: status %d, confirmed %v, want %v:\n%s", c.issuer, back.Code, confirmed, c.ok, back.Body)
			}
		})
	}
}

// The Logout URL field: a URL the browser can be sent to, and only where it is not
// read from metadata; each refusal names the field and what to paste.
func TestSettingsLogoutURL(t *testing.T) {
	idp := samltest.DefaultIdP()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	pasted := entra(idp)
	for _, c := range []struct {
		name, logoutURL, metadataXML, want string
	}{
		{"plain http elsewhere", "http://idp.example/saml2", "", "plain http"},
		{"not a URL", "login.microsoftonline.com/x/saml2", "", `"Logout URL"`},
		{"beside metadata", "https://login.microsoftonline.com/" + idp.TenantID + "/saml2", "<EntityDescriptor/>", "read from there"},
	} {
		s := pasted
		s.LogoutURL = c.logoutURL
		if c.metadataXML != "" {
			s.LoginURL, s.Certificate, s.MetadataXML = "", "", c.metadataXML
		}
		_, err := orgs.Validate(s, now)
		var se *orgs.SettingsError
		if !errors.As(err, &se) || !strings.Contains(se.Fields[orgs.FieldLogoutURL], c.want) {
			t.Errorf("%s: %v; want a %s message containing %q", c.name, err, orgs.FieldLogoutURL, c.want)
		}
	}
	s := pasted
	s.LogoutURL = " https://login.microsoftonline.com/" + idp.TenantID + "/saml2 "
	if got, err := orgs.Validate(s, now); err != nil || got.LogoutURL != strings.TrimSpace(s.LogoutURL) {
		t.Errorf("Entra's Logout URL: %v, %q", err, got.LogoutURL)
	}
}
