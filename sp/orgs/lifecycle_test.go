package orgs_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/beevik/etree"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
)

func TestNewRequiresAuthorizeStoreAndKey(t *testing.T) {
	ok := func(r *http.Request, org string, a orgs.Action) (string, error) { return "x", nil }
	for name, cfg := range map[string]orgs.Config{
		"no Authorize": {Store: orgs.NewMemoryStore(), BaseURL: base, CookieKey: cookieKey},
		"no Store":     {BaseURL: base, CookieKey: cookieKey, Authorize: ok},
		"short key":    {Store: orgs.NewMemoryStore(), BaseURL: base, CookieKey: cookieKey[:16], Authorize: ok},
		"no BaseURL":   {Store: orgs.NewMemoryStore(), CookieKey: cookieKey, Authorize: ok},
	} {
		if _, err := orgs.New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}

// Every admin method asks Authorize first, with its action, and does nothing when
// refused.
func TestEveryAdminActionGoesThroughAuthorize(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	before := h.get("acme")
	h.auth.calls = nil

	anon := func(method string) *http.Request {
		r := httptest.NewRequest(method, base+"/organizations/acme/settings/sso", nil)
		r.Header.Set("Origin", base)
		return r
	}
	calls := []struct {
		action orgs.Action
		call   func() error
	}{
		{orgs.ActionView, func() error { _, err := h.m.Get(anon("GET"), "acme"); return err }},
		{orgs.ActionView, func() error { _, err := h.m.SignIns(anon("GET"), "acme", 10); return err }},
		{orgs.ActionView, func() error { _, err := h.m.View(anon("GET"), "acme", 10); return err }},
		{orgs.ActionSave, func() error {
			_, err := h.m.Save(anon("POST"), "acme", entra(samltest.OtherTenantIdP()), before.Pending.Number)
			return err
		}},
		{orgs.ActionTest, func() error { return h.m.StartTest(httptest.NewRecorder(), anon("POST"), "acme") }},
		{orgs.ActionEnable, func() error { _, err := h.m.Enable(anon("POST"), "acme", before.Pending.Number); return err }},
		{orgs.ActionDisable, func() error { _, err := h.m.Disable(anon("POST"), "acme"); return err }},
		{orgs.ActionRefresh, func() error { return h.m.RefreshMetadata(anon("POST"), "acme") }},
	}
	for _, c := range calls {
		h.auth.calls = nil
		if err := c.call(); !errors.Is(err, orgs.ErrUnauthorized) {
			t.Errorf("%s without an admin: %v, want ErrUnauthorized", c.action, err)
		}
		if want := "acme " + string(c.action); len(h.auth.calls) != 1 || h.auth.calls[0] != want {
			t.Errorf("%s: Authorize calls %v, want [%s]", c.action, h.auth.calls, want)
		}
	}
	if after := h.get("acme"); after.Revision != before.Revision {
		t.Fatalf("refused admin actions changed the org (revision %d → %d)", before.Revision, after.Revision)
	}
}

func TestStateChangingActionsNeedSameOriginProof(t *testing.T) {
	h := newHarness(t)
	i := 0
	for _, tc := range []struct {
		name    string
		method  string
		headers map[string]string
		ok      bool
	}{
		{"Origin of the app", "POST", map[string]string{"Origin": base}, true},
		{"Sec-Fetch-Site same-origin", "POST", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"neither header", "POST", nil, false},
		{"another Origin", "POST", map[string]string{"Origin": "https://evil.example"}, false},
		{"Origin null", "POST", map[string]string{"Origin": "null"}, false},
		{"http Origin of the https app", "POST", map[string]string{"Origin": "http://app.example"}, false},
		{"Sec-Fetch-Site same-site", "POST", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"Sec-Fetch-Site cross-site", "POST", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"Sec-Fetch-Site none", "POST", map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"GET", "GET", map[string]string{"Origin": base}, false},
	} {
		i++
		r := httptest.NewRequest(tc.method, base+"/settings", nil)
		r.Header.Set("X-Test-Admin", "alice")
		for k, v := range tc.headers {
			r.Header.Set(k, v)
		}
		_, err := h.m.Save(r, fmt.Sprint("org", i), entra(samltest.DefaultIdP()), 0)
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && !errors.Is(err, orgs.ErrCrossOrigin):
			t.Errorf("%s: %v, want ErrCrossOrigin", tc.name, err)
		}
	}
	for name, call := range map[string]func(*http.Request) error{
		"StartTest": func(r *http.Request) error { return h.m.StartTest(httptest.NewRecorder(), r, "acme") },
		"Enable":    func(r *http.Request) error { _, err := h.m.Enable(r, "acme", 1); return err },
		"Disable":   func(r *http.Request) error { _, err := h.m.Disable(r, "acme"); return err },
	} {
		r := admin("POST", "/x")
		r.Header.Del("Origin")
		if err := call(r); !errors.Is(err, orgs.ErrCrossOrigin) {
			t.Errorf("%s without Origin or Sec-Fetch-Site: %v, want ErrCrossOrigin", name, err)
		}
	}
}

