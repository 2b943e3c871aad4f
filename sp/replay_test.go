package sp

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
)

func TestMemoryReplayCacheAcceptsEachIDOnceUntilItExpires(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := NewMemoryReplayCache(10)
	c.Now = func() time.Time { return now }
	ctx := context.Background()
	if err := c.Remember(ctx, "a", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.Remember(ctx, "a", now.Add(time.Minute)); !errors.Is(err, ErrReplay) {
		t.Fatalf("second Remember: %v, want ErrReplay", err)
	}
	now = now.Add(time.Minute) // the closing instant, which the pipeline still accepts
	if err := c.Remember(ctx, "a", now.Add(time.Minute)); !errors.Is(err, ErrReplay) {
		t.Fatalf("Remember at the until instant: %v, want ErrReplay", err)
	}
	now = now.Add(time.Nanosecond) // expired: the ID may not be valid anywhere any more
	if err := c.Remember(ctx, "a", now.Add(time.Minute)); err != nil {
		t.Fatalf("after expiry: %v", err)
	}
}

// A full cache must never forget an ID still inside its window: whoever can post many
// valid responses (a tenant with its own IdP, when tenants share a cache) could otherwise
// flush another tenant's used IDs and replay a captured response.
func TestMemoryReplayCacheIsBoundedAndNeverForgetsALiveID(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := NewMemoryReplayCache(100)
	c.Now = func() time.Time { return now }
	ctx := context.Background()
	if err := c.Remember(ctx, "victim", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var refused int
	for i := range 1000 {
		err := c.Remember(ctx, fmt.Sprint(i), now.Add(time.Hour+time.Duration(i)*time.Second))
		switch {
		case err == nil:
		case errors.Is(err, ErrReplay):
			t.Fatalf("flood ID %d reported as a replay", i)
		default:
			refused++
		}
	}
	if n := c.Len(); n != 100 || refused != 901 {
		t.Fatalf("Len = %d, refused = %d; want 100 held and the other 901 refused", n, refused)
	}
	if err := c.Remember(ctx, "victim", now.Add(time.Minute)); !errors.Is(err, ErrReplay) {
		t.Fatalf("the victim's used ID was forgotten under the flood: %v", err)
	}
	now = now.Add(2 * time.Minute) // the victim's window is over: its slot frees
	if err := c.Remember(ctx, "next", now.Add(time.Minute)); err != nil {
		t.Fatalf("after an ID expired, a new one is still refused: %v", err)
	}
}

// Through the pipeline, a full cache is an outage (ErrUnavailable), not a replay.
func TestFullReplayCacheFailsClosed(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := genConfig(idp)
	full := NewMemoryReplayCache(1)
	full.Now = cfg.Now
	if err := full.Remember(context.Background(), "someone-else", samltest.Now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cfg.ReplayCache = full
	err := validate(t, cfg, genResponse(t, idp, samltest.Options{}), samltest.RequestID)
	if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrReplay) {
		t.Fatalf("err = %v, want ErrUnavailable", err)
	}
}

func TestReplayCacheFailureFailsClosed(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := genConfig(idp)
	cfg.ReplayCache = failingCache{}
	err := validate(t, cfg, genResponse(t, idp, samltest.Options{}), samltest.RequestID)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, errCacheDown) || errors.Is(err, ErrReplay) {
		t.Fatalf("err = %v, want ErrUnavailable (not ErrReplay) wrapping the cache error", err)
	}
}

var errCacheDown = errors.New("cache down")

type failingCache struct{}

func (failingCache) Remember(context.Context, string, time.Time) error { return errCacheDown }

// forgetful is a ReplayCache that accepts everything, for benchmarks.
type forgetful struct{}

func (forgetful) Remember(context.Context, string, time.Time) error { return nil }

// ValidateResponse answers each AuthnRequest once, for callers that track requests
// themselves as much as for sp/web: a second, fresh response to the same request is
// refused as ErrInResponseTo, not only a replayed one.
func TestValidateResponseAnswersEachRequestOnce(t *testing.T) {
	idp := samltest.DefaultIdP()
	s, err := New(genConfig(idp))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	first := genResponse(t, idp, samltest.Options{})
	if _, err := s.ValidateResponse(ctx, first, samltest.RequestID); err != nil {
		t.Fatalf("control: first answer: %v", err)
	}
	second := genResponse(t, idp, samltest.Options{AssertionID: samltest.ID("second answer")})
	_, err = s.ValidateResponse(ctx, second, samltest.RequestID)
	if !errors.Is(err, ErrInResponseTo) || !strings.Contains(err.Error(), "already answered") {
		t.Fatalf("second answer to one request: %v, want ErrInResponseTo (already answered)", err)
	}
	// Control: the same fresh response answering another request is accepted.
	other := genResponse(t, idp, samltest.Options{AssertionID: samltest.ID("third answer"), InResponseTo: "id-other"})
	if _, err := s.ValidateResponse(ctx, other, "id-other"); err != nil {
		t.Fatalf("control: an answer to another request: %v", err)
	}
}

// One cache shared by several SPs (organizations) and IdPs: the same ID under another SP,
// another IdP or as another kind is a different record. Without scoping, one tenant's
// IdP could use up another tenant's IDs and refuse its logins as replays.
func TestReplayKeysAreScopedBySPIdPAndKind(t *testing.T) {
	ctx := context.Background()
	shared := NewMemoryReplayCache(0)
	shared.Now = samltest.Clock
	newSP := func(idp *samltest.IdP, entityID string) *SP {
		cfg := genConfig(idp)
		cfg.EntityID, cfg.ReplayCache = entityID, shared
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	same := samltest.Options{AssertionID: "_same-id", InResponseTo: "idsame"}
	for _, tc := range []struct {
		name     string
		idp      *samltest.IdP
		entityID string
	}{
		{"first SP and IdP", samltest.DefaultIdP(), samltest.SPEntityID},
		{"another SP, same IdP", samltest.DefaultIdP(), "https://app.example/organizations/other/saml/metadata"},
		{"same SP entity ID, another IdP", samltest.OtherTenantIdP(), samltest.SPEntityID},
	} {
		o := same
		o.Audience = tc.entityID
		resp := genResponse(t, tc.idp, o)
		s := newSP(tc.idp, tc.entityID)
		if _, err := s.ValidateResponse(ctx, resp, "idsame"); err != nil {
			t.Fatalf("%s: assertion %s answering request idsame: %v", tc.name, same.AssertionID, err)
		}
		// Control: within one SP and IdP the same IDs are refused.
		if _, err := s.ValidateResponse(ctx, resp, "idsame"); !errors.Is(err, ErrReplay) {
			t.Fatalf("%s: control: the replay was not refused: %v", tc.name, err)
		}
	}

	// Kind: an assertion whose ID equals the request ID it answers is two records.
	s := newSP(samltest.DefaultIdP(), "https://app.example/organizations/third/saml/metadata")
	resp := genResponse(t, samltest.DefaultIdP(), samltest.Options{AssertionID: "idkind", InResponseTo: "idkind",
		Audience: "https://app.example/organizations/third/saml/metadata"})
	if _, err := s.ValidateResponse(ctx, resp, "idkind"); err != nil {
		t.Fatalf("an assertion ID equal to its request ID collided with it: %v", err)
	}
}

// New copies the IdP: a caller that later changes the *metadata.IdP it passed (adds a
// certificate, renames the issuer) changes nothing about whom the SP trusts.
func TestNewCopiesTheIdP(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := genConfig(idp)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	attacker := samltest.AttackerIdP()
	cfg.IdP.Certificates[0] = attacker.Cert
	cfg.IdP.Certificates = append(cfg.IdP.Certificates, attacker.Cert)
	cfg.IdP.EntityID = "https://evil.example/"
	s.Config().IdP.Certificates[0] = attacker.Cert // nor through Config()
	ctx := context.Background()
	if _, err := s.ValidateResponse(ctx, genResponse(t, attacker, samltest.Options{AssertionID: samltest.ID("forged")}), samltest.RequestID); !errors.Is(err, ErrSignature) {
		t.Errorf("a response signed with the certificate added after New: %v, want ErrSignature", err)
	}
	if _, err := s.ValidateResponse(ctx, genResponse(t, idp, samltest.Options{}), samltest.RequestID); err != nil {
		t.Errorf("control: the genuine IdP's response after the caller's edits: %v", err)
	}
}
