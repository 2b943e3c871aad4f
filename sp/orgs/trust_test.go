package orgs_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp/orgs"
)

// metadataWith is metadataOf listing several signing certificates.
func metadataWith(idp *samltest.IdP, signers ...*samltest.IdP) []byte {
	var keys string
	for _, s := range signers {
		keys += `<KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
			base64.StdEncoding.EncodeToString(s.Cert.Raw) + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor>`
	}
	return fmt.Appendf(nil, `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">%s`+
		`<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://login.microsoftonline.com/%s/saml2"/></IDPSSODescriptor></EntityDescriptor>`,
		idp.EntityID, keys, idp.TenantID)
}

func notices(tr *orgs.Trust) string { return strings.Join(tr.Signers.Notices, "\n") }

// Trust follows a rollover through a metadata URL: which certificate signs, a published
// one that has not signed yet, the old one once it stops signing.
func TestTrustReportsTheRollover(t *testing.T) {
	h, site := metadataHarness(t)
	old, next := samltest.DefaultIdP(), samltest.NextIdP()
	oldTP, nextTP := certs.Thumbprint(old.Cert), certs.Thumbprint(next.Cert)
	site.serve(metadataURL, metadataWith(old, old))
	if tr, err := h.m.Trust(admin("GET", "/"), "acme"); err != nil || tr.Version != 0 || tr.IdP != nil {
		t.Fatalf("before the org exists: %+v %v", tr, err)
	}
	o := h.save(h.m, "acme", orgs.Settings{MetadataURL: metadataURL, SignedAssertions: true})
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", old, st, samltest.Options{})
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	tr, err := h.m.Trust(admin("GET", "/"), "acme")
	if err != nil || tr.Version != 1 || tr.Signers.Signing != nil || !strings.Contains(notices(tr), "no accepted sign-in recorded yet") {
		t.Fatalf("before a member signed in (the admin's test does not count): %+v %v", tr, err)
	}
	if w := h.memberLogin(h.m, "acme", old, samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member: %d", w.Code)
	}
	tr, _ = h.m.Trust(admin("GET", "/"), "acme")
	if tr.Signers.Signing == nil || tr.Signers.Signing.Thumbprint != oldTP || len(tr.Signers.Notices) != 0 {
		t.Fatalf("after a member sign-in: %+v", tr.Signers)
	}

	// The IdP publishes a second certificate.
	site.serve(metadataURL, metadataWith(old, old, next))
	if err := h.m.RefreshMetadata(admin("POST", "/refresh"), "acme"); err != nil {
		t.Fatal(err)
	}
	tr, _ = h.m.Trust(admin("GET", "/"), "acme")
	if len(tr.IdP.Certificates) != 2 || !strings.Contains(notices(tr), nextTP) || !strings.Contains(notices(tr), "signs with "+oldTP) {
		t.Fatalf("after the IdP published %s: %d certificates, %q", nextTP, len(tr.IdP.Certificates), notices(tr))
	}

	// It makes the new one active; members sign in with it; 31 days later the old one is
	// a candidate for removal.
	if w := h.memberLogin(h.m, "acme", next, samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member, new signer: %d", w.Code)
	}
	tr, _ = h.m.Trust(admin("GET", "/"), "acme") // the same instant as the old one's sign-in: the log's order decides
	if tr.Signers.Signing == nil || tr.Signers.Signing.Thumbprint != nextTP {
		t.Fatalf("right after the new certificate signed: %+v", tr.Signers.Signing)
	}
	h.clock.Add(31 * 24 * time.Hour)
	if w := h.memberLogin(h.m, "acme", next, samltest.Options{IssueInstant: h.clock.Now()}); w.Code != http.StatusNoContent {
		t.Fatalf("member, a month later: %d", w.Code)
	}
	tr, _ = h.m.Trust(admin("GET", "/"), "acme")
	if tr.Signers.Signing == nil || tr.Signers.Signing.Thumbprint != nextTP || !strings.Contains(notices(tr), "certificate "+oldTP+" has not signed in 31 days — remove it?") {
		t.Fatalf("a month after the rollover: %+v %q", tr.Signers.Signing, notices(tr))
	}
}

