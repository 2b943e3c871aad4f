package sptest_test

import (
	"errors"
	"testing"

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
