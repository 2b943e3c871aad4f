package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
)

// Single Logout (SAML profiles §4.4) in the browser, as Entra does it.
//
// SP-initiated: SignOut ends the local session, then, when the SP has a Logout URL
// (sp.Config.Logout.URL) and the IdP has one (IdP.SLOURL: Entra's "Logout URL"), sends
// the browser to the IdP with a LogoutRequest (HTTP-Redirect) naming the session's
// NameID, Format, qualifiers and SessionIndex. The request's ID is kept in a
// pending-logout cookie, so the IdP's LogoutResponse is accepted only in the browser
// that signed out, once. The Logout handler validates that answer and shows the
// "signed out" page.
//
// IdP-initiated: when the user signs out at the IdP or in another app, the IdP sends the
// browser to the Logout handler with a LogoutRequest (Entra: to every other app in the
// session, front-channel). The handler validates it, ends the session it names in this
// browser and, with a SessionStore, every stored session of that login, and answers the
// IdP with a LogoutResponse.

// maxPendingLogouts is how many sign-outs one browser may have awaiting an answer.
const maxPendingLogouts = 4

// maxIndexed bounds the sessions one SessionIndex or NameID index entry lists.
const maxIndexed = 16

// pendingLogout is the pending-logout cookie: the IDs of this browser's LogoutRequests
// still awaiting the IdP's answer.
type pendingLogout struct {
	IDs     []string `json:"i"`
	Expires int64    `json:"e"` // Unix seconds, of the newest request
}

func (h *Handlers) logoutCookieName() string { return h.cookiePrefix() + "logout" }

// singleLogout reports whether SignOut ends the IdP session too: both ends have a
// Logout URL.
func (h *Handlers) singleLogout() bool {
	c := h.sp.Config()
	return c.Logout.URL != "" && c.IdP.SLOURL != ""
}

// sessionNameID is the NameID the IdP sent at login, as the session keeps it.
func sessionNameID(s *Session) assertion.NameID {
	return assertion.NameID{Value: s.NameID, Format: s.NameIDFormat, NameQualifier: s.NameQualifier, SPNameQualifier: s.SPNameQualifier}
}

// startSingleLogout sends the browser to the IdP's Logout URL with a LogoutRequest for
// sess (already ended here), when Single Logout is configured. It reports whether it
// answered the request; when not, the caller shows the "signed out" page.
func (h *Handlers) startSingleLogout(w http.ResponseWriter, r *http.Request, sess *Session) bool {
	if sess == nil || sess.NameID == "" || !h.singleLogout() {
		return false
	}
	u, id, err := h.sp.LogoutRequestURL(sp.LogoutSubject{NameID: sessionNameID(sess), SessionIndex: sess.SessionIndex}, "")
	if err != nil {
		// The local session has ended; the user still learns they are signed out here.
		h.logger.WarnContext(r.Context(), "saml: Single Logout not started; signed out of this app only", "err", err)
		return false
	}
	expires := h.now().Add(h.loginTimeout).Truncate(time.Second)
	pl := pendingLogout{IDs: append(h.pendingLogouts(r), id), Expires: expires.Unix()}
	if n := len(pl.IDs); n > maxPendingLogouts {
		pl.IDs = pl.IDs[n-maxPendingLogouts:]
	}
	value, err := h.codec.seal(h.logoutCookieName(), pl)
	if err != nil {
		h.logger.WarnContext(r.Context(), "saml: Single Logout not started; signed out of this app only", "err", err)
		return false
	}
	// Cross-site: the IdP's answer may come back as a POST (SameSite=None on https).
	http.SetCookie(w, h.cookie(h.logoutCookieName(), value, expires, true))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusSeeOther)
	return true
}

// pendingLogouts are the IDs of this browser's LogoutRequests awaiting an answer; none
// when the cookie is absent, altered or expired.
func (h *Handlers) pendingLogouts(r *http.Request) []string {
	c, err := r.Cookie(h.logoutCookieName())
	if err != nil {
		return nil
	}
	var pl pendingLogout
	if h.codec.open(c.Name, c.Value, &pl) != nil || h.now().Unix() >= pl.Expires || len(pl.IDs) > maxPendingLogouts {
		return nil
	}
	return pl.IDs
}

