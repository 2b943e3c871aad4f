package sptest_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/sptest"
	"github.com/ssokit/saml/sp/web"
)

const (
	spEntityID = "https://app.example/saml"
	spACS      = "https://app.example/saml/acs"
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// Key pairs are generated once: RSA key generation is the slowest step of a set-up.
var (
	idpKey = sync.OnceValues(func() (*certs.KeyPair, error) {
		return certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate", testNow.Add(-24*time.Hour), 3*365*24*time.Hour)
	})
	otherKey = sync.OnceValues(func() (*certs.KeyPair, error) {
		return certs.GenerateKeyPair("someone else", testNow.Add(-24*time.Hour), 365*24*time.Hour)
	})
	spKey = sync.OnceValues(func() (*certs.KeyPair, error) {
		return certs.GenerateKeyPair("app.example", testNow.Add(-24*time.Hour), 365*24*time.Hour)
	})
)

func key(t testing.TB, f func() (*certs.KeyPair, error)) *certs.KeyPair {
	t.Helper()
	kp, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// newIdP is an IdP on the fixed clock with the app registered.
func newIdP(t *testing.T, cfg sptest.Config) *sptest.IdP {
	t.Helper()
	if cfg.Key == nil {
		cfg.Key = key(t, idpKey)
	}
	cfg.Now = clock
	idp := sptest.NewIdP(cfg)
	t.Cleanup(idp.Close)
	idp.RegisterSP(spEntityID, spACS)
	return idp
}

// newSP is the SP an admin configures from the IdP's federation metadata.
func newSP(t testing.TB, idp *sptest.IdP, edit func(*sp.Config)) *sp.SP {
	t.Helper()
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		t.Fatalf("ParseIdP(federation metadata): %v", err)
	}
	cfg := sp.Config{EntityID: spEntityID, ACSURL: spACS, IdP: meta, Now: clock}
	if edit != nil {
		edit(&cfg)
	}
	s, err := sp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// login runs SP-initiated login without HTTP: the SP's redirect URL, the IdP's answer,
// the SP's validation.
func login(t *testing.T, idp *sptest.IdP, s *sp.SP, opts ...sp.RequestOption) (*assertion.Assertion, error) {
	t.Helper()
	u, id, err := s.AuthnRequestURL("rs-1", opts...)
	if err != nil {
		t.Fatal(err)
	}
	form, err := idp.Respond(u)
	if err != nil {
		t.Fatalf("Respond: %v", err)
	}
	if form.Action != spACS || form.RelayState != "rs-1" {
		t.Errorf("form posts to %q with RelayState %q, want %q and rs-1", form.Action, form.RelayState, spACS)
	}
	return s.ValidateResponse(context.Background(), form.SAMLResponse, id)
}

func decode(t *testing.T, form *sptest.Form) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(form.SAMLResponse)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestEverySigningOptionIsAcceptedWithEntraClaims(t *testing.T) {
	for _, signing := range []sptest.Signing{sptest.SignAssertion, sptest.SignResponse, sptest.SignBoth} {
		t.Run(signing.String(), func(t *testing.T) {
			idp := newIdP(t, sptest.Config{Signing: signing})
			s := newSP(t, idp, func(c *sp.Config) {
				c.RequireSignedAssertion = signing != sptest.SignResponse
				c.RequireSignedResponse = signing != sptest.SignAssertion
			})
			a, err := login(t, idp, s)
			if err != nil {
				t.Fatalf("ValidateResponse: %v", err)
			}
			u := sptest.DefaultUser()
			for _, c := range []struct{ name, got, want string }{
				{"issuer", a.Issuer, "https://sts.windows.net/" + sptest.DefaultTenantID + "/"},
				{"tenantid", a.TenantID(), sptest.DefaultTenantID},
				{"objectidentifier", a.ObjectID(), u.ObjectID},
				{"name (UPN)", a.UPN(), u.UPN},
				{"NameID", a.NameID.Value, u.UPN},
				{"emailaddress", a.Email(), u.Email},
				{"displayname", a.DisplayName(), u.DisplayName},
				{"identityprovider", a.IdentityProvider(), idp.EntityID()},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
				}
			}
		})
	}
}

// The signatures are real: an SP that trusts another certificate refuses the response.
func TestResponsesAreSignedWithTheIdPKeyOnly(t *testing.T) {
	idp := newIdP(t, sptest.Config{Signing: sptest.SignBoth})
	s := newSP(t, idp, func(c *sp.Config) {
		c.IdP.Certificates = []*x509.Certificate{key(t, otherKey).Certificate}
	})
	if _, err := login(t, idp, s); !errors.Is(err, sp.ErrSignature) {
		t.Fatalf("trusting another certificate: err = %v, want ErrSignature", err)
	}
}

func TestGroupsRolesAndGroupsOverage(t *testing.T) {
	many := make([]string, sptest.MaxGroups+1)
	for i := range many {
		many[i] = fmt.Sprintf("6b0f%04d-0000-4000-8000-000000000000", i)
	}
	for _, tc := range []struct {
		name     string
		groups   []string
		overage  bool
		wantSize int
	}{
		{"two groups", many[:2], false, 2},
		{"exactly the limit", many[:sptest.MaxGroups], false, sptest.MaxGroups},
		{"one over the limit", many, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := sptest.DefaultUser()
			u.Groups, u.Roles = tc.groups, []string{"Admin", "Reader"}
			idp := newIdP(t, sptest.Config{User: u})
			a, err := login(t, idp, newSP(t, idp, nil))
			if err != nil {
				t.Fatal(err)
			}
			groups, err := a.Groups()
			link, over := a.GroupsOverage()
			if over != tc.overage || len(groups) != tc.wantSize {
				t.Fatalf("groups %d, overage %v (%q), want %d and %v", len(groups), over, link, tc.wantSize, tc.overage)
			}
			if tc.overage {
				if !errors.Is(err, assertion.ErrGroupsOverage) {
					t.Errorf("Groups() err = %v, want ErrGroupsOverage", err)
				}
				if want := "https://graph.windows.net/" + sptest.DefaultTenantID + "/users/" + u.ObjectID + "/getMemberObjects"; link != want {
					t.Errorf("groups.link = %q, want %q", link, want)
				}
			}
			if got := strings.Join(a.Roles(), ","); got != "Admin,Reader" {
				t.Errorf("roles = %q", got)
			}
		})
	}
}

