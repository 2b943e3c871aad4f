package redisstore_test

import (
	"log"
	"net/http"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/metadata"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/redisstore"
	"github.com/ssokit/saml/sp/web"
)

// Every app server behind the load balancer runs this, with the same Redis and the same
// cookie key: a response accepted by one server is then refused by all of them.
func ExampleNew() {
	idp, err := metadata.FromAzure(os.Getenv("ENTRA_LOGIN_URL"), os.Getenv("ENTRA_CERTIFICATE"))
	if err != nil {
		log.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{
		Addr:                  os.Getenv("REDIS_ADDR"),
		ContextTimeoutEnabled: true, // sockets honour the store's per-call deadline
	})
	defer rdb.Close()

	// One prefix per organization: tenants sharing a Redis never see each other's records.
	store := redisstore.New(rdb, redisstore.Options{Prefix: "ssokit:acme:", Timeout: 300 * time.Millisecond})

	provider, err := sp.New(sp.Config{
		EntityID:    "https://app.example/organizations/acme/saml/metadata",
		ACSURL:      "https://app.example/organizations/acme/saml/consume",
		IdP:         idp,
		ReplayCache: store,
	})
	if err != nil {
		log.Fatal(err)
	}
	handlers, err := web.New(provider, web.Config{
		CookieKey:    []byte(os.Getenv("COOKIE_KEY")), // 32+ random bytes, the same on every server
		RequestStore: store,                           // optional: pending logins on the server
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/organizations/acme/saml/login", handlers.Login())
	mux.Handle("/organizations/acme/saml/consume", handlers.ACS())
	log.Fatal(http.ListenAndServe(":8080", mux))
}
