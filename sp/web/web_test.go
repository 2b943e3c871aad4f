package web

import (
	"bytes"
	"errors"
	"github.com/ssokit/saml/sp"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
)

// lockedBuffer collects log output from concurrent handlers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// webTest is one SP with its handlers, a clock that tests can move, and captured logs.
type webTest struct {
	t     testing.TB
	sp    *sp.SP
	h     *Handlers
	shift atomic.Int64 // nanoseconds added to reqNow
	logs  *lockedBuffer
}

func newWebTest(t testing.TB, editCfg func(*sp.Config), editHTTP func(*Config)) *webTest {
	t.Helper()
	w := &webTest{t: t, logs: &lockedBuffer{}}
	w.sp = reqTestSP(t, func(c *sp.Config) {
		c.Now = w.now
		c.Logger = slog.New(slog.NewTextHandler(w.logs, nil))
		if editCfg != nil {
			editCfg(c)
		}
	})
	hc := Config{CookieKey: bytes.Repeat([]byte{7}, 32)}
	if editHTTP != nil {
		editHTTP(&hc)
	}
	h, err := New(w.sp, hc)
	if err != nil {
		t.Fatal(err)
	}
	w.h = h
	return w
}

func (w *webTest) now() time.Time          { return reqNow.Add(time.Duration(w.shift.Load())) }
func (w *webTest) advance(d time.Duration) { w.shift.Add(int64(d)) }

