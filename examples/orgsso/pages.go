package main

import (
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

type demoValues struct{ LoginURL, Certificate, MyAppsURL, AppsURL string }

func (a *App) demoValues() *demoValues {
	if a.demo == nil {
		return nil
	}
	return &demoValues{a.demo.LoginURL(), a.demo.CertificatePEM(), a.demo.MyAppsURL(), "/demo-idp/apps"}
}

type orgRow struct {
	Org
	Enabled bool
}

// serveHome lists the organizations; signed-in admins create new ones.
func (a *App) serveHome(w http.ResponseWriter, r *http.Request) {
	a.home(w, r, http.StatusOK, "", "", "")
}

func (a *App) home(w http.ResponseWriter, r *http.Request, status int, slug, name, msg string) {
	list, err := listOrgs(r.Context(), a.db)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	rows := make([]orgRow, len(list))
	for i, o := range list {
		rows[i].Org = o
		rows[i].Enabled, _ = a.sso.Enabled(r.Context(), o.Slug)
	}
	a.render(w, status, "home", map[string]any{"Orgs": rows, "Demo": a.demoValues(), "Slug": slug, "Name": name, "Error": msg, "Admin": a.signedInAdmin(r)})
}

func (a *App) createOrg(w http.ResponseWriter, r *http.Request) {
	slug, name := strings.ToLower(strings.TrimSpace(r.PostFormValue("slug"))), strings.TrimSpace(r.PostFormValue("name"))
	if name == "" {
		name = slug
	}
	admin := a.signedInAdmin(r)
	existing, err := getOrg(r.Context(), a.db, slug)
	switch {
	case err != nil:
		a.serverError(w, r, err)
	case admin == "":
		a.home(w, r, http.StatusForbidden, slug, name, "Sign in as an admin to create an organization.")
	case !slugRE.MatchString(slug):
		a.home(w, r, http.StatusUnprocessableEntity, slug, name, "The organization ID must be 3 to 40 lower-case letters, digits or dashes, e.g. acme-corp.")
	case existing != nil:
		a.home(w, r, http.StatusUnprocessableEntity, slug, name, "An organization with this ID exists already.")
	default:
		if err := a.addOrg(Org{Slug: slug, Name: name, Admin: admin}); err != nil {
			a.serverError(w, r, err)
			return
		}
		http.Redirect(w, r, "/organizations/"+slug+"/settings/sso", http.StatusSeeOther)
	}
}

// addOrg creates an organization and, like an Entra admin creating an Enterprise
// application, tells the demo IdP its Entity ID and Reply URL.
func (a *App) addOrg(o Org) error {
	if err := createOrg(bgCtx, a.db, o); err != nil {
		return err
	}
	a.registerDemoApp(o.Slug)
	return nil
}

func (a *App) registerDemoApp(slug string) {
	if a.demo != nil {
		e := a.sso.Endpoints(slug)
		a.demo.RegisterSP(e.EntityID, e.ACSURL)
	}
}

// serveOrg is the organization's content: open while SSO is off, members only once on.
func (a *App) serveOrg(w http.ResponseWriter, r *http.Request, o *Org) {
	on, err := a.sso.Enabled(r.Context(), o.Slug)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	p := map[string]any{"Org": o}
	if on {
		sess := a.sso.Session(r, o.Slug)
		if sess == nil {
			http.Redirect(w, r, "/organizations/"+o.Slug+"/saml/login?returnTo=/organizations/"+o.Slug, http.StatusFound)
			return
		}
		m, err := getMember(r.Context(), a.db, o.Slug, sess.NameID)
		if err != nil {
			a.serverError(w, r, err)
			return
		}
		p["Session"], p["Member"] = sess, m
		if m != nil {
			p["GroupsLink"] = claimValue(m.Claims, assertion.ClaimGroupsLink)
		}
		if a.demo != nil {
			p["MyAppsURL"] = a.demo.MyAppsURL()
		}
		w.Header().Set("Cache-Control", "no-store")
		a.render(w, http.StatusOK, "member", p)
		return
	}
	a.render(w, http.StatusOK, "org", p)
}

func (a *App) logout(w http.ResponseWriter, r *http.Request, o *Org) {
	a.sso.EndSession(w, r, o.Slug)
	a.render(w, http.StatusOK, "notice", map[string]string{"Title": "Signed out", "Message": "You are signed out of " + o.Name + " in this app. Your session at the identity provider continues.", "Link": "/organizations/" + o.Slug, "LinkText": "Sign in again"})
}

// memberOf is what the member page shows later, read with the library's Entra accessors.
func memberOf(a *assertion.Assertion, now time.Time) *Member {
	groups, _ := a.Groups() // nil on overage: the page then shows the groups.link claim
	return &Member{ObjectID: a.ObjectID(), Email: a.Email(), Groups: groups, Claims: claimsOf(a), LastLogin: now}
}

func claimsOf(a *assertion.Assertion) []Claim {
	out := make([]Claim, 0, len(a.AttributeNames))
	for _, name := range a.AttributeNames {
		out = append(out, Claim{name, a.Attributes[name].Values})
	}
	return out
}

func claimValue(cs []Claim, name string) string {
	for _, c := range cs {
		if c.Name == name && len(c.Values) > 0 {
			return c.Values[0]
		}
	}
	return ""
}

// settingsPage is the SSO settings page: the values to copy into the IdP, the form
// ("Update and Test SAML configuration"), the last test, Enable, and recent sign-ins.
type settingsPage struct {
	Org                *Org
	SSO                *orgs.Org
	Endpoints          orgs.Endpoints
	Form               orgs.Settings
	Version            int // the pending version the form shows
	Errors, Warnings   map[string]string
	Flash              string
	FlashError         bool
	Demo               *demoValues
	Result             *orgs.Test
	Claims             []Claim
	CanEnable, Waiting bool // Waiting: a pending version differs from the one members use
	ActiveWarning      string
	SignIns            []orgs.SignIn
}

func (a *App) settingsPage(r *http.Request, o *Org) (*settingsPage, error) {
	p := &settingsPage{Org: o, Endpoints: a.sso.Endpoints(o.Slug), Demo: a.demoValues(), Errors: map[string]string{},
		Form: orgs.Settings{SignedAssertions: true, AllowIdPInitiated: true}, SSO: &orgs.Org{}}
	s, err := a.sso.Get(r, o.Slug)
	if errors.Is(err, orgs.ErrNotFound) {
		return p, nil
	} else if err != nil {
		return nil, err
	}
	p.SSO = s
	if v := s.Pending; v != nil {
		p.Form, p.Version, p.Result = v.Settings, v.Number, v.LastTest
		p.Warnings = orgs.Warnings(v.Settings, a.now())
		p.CanEnable = v.LastTest.Passed() && (!s.Enabled || s.Active.Number != v.Number)
		p.Waiting = s.Enabled && s.Active.Number != v.Number
	}
	if s.Enabled {
		p.ActiveWarning = orgs.Warnings(s.Active.Settings, a.now())[orgs.FieldCertificate]
	}
	if t := p.Result; t != nil && t.Diagnosis.Signed != nil {
		p.Claims = claimsOf(t.Diagnosis.Signed)
	}
	p.SignIns, err = a.sso.SignIns(r, o.Slug, 10)
	return p, err
}

func (a *App) showSettings(w http.ResponseWriter, r *http.Request, o *Org, status int, edit func(*settingsPage)) {
	p, err := a.settingsPage(r, o)
	if errors.Is(err, orgs.ErrUnauthorized) {
		a.render(w, http.StatusForbidden, "notice", map[string]string{"Title": "Admins only", "Message": "Only an admin of " + o.Name + " can change its single sign-on. (" + err.Error() + ")",
			"Link": "/admin/login?next=/organizations/" + o.Slug + "/settings/sso", "LinkText": "Sign in as an admin"})
		return
	} else if err != nil {
		a.serverError(w, r, err)
		return
	}
	if edit != nil {
		edit(p)
	}
	a.render(w, status, "settings", p)
}

func (a *App) serveSettings(w http.ResponseWriter, r *http.Request, o *Org) {
	a.showSettings(w, r, o, http.StatusOK, nil)
}

// updateAndTest saves the form as the pending configuration and sends the admin's
// browser to the IdP; sp/orgs diagnoses the answer and sends the admin back here.
func (a *App) updateAndTest(w http.ResponseWriter, r *http.Request, o *Org) {
	s := orgs.Settings{
		LoginURL: r.PostFormValue(orgs.FieldLoginURL), Certificate: r.PostFormValue(orgs.FieldCertificate), IdPEntityID: r.PostFormValue(orgs.FieldIdPEntityID),
		SignedAssertions: r.PostFormValue("signed_assertions") != "", AllowIdPInitiated: r.PostFormValue("allow_idp_initiated") != "",
		AllowedEmailDomains: []string{r.PostFormValue(orgs.FieldAllowedEmailDomains)},
	}
	if a.demo != nil && strings.TrimSpace(s.LoginURL) == a.demo.LoginURL() && s.IdPEntityID == "" {
		s.IdPEntityID = a.demo.EntityID() // as Entra's Login URL names its tenant
	}
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	_, err := a.sso.Save(r, o.Slug, s, version)
	if err == nil {
		err = a.sso.StartTest(w, r, o.Slug)
	}
	var se *orgs.SettingsError
	switch {
	case err == nil:
	case errors.As(err, &se):
		a.showSettings(w, r, o, http.StatusUnprocessableEntity, func(p *settingsPage) {
			p.Form, p.Errors, p.Flash, p.FlashError = se.Settings, se.Fields, "Nothing was saved: fix the fields marked below.", true
		})
	default:
		a.adminError(w, r, o, err)
	}
}

func (a *App) enable(w http.ResponseWriter, r *http.Request, o *Org) {
	version, _ := strconv.Atoi(r.PostFormValue("version"))
	if _, err := a.sso.Enable(r, o.Slug, version); err != nil {
		a.adminError(w, r, o, err)
		return
	}
	http.Redirect(w, r, "/organizations/"+o.Slug+"/settings/sso", http.StatusSeeOther)
}

func (a *App) disable(w http.ResponseWriter, r *http.Request, o *Org) {
	if _, err := a.sso.Disable(r, o.Slug); err != nil {
		a.adminError(w, r, o, err)
		return
	}
	http.Redirect(w, r, "/organizations/"+o.Slug+"/settings/sso", http.StatusSeeOther)
}

// adminError shows a refused admin action on the settings page.
func (a *App) adminError(w http.ResponseWriter, r *http.Request, o *Org, err error) {
	status, msg := http.StatusConflict, "Run Update and Test SAML configuration successfully before enabling SSO."
	switch {
	case errors.Is(err, orgs.ErrUnauthorized), errors.Is(err, orgs.ErrCrossOrigin):
		http.Error(w, "Refused: "+err.Error(), http.StatusForbidden)
		return
	case errors.Is(err, orgs.ErrConflict):
		msg = "Another admin changed these settings meanwhile; nothing was saved. Here is the current state."
	case !errors.Is(err, orgs.ErrNotTested) && !errors.Is(err, orgs.ErrNoPending):
		a.serverError(w, r, err)
		return
	}
	a.showSettings(w, r, o, status, func(p *settingsPage) { p.Flash, p.FlashError = msg, true })
}

// appFix words the library's advice for this page: by the advice's stable code, so
// the page can name its own controls where the library names its Config fields.
func appFix(c sp.Check) string {
	if p, ok := sp.ProblemOf(c.Err); ok && p.Fix.Code == sp.CodeRequireSignedAssertion {
		return `in Entra, set Signing Option to "Sign SAML assertion" or "Sign SAML response and assertion", or untick "Signed Assertions" here`
	}
	return c.Fix
}
