package web

import (
	"html/template"
	"net/http"
	"net/url"
)

// SignOut is the sign-out handler: a POST from a page of this site ends the default
// session (EndSession) and shows a "signed out" page, or redirects to
// Config.SignedOutURL. Other methods get 405; a POST another site made the browser send
// (Origin or Sec-Fetch-Site says so) gets 403.
//
// Signing out here does not end the user's session at the IdP, so a plain sign-in
// afterwards would sign them straight back in, the same account, without a prompt. So
// the next sign-in from this browser asks the IdP to authenticate the user again
// (ForceAuthn: Entra shows its sign-in page). To always ask, add sp.ForceAuthn() to
// Config.RequestOptions. To end the IdP session too, use Single Logout: when the SP has
// a Logout URL (sp.Config.Logout.URL, served by Logout) and the IdP one (IdP.SLOURL),
// SignOut sends the browser on to the IdP with a LogoutRequest, and Logout shows the
// "signed out" page when the IdP answers.
func (h *Handlers) SignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "sign out with a POST", http.StatusMethodNotAllowed)
			return
		}
		if !h.sameOrigin(r) {
			w.Header().Set("Cache-Control", "no-store")
			http.Error(w, "cross-site sign-out refused", http.StatusForbidden)
			return
		}
		sess := h.Session(r)
		if err := h.EndSession(w, r); err != nil {
			h.fail(w, r, http.StatusServiceUnavailable, err)
			return
		}
		http.SetCookie(w, h.cookie(h.signedOutCookieName(), "1", h.now().Add(h.cfg.SessionMaxAge), false))
		if h.startSingleLogout(w, r, sess) {
			return
		}
		h.signedOut(w, r, false)
	})
}

var signedOutPage = template.Must(template.New("signedout").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Signed out</title></head>
<body><h1>You are signed out</h1>
{{if .IdPEnded}}<p>You are signed out of this app and of your organization's sign-in service.</p>
{{else}}<p>You are signed out of this app. You may still be signed in at your organization's sign-in service; close the browser to end that too.</p>
{{end}}{{if .SignIn}}<p><a href="{{.SignIn}}">Sign in again</a></p>{{end}}</body></html>
`))

// signedOutCookieName marks a browser that signed out, so its next login asks the IdP
// for a fresh authentication. Whoever sets it can only cause an extra sign-in prompt.
func (h *Handlers) signedOutCookieName() string { return h.cookiePrefix() + "signedout" }

// sameOrigin reports whether a POST came from a page of this site, by the headers
// browsers add (Sec-Fetch-Site, Origin). A request with neither is not from a current
// browser, so no site could have made it on a user's behalf.
func (h *Handlers) sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	return origin == h.origin
}

// originOf is scheme://host[:port] of an absolute URL.
func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }
