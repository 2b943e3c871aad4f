package orgs_test

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/orgs/internal/pgtest"
	"github.com/ssokit/saml/sp/orgs/sqlstore"
	"github.com/ssokit/saml/sp/web"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

func loginStatus(m *orgs.Manager, org string) int {
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", base+"/organizations/"+org+"/saml/login", nil))
	return w.Code
}

// Two servers over one store: what one enables (or disables), the other uses within
// RefreshInterval, and not a moment later.
func TestFleetEnableReachesEveryServerWithinRefreshInterval(t *testing.T) {
	t.Run("memory", func(t *testing.T) { fleetEnable(t, orgs.NewMemoryStore()) })
	t.Run("SQLite", func(t *testing.T) { fleetEnable(t, sqliteStore(t)) })
	t.Run("PostgreSQL", func(t *testing.T) {
		pg := pgtest.Start(t)
		db, err := sql.Open("pgx", pg.DSN("postgres"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := sqlstore.Open(t.Context(), db, sqlstore.Options{Dialect: sqlstore.PostgreSQL})
		if err != nil {
			t.Fatal(err)
		}
		fleetEnable(t, s)
	})
}

func fleetEnable(t *testing.T, store orgs.Store) {
	const refresh = 10 * time.Second
	h := newHarness(t)
	h.store = store
	one, two := h.manager(h.store, refresh), h.manager(h.store, refresh)
	h.m = one
	h.save(one, "acme", entra(samltest.DefaultIdP()))
	if c := loginStatus(two, "acme"); c != http.StatusNotFound {
		t.Fatalf("server two before Enable: %d", c)
	}

	// The test starts on server one and its answer lands on server two.
	st := h.startTest(one, "acme")
	if w := h.finishTest(two, "acme", samltest.DefaultIdP(), st, samltest.Options{}); w.Code != http.StatusSeeOther {
		t.Fatalf("test answer on the other server: %d %s", w.Code, w.Body)
	}
	o := h.get("acme")
	if _, err := one.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	if c := loginStatus(one, "acme"); c != http.StatusFound {
		t.Fatalf("server one right after its own Enable: %d, want the redirect to the IdP", c)
	}
	h.clock.Add(refresh - time.Second)
	if c := loginStatus(two, "acme"); c != http.StatusNotFound {
		t.Fatalf("server two inside the refresh interval: %d (it read the store early; the bound is what is documented)", c)
	}
	h.clock.Add(time.Second)
	if c := loginStatus(two, "acme"); c != http.StatusFound {
		t.Fatalf("server two after RefreshInterval: %d, want the enabled configuration", c)
	}
	if w := h.memberLogin(two, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member on server two: %d", w.Code)
	}

	if _, err := one.Disable(admin("POST", "/d"), "acme"); err != nil {
		t.Fatal(err)
	}
	h.clock.Add(refresh)
	if c := loginStatus(two, "acme"); c != http.StatusNotFound {
		t.Fatalf("server two RefreshInterval after Disable: %d, want 404", c)
	}
}

func TestFleetNegativeRefreshReadsTheStoreEveryTime(t *testing.T) {
	h := newHarness(t)
	two := h.manager(h.store, -1)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	if c := loginStatus(two, "acme"); c != http.StatusNotFound {
		t.Fatalf("before Enable: %d", c)
	}
	h.enabledOrg("acme", samltest.DefaultIdP())
	if c := loginStatus(two, "acme"); c != http.StatusFound {
		t.Fatalf("right after Enable elsewhere: %d", c)
	}
}

// Organizations "acme" and "acme-req": starting a login at one never touches the
// other's cookies (#18: sp/web clears undecodable cookies under its request prefix,
// and "orgsso-acme-req-…" was under "orgsso-acme"'s).
func TestCookieNamesOfOrgsNeverCollide(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	h.enabledOrg("acme-req", samltest.DefaultIdP())
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler)}) // default sessions
	if err != nil {
		t.Fatal(err)
	}
	// A member of acme-req signs in and has a session, and a login under way.
	w := h.memberLogin(m, "acme-req", samltest.DefaultIdP(), samltest.Options{})
	if w.Code != http.StatusSeeOther {
		t.Fatalf("acme-req sign-in: %d %s", w.Code, w.Body)
	}
	jar := w.Result().Cookies()
	lw := httptest.NewRecorder()
	m.Handler().ServeHTTP(lw, httptest.NewRequest("GET", base+"/organizations/acme-req/saml/login", nil))
	jar = append(jar, lw.Result().Cookies()...)
	theirs := map[string]bool{}
	r := httptest.NewRequest("GET", base+"/organizations/acme/saml/login", nil)
	for _, c := range jar {
		theirs[c.Name] = true
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	if sess := m.Session(r, "acme-req"); sess == nil || sess.NameID != samltest.UserEmail {
		t.Fatalf("control: acme-req session = %+v", sess)
	}
	// The same browser starts a login at acme.
	w = httptest.NewRecorder()
	m.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusFound {
		t.Fatalf("acme login: %d", w.Code)
	}
	for _, c := range w.Result().Cookies() {
		if theirs[c.Name] {
			t.Errorf("starting a login at acme rewrote acme-req's cookie %s (MaxAge %d)", c.Name, c.MaxAge)
		}
		if !strings.Contains(c.Name, "org.acme.") {
			t.Errorf("acme set cookie %s outside its own names", c.Name)
		}
	}
	if m.Session(r, "acme") != nil {
		t.Error("acme-req's session counts as a session of acme")
	}
}

