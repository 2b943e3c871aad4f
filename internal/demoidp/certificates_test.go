package demoidp

import (
	"context"
	"crypto/x509"
	"errors"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// second and third are more signing keys, generated once.
var (
	moreKeys []*certs.KeyPair
)

func moreKey(t *testing.T, i int) *certs.KeyPair {
	t.Helper()
	for len(moreKeys) <= i {
		kp, err := newKeyPair(fixedNow)
		if err != nil {
			t.Fatal(err)
		}
		moreKeys = append(moreKeys, kp)
	}
	return moreKeys[i]
}

// metadataServer starts the TLS metadata server and its demo fetcher.
func metadataServer(t *testing.T, h *harness) (*MetadataServer, *metadata.Fetcher) {
	t.Helper()
	ms, err := h.idp.StartMetadataTLS("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ms.Close() })
	f, err := ms.UnsafeDemoOnlyFetcher()
	if err != nil {
		t.Fatal(err)
	}
	return ms, f
}

func thumbprints(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, certs.Thumbprint(c))
	}
	return out
}

func sameList(got, want []string) bool {
	return strings.Join(got, ",") == strings.Join(want, ",")
}

// signedBy signs in once and returns the thumbprint of the assertion's signing
// certificate, checking the signature with it.
func (h *harness) signedBy(t *testing.T, cands ...*x509.Certificate) string {
	t.Helper()
	_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-signer", spEntityID, ""))
	if tokenRE.MatchString(body) {
		_, body = h.login(t, body, "alex@contoso.example", "alex-demo")
	}
	a := parsePosted(t, body).doc.Root().SelectElement("Assertion")
	for _, c := range cands {
		if ok := verifies(a, c); ok {
			return certs.Thumbprint(c)
		}
	}
	t.Fatal("the assertion is signed by none of the certificates")
	return ""
}

func verifies(el *etree.Element, cert *x509.Certificate) bool {
	ctx := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: []*x509.Certificate{cert}})
	ctx.Clock = dsig.NewFakeClockAt(fixedNow)
	_, err := ctx.Validate(el)
	return err == nil
}

// The whole rollover as an Entra admin does it: New Certificate publishes a second
// certificate (the old one still signs), Make certificate active makes the new one sign
// (both still published), Delete removes the old one from the metadata.
func TestCertificateRolloverLikeEntra(t *testing.T) {
	h := newHarness(t, Config{})
	ms, f := metadataServer(t, h)
	ctx := context.Background()
	appURL := ms.AppFederationMetadataURL(spEntityID)
	if !strings.HasPrefix(appURL, "https://127.0.0.1:") || !strings.HasSuffix(appURL, "/"+h.idp.TenantID()+"/federationmetadata/2007-06/federationmetadata.xml?appid="+AppID(spEntityID)) {
		t.Fatalf("App Federation Metadata Url %q", appURL)
	}
	old, next := testKey(t).Certificate, moreKey(t, 0).Certificate
	published := func(signer *x509.Certificate) []string {
		t.Helper()
		idp, err := f.FetchIdP(ctx, appURL, h.idp.EntityID(), signer) // the document must be signed by signer
		if err != nil {
			t.Fatalf("FetchIdP: %v", err)
		}
		if idp.SSOURL != h.idp.LoginURL() || idp.EntityID != h.idp.EntityID() {
			t.Errorf("metadata IdP %+v", idp)
		}
		return thumbprints(idp.Certificates)
	}

	if got := published(old); !sameList(got, []string{certs.Thumbprint(old)}) {
		t.Fatalf("published before rollover: %v", got)
	}
	if got := h.signedBy(t, old, next); got != certs.Thumbprint(old) {
		t.Fatalf("signer before rollover %s", got)
	}

	if c, err := h.idp.AddCertificate(moreKey(t, 0)); err != nil || c.Active || c.Thumbprint != certs.Thumbprint(next) {
		t.Fatalf("AddCertificate: %+v %v", c, err)
	}
	if got := published(old); !sameList(got, []string{certs.Thumbprint(old), certs.Thumbprint(next)}) {
		t.Fatalf("published after New Certificate: %v", got)
	}
	if got := h.signedBy(t, old, next); got != certs.Thumbprint(old) {
		t.Fatalf("an inactive certificate signed: %s", got)
	}

	if err := h.idp.MakeCertificateActive(strings.ToLower(certs.Thumbprint(next))); err != nil {
		t.Fatal(err)
	}
	if got := published(next); !sameList(got, []string{certs.Thumbprint(next), certs.Thumbprint(old)}) {
		t.Fatalf("published after Make certificate active: %v", got)
	}
	if got := h.signedBy(t, old, next); got != certs.Thumbprint(next) {
		t.Fatalf("signer after Make certificate active %s", got)
	}
	if h.idp.Certificate() != next || !strings.Contains(h.idp.CertificatePEM(), "BEGIN CERTIFICATE") {
		t.Error("Certificate() is not the active one")
	}
	// The document is signed by the active key: pinned to the old one, it is refused.
	if _, err := f.FetchIdP(ctx, appURL, h.idp.EntityID(), old); err == nil {
		t.Error("metadata signed by the new certificate verified against the old one")
	}

	if err := h.idp.DeleteCertificate(certs.Thumbprint(next)); !errors.Is(err, ErrActiveCertificate) {
		t.Fatalf("deleting the active certificate: %v", err)
	}
	if err := h.idp.DeleteCertificate(certs.Thumbprint(old)); err != nil {
		t.Fatal(err)
	}
	if got := published(next); !sameList(got, []string{certs.Thumbprint(next)}) {
		t.Fatalf("published after Delete: %v", got)
	}
	if err := h.idp.MakeCertificateActive(certs.Thumbprint(old)); !errors.Is(err, ErrUnknownCertificate) {
		t.Fatalf("activating a deleted certificate: %v", err)
	}
	if err := h.idp.DeleteCertificate("00"); !errors.Is(err, ErrUnknownCertificate) {
		t.Fatalf("deleting an unknown certificate: %v", err)
	}
}

