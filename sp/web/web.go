package web

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// Config configures the net/http side of an SP: cookies, sessions and where users go
// after login. Only CookieKey is required.
type Config struct {
	// CookieKey signs (HMAC-SHA256) every cookie the handlers set: the pending-login
	// cookies and the session cookie. At least 32 random bytes, the same on every server
	// behind a load balancer. Changing it ends every session and pending login.
	CookieKey []byte

	// CookieName starts the name of every cookie (on https they also get the __Host-
	// prefix). Empty means "saml". Give each SP served from one host its own name:
	// up to 64 letters, digits, '-', '_' or '.'. Names that extend one another
	// ("acme" and "acme-req") are safe: each SP touches only the exact names it writes.
	CookieName string

	// SessionMaxAge bounds the default session. Zero means 8 hours. The IdP's
	// SessionNotOnOrAfter, when earlier, ends the session sooner.
	SessionMaxAge time.Duration

	// IdleTimeout ends a session that has not been used (through
	// [Handlers.RequireLogin], RequireGroup or RequireRole) for this long. Zero means
	// no idle limit.
	IdleTimeout time.Duration

	// SessionStore keeps sessions on the server ([MemorySessionStore] for one process,
	// sp/redisstore for a fleet); the cookie then carries only a random session ID.
	// Nil means cookie-only sessions: the whole session is in the signed cookie
	// (up to 3,900 bytes: Entra's 150 group IDs fit), no server state.
	//
	// What a cookie-only session cannot do: be revoked. [Handlers.EndSession] and
	// [Handlers.SignOut] only ask the browser to delete the cookie; a copy of it (taken
	// by malware, a shared computer, a proxy log) keeps working until it expires
	// (SessionMaxAge, IdleTimeout if the copy is not used). With a SessionStore, ending a session
	// deletes it on the server and every copy stops working at once.
	SessionStore SessionStore

	// SignInURL is where the "signed out" page's "Sign in again" link and the error
	// page's "Try again" link point, e.g. the path [Handlers.Login] is mounted on.
	// Empty means the signed-out page has no link and "Try again" goes to
	// DefaultReturnTo.
	SignInURL string

	// SignedOutURL, when set, is where [Handlers.SignOut] sends the browser instead of
	// showing its own "signed out" page: a path on this site or an AllowedReturnOrigins
	// URL.
	SignedOutURL string

	// MaxPendingLogins is how many logins one browser may have under way at once (one
	// per tab). Zero means 5; starting one more forgets the oldest.
	MaxPendingLogins int

	// AllowedReturnOrigins lists other origins ("https://admin.example.com") users may
	// be sent to after login. Empty means only paths on this site.
	AllowedReturnOrigins []string

	// DefaultReturnTo is where users land when a login carries no usable return URL
	// (e.g. IdP-initiated without RelayState). Empty means "/".
	DefaultReturnTo string

	// PostBinding sends AuthnRequests with the HTTP-POST binding (an auto-submitting
	// form) instead of HTTP-Redirect. It is implied when the IdP's metadata offers only
	// HTTP-POST (metadata.IdP.SSOBinding).
	PostBinding bool

	// RequestOptions apply to every AuthnRequest the handlers send.
	RequestOptions []sp.RequestOption

	// RequestStore keeps pending logins (request ID, return URL) on the server. Nil
	// means they travel in the signed cookie. Either way the browser carries a cookie
	// bound to the RelayState, so a response cannot be replayed into another browser.
	RequestStore RequestStore

	// OnLogin runs after a response validated, in place of the default ([Handlers.StartSession],
	// then a redirect to returnTo). It must write the response, typically: create the
	// app's own session, then redirect to returnTo, which is already checked safe. An
	// error shows the user the generic error page and is logged.
	//
	// Redirect only to returnTo, never to a value read from the request: the ACS reads
	// RelayState from the POST body alone and ignores one it cannot trust (not ours and
	// not a safe return URL, or only in the query string of an IdP-initiated POST), but
	// r.FormValue("RelayState") inside the hook still returns that unchecked value.
	// Bind no other decision to RelayState either: on an IdP-initiated response anyone
	// could have chosen it.
	OnLogin func(w http.ResponseWriter, r *http.Request, a *assertion.Assertion, returnTo string) error

	// OnError, when set, replaces the generic error page. err is for logs and admins
	// (it says what to fix at the IdP); ref is the correlation ID, already logged with
	// err. Do not show err to end users. The generic page answers an outage
	// (errors.Is(err, sp.ErrUnavailable): a replay cache, request or session store that
	// cannot answer) with 503 and "try again in a minute", a refused sign-in with 403;
	// both quote ref and link to SignInURL to try again.
	OnError func(w http.ResponseWriter, r *http.Request, err error, ref string)
}

