package main

import (
	"context"
	"github.com/ssokit/saml/internal/testenv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/demoidp"
)

// chromiumPath finds Debian's Chromium (or another Chrome) or skips the test.
func chromiumPath(t *testing.T) string {
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "Chromium is not installed; install it with: apt-get install -y chromium")
	return ""
}

// TestBrowserAdminAndMemberFlows drives headless Chromium through the whole product: an
// admin creates an organization, gets field messages for bad pastes, runs Update and Test
// with a wrong certificate (the precise reason is shown) and with the right one (green),
// enables SSO; then members sign in SP-initiated and IdP-initiated and see their claims,
// and Sign out ends the IdP session too.
// Screenshots go to $ORGSSO_SCREENSHOTS, or a temporary directory. The README's were taken
// with ORGSSO_SCREENSHOTS=$PWD/examples/orgsso/docs ORGSSO_E2E_ADDR=127.0.0.1:8080.
func TestBrowserAdminAndMemberFlows(t *testing.T) {
	chromium := chromiumPath(t)
	addr := os.Getenv("ORGSSO_E2E_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ts := newTestServerAt(t, addr)
	demo := ts.app.demo
	shots := os.Getenv("ORGSSO_SCREENSHOTS")
	if shots == "" {
		shots = t.TempDir()
	} else if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // typically 15 s; generous for loaded CI machines
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
	text := func(ctx context.Context, id string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("reading #%s: %v", id, err)
		}
		return s
	}
	textCSS := func(ctx context.Context, sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("reading %s: %v", sel, err)
		}
		return s
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

	// Without the app's admin sign-in, the SSO settings are refused.
	do(admin, "settings without admin sign-in",
		chromedp.Navigate(ts.srv.URL+"/organizations/acme/settings/sso"),
		chromedp.WaitVisible(chromedp.CSS("h1")),
	)
	if got := textCSS(admin, "body"); !strings.Contains(got, "Only an admin of Acme Corp") {
		t.Errorf("settings page for an anonymous browser: %q", got)
	}
	// The admin signs in to the app, creates an organization and opens its SSO settings.
	do(admin, "admin sign-in",
		chromedp.Navigate(ts.srv.URL+"/admin/login"),
		chromedp.WaitVisible(chromedp.ID("admin-signin")),
		chromedp.SetValue(chromedp.ID("email"), demoAdmin),
		chromedp.SetValue(chromedp.ID("password"), admins[demoAdmin]),
		chromedp.Click(chromedp.ID("admin-signin")),
		chromedp.WaitVisible(chromedp.ID("create-org")),
	)
	do(admin, "create organization",
		chromedp.Navigate(ts.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.ID("create-org")),
		chromedp.SetValue(chromedp.ID("slug"), "globex"),
		chromedp.SetValue(chromedp.ID("name"), "Globex Corporation"),
		chromedp.Click(chromedp.ID("create-org")),
		chromedp.WaitVisible(chromedp.ID("sso-form")),
	)
	if got := text(admin, "acs-url"); got != ts.srv.URL+"/organizations/globex/saml/consume" {
		t.Errorf("ACS URL shown = %q", got)
	}
	if got := text(admin, "sp-entity-id"); got != ts.srv.URL+"/organizations/globex/saml/metadata" {
		t.Errorf("SP Entity ID shown = %q", got)
	}
	shot(admin, "settings.png")

	// The copy buttons copy the values shown. The clipboard is stubbed: headless Chromium
	// has none to read back.
	if _, err := chromedp.Run(admin, chromedp.Evaluate[bool](`(() => {
		window.copied = [];
		navigator.clipboard.writeText = (text) => { window.copied.push(text); return Promise.resolve(); };
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	do(admin, "copy buttons",
		chromedp.Click(chromedp.CSS(`[data-copy="acs-url"]`)),
		chromedp.Click(chromedp.CSS(`[data-copy="sp-entity-id"]`)),
	)
	copied, err := chromedp.Run(admin, chromedp.Poll[[]string](`window.copied.length === 2 && window.copied`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{ts.app.acsURL("globex"), ts.app.spEntityID("globex")}; strings.Join(copied, " ") != strings.Join(want, " ") {
		t.Errorf("copied %q, want %q", copied, want)
	}

	// Bad pastes get a message under each field.
	do(admin, "submit bad values",
		chromedp.SetValue(chromedp.ID("login_url"), "https://sts.windows.net/"+demoidp.DefaultTenantID+"/"),
		chromedp.SetValue(chromedp.ID("certificate"), otherKeyPEM),
		chromedp.Click(chromedp.ID("update-and-test")),
		chromedp.WaitVisible(chromedp.ID("error-certificate")),
	)
	if got := text(admin, "error-login_url"); !strings.Contains(got, `"Microsoft Entra Identifier" (the issuer), not the Login URL`) {
		t.Errorf("Sign-on URL message = %q", got)
	}
	if got := text(admin, "error-certificate"); !strings.Contains(got, "found a private key") {
		t.Errorf("certificate message = %q", got)
	}
	shot(admin, "validation.png")

	// A wrong certificate: the test fails and says which certificate signed.
	do(admin, "test with a wrong certificate",
		chromedp.SetValue(chromedp.ID("login_url"), demo.LoginURL()),
		chromedp.SetValue(chromedp.ID("certificate"), otherCertPEM),
		chromedp.Click(chromedp.ID("update-and-test")),
	)
	do(admin, "demo IdP login page", chromedp.WaitVisible(chromedp.ID("username")))
	shot(admin, "demo-idp-login.png")
	signIn(admin, "adele@contoso.example", "adele-demo")
	do(admin, "failed test result", chromedp.WaitVisible(chromedp.ID("test-failed")))
	result := text(admin, "test-result")
	for _, want := range []string{
		"assertion signature",
		"signed by the configured certificate " + otherCertThumbprnt,
		"signed by certificate " + certs.Thumbprint(demo.Certificate()),
		"paste the IdP's current signing certificate",
	} {
		if !strings.Contains(result, want) {
			t.Errorf("failed test result lacks %q:\n%s", want, result)
		}
	}
	if attrs, err := chromedp.Run(admin, chromedp.Attributes(chromedp.ID("enable"))); err != nil {
		t.Fatal(err)
	} else if _, disabled := attrs["disabled"]; !disabled {
		t.Error("Enable is clickable after a failed test")
	}
	shot(admin, "test-failed.png")

	// The right certificate: the admin is signed in at the IdP already, so the browser goes
	// straight back and the test passes.
	do(admin, "test with the demo IdP's certificate, IdP-initiated sign-in allowed",
		chromedp.SetValue(chromedp.ID("certificate"), demo.CertificatePEM()),
		chromedp.Click(chromedp.ID("allow_idp_initiated")), // off by default
		chromedp.Click(chromedp.ID("update-and-test")),
		chromedp.WaitVisible(chromedp.ID("test-ok")),
	)
	shot(admin, "test-passed.png")
	do(admin, "enable",
		chromedp.Click(chromedp.ID("enable")),
		chromedp.WaitVisible(chromedp.ID("disable")),
	)
	if got := text(admin, "sso-status"); got != "Enabled" {
		t.Errorf("status after Enable = %q", got)
	}

	// A member opens the organization in a fresh browser profile: SP-initiated sign-in.
	member, cancelMember := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	defer cancelMember()
	do(member, "open the organization", chromedp.Navigate(ts.srv.URL+"/organizations/globex"))
	signIn(member, "alex@contoso.example", "alex-demo")
	do(member, "member page", chromedp.WaitVisible(chromedp.ID("welcome")))
	checkClaims(t, text(member, "claim-nameid"), text(member, "claim-objectid"), text(member, "claim-email"), text(member, "claim-groups"), demoidp.DemoUsers()[1])
	shot(member, "member.png")

	// Sign out ends the IdP session too (Single Logout through the demo IdP's Logout URL):
	// My Apps at the IdP asks for credentials again, and so does the next sign-in.
	do(member, "sign out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.CSS("body > h1:first-child"))) // sp/web's signed-out page
	if got := textCSS(member, "body"); !strings.Contains(got, "You are signed out") {
		t.Errorf("page after Sign out: %q", got)
	}
	if loc, err := chromedp.Run(member, chromedp.Location()); err != nil || !strings.HasPrefix(loc, ts.srv.URL+"/organizations/globex/saml/logout?SAMLResponse=") {
		t.Errorf("Sign out ended at %q (%v), want the LogoutResponse from the demo IdP at the org's Logout URL", loc, err)
	}
	do(member, "My Apps after Sign out", chromedp.Navigate(demo.MyAppsURL()), chromedp.WaitVisible(chromedp.ID("username")))
	do(member, "open the organization after Sign out", chromedp.Navigate(ts.srv.URL+"/organizations/globex"))
	signIn(member, "alex@contoso.example", "alex-demo")
	do(member, "member page after signing in again", chromedp.WaitVisible(chromedp.ID("welcome")))

	// Another member starts at the IdP's My Apps: IdP-initiated sign-in.
	other, cancelOther := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	defer cancelOther()
	do(other, "open My Apps", chromedp.Navigate(demo.MyAppsURL()))
	signIn(other, "adele@contoso.example", "adele-demo")
	app := `a.app[href="` + demo.IdPInitiatedURL(ts.app.spEntityID("globex"), "") + `"]`
	do(other, "My Apps", chromedp.WaitVisible(chromedp.CSS(app)))
	shot(other, "demo-idp-myapps.png")
	do(other, "click the application in My Apps",
		chromedp.Click(chromedp.CSS(app)),
		chromedp.WaitVisible(chromedp.ID("welcome")),
	)
	checkClaims(t, text(other, "claim-nameid"), text(other, "claim-objectid"), text(other, "claim-email"), text(other, "claim-groups"), demoidp.DemoUsers()[0])

	// A member the IdP refuses (not assigned to the application): the admin sees why in
	// the sign-in log, with the reference the member was shown.
	refused, cancelRefused := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	defer cancelRefused()
	do(refused, "open the organization", chromedp.Navigate(ts.srv.URL+"/organizations/globex"))
	signIn(refused, "diego@contoso.example", "diego-demo")
	do(refused, "refusal page", chromedp.WaitVisible(chromedp.ID("orgs-page"))) // sp/orgs's page
	if got := textCSS(refused, "body"); !strings.Contains(got, "Sign-in failed") || strings.Contains(got, "AADSTS") {
		t.Errorf("member refusal page: %q", got)
	}
	do(admin, "settings with the sign-in log",
		chromedp.Navigate(ts.srv.URL+"/organizations/globex/settings/sso"),
		chromedp.WaitVisible(chromedp.ID("signins")),
	)
	if got := text(admin, "signins"); !strings.Contains(got, "AADSTS50105") || !strings.Contains(got, "refused") || !strings.Contains(got, "reference") {
		t.Errorf("sign-in log on the settings page: %q", got)
	}

	// The enabled organization is re-tested with a broken configuration: the test fails
	// and members keep signing in with the enabled one until an Enable.
	do(admin, "re-test with a wrong certificate",
		chromedp.SetValue(chromedp.ID("certificate"), otherCertPEM),
		chromedp.Click(chromedp.ID("update-and-test")),
		chromedp.WaitVisible(chromedp.ID("test-failed")),
		chromedp.WaitVisible(chromedp.ID("waiting")),
	)
	later, cancelLater := chromedp.NewContext(admin, chromedp.WithNewBrowserContext())
	defer cancelLater()
	do(later, "member after the broken re-test", chromedp.Navigate(ts.srv.URL+"/organizations/globex"))
	signIn(later, "alex@contoso.example", "alex-demo")
	do(later, "member page", chromedp.WaitVisible(chromedp.ID("welcome")))
	t.Logf("screenshots in %s", shots)
}

func checkClaims(t *testing.T, nameID, objectID, email, groups string, u demoidp.User) {
	t.Helper()
	if nameID != u.Username || objectID != u.ObjectID || email != u.Email {
		t.Errorf("member page shows NameID %q, object ID %q, email %q; want %q, %q, %q", nameID, objectID, email, u.Username, u.ObjectID, u.Email)
	}
	for _, g := range u.Groups {
		if !strings.Contains(groups, g) {
			t.Errorf("member page groups %q lack %s", groups, g)
		}
	}
}
