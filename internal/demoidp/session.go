package demoidp

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/crewjam/saml"
)

const (
	sessionCookie   = "demoidp_session"
	sessionLifetime = 8 * time.Hour
	// pendingLifetime bounds how long a sign-in may wait on the login page. crewjam would
	// re-check the AuthnRequest's IssueInstant (90 s) if the login form resent it, so the
	// validated request is kept here instead.
	pendingLifetime = time.Hour
)

// signIn is a user's session at the IdP.
type signIn struct {
	id       string
	username string
	created  time.Time
	expires  time.Time
	// index is the SessionIndex the applications get: not the cookie's value, which
	// would let any application act as the user's browser here.
	index string
	apps  []participant // applications signed in during the session, for Single Logout
}

// pending is a sign-in waiting for the user to enter a password: a validated
// SP-initiated AuthnRequest, or an IdP-initiated request for one application.
type pending struct {
	req     *saml.IdpAuthnRequest
	expires time.Time
}

type sessionStore struct {
	mu       sync.Mutex
	sessions map[string]*signIn
	pending  map[string]pending
}

func newSessionStore() *sessionStore {
	return &sessionStore{sessions: make(map[string]*signIn), pending: make(map[string]pending)}
}

func randomID() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}

func (s *sessionStore) create(username string, now time.Time) *signIn {
	si := &signIn{id: randomID(), index: randomID(), username: username, created: now, expires: now.Add(sessionLifetime)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, old := range s.sessions {
		if !now.Before(old.expires) {
			delete(s.sessions, id)
		}
	}
	s.sessions[si.id] = si
	return si
}

func (s *sessionStore) get(id string, now time.Time) *signIn {
	s.mu.Lock()
	defer s.mu.Unlock()
	si := s.sessions[id]
	if si == nil || !now.Before(si.expires) {
		return nil
	}
	return si
}

func (s *sessionStore) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.sessions, id)
}

func (s *sessionStore) park(req *saml.IdpAuthnRequest, now time.Time) string {
	token := randomID()
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, p := range s.pending {
		if !now.Before(p.expires) {
			delete(s.pending, t)
		}
	}
	s.pending[token] = pending{req: req, expires: now.Add(pendingLifetime)}
	return token
}

// take returns the sign-in parked under token and forgets it, so it completes once.
func (s *sessionStore) take(token string, now time.Time) *saml.IdpAuthnRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pending[token]
	delete(s.pending, token)
	if !ok || !now.Before(p.expires) {
		return nil
	}
	return p.req
}

// current is the signed-in user of r, if any.
func (d *IdP) current(r *http.Request) (*signIn, User) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, User{}
	}
	si := d.sessions.get(c.Value, d.now())
	if si == nil {
		return nil, User{}
	}
	u, ok := d.users[strings.ToLower(si.username)]
	if !ok {
		return nil, User{}
	}
	return si, u
}

// authenticate checks a username and password.
func (d *IdP) authenticate(username, password string) (User, bool) {
	u, ok := d.users[strings.ToLower(strings.TrimSpace(username))]
	if !ok {
		return User{}, false
	}
	return u, subtle.ConstantTimeCompare([]byte(u.Password), []byte(password)) == 1
}

func (d *IdP) startSession(w http.ResponseWriter, r *http.Request, u User) *signIn {
	si := d.sessions.create(u.Username, d.now())
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookie,
		Value:    si.id,
		Path:     d.path("/"),
		HttpOnly: true,
		Secure:   r.TLS != nil,
		SameSite: http.SameSiteLaxMode, // a browser-session cookie: the server enforces the lifetime on its own clock
	})
	return si
}

func (d *IdP) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		d.sessions.remove(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: d.path("/"), MaxAge: -1, HttpOnly: true})
}

func samlSession(si *signIn, u User) *saml.Session {
	return &saml.Session{
		ID:         si.id,
		CreateTime: si.created,
		ExpireTime: si.expires,
		Index:      "_" + si.index,
		UserName:   u.Username,
	}
}

// GetSession implements saml.SessionProvider: it returns the signed-in user's session, or
// parks the request and shows the login page.
func (d *IdP) GetSession(w http.ResponseWriter, r *http.Request, req *saml.IdpAuthnRequest) *saml.Session {
	force := req.Request.ForceAuthn != nil && *req.Request.ForceAuthn
	if si, u := d.current(r); si != nil && !force {
		return samlSession(si, u)
	}
	if req.Request.IsPassive != nil && *req.Request.IsPassive {
		_ = d.idp.Load().SendErrorResponse(w, req, &saml.StatusError{
			TopLevel:    saml.StatusResponder,
			SecondLevel: saml.StatusNoPassive,
			Message:     "AADSTS50058: A silent sign-in request was sent but no user is signed in.",
		})
		return nil
	}
	token := d.sessions.park(req, d.now())
	d.renderLogin(w, http.StatusOK, loginPage{Token: token, App: req.ServiceProviderMetadata.EntityID})
	return nil
}

// serveLogin handles the login form. After a good password it finishes the parked
// sign-in, if there is one, or opens My Apps.
func (d *IdP) serveLogin(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		d.renderLogin(w, http.StatusOK, loginPage{})
		return
	}
	// Login CSRF: another site must not sign a visitor in here as someone else.
	if d.crossOrigin(w, r) {
		return
	}
	token := r.PostFormValue("token")
	u, ok := d.authenticate(r.PostFormValue("username"), r.PostFormValue("password"))
	if !ok {
		d.renderLogin(w, http.StatusUnauthorized, loginPage{
			Token:    token,
			App:      r.PostFormValue("app"),
			Username: r.PostFormValue("username"),
			Error:    "AADSTS50126: Error validating credentials due to invalid username or password.",
		})
		return
	}
	si := d.startSession(w, r, u)
	if token == "" {
		http.Redirect(w, r, d.path("/myapps"), http.StatusSeeOther)
		return
	}
	req := d.sessions.take(token, d.now())
	if req == nil {
		d.renderError(w, http.StatusBadRequest, "AADSTS90014: This sign-in request expired or was already used. Start again from the application.")
		return
	}
	req.HTTPRequest = r
	req.Now = d.now()
	d.respond(w, req, samlSession(si, u))
}