// Handlers are the http.Handlers of one SP: Login, ACS, Metadata and RequireLogin.
type Handlers struct {
	sp           *sp.SP
	cfg          Config
	loginTimeout time.Duration // the SP's LoginTimeout: how long a pending login lives
	postBinding  bool          // send AuthnRequests with HTTP-POST
	logger       *slog.Logger
	codec        cookieCodec
	origin       string    // scheme://host of the ACS URL: this site, for SignOut
	secure       bool      // the ACS URL is https: cookies get Secure, __Host- and SameSite=None
	metadata     []byte    // rendered once: the SP's Config does not change
	rand         io.Reader // nil means crypto/rand; tests replace it
}

// New checks cfg against the SP's ACS URL and returns the SP's handlers. It refuses a
// plain-http ACS URL on any host but localhost: browsers drop the SameSite=None cookies
// a cross-site POST from the IdP needs unless they are Secure.
func New(s *sp.SP, cfg Config) (*Handlers, error) {
	if s == nil {
		return nil, errors.New("web: New needs an SP")
	}
	if len(cfg.CookieKey) < 32 {
		return nil, fmt.Errorf("web: Config.CookieKey has %d bytes, need at least 32 random bytes", len(cfg.CookieKey))
	}
	sc := s.Config()
	acs, err := url.Parse(sc.ACSURL)
	if err != nil || acs.Host == "" {
		return nil, fmt.Errorf("web: the SP's Config.ACSURL %q is not an absolute URL", sc.ACSURL)
	}
	h := &Handlers{
		sp:           s,
		cfg:          cfg,
		loginTimeout: s.LoginTimeout(),
		postBinding:  cfg.PostBinding || sc.IdP.SSOBinding == metadata.BindingHTTPPost,
		logger:       sc.Logger,
		codec:        newCookieCodec(cfg.CookieKey, sc.EntityID, sc.IdP.EntityID),
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	switch acs.Scheme {
	case "https":
		h.secure = true
	case "http":
		if !isLoopbackHost(acs.Hostname()) {
			return nil, fmt.Errorf("web: the SP's Config.ACSURL %q uses plain http on a host other than localhost: browsers will not send the login cookies with the IdP's cross-site POST; use https", sc.ACSURL)
		}
	default:
		return nil, fmt.Errorf("web: the SP's Config.ACSURL %q is not http(s)", sc.ACSURL)
	}
	if h.cfg.CookieName == "" {
		h.cfg.CookieName = "saml"
	}
	if !validCookieName(h.cfg.CookieName) {
		return nil, fmt.Errorf("web: Config.CookieName %q: use up to 64 letters, digits, '-', '_' or '.'", h.cfg.CookieName)
	}
	if h.cfg.SessionMaxAge <= 0 {
		h.cfg.SessionMaxAge = 8 * time.Hour
	}
	if h.cfg.MaxPendingLogins <= 0 {
		h.cfg.MaxPendingLogins = 5
	}
	if h.cfg.DefaultReturnTo == "" {
		h.cfg.DefaultReturnTo = "/"
	}
	for field, v := range map[string]string{"SignInURL": h.cfg.SignInURL, "SignedOutURL": h.cfg.SignedOutURL} {
		if v != "" && !safeReturnTo(v, h.cfg.AllowedReturnOrigins) {
			return nil, fmt.Errorf("web: Config.%s %q is neither a path on this site nor in AllowedReturnOrigins", field, v)
		}
	}
	if h.cfg.IdleTimeout < 0 {
		return nil, fmt.Errorf("web: Config.IdleTimeout is negative (%v)", h.cfg.IdleTimeout)
	}
	h.origin = originOf(acs)
	if !safeReturnTo(h.cfg.DefaultReturnTo, h.cfg.AllowedReturnOrigins) {
		return nil, fmt.Errorf("web: Config.DefaultReturnTo %q is neither a path on this site nor in AllowedReturnOrigins", h.cfg.DefaultReturnTo)
	}
	if h.metadata, err = s.Metadata(); err != nil {
		return nil, err
	}
	return h, nil
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (h *Handlers) now() time.Time { return h.sp.Now() }

// Login starts SP-initiated login. The optional query parameter returnTo names where to
// send the user afterwards: a path on this site, or a URL on an AllowedReturnOrigins
// origin; anything else is replaced by DefaultReturnTo.
func (h *Handlers) Login() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.startLogin(w, r, r.URL.Query().Get("returnTo"))
	})
}

