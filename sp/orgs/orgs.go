package orgs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// Action names what an admin asks to do, for Config.Authorize.
type Action string

const (
	ActionView    Action = "view"    // read the configuration, test results and sign-in log
	ActionSave    Action = "save"    // store a new pending configuration
	ActionTest    Action = "test"    // send the admin's browser to the IdP with the pending one
	ActionEnable  Action = "enable"  // make the tested pending configuration the active one
	ActionDisable Action = "disable" // stop SSO for the organization's members
	ActionRefresh Action = "refresh" // fetch the organization's metadata URL now
)

// Config configures a Manager. Store, BaseURL, CookieKey and Authorize are required.
type Config struct {
	// Store keeps the organizations; every server of a fleet uses the same one
	// (sqlstore over PostgreSQL). Required.
	Store Store

	// BaseURL is the app's external origin (and optional path), e.g.
	// https://app.example. Every derived URL starts with it, and state-changing admin
	// requests must come from its origin. Required.
	BaseURL string

	// PathPrefix is where organizations live under BaseURL: the handler serves
	// PathPrefix + "{org}/saml/login", "…/saml/consume" (the ACS URL) and
	// "…/saml/metadata" (also the SP Entity ID). Empty means "/organizations/".
	PathPrefix string

	// SettingsPath returns the path of an organization's SSO settings page, where an
	// admin is sent back after a test. Nil means PathPrefix + "{org}/settings/sso".
	SettingsPath func(orgID string) string

	// CookieKey signs every cookie the package sets (pending logins, sessions, tests):
	// at least 32 random bytes, the same on every server. Required.
	CookieKey []byte

	// Authorize decides whether the request comes from an admin of orgID allowed to
	// do action, and names them (for "changed by" and the log). It runs for every admin
	// method before anything is read or written; an error refuses the action (the
	// method returns an error wrapping ErrUnauthorized and the error). Required: there
	// is no default that allows.
	Authorize func(r *http.Request, orgID string, action Action) (admin string, err error)

	// OnLogin runs when a member's response validated and passed the guardrails. It
	// must write the response: typically create the app's session for this org and
	// redirect to returnTo (already checked to be a safe path). Nil means a session
	// cookie per organization (read it with Manager.Session) and a redirect.
	OnLogin func(w http.ResponseWriter, r *http.Request, org *Org, a *assertion.Assertion, returnTo string) error

	// OnError, when set, replaces the generic page a member sees when sign-in fails.
	// err is for logs and admins (it is in the sign-in log too); ref is its
	// correlation reference. Do not show err to the member.
	OnError func(w http.ResponseWriter, r *http.Request, orgID string, err error, ref string)

	// ReplayCache returns the replay cache for one scope (one organization): the
	// package names the scope, collision-free per organization, e.g. "ssokit:orgs:acme:",
	// usable as a Redis key prefix:
	//
	//	func(scope string) sp.ReplayCache { return redisstore.New(rdb, redisstore.Options{Prefix: scope}) }
	//
	// Each is asked for once per scope. Nil means one memory cache per organization
	// (one server only).
	ReplayCache func(scope string) sp.ReplayCache

	// RequestStore is like ReplayCache for pending logins. Nil means they travel in
	// signed cookies, which needs nothing shared between servers.
	RequestStore func(scope string) web.RequestStore

	// SessionStore is like ReplayCache for the default member sessions (Session,
	// StartSession): with one, EndSession revokes every copy of the session cookie.
	// Nil means cookie-only sessions, which a copied cookie outlives until it expires.
	SessionStore func(scope string) web.SessionStore

	// MetadataFetcher fetches metadata URLs (Settings.MetadataURL). Nil means a zero
	// *metadata.Fetcher: https only, public addresses only, bounded size and time.
	MetadataFetcher metadata.Getter
	// MetadataCache keeps the last good copy of each metadata document; give every
	// server of a fleet the same one, so one fetch serves them all. Nil means memory.
	MetadataCache metadata.Cache

	// RefreshInterval bounds how long a server keeps using what it read of an
	// organization: a configuration enabled (or SSO disabled) on one server is used by
	// every server within RefreshInterval. Zero means 10 seconds; negative means check
	// the store on every request.
	RefreshInterval time.Duration

	// TestTimeout is how long an admin's test may take at the IdP (MFA included). Zero
	// means 15 minutes.
	TestTimeout time.Duration

	// Key is the SP key pair of every organization: it decrypts encrypted assertions
	// (Entra's "Token encryption") and is published in SP metadata. Nil means none.
	Key *certs.KeyPair

	// Now is the clock. Nil means time.Now.
	Now func() time.Time

	// Logger receives operational logs. Nil means slog.Default().
	Logger *slog.Logger
}

