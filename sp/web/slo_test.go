package web

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/beevik/etree"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/sp"
)

const (
	sloTenant     = "0f1e2d3c-0000-4000-8000-000000000001"
	sloIdPURL     = "https://login.microsoftonline.com/" + sloTenant + "/saml2"
	sloRespIssuer = "https://login.microsoftonline.com/" + sloTenant + "/"
	sloSPURL      = "https://app.example/saml/logout"
)

// sloTest is an SP set up for Single Logout as with Entra: its own Logout URL, the
// IdP's Logout URL and Entra's LogoutResponse issuer; a MemorySessionStore unless
// cookieOnly.
type sloTest struct {
	*webTest
	store *MemorySessionStore
}

func newSLOTest(t *testing.T, cookieOnly bool, edit func(*sp.Config)) *sloTest {
	t.Helper()
	st := &sloTest{}
	w := newWebTest(t, func(c *sp.Config) {
		c.Logout.URL = sloSPURL
		c.IdP.SLOURL = sloIdPURL
		c.IdP.LogoutResponseIssuer = sloRespIssuer
		if edit != nil {
			edit(c)
		}
	}, func(hc *Config) {
		hc.SignInURL = "/saml/login"
		if !cookieOnly {
			st.store = &MemorySessionStore{Now: func() time.Time { return st.now() }}
			hc.SessionStore = st.store
		}
	})
	st.webTest = w
	return st
}

// sloAssertion is entraAssertion with NameID qualifiers and its own SessionIndex.
func sloAssertion(sessionIndex string) *assertion.Assertion {
	a := entraAssertion(3, time.Time{})
	a.NameID.NameQualifier = "https://sts.windows.net/" + sloTenant + "/"
	a.NameID.SPNameQualifier = "https://app.example/saml"
	a.SessionIndex = sessionIndex
	return a
}

func (s *sloTest) session(a *assertion.Assertion) *http.Cookie {
	s.t.Helper()
	rec := httptest.NewRecorder()
	if _, err := s.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), a, nil); err != nil {
		s.t.Fatal(err)
	}
	return sessionCookie(s.t.(*testing.T), rec)
}

func sameOriginPost(target string) *http.Request {
	r := httptest.NewRequest("POST", target, nil)
	r.Header.Set("Origin", "https://app.example")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	return r
}

func cookieNamed(rec *httptest.ResponseRecorder, suffix string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, suffix) {
			return c
		}
	}
	return nil
}

// signOut posts to SignOut with the session and returns the LogoutRequest sent to the
// IdP and the pending-logout cookie.
func (s *sloTest) signOut(c *http.Cookie) (*etree.Element, *http.Cookie, *httptest.ResponseRecorder) {
	s.t.Helper()
	rec := s.do(s.h.SignOut(), sameOriginPost("https://app.example/logout"), c)
	if rec.Code != http.StatusSeeOther {
		s.t.Fatalf("SignOut with Single Logout: status %d, want 303 to the IdP; body %s", rec.Code, rec.Body)
	}
	loc, err := url.Parse(rec.Header().Get("Location"))
	if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != sloIdPURL {
		s.t.Fatalf("SignOut sent the browser to %q, want the IdP's Logout URL %s", rec.Header().Get("Location"), sloIdPURL)
	}
	pending := cookieNamed(rec, "-logout")
	if pending == nil || pending.MaxAge <= 0 {
		s.t.Fatalf("no pending-logout cookie in %v", rec.Result().Cookies())
	}
	return inflateMessage(s.t, loc.Query().Get("SAMLRequest"), "LogoutRequest"), pending, rec
}

