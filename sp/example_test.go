package sp_test

import (
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/ssokit/saml/assertion"
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
// this browser has outstanding. (NewHandlers does all of this for you.)
func ExampleSP_ValidateResponse() {
	provider := newProvider()

	http.HandleFunc("POST /saml/consume", func(w http.ResponseWriter, r *http.Request) {
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

// Protect an app with the ready-made handlers: login, ACS, metadata, and a middleware
// that sends anonymous users through the IdP and back.
func ExampleNewHandlers() {
	provider := newProvider()
	handlers, err := sp.NewHandlers(provider, sp.HTTPConfig{
		// 32+ random bytes from your secret store, the same on every server.
		CookieKey: []byte("example-only-key-of-32-bytes...."),
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.Handle("GET /saml/login", handlers.Login())
	mux.Handle("POST /saml/consume", handlers.ACS())
	mux.Handle("GET /saml/metadata", handlers.Metadata())
	mux.Handle("/", handlers.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := sp.SessionFrom(r.Context())
		fmt.Fprintf(w, "hello %s", s.NameID)
	})))

	// An anonymous visit goes to Entra.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/reports", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	fmt.Println(rec.Code, loc.Host)
	// Output:
	// 302 login.microsoftonline.com
}

// Keep your own session instead of the default cookie: OnLogin receives the validated
// assertion with every attribute (groups, roles, tenant and object IDs).
func ExampleHTTPConfig_onLogin() {
	provider := newProvider()
	_, err := sp.NewHandlers(provider, sp.HTTPConfig{
		CookieKey: []byte("example-only-key-of-32-bytes...."),
		OnLogin: func(w http.ResponseWriter, r *http.Request, a *assertion.Assertion, returnTo string) error {
			// e.g. look the user up by a.ObjectID() and a.TenantID(), store a.Groups() …
			http.Redirect(w, r, returnTo, http.StatusSeeOther)
			return nil
		},
	})
	if err != nil {
		log.Fatal(err)
	}
}
