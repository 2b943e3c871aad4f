package sp_test

import (
	"context"
	"log"
	"net/http"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
)

// An SP that trusts an Entra application through its App Federation Metadata Url: the
// metadata is refreshed in the background, a restart with Entra unreachable uses the
// stored copy, and when an admin clicks "Make certificate active" on a new certificate
// the first response signed with it causes one refetch instead of a failed login.
func ExampleNewRefreshing() {
	remote, err := metadata.NewRemote(metadata.RemoteConfig{
		URL: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/federationmetadata/2007-06/federationmetadata.xml?appid=11111111-1111-1111-1111-111111111111",
		// Only fetch from Microsoft's sign-in hosts (customers type these URLs).
		Fetcher: &metadata.Fetcher{AllowedHosts: []string{"login.microsoftonline.com"}},
		// Survives restarts; a table or Redis key shared by the fleet shares the fetches.
		Cache:    metadata.FileCache{Dir: "/var/lib/myapp/saml"},
		OnChange: func(c metadata.Change) { log.Print(c) },
		OnError:  func(err error) { log.Print(err) },
	})
	if err != nil {
		log.Fatal(err)
	}
	go remote.Run(context.Background())

	s, err := sp.NewRefreshing(sp.Config{
		EntityID:  "https://app.example/organizations/contoso/saml",
		ACSURL:    "https://app.example/organizations/contoso/saml/consume",
		SignerLog: sp.NewMemorySignerLog(),
	}, remote)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /organizations/contoso/saml/consume", func(w http.ResponseWriter, r *http.Request) {
		a, err := s.ValidateResponse(r.Context(), r.PostFormValue("SAMLResponse") /* , the browser's request IDs */)
		if err != nil {
			http.Error(w, sp.UserMessage(err), http.StatusForbidden)
			return
		}
		log.Printf("signed in %s (signed by the certificate %s)", a.NameID.Value, a.Signer.Subject)
	})
}