// Trust lists certificates expiring within Entra's windows, and is an admin action.
func TestTrustExpiryAndAuthorization(t *testing.T) {
	h := newHarness(t)
	idp := samltest.DefaultIdP()
	h.enabledOrg("acme", idp)
	tr, err := h.m.Trust(admin("GET", "/"), "acme")
	if err != nil || len(tr.Expiring) != 0 {
		t.Fatalf("%d expiring, %v", len(tr.Expiring), err)
	}
	h.clock.Add(idp.Cert.NotAfter.Sub(h.clock.Now()) - 20*24*time.Hour)
	tr, err = h.m.Trust(admin("GET", "/"), "acme")
	if err != nil || len(tr.Expiring) != 1 || tr.Expiring[0].Window != 30*24*time.Hour || tr.Expiring[0].Label != "acme" {
		t.Fatalf("20 days before expiry: %+v %v", tr.Expiring, err)
	}
	r := admin("GET", "/")
	r.Header.Del("X-Test-Admin")
	if _, err := h.m.Trust(r, "acme"); !errors.Is(err, orgs.ErrUnauthorized) {
		t.Fatalf("without an admin: %v", err)
	}
}

// With a metadata URL, the first member response signed by a certificate the IdP
// published and made active since the last refresh is accepted after one refetch: no
// failed sign-in in the log.
func TestMetadataURLNewSignerSignsInAtTheFirstAttempt(t *testing.T) {
	h, site := metadataHarness(t)
	// A server that caches the active SP (RefreshInterval): Trust still reads the
	// document the refetch found.
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, RefreshInterval: time.Minute, Logger: slog.New(slog.DiscardHandler), MetadataFetcher: site,
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
			w.WriteHeader(http.StatusNoContent)
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	old, next := samltest.DefaultIdP(), samltest.NextIdP()
	site.serve(metadataURL, metadataWith(old, old))
	o := h.save(h.m, "acme", orgs.Settings{MetadataURL: metadataURL, SignedAssertions: true})
	st := h.startTest(h.m, "acme")
	h.finishTest(h.m, "acme", old, st, samltest.Options{})
	if _, err := h.m.Enable(admin("POST", "/e"), "acme", o.Pending.Number); err != nil {
		t.Fatal(err)
	}
	if w := h.memberLogin(h.m, "acme", old, samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("member: %d", w.Code)
	}
	site.serve(metadataURL, metadataWith(next, next, old)) // added and made active at the IdP
	before := site.calls
	if w := h.memberLogin(h.m, "acme", next, samltest.Options{}); w.Code != http.StatusNoContent {
		t.Fatalf("first sign-in signed by the new certificate: %d, want it accepted", w.Code)
	}
	if site.calls != before+1 {
		t.Fatalf("%d fetches for the new signer, want 1", site.calls-before)
	}
	for _, e := range signIns(t, h.store, "acme") {
		if e.Result != orgs.Succeeded {
			t.Errorf("a refused sign-in in the log: %+v", e)
		}
	}
	tr, err := h.m.Trust(admin("GET", "/"), "acme")
	if err != nil || len(tr.IdP.Certificates) != 2 || tr.Signers.Signing == nil || tr.Signers.Signing.Thumbprint != certs.Thumbprint(next.Cert) {
		t.Fatalf("Trust after the refetch: %v %+v", err, tr)
	}
	// A signer the metadata does not list is still refused, without another fetch
	// inside the rate window.
	other := samltest.AttackerIdP()
	if w := h.memberLogin(h.m, "acme", other, samltest.Options{}); w.Code == http.StatusNoContent {
		t.Fatal("an unlisted signer signed a member in")
	}
	if site.calls != before+1 {
		t.Fatalf("%d fetches after an unlisted signer inside the rate window, want none", site.calls-before-1)
	}
}
