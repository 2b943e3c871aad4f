package sp

import (
	"bytes"
	"compress/flate"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"io"
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
	"github.com/ssokit/saml/metadata"
)

// reqNow is the fixed clock of the AuthnRequest tests.
var reqNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var reqKeys = sync.OnceValues(func() ([2]*certs.KeyPair, error) {
	idp, err := certs.GenerateKeyPair("test idp", reqNow.Add(-time.Hour), 24*time.Hour)
	if err != nil {
		return [2]*certs.KeyPair{}, err
	}
	sp, err := certs.GenerateKeyPair("test sp", reqNow.Add(-time.Hour), 24*time.Hour)
	return [2]*certs.KeyPair{idp, sp}, err
})

// reqTestSP is an SP that looks like an Entra set-up; edit changes its Config first.
func reqTestSP(t testing.TB, edit func(*Config)) *SP {
	t.Helper()
	keys, err := reqKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		EntityID: "https://app.example/saml",
		ACSURL:   "https://app.example/saml/consume",
		IdP: &metadata.IdP{
			EntityID:     "https://sts.windows.net/0f1e2d3c-0000-4000-8000-000000000001/",
			SSOURL:       "https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2",
			Certificates: []*x509.Certificate{keys[0].Certificate},
		},
		Now: func() time.Time { return reqNow },
	}
	if edit != nil {
		edit(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func spKey(t testing.TB) *certs.KeyPair {
	t.Helper()
	keys, err := reqKeys()
	if err != nil {
		t.Fatal(err)
	}
	return keys[1]
}

// inflateRequest undoes the HTTP-Redirect encoding of SAMLRequest.
func inflateRequest(t testing.TB, value string) *etree.Element {
	t.Helper()
	compressed, err := base64.StdEncoding.DecodeString(value)
	if err != nil {
		t.Fatalf("SAMLRequest is not base64: %v", err)
	}
	raw, err := io.ReadAll(flate.NewReader(bytes.NewReader(compressed)))
	if err != nil {
		t.Fatalf("SAMLRequest is not raw DEFLATE: %v", err)
	}
	return parseRequestXML(t, raw)
}

func parseRequestXML(t testing.TB, raw []byte) *etree.Element {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("AuthnRequest is not XML: %v\n%s", err, raw)
	}
	root := doc.Root()
	if root.NamespaceURI() != authnNSProtocol || root.Tag != "AuthnRequest" {
		t.Fatalf("root is {%s}%s, want {%s}AuthnRequest", root.NamespaceURI(), root.Tag, authnNSProtocol)
	}
	return root
}

// child finds a direct child by namespace URI and local name.
func reqChild(el *etree.Element, ns, local string) *etree.Element {
	for _, c := range el.ChildElements() {
		if c.NamespaceURI() == ns && c.Tag == local {
			return c
		}
	}
	return nil
}

var idShape = regexp.MustCompile(`^id[0-9a-f]{32}$`)

// checkEntraDefaults asserts every attribute of a request made with no options.
func checkEntraDefaults(t *testing.T, s *SP, req *etree.Element, id string) {
	t.Helper()
	want := map[string]string{
		"ID":                          id,
		"Version":                     "2.0",
		"IssueInstant":                "2026-03-02T10:00:00Z",
		"Destination":                 s.cfg.IdP.SSOURL,
		"AssertionConsumerServiceURL": s.cfg.ACSURL,
		"ProtocolBinding":             "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST",
	}
	got := map[string]string{}
	for _, a := range req.Attr {
		if a.Space == "xmlns" || a.Key == "xmlns" {
			continue
		}
		got[a.Key] = a.Value
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("AuthnRequest@%s = %q, want %q", k, got[k], v)
		}
		delete(got, k)
	}
	for k, v := range got {
		t.Errorf("unexpected AuthnRequest@%s=%q (Entra-safe default sends none)", k, v)
	}
	if !idShape.MatchString(id) {
		t.Errorf("request ID %q: want id + 32 hex digits (Entra rejects IDs that start with a digit)", id)
	}
	issuer := reqChild(req, authnNSAssertion, "Issuer")
	if issuer == nil || issuer.Text() != s.cfg.EntityID {
		t.Errorf("Issuer = %v, want %q", issuer, s.cfg.EntityID)
	}
	var names []string
	for _, c := range req.ChildElements() {
		names = append(names, c.Tag)
	}
	if len(names) != 1 {
		t.Errorf("children = %v, want only Issuer (no NameIDPolicy, RequestedAuthnContext or Subject by default)", names)
	}
}

