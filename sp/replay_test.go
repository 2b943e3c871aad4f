package sp

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
)

func TestMemoryReplayCacheAcceptsEachIDOnceUntilItExpires(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := NewMemoryReplayCache(10)
	c.now = func() time.Time { return now }
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

func TestMemoryReplayCacheIsBounded(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := NewMemoryReplayCache(100)
	c.now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 1000 {
		// Later IDs live longer, so the soonest-expiring are forgotten first.
		if err := c.Remember(ctx, fmt.Sprint(i), now.Add(time.Hour+time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.Len(); n != 100 {
		t.Fatalf("Len = %d, want 100", n)
	}
	if err := c.Remember(ctx, "999", now.Add(2*time.Hour)); !errors.Is(err, ErrReplay) {
		t.Fatalf("newest ID forgotten: %v", err)
	}
	if err := c.Remember(ctx, "0", now.Add(2*time.Hour)); err != nil {
		t.Fatalf("oldest ID still held: %v", err)
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
