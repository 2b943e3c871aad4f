package web_test

// End-to-end: a browser (a cookie-jar http.Client) signs in to an app protected by
// web.Handlers through the in-process Entra-like IdP (internal/demoidp, crewjam/saml's
// IdentityProvider underneath). Both run on loopback TLS servers with one fixed clock.

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

var e2eNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// e2eIdPKey is generated once: RSA key generation is the slowest step of a set-up.
var e2eIdPKey = sync.OnceValues(func() (*certs.KeyPair, error) {
	return certs.GenerateKeyPair("demo idp", e2eNow.Add(-24*time.Hour), 365*24*time.Hour)
})

// errLog keeps every error the SP logged, as error values, so tests can errors.Is them.
type errLog struct {
	mu   sync.Mutex
	errs []error
	refs []string
}

func (l *errLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *errLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *errLog) WithGroup(string) slog.Handler            { return l }
func (l *errLog) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "err":
			if err, ok := a.Value.Any().(error); ok {
				l.errs = append(l.errs, err)
			}
		case "ref":
			l.refs = append(l.refs, a.Value.String())
		}
		return true
	})
	return nil
}

// has reports whether an error matching kind was logged under ref.
func (l *errLog) has(kind error) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []string
	for _, err := range l.errs {
		if errors.Is(err, kind) {
			return err.Error(), true
		}
		all = append(all, err.Error())
	}
	return strings.Join(all, "\n"), false
}

func (l *errLog) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var all []string
	for _, err := range l.errs {
		all = append(all, err.Error())
	}
	return strings.Join(all, "\n")
}

func (l *errLog) hasRef(ref string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, r := range l.refs {
		if r == ref {
			return true
		}
	}
	return false
}

type e2eOptions struct {
	allowIdPInitiated bool
	signing           demoidp.Signing
	postBinding       bool
	sessionMaxAge     time.Duration
	requestStore      web.RequestStore
	onLogin           func(http.ResponseWriter, *http.Request, *assertion.Assertion, string) error
	slo               bool // Single Logout configured at both ends (e2e_slo_test.go)
}

// e2e is an app, its IdP and one browser.
type e2e struct {
	t       *testing.T
	idp     *demoidp.IdP
	spURL   string
	h       *web.Handlers
	browser *http.Client
	jar     http.CookieJar
	shift   atomic.Int64
	log     *errLog
}

