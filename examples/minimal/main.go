// Command minimal protects one page with SAML sign-in through Microsoft Entra ID.
// Configure it with environment variables; see README.md for the Entra side.
package main

import (
	"crypto/rand"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/url"
	"os"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

func main() {
	h, err := newHandler(os.Getenv)
	if err != nil {
		log.Fatal(err)
	}
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = "localhost:8080"
	}
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, h))
}

func newHandler(env func(string) string) (http.Handler, error) {
	cert, err := os.ReadFile(env("SAML_CERT_FILE")) // Entra: Certificate (Base64)
	if err != nil {
		return nil, err
	}
	idp, err := metadata.FromAzure(env("SAML_LOGIN_URL"), string(cert)) // Entra: Login URL
	if err != nil {
		return nil, err
	}
	provider, err := sp.New(sp.Config{
		EntityID:               env("SAML_ENTITY_ID"), // Entra: Identifier (Entity ID)
		ACSURL:                 env("SAML_ACS_URL"),   // Entra: Reply URL
		IdP:                    idp,
		RequireSignedAssertion: true,                                      // the "Signed Assertions" box
		AllowIdPInitiated:      env("SAML_ALLOW_IDP_INITIATED") == "true", // My Apps tiles
		Logger:                 slog.Default(),                            // why a sign-in failed, for you
	})
	if err != nil {
		return nil, err
	}
	key := []byte(env("COOKIE_KEY")) // 32+ bytes; random means sign-in again after a restart
	if len(key) == 0 {
		key = []byte(rand.Text() + rand.Text())
	}
	handlers, err := web.New(provider, web.Config{CookieKey: key, SignInURL: "/"})
	if err != nil {
		return nil, err
	}
	acs, _ := url.Parse(env("SAML_ACS_URL")) // web.New checked it
	if len(acs.Path) < 2 {
		return nil, fmt.Errorf("SAML_ACS_URL %q needs a path, e.g. https://app.example/saml/acs", acs)
	}
	mux := http.NewServeMux()
	mux.Handle("POST "+acs.Path, handlers.ACS())
	mux.Handle("GET /saml/metadata", handlers.Metadata())
	mux.Handle("POST /logout", handlers.SignOut()) // the next sign-in asks Entra for the password again
	mux.Handle("/", handlers.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "Hello, %s (%s). Your session ends at %s.\n", s.DisplayName, s.NameID, s.Expires.Format("15:04 MST"))
	})))
	if group := env("SAML_ADMIN_GROUP"); group != "" { // an Entra group's Object ID
		mux.Handle("/admin", handlers.RequireGroup(group, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "Admins only.")
		})))
	}
	return mux, nil
}