func TestIdPInitiated(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	form, err := idp.IdPInitiated(spEntityID, "/reports")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(decode(t, form), "InResponseTo") {
		t.Error("an IdP-initiated response carries InResponseTo")
	}
	if form.Action != spACS || form.RelayState != "/reports" {
		t.Errorf("form = %+v", form)
	}
	if _, err := newSP(t, idp, nil).ValidateResponse(context.Background(), form.SAMLResponse); !errors.Is(err, sp.ErrUnsolicited) {
		t.Errorf("SP without AllowIdPInitiated: err = %v, want ErrUnsolicited", err)
	}
	a, err := newSP(t, idp, func(c *sp.Config) { c.AllowIdPInitiated = true }).ValidateResponse(context.Background(), form.SAMLResponse)
	if err != nil {
		t.Fatalf("SP with AllowIdPInitiated: %v", err)
	}
	if a.InResponseTo != "" {
		t.Errorf("InResponseTo = %q", a.InResponseTo)
	}
}

func TestEncryptedAssertion(t *testing.T) {
	spKP := key(t, spKey)
	idp := newIdP(t, sptest.Config{Signing: sptest.SignBoth, EncryptionCertificate: spKP.Certificate})
	s := newSP(t, idp, func(c *sp.Config) { c.Key = spKP; c.RequireSignedResponse = true })
	u, id, err := s.AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	form, err := idp.Respond(u)
	if err != nil {
		t.Fatal(err)
	}
	xml := decode(t, form)
	if !strings.Contains(xml, "EncryptedAssertion") || strings.Contains(xml, sptest.DefaultUser().ObjectID) {
		t.Fatalf("the assertion is not encrypted:\n%s", xml)
	}
	a, err := s.ValidateResponse(context.Background(), form.SAMLResponse, id)
	if err != nil {
		t.Fatalf("ValidateResponse: %v", err)
	}
	if a.ObjectID() != sptest.DefaultUser().ObjectID {
		t.Errorf("objectidentifier = %q", a.ObjectID())
	}
	// Without the SP key, nothing can be read.
	if _, err := newSP(t, idp, nil).ValidateResponse(context.Background(), form.SAMLResponse, id); err == nil {
		t.Error("an SP without the key accepted an encrypted assertion")
	}
}

func TestNameIDFormats(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	s := newSP(t, idp, nil)
	persistent := func() string {
		a, err := login(t, idp, s, sp.NameIDFormat(sptest.NameIDPersistent))
		if err != nil {
			t.Fatal(err)
		}
		if a.NameID.Format != sptest.NameIDPersistent || a.NameID.Value == sptest.DefaultUser().UPN {
			t.Fatalf("NameID %q (%s), want an opaque persistent one", a.NameID.Value, a.NameID.Format)
		}
		return a.NameID.Value
	}
	if first, again := persistent(), persistent(); first != again {
		t.Errorf("persistent NameID changed between logins: %q, %q", first, again)
	}
	a, err := login(t, idp, s, sp.NameIDFormat(sptest.NameIDTransient))
	if err != nil {
		t.Fatal(err)
	}
	if a.NameID.Format != sptest.NameIDTransient {
		t.Errorf("NameID format %q, want transient", a.NameID.Format)
	}
}

