package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
)

const testCookie = "orgsso-test"

type settingsPage struct {
	Org         *Org
	ACSURL      string
	EntityID    string
	MetadataURL string
	Form        IdPSettings
	Errors      fieldErrors
	Warnings    fieldErrors
	Flash       string
	FlashError  bool
	Demo        *demoValues
	Result      *TestResult
	Stale       bool // the result is for an earlier version of the configuration
	CanEnable   bool
	// ActiveWarning is about the certificates members sign in with, e.g. one expires soon.
	ActiveWarning string
}

type demoValues struct{ LoginURL, Certificate, MyAppsURL, AppsURL string }

func (a *App) settingsPage(o *Org) *settingsPage {
	p := &settingsPage{
		Org:         o,
		ACSURL:      a.acsURL(o.Slug),
		EntityID:    a.spEntityID(o.Slug),
		MetadataURL: a.spEntityID(o.Slug),
		Form:        IdPSettings{SignedAssertions: true, AllowIdPInitiated: true},
		Errors:      fieldErrors{},
		Warnings:    fieldErrors{},
		Result:      o.LastTest,
		CanEnable:   o.Tested() && !o.Enabled,
	}
	if o.Pending != nil {
		p.Form = *o.Pending
		if cs, err := certs.Parse([]byte(o.Pending.Certificate)); err == nil {
			if msg, _ := expiryMessage(cs, a.now()); msg != "" {
				p.Warnings[fieldCertificate] = msg
			}
		}
	}
	if o.Enabled && o.Active != nil {
		if cs, err := certs.Parse([]byte(o.Active.Certificate)); err == nil {
			p.ActiveWarning, _ = expiryMessage(cs, a.now())
		}
	}
	if p.Result != nil && p.Result.Version != o.PendingVersion {
		p.Stale = true
	}
	if a.demo != nil {
		p.Demo = &demoValues{
			LoginURL:    a.demo.LoginURL(),
			Certificate: a.demo.CertificatePEM(),
			MyAppsURL:   a.demo.MyAppsURL(),
			AppsURL:     "/demo-idp/apps",
		}
	}
	return p
}

// serveSettings shows the SSO settings; its form is "Update and Test SAML configuration".
func (a *App) serveSettings(w http.ResponseWriter, r *http.Request, o *Org) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		a.render(w, http.StatusOK, "settings", a.settingsPage(o))
	case http.MethodPost:
		a.updateAndTest(w, r, o)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// updateAndTest checks the form, saves it as the pending configuration, and sends the
// admin's browser to the IdP with an AuthnRequest whose answer the ACS will diagnose.
func (a *App) updateAndTest(w http.ResponseWriter, r *http.Request, o *Org) {
	s := settingsFromForm(r)
	idp, errs, warns := a.idpFromSettings(&s, true)
	if len(errs) > 0 {
		p := a.settingsPage(o)
		p.Form, p.Errors, p.Warnings = s, errs, warns
		p.Flash, p.FlashError = "Nothing was saved: fix the fields marked below.", true
		a.render(w, http.StatusUnprocessableEntity, "settings", p)
		return
	}
	o.Pending = &s
	o.PendingVersion++
	if err := a.store.SaveOrg(r.Context(), o); err != nil {
		a.serverError(w, r, err)
		return
	}
	p, err := a.newSP(o.Slug, &s, idp)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	run := &testRun{org: o.Slug, version: o.PendingVersion, expires: a.now().Add(testTimeout)}
	token := a.startTest(run)
	redirect, id, err := p.AuthnRequestURL(token)
	if err != nil {
		a.takeTest(token)
		a.serverError(w, r, err)
		return
	}
	a.mu.Lock()
	run.requestID = id
	a.mu.Unlock()
	// The cookie binds the test to this browser: a response posted from elsewhere with the
	// same RelayState is not taken as this admin's test.
	c := &http.Cookie{Name: testCookie, Value: token, Path: "/organizations/" + o.Slug + "/saml/consume",
		MaxAge: int(testTimeout.Seconds()), HttpOnly: true, Secure: a.secure}
	if a.secure {
		c.SameSite = http.SameSiteNoneMode // the IdP's POST back is cross-site
	}
	http.SetCookie(w, c)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, redirect, http.StatusSeeOther)
}