// An SP on the App Federation Metadata Url (metadata.Remote and sp.NewRefreshing) keeps
// signing members in across Make certificate active: the first response signed by the
// new certificate causes exactly one refetch, and is accepted.
func TestRefreshingSPFollowsMakeCertificateActive(t *testing.T) {
	h := newHarness(t, Config{})
	ms, f := metadataServer(t, h)
	ctx := context.Background()
	var fetches int
	remote, err := metadata.NewRemote(metadata.RemoteConfig{URL: ms.AppFederationMetadataURL(spEntityID), EntityID: h.idp.EntityID(),
		Fetcher: countingGetter{f, &fetches}, Now: h.idp.now})
	if err != nil {
		t.Fatal(err)
	}
	s, err := sp.NewRefreshing(sp.Config{EntityID: spEntityID, ACSURL: spACS, Now: h.idp.now}, remote)
	if err != nil {
		t.Fatal(err)
	}
	login := func(id string) error {
		t.Helper()
		_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), id, spEntityID, ""))
		if tokenRE.MatchString(body) {
			_, body = h.login(t, body, "alex@contoso.example", "alex-demo")
		}
		m := samlRE.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no SAMLResponse in:\n%s", body)
		}
		a, err := s.ValidateResponse(ctx, html.UnescapeString(m[1]), id)
		if err == nil && a.NameID.Value != "alex@contoso.example" {
			t.Errorf("NameID %q", a.NameID.Value)
		}
		return err
	}
	if err := login("id-before"); err != nil {
		t.Fatalf("before rollover: %v", err)
	}
	if fetches != 1 {
		t.Fatalf("%d fetches before rollover, want 1", fetches)
	}
	c, err := h.idp.NewCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if !c.Certificate.NotBefore.After(h.idp.Certificate().NotBefore) {
		t.Errorf("the new certificate's NotBefore %v is not after the active one's %v (the clock stands still)", c.Certificate.NotBefore, h.idp.Certificate().NotBefore)
	}
	if err := h.idp.MakeCertificateActive(c.Thumbprint); err != nil {
		t.Fatal(err)
	}
	if err := login("id-after"); err != nil {
		t.Fatalf("after Make certificate active: %v", err)
	}
	if fetches != 2 {
		t.Fatalf("%d fetches after the rollover, want 2 (one refetch on the unknown signer)", fetches)
	}
	if err := login("id-again"); err != nil || fetches != 2 {
		t.Fatalf("next login: %v, %d fetches", err, fetches)
	}
}

type countingGetter struct {
	f *metadata.Fetcher
	n *int
}

func (g countingGetter) Fetch(ctx context.Context, u string, v metadata.Validators) (*metadata.Fetched, error) {
	*g.n++
	return g.f.Fetch(ctx, u, v)
}

// The metadata is the same bytes until the certificates change: a conditional GET gets
// 304 until New Certificate, then the new document.
func TestFederationMetadataConditionalGet(t *testing.T) {
	h := newHarness(t, Config{})
	ms, f := metadataServer(t, h)
	ctx := context.Background()
	u := ms.AppFederationMetadataURL(spEntityID)
	first, err := f.Fetch(ctx, u, metadata.Validators{})
	if err != nil || first.Validators.ETag == "" {
		t.Fatalf("%v, ETag %q", err, first.Validators.ETag)
	}
	again, err := f.Fetch(ctx, u, first.Validators)
	if err != nil || !again.NotModified {
		t.Fatalf("unchanged metadata: %v, NotModified %v", err, again != nil && again.NotModified)
	}
	if _, err := h.idp.NewCertificate(); err != nil {
		t.Fatal(err)
	}
	changed, err := f.Fetch(ctx, u, first.Validators)
	if err != nil || changed.NotModified || changed.Validators.ETag == first.Validators.ETag {
		t.Fatalf("after New Certificate: %v %+v", err, changed)
	}
	// The tenant document on the IdP's own (http) URL is the same.
	_, body := h.get(t, h.idp.MetadataURL())
	if body != string(changed.Body) {
		t.Error("the tenant metadata differs from the app's")
	}
}