func TestSaveRefusesInvalidSettingsAndStoresNothing(t *testing.T) {
	h := newHarness(t)
	good := entra(samltest.DefaultIdP())
	keyPEM, _, _ := samltest.EncodePair(samltest.Pair{Key: samltest.DefaultIdP().Key, Cert: samltest.DefaultIdP().Cert})
	for _, tc := range []struct {
		name  string
		edit  func(*orgs.Settings)
		field string
	}{
		{"no login URL", func(s *orgs.Settings) { s.LoginURL = "" }, orgs.FieldLoginURL},
		{"issuer pasted as login URL", func(s *orgs.Settings) { s.LoginURL = samltest.IssuerFor(samltest.TenantID) }, orgs.FieldLoginURL},
		{"plain http IdP", func(s *orgs.Settings) { s.LoginURL = "http://idp.example/sso"; s.IdPEntityID = "x" }, orgs.FieldLoginURL},
		{"non-Entra IdP without entity ID", func(s *orgs.Settings) { s.LoginURL = "https://idp.example/sso" }, orgs.FieldIdPEntityID},
		{"no certificate", func(s *orgs.Settings) { s.Certificate = "" }, orgs.FieldCertificate},
		{"garbage certificate", func(s *orgs.Settings) { s.Certificate = "hello" }, orgs.FieldCertificate},
		{"private key as certificate", func(s *orgs.Settings) { s.Certificate = string(keyPEM) }, orgs.FieldCertificate},
		{"bad metadata", func(s *orgs.Settings) { *s = orgs.Settings{MetadataXML: "<x/>"} }, orgs.FieldMetadataXML},
		{"metadata URL over plain http (refused before any network)", func(s *orgs.Settings) {
			*s = orgs.Settings{MetadataURL: "http://login.microsoftonline.com/x/federationmetadata/2007-06/federationmetadata.xml"}
		}, orgs.FieldMetadataURL},
		{"bad e-mail domain", func(s *orgs.Settings) { s.AllowedEmailDomains = []string{"*.contoso.example"} }, orgs.FieldAllowedEmailDomains},
	} {
		s := good
		tc.edit(&s)
		_, err := h.m.Save(admin("POST", "/settings"), "acme", s, 0)
		var se *orgs.SettingsError
		if !errors.As(err, &se) || se.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want a SettingsError on %s", tc.name, err, tc.field)
			continue
		}
		if tc.name == "private key as certificate" && strings.Contains(se.Settings.Certificate, "PRIVATE KEY") {
			t.Errorf("%s: the key is handed back for redisplay", tc.name)
		}
		if _, err := h.store.Get(admin("GET", "/").Context(), "acme"); !errors.Is(err, orgs.ErrNotFound) {
			t.Fatalf("%s: a refused Save stored the org (%v)", tc.name, err)
		}
	}
}

