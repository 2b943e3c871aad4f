package sp_test

// End to end against sp/sptest, the public Entra-like test IdP: the SP is configured from
// the IdP's federation metadata, asks with AuthnRequestURL, and validates what the IdP
// answers. These hold the SP to Entra's portal settings, and keep sptest honest for the
// applications that test with it.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/sptest"
)

var kitNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

var kitKeys = sync.OnceValues(func() ([2]*certs.KeyPair, error) {
	var out [2]*certs.KeyPair
	for i, cn := range []string{"Microsoft Azure Federated SSO Certificate", "app.example"} {
		kp, err := certs.GenerateKeyPair(cn, kitNow.Add(-24*time.Hour), 365*24*time.Hour)
		if err != nil {
			return out, err
		}
		out[i] = kp
	}
	return out, nil
})

// kitIdP is an sptest IdP on the fixed clock with the SP registered, and the SP's key.
func kitIdP(t *testing.T, cfg sptest.Config) (*sptest.IdP, *certs.KeyPair) {
	t.Helper()
	keys, err := kitKeys()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Key, cfg.Now = keys[0], func() time.Time { return kitNow }
	idp := sptest.NewIdP(cfg)
	t.Cleanup(idp.Close)
	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/acs")
	return idp, keys[1]
}

func kitSP(t *testing.T, idp *sptest.IdP, edit func(*sp.Config)) *sp.SP {
	t.Helper()
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		t.Fatal(err)
	}
	cfg := sp.Config{EntityID: "https://app.example/saml", ACSURL: "https://app.example/saml/acs", IdP: meta,
		Now: func() time.Time { return kitNow }}
	if edit != nil {
		edit(&cfg)
	}
	s, err := sp.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func kitLogin(t *testing.T, idp *sptest.IdP, s *sp.SP) error {
	t.Helper()
	u, id, err := s.AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	form, err := idp.Respond(u)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.ValidateResponse(context.Background(), form.SAMLResponse, id)
	return err
}

// The Signing Option in Entra against the SP's signature policy: a response is accepted
// exactly when it carries every signature the SP requires, and the refusal is a
// signature error.
func TestEntraSigningOptionAgainstSignaturePolicy(t *testing.T) {
	type policy struct{ assertion, response bool }
	for _, signing := range []sptest.Signing{sptest.SignAssertion, sptest.SignResponse, sptest.SignBoth} {
		idp, _ := kitIdP(t, sptest.Config{Signing: signing})
		for _, p := range []policy{{false, false}, {true, false}, {false, true}, {true, true}} {
			s := kitSP(t, idp, func(c *sp.Config) { c.RequireSignedAssertion, c.RequireSignedResponse = p.assertion, p.response })
			signsAssertion := signing != sptest.SignResponse
			signsResponse := signing != sptest.SignAssertion
			want := (!p.assertion || signsAssertion) && (!p.response || signsResponse)
			err := kitLogin(t, idp, s)
			switch {
			case want && err != nil:
				t.Errorf("%s, require assertion=%v response=%v: refused: %v", signing, p.assertion, p.response, err)
			case !want && !errors.Is(err, sp.ErrSignature):
				t.Errorf("%s, require assertion=%v response=%v: err = %v, want ErrSignature", signing, p.assertion, p.response, err)
			}
		}
	}
}

// Token encryption: with the SP's key the encrypted assertion is read; an SP that insists
// on encryption refuses a plain one.
func TestEntraTokenEncryption(t *testing.T) {
	idp, spKey := kitIdP(t, sptest.Config{Signing: sptest.SignBoth})
	withKey := kitSP(t, idp, func(c *sp.Config) { c.Key = spKey })
	if err := kitLogin(t, idp, withKey); err != nil {
		t.Fatalf("plain assertion, SP with a key: %v", err)
	}
	idp.SetEncryptionCertificate(spKey.Certificate)
	if err := kitLogin(t, idp, withKey); err != nil {
		t.Fatalf("encrypted assertion, SP with the key: %v", err)
	}
	if err := kitLogin(t, idp, kitSP(t, idp, nil)); err == nil {
		t.Fatal("encrypted assertion accepted by an SP without the key")
	}
}

// An Entra refusal reaches the app as ErrStatus carrying the AADSTS code, never as a login.
func TestEntraRefusalIsErrStatus(t *testing.T) {
	idp, _ := kitIdP(t, sptest.Config{User: sptest.User{UPN: "megan@contoso.example", NotAssigned: true}})
	err := kitLogin(t, idp, kitSP(t, idp, nil))
	if !errors.Is(err, sp.ErrStatus) || !strings.Contains(err.Error(), "AADSTS50105") {
		t.Fatalf("err = %v, want ErrStatus with AADSTS50105", err)
	}
}

// A response from another tenant, signed with a key the SP does not trust, is refused
// even though it has the same shape and claims.
func TestEntraOtherTenantIsRefused(t *testing.T) {
	ours, _ := kitIdP(t, sptest.Config{})
	other := sptest.NewIdP(sptest.Config{TenantID: "9a8b7c6d-5e4f-4321-8fed-cba987654321", Now: func() time.Time { return kitNow }})
	t.Cleanup(other.Close)
	other.RegisterSP("https://app.example/saml", "https://app.example/saml/acs")
	s := kitSP(t, ours, nil)
	u, id, err := s.AuthnRequestURL("")
	if err != nil {
		t.Fatal(err)
	}
	form, err := other.Respond(u)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValidateResponse(context.Background(), form.SAMLResponse, id); !errors.Is(err, sp.ErrIssuer) && !errors.Is(err, sp.ErrSignature) {
		t.Fatalf("other tenant: err = %v, want ErrIssuer or ErrSignature", err)
	}
	if err := kitLogin(t, ours, s); err != nil {
		t.Fatalf("control, our tenant: %v", err)
	}
}
