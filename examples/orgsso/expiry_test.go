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
)

// TestRolloverPairWithOneExpiredCertificateIsAccepted: during a rollover the admin pastes
// the old and the new certificate; an expired old one is a warning, not an error.
func TestRolloverPairWithOneExpiredCertificateIsAccepted(t *testing.T) {
	ts := newTestServer(t)
	s := IdPSettings{SignOnURL: entraLogin, Certificate: expiredCertPEM + "\n" + otherCertPEM}
	idp, errs, warns := ts.app.idpFromSettings(&s, true)
	if len(errs) > 0 || idp == nil || len(idp.Certificates) != 2 {
		t.Fatalf("errors %v", errs)
	}
	if !strings.Contains(warns[fieldCertificate], "expired on") {
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
	ts.app, err = setup(context.Background(), options{BaseURL: ts.srv.URL}, ts.store, func() time.Time { return later }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	member := newBrowser(t)
	body := member.signIn(ts, member.get(ts.srv.URL+"/organizations/acme"), "alex@contoso.example", "alex-demo")
	if !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("member locked out by an expired certificate:\n%s", body)
	}
	if body := member.get(ts.srv.URL + "/organizations/acme/settings/sso"); !strings.Contains(body, `id="active-warning"`) || !strings.Contains(body, "expired on") {
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
	opts := options{BaseURL: ts.srv.URL, EntraLoginURL: entraLogin, EntraCert: certFile, EntraOrg: "contoso"}
	if err := ts.app.preconfigureEntra(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	o, err := ts.store.Org(context.Background(), "contoso")
	if err != nil || o.Pending == nil || o.Pending.SignOnURL != entraLogin || o.Enabled {
		t.Fatalf("org %+v, %v", o, err)
	}
	// Starting again with the same flags changes nothing.
	if err := ts.app.preconfigureEntra(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if again, _ := ts.store.Org(context.Background(), "contoso"); again.PendingVersion != o.PendingVersion {
		t.Errorf("pending version %d → %d on a restart with the same flags", o.PendingVersion, again.PendingVersion)
	}

	opts.EntraLoginURL = "https://login.microsoftonline.com/common/saml2"
	if err := ts.app.preconfigureEntra(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "multi-tenant endpoint") {
		t.Errorf("bad Login URL flag: %v", err)
	}
	opts.EntraLoginURL, opts.EntraCert = entraLogin, ""
	if err := ts.app.preconfigureEntra(context.Background(), opts); err == nil || !strings.Contains(err.Error(), "-entra-cert") {
		t.Errorf("missing -entra-cert: %v", err)
	}
}