func inflateMessage(t testing.TB, value, root string) *etree.Element {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("message is not base64: %v", err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatalf("message is not raw DEFLATE: %v", err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("message is not XML: %v", err)
	}
	if r := doc.Root(); r.Tag != root || r.NamespaceURI() != "urn:oasis:names:tc:SAML:2.0:protocol" {
		t.Fatalf("root is %s, want samlp:%s\n%s", r.FullTag(), root, raw)
	}
	return doc.Root()
}

// idpQuery is an HTTP-Redirect query of xml as the IdP sends it, signed with the IdP's
// key unless unsigned.
func idpQuery(t testing.TB, param, xml string, signed bool) string {
	t.Helper()
	v, err := redirect.Encode([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	key, err := idpKey()
	if err != nil {
		t.Fatal(err)
	}
	var signer = key.Key
	if !signed {
		signer = nil
	}
	q, err := redirect.Query(param, v, "", signer)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// entraLogoutResponse is a LogoutResponse as Entra writes it (issuer
// https://login.microsoftonline.com/<tenant>/).
func entraLogoutResponse(inResponseTo, status string) string {
	return entraLogoutResponseAt(reqNow, inResponseTo, status)
}

func entraLogoutResponseAt(at time.Time, inResponseTo, status string) string {
	return fmt.Sprintf(`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_f0961a83-d071-4be5-a18c-9ae7b22987a4" Version="2.0" IssueInstant="%s" Destination="%s" InResponseTo="%s"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">%s</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:%s"/></samlp:Status></samlp:LogoutResponse>`,
		at.Format(time.RFC3339), sloSPURL, inResponseTo, sloRespIssuer, status)
}

// entraLogoutRequest is an IdP-initiated LogoutRequest as Entra broadcasts it; an
// empty sessionIndex leaves SessionIndex out.
func entraLogoutRequest(id, nameID, sessionIndex string) string {
	si := ""
	if sessionIndex != "" {
		si = "<samlp:SessionIndex>" + sessionIndex + "</samlp:SessionIndex>"
	}
	return fmt.Sprintf(`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="%s" Version="2.0" IssueInstant="%s" NotOnOrAfter="%s" Destination="%s"><Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">https://sts.windows.net/%s/</Issuer><NameID xmlns="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">%s</NameID>%s</samlp:LogoutRequest>`,
		id, reqNow.Format(time.RFC3339), reqNow.Add(time.Hour).Format(time.RFC3339), sloSPURL, sloTenant, nameID, si)
}

func (s *sloTest) logoutGet(query string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	return s.do(s.h.Logout(), httptest.NewRequest("GET", sloSPURL+"?"+query, nil), cookies...)
}

func (s *sloTest) works(c *http.Cookie) bool {
	return s.do(s.h.RequireLogin(hello), httptest.NewRequest("GET", "/app", nil), c).Code == http.StatusOK
}

// SP-initiated: SignOut ends the local session (in the store too) and sends the
// LogoutRequest the IdP needs: NameID with Format and qualifiers as received, and the
// SessionIndex.
func TestSignOutSendsLogoutRequestWithTheSessionsNameID(t *testing.T) {
	s := newSLOTest(t, false, nil)
	a := sloAssertion("_si-1")
	c := s.session(a)
	req, _, _ := s.signOut(c)
	if s.works(c) {
		t.Error("the session still works after SignOut")
	}
	if s.store.Len() != 2 { // the two index entries; the session itself is gone
		t.Errorf("store holds %d entries after SignOut, want only the 2 index entries", s.store.Len())
	}
	n := req.FindElement("NameID")
	if n == nil || n.Text() != a.NameID.Value {
		t.Fatalf("LogoutRequest NameID %v, want %q", n, a.NameID.Value)
	}
	for attr, want := range map[string]string{"Format": a.NameID.Format, "NameQualifier": a.NameID.NameQualifier, "SPNameQualifier": a.NameID.SPNameQualifier} {
		if got := n.SelectAttrValue(attr, ""); got != want {
			t.Errorf("NameID %s = %q, want %q", attr, got, want)
		}
	}
	if si := req.FindElement("SessionIndex"); si == nil || si.Text() != "_si-1" {
		t.Errorf("SessionIndex %v, want _si-1", si)
	}
	if d := req.SelectAttrValue("Destination", ""); d != sloIdPURL {
		t.Errorf("Destination %q", d)
	}
	// The qualifiers survive a cookie-only session too.
	co := newSLOTest(t, true, nil)
	req, _, _ = co.signOut(co.session(a))
	if got := req.FindElement("NameID").SelectAttrValue("SPNameQualifier", ""); got != a.NameID.SPNameQualifier {
		t.Errorf("cookie-only session: SPNameQualifier %q", got)
	}
}

// Without the IdP's Logout URL (or the SP's own), SignOut stays local.
func TestSignOutWithoutLogoutURLsStaysLocal(t *testing.T) {
	for name, edit := range map[string]func(*sp.Config){
		"no IdP Logout URL": func(c *sp.Config) { c.IdP.SLOURL = "" },
		"no SP Logout URL":  func(c *sp.Config) { c.Logout.URL = "" },
	} {
		s := newSLOTest(t, false, edit)
		rec := s.do(s.h.SignOut(), sameOriginPost("https://app.example/logout"), s.session(sloAssertion("_si")))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "signed out") {
			t.Errorf("%s: status %d, want the signed-out page", name, rec.Code)
		}
		if !strings.Contains(rec.Body.String(), "You may still be signed in at your organization") {
			t.Errorf("%s: a local sign-out's page does not say the IdP session may live on:\n%s", name, rec.Body)
		}
	}
}

// The IdP's LogoutResponse is accepted in the browser that signed out, once, and lands
// on the signed-out page; the ForceAuthn marker goes, since the IdP session has ended.
func TestLogoutResponseIsBoundToTheBrowserAndAnsweredOnce(t *testing.T) {
	s := newSLOTest(t, false, nil)
	req, pending, signOut := s.signOut(s.session(sloAssertion("_si-1")))
	id := req.SelectAttrValue("ID", "")
	q := idpQuery(t, "SAMLResponse", entraLogoutResponse(id, "Success"), true)

	if rec := s.logoutGet(q); rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "not confirmed") {
		t.Errorf("without the pending-logout cookie: status %d, want 403", rec.Code)
	}
	if !strings.Contains(s.logs.String(), "logout InResponseTo") {
		t.Errorf("the rejection was not logged with its check: %s", s.logs)
	}
	forged := &http.Cookie{Name: pending.Name, Value: pending.Value[:len(pending.Value)-2] + "AA"}
	if rec := s.logoutGet(q, forged); rec.Code != http.StatusForbidden {
		t.Errorf("with an altered pending-logout cookie: status %d, want 403", rec.Code)
	}
	rec := s.logoutGet(q, pending)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "You are signed out") || !strings.Contains(rec.Body.String(), `href="/saml/login"`) {
		t.Fatalf("LogoutResponse: status %d body %s", rec.Code, rec.Body)
	}
	if body := rec.Body.String(); !strings.Contains(body, "and of your organization's sign-in service") || strings.Contains(body, "may still be signed in") {
		t.Errorf("a confirmed Single Logout's page does not say the IdP session ended:\n%s", body)
	}
	if c := cookieNamed(rec, "-logout"); c == nil || c.MaxAge >= 0 {
		t.Error("the pending-logout cookie was not deleted")
	}
	if marker := cookieNamed(signOut, "-signedout"); marker == nil {
		t.Error("SignOut set no ForceAuthn marker before leaving for the IdP")
	}
	if c := cookieNamed(rec, "-signedout"); c == nil || c.MaxAge >= 0 {
		t.Error("a confirmed Single Logout left the ForceAuthn marker")
	}
	// A copy of the cookie cannot present the same answer twice.
	if rec := s.logoutGet(q, pending); rec.Code != http.StatusForbidden || !strings.Contains(s.logs.String(), "logout replay") {
		t.Errorf("the same LogoutResponse again: status %d, want 403 (replay)", rec.Code)
	}
}

func TestLogoutResponseRefusals(t *testing.T) {
	s := newSLOTest(t, false, func(c *sp.Config) { c.Logout.RequireSignedResponses = true })
	for name, tc := range map[string]struct {
		xml     func(id string) string
		signed  bool
		advance time.Duration
		check   string
	}{
		"unsigned though required": {func(id string) string { return entraLogoutResponse(id, "Success") }, false, 0, "logout signature"},
		"the SSO issuer of another tenant": {func(id string) string {
			return strings.Replace(entraLogoutResponse(id, "Success"), sloRespIssuer, "https://login.microsoftonline.com/11111111-2222-4333-8444-555555555555/", 1)
		}, true, 0, "logout issuer"},
		"another Destination": {func(id string) string {
			return strings.Replace(entraLogoutResponse(id, "Success"), sloSPURL, "https://evil.example/logout", 1)
		}, true, 0, "logout destination"},
		"status Requester":             {func(id string) string { return entraLogoutResponse(id, "Requester") }, true, 0, "logout status"},
		"after the sign-out timed out": {func(id string) string { return entraLogoutResponseAt(reqNow.Add(2*time.Hour), id, "Success") }, true, 2 * time.Hour, "logout InResponseTo"},
	} {
		t.Run(name, func(t *testing.T) {
			s.shift.Store(0)
			req, pending, _ := s.signOut(s.session(sloAssertion("_si")))
			s.advance(tc.advance)
			before := s.logs.String()
			rec := s.logoutGet(idpQuery(t, "SAMLResponse", tc.xml(req.SelectAttrValue("ID", "")), tc.signed), pending)
			if rec.Code != http.StatusForbidden {
				t.Errorf("status %d, want 403", rec.Code)
			}
			if logged := strings.TrimPrefix(s.logs.String(), before); !strings.Contains(logged, tc.check) {
				t.Errorf("log lacks check %q: %s", tc.check, logged)
			}
		})
	}
}

// The page of a refused logout message quotes the reference the SP's one log record of
// the rejection carries.
func TestLogoutRefusalQuotesTheLoggedRef(t *testing.T) {
	s := newSLOTest(t, false, nil)
	rec := s.logoutGet(idpQuery(t, "SAMLResponse", entraLogoutResponse("_nobody", "Success"), true))
	body := rec.Body.String()
	i := strings.Index(body, "<code>")
	if rec.Code != http.StatusForbidden || i < 0 {
		t.Fatalf("status %d body %s", rec.Code, body)
	}
	ref := body[i+6 : i+6+16]
	if n := strings.Count(s.logs.String(), "ref="+ref); n != 1 {
		t.Errorf("ref %s logged %d times, want once:\n%s", ref, n, s.logs)
	}
	if got := s.do(s.h.Logout(), httptest.NewRequest("PUT", sloSPURL, nil)); got.Code != http.StatusMethodNotAllowed {
		t.Errorf("PUT: status %d, want 405", got.Code)
	}
}

// The IdP's partial logout keeps the ForceAuthn marker: some IdP session may live on.
func TestPartialLogoutKeepsForceAuthn(t *testing.T) {
	s := newSLOTest(t, false, nil)
	req, pending, _ := s.signOut(s.session(sloAssertion("_si")))
	xml := strings.Replace(entraLogoutResponse(req.SelectAttrValue("ID", ""), "Success"),
		`status:Success"/>`, `status:Success"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:PartialLogout"/></samlp:StatusCode>`, 1)
	rec := s.logoutGet(idpQuery(t, "SAMLResponse", xml, true), pending)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	if c := cookieNamed(rec, "-signedout"); c != nil {
		t.Error("a partial logout deleted the ForceAuthn marker")
	}
}

// IdP-initiated, Redirect and POST bindings: the request ends this browser's session and
// the IdP gets a LogoutResponse at its Logout URL.
func TestIdPInitiatedLogoutEndsTheSessionAndAnswers(t *testing.T) {
	for _, binding := range []string{"redirect", "post"} {
		for _, cookieOnly := range []bool{false, true} {
			t.Run(fmt.Sprint(binding, " cookie-only=", cookieOnly), func(t *testing.T) {
				s := newSLOTest(t, cookieOnly, nil)
				c := s.session(sloAssertion("_si-7"))
				xml := entraLogoutRequest("_req-"+binding, "opaque-broadcast-nameid", "_si-7")
				var r *http.Request
				if binding == "redirect" {
					r = httptest.NewRequest("GET", sloSPURL+"?"+idpQuery(t, "SAMLRequest", xml, true), nil)
				} else {
					form := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString([]byte(xml))}, "RelayState": {"rs-1"}}
					r = httptest.NewRequest("POST", sloSPURL, strings.NewReader(form.Encode()))
					r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				rec := s.do(s.h.Logout(), r, c)
				if rec.Code != http.StatusFound {
					t.Fatalf("status %d body %s", rec.Code, rec.Body)
				}
				loc, _ := url.Parse(rec.Header().Get("Location"))
				if loc.Scheme+"://"+loc.Host+loc.Path != sloIdPURL {
					t.Fatalf("answer sent to %s, want the IdP's Logout URL", loc)
				}
				resp := inflateMessage(t, loc.Query().Get("SAMLResponse"), "LogoutResponse")
				if got := resp.SelectAttrValue("InResponseTo", ""); got != "_req-"+binding {
					t.Errorf("InResponseTo %q", got)
				}
				if sc := resp.FindElement("Status/StatusCode"); sc == nil || !strings.HasSuffix(sc.SelectAttrValue("Value", ""), ":Success") {
					t.Errorf("status %v", sc)
				}
				if binding == "post" && loc.Query().Get("RelayState") != "rs-1" {
					t.Errorf("RelayState not carried back: %q", loc.Query().Get("RelayState"))
				}
				if sc := cookieNamed(rec, "-session"); sc == nil || sc.MaxAge >= 0 {
					t.Error("the browser's session cookie was not deleted")
				}
				if !cookieOnly && s.works(c) {
					t.Error("a copy of the stored session's cookie still works")
				}
			})
		}
	}
}