// Errors the admin methods return; test with errors.Is.
var (
	// ErrUnauthorized: Config.Authorize refused the request.
	ErrUnauthorized = errors.New("orgs: not authorized")
	// ErrCrossOrigin: a state-changing admin request without a same-origin proof
	// (an Origin header equal to BaseURL's origin, or Sec-Fetch-Site: same-origin), or
	// not a POST.
	ErrCrossOrigin = errors.New("orgs: state-changing admin request without a same-origin proof")
	// ErrNotTested: Enable of a version whose last test did not pass (or that is no
	// longer the pending version).
	ErrNotTested = errors.New("orgs: the configuration's last test did not pass")
	// ErrNoPending: a test or Enable for an organization with no saved configuration.
	ErrNoPending = errors.New("orgs: no configuration saved")
)

// Manager is per-organization SSO: the admin actions (Save, StartTest, Enable,
// Disable) and the member sign-in handler (Handler). Safe for concurrent use.
type Manager struct {
	cfg      Config
	base     string // BaseURL without a trailing slash
	origin   string // scheme://host[:port]
	secure   bool
	prefix   string
	now      func() time.Time
	log      *slog.Logger
	refresh  time.Duration
	testLife time.Duration
	testKey  []byte

	mu      sync.Mutex
	replays map[string]sp.ReplayCache
	reqs    map[string]web.RequestStore
	sess    map[string]web.SessionStore
	active  map[string]*activeSP
	remotes *metadata.RemoteSet
}

// New checks cfg and returns the Manager.
func New(cfg Config) (*Manager, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("orgs: Config.Store is required")
	case cfg.Authorize == nil:
		return nil, errors.New("orgs: Config.Authorize is required: it decides who may configure an organization's SSO, and there is no default that allows")
	case len(cfg.CookieKey) < 32:
		return nil, fmt.Errorf("orgs: Config.CookieKey has %d bytes, need at least 32 random bytes", len(cfg.CookieKey))
	}
	u, err := url.Parse(strings.TrimSuffix(cfg.BaseURL, "/"))
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("orgs: Config.BaseURL %q must be an absolute http(s) URL without query", cfg.BaseURL)
	}
	m := &Manager{
		cfg:      cfg,
		base:     u.String(),
		origin:   u.Scheme + "://" + u.Host,
		secure:   u.Scheme == "https",
		prefix:   cfg.PathPrefix,
		now:      cfg.Now,
		log:      cfg.Logger,
		refresh:  cfg.RefreshInterval,
		testLife: cfg.TestTimeout,
		replays:  make(map[string]sp.ReplayCache),
		reqs:     make(map[string]web.RequestStore),
		sess:     make(map[string]web.SessionStore),
		active:   make(map[string]*activeSP),
	}
	if m.prefix == "" {
		m.prefix = "/organizations/"
	}
	if !strings.HasPrefix(m.prefix, "/") || !strings.HasSuffix(m.prefix, "/") {
		return nil, fmt.Errorf("orgs: Config.PathPrefix %q must start and end with /", m.prefix)
	}
	m.prefix = u.Path + m.prefix
	if m.now == nil {
		m.now = time.Now
	}
	if m.log == nil {
		m.log = slog.Default()
	}
	if m.refresh == 0 {
		m.refresh = 10 * time.Second
	}
	if m.testLife <= 0 {
		m.testLife = 15 * time.Minute
	}
	m.testKey = deriveKey(cfg.CookieKey, "ssokit orgs test cookie")
	m.remotes = &metadata.RemoteSet{Fetcher: cfg.MetadataFetcher, Cache: cfg.MetadataCache, Now: m.now,
		OnError: func(key string, err error) {
			m.log.Warn("orgs: metadata URL refresh failed", "source", key, "err", err)
		}}
	return m, nil
}

