package redisstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ssokit/saml/sp"
)

// Remember records a replay-cache key until the given time (an assertion's NotOnOrAfter
// plus clock skew, or an answered request's LoginTimeout), atomically: of any number of
// app servers remembering the same key, exactly one succeeds; the others get an error
// wrapping sp.ErrReplay. When Redis cannot answer, the error is an *UnavailableError
// instead and the SP rejects the login. The SP scopes each key by kind, SP and IdP
// (see sp.ReplayCache); the store hashes it, so neither its length nor its bytes
// reach Redis' key space.
func (s *Store) Remember(ctx context.Context, id string, until time.Time) error {
	var fresh bool
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		fresh, err = s.client.SetNX(ctx, key(s.replay, id), 1, s.ttl(until)).Result()
		return err
	})
	if err != nil {
		return s.fail(ctx, "replay status unknown", err)
	}
	if !fresh {
		return fmt.Errorf("redisstore: already recorded: %w", sp.ErrReplay)
	}
	return nil
}

// quote bounds caller-supplied text before it goes into an error message.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}
