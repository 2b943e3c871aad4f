package sp_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/url"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/sptest"
)

// entraCertificate stands in for the "Certificate (Base64)" an admin downloads from Entra.
func entraCertificate() string {
	kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate", time.Now(), time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	return string(kp.CertificatePEM())
}

// newProvider is the set-up every example shares: Entra's Login URL and certificate,
// and the two values the app gave Entra.
func newProvider() *sp.SP {
	idp, err := metadata.FromAzure(
		"https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2",
		entraCertificate(),
	)
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID: "https://app.example/saml",         // Entra: Identifier (Entity ID)
		ACSURL:   "https://app.example/saml/consume", // Entra: Reply URL
		IdP:      idp,
	})
	if err != nil {
		log.Fatal(err)
	}
	return provider
}

// Start SP-initiated login by hand: send the browser to the URL, and keep the request ID
// with something only this browser holds, to pass to ValidateResponse later.
func ExampleSP_AuthnRequestURL() {
	provider := newProvider()

	redirectURL, requestID, err := provider.AuthnRequestURL("rs-0123456789", sp.LoginHint("adele@contoso.example"))
	if err != nil {
		log.Fatal(err)
	}
	_ = requestID // e.g. in a signed cookie named after the RelayState

	u, _ := url.Parse(redirectURL)
	q := u.Query()
	fmt.Println(u.Host + u.Path)
	fmt.Println("RelayState:", q.Get("RelayState"))
	fmt.Println("login_hint:", q.Get("login_hint"))
	fmt.Println("has SAMLRequest:", q.Get("SAMLRequest") != "")
	// Output:
	// login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2
	// RelayState: rs-0123456789
	// login_hint: adele@contoso.example
	// has SAMLRequest: true
}

// An ACS handler written by hand: validate what the IdP posted against the request IDs
// this browser has outstanding. (sp/web does all of this for you.) Here sp/sptest's
// Entra-like IdP answers the AuthnRequest.
func ExampleSP_ValidateResponse() {
	idp := sptest.NewIdP(sptest.Config{})
	defer idp.Close()
	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/consume")
	provider := providerFor(idp)

	redirectURL, requestID, err := provider.AuthnRequestURL("")
	if err != nil {
		log.Fatal(err)
	}
	form, err := idp.Respond(redirectURL) // what the browser posts to the ACS URL
	if err != nil {
		log.Fatal(err)
	}

	// In the ACS handler: the form value, and the request IDs this browser holds.
	a, err := provider.ValidateResponse(context.Background(), form.SAMLResponse, requestID)
	if err != nil {
		log.Print(err) // for the admin: what was expected, what arrived, what to change
		// http.Error(w, sp.UserMessage(err), http.StatusForbidden) for the user
		return
	}
	fmt.Println(a.NameID.Value, a.TenantID() == idp.TenantID())

	// The same response again is a replay.
	_, err = provider.ValidateResponse(context.Background(), form.SAMLResponse, requestID)
	fmt.Println(errors.Is(err, sp.ErrReplay))
	// Output:
	// adele.vance@contoso.example true
	// true
}

// Diagnose runs every check and reports each, for an admin's "Test SAML configuration"
// page: here the app demands a signed Response, while Entra signs only the assertion
// (its default Signing Option).
func ExampleSP_Diagnose() {
	idp := sptest.NewIdP(sptest.Config{Signing: sptest.SignAssertion})
	defer idp.Close()
	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/consume")
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID:              "https://app.example/saml",
		ACSURL:                "https://app.example/saml/consume",
		IdP:                   meta,
		RequireSignedResponse: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	redirectURL, requestID, _ := provider.AuthnRequestURL("")
	form, err := idp.Respond(redirectURL)
	if err != nil {
		log.Fatal(err)
	}

	d := provider.Diagnose(context.Background(), form.SAMLResponse, requestID)
	fmt.Println("OK:", d.OK)
	for _, c := range d.Failed() {
		fmt.Println("failed:", c.Name, errors.Is(c.Err, sp.ErrSignature))
	}
	// Output:
	// OK: false
	// failed: response signature true
}

// providerFor is an SP for the app registered at idp, configured from its metadata.
func providerFor(idp *sptest.IdP) *sp.SP {
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID:               "https://app.example/saml",
		ACSURL:                 "https://app.example/saml/consume",
		IdP:                    meta,
		RequireSignedAssertion: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	return provider
}