// Endpoints are the values an admin copies into the IdP for one organization.
type Endpoints struct {
	EntityID    string // SP Entity ID: Entra's "Identifier (Entity ID)"
	ACSURL      string // Assertion Consumer Service URL: Entra's "Reply URL"
	MetadataURL string // SP metadata (the same URL as EntityID)
	LoginURL    string // where members start SP-initiated sign-in
	SignOutURL  string // where members' Sign out POSTs (same-origin): ends the IdP session too when it has a Logout URL
	LogoutURL   string // Single Logout: Entra's "Logout Url" (the IdP's LogoutRequests end member sessions)
}

// Endpoints returns the derived URLs of orgID.
func (m *Manager) Endpoints(orgID string) Endpoints {
	p := m.origin + m.prefix + orgID + "/saml/"
	return Endpoints{EntityID: p + "metadata", ACSURL: p + "consume", MetadataURL: p + "metadata", LoginURL: p + "login", SignOutURL: p + "signout", LogoutURL: p + "logout"}
}

func (m *Manager) settingsPath(orgID string) string {
	if m.cfg.SettingsPath != nil {
		return m.cfg.SettingsPath(orgID)
	}
	return m.prefix + orgID + "/settings/sso"
}

// scope is the package's name for one organization's shared state (replay cache and
// pending-login keys): ':' never occurs in an ID, so no scope is a prefix of another.
func scope(orgID string) string { return "ssokit:orgs:" + orgID + ":" }

// cookieName starts every cookie name of orgID. IDs never contain '.', so the name of
// one organization's cookie never starts with another's prefix (sp/web matches pending
// logins by prefix): "acme" and "acme-req" get "org.acme." and "org.acme-req.".
func cookieName(orgID string) string { return "org." + orgID + "." }

func (m *Manager) replayCache(orgID string) sp.ReplayCache {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.replays[orgID]
	if !ok {
		if m.cfg.ReplayCache != nil {
			c = m.cfg.ReplayCache(scope(orgID))
		} else {
			mc := sp.NewMemoryReplayCache(0)
			mc.Now = m.now
			c = mc
		}
		m.replays[orgID] = c
	}
	return c
}

func (m *Manager) requestStore(orgID string) web.RequestStore {
	return scoped(m, m.reqs, m.cfg.RequestStore, orgID)
}

func (m *Manager) sessionStore(orgID string) web.SessionStore {
	return scoped(m, m.sess, m.cfg.SessionStore, orgID)
}