// Front-channel logout in a frame: the browser withholds the session cookie, and the
// stored session of that SessionIndex ends all the same; another login's does not.
func TestIdPInitiatedLogoutEndsStoredSessionsBySessionIndex(t *testing.T) {
	s := newSLOTest(t, false, nil)
	mine, other := s.session(sloAssertion("_si-mine")), s.session(sloAssertion("_si-other"))
	again := s.session(sloAssertion("_si-mine")) // a second login of the same IdP session
	rec := s.logoutGet(idpQuery(t, "SAMLRequest", entraLogoutRequest("_r1", "adele@contoso.example", "_si-mine"), true))
	if rec.Code != http.StatusFound {
		t.Fatalf("status %d body %s", rec.Code, rec.Body)
	}
	if s.works(mine) || s.works(again) {
		t.Error("a stored session of the logged-out SessionIndex still works")
	}
	if !s.works(other) {
		t.Error("a session of another SessionIndex was ended")
	}
	// The same request again is a replay.
	if rec := s.logoutGet(idpQuery(t, "SAMLRequest", entraLogoutRequest("_r1", "adele@contoso.example", "_si-other"), true)); rec.Code != http.StatusForbidden {
		t.Errorf("replayed LogoutRequest ID: status %d, want 403", rec.Code)
	}
	if !s.works(other) {
		t.Error("a replayed LogoutRequest ended a session")
	}
}

