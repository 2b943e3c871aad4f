package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/sp/orgs"
)

// TestRolloverPairWithOneExpiredCertificateIsAccepted: during a rollover the admin pastes
// the old and the new certificate; an expired old one is a warning, not an error.
func TestRolloverPairWithOneExpiredCertificateIsAccepted(t *testing.T) {
	sharedKeys(t)
	s := orgs.Settings{LoginURL: entraLogin, Certificate: expiredCertPEM + "\n" + otherCertPEM}
	if _, err := orgs.Validate(s, fixedNow); err != nil {
		t.Fatalf("errors %v", err)
	}
	if warns := orgs.Warnings(s, fixedNow); !strings.Contains(warns[fieldCertificate], "expired on") {
		t.Errorf("warning = %q", warns[fieldCertificate])
	}
}

// TestExpiredCertificateDoesNotLockMembersOut: when the enabled configuration's certificate
// expires, members still sign in (Entra keeps signing with it) and the settings page warns.
func TestExpiredCertificateDoesNotLockMembersOut(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)

	// Four years later the demo IdP's three-year certificate has expired.
	later := fixedNow.AddDate(4, 0, 0)
	var err error
	ts.app, err = setup(context.Background(), options{BaseURL: ts.srv.URL}, ts.db, func() time.Time { return later }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	member := newBrowser(t)
	body := member.signIn(ts, member.get(ts.srv.URL+"/organizations/acme"), "alex@contoso.example", "alex-demo")
	if !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("member locked out by an expired certificate:\n%s", body)
	}
	if body := newAdmin(t, ts).get(ts.srv.URL + "/organizations/acme/settings/sso"); !strings.Contains(body, `id="active-warning"`) || !strings.Contains(body, "expired on") {
		t.Errorf("the settings page does not warn about the expired certificate")
	}
}

// TestEntraFlagsPreconfigureAnOrganization: -entra-login-url and -entra-cert create the
// organization with those settings, ready for Update and Test; bad values stop the start.
func TestEntraFlagsPreconfigureAnOrganization(t *testing.T) {
	ts := newTestServer(t)
	certFile := filepath.Join(t.TempDir(), "entra.cer")
	if err := os.WriteFile(certFile, []byte(otherCertPEM), 0o600); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := options{BaseURL: ts.srv.URL, EntraLoginURL: entraLogin, EntraCert: certFile, EntraOrg: "contoso"}
	if _, err := setup(t.Context(), opts, ts.db, clock, logger); err != nil {
		t.Fatal(err)
	}
	o := ts.ssoOf(t, "contoso")
	if o.Pending == nil || o.Pending.Settings.LoginURL != entraLogin || o.Enabled {
		t.Fatalf("org %+v", o)
	}
	// Starting again with the same flags changes nothing.
	if _, err := setup(t.Context(), opts, ts.db, clock, logger); err != nil {
		t.Fatal(err)
	}
	if again := ts.ssoOf(t, "contoso"); again.Pending.Number != o.Pending.Number {
		t.Errorf("pending version %d → %d on a restart with the same flags", o.Pending.Number, again.Pending.Number)
	}

	opts.EntraLoginURL = "https://login.microsoftonline.com/common/saml2"
	if _, err := setup(t.Context(), opts, ts.db, clock, logger); err == nil || !strings.Contains(err.Error(), "multi-tenant endpoint") {
		t.Errorf("bad Login URL flag: %v", err)
	}
	opts.EntraLoginURL, opts.EntraCert = entraLogin, ""
	if _, err := setup(t.Context(), opts, ts.db, clock, logger); err == nil || !strings.Contains(err.Error(), "-entra-cert") {
		t.Errorf("missing -entra-cert: %v", err)
	}
}