// finishTest diagnoses the IdP's answer to a test. It never signs anyone in.
func (a *App) finishTest(w http.ResponseWriter, r *http.Request, o *Org, relayState, samlResponse string) {
	c, cerr := r.Cookie(testCookie)
	http.SetCookie(w, &http.Cookie{Name: testCookie, Path: "/organizations/" + o.Slug + "/saml/consume", MaxAge: -1, HttpOnly: true, Secure: a.secure})
	if cerr != nil || c.Value != relayState {
		// Checked before the run is taken, so a stray post cannot use up the admin's test.
		a.testProblem(w, o, "This test answer came to a browser that did not start the test. Run Update and Test again from this browser.")
		return
	}
	run := a.takeTest(relayState)
	switch {
	case run == nil:
		a.testProblem(w, o, "This test answer arrived after the test expired, or was already used. Run Update and Test again.")
		return
	case run.org != o.Slug:
		a.testProblem(w, o, "This test answer belongs to another organization.")
		return
	case o.PendingVersion != run.version || o.Pending == nil:
		a.testProblem(w, o, "The configuration changed while the test was running. Run Update and Test again.")
		return
	}
	s := *o.Pending
	idp, errs, _ := a.idpFromSettings(&s, false)
	if len(errs) > 0 {
		a.testProblem(w, o, fmt.Sprintf("The saved configuration no longer validates: %v", errs))
		return
	}
	p, err := a.newSP(o.Slug, &s, idp)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	d := p.Diagnose(r.Context(), samlResponse, run.requestID)
	res := resultFromDiagnosis(d, run.version, a.now())
	o.LastTest = res
	if d.OK {
		o.TestedVersion = run.version
		if o.Enabled {
			// The new configuration just proved itself: members use it from now on.
			o.Active, o.ActiveVersion = o.Pending, o.PendingVersion
			res.Note = "SSO is enabled: members sign in with this configuration from now on."
		}
	} else if o.Enabled {
		res.Note = "SSO stays enabled with the previous configuration until a test of a new one passes."
	}
	if err := a.store.SaveOrg(r.Context(), o); err != nil {
		a.serverError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/organizations/"+o.Slug+"/settings/sso#test-result", http.StatusSeeOther)
}

func (a *App) testProblem(w http.ResponseWriter, o *Org, msg string) {
	p := a.settingsPage(o)
	p.Flash, p.FlashError = msg, true
	a.render(w, http.StatusBadRequest, "settings", p)
}

// serveEnable turns SSO on (only after a successful test) or off.
func (a *App) serveEnable(w http.ResponseWriter, r *http.Request, o *Org, enable bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	if enable {
		if !o.Tested() {
			p := a.settingsPage(o)
			p.Flash, p.FlashError = "Run Update and Test SAML configuration successfully before enabling SSO.", true
			a.render(w, http.StatusConflict, "settings", p)
			return
		}
		o.Active, o.ActiveVersion, o.Enabled = o.Pending, o.PendingVersion, true
	} else {
		o.Enabled = false
	}
	if err := a.store.SaveOrg(r.Context(), o); err != nil {
		a.serverError(w, r, err)
		return
	}
	http.Redirect(w, r, "/organizations/"+o.Slug+"/settings/sso", http.StatusSeeOther)
}

// serveMetadata serves the org's SP metadata; ?download=1 makes it a file download.
func (a *App) serveMetadata(w http.ResponseWriter, r *http.Request, o *Org) {
	signed := true
	if o.Pending != nil {
		signed = o.Pending.SignedAssertions
	}
	xml, err := metadata.SP{
		EntityID:             a.spEntityID(o.Slug),
		ACSURL:               a.acsURL(o.Slug),
		WantAssertionsSigned: signed,
		NameIDFormats:        []string{"urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
	}.XML()
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	if r.URL.Query().Get("download") != "" {
		w.Header().Set("Content-Disposition", `attachment; filename="`+strings.ReplaceAll(o.Slug, `"`, "")+`-sp-metadata.xml"`)
	}
	w.Write(xml)
}