// A request naming the user by NameID alone ends their stored sessions only when signed:
// an unsigned one could come from anyone who knows an email address.
func TestIdPInitiatedLogoutByNameIDNeedsASignature(t *testing.T) {
	s := newSLOTest(t, false, nil)
	c := s.session(entraAssertion(0, time.Time{})) // NameID without qualifiers, as in the request
	if rec := s.logoutGet(idpQuery(t, "SAMLRequest", entraLogoutRequest("_unsigned", "adele@contoso.example", ""), false)); rec.Code != http.StatusFound {
		t.Fatalf("unsigned: status %d body %s", rec.Code, rec.Body)
	}
	if !s.works(c) {
		t.Error("an unsigned LogoutRequest naming only a NameID ended a stored session")
	}
	if rec := s.logoutGet(idpQuery(t, "SAMLRequest", entraLogoutRequest("_signed", "adele@contoso.example", ""), true)); rec.Code != http.StatusFound {
		t.Fatalf("signed: status %d body %s", rec.Code, rec.Body)
	}
	if s.works(c) {
		t.Error("a signed LogoutRequest for the NameID left its stored session")
	}
}

// A request for another login leaves this browser's session; a request that does not
// validate ends nothing and gets no LogoutResponse.
func TestIdPInitiatedLogoutEndsOnlyWhatItNames(t *testing.T) {
	s := newSLOTest(t, true, func(c *sp.Config) { c.Logout.RequireSignedRequests = true })
	c := s.session(sloAssertion("_si"))
	rec := s.logoutGet(idpQuery(t, "SAMLRequest", entraLogoutRequest("_other", "adele@contoso.example", "_si-elsewhere"), true), c)
	if rec.Code != http.StatusFound || cookieNamed(rec, "-session") != nil {
		t.Errorf("another login's SessionIndex: status %d, cookies %v; want an answer and the session kept", rec.Code, rec.Result().Cookies())
	}
	for name, q := range map[string]string{
		"unsigned though required": idpQuery(t, "SAMLRequest", entraLogoutRequest("_u", "adele@contoso.example", "_si"), false),
		"another issuer": idpQuery(t, "SAMLRequest", strings.Replace(entraLogoutRequest("_i", "adele@contoso.example", "_si"),
			"https://sts.windows.net/"+sloTenant+"/", "https://sts.windows.net/11111111-2222-4333-8444-555555555555/", 1), true),
		"signature over another query": strings.Replace(idpQuery(t, "SAMLRequest", entraLogoutRequest("_t", "adele@contoso.example", "_si"), true), "SigAlg=", "RelayState=x&SigAlg=", 1),
	} {
		rec := s.logoutGet(q, c)
		if rec.Code != http.StatusForbidden || cookieNamed(rec, "-session") != nil || rec.Header().Get("Location") != "" {
			t.Errorf("%s: status %d, Location %q, cookies %v; want 403 and nothing ended", name, rec.Code, rec.Header().Get("Location"), rec.Result().Cookies())
		}
	}
}

