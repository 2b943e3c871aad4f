package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/sp"
)

func startSession(t *testing.T, w *webTest) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/saml/consume", nil), entraAssertion(150, time.Time{}), nil); err != nil {
		t.Fatal(err)
	}
	return sessionCookie(t, rec)
}

var hello = http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
	s, _ := SessionFrom(r.Context())
	fmt.Fprint(rw, "hello "+s.NameID)
})

// #18.4: with a SessionStore, ending a session ends it for every copy of the cookie.
func TestEndedStoredSessionRefusesACopiedCookie(t *testing.T) {
	store := &MemorySessionStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store })
	c := startSession(t, w)
	if len(c.Value) > 200 {
		t.Errorf("stored session's cookie is %d bytes; it should carry only the session ID", len(c.Value))
	}
	app := w.h.RequireLogin(hello)
	copied := &http.Cookie{Name: c.Name, Value: c.Value}
	if rec := w.do(app, httptest.NewRequest("GET", "/app", nil), copied); rec.Code != http.StatusOK {
		t.Fatalf("control: the session does not work before logout: %d", rec.Code)
	}
	logout := httptest.NewRequest("POST", "/logout", nil)
	logout.AddCookie(c)
	if err := w.h.EndSession(httptest.NewRecorder(), logout); err != nil {
		t.Fatal(err)
	}
	if store.Len() != 0 {
		t.Errorf("store holds %d sessions after EndSession", store.Len())
	}
	if rec := w.do(app, httptest.NewRequest("GET", "/app", nil), copied); rec.Code != http.StatusFound {
		t.Errorf("a copy of the old cookie after logout: status %d %q, want a redirect to sign in", rec.Code, rec.Body)
	}
}

// The contrast the docs state: a cookie-only session cannot be revoked.
func TestCookieOnlySessionOutlivesEndSessionInACopy(t *testing.T) {
	w := newWebTest(t, nil, nil)
	c := startSession(t, w)
	logout := httptest.NewRequest("POST", "/logout", nil)
	logout.AddCookie(c)
	w.h.EndSession(httptest.NewRecorder(), logout)
	if rec := w.do(w.h.RequireLogin(hello), httptest.NewRequest("GET", "/app", nil), c); rec.Code != http.StatusOK {
		t.Errorf("status %d: if cookie-only sessions became revocable, update Config.SessionStore's doc", rec.Code)
	}
}

type downStore struct{ MemorySessionStore }

func (*downStore) Load(context.Context, string) ([]byte, error) {
	return nil, errors.New("store down")
}

// A store that cannot answer refuses the request; it does not sign the user in or out.
func TestSessionStoreOutageFailsClosed(t *testing.T) {
	store := &downStore{}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store })
	c := startSession(t, w)
	rec := w.do(w.h.RequireLogin(hello), httptest.NewRequest("GET", "/app", nil), c)
	if rec.Code != http.StatusServiceUnavailable || strings.Contains(rec.Body.String(), "hello") {
		t.Errorf("status %d body %q, want 503", rec.Code, rec.Body)
	}
}

func TestStoredSessionKeepsEverything(t *testing.T) {
	store := &MemorySessionStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store })
	c := startSession(t, w)
	r := httptest.NewRequest("GET", "/", nil)
	r.AddCookie(c)
	sess := w.h.Session(r)
	if sess == nil || len(sess.Groups) != 150 || sess.ObjectID == "" || len(sess.Roles) != 2 {
		t.Fatalf("stored session read back as %+v", sess)
	}
	// The cookie's MAC still binds it: another SP/IdP cannot name this session.
	other := newWebTest(t, func(c *sp.Config) { c.EntityID = "https://other.example/saml" }, func(hc *Config) { hc.SessionStore = store })
	if s := other.h.Session(r); s != nil {
		t.Errorf("another SP sharing the store served this session: %+v", s)
	}
}

