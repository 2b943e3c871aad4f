package sptest_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/sptest"
	"github.com/ssokit/saml/sp/web"
)

// sloApp is an application with Single Logout on its own loopback server, registered at
// the IdP with its Logout Url.
type sloApp struct {
	url, entityID string
	h             *web.Handlers
	log           *syncBuffer // the SP's log
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newSLOApp(t *testing.T, idp *sptest.IdP, name string, edit func(*metadata.IdP), store bool) *sloApp {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	a := &sloApp{url: srv.URL, entityID: srv.URL + "/saml/metadata", log: &syncBuffer{}}
	idp.RegisterSP(a.entityID, srv.URL+"/saml/acs")
	idp.SetLogoutURL(a.entityID, srv.URL+"/saml/logout")
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	meta.LogoutResponseIssuer = idp.LogoutResponseIssuer()
	if edit != nil {
		edit(meta)
	}
	provider, err := sp.New(sp.Config{EntityID: a.entityID, ACSURL: srv.URL + "/saml/acs", IdP: meta, Now: clock,
		Logger: slog.New(slog.NewTextHandler(a.log, nil)),
		Logout: sp.LogoutConfig{URL: srv.URL + "/saml/logout", RequireSignedRequests: true}})
	if err != nil {
		t.Fatal(err)
	}
	hc := web.Config{CookieKey: []byte("sptest-slo-key-of-32-bytes-" + name + "!!!!!")[:32], CookieName: name, SignInURL: "/saml/login"}
	if store {
		hc.SessionStore = &web.MemorySessionStore{Now: clock}
	}
	if a.h, err = web.New(provider, hc); err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /saml/login", a.h.Login())
	mux.Handle("POST /saml/acs", a.h.ACS())
	mux.Handle("/saml/logout", a.h.Logout())
	mux.Handle("POST /signout", a.h.SignOut())
	mux.Handle("/", a.h.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "hello %s", s.NameID)
	})))
	return a
}

func browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar}
}

// tb reads pages for a test: (tb{t}).body(client.Get(…)).
type tb struct{ t *testing.T }

