package main

import (
	"net/http"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
)

// Entra claim names the member page picks out.
const (
	claimObjectID    = "http://schemas.microsoft.com/identity/claims/objectidentifier"
	claimTenantID    = "http://schemas.microsoft.com/identity/claims/tenantid"
	claimEmail       = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
	claimDisplayName = "http://schemas.microsoft.com/identity/claims/displayname"
	claimGroups      = "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups"
)

func claims(a *assertion.Assertion) []ClaimView {
	out := make([]ClaimView, 0, len(a.AttributeNames))
	for _, name := range a.AttributeNames {
		out = append(out, ClaimView{Name: name, Values: a.Attributes[name].Values})
	}
	return out
}

func first(a *assertion.Assertion, name string) string {
	if at, ok := a.Attributes[name]; ok && len(at.Values) > 0 {
		return at.Values[0]
	}
	return ""
}

func memberFromAssertion(org string, a *assertion.Assertion, now time.Time) *Member {
	return &Member{
		Org:         org,
		NameID:      a.NameID.Value,
		ObjectID:    first(a, claimObjectID),
		Email:       first(a, claimEmail),
		DisplayName: first(a, claimDisplayName),
		Groups:      a.Attributes[claimGroups].Values,
		Claims:      claims(a),
		LastLogin:   now,
	}
}

type orgPage struct {
	Org       *Org
	Session   *sp.Session
	Member    *Member
	MyAppsURL string // the demo IdP's My Apps, when the org signs in there
}

// serveOrg is the organization's content. Once SSO is enabled only members signed in
// through the IdP see it.
func (a *App) serveOrg(w http.ResponseWriter, r *http.Request, o *Org) {
	cur, err := a.active(o)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if cur == nil {
		a.render(w, http.StatusOK, "org", &orgPage{Org: o})
		return
	}
	cur.handlers.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, _ := sp.SessionFrom(r.Context())
		m, err := a.store.Member(r.Context(), o.Slug, sess.NameID)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		p := &orgPage{Org: o, Session: sess, Member: m}
		if a.demo != nil && o.Active.SignOnURL == a.demo.LoginURL() {
			p.MyAppsURL = a.demo.MyAppsURL()
		}
		w.Header().Set("Cache-Control", "no-store")
		a.render(w, http.StatusOK, "member", p)
	})).ServeHTTP(w, r)
}

// serveLogin starts SP-initiated sign-in for an organization with SSO enabled.
func (a *App) serveLogin(w http.ResponseWriter, r *http.Request, o *Org) {
	cur, err := a.active(o)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if cur == nil {
		http.Error(w, "SSO is not enabled for this organization", http.StatusNotFound)
		return
	}
	cur.handlers.Login().ServeHTTP(w, r)
}

// serveLogout ends the member's session in this app (not at the IdP).
func (a *App) serveLogout(w http.ResponseWriter, r *http.Request, o *Org) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if cur, err := a.active(o); err == nil && cur != nil {
		cur.handlers.Logout(w)
	}
	a.render(w, http.StatusOK, "notice", notice{Title: "Signed out", Message: "You are signed out of " + o.Name + " in this app. Your session at the identity provider continues.", Link: "/organizations/" + o.Slug, LinkText: "Sign in again"})
}

type notice struct{ Title, Message, Link, LinkText string }
