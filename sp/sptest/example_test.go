package sptest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/sptest"
	"github.com/ssokit/saml/sp/web"
)

// A test of an application's own login, end to end: the browser opens the login URL, the
// application sends it to the IdP, the IdP posts the response to the ACS, and the
// application shows the signed-in user.
func ExampleNewIdP() {
	idp := sptest.NewIdP(sptest.Config{})
	defer idp.Close()

	// The application under test, configured from the IdP's federation metadata.
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()
	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{
		EntityID:               app.URL + "/saml/metadata",
		ACSURL:                 app.URL + "/saml/acs",
		IdP:                    meta,
		RequireSignedAssertion: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	handlers, err := web.New(provider, web.Config{CookieKey: []byte("example-only-key-of-32-bytes....")})
	if err != nil {
		log.Fatal(err)
	}
	mux.Handle("GET /saml/login", handlers.Login())
	mux.Handle("POST /saml/acs", handlers.ACS())
	mux.Handle("/", handlers.RequireLogin(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, _ := web.SessionFrom(r.Context())
		fmt.Fprintf(w, "signed in as %s", s.NameID)
	})))

	// What an Entra admin does: an Enterprise application with the app's Identifier and
	// Reply URL.
	idp.RegisterSP(app.URL+"/saml/metadata", app.URL+"/saml/acs")

	// What the user does, with a browser that keeps cookies.
	jar, _ := cookiejar.New(nil)
	resp, err := idp.SignIn(&http.Client{Jar: jar}, app.URL+"/saml/login?returnTo=/home")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 signed in as adele.vance@contoso.example
}

// Without HTTP: answer the SP's AuthnRequest URL and validate the form value, here for a
// user in more groups than a SAML token carries.
func ExampleIdP_Respond() {
	idp := sptest.NewIdP(sptest.Config{Signing: sptest.SignBoth})
	defer idp.Close()
	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/acs")
	user := sptest.DefaultUser()
	for i := range sptest.MaxGroups + 1 {
		user.Groups = append(user.Groups, fmt.Sprintf("group-%d", i))
	}
	idp.SetUser(user)

	meta, err := metadata.ParseIdP(idp.Metadata())
	if err != nil {
		log.Fatal(err)
	}
	provider, err := sp.New(sp.Config{EntityID: "https://app.example/saml", ACSURL: "https://app.example/saml/acs",
		IdP: meta, RequireSignedAssertion: true, RequireSignedResponse: true})
	if err != nil {
		log.Fatal(err)
	}
	redirectURL, requestID, err := provider.AuthnRequestURL("")
	if err != nil {
		log.Fatal(err)
	}
	form, err := idp.Respond(redirectURL)
	if err != nil {
		log.Fatal(err)
	}
	a, err := provider.ValidateResponse(context.Background(), form.SAMLResponse, requestID)
	if err != nil {
		log.Fatal(err)
	}
	_, overage := a.GroupsOverage()
	fmt.Println(a.TenantID() == idp.TenantID(), a.Email(), "overage:", overage)
	// Output: true adele.vance@contoso.example overage: true
}

// A user the admin has not assigned to the application: Entra posts an error Response,
// which the SP reports as ErrStatus with the AADSTS code.
func ExampleUser_notAssigned() {
	idp := sptest.NewIdP(sptest.Config{User: sptest.User{UPN: "megan@contoso.example", NotAssigned: true}})
	defer idp.Close()
	idp.RegisterSP("https://app.example/saml", "https://app.example/saml/acs")
	meta, _ := metadata.ParseIdP(idp.Metadata())
	provider, _ := sp.New(sp.Config{EntityID: "https://app.example/saml", ACSURL: "https://app.example/saml/acs", IdP: meta})

	form, err := idp.IdPInitiated("https://app.example/saml", "")
	if err != nil {
		log.Fatal(err)
	}
	_, err = provider.ValidateResponse(context.Background(), form.SAMLResponse)
	fmt.Println(errors.Is(err, sp.ErrStatus), strings.Contains(err.Error(), "AADSTS50105"))
	// Output: true true
}