// Logout is the SP's Single Logout service: mount it at the path of the SP's Logout URL
// (sp.Config.Logout.URL, Entra's "Logout Url" in Basic SAML Configuration) for GET
// (HTTP-Redirect, Entra's only binding) and POST (HTTP-POST). SP metadata lists this
// endpoint as SingleLogoutService whenever that URL is set, so mount it then.
//
// A LogoutResponse answers this browser's sign-out (started by SignOut): it is accepted
// only with the pending-logout cookie naming its request, once, and the browser lands
// on the "signed out" page (or Config.SignedOutURL). A LogoutRequest from the IdP ends
// the session it names: this browser's, when it is that session, and with a
// SessionStore every stored session of that SessionIndex (a session the request names
// by NameID alone only when the request was signed); then the browser is sent back to
// the IdP's Logout URL with a LogoutResponse.
//
// Without a SessionStore an IdP-initiated sign-out can end only the session whose cookie
// comes with the request: browsers withhold the session cookie (SameSite=Lax) when the
// IdP loads the Logout URL in a frame, as some IdPs do for front-channel logout.
func (h *Handlers) Logout() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			http.Error(w, "the Logout URL takes the IdP's GET (HTTP-Redirect) or POST (HTTP-POST)", http.StatusMethodNotAllowed)
			return
		}
		ref := newCorrelationRef(h.rand)
		msg, err := h.sp.ValidateLogout(sp.WithRef(r.Context(), ref), r, h.pendingLogouts(r)...)
		if err != nil {
			h.showLogoutFailure(w, r, err, ref)
			return
		}
		if msg.Response != nil {
			h.expire(w, h.logoutCookieName())
			if !msg.Response.Partial {
				// The IdP session has ended: the next sign-in asks for credentials
				// anyway, so no ForceAuthn is needed.
				h.expire(w, h.signedOutCookieName())
			} else {
				h.logger.WarnContext(r.Context(), "saml: the IdP reports a partial logout: some other apps may still be signed in", "ref", ref)
			}
			h.signedOut(w, r, !msg.Response.Partial)
			return
		}
		if err := h.endLoggedOut(w, r, msg.Request); err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, err)
			return
		}
		u, err := h.sp.LogoutResponseURL(msg.Request)
		if err != nil {
			// The sessions have ended; the IdP goes without its answer (Entra does not
			// need one).
			h.logger.WarnContext(r.Context(), "saml: cannot answer the IdP's LogoutRequest", "err", err)
			h.signedOut(w, r, true) // the IdP is ending its session: it asked
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, u, http.StatusFound)
	})
}

// endLoggedOut ends what an IdP-initiated LogoutRequest names: this browser's session
// when it matches, and with a SessionStore the stored sessions indexed under its
// SessionIndexes (or, for a signed request without one, its NameID).
func (h *Handlers) endLoggedOut(w http.ResponseWriter, r *http.Request, req *sp.LogoutRequest) error {
	sess, err := h.readSession(r)
	if err != nil {
		return fmt.Errorf("web: the session store cannot answer: %w", err)
	}
	if sess != nil && sess.Issuer == req.Issuer && req.Matches(sessionNameID(sess), sess.SessionIndex) {
		if err := h.EndSession(w, r); err != nil {
			return err
		}
	}
	if h.cfg.SessionStore == nil {
		return nil
	}
	var keys []string
	for _, si := range req.SessionIndexes {
		if si != "" {
			keys = append(keys, indexKey("si", req.Issuer, si))
		}
	}
	// An unsigned request could come from anyone: it ends stored sessions only by a
	// SessionIndex, which the IdP makes unguessable, never by a NameID alone.
	if len(req.SessionIndexes) == 0 && req.Signer != nil {
		keys = append(keys, nameIDKey(req.Issuer, req.NameID))
	}
	for _, k := range keys {
		if err := h.endIndexed(r.Context(), k); err != nil {
			return err
		}
	}
	return nil
}

// indexKey is the SessionStore key of an index entry: a hash, so it is never a session
// ID (32 hex digits) and reveals nothing of the NameID.
func indexKey(kind, issuer, value string) string {
	sum := sha256.Sum256([]byte("ssokit/saml slo index\x00" + kind + "\x00" + issuer + "\x00" + value))
	return "slo-" + kind + "-" + hex.EncodeToString(sum[:])
}

func nameIDKey(issuer string, n assertion.NameID) string {
	js, _ := json.Marshal([]string{n.Value, n.Format, n.NameQualifier, n.SPNameQualifier})
	return indexKey("nameid", issuer, string(js))
}

