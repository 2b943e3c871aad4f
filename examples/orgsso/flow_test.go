package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestUpdateTestEnableAndSignIn walks the whole admin flow over HTTP: the test passes, Enable
// unlocks, members must then sign in, SP- and IdP-initiated.
func TestUpdateTestEnableAndSignIn(t *testing.T) {
	ts := newTestServer(t)
	demo := ts.app.demo
	b := newBrowser(t)
	settings := ts.srv.URL + "/organizations/acme/settings/sso"

	// Enable is refused before a test.
	b.post(settings+"/enable", nil)
	if b.status() != 409 {
		t.Fatalf("Enable before a test: status %d, want 409", b.status())
	}
	// The org is open while SSO is off.
	if body := b.get(ts.srv.URL + "/organizations/acme"); !strings.Contains(body, "not enabled") {
		t.Fatalf("org page before SSO:\n%s", body)
	}

	body := b.post(settings, settingsForm(demo.LoginURL(), demo.CertificatePEM()))
	body = b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if b.path() != "/organizations/acme/settings/sso" || !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("after the test, at %s:\n%s", b.path(), body)
	}
	// A test never signs anyone in: the org is still open, with no session.
	if body := b.get(ts.srv.URL + "/organizations/acme"); !strings.Contains(body, "not enabled") {
		t.Fatalf("the test signed someone in:\n%s", body)
	}

	b.post(settings+"/enable", url.Values{})
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
	if mem, err := ts.store.Member(context.Background(), "acme", "adele@contoso.example"); err != nil || mem == nil || mem.ObjectID != "4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f" {
		t.Errorf("member record: %+v, %v", mem, err)
	}
}

// TestWrongCertificateFailsTheTestWithTheReason pastes a certificate that did not sign the
// response: the test fails, names the signature check and the thumbprints, and Enable
// stays off.
func TestWrongCertificateFailsTheTestWithTheReason(t *testing.T) {
	ts := newTestServer(t)
	b := newBrowser(t)
	settings := ts.srv.URL + "/organizations/acme/settings/sso"
	body := b.post(settings, settingsForm(ts.app.demo.LoginURL(), otherCertPEM))
	body = b.signIn(ts, body, "adele@contoso.example", "adele-demo")
	if !strings.Contains(body, `id="test-failed"`) {
		t.Fatalf("want a failed test, got:\n%s", body)
	}
	if !strings.Contains(body, otherCertThumbprnt) {
		t.Errorf("the failure does not name the configured certificate's thumbprint %s:\n%s", otherCertThumbprnt, body)
	}
	b.post(settings+"/enable", url.Values{})
	if b.status() != 409 {
		t.Errorf("Enable after a failed test: status %d, want 409", b.status())
	}
}
