package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// demoIdPSignedIn reports whether the browser holds a live session cookie of the demo IdP.
func (e *e2e) demoIdPSignedIn() bool {
	u, _ := url.Parse(e.idp.LoginURL())
	for _, c := range e.jar.Cookies(u) {
		if c.Name == "demoidp_session" && c.Value != "" {
			return true
		}
	}
	return false
}

func (e *e2e) signInToApp() {
	e.t.Helper()
	p := e.signIn(e.get(e.spURL + "/app"))
	e.landed(e.submit(p, nil), "/app")
	if !e.demoIdPSignedIn() {
		e.t.Fatal("control: no IdP session after sign-in")
	}
}

// "Sign out" in the app ends the IdP session too (demo IdP, Single Logout over
// HTTP-Redirect, signed both ways): the user lands on the signed-out page and the next
// visit asks for the password again instead of silently signing back in.
func TestE2ESignOutEndsTheIdPSession(t *testing.T) {
	e := newE2E(t, e2eOptions{slo: true})
	e.signInToApp()
	p := e.read(e.browser.PostForm(e.spURL+"/signout", nil))
	if p.status != http.StatusOK || !strings.Contains(p.body, "You are signed out") || p.url.Path != "/saml/logout" {
		t.Fatalf("after sign-out at %s (status %d):\n%s\nlog: %s", p.url, p.status, p.body, e.log.all())
	}
	if e.demoIdPSignedIn() {
		t.Error("the IdP session outlived the app's sign-out")
	}
	u, _ := url.Parse(e.spURL)
	for _, c := range e.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "-signedout") {
			t.Errorf("the ForceAuthn marker %s outlived a confirmed Single Logout", c.Name)
		}
	}
	if next := e.get(e.spURL + "/app"); !strings.Contains(next.body, `name="password"`) {
		t.Errorf("the next visit did not ask for the password (status %d at %s):\n%s", next.status, next.url, next.body)
	}
}

var frameSrc = regexp.MustCompile(`<iframe class="slo" src="([^"]*)"`)

// Signing out at the IdP (My Apps → Sign out) sends the app a LogoutRequest in a frame
// of the sign-out page; the app's session ends and the next visit asks for the password.
func TestE2ESignOutAtTheIdPEndsTheAppSession(t *testing.T) {
	e := newE2E(t, e2eOptions{slo: true})
	e.signInToApp()
	p := e.get(e.idp.SignOutURL())
	frames := frameSrc.FindAllStringSubmatch(p.body, -1)
	if len(frames) != 1 {
		t.Fatalf("sign-out page has %d frames, want one for the app:\n%s", len(frames), p.body)
	}
	f := e.get(html.UnescapeString(frames[0][1])) // the frame: app's Logout URL → LogoutResponse to the IdP
	if !strings.Contains(f.body, "You signed out") || !strings.HasPrefix(f.url.String(), e.idp.LoginURL()+"?SAMLResponse=") {
		t.Errorf("the frame ended at %s (status %d):\n%s\nlog: %s", f.url, f.status, f.body, e.log.all())
	}
	if next := e.get(e.spURL + "/app"); !strings.Contains(next.body, `name="password"`) {
		t.Errorf("the app's session outlived the IdP's sign-out (status %d at %s):\n%s", next.status, next.url, next.body)
	}
}
