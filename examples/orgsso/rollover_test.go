package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp/orgs"
)

// enableWithMetadataURL configures slug with the demo IdP's App Federation Metadata Url,
// tests it and enables it.
func enableWithMetadataURL(t *testing.T, ts *testServer, slug string) *browser {
	t.Helper()
	b := newAdmin(t, ts)
	u := ts.app.demoMetadataURL(slug)
	if !strings.HasPrefix(u, "https://127.0.0.1:") || !strings.Contains(u, "?appid=") {
		t.Fatalf("demo metadata URL %q", u)
	}
	if page := b.get(ts.srv.URL + "/organizations/" + slug + "/settings/sso"); !strings.Contains(page, `id="demo-metadata-url">`+strings.ReplaceAll(u, "&", "&amp;")) {
		t.Errorf("the settings page does not offer the demo's App Federation Metadata Url %s", u)
	}
	body := b.saveSettings(ts, slug, url.Values{orgs.FieldMetadataURL: {u}, fieldSigned: {"on"}})
	if body = b.signIn(ts, body, "adele@contoso.example", "adele-demo"); !strings.Contains(body, `id="test-ok"`) {
		t.Fatalf("test through the metadata URL failed:\n%s", body)
	}
	b.enable(ts, slug)
	if o := ts.ssoOf(t, slug); !o.Enabled || o.Active.Settings.MetadataURL != u {
		t.Fatalf("%s: enabled %v, metadata URL %q", slug, o.Enabled, o.Active.Settings.MetadataURL)
	}
	return b
}

func memberSignsIn(t *testing.T, ts *testServer, step string) {
	t.Helper()
	m := newBrowser(t)
	if body := m.signIn(ts, m.get(ts.srv.URL+"/organizations/acme"), "alex@contoso.example", "alex-demo"); !strings.Contains(body, "Alex Wilber") {
		t.Fatalf("%s: member not signed in:\n%s", step, body)
	}
}

// TestRolloverThroughTheDemoMetadataURL: an org on the demo IdP's App Federation
// Metadata Url keeps signing members in while the demo admin adds a certificate and
// makes it active, and the settings page says which certificate signs.
func TestRolloverThroughTheDemoMetadataURL(t *testing.T) {
	ts := newTestServer(t)
	admin := enableWithMetadataURL(t, ts, "acme")
	settings := ts.srv.URL + "/organizations/acme/settings/sso"
	demo := ts.app.demo
	oldTP := certs.Thumbprint(demo.Certificate())
	memberSignsIn(t, ts, "before the rollover")
	if page := admin.get(settings); !strings.Contains(page, `data-thumbprint="`+oldTP+`"><td><code>`+oldTP+`</code> <span class="badge on" id="current-signer">`) {
		t.Fatalf("settings page does not show %s signing:\n%s", oldTP, page)
	}

	// New Certificate: published, inactive. After a metadata refresh the settings page
	// lists it and says it has not signed yet.
	c, err := demo.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if err := ts.app.sso.RefreshMetadata(sameOrigin(ts, "/refresh"), "acme"); err != nil {
		t.Fatal(err)
	}
	page := admin.get(settings)
	if !strings.Contains(page, `data-thumbprint="`+c.Thumbprint+`"`) || !strings.Contains(page, "Entra still signs with "+oldTP+"; the new certificate "+c.Thumbprint+" has not signed yet") {
		t.Fatalf("after New Certificate the settings page lacks the new certificate's notice:\n%s", page)
	}

	// Make certificate active: the next member sign-in succeeds (one refetch on the
	// unknown signer) and the page shows the new signer.
	if err := demo.MakeCertificateActive(c.Thumbprint); err != nil {
		t.Fatal(err)
	}
	memberSignsIn(t, ts, "after Make certificate active")
	page = admin.get(settings)
	if !strings.Contains(page, `data-thumbprint="`+c.Thumbprint+`"><td><code>`+c.Thumbprint+`</code> <span class="badge on" id="current-signer">`) ||
		!strings.Contains(page, "Entra now signs with "+c.Thumbprint) {
		t.Fatalf("after Make certificate active the settings page does not show %s signing:\n%s", c.Thumbprint, page)
	}
	log, err := ts.app.store.SignIns(context.Background(), "acme", 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range log {
		if e.Result != orgs.Succeeded {
			t.Errorf("a refused sign-in during the rollover: %+v", e)
		}
	}
}

// sameOrigin is an admin's same-origin POST for the Manager's admin actions.
func sameOrigin(ts *testServer, path string) *http.Request {
	r := httptest.NewRequest("POST", ts.srv.URL+path, nil)
	r.Header.Set("Origin", ts.srv.URL)
	r.AddCookie(ts.adminSession(demoAdmin))
	return r
}

// TestExpiryBanners: 20 days before the demo certificate expires, the org's settings page
// and its admin's organization list show the 30-day banner; another admin's list does not.
func TestExpiryBanners(t *testing.T) {
	ts := newTestServer(t)
	enableAcme(t, ts, true)
	later := ts.app.demo.Certificate().NotAfter.Add(-20 * 24 * time.Hour)
	var err error
	ts.app, err = setup(context.Background(), options{BaseURL: ts.srv.URL}, ts.db, func() time.Time { return later }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ts.app.demo.MetadataServer().Close() })
	want := "acme: the IdP signing certificate"
	page := newAdmin(t, ts).get(ts.srv.URL + "/organizations/acme/settings/sso")
	if !strings.Contains(page, `expiry-banner">`+want) || !strings.Contains(page, "in 20 days") {
		t.Errorf("settings page lacks the expiry banner:\n%s", page)
	}
	if home := newAdmin(t, ts).get(ts.srv.URL + "/"); !strings.Contains(home, `expiry-banner" data-org="acme">`+want) {
		t.Errorf("the admin's organization list lacks the banner:\n%s", home)
	}
	if home := newAdminAs(t, ts, "other@orgsso.example").get(ts.srv.URL + "/"); strings.Contains(home, "expiry-banner") {
		t.Errorf("another admin sees acme's banner")
	}
	if home := newBrowser(t).get(ts.srv.URL + "/"); strings.Contains(home, "expiry-banner") {
		t.Errorf("an anonymous visitor sees acme's banner")
	}
}