func TestSaveOfAStaleFormConflicts(t *testing.T) {
	h := newHarness(t)
	if _, err := h.m.Save(admin("POST", "/s"), "acme", entra(samltest.DefaultIdP()), 0); err != nil {
		t.Fatal(err)
	}
	// A second admin's form also showed "no configuration yet".
	if _, err := h.m.Save(admin("POST", "/s"), "acme", entra(samltest.OtherTenantIdP()), 0); !errors.Is(err, orgs.ErrConflict) {
		t.Fatalf("save of a stale form: %v, want ErrConflict", err)
	}
	if got := h.get("acme").Pending.Settings.LoginURL; got != entra(samltest.DefaultIdP()).LoginURL {
		t.Fatalf("the stale save overwrote the first: %s", got)
	}
}

// A passing test records the Diagnosis, signs nobody in and activates nothing.
func TestTestRecordsDiagnosisAndSignsNobodyIn(t *testing.T) {
	h := newHarness(t)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	st := h.startTest(h.m, "acme")
	w := h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/organizations/acme/settings/sso" {
		t.Fatalf("test answered %d → %q, want 303 to the settings page", w.Code, w.Header().Get("Location"))
	}
	for _, c := range w.Result().Cookies() {
		if c.MaxAge >= 0 && c.Value != "" {
			t.Errorf("the test set cookie %s: a test must sign nobody in", c.Name)
		}
	}
	if len(h.logins) != 0 {
		t.Fatalf("OnLogin ran for a test")
	}
	o := h.get("acme")
	if !o.Pending.LastTest.Passed() || o.Pending.LastTest.By != "alice@contoso.example" || o.Enabled || o.Active != nil {
		t.Fatalf("after a passing test: pending test %+v, enabled %v, active %v; want passed by alice, nothing enabled", o.Pending.LastTest, o.Enabled, o.Active)
	}
	if l := signIns(t, h.store, "acme"); len(l) != 1 || !l[0].Test || l[0].Result != orgs.Succeeded || l[0].NameID != samltest.UserEmail || l[0].Signer != certs.Thumbprint(samltest.DefaultIdP().Cert) {
		t.Fatalf("sign-in log = %+v, want one successful test", l)
	}
}

func TestEnableOnlyAfterAPassingTestOfThatVersion(t *testing.T) {
	h := newHarness(t)
	o := h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); !errors.Is(err, orgs.ErrNotTested) {
		t.Fatalf("Enable before any test: %v, want ErrNotTested", err)
	}
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{Audience: "https://wrong.example"})
	if h.get("acme").Pending.LastTest.Passed() {
		t.Fatal("a test with a wrong audience passed")
	}
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); !errors.Is(err, orgs.ErrNotTested) {
		t.Fatalf("Enable after a failed test: %v, want ErrNotTested", err)
	}
	st = h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number+1); !errors.Is(err, orgs.ErrNotTested) {
		t.Fatalf("Enable of a version that is not the pending one: %v, want ErrNotTested", err)
	}
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatalf("Enable after a passing test: %v", err)
	}
	if o := h.get("acme"); !o.Enabled || o.Active.Number != o.Pending.Number {
		t.Fatalf("after Enable: enabled %v, active %+v", o.Enabled, o.Active)
	}
}