// do serves one request and returns the recorded response.
func (w *webTest) do(h http.Handler, r *http.Request, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	for _, c := range cookies {
		r.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	return rec
}

// login starts a login and returns the RelayState, the request ID and the cookie set.
func (w *webTest) login(returnTo string) (relayState, id string, cookie *http.Cookie) {
	w.t.Helper()
	rec := w.do(w.h.Login(), httptest.NewRequest("GET", "/saml/login?returnTo="+url.QueryEscape(returnTo), nil))
	if rec.Code != http.StatusFound {
		w.t.Fatalf("login: status %d, body %s", rec.Code, rec.Body)
	}
	loc, _ := url.Parse(rec.Header().Get("Location"))
	relayState = loc.Query().Get("RelayState")
	id = inflateRequest(w.t, loc.Query().Get("SAMLRequest")).SelectAttrValue("ID", "")
	for _, c := range rec.Result().Cookies() {
		if strings.HasSuffix(c.Name, "req-"+relayState) {
			cookie = c
		}
	}
	if cookie == nil {
		w.t.Fatalf("login set no cookie for RelayState %s: %v", relayState, rec.Result().Cookies())
	}
	return relayState, id, cookie
}

func acsPost(relayState string) *http.Request {
	form := url.Values{"SAMLResponse": {"PHNhbWxwOlJlc3BvbnNlLz4="}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestNewRefusesUnsafeSetups(t *testing.T) {
	tests := []struct {
		name string
		acs  string
		hc   Config
		want string
	}{
		{"plain http off localhost", "http://app.example/saml/consume", Config{CookieKey: make([]byte, 32)}, "https"},
		{"short cookie key", "https://app.example/saml/consume", Config{CookieKey: make([]byte, 31)}, "CookieKey"},
		{"off-site default return", "https://app.example/saml/consume", Config{CookieKey: make([]byte, 32), DefaultReturnTo: "//evil.example"}, "DefaultReturnTo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := reqTestSP(t, func(c *sp.Config) { c.ACSURL = tt.acs })
			if _, err := New(s, tt.hc); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
	for _, acs := range []string{"http://localhost:8080/acs", "http://127.0.0.1:8080/acs", "http://[::1]/acs"} {
		s := reqTestSP(t, func(c *sp.Config) { c.ACSURL = acs })
		if _, err := New(s, Config{CookieKey: make([]byte, 32)}); err != nil {
			t.Errorf("%s (development on loopback): %v", acs, err)
		}
	}
}

func TestLoginBindsRequestToBrowserWithCrossSiteCookie(t *testing.T) {
	w := newWebTest(t, nil, nil)
	relayState, id, c := w.login("/reports?year=2026")
	if !isLoginRelayState(relayState) {
		t.Errorf("RelayState %q is not one of ours", relayState)
	}
	if c.Name != "__Host-saml-req-"+relayState {
		t.Errorf("cookie name %q, want __Host-saml-req-<RelayState>", c.Name)
	}
	if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteNoneMode || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie %s: want Secure, HttpOnly, SameSite=None, Path=/, host-only", c)
	}
	if c.MaxAge != int((15 * time.Minute).Seconds()) {
		t.Errorf("cookie MaxAge %d, want the 15-minute login timeout", c.MaxAge)
	}
	var p pendingCookie
	if err := w.h.codec.open(c.Name, c.Value, &p); err != nil {
		t.Fatal(err)
	}
	if p.ID != id || p.ReturnTo != "/reports?year=2026" {
		t.Errorf("cookie holds %+v, want ID %s and the return path", p, id)
	}
}

func TestLoginOnLocalhostHTTPUsesPlainCookies(t *testing.T) {
	w := newWebTest(t, func(c *sp.Config) { c.ACSURL = "http://localhost:8080/saml/consume" }, nil)
	_, _, c := w.login("/")
	if c.Secure || strings.HasPrefix(c.Name, "__Host-") || c.SameSite == http.SameSiteNoneMode {
		t.Errorf("cookie %s on http://localhost: want no Secure, no __Host- prefix, no SameSite=None", c)
	}
}

func TestLoginReplacesUnsafeReturnTo(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.DefaultReturnTo = "/home" })
	for _, target := range []string{"//evil.example", "https://evil.example/", `/\evil.example`, ""} {
		_, _, c := w.login(target)
		var p pendingCookie
		if err := w.h.codec.open(c.Name, c.Value, &p); err != nil {
			t.Fatal(err)
		}
		if p.ReturnTo != "/home" {
			t.Errorf("returnTo %q stored as %q, want DefaultReturnTo", target, p.ReturnTo)
		}
	}
}

func TestLoginKeepsAtMostMaxPendingLogins(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.MaxPendingLogins = 3 })
	var jar []*http.Cookie
	for range 3 {
		_, _, c := w.login("/")
		jar = append(jar, c)
		w.advance(time.Second) // later logins expire later
	}
	rec := w.do(w.h.Login(), httptest.NewRequest("GET", "/saml/login", nil), jar...)
	var deleted, added []string
	for _, c := range rec.Result().Cookies() {
		if c.MaxAge < 0 {
			deleted = append(deleted, c.Name)
		} else {
			added = append(added, c.Name)
		}
	}
	if len(deleted) != 1 || deleted[0] != jar[0].Name {
		t.Errorf("deleted %v, want only the oldest %s", deleted, jar[0].Name)
	}
	if len(added) != 1 {
		t.Errorf("added %v, want one new pending login", added)
	}
}

