package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/demoidp"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// Config configures the app.
type Config struct {
	// BaseURL is the app's external URL without a trailing slash, e.g.
	// http://127.0.0.1:8080. Every SP Entity ID and ACS URL starts with it.
	BaseURL string
	Store   *Store
	// Demo is the embedded demo IdP, mounted at BaseURL/demo-idp/. Nil means none.
	Demo *demoidp.IdP
	// Now is the clock of every SP. Nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// App is the multi-organization web app.
type App struct {
	base   string
	origin string // scheme://host[:port] of base, for the same-origin check on forms
	store  *Store
	demo   *demoidp.IdP
	now    func() time.Time
	log    *slog.Logger
	key    []byte
	secure bool

	// One replay cache per org, shared by its pending and active configurations (a
	// test response must not be replayable to the active SP). Per org, because a full
	// cache refuses logins: one org's IdP flooding its own ACS must not lock out others.
	replayMu sync.Mutex
	replays  map[string]sp.ReplayCache

	mu    sync.Mutex
	orgs  map[string]*orgSP // by slug: the SP of the active configuration
	tests map[string]*testRun
}

// orgSP is the SP and handlers of one organization's active configuration.
type orgSP struct {
	version  int
	sp       *sp.SP
	handlers *web.Handlers
}

// testRun is an "Update and Test" on its way through the IdP.
type testRun struct {
	org       string
	version   int
	requestID string
	expires   time.Time
}

// testTimeout is how long a test may take at the IdP (MFA included).
const testTimeout = 15 * time.Minute

// New returns the app.
func New(cfg Config) (*App, error) {
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("base URL %q must be an absolute http(s) URL", cfg.BaseURL)
	}
	if cfg.Store == nil {
		return nil, errors.New("a Store is required")
	}
	key, err := cfg.Store.CookieKey(context.Background())
	if err != nil {
		return nil, fmt.Errorf("cookie key: %w", err)
	}
	a := &App{
		base:    u.String(),
		origin:  u.Scheme + "://" + u.Host,
		store:   cfg.Store,
		demo:    cfg.Demo,
		now:     cfg.Now,
		log:     cfg.Logger,
		key:     key,
		replays: make(map[string]sp.ReplayCache),
		secure:  u.Scheme == "https",
		orgs:    make(map[string]*orgSP),
		tests:   make(map[string]*testRun),
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	return a, nil
}

func (a *App) spEntityID(org string) string {
	return a.base + "/organizations/" + org + "/saml/metadata"
}
func (a *App) acsURL(org string) string { return a.base + "/organizations/" + org + "/saml/consume" }

// registerDemoApp tells the demo IdP about an organization, as an Entra admin creates an
// Enterprise application with the org's Entity ID and Reply URL.
func (a *App) registerDemoApp(org string) {
	if a.demo != nil {
		a.demo.RegisterSP(a.spEntityID(org), a.acsURL(org))
	}
}

// replayCache returns org's replay cache, creating it on first use.
func (a *App) replayCache(org string) sp.ReplayCache {
	a.replayMu.Lock()
	defer a.replayMu.Unlock()
	c, ok := a.replays[org]
	if !ok {
		m := sp.NewMemoryReplayCache(0)
		m.Now = a.now
		c = m
		a.replays[org] = c
	}
	return c
}

// newSP builds the SP for one configuration of an organization.
func (a *App) newSP(org string, s *IdPSettings, idp *metadata.IdP) (*sp.SP, error) {
	return sp.New(sp.Config{
		EntityID:               a.spEntityID(org),
		ACSURL:                 a.acsURL(org),
		IdP:                    idp,
		AllowIdPInitiated:      s.AllowIdPInitiated,
		RequireSignedAssertion: s.SignedAssertions,
		Now:                    a.now,
		ReplayCache:            a.replayCache(org),
		Logger:                 a.log,
	})
}

// active returns the SP and handlers members of org sign in with, building them when the
// active configuration changed. It returns nil when SSO is not enabled.
func (a *App) active(o *Org) (*orgSP, error) {
	if !o.Enabled || o.Active == nil {
		return nil, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if cur := a.orgs[o.Slug]; cur != nil && cur.version == o.ActiveVersion {
		return cur, nil
	}
	s := *o.Active
	idp, errs, _ := a.idpFromSettings(&s, false)
	if len(errs) > 0 {
		return nil, fmt.Errorf("organization %s: the active SSO configuration no longer validates: %v", o.Slug, errs)
	}
	p, err := a.newSP(o.Slug, &s, idp)
	if err != nil {
		return nil, err
	}
	slug := o.Slug
	var h *web.Handlers
	h, err = web.New(p, web.Config{
		CookieKey:       a.key,
		CookieName:      "orgsso-" + slug,
		DefaultReturnTo: "/organizations/" + slug,
		OnLogin: func(w http.ResponseWriter, r *http.Request, as *assertion.Assertion, returnTo string) error {
			if err := a.store.SaveMember(r.Context(), memberFromAssertion(slug, as, a.now())); err != nil {
				return err
			}
			if _, err := h.StartSession(w, r, as, nil); err != nil {
				return err
			}
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Location", returnTo)
			w.WriteHeader(http.StatusSeeOther)
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	cur := &orgSP{version: o.ActiveVersion, sp: p, handlers: h}
	a.orgs[o.Slug] = cur
	return cur, nil
}

// startTest records a test run and returns its RelayState.
func (a *App) startTest(run *testRun) string {
	token := "test-" + randomHex(16)
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	for t, r := range a.tests {
		if !now.Before(r.expires) {
			delete(a.tests, t)
		}
	}
	a.tests[token] = run
	return token
}

// takeTest returns the test run of a RelayState and forgets it, so it is answered once.
func (a *App) takeTest(token string) *testRun {
	a.mu.Lock()
	defer a.mu.Unlock()
	run := a.tests[token]
	delete(a.tests, token)
	if run == nil || !a.now().Before(run.expires) {
		return nil
	}
	return run
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// ServeHTTP routes every request.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.demo != nil && strings.HasPrefix(r.URL.Path, "/demo-idp/") {
		a.demo.ServeHTTP(w, r)
		return
	}
	if r.Method == http.MethodPost && !a.sameOrigin(r) && !strings.HasSuffix(r.URL.Path, "/saml/consume") {
		http.Error(w, "Form posted from another origin ("+r.Header.Get("Origin")+"); this app is at "+a.origin+
			" (its -base-url). Open it there.", http.StatusForbidden)
		return
	}
	if r.URL.Path == "/" {
		a.serveHome(w, r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/organizations/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	slug, route, _ := strings.Cut(rest, "/")
	o, err := a.store.Org(r.Context(), slug)
	if errors.Is(err, ErrNoOrg) {
		http.NotFound(w, r)
		return
	} else if err != nil {
		a.serverError(w, r, err)
		return
	}
	switch route {
	case "":
		a.serveOrg(w, r, o)
	case "settings/sso":
		a.serveSettings(w, r, o)
	case "settings/sso/enable":
		a.serveEnable(w, r, o, true)
	case "settings/sso/disable":
		a.serveEnable(w, r, o, false)
	case "saml/metadata":
		a.serveMetadata(w, r, o)
	case "saml/consume":
		a.serveACS(w, r, o)
	case "saml/login":
		a.serveLogin(w, r, o)
	case "logout":
		a.serveLogout(w, r, o)
	default:
		http.NotFound(w, r)
	}
}

// sameOrigin refuses form posts from other sites (the app has no login of its own to
// protect its admin forms in this example; a real app checks its own session and CSRF
// token). The ACS is exempt: the IdP posts to it from its own origin.
func (a *App) sameOrigin(r *http.Request) bool {
	if o := r.Header.Get("Origin"); o != "" {
		return o == a.origin
	}
	return r.Header.Get("Sec-Fetch-Site") != "cross-site"
}

func (a *App) serverError(w http.ResponseWriter, r *http.Request, err error) {
	ref := randomHex(6)
	a.log.ErrorContext(r.Context(), "orgsso: internal error", "ref", ref, "err", err)
	http.Error(w, "internal error, reference "+ref, http.StatusInternalServerError)
}
