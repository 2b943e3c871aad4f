package sp_test

import (
	"fmt"
	"log"
	"net/http"
	"net/url"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
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
// this browser has outstanding. (sp/web does all of this for you.)
func ExampleSP_ValidateResponse() {
	provider := newProvider()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /saml/consume", func(w http.ResponseWriter, r *http.Request) {
		requestIDs := []string{"id…"} // what AuthnRequestURL returned for this browser
		a, err := provider.ValidateResponse(r.Context(), r.PostFormValue("SAMLResponse"), requestIDs...)
		if err != nil {
			log.Print(err) // for the admin: what was expected, what arrived, what to change
			http.Error(w, sp.UserMessage(err), http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "signed in as %s (%s)", a.NameID.Value, a.Issuer)
	})
}
