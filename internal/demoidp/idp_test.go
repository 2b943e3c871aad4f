package demoidp

import (
	"bytes"
	"compress/flate"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
)

var (
	fixedNow = time.Date(2026, 3, 14, 9, 26, 53, 0, time.UTC)

	keyOnce sync.Once
	key     *certs.KeyPair
)

const (
	spEntityID = "https://app.example/organizations/acme/saml/metadata"
	spACS      = "https://app.example/organizations/acme/saml/consume"
)

// testKey is generated once: RSA key generation is the slowest thing here.
func testKey(t *testing.T) *certs.KeyPair {
	keyOnce.Do(func() {
		var err error
		if key, err = newKeyPair(fixedNow); err != nil {
			panic(err)
		}
	})
	return key
}

type harness struct {
	idp    *IdP
	srv    *httptest.Server
	client *http.Client
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	cfg.BaseURL = srv.URL + "/demo-idp"
	cfg.Key = testKey(t)
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	idp, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/demo-idp/", idp)
	idp.RegisterSP(spEntityID, spACS)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &harness{idp: idp, srv: srv, client: client}
}

// authnRequestURL builds an HTTP-Redirect AuthnRequest like an SP would; children are
// extra elements after the Issuer.
func authnRequestURL(t *testing.T, loginURL, id, issuer string, children string) string {
	return buildAuthnRequestURL(t, loginURL, id, issuer, "", children)
}

// authnRequestURLWith is authnRequestURL for spEntityID with extra root attributes.
func authnRequestURLWith(t *testing.T, loginURL, id, attrs string) string {
	return buildAuthnRequestURL(t, loginURL, id, spEntityID, attrs, "")
}

func buildAuthnRequestURL(t *testing.T, loginURL, id, issuer, attrs, children string) string {
	t.Helper()
	xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="%s" Destination="%s" AssertionConsumerServiceURL="%s" %s><saml:Issuer>%s</saml:Issuer>%s</samlp:AuthnRequest>`,
		id, fixedNow.Format(time.RFC3339), loginURL, spACS, attrs, issuer, children)
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.DefaultCompression)
	w.Write([]byte(xml))
	w.Close()
	q := url.Values{"SAMLRequest": {base64.StdEncoding.EncodeToString(buf.Bytes())}, "RelayState": {"rs-123"}}
	return loginURL + "?" + q.Encode()
}

func (h *harness) get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := h.client.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (h *harness) post(t *testing.T, u string, form url.Values) (int, string) {
	t.Helper()
	resp, err := h.client.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var (
	tokenRE  = regexp.MustCompile(`name="token" value="([^"]*)"`)
	actionRE = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	samlRE   = regexp.MustCompile(`name="SAMLResponse" value="([^"]*)"`)
	relayRE  = regexp.MustCompile(`name="RelayState" value="([^"]*)"`)
)

// login answers the login page shown in body and returns the page that follows.
func (h *harness) login(t *testing.T, body, username, password string) (int, string) {
	t.Helper()
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no login form in:\n%s", body)
	}
	return h.post(t, h.idp.url("/login"), url.Values{"token": {m[1]}, "username": {username}, "password": {password}})
}

type posted struct {
	action, relayState string
	doc                *etree.Document
}

