package sp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
)

// An SP held from a Refreshing (as web.New holds it) validates logout messages against
// the source's current trust too: a certificate the metadata withdrew (compromised, or
// the rollover is over) must stop verifying LogoutRequests, and the new one must verify
// them, as for responses (TestRefreshingHeldSPFollowsTrust).
func TestRefreshingHeldSPFollowsTrustForLogout(t *testing.T) {
	now := samltest.Now.Add(2 * time.Second)
	clock := func() time.Time { return now }
	server := &memoryIdP{}
	current, next := samltest.DefaultIdP(), samltest.NextIdP()
	server.publish(current)
	remote, err := metadata.NewRemote(metadata.RemoteConfig{URL: testMetadataURL, Fetcher: server, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	cfg := logoutConfig(current)
	cfg.IdP, cfg.Now = nil, clock
	r, err := NewRefreshing(cfg, remote)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	held, err := r.SP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Control: the current certificate's LogoutRequest is accepted.
	if _, err := held.ValidateLogoutRequest(ctx, entraQuery(t, current.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_l0")), "")); err != nil {
		t.Fatalf("control: %v", err)
	}
	// The admin rolls over: the metadata lists only the next certificate.
	server.publish(next)
	if err := remote.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := held.ValidateLogoutRequest(ctx, entraQuery(t, current.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_l1")), "")); !errors.Is(err, ErrSignature) {
		t.Errorf("LogoutRequest signed by the withdrawn certificate through the held SP: %v, want ErrSignature", err)
	}
	if _, err := held.ValidateLogoutRequest(ctx, entraQuery(t, next.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_l2")), "")); err != nil {
		t.Errorf("LogoutRequest signed by the new certificate through the held SP: %v", err)
	}
}