// indexEntry lists the stored sessions of one SessionIndex or NameID.
type indexEntry struct {
	IDs []string `json:"i"`
}

// indexSession records sess under its SessionIndex and NameID, so an IdP-initiated
// LogoutRequest ends it even when the browser withholds the session cookie. Only with a
// SessionStore and a Logout URL. Two logins of one SessionIndex at the same instant may
// lose one entry (read, then write): that session then ends only by its cookie.
func (h *Handlers) indexSession(ctx context.Context, sess *Session) error {
	if h.cfg.SessionStore == nil || sess.id == "" || h.sp.Config().Logout.URL == "" {
		return nil
	}
	keys := []string{nameIDKey(sess.Issuer, sessionNameID(sess))}
	if sess.SessionIndex != "" {
		keys = append(keys, indexKey("si", sess.Issuer, sess.SessionIndex))
	}
	for _, k := range keys {
		var e indexEntry
		js, err := h.cfg.SessionStore.Load(ctx, k)
		switch {
		case err == nil:
			if json.Unmarshal(js, &e) != nil {
				e = indexEntry{}
			}
		case !errors.Is(err, ErrNoSession):
			return fmt.Errorf("web: index session for Single Logout: %w", err)
		}
		e.IDs = append(slices.DeleteFunc(e.IDs, func(id string) bool { return id == sess.id }), sess.id)
		if n := len(e.IDs); n > maxIndexed {
			e.IDs = e.IDs[n-maxIndexed:]
		}
		js, err = json.Marshal(e)
		if err != nil {
			return err
		}
		// The entry lives as long as the longest session could: SessionMaxAge.
		if err := h.cfg.SessionStore.Save(ctx, k, js, h.now().Add(h.cfg.SessionMaxAge)); err != nil {
			return fmt.Errorf("web: index session for Single Logout: %w", err)
		}
	}
	return nil
}

// endIndexed deletes every stored session listed under key, then the entry.
func (h *Handlers) endIndexed(ctx context.Context, key string) error {
	js, err := h.cfg.SessionStore.Load(ctx, key)
	if errors.Is(err, ErrNoSession) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("web: end sessions for Single Logout: %w", err)
	}
	var e indexEntry
	_ = json.Unmarshal(js, &e) // a damaged entry lists nothing
	for _, id := range e.IDs {
		if err := h.cfg.SessionStore.Delete(ctx, id); err != nil {
			return fmt.Errorf("web: end sessions for Single Logout: %w", err)
		}
	}
	if err := h.cfg.SessionStore.Delete(ctx, key); err != nil {
		return fmt.Errorf("web: end sessions for Single Logout: %w", err)
	}
	return nil
}

// signedOut answers a finished sign-out: Config.SignedOutURL, or the "signed out" page,
// which says whether the IdP session ended too (a confirmed Single Logout) or may live on.
func (h *Handlers) signedOut(w http.ResponseWriter, r *http.Request, idpEnded bool) {
	w.Header().Set("Cache-Control", "no-store")
	if h.cfg.SignedOutURL != "" {
		w.Header().Set("Location", h.cfg.SignedOutURL)
		w.WriteHeader(http.StatusSeeOther)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	signedOutPage.Execute(w, struct {
		SignIn   string
		IdPEnded bool
	}{h.cfg.SignInURL, idpEnded})
}

var logoutFailedPage = template.Must(template.New("logoutfailed").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Sign-out not confirmed</title></head>
<body><h1>Sign-out not confirmed</h1>
<p>Your organization's sign-in service sent a sign-out message this app could not accept. If you signed out here, you are signed out of this app; close the browser to be sure you are signed out everywhere.</p>
<p>If this keeps happening, contact your administrator and quote reference <code>{{.Ref}}</code>.</p>
{{if .SignIn}}<p><a href="{{.SignIn}}">Sign in again</a></p>{{end}}</body></html>
`))

// showLogoutFailure answers a logout message that did not validate (already logged
// by the SP under ref): OnError, or a page that says what it means for the user.
func (h *Handlers) showLogoutFailure(w http.ResponseWriter, r *http.Request, err error, ref string) {
	if h.cfg.OnError != nil {
		h.cfg.OnError(w, r, err, ref)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'")
	w.WriteHeader(http.StatusForbidden)
	logoutFailedPage.Execute(w, struct{ Ref, SignIn string }{ref, h.cfg.SignInURL})
}
