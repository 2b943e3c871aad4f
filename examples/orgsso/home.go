package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
)

type homePage struct {
	Orgs  []*Org
	Demo  *demoValues
	Slug  string
	Name  string
	Error string
}

// serveHome lists the organizations and creates new ones.
func (a *App) serveHome(w http.ResponseWriter, r *http.Request) {
	p := &homePage{}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		p.Slug = strings.ToLower(strings.TrimSpace(r.PostFormValue("slug")))
		p.Name = strings.TrimSpace(r.PostFormValue("name"))
		if p.Name == "" {
			p.Name = p.Slug
		}
		switch _, err := a.store.Org(r.Context(), p.Slug); {
		case !slugRE.MatchString(p.Slug):
			p.Error = "The organization ID must be 3 to 40 lower-case letters, digits or dashes, e.g. acme-corp."
		case err == nil:
			p.Error = "An organization with this ID exists already."
		default:
			if err := a.createOrg(r, p.Slug, p.Name); err != nil {
				a.serverError(w, r, err)
				return
			}
			http.Redirect(w, r, "/organizations/"+p.Slug+"/settings/sso", http.StatusSeeOther)
			return
		}
		status = http.StatusUnprocessableEntity
	}
	orgs, err := a.store.Orgs(r.Context())
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	p.Orgs = orgs
	if a.demo != nil {
		p.Demo = &demoValues{LoginURL: a.demo.LoginURL(), MyAppsURL: a.demo.MyAppsURL(), AppsURL: "/demo-idp/apps"}
	}
	a.render(w, status, "home", p)
}

func (a *App) createOrg(r *http.Request, slug, name string) error {
	if err := a.store.CreateOrg(r.Context(), &Org{Slug: slug, Name: name, CreatedAt: a.now()}); err != nil {
		return err
	}
	a.registerDemoApp(slug)
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b)
}