// scoped returns orgID's store from make, made once per organization; nil without make.
func scoped[T any](m *Manager, have map[string]T, make func(string) T, orgID string) T {
	var zero T
	if make == nil {
		return zero
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := have[orgID]
	if !ok {
		s = make(scope(orgID))
		have[orgID] = s
	}
	return s
}

// newSP builds the SP of one version of orgID's configuration. Pending and active
// versions share the organization's replay cache, so a response used by one is refused
// by the other.
func (m *Manager) newSP(ctx context.Context, orgID string, v *Version, checkDates bool) (*sp.SP, *metadata.IdP, error) {
	idp, err := v.Settings.idp(m.now(), checkDates)
	var remote *metadata.Remote
	if err == nil && v.Settings.MetadataURL != "" {
		if remote, err = m.remote(orgID, v.Settings); err == nil {
			idp, err = remote.IdP(ctx)
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("orgs: organization %s, version %d: %w", orgID, v.Number, err)
	}
	e := m.Endpoints(orgID)
	cfg := sp.Config{
		EntityID:               e.EntityID,
		ACSURL:                 e.ACSURL,
		IdP:                    idp,
		AllowIdPInitiated:      v.Settings.AllowIdPInitiated,
		RequireSignedAssertion: v.Settings.SignedAssertions,
		Key:                    m.cfg.Key,
		Now:                    m.now,
		ReplayCache:            m.replayCache(orgID),
		LoginTimeout:           m.testLife,
		Logger:                 m.log.With("org", orgID), // its records (and sp/web's) name the organization
		// Single Logout at {org}/saml/logout: the IdP's LogoutRequests (Entra signs
		// them) end the member's session.
		Logout: sp.LogoutConfig{URL: e.LogoutURL, RequireSignedRequests: true},
	}
	if remote == nil {
		p, err := sp.New(cfg)
		return p, idp, err
	}
	// A metadata URL: the SP validates against the Remote's current document, and a
	// response signed by a certificate it does not list fetches it again (rate-limited)
	// and is validated once more, so "Make certificate active" at the IdP fails nobody.
	cfg.IdP = nil
	rs, err := sp.NewRefreshing(cfg, remote)
	if err != nil {
		return nil, nil, err
	}
	p, err := rs.SP(ctx)
	return p, idp, err
}

// remote is the metadata URL source of s, shared by every version of orgID that names
// the same URL (and entity ID).
func (m *Manager) remote(orgID string, s Settings) (*metadata.Remote, error) {
	return m.remotes.Remote(orgID+"|"+s.MetadataURL, metadata.RemoteConfig{URL: s.MetadataURL, EntityID: s.IdPEntityID,
		CacheKey: scope(orgID) + s.MetadataURL})
}

func (m *Manager) remoteIdP(ctx context.Context, orgID string, s Settings) (*metadata.IdP, error) {
	r, err := m.remote(orgID, s)
	if err != nil {
		return nil, err
	}
	return r.IdP(ctx)
}

// checkMetadataURL fetches s's metadata URL once, for Save: a URL that cannot be used
// is a field error, and nothing is stored.
func (m *Manager) checkMetadataURL(ctx context.Context, s Settings) error {
	r, err := metadata.NewRemote(metadata.RemoteConfig{URL: s.MetadataURL, EntityID: s.IdPEntityID, Fetcher: m.cfg.MetadataFetcher, Now: m.now})
	var idp *metadata.IdP
	if err == nil {
		idp, err = r.IdP(ctx)
	}
	msg := ""
	if err != nil {
		msg = "This metadata URL cannot be used: " + err.Error() + `. In Entra, copy "App Federation Metadata Url" under SAML Certificates.`
	} else if exp, bad := expiryMessage(idp.Certificates, m.now()); bad {
		msg = exp
	} else {
		return nil
	}
	return &SettingsError{Fields: map[string]string{FieldMetadataURL: msg}, Settings: s}
}

// Run keeps every organization's metadata URL current (Settings.MetadataURL), one
// refresh at a time, until ctx is done: run it in a goroutine on every server. Without
// it, a metadata URL is fetched when first needed and by RefreshMetadata only.
func (m *Manager) Run(ctx context.Context) { m.remotes.Run(ctx) }

// RefreshMetadata fetches orgID's metadata URLs (active and pending) now, for an
// admin's "refresh" button after an IdP certificate rollover (ActionRefresh, a
// same-origin POST), and makes this server use the result at once (other servers within
// RefreshInterval). Run does the same on its schedule without being asked.
func (m *Manager) RefreshMetadata(r *http.Request, orgID string) error {
	if _, err := m.authorize(r, orgID, ActionRefresh); err != nil {
		return err
	}
	ctx := r.Context()
	o, err := m.cfg.Store.Get(ctx, orgID)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, v := range []*Version{o.Active, o.Pending} {
		if v == nil || v.Settings.MetadataURL == "" || done[v.Settings.MetadataURL+"|"+v.Settings.IdPEntityID] {
			continue
		}
		done[v.Settings.MetadataURL+"|"+v.Settings.IdPEntityID] = true
		remote, err := m.remote(orgID, v.Settings)
		if err == nil {
			err = remote.Refresh(ctx)
		}
		if err != nil {
			return err
		}
	}
	m.forget(orgID)
	return nil
}