func TestAuthnRequestURLHasEntraSafeDefaults(t *testing.T) {
	s := reqTestSP(t, nil)
	redirect, id, err := s.AuthnRequestURL("rs-123")
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Scheme + "://" + u.Host + u.Path; got != s.cfg.IdP.SSOURL {
		t.Errorf("redirect goes to %s, want the SSO URL %s", got, s.cfg.IdP.SSOURL)
	}
	q := u.Query()
	if q.Get("RelayState") != "rs-123" {
		t.Errorf("RelayState = %q, want rs-123", q.Get("RelayState"))
	}
	for _, p := range []string{"SigAlg", "Signature", "login_hint"} {
		if q.Has(p) {
			t.Errorf("unsigned request without options carries %s", p)
		}
	}
	checkEntraDefaults(t, s, inflateRequest(t, q.Get("SAMLRequest")), id)
}

func TestAuthnRequestURLWithoutRelayStateOmitsIt(t *testing.T) {
	redirect, _, err := reqTestSP(t, nil).AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(redirect, "RelayState") {
		t.Errorf("%s carries an empty RelayState", redirect)
	}
}

func TestAuthnRequestURLKeepsSSOURLQuery(t *testing.T) {
	s := reqTestSP(t, func(c *Config) { c.IdP.SSOURL += "?whr=contoso.com&x=a%20b" })
	redirect, _, err := s.AuthnRequestURL("rs", LoginHint("ada@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	q := u.Query()
	if q.Get("whr") != "contoso.com" || q.Get("x") != "a b" || q.Get("login_hint") != "ada@contoso.com" || q.Get("SAMLRequest") == "" {
		t.Errorf("query %q lost the SSO URL's parameters or ours", u.RawQuery)
	}
	if !strings.HasPrefix(u.RawQuery, "whr=contoso.com&x=a%20b&SAMLRequest=") {
		t.Errorf("query %q: want the pasted parameters unchanged, then ours", u.RawQuery)
	}
}

func TestAuthnRequestIDsAreFreshAndNeverStartWithADigit(t *testing.T) {
	s := reqTestSP(t, nil)
	// All-zero randomness is the worst case for a digit-leading ID.
	_, id, err := s.AuthnRequestURL("", withRand(bytes.NewReader(make([]byte, 16))))
	if err != nil {
		t.Fatal(err)
	}
	if id != "id00000000000000000000000000000000" {
		t.Errorf("id from zero randomness = %q", id)
	}
	seen := map[string]bool{}
	for range 100 {
		_, id, err := s.AuthnRequestURL("")
		if err != nil {
			t.Fatal(err)
		}
		if seen[id] || !idShape.MatchString(id) {
			t.Fatalf("request ID %q repeated or malformed", id)
		}
		seen[id] = true
	}
}

func TestAuthnRequestFailsWhenRandomnessFails(t *testing.T) {
	_, _, err := reqTestSP(t, nil).AuthnRequestURL("", withRand(bytes.NewReader(nil)))
	if err == nil || !strings.Contains(err.Error(), "random") {
		t.Errorf("err = %v, want a random-source error", err)
	}
}

func TestAuthnRequestOptions(t *testing.T) {
	tests := []struct {
		name  string
		opts  []RequestOption
		check func(t *testing.T, req *etree.Element, q url.Values)
	}{
		{"ForceAuthn sets ForceAuthn=true", []RequestOption{ForceAuthn()}, func(t *testing.T, req *etree.Element, _ url.Values) {
			if req.SelectAttrValue("ForceAuthn", "") != "true" {
				t.Error("no ForceAuthn=true")
			}
		}},
		{"IsPassive sets IsPassive=true", []RequestOption{IsPassive()}, func(t *testing.T, req *etree.Element, _ url.Values) {
			if req.SelectAttrValue("IsPassive", "") != "true" {
				t.Error("no IsPassive=true")
			}
		}},
		{"LoginHint goes to the query, never a Subject", []RequestOption{LoginHint("ada@contoso.com")}, func(t *testing.T, req *etree.Element, q url.Values) {
			if q.Get("login_hint") != "ada@contoso.com" {
				t.Errorf("login_hint = %q", q.Get("login_hint"))
			}
			if reqChild(req, authnNSAssertion, "Subject") != nil {
				t.Error("request carries a Subject (Entra rejects it)")
			}
		}},
		{"NameIDFormat adds NameIDPolicy without SPNameQualifier", []RequestOption{NameIDFormat("urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress")}, func(t *testing.T, req *etree.Element, _ url.Values) {
			pol := reqChild(req, authnNSProtocol, "NameIDPolicy")
			if pol == nil {
				t.Fatal("no NameIDPolicy")
			}
			if pol.SelectAttrValue("Format", "") != "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" {
				t.Errorf("Format = %q", pol.SelectAttrValue("Format", ""))
			}
			if pol.SelectAttr("SPNameQualifier") != nil {
				t.Error("SPNameQualifier present (AADSTS90011)")
			}
		}},
		{"RequestedAuthnContext defaults to exact", []RequestOption{RequestedAuthnContext("", "urn:a", "urn:b")}, func(t *testing.T, req *etree.Element, _ url.Values) {
			rac := reqChild(req, authnNSProtocol, "RequestedAuthnContext")
			if rac == nil {
				t.Fatal("no RequestedAuthnContext")
			}
			if rac.SelectAttrValue("Comparison", "") != "exact" {
				t.Errorf("Comparison = %q", rac.SelectAttrValue("Comparison", ""))
			}
			var refs []string
			for _, c := range rac.ChildElements() {
				if c.NamespaceURI() == authnNSAssertion && c.Tag == "AuthnContextClassRef" {
					refs = append(refs, c.Text())
				}
			}
			if strings.Join(refs, ",") != "urn:a,urn:b" {
				t.Errorf("class refs = %v", refs)
			}
		}},
		{"elements follow the schema order", []RequestOption{RequestedAuthnContext("minimum", "urn:a"), NameIDFormat("urn:f")}, func(t *testing.T, req *etree.Element, _ url.Values) {
			var names []string
			for _, c := range req.ChildElements() {
				names = append(names, c.Tag)
			}
			if strings.Join(names, ",") != "Issuer,NameIDPolicy,RequestedAuthnContext" {
				t.Errorf("children in order %v", names)
			}
		}},
	}
	s := reqTestSP(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			redirect, _, err := s.AuthnRequestURL("rs", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(redirect)
			tt.check(t, inflateRequest(t, u.Query().Get("SAMLRequest")), u.Query())
		})
	}
}

func TestRequestedAuthnContextRejectsUnknownComparison(t *testing.T) {
	_, _, err := reqTestSP(t, nil).AuthnRequestURL("", RequestedAuthnContext("sometimes", "urn:a"))
	if err == nil || !strings.Contains(err.Error(), "sometimes") {
		t.Errorf("err = %v, want a comparison error naming the value", err)
	}
}

func TestAuthnRequestNeedsSSOURL(t *testing.T) {
	for _, sso := range []string{"", "login.microsoftonline.com/x/saml2", "ftp://idp.example/sso"} {
		s := reqTestSP(t, func(c *Config) { c.IdP.SSOURL = sso })
		if _, _, err := s.AuthnRequestURL(""); err == nil || !strings.Contains(err.Error(), "SSO URL") {
			t.Errorf("SSOURL %q: AuthnRequestURL err = %v, want an SSO URL error", sso, err)
		}
		if _, _, err := s.AuthnRequestForm(""); err == nil {
			t.Errorf("SSOURL %q: AuthnRequestForm accepted it", sso)
		}
	}
}

// signedPortion is the exact text bindings §3.4.4.1 signs: SAMLRequest, RelayState and
// SigAlg as they appear in the raw query.
func signedPortion(t *testing.T, rawQuery string) (signed string, sig []byte) {
	t.Helper()
	var keep []string
	for _, p := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(p, "=")
		switch k {
		case "SAMLRequest", "RelayState", "SigAlg":
			keep = append(keep, p)
		case "Signature":
			s, err := url.QueryUnescape(v)
			if err != nil {
				t.Fatal(err)
			}
			if sig, err = base64.StdEncoding.DecodeString(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	return strings.Join(keep, "&"), sig
}

func TestAuthnRequestURLSignatureVerifiesWithSPCertificate(t *testing.T) {
	kp := spKey(t)
	s := reqTestSP(t, func(c *Config) { c.Key, c.SignAuthnRequests = kp, true })
	redirect, id, err := s.AuthnRequestURL("rs-42", LoginHint("ada@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(redirect)
	q := u.Query()
	if q.Get("SigAlg") != "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256" {
		t.Errorf("SigAlg = %q", q.Get("SigAlg"))
	}
	signed, sig := signedPortion(t, u.RawQuery)
	if !strings.HasPrefix(signed, "SAMLRequest=") || !strings.Contains(signed, "&RelayState=rs-42&SigAlg=") {
		t.Errorf("signed portion %q is not SAMLRequest&RelayState&SigAlg", signed)
	}
	pub := kp.Certificate.PublicKey.(*rsa.PublicKey)
	digest := sha256.Sum256([]byte(signed))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Fatalf("query signature does not verify with the SP certificate: %v", err)
	}
	// The signature must cover RelayState: changing it breaks verification.
	forged := strings.Replace(signed, "RelayState=rs-42", "RelayState=rs-43", 1)
	forgedDigest := sha256.Sum256([]byte(forged))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, forgedDigest[:], sig) == nil {
		t.Error("signature still verifies after RelayState changed")
	}
	// The signed request itself is the same Entra-safe request.
	checkEntraDefaults(t, s, inflateRequest(t, q.Get("SAMLRequest")), id)
}

func TestAuthnRequestSigningNeedsRSAKey(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s := reqTestSP(t, func(c *Config) {
		c.Key, c.SignAuthnRequests = &certs.KeyPair{Key: ec, Certificate: spKey(t).Certificate}, true
	})
	if _, _, err := s.AuthnRequestURL(""); err == nil || !strings.Contains(err.Error(), "RSA") {
		t.Errorf("AuthnRequestURL with an ECDSA key: err = %v, want one saying RSA is needed", err)
	}
	if _, _, err := s.AuthnRequestForm(""); err == nil || !strings.Contains(err.Error(), "RSA") {
		t.Errorf("AuthnRequestForm with an ECDSA key: err = %v, want one saying RSA is needed", err)
	}
}

func TestAuthnRequestFormHasEntraSafeDefaults(t *testing.T) {
	s := reqTestSP(t, nil)
	form, id, err := s.AuthnRequestForm("rs-7", LoginHint("ada@contoso.com"))
	if err != nil {
		t.Fatal(err)
	}
	if form.RelayState != "rs-7" {
		t.Errorf("RelayState = %q", form.RelayState)
	}
	u, _ := url.Parse(form.URL)
	if u.Query().Get("login_hint") != "ada@contoso.com" || u.Path != "/0f1e2d3c-0000-4000-8000-000000000001/saml2" {
		t.Errorf("form posts to %s", form.URL)
	}
	raw, err := base64.StdEncoding.DecodeString(form.SAMLRequest)
	if err != nil {
		t.Fatal(err)
	}
	checkEntraDefaults(t, s, parseRequestXML(t, raw), id)
}

func TestAuthnRequestFormSignatureIsEnvelopedAfterIssuer(t *testing.T) {
	kp := spKey(t)
	s := reqTestSP(t, func(c *Config) { c.Key, c.SignAuthnRequests = kp, true })
	form, id, err := s.AuthnRequestForm("")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(form.SAMLRequest)
	req := parseRequestXML(t, raw)
	kids := req.ChildElements()
	if len(kids) != 2 || kids[0].Tag != "Issuer" || kids[1].Tag != "Signature" {
		t.Fatalf("children %v, want Issuer then Signature", kids)
	}
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{kp.Certificate}})
	ctx.Clock = dsig.NewFakeClockAt(reqNow)
	verified, err := ctx.Validate(req)
	if err != nil {
		t.Fatalf("enveloped signature does not verify with the SP certificate: %v", err)
	}
	if verified.SelectAttrValue("ID", "") != id {
		t.Errorf("signature covers ID %q, want %q", verified.SelectAttrValue("ID", ""), id)
	}
}

func TestPostFormPageSubmitsItselfUnderItsOwnCSP(t *testing.T) {
	form := &PostForm{URL: "https://idp.example/sso?a=1&b=2", SAMLRequest: "PHNhbWw+", RelayState: `"><script>alert(1)</script>`}
	rec := httptest.NewRecorder()
	form.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	body := rec.Body.String()
	csp := rec.Header().Get("Content-Security-Policy")
	sum := sha256.Sum256([]byte(postFormScript))
	if !strings.Contains(csp, "script-src 'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q does not allow exactly the submit script by hash", csp)
	}
	if !strings.Contains(body, "<script>"+postFormScript+"</script>") {
		t.Errorf("page lacks the hashed script verbatim:\n%s", body)
	}
	if strings.Contains(body, "<script>alert") {
		t.Errorf("RelayState was not escaped:\n%s", body)
	}
	for _, want := range []string{`action="https://idp.example/sso?a=1&amp;b=2"`, `name="SAMLRequest" value="PHNhbWw&#43;"`, `name="RelayState"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s:\n%s", want, body)
		}
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Error("form page may be cached")
	}
}

func BenchmarkAuthnRequestURL(b *testing.B) {
	for _, signed := range []bool{false, true} {
		b.Run(map[bool]string{false: "unsigned", true: "signed RSA-2048"}[signed], func(b *testing.B) {
			s := reqTestSP(b, func(c *Config) {
				if signed {
					c.Key, c.SignAuthnRequests = spKey(b), true
				}
			})
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := s.AuthnRequestURL("rs0123456789abcdef0123456789abcdef"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