// startLogin sends the browser to the IdP with a fresh AuthnRequest and records it in a
// cookie named after a new RelayState.
func (h *Handlers) startLogin(w http.ResponseWriter, r *http.Request, returnTo string) {
	if !safeReturnTo(returnTo, h.cfg.AllowedReturnOrigins) {
		returnTo = h.cfg.DefaultReturnTo
	}
	relayState, err := newRelayState(h.rand)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	opts := h.cfg.RequestOptions
	if c, err := r.Cookie(h.signedOutCookieName()); err == nil && c.Value != "" {
		// This browser signed out here; its IdP session may live on. Ask for a fresh
		// authentication rather than signing the same account straight back in.
		opts = append(append([]sp.RequestOption(nil), opts...), sp.ForceAuthn())
		h.expire(w, h.signedOutCookieName())
	}
	var (
		redirect string
		form     *sp.PostForm
		id       string
	)
	if h.postBinding {
		form, id, err = h.sp.AuthnRequestForm(relayState, opts...)
	} else {
		redirect, id, err = h.sp.AuthnRequestURL(relayState, opts...)
	}
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}

	expires := h.now().Add(h.loginTimeout).Truncate(time.Second)
	pc := pendingCookie{ID: id, ReturnTo: returnTo, Expires: expires.Unix()}
	if h.cfg.RequestStore != nil {
		if err := h.cfg.RequestStore.Save(r.Context(), relayState, PendingRequest{ID: id, ReturnTo: returnTo}, expires); err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, fmt.Errorf("%w: web: save pending login: %w", sp.ErrUnavailable, err))
			return
		}
		pc = pendingCookie{Expires: pc.Expires}
	}
	name := h.requestCookieName(relayState)
	value, err := h.codec.seal(name, pc)
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err)
		return
	}
	h.evictPending(w, r, h.cfg.MaxPendingLogins-1)
	http.SetCookie(w, h.cookie(name, value, expires, true))
	w.Header().Set("Cache-Control", "no-store")
	if form != nil {
		form.ServeHTTP(w, r)
		return
	}
	http.Redirect(w, r, redirect, http.StatusFound)
}

// maxACSBody bounds the ACS form. The pipeline caps SAMLResponse itself; this only keeps
// a client from streaming an endless body.
const maxACSBody = 4 << 20

// ACS is the Assertion Consumer Service: the IdP's HTTP-POST of a SAMLResponse. It finds
// the pending login named by RelayState (and deletes it), validates the response against
// that request's ID, then signs the user in (see Config.OnLogin) and sends them on.
// A response without one of our RelayStates is IdP-initiated: the SP's
// AllowIdPInitiated decides, and its RelayState is used only if it is a safe return URL.
func (h *Handlers) ACS() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			h.fail(w, r, http.StatusMethodNotAllowed, fmt.Errorf("%w: the ACS takes the IdP's HTTP-POST, got %s", sp.ErrMalformed, r.Method))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxACSBody)
		if err := r.ParseForm(); err != nil {
			h.fail(w, r, http.StatusBadRequest, fmt.Errorf("%w: cannot read the posted form: %v", sp.ErrMalformed, err))
			return
		}
		samlResponse := r.PostForm.Get("SAMLResponse")
		if samlResponse == "" {
			h.fail(w, r, http.StatusBadRequest, fmt.Errorf("%w: the POST has no SAMLResponse field", sp.ErrMalformed))
			return
		}
		relayState := r.PostForm.Get("RelayState")

		var ids []string
		returnTo := h.cfg.DefaultReturnTo
		if isLoginRelayState(relayState) {
			p, err := h.takePending(w, r, relayState)
			if err != nil {
				h.fail(w, r, http.StatusForbidden, err)
				return
			}
			ids = []string{p.ID}
			if safeReturnTo(p.ReturnTo, h.cfg.AllowedReturnOrigins) {
				returnTo = p.ReturnTo
			}
		} else if relayState != "" {
			// IdP-initiated: RelayState is whatever the IdP (or whoever made the user
			// post this form) put there.
			if safeReturnTo(relayState, h.cfg.AllowedReturnOrigins) {
				returnTo = relayState
			} else {
				h.logger.WarnContext(r.Context(), "saml: ignoring unsafe RelayState on an IdP-initiated response", "relay_state", relayState)
			}
		}

		// The SP logs a rejection itself, once, with the check that failed and ref.
		ref := newCorrelationRef(h.rand)
		a, err := h.sp.ValidateResponse(sp.WithRef(r.Context(), ref), samlResponse, ids...)
		if err != nil {
			h.show(w, r, http.StatusForbidden, err, ref)
			return
		}
		if len(ids) == 0 {
			// Login CSRF: anyone can make a browser post their own unsolicited response.
			// It must not silently turn a signed-in user into somebody else.
			if cur := h.Session(r); cur != nil && (cur.Issuer != a.Issuer || cur.NameID != a.NameID.Value) {
				h.fail(w, r, http.StatusForbidden, fmt.Errorf("%w: an IdP-initiated response for %q arrived while %q is signed in here; "+
					"not switching accounts without a sign-in this browser started (possible login CSRF); the user can sign out first",
					sp.ErrUnsolicited, a.NameID.Value, cur.NameID))
				return
			}
		}
		if h.cfg.OnLogin != nil {
			if err := h.cfg.OnLogin(w, r, a, returnTo); err != nil {
				h.fail(w, r, http.StatusInternalServerError, fmt.Errorf("web: OnLogin: %w", err))
			}
			return
		}
		if _, err := h.StartSession(w, r, a, nil); err != nil {
			h.fail(w, r, http.StatusForbidden, err)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		// Set Location directly: http.Redirect would rewrite the checked path.
		w.Header().Set("Location", returnTo)
		w.WriteHeader(http.StatusSeeOther)
	})
}

