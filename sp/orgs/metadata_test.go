package orgs_test

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp/orgs"
)

// metadataOf is the federation metadata of a test IdP, as Entra serves it (unsigned
// here: the Remote trusts what TLS delivered unless signers are pinned).
func metadataOf(idp *samltest.IdP) []byte {
	return fmt.Appendf(nil, `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">`+
		`<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>%s</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`+
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/%s/saml2"/></IDPSSODescriptor></EntityDescriptor>`,
		idp.EntityID, base64.StdEncoding.EncodeToString(idp.Cert.Raw), idp.TenantID)
}

// fakeIdPSite serves metadata documents by URL, standing in for the IdP's web site.
type fakeIdPSite struct {
	mu    sync.Mutex
	docs  map[string][]byte
	calls int
}

func (f *fakeIdPSite) Fetch(_ context.Context, url string, _ metadata.Validators) (*metadata.Fetched, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	doc, ok := f.docs[url]
	if !ok {
		return nil, &metadata.Error{Kind: metadata.ErrFetch, Field: "metadata URL", Found: "HTTP 404 Not Found", Expected: "HTTP 200"}
	}
	return &metadata.Fetched{Body: doc, URL: url}, nil
}

func (f *fakeIdPSite) serve(url string, doc []byte) {
	f.mu.Lock()
	f.docs[url] = doc
	f.mu.Unlock()
}

const metadataURL = "https://login.microsoftonline.com/" + samltest.TenantID + "/federationmetadata/2007-06/federationmetadata.xml?appid=app"

func metadataHarness(t *testing.T) (*harness, *fakeIdPSite) {
	h := newHarness(t)
	site := &fakeIdPSite{docs: map[string][]byte{}}
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.DiscardHandler), MetadataFetcher: site,
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
			h.logins = append(h.logins, login{o.ID, a, returnTo})
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	return h, site
}

// A metadata URL is fetched when saved (an unusable one is a field error and nothing is
// stored), tested and enabled like pasted values; a certificate rollover at the IdP is
// picked up by a refresh, with no new configuration.
func TestMetadataURLFollowsTheIdPsRollover(t *testing.T) {
	h, site := metadataHarness(t)
	s := orgs.Settings{MetadataURL: metadataURL, SignedAssertions: true}
	_, err := h.m.Save(admin("POST", "/s"), "acme", s, 0)
	var se *orgs.SettingsError
	if !errors.As(err, &se) || se.Fields[orgs.FieldMetadataURL] == "" {
		t.Fatalf("Save of a URL that answers 404: %v, want a field error", err)
	}
	if _, err := h.store.Get(admin("GET", "/").Context(), "acme"); !errors.Is(err, orgs.ErrNotFound) {
		t.Fatal("a refused Save stored the org")
	}

	site.serve(metadataURL, metadataOf(samltest.DefaultIdP()))
	o := h.save(h.m, "acme", s)
	st := h.startTest(h.m, "acme")
	if w := h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{}); w.Code != http.StatusSeeOther || !h.get("acme").Pending.LastTest.Passed() {
		t.Fatalf("test through the metadata URL: %d %+v", w.Code, h.get("acme").Pending.LastTest.Diagnosis.Failed())
	}
	if err := h.m.RefreshMetadata(admin("POST", "/refresh"), "acme"); err != nil { // active nil: nothing to fetch for it
		t.Fatal(err)
	}
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member: %d", w.Code)
	}

	// The IdP rolls over to its next certificate and publishes it; a refresh (Run's, or
	// an admin's button) picks it up.
	site.serve(metadataURL, metadataOf(samltest.NextIdP()))
	before := site.calls
	if err := h.m.RefreshMetadata(admin("POST", "/refresh"), "acme"); err != nil {
		t.Fatal(err)
	}
	if site.calls != before+1 {
		t.Fatalf("RefreshMetadata made %d fetches, want 1", site.calls-before)
	}
	if w := h.memberLogin(h.m, "acme", samltest.NextIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("new signer after the refresh: %d, want the member signed in", w.Code)
	}
	if o := h.get("acme"); o.Active.Number != 1 || o.Revision != 3 { // Create, test, Enable
		t.Fatalf("the rollover changed the stored configuration: version %d, revision %d", o.Active.Number, o.Revision)
	}
}

func TestMetadataURLOrPastedValuesNotBoth(t *testing.T) {
	h, site := metadataHarness(t)
	site.serve(metadataURL, metadataOf(samltest.DefaultIdP()))
	s := entra(samltest.DefaultIdP())
	s.MetadataURL = metadataURL
	var se *orgs.SettingsError
	if _, err := h.m.Save(admin("POST", "/s"), "acme", s, 0); !errors.As(err, &se) || se.Fields[orgs.FieldMetadataURL] == "" {
		t.Fatalf("both: %v, want a field error on the metadata URL", err)
	}
}

// Federation metadata XML pasted instead of the Login URL and certificate.
func TestMetadataXMLIsTestedAndEnabledLikePastedValues(t *testing.T) {
	h := newHarness(t)
	o := h.save(h.m, "acme", orgs.Settings{MetadataXML: string(metadataOf(samltest.DefaultIdP())), SignedAssertions: true})
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatalf("Enable after a test through pasted metadata: %v (%+v)", err, h.get("acme").Pending.LastTest.Diagnosis.Failed())
	}
	if w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member: %d", w.Code)
	}
}

// After a rollover, the first response signed by the new certificate makes the
// package fetch the metadata URL again, and is accepted (issue #15: an unknown signer
// published after the first fetch is accepted after exactly one refetch).
func TestMetadataURLRefreshesOnAnUnknownSigner(t *testing.T) {
	h, site := metadataHarness(t)
	site.serve(metadataURL, metadataOf(samltest.DefaultIdP()))
	o := h.save(h.m, "acme", orgs.Settings{MetadataURL: metadataURL, SignedAssertions: true})
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{})
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	site.serve(metadataURL, metadataOf(samltest.NextIdP()))
	before := site.calls
	if w := h.memberLogin(h.m, "acme", samltest.NextIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("first response from the new signer: %d, want the member signed in", w.Code)
	}
	if site.calls != before+1 {
		t.Fatalf("%d fetches after an unknown signer, want 1", site.calls-before)
	}
	if w := h.memberLogin(h.m, "acme", samltest.NextIdP(), samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("next sign-in: %d, want the member signed in", w.Code)
	}
	// A stream of responses from a stranger's key does not make the package hammer the IdP.
	before = site.calls
	for range 5 {
		h.memberLogin(h.m, "acme", samltest.AttackerIdP(), samltest.Options{})
	}
	if site.calls > before+1 {
		t.Fatalf("%d fetches for 5 forged responses, want at most 1", site.calls-before)
	}
}