func TestTestAnswerIsBoundToTheAdminsBrowser(t *testing.T) {
	h := newHarness(t)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	st := h.startTest(h.m, "acme")
	other := h.startTest(h.m, "acme") // another browser's test cookie
	for name, cookies := range map[string][]*http.Cookie{
		"no cookie":             nil,
		"another test's cookie": other.cookies,
	} {
		opts := samltest.Options{InResponseTo: st.requestID, AssertionID: samltest.ID("x-" + name)}
		w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, st.relayState, cookies)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, w.Code)
		}
	}
	// Tampering with the cookie breaks its signature.
	forged := *st.cookies[0]
	forged.Value = strings.Replace(forged.Value, "a", "b", 1)
	w := h.post(h.m, "acme", samltest.DefaultIdP(), samltest.Options{InResponseTo: st.requestID, AssertionID: samltest.ID("forged")}, st.relayState, []*http.Cookie{&forged})
	if w.Code != http.StatusForbidden || h.get("acme").Pending.LastTest != nil {
		t.Fatalf("forged test cookie: %d, last test %+v; want 403 and nothing recorded", w.Code, h.get("acme").Pending.LastTest)
	}
	// Control: the browser that started the test, with its own cookie.
	if w := h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{}); w.Code != http.StatusSeeOther || !h.get("acme").Pending.LastTest.Passed() {
		t.Fatalf("control: %d", w.Code)
	}
}

// A copy of the test cookie cannot have the same answer diagnosed (and recorded) twice.
func TestTestAnswerIsUsedOnce(t *testing.T) {
	h := newHarness(t)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	st := h.startTest(h.m, "acme")
	opts := samltest.Options{InResponseTo: st.requestID, AssertionID: samltest.ID("once")}
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, st.relayState, st.cookies); w.Code != http.StatusSeeOther {
		t.Fatalf("first: %d", w.Code)
	}
	before := h.get("acme").Revision
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, st.relayState, st.cookies); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "already used") {
		t.Fatalf("second post with a copy of the cookie: %d %s, want 403 already used", w.Code, w.Body)
	}
	if o := h.get("acme"); o.Revision != before || !o.Pending.LastTest.Passed() {
		t.Fatalf("the second post rewrote the test result")
	}
}

func TestTestAnswerCountsOnlyForTheVersionTested(t *testing.T) {
	h := newHarness(t)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	st := h.startTest(h.m, "acme") // tests version 1
	h.save(h.m, "acme", entra(samltest.NextIdP()))
	w := h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if w.Code != http.StatusConflict {
		t.Fatalf("answer to a test of version 1 after version 2 was saved: %d, want 409", w.Code)
	}
	if o := h.get("acme"); o.Pending.Number != 2 || o.Pending.LastTest != nil {
		t.Fatalf("version 2 got version 1's test: %+v", o.Pending.LastTest)
	}
}

func TestTestAnswerCannotSignInAMember(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP()) // IdP-initiated allowed
	st := h.startTest(h.m, "acme")
	opts := samltest.Options{InResponseTo: st.requestID, AssertionID: samltest.ID("test-answer")}
	// Posted as a member sign-in (no test RelayState), before and after the test used it.
	for _, rs := range []string{"", "/organizations/acme"} {
		if w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, rs, st.cookies); w.Code != http.StatusForbidden {
			t.Fatalf("test answer as a member sign-in (RelayState %q): %d, want 403", rs, w.Code)
		}
	}
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, st.relayState, st.cookies); w.Code != http.StatusSeeOther {
		t.Fatalf("control: the test answer itself: %d", w.Code)
	}
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), opts, "", st.cookies); w.Code != http.StatusForbidden {
		t.Fatalf("used test answer replayed as a member sign-in: %d, want 403", w.Code)
	}
	if len(h.logins) != 0 {
		t.Fatalf("a test answer signed %d member(s) in", len(h.logins))
	}
}

// An enabled org re-tested with a broken configuration keeps serving members with the
// old one, and even a passing test of a new one changes nothing until Enable.
func TestChangingAnEnabledOrgNeedsEnable(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	broken := entra(samltest.DefaultIdP())
	broken.Certificate = samltest.CertPEM(samltest.NextIdP().Cert) // not the key the IdP signs with
	h.save(h.m, "acme", broken)
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if h.get("acme").Pending.LastTest.Passed() {
		t.Fatal("test with the wrong certificate passed")
	}
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member sign-in with the active configuration after a broken re-test: %d, want OnLogin", w.Code)
	}

	// The IdP rolls over to the next certificate; the admin tests it (passes)…
	h.save(h.m, "acme", entra(samltest.NextIdP()))
	st = h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.NextIdP(), st, samltest.Options{})
	o := h.get("acme")
	if !o.Pending.LastTest.Passed() {
		t.Fatal("test of the next certificate failed")
	}
	// …but members still use the old one until Enable.
	if w := h.memberLogin(h.m, "acme", samltest.NextIdP(), samltest.Options{}); w.Code != http.StatusForbidden {
		t.Fatalf("member signed with the pending (tested, not enabled) key: %d, want 403", w.Code)
	}
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	if w := h.memberLogin(h.m, "acme", samltest.NextIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("after Enable: %d, want OnLogin", w.Code)
	}
}

