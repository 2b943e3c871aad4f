package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ssokit/saml/assertion"
)

// Session is who signed in, as the default session cookie remembers it: the identity,
// not every attribute, so the cookie stays small whatever the IdP sends (150 groups
// included). An app that needs groups or roles reads them from the Assertion in
// Config.OnLogin and keeps them in its own session.
type Session struct {
	NameID       string    `json:"n"`
	NameIDFormat string    `json:"f,omitempty"`
	Issuer       string    `json:"i"`
	SessionIndex string    `json:"s,omitempty"`
	Email        string    `json:"m,omitempty"`
	DisplayName  string    `json:"d,omitempty"`
	Expires      time.Time `json:"e"`
}

// Entra's claim names for the two optional fields; other IdPs' common names follow.
var (
	emailClaims = []string{
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
		"urn:oid:0.9.2342.19200300.100.1.3", "email", "mail",
	}
	displayNameClaims = []string{
		"http://schemas.microsoft.com/identity/claims/displayname",
		"urn:oid:2.16.840.1.113730.3.1.241", "displayName",
	}
)

func firstAttrValue(a *assertion.Assertion, names []string) string {
	for _, n := range names {
		if at, ok := a.Attributes[n]; ok && len(at.Values) > 0 {
			return at.Values[0]
		}
	}
	return ""
}

// sessionExpiry is when a session started now from a must end: after
// Config.SessionMaxAge, or earlier when the IdP set SessionNotOnOrAfter.
func (h *Handlers) sessionExpiry(a *assertion.Assertion) time.Time {
	exp := h.now().Add(h.cfg.SessionMaxAge)
	if !a.SessionNotOnOrAfter.IsZero() && a.SessionNotOnOrAfter.Before(exp) {
		exp = a.SessionNotOnOrAfter
	}
	return exp.UTC().Truncate(time.Second)
}

// StartSession sets the default session cookie for a validated assertion. The ACS
// handler calls it unless Config.OnLogin is set; an OnLogin hook may call it too.
func (h *Handlers) StartSession(w http.ResponseWriter, a *assertion.Assertion) (*Session, error) {
	sess := &Session{
		NameID:       a.NameID.Value,
		NameIDFormat: a.NameID.Format,
		Issuer:       a.Issuer,
		SessionIndex: a.SessionIndex,
		Email:        firstAttrValue(a, emailClaims),
		DisplayName:  firstAttrValue(a, displayNameClaims),
		Expires:      h.sessionExpiry(a),
	}
	if !sess.Expires.After(h.now()) {
		return nil, errors.New("web: the IdP's SessionNotOnOrAfter has already passed; no session started")
	}
	name := h.sessionCookieName()
	value, err := h.codec.seal(name, sess)
	if err != nil {
		return nil, err
	}
	http.SetCookie(w, h.cookie(name, value, sess.Expires, false))
	return sess, nil
}

// Session returns the session the request's cookie carries, or nil when there is none,
// it does not verify, or it has expired.
func (h *Handlers) Session(r *http.Request) *Session {
	c, err := r.Cookie(h.sessionCookieName())
	if err != nil {
		return nil
	}
	var sess Session
	if h.codec.open(c.Name, c.Value, &sess) != nil || !h.now().Before(sess.Expires) {
		return nil
	}
	return &sess
}

// EndSession ends the default session StartSession began, by deleting its cookie. (It
// does not sign the user out at the IdP.) r is the request that carries the session.
func (h *Handlers) EndSession(w http.ResponseWriter, r *http.Request) {
	h.expire(w, h.sessionCookieName())
}

type sessionKey struct{}

// SessionFrom returns the session RequireLogin put in the request's context.
func SessionFrom(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// RequireLogin serves next only to a browser with a valid session, which it puts in the
// request context (read it with SessionFrom). Anyone else is sent to the IdP and, once
// signed in, back to the URL they asked for. Requests that cannot be replayed after a
// redirect (anything but GET and HEAD) get 401 instead.
func (h *Handlers) RequireLogin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sess := h.Session(r); sess != nil {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "sign-in required", http.StatusUnauthorized)
			return
		}
		h.startLogin(w, r, r.URL.RequestURI())
	})
}