func newE2E(t *testing.T, o e2eOptions) *e2e {
	t.Helper()
	e := &e2e{t: t, log: &errLog{}}
	now := func() time.Time { return e2eNow.Add(time.Duration(e.shift.Load())) }
	key, err := e2eIdPKey()
	if err != nil {
		t.Fatal(err)
	}

	idpMux := http.NewServeMux()
	idpSrv := httptest.NewTLSServer(idpMux)
	t.Cleanup(idpSrv.Close)
	e.idp, err = demoidp.New(demoidp.Config{BaseURL: idpSrv.URL + "/idp", Key: key, Signing: o.signing, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	idpMux.Handle("/idp/", e.idp)

	spMux := http.NewServeMux()
	spSrv := httptest.NewTLSServer(spMux)
	t.Cleanup(spSrv.Close)
	e.spURL = spSrv.URL
	entityID, acsURL := spSrv.URL+"/saml/metadata", spSrv.URL+"/saml/acs"
	e.idp.RegisterSP(entityID, acsURL)
	idpMeta := &metadata.IdP{
		EntityID:     e.idp.EntityID(),
		SSOURL:       e.idp.LoginURL(),
		Certificates: []*x509.Certificate{e.idp.Certificate()},
	}
	var logout sp.LogoutConfig
	if o.slo {
		idpMeta.SLOURL, idpMeta.LogoutResponseIssuer = e.idp.LogoutURL(), e.idp.LogoutResponseIssuer()
		logout = sp.LogoutConfig{URL: spSrv.URL + "/saml/logout", RequireSignedRequests: true, RequireSignedResponses: true}
		e.idp.SetLogoutURL(entityID, logout.URL)
	}

	provider, err := sp.New(sp.Config{
		EntityID:          entityID,
		ACSURL:            acsURL,
		IdP:               idpMeta,
		Logout:            logout,
		AllowIdPInitiated: o.allowIdPInitiated,
		Now:               now,
		Logger:            slog.New(e.log),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.h, err = web.New(provider, web.Config{
		CookieKey:     []byte("0123456789abcdef0123456789abcdef"),
		PostBinding:   o.postBinding,
		SessionMaxAge: o.sessionMaxAge,
		RequestStore:  o.requestStore,
		OnLogin:       o.onLogin,
	})
	if err != nil {
		t.Fatal(err)
	}
	spMux.Handle("/saml/login", e.h.Login())
	spMux.Handle("/saml/acs", e.h.ACS())
	spMux.Handle("/saml/metadata", e.h.Metadata())
	spMux.Handle("/saml/logout", e.h.Logout())
	spMux.Handle("POST /signout", e.h.SignOut())
	spMux.Handle("/app", e.h.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "hello %s at %s", s.NameID, r.URL.RequestURI())
	})))
	spMux.HandleFunc("/{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "home") })

	e.jar, _ = cookiejar.New(nil)
	e.browser = spSrv.Client() // httptest's TLS servers share one certificate: it trusts both
	e.browser.Jar = e.jar
	loopback := map[string]bool{strings.TrimPrefix(spSrv.URL, "https://"): true, strings.TrimPrefix(idpSrv.URL, "https://"): true}
	e.browser.CheckRedirect = func(r *http.Request, _ []*http.Request) error {
		if !loopback[r.URL.Host] {
			return fmt.Errorf("redirected off the test servers to %s", r.URL)
		}
		return nil
	}
	return e
}

func (e *e2e) advance(d time.Duration) { e.shift.Add(int64(d)) }

// page is a fetched HTML page and where it came from.
type page struct {
	url    *url.URL
	status int
	body   string
}

func (e *e2e) read(resp *http.Response, err error) page {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return page{resp.Request.URL, resp.StatusCode, string(b)}
}

func (e *e2e) get(u string) page { e.t.Helper(); return e.read(e.browser.Get(u)) }

var (
	formAction  = regexp.MustCompile(`<form[^>]*action="([^"]*)"`)
	hiddenInput = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)"`)
)

// form reads the first form of p: where it posts and its hidden fields.
func (e *e2e) form(p page) (string, url.Values) {
	e.t.Helper()
	m := formAction.FindStringSubmatch(p.body)
	if m == nil {
		e.t.Fatalf("no form on %s (status %d):\n%s", p.url, p.status, p.body)
	}
	action, err := p.url.Parse(html.UnescapeString(m[1]))
	if err != nil {
		e.t.Fatal(err)
	}
	vals := url.Values{}
	for _, in := range hiddenInput.FindAllStringSubmatch(p.body, -1) {
		vals.Set(html.UnescapeString(in[1]), html.UnescapeString(in[2]))
	}
	return action.String(), vals
}

func (e *e2e) submit(p page, extra url.Values) page {
	e.t.Helper()
	action, vals := e.form(p)
	for k, v := range extra {
		vals[k] = v
	}
	return e.read(e.browser.PostForm(action, vals))
}

// signIn completes whatever the IdP shows (its login page, or straight away the
// auto-posting response when the IdP session is live) and returns the response form,
// not yet posted to the ACS.
func (e *e2e) signIn(p page) page {
	e.t.Helper()
	if strings.Contains(p.body, `name="password"`) {
		p = e.submit(p, url.Values{"username": {"adele@contoso.example"}, "password": {"adele-demo"}})
	}
	if !strings.Contains(p.body, `name="SAMLResponse"`) {
		e.t.Fatalf("IdP did not answer with a SAMLResponse form (%s, status %d):\n%s", p.url, p.status, p.body)
	}
	return p
}

