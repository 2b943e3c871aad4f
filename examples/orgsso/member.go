package main

import (
	"net/http"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp/web"
)

func claims(a *assertion.Assertion) []ClaimView {
	out := make([]ClaimView, 0, len(a.AttributeNames))
	for _, name := range a.AttributeNames {
		out = append(out, ClaimView{Name: name, Values: a.Attributes[name].Values})
	}
	return out
}

// memberFromAssertion is what the member page shows later: the identity and the claims,
// read with the library's Entra accessors.
func memberFromAssertion(org string, a *assertion.Assertion, now time.Time) *Member {
	groups, _ := a.Groups() // nil on overage: the page then shows the groups.link claim
	return &Member{
		Org:         org,
		NameID:      a.NameID.Value,
		ObjectID:    a.ObjectID(),
		Email:       a.Email(),
		DisplayName: a.DisplayName(),
		Groups:      groups,
		Claims:      claims(a),
		LastLogin:   now,
	}
}

// groupsLink is the Graph URL Entra sends instead of the groups when a user is in more than
// 150 of them, or "".
func groupsLink(m *Member) string {
	for _, c := range m.Claims {
		if c.Name == assertion.ClaimGroupsLink && len(c.Values) > 0 {
			return c.Values[0]
		}
	}
	return ""
}

type orgPage struct {
	Org        *Org
	Session    *web.Session
	Member     *Member
	GroupsLink string // set when Entra sent a groups overage link instead of the groups
	MyAppsURL  string // the demo IdP's My Apps, when the org signs in there
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
		sess, _ := web.SessionFrom(r.Context())
		m, err := a.store.Member(r.Context(), o.Slug, sess.NameID)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		p := &orgPage{Org: o, Session: sess, Member: m}
		if m != nil {
			p.GroupsLink = groupsLink(m)
		}
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
		cur.handlers.EndSession(w, r)
	}
	a.render(w, http.StatusOK, "notice", notice{Title: "Signed out", Message: "You are signed out of " + o.Name + " in this app. Your session at the identity provider continues.", Link: "/organizations/" + o.Slug, LinkText: "Sign in again"})
}

type notice struct{ Title, Message, Link, LinkText string }