func parsePosted(t *testing.T, body string) posted {
	t.Helper()
	a, s := actionRE.FindStringSubmatch(body), samlRE.FindStringSubmatch(body)
	if a == nil || s == nil {
		t.Fatalf("no SAMLResponse form in:\n%s", body)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(s[1]))
	if err != nil {
		t.Fatal(err)
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	p := posted{action: html.UnescapeString(a[1]), doc: doc}
	if r := relayRE.FindStringSubmatch(body); r != nil {
		p.relayState = html.UnescapeString(r[1])
	}
	return p
}

// verify checks el's enveloped signature against cert only and returns the signed element.
func verify(t *testing.T, el *etree.Element, cert *x509.Certificate) *etree.Element {
	t.Helper()
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(fixedNow)
	v, err := ctx.Validate(el)
	if err != nil {
		t.Fatalf("signature on %s does not verify: %v", el.Tag, err)
	}
	return v
}

func hasSignature(el *etree.Element) bool {
	for _, c := range el.ChildElements() {
		if c.Tag == "Signature" && c.NamespaceURI() == dsig.Namespace {
			return true
		}
	}
	return false
}

func attributes(assertion *etree.Element) map[string][]string {
	out := map[string][]string{}
	for _, a := range assertion.FindElements("./AttributeStatement/Attribute") {
		for _, v := range a.SelectElements("AttributeValue") {
			out[a.SelectAttrValue("Name", "")] = append(out[a.SelectAttrValue("Name", "")], v.Text())
		}
	}
	return out
}

func TestSPInitiatedLoginReturnsSignedEntraResponse(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-abc", spEntityID, ""))
	if status != http.StatusOK || !strings.Contains(body, "adele@contoso.example") {
		t.Fatalf("login page: status %d\n%s", status, body)
	}
	status, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	if status != http.StatusOK {
		t.Fatalf("after login: status %d\n%s", status, body)
	}
	p := parsePosted(t, body)
	if p.action != spACS || p.relayState != "rs-123" {
		t.Errorf("posted to %q with RelayState %q, want %q and rs-123", p.action, p.relayState, spACS)
	}
	resp := p.doc.Root()
	issuer := "https://sts.windows.net/" + DefaultTenantID + "/"
	for name, got := range map[string]string{
		"Response/@Destination":  resp.SelectAttrValue("Destination", ""),
		"Response/@InResponseTo": resp.SelectAttrValue("InResponseTo", ""),
		"Response/Issuer":        resp.SelectElement("Issuer").Text(),
		"Response/@IssueInstant": resp.SelectAttrValue("IssueInstant", ""),
	} {
		want := map[string]string{
			"Response/@Destination": spACS, "Response/@InResponseTo": "id-abc",
			"Response/Issuer": issuer, "Response/@IssueInstant": "2026-03-14T09:26:53.000Z",
		}[name]
		if got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if hasSignature(resp) {
		t.Error("Response is signed; Entra's default signs the assertion only")
	}
	assertion := verify(t, resp.SelectElement("Assertion"), h.idp.Certificate())
	if got := assertion.FindElement("./Subject/NameID"); got.Text() != "adele@contoso.example" || got.SelectAttrValue("Format", "") != NameIDEmail {
		t.Errorf("NameID = %q (%s)", got.Text(), got.SelectAttrValue("Format", ""))
	}
	scd := assertion.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData")
	if scd.SelectAttrValue("Recipient", "") != spACS || scd.SelectAttrValue("InResponseTo", "") != "id-abc" ||
		scd.SelectAttrValue("NotOnOrAfter", "") != "2026-03-14T09:31:53.000Z" {
		t.Errorf("SubjectConfirmationData = %v", scd.Attr)
	}
	if got := assertion.FindElement("./Conditions/AudienceRestriction/Audience").Text(); got != spEntityID {
		t.Errorf("Audience = %q", got)
	}
	attrs := attributes(assertion)
	want := map[string][]string{
		ClaimTenantID:         {DefaultTenantID},
		ClaimObjectID:         {"4a9f3c1e-7b2d-4f6a-9c8e-1d2b3a4c5e6f"},
		ClaimDisplayName:      {"Adele Vance"},
		ClaimIdentityProvider: {issuer},
		ClaimEmail:            {"adele@contoso.example"},
		ClaimGivenName:        {"Adele"},
		ClaimSurname:          {"Vance"},
		ClaimName:             {"adele@contoso.example"},
		ClaimGroups:           {GroupAllStaff, GroupAdmins},
	}
	for name, values := range want {
		if fmt.Sprint(attrs[name]) != fmt.Sprint(values) {
			t.Errorf("claim %s = %v, want %v", name, attrs[name], values)
		}
	}
	sig := resp.FindElement("./Assertion/Signature")
	if sig.Index() != 1 {
		t.Errorf("assertion signature is child %d, want 1 (right after Issuer)", sig.Index())
	}
	if got := sig.FindElement("./SignedInfo/SignatureMethod").SelectAttrValue("Algorithm", ""); got != dsig.RSASHA256SignatureMethod {
		t.Errorf("SignatureMethod = %s", got)
	}
}

func TestSigningOptionsPlaceSignaturesLikeEntra(t *testing.T) {
	tests := []struct {
		signing                     Signing
		wantResponse, wantAssertion bool
	}{
		{SignAssertion, false, true},
		{SignResponse, true, false},
		{SignResponseAndAssertion, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.signing.String(), func(t *testing.T) {
			h := newHarness(t, Config{Signing: tt.signing})
			_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-1", spEntityID, ""))
			_, body = h.login(t, body, "alex@contoso.example", "alex-demo")
			resp := parsePosted(t, body).doc.Root()
			if got := hasSignature(resp); got != tt.wantResponse {
				t.Errorf("Response signed = %v, want %v", got, tt.wantResponse)
			}
			if got := hasSignature(resp.SelectElement("Assertion")); got != tt.wantAssertion {
				t.Errorf("Assertion signed = %v, want %v", got, tt.wantAssertion)
			}
			if tt.wantResponse {
				verify(t, resp, h.idp.Certificate())
			}
			if tt.wantAssertion {
				verify(t, resp.SelectElement("Assertion"), h.idp.Certificate())
			}
		})
	}
}

func TestIdPInitiatedLoginHasNoInResponseTo(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.get(t, h.idp.IdPInitiatedURL(spEntityID, "/members"))
	if status != http.StatusOK {
		t.Fatalf("status %d\n%s", status, body)
	}
	_, body = h.login(t, body, "alex@contoso.example", "alex-demo")
	p := parsePosted(t, body)
	if p.action != spACS || p.relayState != "/members" {
		t.Errorf("posted to %q with RelayState %q", p.action, p.relayState)
	}
	resp := p.doc.Root()
	if resp.SelectAttr("InResponseTo") != nil {
		t.Error("IdP-initiated Response carries InResponseTo")
	}
	a := verify(t, resp.SelectElement("Assertion"), h.idp.Certificate())
	if scd := a.FindElement("./Subject/SubjectConfirmation/SubjectConfirmationData"); scd.SelectAttr("InResponseTo") != nil {
		t.Error("IdP-initiated SubjectConfirmationData carries InResponseTo")
	}

	// Signed in now: My Apps lists the application and a second sign-in needs no password.
	_, page := h.get(t, h.idp.MyAppsURL())
	if !strings.Contains(page, html.EscapeString(h.idp.IdPInitiatedURL(spEntityID, ""))) {
		t.Errorf("My Apps does not link the application:\n%s", page)
	}
	_, body = h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	parsePosted(t, body)
}

func TestWrongPasswordIsRefused(t *testing.T) {
	h := newHarness(t, Config{})
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-1", spEntityID, ""))
	status, body := h.login(t, body, "adele@contoso.example", "wrong")
	if status != http.StatusUnauthorized || !strings.Contains(body, "AADSTS50126") || samlRE.MatchString(body) {
		t.Fatalf("status %d\n%s", status, body)
	}
	// The same sign-in can still finish with the right password.
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	parsePosted(t, body)
}

func TestUnknownApplicationIsRefusedLikeEntra(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-1", "https://other.example/saml", ""))
	if status != http.StatusBadRequest || !strings.Contains(body, "AADSTS700016") {
		t.Fatalf("status %d\n%s", status, body)
	}
}

func TestRequestedNameIDFormatWins(t *testing.T) {
	h := newHarness(t, Config{})
	policy := `<samlp:NameIDPolicy Format="` + NameIDPersistent + `"/>`
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-1", spEntityID, policy))
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	nameID := parsePosted(t, body).doc.Root().FindElement("./Assertion/Subject/NameID")
	if nameID.SelectAttrValue("Format", "") != NameIDPersistent || strings.Contains(nameID.Text(), "@") || nameID.Text() == "" {
		t.Errorf("NameID = %q (%s), want an opaque persistent value", nameID.Text(), nameID.SelectAttrValue("Format", ""))
	}
}

func TestUnsupportedNameIDFormatGetsAADSTS75016(t *testing.T) {
	h := newHarness(t, Config{})
	policy := `<samlp:NameIDPolicy Format="urn:oasis:names:tc:SAML:1.1:nameid-format:X509SubjectName"/>`
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-1", spEntityID, policy))
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	resp := parsePosted(t, body).doc.Root()
	if resp.FindElement("./Assertion") != nil || !strings.Contains(resp.FindElement(".//StatusMessage").Text(), "AADSTS75016") {
		doc := etree.NewDocumentWithRoot(resp.Copy())
		s, _ := doc.WriteToString()
		t.Errorf("want an error Response with AADSTS75016, got\n%s", s)
	}
}

func TestConfiguredPersistentNameID(t *testing.T) {
	h := newHarness(t, Config{NameIDFormat: NameIDPersistent})
	_, body := h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	first := parsePosted(t, body).doc.Root().FindElement("./Assertion/Subject/NameID").Text()
	_, body = h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	second := parsePosted(t, body).doc.Root().FindElement("./Assertion/Subject/NameID").Text()
	if first != second || first == "" {
		t.Errorf("persistent NameID changed between logins: %q, %q", first, second)
	}
}

func TestMetadataNamesTheEntraIssuerAndLoginURL(t *testing.T) {
	h := newHarness(t, Config{TenantID: "11111111-2222-3333-4444-555555555555"})
	status, body := h.get(t, h.idp.MetadataURL())
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{
		`entityID="https://sts.windows.net/11111111-2222-3333-4444-555555555555/"`,
		`Location="` + h.srv.URL + `/demo-idp/11111111-2222-3333-4444-555555555555/saml2"`,
		base64.StdEncoding.EncodeToString(h.idp.Certificate().Raw)[:40],
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metadata lacks %s:\n%s", want, body)
		}
	}
	if got := h.idp.LoginURL(); got != h.srv.URL+"/demo-idp/11111111-2222-3333-4444-555555555555/saml2" {
		t.Errorf("LoginURL = %s", got)
	}
	if !strings.HasPrefix(h.idp.CertificatePEM(), "-----BEGIN CERTIFICATE-----\n") {
		t.Errorf("CertificatePEM = %q", h.idp.CertificatePEM())
	}
}

func TestRegisterApplicationForm(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.post(t, h.idp.url("/apps"), url.Values{"entity_id": {"urn:x"}, "reply_url": {""}})
	if status != http.StatusOK || !strings.Contains(body, "Reply URL (Assertion Consumer Service URL) is required.") {
		t.Fatalf("status %d\n%s", status, body)
	}
	status, _ = h.post(t, h.idp.url("/apps"), url.Values{"entity_id": {"urn:x"}, "reply_url": {"http://127.0.0.1:9/acs"}})
	if status != http.StatusSeeOther {
		t.Fatalf("status %d", status)
	}
	if ed, err := h.idp.GetServiceProvider(nil, "urn:x"); err != nil || ed.SPSSODescriptors[0].AssertionConsumerServices[0].Location != "http://127.0.0.1:9/acs" {
		t.Fatalf("not registered: %v", err)
	}
	// The optional Logout Url (Single Logout).
	if status, body := h.post(t, h.idp.url("/apps"), url.Values{"entity_id": {"urn:y"}, "reply_url": {"http://127.0.0.1:9/acs"}, "logout_url": {"javascript:x"}}); status != http.StatusOK || !strings.Contains(body, "Logout Url must be an http or https URL.") {
		t.Errorf("a bad Logout Url: status %d", status)
	}
	h.post(t, h.idp.url("/apps"), url.Values{"entity_id": {"urn:y"}, "reply_url": {"http://127.0.0.1:9/acs"}, "logout_url": {"http://127.0.0.1:9/logout"}})
	if got := h.idp.logoutURL("urn:y"); got != "http://127.0.0.1:9/logout" {
		t.Errorf("Logout Url registered as %q", got)
	}

	req, _ := http.NewRequest(http.MethodPost, h.idp.url("/apps"), strings.NewReader(url.Values{"entity_id": {"urn:evil"}, "reply_url": {"https://evil.example/acs"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := h.idp.GetServiceProvider(nil, "urn:evil"); resp.StatusCode != http.StatusForbidden || err == nil {
		t.Errorf("cross-origin registration: status %d, registered %v", resp.StatusCode, err == nil)
	}
}

// TestGroupsOverageSendsTheGraphLink: like Entra, more than 150 groups are replaced by a
// groups.link claim.
func TestGroupsOverageSendsTheGraphLink(t *testing.T) {
	h := newHarness(t, Config{})
	_, body := h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	_, body = h.login(t, body, "megan@contoso.example", "megan-demo")
	attrs := attributes(parsePosted(t, body).doc.Root().SelectElement("Assertion"))
	if _, ok := attrs[ClaimGroups]; ok {
		t.Error("groups claim sent for a user in 161 groups")
	}
	want := "https://graph.windows.net/" + DefaultTenantID + "/users/c3d4e5f6-a7b8-4c9d-8e0f-1a2b3c4d5e6f/getMemberObjects"
	if got := attrs[ClaimGroupsLink]; len(got) != 1 || got[0] != want {
		t.Errorf("groups.link = %v, want %s", got, want)
	}
}

// TestSigningOptionCanBeChangedLikeInEntra: the Enterprise applications page switches the
// Signing Option, and the next response follows it.
func TestSigningOptionCanBeChangedLikeInEntra(t *testing.T) {
	h := newHarness(t, Config{})
	status, _ := h.post(t, h.idp.url("/apps"), url.Values{"signing": {"response"}})
	if status != http.StatusSeeOther || h.idp.Signing() != SignResponse {
		t.Fatalf("status %d, signing %v", status, h.idp.Signing())
	}
	_, body := h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	resp := parsePosted(t, body).doc.Root()
	if !hasSignature(resp) || hasSignature(resp.SelectElement("Assertion")) {
		t.Error("the response does not follow the new Signing Option")
	}
	if status, _ := h.post(t, h.idp.url("/apps"), url.Values{"signing": {"sha1"}}); status != http.StatusBadRequest || h.idp.Signing() != SignResponse {
		t.Errorf("unknown option: status %d, signing %v", status, h.idp.Signing())
	}
}

// TestUnassignedUserGetsAADSTS50105: an error Response, as Entra sends with "Assignment
// required" on, not an assertion.
func TestUnassignedUserGetsAADSTS50105(t *testing.T) {
	h := newHarness(t, Config{})
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-diego", spEntityID, ""))
	_, body = h.login(t, body, "diego@contoso.example", "diego-demo")
	resp := parsePosted(t, body).doc.Root()
	if resp.FindElement(".//Assertion") != nil || resp.SelectAttrValue("InResponseTo", "") != "id-diego" ||
		!strings.Contains(resp.FindElement(".//StatusMessage").Text(), "AADSTS50105") {
		doc := etree.NewDocumentWithRoot(resp.Copy())
		s, _ := doc.WriteToString()
		t.Errorf("want an AADSTS50105 error Response, got\n%s", s)
	}
}

// TestLoginRefusesCrossOriginPosts: another site cannot sign a visitor in to the demo IdP
// (login CSRF), while the IdP's own login form still works.
func TestLoginRefusesCrossOriginPosts(t *testing.T) {
	h := newHarness(t, Config{})
	form := url.Values{"username": {"adele@contoso.example"}, "password": {"adele-demo"}}
	req, _ := http.NewRequest(http.MethodPost, h.idp.url("/login"), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin login: status %d, want 403", resp.StatusCode)
	}
	for _, c := range h.client.Jar.Cookies(req.URL) {
		t.Errorf("cross-origin login set cookie %s", c.Name)
	}
	req.Header.Set("Origin", h.idp.base.Scheme+"://"+h.idp.base.Host)
	req.Body = io.NopCloser(strings.NewReader(form.Encode()))
	resp, err = h.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusForbidden || len(h.client.Jar.Cookies(req.URL)) == 0 {
		t.Fatalf("control: same-origin login: status %d, cookies %v", resp.StatusCode, h.client.Jar.Cookies(req.URL))
	}
}
