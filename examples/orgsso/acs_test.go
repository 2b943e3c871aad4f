package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ssokit/saml/internal/demoidp"
)

// heldTestResponse runs Update and Test up to the IdP's answer and returns that answer
// unposted, with the admin's browser.
func heldTestResponse(t *testing.T, ts *testServer, cert string) (*browser, url.Values) {
	t.Helper()
	b := newAdmin(t, ts)
	b.hold = true
	body := b.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), cert))
	b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if b.held == nil {
		t.Fatal("the IdP did not answer with a SAMLResponse form")
	}
	if !strings.HasPrefix(b.held.Get("RelayState"), "ts") {
		t.Fatalf("RelayState %q is not a test RelayState", b.held.Get("RelayState"))
	}
	return b, b.held
}

// TestTestAnswerIsBoundToTheAdminsBrowser: a test answer posted from a browser that did not
// start the test is not recorded as the test's result.
func TestTestAnswerIsBoundToTheAdminsBrowser(t *testing.T) {
	ts := newTestServer(t)
	admin, answer := heldTestResponse(t, ts, ts.app.demo.CertificatePEM())
	other := newBrowser(t)
	body := other.post(ts.srv.URL+"/organizations/acme/saml/consume", answer)
	if other.status() != http.StatusForbidden || !strings.Contains(body, "did not start the test") {
		t.Fatalf("status %d:\n%s", other.status(), body)
	}
	if o := ts.ssoOf(t, "acme"); o.Pending.LastTest != nil {
		t.Errorf("a foreign browser's answer was recorded: %+v", o.Pending.LastTest)
	}
	// The stray post did not use up the admin's test.
	admin.hold = false
	if body := admin.post(ts.srv.URL+"/organizations/acme/saml/consume", answer); !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("the admin's own answer after a stray post:\n%s", body)
	}
}

// TestTestAnswerIsUsedOnce: the same test answer posted twice is diagnosed once.
func TestTestAnswerIsUsedOnce(t *testing.T) {
	ts := newTestServer(t)
	b, answer := heldTestResponse(t, ts, ts.app.demo.CertificatePEM())
	b.hold = false
	acs := mustURL(t, ts.app.acsURL("acme"))
	saved := b.client.Jar.Cookies(acs)
	if body := b.post(ts.srv.URL+"/organizations/acme/saml/consume", answer); !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("first post:\n%s", body)
	}
	// The first answer deleted the test cookie; put it back, as a replaying client would.
	b.client.Jar.SetCookies(acs, saved)
	body := b.post(ts.srv.URL+"/organizations/acme/saml/consume", answer)
	if b.status() != http.StatusForbidden || !strings.Contains(body, "already used") {
		t.Fatalf("second post: status %d:\n%s", b.status(), body)
	}
}

// TestTestAnswerForAnOlderConfigurationIsNotRecorded: settings saved while a test runs make
// that test's answer stale.
func TestTestAnswerForAnOlderConfigurationIsNotRecorded(t *testing.T) {
	ts := newTestServer(t)
	b, answer := heldTestResponse(t, ts, ts.app.demo.CertificatePEM())
	// Another admin saves while the first test runs.
	other := newAdmin(t, ts)
	other.hold = true
	other.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), otherCertPEM))
	body := b.post(ts.srv.URL+"/organizations/acme/saml/consume", answer)
	if !strings.Contains(body, "The configuration changed while the test was running") {
		t.Fatalf("status %d:\n%s", b.status(), body)
	}
	if o := ts.ssoOf(t, "acme"); o.Pending.LastTest != nil {
		t.Error("a stale test was recorded for the new configuration")
	}
}

// TestACSRefusesSignInWhileSSOIsDisabled: without Enable, a valid IdP-initiated response
// signs nobody in.
func TestACSRefusesSignInWhileSSOIsDisabled(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t)
	body := b.get(ts.app.demo.IdPInitiatedURL(ts.app.spEntityID("acme"), ""))
	body = b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if b.status() != http.StatusForbidden || !strings.Contains(body, "not enabled") {
		t.Fatalf("status %d:\n%s", b.status(), body)
	}
}

// enableAcme runs a passing test and enables SSO for acme.
func enableAcme(t *testing.T, ts *testServer, allowIdPInitiated bool) {
	t.Helper()
	enableOrg(t, ts, "acme", allowIdPInitiated)
}

// enableOrg runs a passing test against the demo IdP and enables SSO for an organization.
func enableOrg(t *testing.T, ts *testServer, slug string, allowIdPInitiated bool) {
	t.Helper()
	b := newAdmin(t, ts)
	form := settingsForm(ts.app.demo.LoginURL(), ts.app.demo.CertificatePEM())
	if !allowIdPInitiated {
		form.Del(fieldIdPInit)
	}
	body := b.saveSettings(ts, slug, form)
	if body = b.signIn(ts, body, "adele@contoso.example", "adele-demo"); !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("test failed:\n%s", body)
	}
	b.enable(ts, slug)
	if o := ts.ssoOf(t, slug); !o.Enabled {
		t.Fatalf("%s not enabled", slug)
	}
}