func TestLoginWithPostBindingServesForm(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.PostBinding = true })
	rec := w.do(w.h.Login(), httptest.NewRequest("GET", "/saml/login", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="SAMLRequest"`) || rec.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("status %d, CSP %q, body %s", rec.Code, rec.Header().Get("Content-Security-Policy"), rec.Body)
	}
	if len(rec.Result().Cookies()) != 1 {
		t.Errorf("cookies %v, want one pending login", rec.Result().Cookies())
	}
}

// checkRefusal asserts a generic page for the user and the precise reason in the log,
// tied together by the correlation ID.
func (w *webTest) checkRefusal(rec *httptest.ResponseRecorder, status int, logWants ...string) {
	w.t.Helper()
	if rec.Code != status {
		w.t.Errorf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	body := rec.Body.String()
	i := strings.Index(body, "<code>")
	j := strings.Index(body, "</code>")
	if i < 0 || j < i {
		w.t.Fatalf("error page has no correlation ID:\n%s", body)
	}
	ref := body[i+len("<code>") : j]
	logs := w.logs.String()
	if !strings.Contains(logs, "ref="+ref) {
		w.t.Errorf("log lacks ref=%s:\n%s", ref, logs)
	}
	for _, want := range logWants {
		if !strings.Contains(logs, want) {
			w.t.Errorf("log lacks %q:\n%s", want, logs)
		}
		if strings.Contains(body, want) {
			w.t.Errorf("the user's page reveals %q:\n%s", want, body)
		}
	}
}

func TestACSRefusesMissingPendingCookie(t *testing.T) {
	w := newWebTest(t, nil, nil)
	relayState, _, _ := w.login("/")
	rec := w.do(w.h.ACS(), acsPost(relayState))
	w.checkRefusal(rec, http.StatusForbidden, "no pending-login cookie", relayState)
}

func TestACSRefusesTamperedPendingCookie(t *testing.T) {
	w := newWebTest(t, nil, nil)
	relayState, _, c := w.login("/")
	otherRS, _, other := w.login("/")
	forged, _ := cookieCodec{key: bytes.Repeat([]byte{8}, 32)}.seal(c.Name, pendingCookie{ID: "idattacker", Expires: reqNow.Add(time.Hour).Unix()})
	tests := map[string]*http.Cookie{
		"signed with another key": {Name: c.Name, Value: forged},
		"another login's value":   {Name: c.Name, Value: other.Value},
		"MAC stripped":            {Name: c.Name, Value: strings.Split(c.Value, ".")[0]},
	}
	for name, bad := range tests {
		t.Run(name, func(t *testing.T) {
			rec := w.do(w.h.ACS(), acsPost(relayState), bad)
			w.checkRefusal(rec, http.StatusForbidden, "does not verify")
		})
	}
	_ = otherRS
}

func TestACSRefusesExpiredPendingLogin(t *testing.T) {
	w := newWebTest(t, func(c *sp.Config) { c.LoginTimeout = time.Minute }, nil)
	relayState, _, c := w.login("/")
	w.advance(time.Minute)
	rec := w.do(w.h.ACS(), acsPost(relayState), c)
	w.checkRefusal(rec, http.StatusForbidden, "expired at")
}

func TestACSForgetsPendingLoginWhateverTheOutcome(t *testing.T) {
	w := newWebTest(t, nil, nil)
	relayState, _, c := w.login("/")
	rec := w.do(w.h.ACS(), acsPost(relayState), c) // the stub response does not validate
	var deleted bool
	for _, sc := range rec.Result().Cookies() {
		deleted = deleted || (sc.Name == c.Name && sc.MaxAge < 0)
	}
	if !deleted {
		t.Errorf("ACS did not delete %s: %v", c.Name, rec.Result().Cookies())
	}
}

func TestACSNeedsAPostedSAMLResponse(t *testing.T) {
	w := newWebTest(t, nil, nil)
	w.checkRefusal(w.do(w.h.ACS(), httptest.NewRequest("GET", "/saml/consume", nil)), http.StatusMethodNotAllowed, "HTTP-POST")
	r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader("RelayState=x"))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w.checkRefusal(w.do(w.h.ACS(), r), http.StatusBadRequest, "no SAMLResponse")
}

func TestACSHandsErrorsToOnError(t *testing.T) {
	var got error
	var gotRef string
	w := newWebTest(t, nil, func(hc *Config) {
		hc.OnError = func(w http.ResponseWriter, _ *http.Request, err error, ref string) {
			got, gotRef = err, ref
			w.WriteHeader(http.StatusTeapot)
		}
	})
	relayState, _, _ := w.login("/")
	rec := w.do(w.h.ACS(), acsPost(relayState))
	if rec.Code != http.StatusTeapot || !errors.Is(got, sp.ErrInResponseTo) || gotRef == "" || !strings.Contains(w.logs.String(), gotRef) {
		t.Errorf("OnError got (%v, %q), status %d", got, gotRef, rec.Code)
	}
}

func TestMetadataHandlerServesSPMetadata(t *testing.T) {
	w := newWebTest(t, nil, nil)
	rec := w.do(w.h.Metadata(), httptest.NewRequest("GET", "/saml/metadata", nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/samlmetadata+xml" {
		t.Fatalf("status %d, type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	for _, want := range []string{`entityID="https://app.example/saml"`, `Location="https://app.example/saml/consume"`} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
}

func TestLoginUsesPostBindingWhenIdPOffersOnlyPost(t *testing.T) {
	w := newWebTest(t, func(c *sp.Config) { c.IdP.SSOBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" }, nil)
	rec := w.do(w.h.Login(), httptest.NewRequest("GET", "/saml/login", nil))
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `name="SAMLRequest"`) {
		t.Errorf("status %d, Location %q: want the POST form for a POST-only IdP", rec.Code, rec.Header().Get("Location"))
	}
}

func TestPendingLoginsFitOneCookieHeader(t *testing.T) {
	w := newWebTest(t, nil, nil)
	longest := "/" + strings.Repeat("a", maxReturnTo-1)
	var header []string
	for range w.h.cfg.MaxPendingLogins {
		_, _, c := w.login(longest)
		header = append(header, c.Name+"="+c.Value)
	}
	if size := len(strings.Join(header, "; ")); size > 8000 {
		t.Errorf("%d pending logins with the longest return URL make a %d-byte Cookie header; proxies often stop at 8 KB", len(header), size)
	}
}

// A pending-login cookie answers its request once, even when the browser (or whoever
// copied the cookie) presents it again with a second valid response to the same request.
func TestPendingLoginIsAnsweredOnceEvenWithACopiedCookie(t *testing.T) {
	idp := samltest.DefaultIdP()
	w := newWebTest(t, func(c *sp.Config) {
		g := genConfig(idp)
		c.EntityID, c.ACSURL, c.IdP, c.Now = g.EntityID, g.ACSURL, g.IdP, g.Now
	}, nil)
	relayState, id, cookie := w.login("/reports")
	post := func(assertionNameID string) *httptest.ResponseRecorder {
		form := url.Values{"RelayState": {relayState},
			"SAMLResponse": {genResponse(t, idp, samltest.Options{InResponseTo: id, NameID: assertionNameID, AssertionID: samltest.ID("assertion for " + assertionNameID)})}}
		r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return w.do(w.h.ACS(), r, cookie)
	}
	if rec := post("adele@contoso.example"); rec.Code != http.StatusSeeOther {
		t.Fatalf("control: first answer: status %d %s", rec.Code, rec.Body)
	}
	w.checkRefusal(post("alex@contoso.example"), http.StatusForbidden, "already answered")
}

// Two SPs on one host whose cookie names extend one another ("X" and "X-req"): starting a
// login at X must leave every cookie of X-req alone, its session included, although
// their names start with X's pending-login prefix "X-req-".
func TestLoginLeavesCookiesOfAnSPWhoseNameExtendsOurs(t *testing.T) {
	x := newWebTest(t, nil, func(hc *Config) { hc.CookieName = "X" })
	y := newWebTest(t, func(c *sp.Config) { c.EntityID = "https://app.example/other/saml" }, func(hc *Config) { hc.CookieName = "X-req" })
	_, _, yPending := y.login("/y")
	rec := httptest.NewRecorder()
	if _, err := y.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(0, time.Time{}), nil); err != nil {
		t.Fatal(err)
	}
	ySession := sessionCookie(t, rec)
	if !strings.HasPrefix(yPending.Name, "__Host-X-req-") || !strings.HasPrefix(ySession.Name, "__Host-X-req-") {
		t.Fatalf("control: Y's cookies %s and %s do not start with X's prefix", yPending.Name, ySession.Name)
	}
	// Control: X does delete a cookie of its own form that does not open.
	junk := &http.Cookie{Name: "__Host-X-req-rs" + strings.Repeat("0", 32), Value: "junk"}

	got := x.do(x.h.Login(), httptest.NewRequest("GET", "/saml/login", nil), yPending, ySession, junk)
	var deleted []string
	for _, c := range got.Result().Cookies() {
		if c.MaxAge < 0 {
			deleted = append(deleted, c.Name)
		}
	}
	if len(deleted) != 1 || deleted[0] != junk.Name {
		t.Errorf("X's login deleted %v; want only its own undecodable %s", deleted, junk.Name)
	}
}

func TestNewRefusesACookieNameThatIsNoToken(t *testing.T) {
	for _, name := range []string{"a b", "a;b", "a=b", "naïve", strings.Repeat("a", 65)} {
		if _, err := New(reqTestSP(t, nil), Config{CookieKey: make([]byte, 32), CookieName: name}); err == nil || !strings.Contains(err.Error(), "CookieName") {
			t.Errorf("CookieName %q: err = %v, want a CookieName error", name, err)
		}
	}
}

// What Config.OnLogin documents: an IdP-initiated POST whose RelayState is only in the
// query string gets DefaultReturnTo as returnTo, while r.FormValue still returns the
// unchecked query value, which hooks must never use.
func TestOnLoginGetsTheCheckedReturnToNotTheQueryRelayState(t *testing.T) {
	idp := samltest.DefaultIdP()
	var returnTo, raw string
	w := newWebTest(t, func(c *sp.Config) {
		g := genConfig(idp)
		c.EntityID, c.ACSURL, c.IdP, c.Now, c.AllowIdPInitiated = g.EntityID, g.ACSURL, g.IdP, g.Now, true
	}, func(hc *Config) {
		hc.OnLogin = func(w http.ResponseWriter, r *http.Request, _ *assertion.Assertion, to string) error {
			returnTo, raw = to, r.FormValue("RelayState")
			w.WriteHeader(http.StatusNoContent)
			return nil
		}
	})
	form := url.Values{"SAMLResponse": {genResponse(t, idp, samltest.Options{Unsolicited: true})}}
	r := httptest.NewRequest("POST", "/saml/consume?RelayState="+url.QueryEscape("https://evil.example/"), strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if rec := w.do(w.h.ACS(), r); rec.Code != http.StatusNoContent {
		t.Fatalf("status %d %s", rec.Code, rec.Body)
	}
	if returnTo != "/" || raw != "https://evil.example/" {
		t.Errorf("returnTo %q (want DefaultReturnTo /), FormValue %q (the unchecked query value)", returnTo, raw)
	}
}

// Each rejection is logged once, in one record that has both the reference the user's
// page quotes and the check that failed.
func TestACSLogsEachRejectionOnceWithRefAndCheck(t *testing.T) {
	idp := samltest.DefaultIdP()
	w := newWebTest(t, func(c *sp.Config) {
		g := genConfig(idp)
		c.EntityID, c.ACSURL, c.IdP, c.Now = g.EntityID, g.ACSURL, g.IdP, g.Now
	}, nil)
	relayState, id, cookie := w.login("/")
	form := url.Values{"RelayState": {relayState},
		"SAMLResponse": {genResponse(t, idp, samltest.Options{InResponseTo: id, Audience: "https://someone-else.example/"})}}
	r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := w.do(w.h.ACS(), r, cookie)
	w.checkRefusal(rec, http.StatusForbidden, "someone-else.example")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(w.logs.String()), "\n") {
		if strings.Contains(l, "someone-else.example") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "check=audience") || !strings.Contains(lines[0], "ref=") {
		t.Errorf("want one record with ref= and check=audience, got %d:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// Config.Logger nil means no logging, in the handlers too (not slog.Default).
func TestNilLoggerMeansNoLogging(t *testing.T) {
	var buf bytes.Buffer
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	w := newWebTest(t, func(c *sp.Config) { c.Logger = nil }, nil)
	relayState, _, _ := w.login("/")
	if rec := w.do(w.h.ACS(), acsPost(relayState)); rec.Code != http.StatusForbidden {
		t.Fatalf("control: status %d", rec.Code)
	}
	if buf.Len() != 0 {
		t.Errorf("logged to slog.Default with a nil Config.Logger:\n%s", &buf)
	}
}
