package orgs_test

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp/orgs"
)

const base = "https://app.example" // samltest's SP values are acme's under this base

var cookieKey = bytes.Repeat([]byte{7}, 32)

// clock is a fixed clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// authorizer admits requests carrying "X-Test-Admin: <name>" for any org (or only for
// the orgs listed in only), and records every call.
type authorizer struct {
	mu    sync.Mutex
	calls []string // "org action"
}

func (a *authorizer) Authorize(r *http.Request, orgID string, action orgs.Action) (string, error) {
	a.mu.Lock()
	a.calls = append(a.calls, orgID+" "+string(action))
	a.mu.Unlock()
	if name := r.Header.Get("X-Test-Admin"); name != "" {
		return name, nil
	}
	return "", errors.New("not signed in as an admin")
}

type harness struct {
	t      testing.TB
	m      *orgs.Manager
	store  orgs.Store
	clock  *clock
	auth   *authorizer
	logins []login // what OnLogin received
	n      int     // responses made
}

type login struct {
	org      string
	a        *assertion.Assertion
	returnTo string
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, store: orgs.NewMemoryStore(), clock: &clock{t: samltest.Now}, auth: &authorizer{}}
	h.m = h.manager(h.store, 0)
	return h
}

// manager is one server over store (several share one in the fleet tests).
func (h *harness) manager(store orgs.Store, refresh time.Duration) *orgs.Manager {
	m, err := orgs.New(orgs.Config{
		Store: store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, RefreshInterval: refresh, Logger: slog.New(slog.DiscardHandler),
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
			h.logins = append(h.logins, login{o.ID, a, returnTo})
			w.WriteHeader(http.StatusNoContent)
			return nil
		},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// admin is a same-origin request of a signed-in admin.
func admin(method, path string) *http.Request {
	r := httptest.NewRequest(method, base+path, nil)
	r.Header.Set("Origin", base)
	r.Header.Set("X-Test-Admin", "alice@contoso.example")
	return r
}

func entra(idp *samltest.IdP) orgs.Settings {
	return orgs.Settings{
		LoginURL:          "https://login.microsoftonline.com/" + idp.TenantID + "/saml2",
		Certificate:       samltest.CertPEM(idp.Cert),
		SignedAssertions:  true,
		AllowIdPInitiated: true,
	}
}

func (h *harness) save(m *orgs.Manager, org string, s orgs.Settings) *orgs.Org {
	h.t.Helper()
	basedOn := 0
	if o, err := h.store.Get(admin("GET", "/").Context(), org); err == nil && o.Pending != nil {
		basedOn = o.Pending.Number
	}
	o, err := m.Save(admin("POST", "/settings"), org, s, basedOn)
	if err != nil {
		h.t.Fatalf("Save: %v", err)
	}
	return o
}

// test is one "Update and Test": the admin's browser (jar) goes to the IdP, which
// answers with opts (InResponseTo filled in); it returns the ACS's answer.
type started struct {
	requestID, relayState string
	cookies               []*http.Cookie
}

func (h *harness) startTest(m *orgs.Manager, org string) started {
	h.t.Helper()
	w := httptest.NewRecorder()
	if err := m.StartTest(w, admin("POST", "/settings"), org); err != nil {
		h.t.Fatalf("StartTest: %v", err)
	}
	if w.Code != http.StatusSeeOther {
		h.t.Fatalf("StartTest answered %d, want a redirect to the IdP", w.Code)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	return started{requestID: requestID(h.t, loc.Query().Get("SAMLRequest")), relayState: loc.Query().Get("RelayState"), cookies: w.Result().Cookies()}
}

var idRE = regexp.MustCompile(`\bID="([^"]+)"`)

func requestID(t testing.TB, samlRequest string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(samlRequest)
	if err != nil {
		t.Fatal(err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	m := idRE.FindSubmatch(xml)
	if m == nil {
		t.Fatalf("no ID in %s", xml)
	}
	return string(m[1])
}

// forOrg points samltest's defaults at org's SP values.
func forOrg(org string, o samltest.Options) samltest.Options {
	if org != "acme" {
		p := base + "/organizations/" + org + "/saml/"
		if o.Audience == "" {
			o.Audience = p + "metadata"
		}
		if o.Destination == "" {
			o.Destination = p + "consume"
		}
		if o.Recipient == "" {
			o.Recipient = p + "consume"
		}
	}
	return o
}

// post posts a response to org's ACS with the cookies, as the IdP's form does.
func (h *harness) post(m *orgs.Manager, org string, idp *samltest.IdP, opts samltest.Options, relayState string, cookies []*http.Cookie) *httptest.ResponseRecorder {
	h.t.Helper()
	if opts.AssertionID == "" { // each response a fresh assertion, unless a test replays one
		h.n++
		opts.AssertionID = samltest.ID(fmt.Sprint("assertion-", h.n))
	}
	xml := idp.MustResponse(h.t, forOrg(org, opts))
	form := url.Values{"SAMLResponse": {samltest.Encode(xml)}}
	if relayState != "" {
		form.Set("RelayState", relayState)
	}
	return h.postForm(m, org, form, cookies)
}

func (h *harness) postForm(m *orgs.Manager, org string, form url.Values, cookies []*http.Cookie) *httptest.ResponseRecorder {
	r := httptest.NewRequest("POST", base+"/organizations/"+org+"/saml/consume", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Origin", "https://login.microsoftonline.com") // the IdP's cross-site POST
	for _, c := range cookies {
		if c.MaxAge >= 0 {
			r.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
		}
	}
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, r)
	return w
}

// finishTest runs the IdP leg of a started test with opts and returns the ACS's answer.
func (h *harness) finishTest(m *orgs.Manager, org string, idp *samltest.IdP, st started, opts samltest.Options) *httptest.ResponseRecorder {
	h.t.Helper()
	opts.InResponseTo = st.requestID
	return h.post(m, org, idp, opts, st.relayState, st.cookies)
}

// enabledOrg saves, tests and enables org with idp's settings.
func (h *harness) enabledOrg(org string, idp *samltest.IdP) *orgs.Org {
	h.t.Helper()
	o := h.save(h.m, org, entra(idp))
	st := h.startTest(h.m, org)
	if w := h.finishTest(h.m, org, idp, st, samltest.Options{AssertionID: samltest.ID("test-" + org)}); w.Code != http.StatusSeeOther {
		h.t.Fatalf("test answered %d: %s", w.Code, w.Body)
	}
	o, err := h.m.Enable(admin("POST", "/enable"), org, o.Pending.Number)
	if err != nil {
		h.t.Fatalf("Enable: %v", err)
	}
	return o
}

func (h *harness) get(org string) *orgs.Org {
	h.t.Helper()
	o, err := h.store.Get(admin("GET", "/").Context(), org)
	if err != nil {
		h.t.Fatal(err)
	}
	return o
}

// memberLogin is an SP-initiated member sign-in at m: login, the IdP answers with opts.
func (h *harness) memberLogin(m *orgs.Manager, org string, idp *samltest.IdP, opts samltest.Options) *httptest.ResponseRecorder {
	h.t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", base+"/organizations/"+org+"/saml/login", nil))
	if w.Code != http.StatusFound {
		h.t.Fatalf("login answered %d: %s", w.Code, w.Body)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	opts.InResponseTo = requestID(h.t, loc.Query().Get("SAMLRequest"))
	return h.post(m, org, idp, opts, loc.Query().Get("RelayState"), w.Result().Cookies())
}

func signIns(t testing.TB, s orgs.Store, org string) []orgs.SignIn {
	t.Helper()
	l, err := s.SignIns(admin("GET", "/").Context(), org, 100)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