// A server that restarts (or another server) after a Save without Enable serves the old
// active configuration.
func TestSaveWithoutEnableSurvivesRestartWithOldActive(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	h.save(h.m, "acme", entra(samltest.OtherTenantIdP()))
	restarted := h.manager(h.store, 0)
	if w := h.memberLogin(restarted, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("restarted server: %d, want the old active configuration to sign the member in", w.Code)
	}
}

func TestNotEnabledOrgAnswers404And403(t *testing.T) {
	h := newHarness(t)
	h.save(h.m, "acme", entra(samltest.DefaultIdP()))
	get := func(path string) int {
		w := httptest.NewRecorder()
		h.m.Handler().ServeHTTP(w, httptest.NewRequest("GET", base+path, nil))
		return w.Code
	}
	if c := get("/organizations/acme/saml/login"); c != http.StatusNotFound {
		t.Errorf("login of a saved, not enabled org: %d, want 404", c)
	}
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), samltest.Options{Unsolicited: true}, "", nil); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "not enabled") {
		t.Errorf("ACS of a not enabled org: %d %s, want 403 saying SSO is not enabled", w.Code, w.Body)
	}
	if c := get("/organizations/nobody/saml/login"); c != http.StatusNotFound {
		t.Errorf("login of an unknown org: %d, want 404", c)
	}
	if c := get("/organizations/acme/saml/metadata"); c != http.StatusOK {
		t.Errorf("metadata of a saved org: %d, want 200 (the admin needs it before enabling)", c)
	}
	if c := get("/organizations/Bad_ID/saml/login"); c != http.StatusNotFound {
		t.Errorf("invalid org ID: %d, want 404", c)
	}

	h.enabledOrg("beta", samltest.DefaultIdP())
	if _, err := h.m.Disable(admin("POST", "/d"), "beta"); err != nil {
		t.Fatal(err)
	}
	if c := get("/organizations/beta/saml/login"); c != http.StatusNotFound {
		t.Errorf("login after Disable: %d, want 404", c)
	}
	if w := h.post(h.m, "beta", samltest.DefaultIdP(), samltest.Options{Unsolicited: true}, "", nil); w.Code != http.StatusForbidden {
		t.Errorf("ACS after Disable: %d, want 403", w.Code)
	}
}

func TestMemberSignInReachesOnLoginWithOrgAndAssertion(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("SP-initiated: %d %s", w.Code, w.Body)
	}
	if w := h.post(h.m, "acme", samltest.DefaultIdP(), samltest.Options{Unsolicited: true}, "", nil); w.Code != http.StatusNoContent {
		t.Fatalf("IdP-initiated: %d %s", w.Code, w.Body)
	}
	if len(h.logins) != 2 || h.logins[0].org != "acme" || h.logins[0].a.NameID.Value != samltest.UserEmail || h.logins[1].returnTo != "/organizations/acme" {
		t.Fatalf("OnLogin got %+v", h.logins)
	}
	if l := signIns(t, h.store, "acme"); l[0].Result != orgs.Succeeded || l[0].Test || l[0].Signer != certs.Thumbprint(samltest.DefaultIdP().Cert) {
		t.Fatalf("log = %+v; want a member sign-in signed by %s", l[0], certs.Thumbprint(samltest.DefaultIdP().Cert))
	}
}

