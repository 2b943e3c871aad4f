package main

import (
	"net/http"
	"time"

	"github.com/ssokit/saml/sp"
)

// serveACS receives the IdP's POST. A test started by Update and Test is diagnosed and
// reported to the admin; anything else is a member signing in, validated by the active
// configuration.
func (a *App) serveACS(w http.ResponseWriter, r *http.Request, o *Org) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "the Assertion Consumer Service takes the IdP's HTTP-POST", http.StatusMethodNotAllowed)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "cannot read the form", http.StatusBadRequest)
		return
	}
	if rs := r.PostForm.Get("RelayState"); isTestRelayState(rs) {
		a.finishTest(w, r, o, rs, r.PostForm.Get("SAMLResponse"))
		return
	}
	cur, err := a.active(o)
	if err != nil {
		a.serverError(w, r, err)
		return
	}
	if cur == nil {
		a.log.WarnContext(r.Context(), "orgsso: SAML response for an organization without SSO enabled", "org", o.Slug)
		a.render(w, http.StatusForbidden, "notice", notice{Title: "SSO is not enabled", Message: "Single sign-on is not enabled for " + o.Name + ". An admin must test and enable it first."})
		return
	}
	cur.handlers.ACS().ServeHTTP(w, r)
}

func isTestRelayState(rs string) bool { return len(rs) == len("test-")+32 && rs[:5] == "test-" }

// resultFromDiagnosis keeps what the settings page shows of a diagnosis.
func resultFromDiagnosis(d *sp.Diagnosis, version int, now time.Time) *TestResult {
	res := &TestResult{Version: version, At: now.UTC(), OK: d.OK}
	for _, c := range d.Checks {
		res.Checks = append(res.Checks, CheckView{Name: c.Name, Status: string(c.Status), Expected: c.Expected, Received: c.Received, Fix: appFix(c)})
	}
	if d.Signed != nil { // what the IdP signed, shown even when a check failed
		res.NameID = d.Signed.NameID.Value
		res.Issuer = d.Signed.Issuer
		res.Claims = claims(d.Signed)
	}
	return res
}

// appFix words the library's advice for this page: by the advice's stable code, so
// the page can name its own controls where the library names its Config fields.
func appFix(c sp.Check) string {
	p, ok := sp.ProblemOf(c.Err)
	if !ok {
		return c.Fix
	}
	switch p.Fix.Code {
	case sp.CodeRequireSignedAssertion:
		return `in Entra, set Signing Option to "Sign SAML assertion" or "Sign SAML response and assertion", or untick "Signed Assertions" here`
	}
	return p.Fix.Text
}