// The App Federation Metadata Url of an application that is not registered is refused
// the way Entra refuses an unknown application.
func TestAppFederationMetadataUnknownApp(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.get(t, h.idp.AppFederationMetadataURL("https://nobody.example/saml"))
	if status != http.StatusNotFound || !strings.Contains(body, "AADSTS700016") {
		t.Fatalf("%d %s", status, body)
	}
	if status, _ := h.get(t, h.idp.AppFederationMetadataURL(spEntityID)); status != http.StatusOK {
		t.Fatalf("registered app: %d", status)
	}
}

// The library's default Fetcher refuses the demo's metadata URL (loopback), and so does
// a Fetcher allowed loopback by anything but the demo's own CA: the demo fetcher is the
// only way in.
func TestDefaultFetcherRefusesTheDemoMetadataURL(t *testing.T) {
	h := newHarness(t, Config{})
	ms, _ := metadataServer(t, h)
	_, err := (&metadata.Fetcher{}).Fetch(context.Background(), ms.AppFederationMetadataURL(spEntityID), metadata.Validators{})
	if !errors.Is(err, metadata.ErrUnsafeURL) || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("default Fetcher: %v, want a loopback refusal", err)
	}
	if _, err := (&metadata.Fetcher{}).FetchIdP(context.Background(), h.idp.AppFederationMetadataURL(spEntityID), ""); !errors.Is(err, metadata.ErrUnsafeURL) {
		t.Fatalf("default Fetcher on the http URL: %v", err)
	}
	for _, addr := range []string{"0.0.0.0:0", "10.1.2.3:0", "localhost:0", ":0"} {
		if _, err := h.idp.StartMetadataTLS(addr); err == nil {
			t.Errorf("StartMetadataTLS(%q) listened", addr)
		}
	}
}

// The apps page's SAML Certificates buttons do what Entra's do; another site cannot
// press them.
func TestCertificateButtons(t *testing.T) {
	h := newHarness(t, Config{})
	apps := h.idp.url("/apps")
	post := func(form url.Values, origin string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, apps, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", origin)
		resp, err := h.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	self := h.srv.URL
	if st := post(url.Values{"certificate": {"new"}}, "https://evil.example"); st != http.StatusForbidden || len(h.idp.Certificates()) != 1 {
		t.Fatalf("cross-origin New Certificate: %d, %d certificates", st, len(h.idp.Certificates()))
	}
	if st := post(url.Values{"certificate": {"new"}}, self); st != http.StatusSeeOther || len(h.idp.Certificates()) != 2 {
		t.Fatalf("New Certificate: %d, %d certificates", st, len(h.idp.Certificates()))
	}
	old, added := h.idp.Certificates()[0], h.idp.Certificates()[1]
	_, page := h.get(t, apps)
	for _, want := range []string{old.Thumbprint, added.Thumbprint, "Inactive", `id="activate-` + added.Thumbprint, html.EscapeString(h.idp.AppFederationMetadataURL(spEntityID))} {
		if !strings.Contains(page, want) {
			t.Errorf("apps page lacks %q", want)
		}
	}
	if st := post(url.Values{"certificate": {"activate"}, "thumbprint": {added.Thumbprint}}, "https://evil.example"); st != http.StatusForbidden || h.idp.Certificate() != old.Certificate {
		t.Fatalf("cross-origin Make certificate active: %d", st)
	}
	if st := post(url.Values{"certificate": {"activate"}, "thumbprint": {added.Thumbprint}}, self); st != http.StatusSeeOther || h.idp.Certificate() != added.Certificate {
		t.Fatalf("Make certificate active: %d", st)
	}
	if st := post(url.Values{"certificate": {"delete"}, "thumbprint": {added.Thumbprint}}, self); st != http.StatusBadRequest || len(h.idp.Certificates()) != 2 {
		t.Fatalf("deleting the active certificate: %d", st)
	}
	if st := post(url.Values{"certificate": {"delete"}, "thumbprint": {old.Thumbprint}}, self); st != http.StatusSeeOther || len(h.idp.Certificates()) != 1 {
		t.Fatalf("Delete Certificate: %d", st)
	}
	if st := post(url.Values{"certificate": {"explode"}}, self); st != http.StatusBadRequest {
		t.Fatalf("unknown action: %d", st)
	}
	for i := 0; i < MaxCertificates-1; i++ {
		if _, err := h.idp.AddCertificate(moreKey(t, i)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.idp.AddCertificate(moreKey(t, MaxCertificates)); !errors.Is(err, ErrTooManyCertificate) {
		t.Fatalf("certificate %d: %v", MaxCertificates+1, err)
	}
}