// Without a Logout URL the SP indexes nothing: apps without Single Logout pay nothing.
func TestNoIndexWithoutLogoutURL(t *testing.T) {
	s := newSLOTest(t, false, func(c *sp.Config) { c.Logout.URL = "" })
	s.session(sloAssertion("_si"))
	if s.store.Len() != 1 {
		t.Errorf("store holds %d entries, want the one session", s.store.Len())
	}
}

// A store that fails while indexing fails the login rather than leaving a session that
// Single Logout could not end.
func TestIndexFailureFailsTheLogin(t *testing.T) {
	w := newWebTest(t, func(c *sp.Config) { c.Logout.URL = sloSPURL }, func(hc *Config) { hc.SessionStore = &flakyStore{failLoad: true} })
	_, err := w.h.StartSession(httptest.NewRecorder(), httptest.NewRequest("POST", "/saml/consume", nil), sloAssertion("_si"), nil)
	if err == nil || !strings.Contains(err.Error(), "Single Logout") {
		t.Errorf("StartSession with a failing index: %v", err)
	}
}

type flakyStore struct {
	MemorySessionStore
	failLoad bool
}

func (f *flakyStore) Load(ctx context.Context, id string) ([]byte, error) {
	if f.failLoad {
		return nil, errors.New("store down")
	}
	return f.MemorySessionStore.Load(ctx, id)
}

