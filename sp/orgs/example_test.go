package orgs_test

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp/orgs"
)

// The wiring of the package doc, on a memory store: the app supplies its admin check,
// its session, and the settings page; sp/orgs does the rest.
func Example() {
	isAdmin := func(r *http.Request, org string) (string, bool) {
		return "alice@example.com", r.Header.Get("Cookie") != ""
	}
	sso, err := orgs.New(orgs.Config{
		Store:     orgs.NewMemoryStore(), // sqlstore for SQLite or PostgreSQL
		BaseURL:   "https://app.example",
		CookieKey: make([]byte, 32), // 32+ random bytes in a real app
		Authorize: func(r *http.Request, org string, _ orgs.Action) (string, error) {
			if who, ok := isAdmin(r, org); ok {
				return who, nil
			}
			return "", errors.New("not an admin of " + org)
		},
		OnLogin: func(w http.ResponseWriter, r *http.Request, o *orgs.Org, a *assertion.Assertion, returnTo string) error {
			http.Redirect(w, r, returnTo, http.StatusSeeOther) // after starting the app's session
			return nil
		},
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/organizations/{org}/saml/", sso.Handler())
	mux.HandleFunc("POST /organizations/{org}/settings/sso", func(w http.ResponseWriter, r *http.Request) {
		org := r.PathValue("org")
		version, _ := strconv.Atoi(r.FormValue("version"))
		s := orgs.Settings{LoginURL: r.FormValue("login_url"), Certificate: r.FormValue("certificate")}
		if _, err := sso.Save(r, org, s, version); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
		} else if err := sso.StartTest(w, r, org); err != nil {
			http.Error(w, err.Error(), http.StatusConflict)
		}
	})
	e := sso.Endpoints("acme")
	fmt.Println("Reply URL:", e.ACSURL)
	fmt.Println("Identifier (Entity ID):", e.EntityID)
	// Output:
	// Reply URL: https://app.example/organizations/acme/saml/consume
	// Identifier (Entity ID): https://app.example/organizations/acme/saml/metadata
}