// Refusals Entra posts to the application: ErrStatus with the AADSTS code, once.
func TestRefusalsPostedToTheApplication(t *testing.T) {
	t.Run("AADSTS50105 user not assigned", func(t *testing.T) {
		u := sptest.DefaultUser()
		u.NotAssigned = true
		idp := newIdP(t, sptest.Config{User: u})
		_, err := login(t, idp, newSP(t, idp, nil))
		if !errors.Is(err, sp.ErrStatus) || !strings.Contains(err.Error(), "AADSTS50105") {
			t.Fatalf("err = %v, want ErrStatus with AADSTS50105", err)
		}
	})
	t.Run("AADSTS75016 NameID format", func(t *testing.T) {
		idp := newIdP(t, sptest.Config{})
		s := newSP(t, idp, nil)
		_, err := login(t, idp, s, sp.NameIDFormat("urn:oasis:names:tc:SAML:2.0:nameid-format:kerberos"))
		if !errors.Is(err, sp.ErrStatus) || !strings.Contains(err.Error(), "AADSTS75016") {
			t.Fatalf("err = %v, want ErrStatus with AADSTS75016", err)
		}
	})
}

// Requests Entra does not answer at all: an error page, an *Error from Respond.
func TestRequestsEntraDoesNotAnswer(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	request := func(issuer, acs, id string) string {
		xml := fmt.Sprintf(`<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="%s" Version="2.0" IssueInstant="2026-03-02T10:00:00Z" AssertionConsumerServiceURL="%s"><saml:Issuer>%s</saml:Issuer></samlp:AuthnRequest>`, id, acs, issuer)
		v, err := redirect.Encode([]byte(xml))
		if err != nil {
			t.Fatal(err)
		}
		return idp.LoginURL() + "?" + url.Values{"SAMLRequest": {v}}.Encode()
	}
	for _, tc := range []struct {
		name, url, code string
	}{
		{"unknown Identifier", request("https://other.example/saml", spACS, "id1"), "AADSTS700016"},
		{"Reply URL not registered", request(spEntityID, "https://evil.example/acs", "id1"), "AADSTS50011"},
		{"ID starts with a digit", request(spEntityID, spACS, "1abc"), "AADSTS7500529"},
		{"no SAMLRequest", idp.LoginURL() + "?foo=bar", "AADSTS750054"},
		{"not an AuthnRequest", idp.LoginURL() + "?SAMLRequest=" + url.QueryEscape(mustEncode(t, "<x/>")), "AADSTS75005"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := idp.Respond(tc.url)
			var refused *sptest.Error
			if !errors.As(err, &refused) || refused.Code != tc.code {
				t.Fatalf("Respond: err = %v, want %s", err, tc.code)
			}
			// The browser gets Entra's error page, and SignIn reports the same code.
			_, err = idp.SignIn(http.DefaultClient, tc.url)
			if !errors.As(err, &refused) || refused.Code != tc.code {
				t.Errorf("SignIn: err = %v, want %s", err, tc.code)
			}
		})
	}
	// The control: the same request with the registered values is answered.
	if _, err := idp.Respond(request(spEntityID, spACS, "id1")); err != nil {
		t.Errorf("registered app: %v", err)
	}
}