func TestMemorySessionStoreIsBoundedAndExpires(t *testing.T) {
	now := reqNow
	m := &MemorySessionStore{Now: func() time.Time { return now }, Max: 2}
	ctx := context.Background()
	for i := range 3 {
		m.Save(ctx, fmt.Sprint("s", i), []byte("x"), now.Add(time.Duration(i+1)*time.Hour))
	}
	if _, err := m.Load(ctx, "s0"); !errors.Is(err, ErrNoSession) {
		t.Errorf("full store kept the soonest-expiring session: %v", err)
	}
	if _, err := m.Load(ctx, "s2"); err != nil {
		t.Errorf("newest session: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if _, err := m.Load(ctx, "s1"); !errors.Is(err, ErrNoSession) {
		t.Errorf("expired session loaded: %v", err)
	}
}

func TestIdleTimeoutEndsAnUnusedSession(t *testing.T) {
	for _, mode := range []string{"cookie", "store"} {
		t.Run(mode, func(t *testing.T) {
			var w *webTest
			w = newWebTest(t, nil, func(hc *Config) {
				hc.IdleTimeout = 30 * time.Minute
				if mode == "store" {
					hc.SessionStore = &MemorySessionStore{Now: func() time.Time { return w.now() }}
				}
			})
			c := startSession(t, w)
			app := w.h.RequireLogin(hello)
			// Used every 20 minutes, it lives on: each use moves Seen (a new cookie when
			// the session is in it).
			for range 3 {
				w.advance(20 * time.Minute)
				rec := w.do(app, httptest.NewRequest("GET", "/app", nil), c)
				if rec.Code != http.StatusOK {
					t.Fatalf("active session refused after %v: %d", time.Duration(w.shift.Load()), rec.Code)
				}
				for _, nc := range rec.Result().Cookies() {
					if nc.Name == c.Name && nc.MaxAge > 0 {
						c = nc
					}
				}
			}
			w.advance(30 * time.Minute)
			if rec := w.do(app, httptest.NewRequest("GET", "/app", nil), c); rec.Code != http.StatusFound {
				t.Errorf("a session idle for 30 minutes: status %d, want a redirect to sign in", rec.Code)
			}
		})
	}
}

func TestRequireGroupAndRole(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = &MemorySessionStore{Now: func() time.Time { return reqNow }} })
	member := startSession(t, w)
	rec := httptest.NewRecorder()
	if _, err := w.h.StartSession(rec, httptest.NewRequest("POST", "/", nil), overageAssertion(), nil); err != nil {
		t.Fatal(err)
	}
	overage := sessionCookie(t, rec)
	group := groupIDs(150)[42]
	for _, tc := range []struct {
		name   string
		h      http.Handler
		cookie *http.Cookie
		status int
		body   string
	}{
		{"member of the group", w.h.RequireGroup(group, hello), member, 200, "hello adele"},
		{"not a member", w.h.RequireGroup("00000000-0000-4000-8000-000000000000", hello), member, 403, "not in"},
		{"overage is not non-membership", w.h.RequireGroup(group, hello), overage, 403, "more groups than the sign-in could carry"},
		{"role assigned", w.h.RequireRole("Reports.Read", hello), member, 200, "hello adele"},
		{"role not assigned", w.h.RequireRole("Reports.Write", hello), member, 403, "role your account has not been given"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := w.do(tc.h, httptest.NewRequest("GET", "/reports", nil), tc.cookie)
			if got.Code != tc.status || !strings.Contains(got.Body.String(), tc.body) {
				t.Errorf("status %d body %q, want %d containing %q", got.Code, got.Body, tc.status, tc.body)
			}
		})
	}
	if !strings.Contains(w.logs.String(), "groups overage") {
		t.Errorf("the overage is not logged as such:\n%s", w.logs)
	}
	t.Run("anonymous is sent to sign in", func(t *testing.T) {
		if got := w.do(w.h.RequireGroup(group, hello), httptest.NewRequest("GET", "/reports", nil)); got.Code != http.StatusFound {
			t.Errorf("status %d, want 302 to the IdP", got.Code)
		}
	})
}