// TestIdPInitiatedRefusedWhenNotAllowed: with "Allow IdP-initiated sign-in" unticked, My
// Apps cannot sign a member in, while SP-initiated still works.
func TestIdPInitiatedRefusedWhenNotAllowed(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, false)
	b := newBrowser(t)
	body := b.get(ts.app.demo.IdPInitiatedURL(ts.app.spEntityID("acme"), ""))
	body = b.signIn(ts, body, "alex@contoso.example", "alex-demo")
	if b.status() != http.StatusForbidden || strings.Contains(body, "Alex Wilber") {
		t.Fatalf("IdP-initiated sign-in: status %d:\n%s", b.status(), body)
	}
	body = b.get(ts.srv.URL + "/organizations/acme") // the IdP session makes this one step
	if !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("SP-initiated sign-in failed:\n%s", body)
	}
}

// TestFailedTestKeepsMembersOnTheEnabledConfiguration: once SSO is on, a broken new
// configuration does not lock members out, and even a passing one waits for Enable.
func TestFailedTestKeepsMembersOnTheEnabledConfiguration(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)

	admin := newAdmin(t, ts)
	body := admin.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), otherCertPEM))
	body = admin.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if !strings.Contains(body, `id="test-failed"`) || !strings.Contains(body, "Members keep signing in with version") {
		t.Fatalf("want a failed test that keeps the old configuration:\n%s", body)
	}
	o := ts.ssoOf(t, "acme")
	if !o.Enabled || o.Active.Settings.Certificate != strings.TrimSpace(ts.app.demo.CertificatePEM()) || o.Active.Number == o.Pending.Number {
		t.Fatalf("the failed configuration became active: %+v", o)
	}
	member := newBrowser(t)
	body = member.signIn(ts, member.get(ts.srv.URL+"/organizations/acme"), "alex@contoso.example", "alex-demo")
	if !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("a member was locked out by a failed test:\n%s", body)
	}

	// A passing test of a changed configuration (Signed Assertions off) waits for Enable.
	form := settingsForm(ts.app.demo.LoginURL(), ts.app.demo.CertificatePEM())
	form.Del(fieldSigned)
	body = admin.saveSettings(ts, "acme", form)
	if !strings.Contains(body, `id="test-ok"`) || !strings.Contains(body, "Members keep signing in with version") {
		t.Fatalf("want a passing test that waits for Enable:\n%s", body)
	}
	if o = ts.ssoOf(t, "acme"); o.Active.Number == o.Pending.Number || !o.Active.Settings.SignedAssertions {
		t.Fatalf("a passing test activated its configuration without Enable: %+v", o.Active)
	}
	admin.enable(ts, "acme")
	if o = ts.ssoOf(t, "acme"); o.Active.Number != o.Pending.Number || o.Active.Settings.SignedAssertions {
		t.Errorf("Enable did not activate the tested configuration: %+v", o.Active)
	}
}

// TestDisableOpensTheOrganization: after Disable, the org's pages are open again and the
// ACS signs nobody in.
func TestDisableOpensTheOrganization(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)
	admin := newAdmin(t, ts)
	admin.post(ts.srv.URL+"/organizations/acme/settings/sso/disable", url.Values{})
	if body := newBrowser(t).get(ts.srv.URL + "/organizations/acme"); !strings.Contains(body, "not enabled") {
		t.Fatalf("org page after Disable:\n%s", body)
	}
}

// TestOrganizationsAreIsolated: a session in one organization opens nothing in another, and
// a response made for one organization's ACS is refused at another's, even from the same IdP.
func TestOrganizationsAreIsolated(t *testing.T) {
	ts := newTestServer(t)
	b := newAdmin(t, ts)
	b.post(ts.srv.URL+"/", url.Values{"slug": {"globex"}, "name": {"Globex"}})
	enableAcme(t, ts, true)
	enableOrg(t, ts, "globex", true)

	member := newBrowser(t)
	body := member.signIn(ts, member.get(ts.srv.URL+"/organizations/acme"), "alex@contoso.example", "alex-demo")
	if !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("acme sign-in failed:\n%s", body)
	}
	// The acme session does not open globex: the member is sent to the IdP for globex.
	member.hold = true
	member.get(ts.srv.URL + "/organizations/globex")
	if member.held == nil || member.heldAction != ts.app.acsURL("globex") {
		t.Fatalf("globex did not require its own sign-in (landed at %s)", member.path())
	}

	// An IdP-initiated response for acme, posted to globex's ACS, is refused.
	member.held = nil
	member.get(ts.app.demo.IdPInitiatedURL(ts.app.spEntityID("acme"), ""))
	if member.held == nil {
		t.Fatal("no response from the IdP")
	}
	member.hold = false
	body = member.post(ts.app.acsURL("globex"), member.held)
	if member.status() != http.StatusForbidden || strings.Contains(body, "Alex Wilber") {
		t.Fatalf("acme's response accepted at globex: status %d:\n%s", member.status(), body)
	}
}