func mustEncode(t *testing.T, xml string) string {
	v, err := redirect.Encode([]byte(xml))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPostBindingRequest(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	s := newSP(t, idp, nil)
	pf, id, err := s.AuthnRequestForm("rs-post")
	if err != nil {
		t.Fatal(err)
	}
	form, err := idp.RespondPost(pf.SAMLRequest, pf.RelayState)
	if err != nil {
		t.Fatal(err)
	}
	if form.RelayState != "rs-post" {
		t.Errorf("RelayState %q", form.RelayState)
	}
	if _, err := s.ValidateResponse(context.Background(), form.SAMLResponse, id); err != nil {
		t.Fatal(err)
	}
}

func TestEveryResponseIsNew(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	s := newSP(t, idp, func(c *sp.Config) { c.AllowIdPInitiated = true })
	for i := range 3 {
		form, err := idp.IdPInitiated(spEntityID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ValidateResponse(context.Background(), form.SAMLResponse); err != nil {
			t.Fatalf("response %d refused (IDs must be fresh for the replay cache): %v", i, err)
		}
	}
}

func TestMetadataIsWhatTheSPNeeds(t *testing.T) {
	idp := newIdP(t, sptest.Config{TenantID: "0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d"})
	resp, err := http.Get(idp.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	served, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(served, idp.Metadata()) {
		t.Fatal("MetadataURL does not serve Metadata()")
	}
	meta, err := metadata.ParseSignedIdP(served, idp.EntityID(), idp.Certificate())
	if err != nil {
		t.Fatalf("ParseSignedIdP with the IdP certificate: %v", err)
	}
	if meta.EntityID != "https://sts.windows.net/0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d/" || meta.SSOURL != idp.LoginURL() ||
		len(meta.Certificates) != 1 || !meta.Certificates[0].Equal(idp.Certificate()) {
		t.Errorf("metadata: %+v", meta)
	}
	if _, err := metadata.ParseSignedIdP(served, idp.EntityID(), key(t, otherKey).Certificate); err == nil {
		t.Error("metadata verified with a certificate that did not sign it")
	}
	if got, _ := certs.Parse([]byte(idp.CertificatePEM())); len(got) != 1 || !got[0].Equal(idp.Certificate()) {
		t.Error("CertificatePEM is not the signing certificate")
	}
}

// The whole browser flow through an application's handlers: login → IdP → ACS → app.
func TestSignInThroughTheHandlers(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	t.Cleanup(app.Close)
	idp.RegisterSP(app.URL+"/saml/metadata", app.URL+"/saml/acs")
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	provider, err := sp.New(sp.Config{EntityID: app.URL + "/saml/metadata", ACSURL: app.URL + "/saml/acs", IdP: meta,
		RequireSignedAssertion: true, AllowIdPInitiated: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(provider, web.Config{CookieKey: []byte("sptest-handlers-key-of-32-bytes!")})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("GET /saml/login", h.Login())
	mux.Handle("POST /saml/acs", h.ACS())
	mux.HandleFunc("GET /public", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "public") })
	mux.Handle("/", h.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "hello %s at %s", s.NameID, r.URL.Path)
	})))

	for _, tc := range []struct{ name, start, want string }{
		{"SP-initiated", app.URL + "/saml/login?returnTo=/reports", "hello " + sptest.DefaultUser().UPN + " at /reports"},
		{"IdP-initiated", idp.IdPInitiatedURL(app.URL+"/saml/metadata", ""), "hello " + sptest.DefaultUser().UPN + " at /"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jar, _ := cookiejar.New(nil)
			client := &http.Client{Jar: jar}
			resp, err := idp.SignIn(client, tc.start)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || string(body) != tc.want {
				t.Fatalf("status %d, body %q, want %q", resp.StatusCode, body, tc.want)
			}
		})
	}
	t.Run("refused user", func(t *testing.T) {
		u := sptest.DefaultUser()
		u.NotAssigned = true
		idp.SetUser(u)
		t.Cleanup(func() { idp.SetUser(sptest.DefaultUser()) })
		jar, _ := cookiejar.New(nil)
		resp, err := idp.SignIn(&http.Client{Jar: jar}, app.URL+"/saml/login")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("status %d, want 403 from the ACS for an AADSTS50105 response", resp.StatusCode)
		}
	})
	t.Run("app that does not redirect to the IdP", func(t *testing.T) {
		if _, err := idp.SignIn(http.DefaultClient, app.URL+"/public"); err == nil || !strings.Contains(err.Error(), "did not lead to the IdP") {
			t.Errorf("err = %v", err)
		}
	})
}

func TestServeHTTPUnknownPathIsNotFound(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	resp, err := http.Get(idp.URL + "/common/oauth2/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("status %d", resp.StatusCode)
	}
}

func TestReadForm(t *testing.T) {
	f, err := sptest.ReadForm(strings.NewReader(`<form method="post" action="https://a.example/acs?x=1&amp;y=2">` +
		`<input type="hidden" name="SAMLResponse" value="PHg+"><input type="hidden" name="RelayState" value="a&amp;b"></form>`))
	if err != nil {
		t.Fatal(err)
	}
	if f.Action != "https://a.example/acs?x=1&y=2" || f.SAMLResponse != "PHg+" || f.RelayState != "a&b" {
		t.Errorf("form = %+v", f)
	}
	for _, page := range []string{"<p>no form</p>", `<form action="/acs"></form>`} {
		if _, err := sptest.ReadForm(strings.NewReader(page)); err == nil {
			t.Errorf("ReadForm(%q) accepted", page)
		}
	}
}

func TestUserWithoutUPNIsAnError(t *testing.T) {
	idp := newIdP(t, sptest.Config{})
	idp.SetUser(sptest.User{ObjectID: "x"})
	_, err := idp.IdPInitiated(spEntityID, "")
	var refused *sptest.Error
	if err == nil || errors.As(err, &refused) || !strings.Contains(err.Error(), "UPN") {
		t.Fatalf("err = %v, want a plain error naming the UPN", err)
	}
}

func TestNewIdPRefusesANonRSAKey(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "RSA") {
			t.Errorf("recover() = %v, want a panic naming RSA", r)
		}
	}()
	sptest.NewIdP(sptest.Config{Key: &certs.KeyPair{}})
}