// The sequence a review used to sign an anonymous client in as a member of another
// organization: (1) an unauthenticated settings POST, (2) its own IdP's test answer to
// activate that configuration, (3) an IdP-initiated login as a victim. Step 1 must fail,
// and so must the others without it.
func TestAnonymousTakeoverSequenceFailsAtStepOne(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	before := h.get("acme")
	attacker := samltest.OtherTenantIdP()

	// The app's settings handler, as an app writes it: Save, then StartTest.
	settings := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		s := orgs.Settings{LoginURL: r.PostForm.Get("login_url"), Certificate: r.PostForm.Get("certificate"), AllowIdPInitiated: true}
		if _, err := h.m.Save(r, "acme", s, before.Pending.Number); err != nil {
			http.Error(w, "refused", http.StatusForbidden)
			return
		}
		if err := h.m.StartTest(w, r, "acme"); err != nil {
			http.Error(w, "refused", http.StatusForbidden)
		}
	})
	form := url.Values{"login_url": {entra(attacker).LoginURL}, "certificate": {entra(attacker).Certificate}}
	r := httptest.NewRequest("POST", base+"/organizations/acme/settings/sso", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", base) // a script forges the header freely: only Authorize stops it
	w := httptest.NewRecorder()
	settings.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden {
		t.Fatalf("step 1, anonymous settings POST: %d, want 403", w.Code)
	}
	if after := h.get("acme"); after.Revision != before.Revision {
		t.Fatalf("step 1 changed the org")
	}

	// Step 2: a test answer from the attacker's IdP, with a test-shaped RelayState.
	rs := "ts" + strings.Repeat("ab", 16)
	if w := h.post(h.m, "acme", attacker, samltest.Options{InResponseTo: "id" + strings.Repeat("1", 32)}, rs, nil); w.Code != http.StatusForbidden {
		t.Fatalf("step 2, attacker's test answer: %d, want 403", w.Code)
	}
	// Step 3: IdP-initiated, naming the victim.
	if w := h.post(h.m, "acme", attacker, samltest.Options{Unsolicited: true, NameID: "victim@contoso.example"}, "", nil); w.Code != http.StatusForbidden {
		t.Fatalf("step 3, IdP-initiated login as the victim: %d, want 403", w.Code)
	}
	if len(h.logins) != 0 {
		t.Fatalf("the attack signed someone in: %+v", h.logins)
	}
	if after := h.get("acme"); after.Revision != before.Revision || after.Active.Settings.Certificate != before.Active.Settings.Certificate {
		t.Fatal("the attack changed the org's configuration")
	}
}

// With Config.SessionStore, EndSession revokes every copy of a member's session cookie;
// each organization gets its own store scope.
func TestSessionStoreRevokesCopiedSessionCookies(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	var scopes []string
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler),
		SessionStore: func(scope string) web.SessionStore {
			scopes = append(scopes, scope)
			return &web.MemorySessionStore{Now: h.clock.Now}
		}})
	if err != nil {
		t.Fatal(err)
	}
	w := h.memberLogin(m, "acme", samltest.DefaultIdP(), samltest.Options{})
	r := httptest.NewRequest("GET", base+"/organizations/acme", nil)
	for _, c := range w.Result().Cookies() {
		r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	if m.Session(r, "acme") == nil {
		t.Fatal("control: no session after sign-in")
	}
	m.EndSession(httptest.NewRecorder(), r, "acme")
	if m.Session(r, "acme") != nil {
		t.Fatal("a copy of the session cookie still works after EndSession")
	}
	if len(scopes) != 1 || scopes[0] != "ssokit:orgs:acme:" {
		t.Fatalf("session store scopes %v", scopes)
	}
}

// Servers sharing replay caches through Config.ReplayCache (Redis in production, one
// memory cache per scope here): a member's response accepted by one server is refused as
// a replay by the other; each organization has its own scope.
func TestFleetSharesReplayCachesPerOrgScope(t *testing.T) {
	h := newHarness(t)
	shared := map[string]sp.ReplayCache{}
	var mu sync.Mutex
	cache := func(scope string) sp.ReplayCache {
		mu.Lock()
		defer mu.Unlock()
		if shared[scope] == nil {
			c := sp.NewMemoryReplayCache(0)
			c.Now = h.clock.Now
			shared[scope] = c
		}
		return shared[scope]
	}
	server := func() *orgs.Manager {
		m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
			Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler), ReplayCache: cache,
			OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
				w.WriteHeader(http.StatusNoContent)
				return nil
			}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	one, two := server(), server()
	h.m = one
	h.enabledOrg("acme", samltest.DefaultIdP())
	h.enabledOrg("beta", samltest.DefaultIdP())
	opts := samltest.Options{Unsolicited: true, AssertionID: samltest.ID("fleet-replay")}
	if w := h.post(one, "acme", samltest.DefaultIdP(), opts, "", nil); w.Code != http.StatusNoContent {
		t.Fatalf("server one: %d", w.Code)
	}
	if w := h.post(two, "acme", samltest.DefaultIdP(), opts, "", nil); w.Code != http.StatusForbidden {
		t.Fatalf("the same response at server two: %d, want 403 (replay)", w.Code)
	}
	if e := signIns(t, h.store, "acme")[0]; e.Check != "replay" {
		t.Fatalf("log entry %+v, want the replay check", e)
	}
	if _, ok := shared["ssokit:orgs:acme:"]; !ok || len(shared) != 2 {
		t.Fatalf("scopes %v, want one per organization", shared)
	}
}

func sqliteStore(t testing.TB) orgs.Store {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "orgs.db")+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := sqlstore.Open(context.Background(), db, sqlstore.Options{Dialect: sqlstore.SQLite})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