// takePending returns the login that relayState names and forgets it, in the browser
// and in the RequestStore, so it can be answered once.
func (h *Handlers) takePending(w http.ResponseWriter, r *http.Request, relayState string) (PendingRequest, error) {
	name := h.requestCookieName(relayState)
	c, err := r.Cookie(name)
	if err != nil {
		return PendingRequest{}, fmt.Errorf("%w: no pending-login cookie %s came with RelayState %s: it expired (after %v), was already used, "+
			"or the browser withheld it (the IdP's POST is cross-site, so the cookie needs https; or the login began on another host name)",
			sp.ErrInResponseTo, name, relayState, h.loginTimeout)
	}
	h.expire(w, name)
	var pc pendingCookie
	if err := h.codec.open(name, c.Value, &pc); err != nil {
		return PendingRequest{}, fmt.Errorf("%w: pending-login cookie %s: %v (altered, or signed with another cookie key: every server of this app must share one)", sp.ErrInResponseTo, name, err)
	}
	exp := time.Unix(pc.Expires, 0)
	if !h.now().Before(exp) {
		return PendingRequest{}, fmt.Errorf("%w: the login started with RelayState %s expired at %s (a sign-in must finish within %v of starting)",
			sp.ErrExpired, relayState, exp.UTC().Format(time.RFC3339), h.loginTimeout)
	}
	if h.cfg.RequestStore == nil {
		// Deleting the cookie only asks the browser; a copy of it must not answer the
		// same request twice. ValidateResponse consumes the request ID in the SP's
		// replay cache (shared in a fleet) for as long as the cookie could be presented.
		return PendingRequest{ID: pc.ID, ReturnTo: pc.ReturnTo}, nil
	}
	p, err := h.cfg.RequestStore.Take(r.Context(), relayState)
	if err != nil && !errors.Is(err, sp.ErrInResponseTo) {
		// The store could not tell (RequestStore: "none" wraps ErrInResponseTo): an
		// outage, not this user's mistake.
		return PendingRequest{}, fmt.Errorf("%w: web: pending login %s: %w", sp.ErrUnavailable, relayState, err)
	}
	if err != nil {
		return PendingRequest{}, fmt.Errorf("web: pending login %s: %w", relayState, err)
	}
	return p, nil
}

// fail logs err with a fresh correlation ID and shows the user a generic page that
// quotes it. The reason itself stays in the log: it can name certificates, tenants and
// configuration an end user has no business seeing.
func (h *Handlers) fail(w http.ResponseWriter, r *http.Request, status int, err error) {
	ref := newCorrelationRef(h.rand)
	status = statusFor(status, err)
	attrs := []slog.Attr{slog.String("ref", ref), slog.Int("status", status), slog.Any("err", err)}
	if kind := sp.KindOf(err); kind != "" {
		attrs = append(attrs, slog.String("kind", kind))
	}
	var e *sp.Error
	if errors.As(err, &e) && e.Check != "" {
		attrs = append(attrs, slog.String("check", e.Check))
	}
	level := slog.LevelWarn
	if status >= http.StatusInternalServerError {
		level = slog.LevelError
	}
	h.logger.LogAttrs(r.Context(), level, "saml: sign-in failed", attrs...)
	h.show(w, r, status, err, ref)
}

// show answers a failure already logged under ref: OnError, or the generic page.
func (h *Handlers) show(w http.ResponseWriter, r *http.Request, status int, err error, ref string) {
	if h.cfg.OnError != nil {
		h.cfg.OnError(w, r, err, ref)
		return
	}
	h.writeErrorPage(w, statusFor(status, err), err, ref)
}

// newCorrelationRef is a short random correlation ID for one failure.
func newCorrelationRef(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "unavailable"
	}
	return hex.EncodeToString(b[:])
}
