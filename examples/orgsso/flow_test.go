package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestUpdateTestEnableAndSignIn walks the whole admin flow over HTTP: the test passes, Enable
// unlocks, members must then sign in, SP- and IdP-initiated.
func TestUpdateTestEnableAndSignIn(t *testing.T) {
	ts := newTestServer(t)
	demo := ts.app.demo
	b := newAdmin(t, ts)
	settings := ts.srv.URL + "/organizations/acme/settings/sso"

	// Enable is refused before a test.
	b.enable(ts, "acme")
	if b.status() != 409 {
		t.Fatalf("Enable before a test: status %d, want 409", b.status())
	}
	// The org is open while SSO is off.
	if body := b.get(ts.srv.URL + "/organizations/acme"); !strings.Contains(body, "not enabled") {
		t.Fatalf("org page before SSO:\n%s", body)
	}

	body := b.saveSettings(ts, "acme", settingsForm(demo.LoginURL(), demo.CertificatePEM()))
	body = b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if b.path() != "/organizations/acme/settings/sso" || !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("after the test, at %s:\n%s", b.path(), body)
	}
	// A test never signs anyone in: the org is still open, with no session.
	if body := b.get(ts.srv.URL + "/organizations/acme"); !strings.Contains(body, "not enabled") {
		t.Fatalf("the test signed someone in:\n%s", body)
	}

	b.enable(ts, "acme")
	if b.status() != 200 || !strings.Contains(b.get(settings), "Disable SSO") {
		t.Fatalf("Enable after a passing test: status %d", b.status())
	}

	// SP-initiated: a member opens the org and is sent through the IdP.
	m := newBrowser(t)
	body = m.get(ts.srv.URL + "/organizations/acme")
	body = m.signIn(ts, body, "alex@contoso.example", "alex-demo")
	if m.path() != "/organizations/acme" {
		t.Fatalf("member landed at %s:\n%s", m.path(), body)
	}
	for _, want := range []string{"Alex Wilber", "alex@contoso.example", "b7e6d5c4-3a2b-4c1d-8e9f-0a1b2c3d4e5f", "8d4b1f60-2a7c-4c1e-9f3a-5e6b7c8d9e01"} {
		if !strings.Contains(body, want) {
			t.Errorf("member page lacks %q", want)
		}
	}

	// IdP-initiated: another member starts at the demo IdP's My Apps.
	m2 := newBrowser(t)
	body = m2.get(demo.IdPInitiatedURL(ts.app.spEntityID("acme"), ""))
	body = m2.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if m2.path() != "/organizations/acme" || !strings.Contains(body, "Adele Vance") {
		t.Fatalf("IdP-initiated member landed at %s:\n%s", m2.path(), body)
	}
	if mem := new(Member); !must(load(t.Context(), ts.db, "member/acme/adele@contoso.example", mem)) || mem.ObjectID != "4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f" {
		t.Errorf("member record: %+v", mem)
	}
}

// TestWrongCertificateFailsTheTestWithTheReason pastes a certificate that did not sign the
// response: the test fails, names the signature check and the thumbprints, and Enable
// stays off.
func TestWrongCertificateFailsTheTestWithTheReason(t *testing.T) {
	ts := newTestServer(t)
	b := newAdmin(t, ts)
	body := b.saveSettings(ts, "acme", settingsForm(ts.app.demo.LoginURL(), otherCertPEM))
	body = b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if !strings.Contains(body, `id="test-failed"`) {
		t.Fatalf("want a failed test, got:\n%s", body)
	}
	if !strings.Contains(body, otherCertThumbprnt) {
		t.Errorf("the failure does not name the configured certificate's thumbprint %s:\n%s", otherCertThumbprnt, body)
	}
	b.enable(ts, "acme")
	if b.status() != 409 {
		t.Errorf("Enable after a failed test: status %d, want 409", b.status())
	}
}

// TestAdminActionsNeedTheOrgsAdmin: nobody signed in, and an admin of another
// organization, can neither see nor change an organization's SSO; the settings POST of
// the anonymous takeover sequence (#14) is refused before anything is stored.
func TestAdminActionsNeedTheOrgsAdmin(t *testing.T) {
	ts := newTestServer(t)
	before := ts.ssoOf(t, "acme")
	for name, b := range map[string]*browser{"anonymous": newBrowser(t), "admin of another org": newAdminAs(t, ts, "other@orgsso.example")} {
		if body := b.get(ts.srv.URL + "/organizations/acme/settings/sso"); b.status() != http.StatusForbidden || strings.Contains(body, "sso-form") {
			t.Errorf("%s: settings page %d", name, b.status())
		}
		for _, path := range []string{"", "/enable", "/disable"} {
			b.post(ts.srv.URL+"/organizations/acme/settings/sso"+path, settingsForm(ts.app.demo.LoginURL(), otherCertPEM))
			if b.status() != http.StatusForbidden {
				t.Errorf("%s: POST settings/sso%s: %d, want 403", name, path, b.status())
			}
		}
		b.post(ts.srv.URL+"/", url.Values{"slug": {"newco"}, "name": {"New"}})
		if name == "anonymous" && b.status() != http.StatusForbidden {
			t.Errorf("anonymous: create organization: %d, want 403", b.status())
		}
	}
	if after := ts.ssoOf(t, "acme"); after.Revision != before.Revision {
		t.Fatal("a refused admin request changed the organization")
	}
}

// TestAdminSignInReturnsOnlyToThisSite: the sign-in's "next" is a path here, never another
// site (browsers read /\\host as //host).
func TestAdminSignInReturnsOnlyToThisSite(t *testing.T) {
	ts := newTestServer(t)
	for _, next := range []string{"//evil.example/", "/\\evil.example/", "https://evil.example/", "/organizations/acme/settings/sso"} {
		b := newBrowser(t)
		b.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		b.post(ts.srv.URL+"/admin/login", url.Values{"email": {demoAdmin}, "password": {admins[demoAdmin]}, "next": {next}})
		want := "/"
		if next == "/organizations/acme/settings/sso" {
			want = next
		}
		if got := b.last.Header.Get("Location"); got != want {
			t.Errorf("next %q: redirected to %q, want %q", next, got, want)
		}
	}
}