// One browser's outstanding sign-outs are bounded: the pending-logout cookie keeps the
// newest maxPendingLogouts request IDs, and an answer to an older one is refused.
func TestPendingLogoutsAreBounded(t *testing.T) {
	s := newSLOTest(t, true, nil)
	var pending *http.Cookie
	var ids []string
	for i := range maxPendingLogouts + 2 {
		cookies := []*http.Cookie{s.session(sloAssertion(fmt.Sprint("_si-", i)))}
		if pending != nil {
			cookies = append(cookies, pending)
		}
		rec := s.do(s.h.SignOut(), sameOriginPost("https://app.example/logout"), cookies...)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		ids = append(ids, inflateMessage(t, loc.Query().Get("SAMLRequest"), "LogoutRequest").SelectAttrValue("ID", ""))
		if pending = cookieNamed(rec, "-logout"); pending == nil {
			t.Fatal("no pending-logout cookie")
		}
	}
	var pl pendingLogout
	if err := s.h.codec.open(pending.Name, pending.Value, &pl); err != nil {
		t.Fatal(err)
	}
	if want := ids[len(ids)-maxPendingLogouts:]; fmt.Sprint(pl.IDs) != fmt.Sprint(want) {
		t.Errorf("pending IDs %v, want the newest %v", pl.IDs, want)
	}
	if rec := s.logoutGet(idpQuery(t, "SAMLResponse", entraLogoutResponse(ids[0], "Success"), true), pending); rec.Code != http.StatusForbidden {
		t.Errorf("an answer to the oldest, forgotten sign-out: status %d, want 403", rec.Code)
	}
	if rec := s.logoutGet(idpQuery(t, "SAMLResponse", entraLogoutResponse(ids[len(ids)-1], "Success"), true), pending); rec.Code != http.StatusOK {
		t.Errorf("an answer to the newest sign-out: status %d, want 200", rec.Code)
	}
}
