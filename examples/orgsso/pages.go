package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
)

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$`)

// home lists the organizations; signed-in admins create new ones.
func (a *App) home(w http.ResponseWriter, r *http.Request, status int, slug, name, msg string) {
	list, err := a.store.List(r.Context())
	var rows []map[string]any
	for _, s := range list {
		if o, _ := getOrg(r.Context(), a.db, s.ID); o != nil {
			row := map[string]any{"Slug": o.Slug, "Name": o.Name, "Enabled": s.Enabled}
			if tr, err := a.sso.Trust(r, o.Slug); err == nil { // the signed-in admin's organizations only
				row["Expiring"] = tr.Expiring
			}
			rows = append(rows, row)
		}
	}
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	a.render(w, status, "home", map[string]any{"Orgs": rows, "Demo": a.demoValues(), "Slug": slug, "Name": name, "Error": msg, "Admin": a.signedInAdmin(r)})
}

func (a *App) createOrg(w http.ResponseWriter, r *http.Request) {
	slug := strings.ToLower(strings.TrimSpace(r.PostFormValue("slug")))
	name := cmp.Or(strings.TrimSpace(r.PostFormValue("name")), slug)
	admin := a.signedInAdmin(r)
	existing, err := getOrg(r.Context(), a.db, slug)
	switch {
	case admin == "":
		a.home(w, r, http.StatusForbidden, slug, name, "Sign in as an admin to create an organization.")
	case !slugRE.MatchString(slug):
		a.home(w, r, http.StatusUnprocessableEntity, slug, name, "The organization ID must be 3 to 40 lower-case letters, digits or dashes, e.g. acme-corp.")
	case existing != nil:
		a.home(w, r, http.StatusUnprocessableEntity, slug, name, "An organization with this ID exists already.")
	case err == nil:
		err = a.addOrg(r.Context(), Org{Slug: slug, Name: name, Admin: admin})
		if err == nil {
			http.Redirect(w, r, "/organizations/"+slug+"/settings/sso", http.StatusSeeOther)
			return
		}
	}
	if err != nil {
		a.serverError(w, r, err)
	}
}

// addOrg creates an organization (with no SSO configuration yet) and, as an Entra admin
// creates an Enterprise application, tells the demo IdP its Entity ID and Reply URL.
func (a *App) addOrg(ctx context.Context, o Org) error {
	if err := store(ctx, a.db, "org/"+o.Slug, o); err != nil {
		return err
	}
	if err := a.store.Create(ctx, &orgs.Org{ID: o.Slug}); err != nil && !errors.Is(err, orgs.ErrExists) {
		return err
	}
	a.registerDemoApp(o.Slug)
	return nil
}

// serveOrg is the organization's content: open while SSO is off, members only once on.
func (a *App) serveOrg(w http.ResponseWriter, r *http.Request, o *Org) {
	on, err := a.sso.Enabled(r.Context(), o.Slug)
	p := map[string]any{"Org": o}
	if !on || err != nil {
		a.render(w, http.StatusOK, "org", p)
		return
	}
	sess := a.sso.Session(r, o.Slug)
	if sess == nil {
		http.Redirect(w, r, "/organizations/"+o.Slug+"/saml/login?returnTo=/organizations/"+o.Slug, http.StatusFound)
		return
	}
	m := new(Member)
	if ok, _ := load(r.Context(), a.db, "member/"+o.Slug+"/"+sess.NameID, m); ok {
		p["Member"] = m
	}
	p["Session"], p["Demo"] = sess, a.demoValues()
	w.Header().Set("Cache-Control", "no-store")
	a.render(w, http.StatusOK, "member", p)
}

// settingsPage is the SSO settings page: the values to copy into the IdP, the form
// ("Update and Test SAML configuration"), the last test, Enable, and recent sign-ins.
type settingsPage struct {
	*orgs.View
	Org    *Org
	Errors map[string]string
	Flash  string
	Demo   *demoValues
	Result *orgs.Test // the pending version's last test (the template lists its claims)
	// Trust is what members are verified against: signer notices, expiry banners.
	Trust           *orgs.Trust
	DemoMetadataURL string // the demo IdP's App Federation Metadata Url for this org
}

// Field is what the form shows under the input named name.
func (p *settingsPage) Field(name string) struct{ Name, Error, Warning string } {
	return struct{ Name, Error, Warning string }{name, p.Errors[name], p.Warnings[name]}
}

func (a *App) showSettings(w http.ResponseWriter, r *http.Request, o *Org, status int, edit func(*settingsPage)) {
	v, err := a.sso.View(r, o.Slug, 10)
	if errors.Is(err, orgs.ErrUnauthorized) {
		a.render(w, http.StatusForbidden, "notice", map[string]string{"Title": "Admins only", "Message": "Only an admin of " + o.Name + " can change its single sign-on. (" + err.Error() + ")",
			"Link": "/admin/login?next=/organizations/" + o.Slug + "/settings/sso", "LinkText": "Sign in as an admin"})
		return
	} else if err != nil {
		a.serverError(w, r, err)
		return
	}
	p := &settingsPage{View: v, Org: o, Demo: a.demoValues(), DemoMetadataURL: a.demoMetadataURL(o.Slug)}
	if p.Trust, err = a.sso.Trust(r, o.Slug); err != nil {
		a.serverError(w, r, err)
		return
	}
	if pv := v.Org.Pending; pv != nil && pv.LastTest != nil {
		p.Result = pv.LastTest
	}
	if edit != nil {
		edit(p)
	}
	a.render(w, status, "settings", p)
}

// updateAndTest saves the form as the pending configuration and sends the admin's
// browser to the IdP; sp/orgs diagnoses the answer and sends the admin back here.
func (a *App) updateAndTest(w http.ResponseWriter, r *http.Request, o *Org) {
	s, version := orgs.SettingsFromForm(r)
	_, err := a.sso.Save(r, o.Slug, a.demoDefaults(s), version)
	if err == nil {
		err = a.sso.StartTest(w, r, o.Slug)
	}
	var se *orgs.SettingsError
	if errors.As(err, &se) {
		a.showSettings(w, r, o, http.StatusUnprocessableEntity, func(p *settingsPage) {
			p.Form, p.Errors, p.Flash = se.Settings, se.Fields, "Nothing was saved: fix the fields marked below."
		})
	} else if err != nil {
		a.adminError(w, r, o, err)
	}
}

func (a *App) enable(w http.ResponseWriter, r *http.Request, o *Org) {
	version, _ := strconv.Atoi(r.PostFormValue(orgs.FieldVersion))
	_, err := a.sso.Enable(r, o.Slug, version)
	a.adminError(w, r, o, err)
}

func (a *App) disable(w http.ResponseWriter, r *http.Request, o *Org) {
	_, err := a.sso.Disable(r, o.Slug)
	a.adminError(w, r, o, err)
}

// adminError shows the outcome of an admin action on the settings page.
func (a *App) adminError(w http.ResponseWriter, r *http.Request, o *Org, err error) {
	msg := "Run Update and Test SAML configuration successfully before enabling SSO."
	switch {
	case err == nil:
		http.Redirect(w, r, "/organizations/"+o.Slug+"/settings/sso", http.StatusSeeOther)
		return
	case errors.Is(err, orgs.ErrUnauthorized), errors.Is(err, orgs.ErrCrossOrigin):
		http.Error(w, "Refused: "+err.Error(), http.StatusForbidden)
		return
	case errors.Is(err, orgs.ErrConflict):
		msg = "Another admin changed these settings meanwhile; nothing was saved. Here is the current state."
	case !errors.Is(err, orgs.ErrNotTested) && !errors.Is(err, orgs.ErrNoPending):
		a.serverError(w, r, err)
		return
	}
	a.showSettings(w, r, o, http.StatusConflict, func(p *settingsPage) { p.Flash = msg })
}

// appFix words the library's advice for this page: by the advice's stable code, so
// the page can name its own controls where the library names its Config fields.
func appFix(c sp.Check) string {
	if p, ok := sp.ProblemOf(c.Err); ok && p.Fix.Code == sp.CodeRequireSignedAssertion {
		return `in Entra, set Signing Option to "Sign SAML assertion" or "Sign SAML response and assertion", or untick "Signed Assertions" here`
	}
	return c.Fix
}