// TestGroupsOverageIsShownNotHidden: a member in more groups than fit in a SAML token sees
// where the full list is, not "no groups".
func TestGroupsOverageIsShownNotHidden(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)
	m := newBrowser(t)
	body := m.signIn(ts, m.get(ts.srv.URL+"/organizations/acme"), "megan@contoso.example", "megan-demo")
	if !strings.Contains(body, "Megan Bowen") || !strings.Contains(body, "the full list is at") ||
		!strings.Contains(body, "/users/c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f/getMemberObjects") || strings.Contains(body, "none sent") {
		t.Fatalf("member page:\n%s", body)
	}
}

// TestPassingTestSignsNobodyIn: with SSO enabled, an admin's passing test gives the admin's
// browser no session in the organization.
func TestPassingTestSignsNobodyIn(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)
	admin := newAdmin(t, ts)
	body := admin.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), ts.app.demo.CertificatePEM()))
	if body = admin.signIn(ts, body, "adele@contoso.example", "adele-demo"); !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("test failed:\n%s", body)
	}
	for _, c := range admin.client.Jar.Cookies(mustURL(t, ts.srv.URL)) {
		if strings.Contains(c.Name, "session") && !strings.HasPrefix(c.Name, "demoidp") {
			t.Errorf("the test set session cookie %s", c.Name)
		}
	}
	admin.hold = true
	admin.get(ts.srv.URL + "/organizations/acme")
	if admin.held == nil {
		t.Fatalf("the organization opened without sign-in after a test (at %s)", admin.path())
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestSignedAssertionsMustMatchEntrasSigningOption: with "Signed Assertions" ticked, an IdP
// that signs only the Response fails the test with the setting to change on either side.
func TestSignedAssertionsMustMatchEntrasSigningOption(t *testing.T) {
	tests := []struct {
		signing  demoidp.Signing
		ticked   bool
		wantPass bool
	}{
		{demoidp.SignAssertion, true, true},
		{demoidp.SignResponseAndAssertion, true, true},
		{demoidp.SignResponse, true, false},
		{demoidp.SignResponse, false, true},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s, ticked %v", tt.signing, tt.ticked), func(t *testing.T) {
			ts := newTestServer(t)
			ts.app.demo.SetSigning(tt.signing)
			form := settingsForm(ts.app.demo.LoginURL(), ts.app.demo.CertificatePEM())
			if !tt.ticked {
				form.Del(fieldSigned)
			}
			b := newAdmin(t, ts)
			body := b.signIn(ts, b.saveSettings(ts, "acme", form), "adele@contoso.example", "adele-demo")
			if got := strings.Contains(body, `id="test-ok"`); got != tt.wantPass {
				t.Fatalf("passed = %v, want %v:\n%s", got, tt.wantPass, body)
			}
			if !tt.wantPass {
				for _, want := range []string{"an unsigned Assertion", "Sign SAML assertion", "untick &#34;Signed Assertions&#34; here"} {
					if !strings.Contains(body, want) {
						t.Errorf("failure lacks %q", want)
					}
				}
			}
		})
	}
}

// TestIdPRefusalIsShownWithItsAADSTSCode: when Entra refuses the user (here: not assigned
// to the application), the test shows Entra's own message.
func TestIdPRefusalIsShownWithItsAADSTSCode(t *testing.T) {
	ts := newTestServer(t)
	b := newAdmin(t, ts)
	body := b.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), ts.app.demo.CertificatePEM()))
	body = b.signIn(ts, body, "diego@contoso.example", "diego-demo")
	if !strings.Contains(body, `id="test-failed"`) || !strings.Contains(body, "Requester/RequestDenied: AADSTS50105") ||
		!strings.Contains(body, "Sign-in logs") {
		t.Fatalf("want the IdP's refusal in the result:\n%s", body)
	}
}

// TestMemberResponseIsAcceptedOnce: a captured sign-in response posted again, from
// another browser, is refused. The org's replay cache must run on the same clock as its
// SP: on the real clock, an ID recorded under this test's fixed (past) clock would be
// forgotten at once and the replay accepted.
func TestMemberResponseIsAcceptedOnce(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)
	member := newBrowser(t)
	member.hold = true
	body := member.get(ts.app.demo.IdPInitiatedURL(ts.app.spEntityID("acme"), ""))
	member.signIn(ts, body, "alex@contoso.example", "alex-demo")
	if member.held == nil {
		t.Fatal("the IdP did not answer with a SAMLResponse form")
	}
	captured := member.held
	member.hold = false
	if body := member.post(member.heldAction, captured); !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("control: the first post did not sign Alex in: status %d\n%s", member.status(), body)
	}
	attacker := newBrowser(t)
	body = attacker.post(member.heldAction, captured)
	if attacker.status() != http.StatusForbidden || strings.Contains(body, "Alex Wilber") {
		t.Fatalf("replayed response: status %d, want 403\n%s", attacker.status(), body)
	}
}
