package sp_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/url"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// Single Logout started at the app: end the local session, then send the browser to the
// IdP's Logout URL with a LogoutRequest for the NameID and SessionIndex of the login, and
// keep the request ID with this browser for the LogoutResponse.
func ExampleSP_LogoutRequestURL() {
	idp, err := metadata.FromAzure("https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2", entraCertificate())
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID: "https://app.example/saml",
		ACSURL:   "https://app.example/saml/consume",
		IdP:      idp,
		Logout:   sp.LogoutConfig{URL: "https://app.example/saml/logout"}, // Entra: Logout Url
	})
	if err != nil {
		log.Fatal(err)
	}
	login := &assertion.Assertion{ // what ValidateResponse returned at sign-in
		NameID:       assertion.NameID{Value: "adele@contoso.example", Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		SessionIndex: "_5f0a0b7c-0000-4000-8000-00000000cafe",
	}
	redirectURL, requestID, err := provider.LogoutRequestURL(sp.LogoutSubject{NameID: login.NameID, SessionIndex: login.SessionIndex}, "")
	if err != nil {
		log.Fatal(err)
	}
	u, _ := url.Parse(redirectURL)
	fmt.Println(u.Host+u.Path, u.Query().Has("SAMLRequest"), len(requestID))
	fmt.Println("Entra's LogoutResponse Issuer:", idp.LogoutResponseIssuer)

	// At the Logout URL: one handler for both directions.
	_ = func(w http.ResponseWriter, r *http.Request) {
		msg, err := provider.ValidateLogout(context.Background(), r, requestID /* this browser's */)
		switch {
		case err != nil:
			http.Error(w, sp.UserMessage(err), http.StatusBadRequest)
		case msg.Request != nil: // the user signed out elsewhere: end the session it Matches
			answer, err := provider.LogoutResponseURL(msg.Request)
			if err == nil {
				http.Redirect(w, r, answer, http.StatusFound)
			}
		default: // the IdP answered our LogoutRequest
			http.Redirect(w, r, "/signed-out", http.StatusSeeOther)
		}
	}
	// Output:
	// login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2 true 34
	// Entra's LogoutResponse Issuer: https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/
}
