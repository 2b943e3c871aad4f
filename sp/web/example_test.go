package web_test

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
	"github.com/ssokit/saml/sp/web"
)

// entraCertificate stands in for the "Certificate (Base64)" an admin downloads from Entra.
func entraCertificate() string {
	kp, err := certs.GenerateKeyPair("Microsoft Azure Federated SSO Certificate", time.Now(), time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	return string(kp.CertificatePEM())
}

// newProvider is the SP every example shares: Entra's Login URL and certificate, and
// the two values the app gave Entra.
func newProvider() *sp.SP {
	idp, err := metadata.FromAzure(
		"https://login.microsoftonline.com/0f1e2d3c-0000-4000-8000-000000000001/saml2",
		entraCertificate(),
	)
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID:               "https://app.example/saml",         // Entra: Identifier (Entity ID)
		ACSURL:                 "https://app.example/saml/consume", // Entra: Reply URL
		IdP:                    idp,
		RequireSignedAssertion: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	return provider
}

// Protect an app with the ready-made handlers: login, ACS, metadata, and a middleware
// that sends anonymous users through the IdP and back.
func ExampleNew() {
	provider := newProvider()
	handlers, err := web.New(provider, web.Config{
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
		s, _ := web.SessionFrom(r.Context())
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
func ExampleConfig_onLogin() {
	provider := newProvider()
	_, err := web.New(provider, web.Config{
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

// Gate a handler on an Entra group: the group's Object ID, as Entra's groups claim
// carries it (Attributes & Claims → Add a group claim). Members pass; others get a 403
// page; a user whose groups Entra left out (over 150: the groups overage) is told that
// membership could not be checked, never that they are not a member.
func ExampleHandlers_RequireGroup() {
	provider := newProvider()
	handlers, err := web.New(provider, web.Config{
		CookieKey:    []byte("example-only-key-of-32-bytes...."),
		SessionStore: &web.MemorySessionStore{}, // sign-out ends the session on the server too
	})
	if err != nil {
		log.Fatal(err)
	}
	const financeGroup = "5f2b8c1d-7e4a-4b9f-a3c6-1d8e2f0b7a94"

	mux := http.NewServeMux()
	mux.Handle("POST /saml/consume", handlers.ACS())
	mux.Handle("POST /logout", handlers.SignOut())
	mux.Handle("/finance/", handlers.RequireGroup(financeGroup, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "hello %s (object ID %s)", s.DisplayName, s.ObjectID)
	})))

	// An anonymous visit goes to Entra first.
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/finance/reports", nil))
	loc, _ := url.Parse(rec.Header().Get("Location"))
	fmt.Println(rec.Code, loc.Host)
	// Output:
	// 302 login.microsoftonline.com
}
