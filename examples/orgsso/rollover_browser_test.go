package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssokit/saml/certs"
)

// TestBrowserCertificateRollover drives headless Chromium through an Entra-style
// certificate rollover on the demo IdP's App Federation Metadata Url: the admin
// configures the organization with the URL, a member signs in, the demo IdP's admin adds
// a new certificate and makes it active, the next member signs in without a failure
// (one metadata refetch on the unknown signer), and the settings page shows the new
// signer. Screenshots go to $ORGSSO_SCREENSHOTS, or a temporary directory.
func TestBrowserCertificateRollover(t *testing.T) {
	chromium := chromiumPath(t)
	ts := newTestServerAt(t, "127.0.0.1:0")
	demo := ts.app.demo
	shots := os.Getenv("ORGSSO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	admin, cancelAdmin := chromedp.NewContext(allocCtx)
	defer cancelAdmin()

	do := func(ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	textCSS := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return strings.TrimSpace(s)
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	signIn := func(ctx context.Context, username, password string) {
		t.Helper()
		do(ctx, "demo IdP login page",
			chromedp.WaitVisible(chromedp.ID("username")),
			chromedp.SetValue(chromedp.ID("username"), username),
			chromedp.SetValue(chromedp.ID("password"), password),
			chromedp.Click(chromedp.ID("signin")),
		)
	}
	member := func(step string) {
		t.Helper()
		m, cancelM := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
		defer cancelM()
		do(m, step+": open the organization", chromedp.Navigate(ts.srv.URL+"/organizations/acme"))
		signIn(m, "alex@contoso.example", "alex-demo")
		do(m, step+": member page", chromedp.WaitVisible(chromedp.ID("welcome")))
	}
	settings := ts.srv.URL + "/organizations/acme/settings/sso"
	signer := func(step string) string {
		t.Helper()
		do(admin, step+": settings page", chromedp.Navigate(settings), chromedp.WaitVisible(chromedp.ID("trust")))
		return textCSS(admin, "#trust-certificates tr.signing code")
	}

	// The admin configures acme with the demo IdP's App Federation Metadata Url alone.
	do(admin, "admin sign-in",
		chromedp.Navigate(ts.srv.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.ID("admin-signin")),
		chromedp.SetValue(chromedp.ID("email"), demoAdmin),
		chromedp.SetValue(chromedp.ID("password"), admins[demoAdmin]),
		chromedp.Click(chromedp.ID("admin-signin")),
		chromedp.WaitVisible(chromedp.ID("create-org")),
	)
	do(admin, "settings page", chromedp.Navigate(settings), chromedp.WaitVisible(chromedp.ID("demo-metadata-url")))
	metadataURL := textCSS(admin, "#demo-metadata-url")
	if !strings.HasPrefix(metadataURL, "https://127.0.0.1:") || !strings.Contains(metadataURL, "?appid=") {
		t.Fatalf("demo App Federation Metadata Url %q", metadataURL)
	}
	do(admin, "Update and Test with the metadata URL",
		chromedp.Clear(chromedp.ID("login_url")),
		chromedp.Clear(chromedp.ID("certificate")),
		chromedp.SetValue(chromedp.ID("metadata_url"), metadataURL),
		chromedp.Click(chromedp.ID("update-and-test")),
	)
	signIn(admin, "adele@contoso.example", "adele-demo")
	do(admin, "test passed, enable",
		chromedp.WaitVisible(chromedp.ID("test-ok")),
		chromedp.Click(chromedp.ID("enable")),
		chromedp.WaitVisible(chromedp.ID("disable")),
	)

	oldTP := certs.Thumbprint(demo.Certificate())
	member("before the rollover")
	if got := signer("before the rollover"); got != oldTP {
		t.Fatalf("signing certificate before the rollover %q, want %s", got, oldTP)
	}

	// The demo IdP's admin: New Certificate, then Make certificate active on it.
	do(admin, "New Certificate",
		chromedp.Navigate(ts.srv.URL+"/demo-idp/apps"),
		chromedp.WaitVisible(chromedp.ID("new-certificate")),
		chromedp.Click(chromedp.ID("new-certificate")),
		chromedp.WaitVisible(chromedp.CSS("#certificates tr.cert + tr.cert")),
	)
	list := demo.Certificates()
	if len(list) != 2 || !list[0].Active || list[1].Active {
		t.Fatalf("after New Certificate: %+v", list)
	}
	newTP := list[1].Thumbprint
	if got := textCSS(admin, `#certificates tr[data-thumbprint="`+newTP+`"] .status`); got != "Inactive" {
		t.Errorf("the new certificate's status %q, want Inactive", got)
	}
	do(admin, "Make certificate active",
		chromedp.Click(chromedp.ID("activate-"+newTP)),
		chromedp.WaitVisible(chromedp.ID("activate-"+oldTP)),
	)
	shot(admin, "rollover-demo-idp.png")
	if certs.Thumbprint(demo.Certificate()) != newTP {
		t.Fatalf("the demo IdP signs with %s, want %s", certs.Thumbprint(demo.Certificate()), newTP)
	}

	// The next member signs in at the first attempt; the settings page shows the new
	// signer and says the old one still signed recently.
	member("after Make certificate active")
	if got := signer("after the rollover"); got != newTP {
		t.Fatalf("signing certificate after the rollover %q, want %s\n%s\n%s", got, newTP, textCSS(admin, "#trust"), textCSS(admin, "#signins"))
	}
	if got := textCSS(admin, "#trust"); !strings.Contains(got, "Entra now signs with "+newTP) {
		t.Errorf("settings page after the rollover: %q", got)
	}
	if got := textCSS(admin, "#signins"); strings.Contains(got, "failed") {
		t.Errorf("a failed sign-in in the log during the rollover: %q", got)
	}
	shot(admin, "rollover-settings.png")
}