func TestSignOut(t *testing.T) {
	store := &MemorySessionStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store; hc.SignInURL = "/saml/login" })
	post := func(headers map[string]string, c *http.Cookie) *httptest.ResponseRecorder {
		r := httptest.NewRequest("POST", "https://app.example/logout", nil)
		for k, v := range headers {
			r.Header.Set(k, v)
		}
		return w.do(w.h.SignOut(), r, c)
	}
	c := startSession(t, w)
	if got := w.do(w.h.SignOut(), httptest.NewRequest("GET", "/logout", nil), c); got.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET: status %d, want 405", got.Code)
	}
	for name, h := range map[string]map[string]string{
		"another origin":        {"Origin": "https://evil.example"},
		"cross-site fetch":      {"Sec-Fetch-Site": "cross-site"},
		"sibling subdomain":     {"Sec-Fetch-Site": "same-site", "Origin": "https://evil.app.example"},
		"opaque origin (null)":  {"Origin": "null"},
		"http twin of the site": {"Origin": "http://app.example"},
	} {
		if got := post(h, c); got.Code != http.StatusForbidden || store.Len() != 1 {
			t.Errorf("%s: status %d, %d sessions left; want 403 and the session kept", name, got.Code, store.Len())
		}
	}
	got := post(map[string]string{"Origin": "https://app.example", "Sec-Fetch-Site": "same-origin"}, c)
	if got.Code != http.StatusOK || !strings.Contains(got.Body.String(), "signed out") || !strings.Contains(got.Body.String(), `href="/saml/login"`) {
		t.Fatalf("same-origin POST: status %d body %s", got.Code, got.Body)
	}
	if store.Len() != 0 {
		t.Error("SignOut left the session in the store")
	}
	var marker *http.Cookie
	for _, sc := range got.Result().Cookies() {
		if strings.HasSuffix(sc.Name, "-signedout") {
			marker = sc
		}
	}
	if marker == nil {
		t.Fatalf("no signed-out marker in %v", got.Result().Cookies())
	}
	// The next sign-in from this browser asks the IdP for a fresh authentication.
	forced := func(cs ...*http.Cookie) string {
		rec := w.do(w.h.Login(), httptest.NewRequest("GET", "/saml/login", nil), cs...)
		loc, _ := url.Parse(rec.Header().Get("Location"))
		return inflateRequest(t, loc.Query().Get("SAMLRequest")).SelectAttrValue("ForceAuthn", "")
	}
	if f := forced(marker); f != "true" {
		t.Errorf("sign-in after sign-out: ForceAuthn %q, want true", f)
	}
	if f := forced(); f == "true" {
		t.Error("control: an ordinary sign-in forces authentication")
	}
}

func TestSignOutRedirectsToSignedOutURL(t *testing.T) {
	w := newWebTest(t, nil, func(hc *Config) { hc.SignedOutURL = "/bye" })
	got := w.do(w.h.SignOut(), httptest.NewRequest("POST", "/logout", nil), startSession(t, w))
	if got.Code != http.StatusSeeOther || got.Header().Get("Location") != "/bye" {
		t.Errorf("status %d Location %q", got.Code, got.Header().Get("Location"))
	}
	if _, err := New(reqTestSP(t, nil), Config{CookieKey: make([]byte, 32), SignedOutURL: "https://evil.example/"}); err == nil {
		t.Error("an off-site SignedOutURL was accepted")
	}
}

// A request that read a stored session just before it was ended must not bring it back
// when it refreshes Seen for IdleTimeout.
func TestIdleRefreshDoesNotResurrectAnEndedSession(t *testing.T) {
	store := &MemorySessionStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store; hc.IdleTimeout = time.Hour })
	c := startSession(t, w)
	r := httptest.NewRequest("GET", "/app", nil)
	r.AddCookie(c)
	sess, err := w.h.readSession(r) // the in-flight request
	if err != nil || sess == nil {
		t.Fatalf("control: %v, %v", sess, err)
	}
	if err := w.h.EndSession(httptest.NewRecorder(), r); err != nil { // sign-out elsewhere
		t.Fatal(err)
	}
	w.advance(30 * time.Minute)
	w.h.touch(httptest.NewRecorder(), r, sess)
	if store.Len() != 0 || w.h.Session(r) != nil {
		t.Errorf("the refresh of an in-flight request brought the ended session back (%d stored)", store.Len())
	}
}

// Signing in again from a browser that holds a stored session ends the old one.
func TestStartSessionEndsThePreviousStoredSession(t *testing.T) {
	store := &MemorySessionStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.SessionStore = store })
	old := startSession(t, w)
	r := httptest.NewRequest("POST", "/saml/consume", nil)
	r.AddCookie(old)
	if _, err := w.h.StartSession(httptest.NewRecorder(), r, entraAssertion(0, time.Time{}), nil); err != nil {
		t.Fatal(err)
	}
	if store.Len() != 1 {
		t.Errorf("%d sessions stored after signing in again, want 1", store.Len())
	}
}