func (x tb) body(resp *http.Response, err error) (int, string) {
	x.t.Helper()
	if err != nil {
		x.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func signIn(t *testing.T, idp *sptest.IdP, client *http.Client, a *sloApp) {
	t.Helper()
	if code, b := (tb{t}).body(idp.SignIn(client, a.url+"/saml/login")); code != http.StatusOK || !strings.HasPrefix(b, "hello ") {
		t.Fatalf("sign-in to %s: status %d body %s", a.url, code, b)
	}
}

// signedIn reports whether the browser has a session at the app (without following the
// redirect to the IdP a signed-out browser gets).
func signedIn(t *testing.T, client *http.Client, a *sloApp) bool {
	t.Helper()
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	code, _ := (tb{t}).body(c.Get(a.url + "/"))
	return code == http.StatusOK
}

// SP-initiated: "Sign out" in app A ends A's session, the IdP session, and (broadcast)
// app B's session; A lands on its signed-out page, and the next sign-in asks for
// credentials again.
func TestSingleLogoutFromAnAppEndsTheIdPSessionAndTheOtherApps(t *testing.T) {
	for _, store := range []bool{false, true} {
		t.Run(fmt.Sprint("session store ", store), func(t *testing.T) {
			idp := newIdP(t, sptest.Config{})
			a, b := newSLOApp(t, idp, "appa", nil, store), newSLOApp(t, idp, "appb", nil, store)
			client := browser()
			signIn(t, idp, client, a)
			signIn(t, idp, client, b)
			if n := idp.Authentications(); n != 1 {
				t.Fatalf("control: the second app's sign-in asked for credentials (%d authentications), want it silent in the IdP session", n)
			}
			resp, err := client.Post(a.url+"/signout", "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(resp.Request.URL.String(), idp.LogoutURL()+"?SAMLRequest=") {
				t.Fatalf("sign-out went to %s, want the IdP's Logout URL", resp.Request.URL)
			}
			code, page := (tb{t}).body(idp.FollowSignOut(client, resp))
			if code != http.StatusOK || !strings.Contains(page, "You are signed out") {
				t.Fatalf("after the IdP: status %d page %s", code, page)
			}
			if idp.Sessions() != 0 {
				t.Error("the IdP session outlived Single Logout")
			}
			if got := idp.LogoutAnswers(); !slices.Equal(got, []string{b.entityID}) {
				t.Errorf("LogoutResponses from %v, want app B's only", got)
			}
			if signedIn(t, client, a) || signedIn(t, client, b) {
				t.Errorf("signed in after Single Logout: A %v, B %v", signedIn(t, client, a), signedIn(t, client, b))
			}
			signIn(t, idp, client, a)
			if n := idp.Authentications(); n != 2 {
				t.Errorf("the next sign-in made %d authentications in all, want 2: the IdP session must not be reused", n)
			}
		})
	}
}

// IdP-initiated: the user signs out at the IdP, which sends a LogoutRequest to every app
// of the session; each ends its session and answers.
func TestSignOutAtTheIdPBroadcastsToEveryApp(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	a, b := newSLOApp(t, idp, "appa", nil, true), newSLOApp(t, idp, "appb", nil, false)
	other := newSLOApp(t, idp, "appc", nil, false) // signed in from another browser
	client, elsewhere := browser(), browser()
	signIn(t, idp, client, a)
	signIn(t, idp, client, b)
	signIn(t, idp, elsewhere, other)
	resp, err := client.Get(idp.SignOutURL())
	if err != nil {
		t.Fatal(err)
	}
	code, page := (tb{t}).body(idp.FollowSignOut(client, resp))
	if code != http.StatusOK || !strings.Contains(page, "You signed out of your account") {
		t.Fatalf("status %d page %s", code, page)
	}
	if got := idp.LogoutAnswers(); !slices.Equal(got, []string{a.entityID, b.entityID}) {
		t.Errorf("LogoutResponses from %v, want apps A and B", got)
	}
	if signedIn(t, client, a) || signedIn(t, client, b) {
		t.Error("an app's session outlived the IdP's sign-out")
	}
	if !signedIn(t, elsewhere, other) || idp.Sessions() != 1 {
		t.Error("the sign-out ended another browser's sessions")
	}
}

// The IdP's LogoutResponse Issuer is <URL>/<tenant>/, not the SSO issuer: an SP that
// knows only the entity ID refuses it (so it must be configured, as FromAzure does for
// Entra).
func TestLogoutResponseIssuerIsNotTheEntityID(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	if got, want := idp.LogoutResponseIssuer(), idp.URL+"/"+idp.TenantID()+"/"; got != want || got == idp.EntityID() {
		t.Errorf("LogoutResponseIssuer %q, want %q", got, want)
	}
	a := newSLOApp(t, idp, "appa", func(m *metadata.IdP) { m.LogoutResponseIssuer = "" }, false)
	client := browser()
	signIn(t, idp, client, a)
	resp, err := client.Post(a.url+"/signout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	code, page := (tb{t}).body(idp.FollowSignOut(client, resp))
	if code != http.StatusForbidden || !strings.Contains(page, "not confirmed") || !strings.Contains(a.log.String(), "logout issuer") {
		t.Errorf("status %d page %s; want the SP to refuse the LogoutResponse's issuer\n%s", code, page, a.log)
	}
}

// The IdP sends its messages as Entra does: signed in the query, lower-case
// percent-escapes, Signature before SigAlg; LogoutRequests carry NotOnOrAfter and the
// SessionIndex of the app's sign-in.
func TestBroadcastLogoutRequestIsShapedLikeEntras(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	a := newSLOApp(t, idp, "appa", nil, false)
	client := browser()
	signIn(t, idp, client, a)
	resp, err := client.Get(idp.SignOutURL())
	if err != nil {
		t.Fatal(err)
	}
	_, page := (tb{t}).body(resp, nil)
	m := regexp.MustCompile(`<iframe class="slo" src="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no frame in %s", page)
	}
	u := strings.ReplaceAll(m[1], "&amp;", "&")
	_, q, _ := strings.Cut(u, "?")
	if regexp.MustCompile(`%([A-F][0-9A-F]|[0-9][A-F])`).MatchString(q) {
		t.Errorf("upper-case percent-escape in %s", q)
	}
	if i, j := strings.Index(q, "&Signature="), strings.Index(q, "&SigAlg="); i < 0 || j < i {
		t.Errorf("want SAMLRequest, Signature, SigAlg in that order: %s", q)
	}
	if !strings.HasPrefix(u, a.url+"/saml/logout?") {
		t.Errorf("frame goes to %s, want the app's Logout URL", u)
	}
	values, _ := url.ParseQuery(q)
	if values.Get("SAMLRequest") == "" {
		t.Error("no SAMLRequest")
	}
}

// What Entra refuses: a LogoutRequest from an unknown app or one without a Logout Url,
// and one from an app that is not in the browser's IdP session (AADSTS50068, answered
// with an error LogoutResponse the SP reports).
func TestLogoutRequestsEntraRefuses(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	a, b := newSLOApp(t, idp, "appa", nil, false), newSLOApp(t, idp, "appb", nil, false)
	// B's session comes from another IdP session than the browser's current one.
	client, before := browser(), browser()
	signIn(t, idp, before, b)
	signIn(t, idp, client, a)
	bURL, _ := url.Parse(b.url)
	for _, c := range before.Jar.Cookies(bURL) {
		if strings.HasPrefix(c.Name, "appb-") {
			client.Jar.SetCookies(bURL, []*http.Cookie{c})
		}
	}
	resp, err := client.Post(b.url+"/signout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	code, page := (tb{t}).body(idp.FollowSignOut(client, resp))
	if code != http.StatusForbidden || idp.Sessions() != 2 || !strings.Contains(b.log.String(), "AADSTS50068") {
		t.Errorf("non-participant: status %d, %d IdP sessions; want the SP's refusal page (AADSTS50068) and both sessions kept\n%s", code, idp.Sessions(), page)
	}

	idp.SetLogoutURL(a.entityID, "")
	resp, err = client.Post(a.url+"/signout", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if code, page := (tb{t}).body(resp, nil); code != http.StatusBadRequest || !strings.Contains(page, "AADSTS50061") {
		t.Errorf("app without a Logout Url: status %d page %s", code, page)
	}
	x := `<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_x" Version="2.0" IssueInstant="2026-03-02T10:00:00Z"><saml:Issuer>https://unknown.example/</saml:Issuer><saml:NameID>adele</saml:NameID></samlp:LogoutRequest>`
	v, err := redirect.Encode([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	if code, page := (tb{t}).body(http.Get(idp.LogoutURL() + "?SAMLRequest=" + url.QueryEscape(v))); code != http.StatusBadRequest || !strings.Contains(page, "AADSTS700016") {
		t.Errorf("unknown application: status %d page %s", code, page)
	}
}