// The default metadata.Fetcher refuses the demo's metadata URL: the demo fetcher is
// only the example's.
func TestDefaultFetcherRefusesTheDemoMetadataURL(t *testing.T) {
	ts := newTestServer(t)
	_, err := (&metadata.Fetcher{}).Fetch(context.Background(), ts.app.demoMetadataURL("acme"), metadata.Validators{})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("default Fetcher: %v, want a loopback refusal", err)
	}
}

// The app's fetcher sends only the demo metadata server's URLs through the demo-only
// fetcher: any other loopback URL (another port, a look-alike) gets the default rules.
func TestAppFetcherRoutesOnlyTheDemoServer(t *testing.T) {
	ts := newTestServer(t)
	f, err := metadataFetcher(ts.app.demo)
	if err != nil || f == nil {
		t.Fatalf("%v %v", f, err)
	}
	ctx := context.Background()
	if got, err := f.Fetch(ctx, ts.app.demoMetadataURL("acme"), metadata.Validators{}); err != nil || !strings.Contains(string(got.Body), "EntityDescriptor") {
		t.Fatalf("demo metadata URL: %v", err)
	}
	base := ts.app.demo.MetadataServer().URL()
	for _, u := range []string{
		"https://127.0.0.1:1/metadata.xml",
		base + "@127.0.0.2/metadata.xml",
		strings.Replace(base, "127.0.0.1", "127.0.0.2", 1) + "/metadata.xml",
		strings.Replace(ts.srv.URL, "http://", "https://", 1) + "/",
	} {
		if _, err := f.Fetch(ctx, u, metadata.Validators{}); !errors.Is(err, metadata.ErrUnsafeURL) {
			t.Errorf("%s: %v, want the default Fetcher's refusal", u, err)
		}
	}
	if f, err := metadataFetcher(nil); f != nil || err != nil {
		t.Errorf("without the demo IdP: %v %v, want sp/orgs's default (nil)", f, err)
	}
}