// landed asserts the browser ended on the protected page at want.
func (e *e2e) landed(p page, want string) {
	e.t.Helper()
	if p.status != http.StatusOK || p.body != "hello adele@contoso.example at "+want {
		e.t.Fatalf("at %s (status %d) %q, want the app at %s", p.url, p.status, p.body, want)
	}
}

// refused asserts the generic error page, its reference in the log, and an error of kind.
func (e *e2e) refused(p page, kind error) {
	e.t.Helper()
	if p.status != http.StatusForbidden || !strings.Contains(p.body, "Sign-in failed") {
		e.t.Fatalf("at %s status %d, want the 403 error page:\n%s", p.url, p.status, p.body)
	}
	ref := regexp.MustCompile(`<code>([0-9a-f]+)</code>`).FindStringSubmatch(p.body)
	if ref == nil || !e.log.hasRef(ref[1]) {
		e.t.Errorf("page's reference %v is not in the log", ref)
	}
	if msg, ok := e.log.has(kind); !ok {
		e.t.Errorf("no %v in the log; logged:\n%s", kind, msg)
	} else if strings.Contains(p.body, msg) {
		e.t.Errorf("the user's page shows the admin's reason %q", msg)
	}
}

// pendingCookie returns the browser's one pending-login cookie.
func (e *e2e) pendingCookie() *http.Cookie {
	e.t.Helper()
	u, _ := url.Parse(e.spURL)
	var found []*http.Cookie
	for _, c := range e.jar.Cookies(u) {
		if strings.Contains(c.Name, "-req-") {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		e.t.Fatalf("browser holds %d pending-login cookies, want 1", len(found))
	}
	return found[0]
}

func (e *e2e) setCookie(c *http.Cookie) {
	u, _ := url.Parse(e.spURL)
	c.Path = "/"
	e.jar.SetCookies(u, []*http.Cookie{c})
}

func TestE2ESPInitiatedLoginReachesProtectedPage(t *testing.T) {
	for _, signing := range []demoidp.Signing{demoidp.SignAssertion, demoidp.SignResponse, demoidp.SignResponseAndAssertion} {
		t.Run(signing.String(), func(t *testing.T) {
			e := newE2E(t, e2eOptions{signing: signing})
			login := e.get(e.spURL + "/app?report=q1")
			if !strings.HasPrefix(login.url.String(), e.idp.LoginURL()) {
				t.Fatalf("anonymous visit ended at %s, want the IdP's Login URL", login.url)
			}
			e.landed(e.submit(e.signIn(login), nil), "/app?report=q1")
			// The session now serves the page without the IdP.
			e.landed(e.get(e.spURL+"/app"), "/app")
		})
	}
}

func TestE2ESPInitiatedLoginWithPostBinding(t *testing.T) {
	e := newE2E(t, e2eOptions{postBinding: true})
	form := e.get(e.spURL + "/app")
	if !strings.Contains(form.body, `name="SAMLRequest"`) {
		t.Fatalf("login did not serve the AuthnRequest form:\n%s", form.body)
	}
	e.landed(e.submit(e.signIn(e.submit(form, nil)), nil), "/app")
}

func TestE2EIdPInitiatedLogin(t *testing.T) {
	t.Run("allowed: lands on the RelayState path", func(t *testing.T) {
		e := newE2E(t, e2eOptions{allowIdPInitiated: true})
		e.landed(e.submit(e.signIn(e.get(e.idp.IdPInitiatedURL(e.spURL+"/saml/metadata", "/app?from=myapps"))), nil), "/app?from=myapps")
	})
	t.Run("allowed without RelayState: lands on /", func(t *testing.T) {
		e := newE2E(t, e2eOptions{allowIdPInitiated: true})
		p := e.submit(e.signIn(e.get(e.idp.IdPInitiatedURL(e.spURL+"/saml/metadata", ""))), nil)
		if p.url.Path != "/" || p.body != "home" {
			t.Fatalf("landed at %s: %q", p.url, p.body)
		}
		e.landed(e.get(e.spURL+"/app"), "/app")
	})
	t.Run("refused when not allowed", func(t *testing.T) {
		e := newE2E(t, e2eOptions{})
		e.refused(e.submit(e.signIn(e.get(e.idp.IdPInitiatedURL(e.spURL+"/saml/metadata", "/app"))), nil), sp.ErrUnsolicited)
		if p := e.get(e.spURL + "/app"); strings.HasPrefix(p.body, "hello") {
			t.Error("a refused login left a session")
		}
	})
}

// Login CSRF: an attacker holds an unsolicited response of their own and makes the
// victim's browser post it. It must not turn the signed-in victim into the attacker.
func TestE2EIdPInitiatedResponseDoesNotSwitchASignedInUser(t *testing.T) {
	e := newE2E(t, e2eOptions{allowIdPInitiated: true})
	e.landed(e.submit(e.signIn(e.get(e.spURL+"/app")), nil), "/app") // the victim, Adele

	// The attacker, in a browser of their own, signs in as Alex from My Apps and keeps
	// the response form instead of posting it.
	victim, victimJar := e.browser, e.jar
	attacker := *e.browser
	attacker.Jar, _ = cookiejar.New(nil)
	e.browser, e.jar = &attacker, attacker.Jar
	login := e.get(e.idp.IdPInitiatedURL(e.spURL+"/saml/metadata", "/app?evil=1"))
	held := e.submit(login, url.Values{"username": {"alex@contoso.example"}, "password": {"alex-demo"}})
	if !strings.Contains(held.body, `name="SAMLResponse"`) {
		t.Fatalf("control: the attacker got no response form:\n%s", held.body)
	}

	e.browser, e.jar = victim, victimJar
	e.refused(e.submit(held, nil), sp.ErrUnsolicited)
	e.landed(e.get(e.spURL+"/app"), "/app") // still Adele
}

func TestE2ETwoTabsSignInAtOnce(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	tab1 := e.get(e.spURL + "/app?tab=1")
	tab2 := e.get(e.spURL + "/app?tab=2")
	// Tab 2 finishes first; tab 1's pending login must survive it.
	e.landed(e.submit(e.signIn(tab2), nil), "/app?tab=2")
	e.landed(e.submit(e.signIn(tab1), nil), "/app?tab=1")
}

func TestE2ETamperedPendingCookieIsRefused(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	login := e.get(e.spURL + "/app")
	c := e.pendingCookie()
	last := c.Value[len(c.Value)-1]
	flip := map[byte]byte{'A': 'B'}[last]
	if flip == 0 {
		flip = 'A'
	}
	e.setCookie(&http.Cookie{Name: c.Name, Value: c.Value[:len(c.Value)-1] + string(flip)})
	e.refused(e.submit(e.signIn(login), nil), sp.ErrInResponseTo)
}

func TestE2EMissingPendingCookieIsRefusedClearly(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	login := e.get(e.spURL + "/app")
	e.setCookie(&http.Cookie{Name: e.pendingCookie().Name, MaxAge: -1})
	e.refused(e.submit(e.signIn(login), nil), sp.ErrInResponseTo)
	if msg, _ := e.log.has(sp.ErrInResponseTo); !strings.Contains(msg, "no pending-login cookie") {
		t.Errorf("the logged reason does not say the cookie is missing: %s", msg)
	}
}

func TestE2ERelayStateIsNeverAnOpenRedirect(t *testing.T) {
	for _, target := range []string{"https://evil.example/phish", "//evil.example/phish", `/\evil.example/phish`, "javascript:alert(1)"} {
		t.Run("IdP-initiated "+target, func(t *testing.T) {
			e := newE2E(t, e2eOptions{allowIdPInitiated: true})
			p := e.submit(e.signIn(e.get(e.idp.IdPInitiatedURL(e.spURL+"/saml/metadata", target))), nil)
			if p.url.String() != e.spURL+"/" || p.body != "home" {
				t.Errorf("landed at %s, want this site's /", p.url)
			}
		})
		t.Run("login returnTo "+target, func(t *testing.T) {
			e := newE2E(t, e2eOptions{})
			p := e.submit(e.signIn(e.get(e.spURL+"/saml/login?returnTo="+url.QueryEscape(target))), nil)
			if p.url.String() != e.spURL+"/" || p.body != "home" {
				t.Errorf("landed at %s, want this site's /", p.url)
			}
		})
	}
}

func TestE2EReplayedPostIsRefused(t *testing.T) {
	e := newE2E(t, e2eOptions{})
	response := e.signIn(e.get(e.spURL + "/app"))
	pending := e.pendingCookie()
	e.landed(e.submit(response, nil), "/app")

	// The same POST again: its pending login is gone.
	e.refused(e.submit(response, nil), sp.ErrInResponseTo)
	// An attacker who also copied the pending-login cookie meets the replay cache: the
	// assertion was used.
	e.setCookie(&http.Cookie{Name: pending.Name, Value: pending.Value})
	e.refused(e.submit(response, nil), sp.ErrReplay)
	// A fresh answer to the same request with the copied cookie finds the request
	// answered: TestPendingLoginIsAnsweredOnceEvenWithACopiedCookie (the demo IdP, like
	// Entra, refuses to answer one AuthnRequest twice).
}

func TestE2EExpiredSessionSignsInAgain(t *testing.T) {
	e := newE2E(t, e2eOptions{sessionMaxAge: time.Hour})
	e.landed(e.submit(e.signIn(e.get(e.spURL+"/app")), nil), "/app")
	e.advance(59 * time.Minute)
	e.landed(e.get(e.spURL+"/app?still=1"), "/app?still=1")
	e.advance(time.Minute)
	// Session over: the app sends the browser back to the IdP, which still knows the
	// user and answers at once.
	p := e.get(e.spURL + "/app?again=1")
	if !strings.Contains(p.body, `name="SAMLResponse"`) {
		t.Fatalf("expired session reached %s (status %d), want the IdP's response form:\n%s", p.url, p.status, p.body)
	}
	e.landed(e.submit(p, nil), "/app?again=1")
}

func TestE2ELoginWithServerSideRequestStore(t *testing.T) {
	store := &web.MemoryRequestStore{Now: func() time.Time { return e2eNow }}
	e := newE2E(t, e2eOptions{requestStore: store})
	tab1 := e.get(e.spURL + "/app?tab=1")
	tab2 := e.get(e.spURL + "/app?tab=2")
	e.landed(e.submit(e.signIn(tab2), nil), "/app?tab=2")
	e.landed(e.submit(e.signIn(tab1), nil), "/app?tab=1")
}

func TestE2EOnLoginReplacesDefaultSession(t *testing.T) {
	var got *assertion.Assertion
	var gotReturnTo string
	e := newE2E(t, e2eOptions{onLogin: func(w http.ResponseWriter, r *http.Request, a *assertion.Assertion, returnTo string) error {
		got, gotReturnTo = a, returnTo
		io.WriteString(w, "app's own session")
		return nil
	}})
	p := e.submit(e.signIn(e.get(e.spURL+"/app?x=1")), nil)
	if p.body != "app's own session" {
		t.Fatalf("ACS answered %q, want OnLogin's response", p.body)
	}
	if got == nil || got.NameID.Value != "adele@contoso.example" || got.Issuer != e.idp.EntityID() || gotReturnTo != "/app?x=1" {
		t.Fatalf("OnLogin got %+v, returnTo %q", got, gotReturnTo)
	}
	if len(got.Attributes) == 0 {
		t.Error("OnLogin's assertion has no attributes")
	}
	u, _ := url.Parse(e.spURL)
	for _, c := range e.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "-session") {
			t.Errorf("default session cookie %s set although OnLogin replaces it", c.Name)
		}
	}
}
