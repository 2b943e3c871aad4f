package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/sp/orgs"
)

// fixedNow is the clock of every SP and of the demo IdP in these tests.
var fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

func clock() time.Time { return fixedNow }

var (
	keysOnce           sync.Once
	demoKeyJSON        string
	otherCertPEM       string // a certificate that did not sign anything: the "wrong certificate"
	otherKeyPEM        string
	otherCertThumbprnt string
	expiredCertPEM     string
)

// sharedKeys makes the RSA keys once per test binary; generating them is the slowest step.
func sharedKeys(t *testing.T) {
	t.Helper()
	keysOnce.Do(func() {
		kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate (demo)", fixedNow.Add(-time.Hour), 3*365*24*time.Hour)
		if err != nil {
			panic(err)
		}
		keyPEM, _ := kp.KeyPEM()
		b, _ := json.Marshal(struct{ Cert, Key string }{string(kp.CertificatePEM()), string(keyPEM)})
		demoKeyJSON = string(b)
		other, err := certs.GenerateKeyPair("Some other certificate", fixedNow.Add(-time.Hour), 365*24*time.Hour)
		if err != nil {
			panic(err)
		}
		otherCertPEM = string(other.CertificatePEM())
		k, _ := other.KeyPEM()
		otherKeyPEM = string(k)
		otherCertThumbprnt = certs.Thumbprint(other.Certificate)
		expired, err := certs.GenerateKeyPair("Expired", fixedNow.AddDate(-3, 0, 0), 2*365*24*time.Hour)
		if err != nil {
			panic(err)
		}
		expiredCertPEM = string(expired.CertificatePEM())
	})
}

type testServer struct {
	app *App
	srv *httptest.Server
	db  *sql.DB
	dir string
}

// newTestServer runs the app with its demo IdP on a random loopback port, on a fresh
// database.
func newTestServer(t *testing.T) *testServer {
	t.Helper()
	return newTestServerAt(t, "127.0.0.1:0")
}

// newTestServerAt is newTestServer on a chosen address (the README's screenshots are taken
// on 127.0.0.1:8080, see browser_test.go).
func newTestServerAt(t *testing.T, addr string) *testServer {
	t.Helper()
	sharedKeys(t)
	dir := t.TempDir()
	db, err := openDB(filepath.Join(dir, "orgsso.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if _, err := keyOnce(ctx, db, "demo_idp_key", func() (string, error) { return demoKeyJSON, nil }); err != nil {
		t.Fatal(err)
	}
	ts := &testServer{db: db, dir: dir}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ts.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ts.app.ServeHTTP(w, r) }))
	ts.srv.Listener.Close()
	ts.srv.Listener = ln
	ts.srv.Start()
	t.Cleanup(ts.srv.Close)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	ts.app, err = setup(ctx, options{BaseURL: ts.srv.URL}, db, clock, logger)
	if err != nil {
		t.Fatal(err)
	}
	if ts.app.demo != nil && ts.app.demo.MetadataServer() != nil {
		t.Cleanup(func() { _ = ts.app.demo.MetadataServer().Close() })
	}
	return ts
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// browser is an http.Client with cookies that follows redirects and, like a browser with
// script, submits the IdP's auto-posting form.
type browser struct {
	t      *testing.T
	client *http.Client
	last   *http.Response
	// hold keeps the IdP's auto-posting form instead of submitting it; held has its fields.
	hold bool
	held url.Values
	// heldAction is where the held form would have been posted.
	heldAction string
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, client: &http.Client{Jar: jar}}
}

var (
	samlFormRE = regexp.MustCompile(`(?s)<form method="post" action="([^"]*)">\s*<input type="hidden" name="SAMLResponse" value="([^"]*)">\s*(?:<input type="hidden" name="RelayState" value="([^"]*)">)?`)
	tokenRE    = regexp.MustCompile(`name="token" value="([^"]*)"`)
)