// A member failure reaches the admin's sign-in log with the detail a test shows, and
// the reference the member was given.
func TestMemberFailureIsInTheSignInLog(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{Audience: "https://wrong.example"})
	if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "wrong.example") {
		t.Fatalf("member with a wrong audience: %d %s; want 403 without the details", w.Code, w.Body)
	}
	e := signIns(t, h.store, "acme")[0]
	if e.Result != orgs.Refused || e.Check != "audience" || !strings.Contains(e.Reason, "wrong.example") || e.Ref == "" || !strings.Contains(w.Body.String(), e.Ref) {
		t.Fatalf("log entry %+v; want the audience failure with the reference shown to the member", e)
	}

	w = h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{Status: "urn:oasis:names:tc:SAML:2.0:status:Responder",
		StatusMessage: "AADSTS50105: Your administrator has configured the application to block users unless they are specifically granted access.", NoAssertion: true})
	if e := signIns(t, h.store, "acme")[0]; e.AADSTS != "AADSTS50105" {
		t.Fatalf("log entry %+v; want AADSTS50105", e)
	}
}

func TestAllowedEmailDomains(t *testing.T) {
	h := newHarness(t)
	s := entra(samltest.DefaultIdP())
	s.AllowedEmailDomains = []string{"fabrikam.example"}
	h.save(h.m, "acme", s)
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	d := h.get("acme").Pending.LastTest.Diagnosis
	if d.OK || len(d.Failed()) != 1 || d.Failed()[0].Name != "email domain" || !errors.Is(d.Failed()[0].Err, orgs.ErrEmailDomain) {
		t.Fatalf("test of a user outside the allowed domains: %+v", d.Failed())
	}

	// Allowed: the test passes; then the domain list is narrowed in a version that is
	// enabled: members outside it are refused.
	s.AllowedEmailDomains = []string{"@Contoso.example"}
	h.save(h.m, "acme", s)
	st = h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	o := h.get("acme")
	if !o.Pending.LastTest.Passed() || o.Pending.Settings.AllowedEmailDomains[0] != "contoso.example" {
		t.Fatalf("test inside the allowed domain: %+v (domains %v)", o.Pending.LastTest.Diagnosis.Failed(), o.Pending.Settings.AllowedEmailDomains)
	}
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	outsider := samltest.Options{NameID: "mallory@evil.example"} // UPN claim follows NameID
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), outsider); w.Code != http.StatusForbidden {
		t.Fatalf("member outside the allowed domains: %d, want 403", w.Code)
	}
	if e := signIns(t, h.store, "acme")[0]; e.Check != "email domain" || !strings.Contains(e.Reason, "mallory@evil.example") || e.Signer != certs.Thumbprint(samltest.DefaultIdP().Cert) {
		t.Fatalf("log entry %+v", e)
	}
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("control: member inside: %d", w.Code)
	}
}

func TestEntraTenantPinning(t *testing.T) {
	h := newHarness(t)
	h.enabledOrg("acme", samltest.DefaultIdP())
	otherTenant := samltest.Options{EditAssertion: func(a *etree.Element) {
		for _, v := range a.FindElements(".//AttributeValue") {
			if v.Text() == samltest.TenantID {
				v.SetText(samltest.OtherTenantID)
			}
		}
	}}
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), otherTenant); w.Code != http.StatusForbidden {
		t.Fatalf("tenantid of another tenant under this tenant's issuer: %d, want 403", w.Code)
	}
	if e := signIns(t, h.store, "acme")[0]; e.Check != "Entra tenant" || !strings.Contains(e.Reason, samltest.OtherTenantID) {
		t.Fatalf("log entry %+v", e)
	}
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, otherTenant)
	if f := h.get("acme").Pending.LastTest.Diagnosis.Failed(); len(f) != 1 || !errors.Is(f[0].Err, orgs.ErrTenant) {
		t.Fatalf("test with another tenant's tenantid: failed checks %+v", f)
	}
}

var _ = sp.ErrAudience
