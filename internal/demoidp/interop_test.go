package demoidp

import (
	"context"
	"crypto/x509"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// TestLibraryAcceptsEverySigningOption: what the demo IdP sends is what this module's SP
// accepts, for each of Entra's Signing Options, and the claims come through.
func TestLibraryAcceptsEverySigningOption(t *testing.T) {
	for _, signing := range []Signing{SignAssertion, SignResponse, SignResponseAndAssertion} {
		t.Run(signing.String(), func(t *testing.T) {
			h := newHarness(t, Config{Signing: signing})
			s, err := sp.New(sp.Config{
				EntityID: spEntityID,
				ACSURL:   spACS,
				IdP: &metadata.IdP{EntityID: h.idp.EntityID(), SSOURL: h.idp.LoginURL(),
					SSOBinding: metadata.BindingHTTPRedirect, Certificates: []*x509.Certificate{h.idp.Certificate()}},
				Now: h.idp.now,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, body := h.get(t, authnRequestURL(t, h.idp.LoginURL(), "id-interop", spEntityID, ""))
			_, body = h.login(t, body, "alex@contoso.example", "alex-demo")
			m := samlRE.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("no SAMLResponse in:\n%s", body)
			}
			a, err := s.ValidateResponse(context.Background(), html.UnescapeString(m[1]), "id-interop")
			if err != nil {
				t.Fatalf("ValidateResponse: %v", err)
			}
			if a.NameID.Value != "alex@contoso.example" || a.Issuer != h.idp.EntityID() ||
				a.Attributes[ClaimObjectID].Values[0] != "b7e6d5c4-3a2b-4c1d-8e9f-0a1b2c3d4e5f" ||
				len(a.Attributes[ClaimGroups].Values) != 2 {
				t.Errorf("assertion = %+v", a)
			}
		})
	}
}

// TestIsPassiveWithoutSessionAnswersNoPassive follows Entra's AADSTS50058: no login page,
// an error Response instead.
func TestIsPassiveWithoutSessionAnswersNoPassive(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := h.get(t, authnRequestURLWith(t, h.idp.LoginURL(), "id-passive", `IsPassive="true"`))
	if status != http.StatusOK || tokenRE.MatchString(body) {
		t.Fatalf("status %d; want an error Response, not a login page:\n%s", status, body)
	}
	resp := parsePosted(t, body).doc.Root()
	if code := resp.FindElement(".//StatusCode/StatusCode"); code == nil || code.SelectAttrValue("Value", "") != "urn:oasis:names:tc:SAML:2.0:status:NoPassive" {
		t.Errorf("want NoPassive status")
	}
	if !strings.Contains(resp.FindElement(".//StatusMessage").Text(), "AADSTS50058") {
		t.Errorf("StatusMessage lacks AADSTS50058")
	}
}

// TestForceAuthnAsksForThePasswordAgain even when the user has a session.
func TestForceAuthnAsksForThePasswordAgain(t *testing.T) {
	h := newHarness(t, Config{})
	_, body := h.get(t, h.idp.IdPInitiatedURL(spEntityID, ""))
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	parsePosted(t, body) // signed in now
	_, body = h.get(t, authnRequestURLWith(t, h.idp.LoginURL(), "id-force", `ForceAuthn="true"`))
	if !tokenRE.MatchString(body) {
		t.Fatalf("ForceAuthn did not show the login page:\n%s", body)
	}
}

// TestSignedAuthnRequestIsAcceptedLikeEntra: Entra ignores a request signature unless the
// application requires one; so does the demo IdP.
func TestSignedAuthnRequestIsAcceptedLikeEntra(t *testing.T) {
	h := newHarness(t, Config{})
	s, err := sp.New(sp.Config{
		EntityID: spEntityID, ACSURL: spACS, Key: testKey(t), SignAuthnRequests: true, Now: h.idp.now,
		IdP: &metadata.IdP{EntityID: h.idp.EntityID(), SSOURL: h.idp.LoginURL(),
			SSOBinding: metadata.BindingHTTPRedirect, Certificates: []*x509.Certificate{h.idp.Certificate()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	u, id, err := s.AuthnRequestURL("rs-signed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(u, "Signature=") {
		t.Fatalf("the request is not signed: %s", u)
	}
	_, body := h.get(t, u)
	_, body = h.login(t, body, "adele@contoso.example", "adele-demo")
	m := samlRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no SAMLResponse in:\n%s", body)
	}
	if _, err := s.ValidateResponse(context.Background(), html.UnescapeString(m[1]), id); err != nil {
		t.Fatal(err)
	}
}
