package sptest_test

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/ssokit/saml/internal/redirect"
	"github.com/ssokit/saml/sp/sptest"
)

// FuzzRespond: whatever an application under test sends as its AuthnRequest (redirect
// query or POST value), the IdP answers with a form or an error, never a panic.
func FuzzRespond(f *testing.F) {
	idp := sptest.NewIdP(sptest.Config{Key: key(f, idpKey), Now: clock})
	defer idp.Close()
	idp.RegisterSP(spEntityID, spACS)
	s := newSP(f, idp, nil)
	u, _, err := s.AuthnRequestURL("rs")
	if err != nil {
		f.Fatal(err)
	}
	pf, _, err := s.AuthnRequestForm("rs")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u, pf.SAMLRequest)
	f.Add("SAMLRequest=%00", "PHg+")
	f.Fuzz(func(t *testing.T, query, post string) {
		for _, answer := range []func() (*sptest.Form, error){
			func() (*sptest.Form, error) { return idp.Respond(query) },
			func() (*sptest.Form, error) { return idp.RespondPost(post, "") },
		} {
			form, err := answer()
			var refused *sptest.Error
			if err != nil && !errors.As(err, &refused) {
				t.Fatalf("an error that is not an *Error: %v", err)
			}
			if err == nil && form.Action != spACS {
				t.Fatalf("answered to %q, not the registered Reply URL", form.Action)
			}
		}
	})
}

// FuzzLogoutURL: whatever arrives at the Logout URL (a LogoutRequest or LogoutResponse
// in the query, from an app under test), the IdP answers with a page, a redirect or
// Entra's error page, never a panic or a server error.
func FuzzLogoutURL(f *testing.F) {
	idp := sptest.NewIdP(sptest.Config{Key: key(f, idpKey), Now: clock})
	defer idp.Close()
	idp.RegisterSP(spEntityID, spACS)
	idp.SetLogoutURL(spEntityID, "https://app.example/saml/logout")
	for _, x := range []string{
		`<samlp:LogoutRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_a" Version="2.0" IssueInstant="2026-03-02T10:00:00Z"><saml:Issuer>` + spEntityID + `</saml:Issuer><saml:NameID>adele</saml:NameID><samlp:SessionIndex>_s</samlp:SessionIndex></samlp:LogoutRequest>`,
		`<samlp:LogoutResponse xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_b" InResponseTo="_a"><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status></samlp:LogoutResponse>`,
	} {
		v, err := redirect.Encode([]byte(x))
		if err != nil {
			f.Fatal(err)
		}
		f.Add("SAMLRequest=" + url.QueryEscape(v))
		f.Add("SAMLResponse=" + url.QueryEscape(v))
	}
	f.Fuzz(func(t *testing.T, query string) {
		r := httptest.NewRequest("GET", "/"+idp.TenantID()+"/saml2", nil)
		r.URL.RawQuery = query
		rec := httptest.NewRecorder()
		idp.ServeHTTP(rec, r)
		if rec.Code >= 500 {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
