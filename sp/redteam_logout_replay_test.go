package sp

import (
	"context"
	"fmt"
	"testing"

	"github.com/ssokit/saml/internal/samltest"
)

// Anyone can send unsigned LogoutRequests (LogoutConfig.RequireSignedRequests is off by
// default), each with a fresh ID. Recording their IDs filled the replay cache every
// login shares, for an hour each (their IssueInstant + an hour): once the memory cache
// was full (100,000 IDs by default, a few minutes of requests), every login failed
// closed with ErrUnavailable. An unsigned request's ID protects nothing (whoever could
// replay it could as well write a new one), so it is not recorded; a signed one still
// is, and is accepted once.
func TestUnsignedLogoutRequestsDoNotFillTheReplayCache(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := logoutConfig(idp)
	cache := NewMemoryReplayCache(8)
	cache.Now = cfg.Now
	cfg.ReplayCache = cache
	s := newSP(t, cfg)
	ctx := context.Background()
	for i := range 8 {
		q := entraQuery(t, nil, "SAMLRequest", xmlOf(t, idpLogoutRequest(fmt.Sprintf("_forged-%d", i))), "")
		if _, err := s.ValidateLogoutRequest(ctx, q); err != nil {
			t.Fatalf("control: the unsigned LogoutRequest is accepted (RequireSignedRequests is off): %v", err)
		}
	}
	if _, err := s.ValidateResponse(ctx, genResponse(t, idp, samltest.Options{Sign: samltest.SignAssertion}), samltest.RequestID); err != nil {
		t.Fatalf("a genuine login after 8 unsigned LogoutRequests (replay cache of 8): %v", err)
	}
	// A signed request is still accepted once.
	q := entraQuery(t, idp.Key, "SAMLRequest", xmlOf(t, idpLogoutRequest("_signed")), "")
	if _, err := s.ValidateLogoutRequest(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ValidateLogoutRequest(ctx, q); err == nil {
		t.Error("a signed LogoutRequest was accepted twice")
	}
}