func (b *browser) do(req *http.Request) string {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	b.last = resp
	if m := samlFormRE.FindStringSubmatch(string(body)); m != nil {
		form := url.Values{"SAMLResponse": {html.UnescapeString(m[2])}}
		if m[3] != "" {
			form.Set("RelayState", html.UnescapeString(m[3]))
		}
		if b.hold {
			b.held, b.heldAction = form, html.UnescapeString(m[1])
			return string(body)
		}
		return b.post(html.UnescapeString(m[1]), form)
	}
	return string(body)
}

func (b *browser) get(u string) string {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

// post posts a form as a browser does, with the Origin header of the page it is on (the
// target's own origin: the demo IdP and the app share the test server).
func (b *browser) post(u string, form url.Values) string {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", req.URL.Scheme+"://"+req.URL.Host)
	return b.do(req)
}

// signIn answers the demo IdP's login page in body.
func (b *browser) signIn(ts *testServer, body, username, password string) string {
	b.t.Helper()
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		b.t.Fatalf("expected the demo IdP's login page, got:\n%s", body)
	}
	return b.post(ts.srv.URL+"/demo-idp/login", url.Values{"token": {m[1]}, "username": {username}, "password": {password}})
}

func (b *browser) status() int { return b.last.StatusCode }
func (b *browser) path() string {
	return b.last.Request.URL.Path
}

// The settings form's field names.
const (
	fieldSignOnURL   = orgs.FieldLoginURL
	fieldCertificate = orgs.FieldCertificate
	fieldIdPEntityID = orgs.FieldIdPEntityID
	fieldSigned      = "signed_assertions"
	fieldIdPInit     = "allow_idp_initiated"
)

func settingsForm(signOnURL, certificate string) url.Values {
	return url.Values{
		fieldSignOnURL: {signOnURL}, fieldCertificate: {certificate},
		fieldSigned: {"on"}, fieldIdPInit: {"on"},
	}
}

// adminSession is the cookie of a session of admin email signed in for an hour, made
// without the sign-in page.
func (ts *testServer) adminSession(email string) *http.Cookie {
	id := "test-session-" + email
	if err := store(context.Background(), ts.db, "admin/"+id, adminSession{email, fixedNow.Add(time.Hour)}); err != nil {
		panic(err)
	}
	return &http.Cookie{Name: adminCookie, Value: id}
}

// newAdmin is a browser signed in with the app's admin account (the demo org's admin).
func newAdmin(t *testing.T, ts *testServer) *browser {
	return newAdminAs(t, ts, demoAdmin)
}

func newAdminAs(t *testing.T, ts *testServer, email string) *browser {
	t.Helper()
	b := newBrowser(t)
	b.post(ts.srv.URL+"/admin/login", url.Values{"email": {email}, "password": {admins[email]}})
	if b.status() != http.StatusOK || b.path() != "/" {
		t.Fatalf("admin sign-in: %d at %s", b.status(), b.path())
	}
	return b
}

var versionRE = regexp.MustCompile(`name="version" value="(\d+)"`)

// saveSettings is "Update and Test" from the settings page as it stands (the form
// carries the version it shows).
func (b *browser) saveSettings(ts *testServer, slug string, form url.Values) string {
	b.t.Helper()
	page := ts.srv.URL + "/organizations/" + slug + "/settings/sso"
	if m := versionRE.FindStringSubmatch(b.get(page)); m != nil {
		form.Set("version", m[1])
	}
	return b.post(page, form)
}

// enable clicks Enable on the settings page as it stands.
func (b *browser) enable(ts *testServer, slug string) string {
	b.t.Helper()
	page := ts.srv.URL + "/organizations/" + slug + "/settings/sso"
	form := url.Values{}
	if m := versionRE.FindStringSubmatch(b.get(page)); m != nil {
		form.Set("version", m[1])
	}
	return b.post(page+"/enable", form)
}

// Test-only names for the derived URLs the tests use.
func (a *App) spEntityID(slug string) string { return a.sso.Endpoints(slug).EntityID }
func (a *App) acsURL(slug string) string     { return a.sso.Endpoints(slug).ACSURL }

// ssoOf is the organization's SSO state in the store.
func (ts *testServer) ssoOf(t *testing.T, slug string) *orgs.Org {
	t.Helper()
	o, err := ts.app.store.Get(t.Context(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func must(ok bool, err error) bool { return ok && err == nil }
