package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/sp/web"
)

// Sessions is the web.SessionStore view of a Store: sessions in Redis under the
// Store's prefix, so ending one on any app server ends it on all. Get it with
// Store.Sessions.
type Sessions struct{ s *Store }

// Sessions returns the store's web.SessionStore, for web.Config.SessionStore.
func (s *Store) Sessions() *Sessions { return &Sessions{s} }

var _ web.SessionStore = (*Sessions)(nil)

// Save stores a session until the given time.
func (ss *Sessions) Save(ctx context.Context, id string, data []byte, until time.Time) error {
	s := ss.s
	if id == "" {
		return errors.New("redisstore: Save needs a session ID")
	}
	err := s.do(ctx, func(ctx context.Context) error {
		return s.client.Set(ctx, key(s.session, id), data, s.ttl(until)).Err()
	})
	if err != nil {
		return s.fail(ctx, "session not saved", err)
	}
	return nil
}

// Load returns the session stored under id, or an error wrapping web.ErrNoSession when
// there is none (never saved, ended on any app server, or expired). When Redis cannot
// answer, the error is an *UnavailableError and the request is refused.
func (ss *Sessions) Load(ctx context.Context, id string) ([]byte, error) {
	s := ss.s
	var val []byte
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		val, err = s.client.Get(ctx, key(s.session, id)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("redisstore: no session %s: %w", quote(id), web.ErrNoSession)
	}
	if err != nil {
		return nil, s.fail(ctx, "session unknown", err)
	}
	return val, nil
}

// Delete ends the session stored under id, for every app server at once.
func (ss *Sessions) Delete(ctx context.Context, id string) error {
	s := ss.s
	err := s.do(ctx, func(ctx context.Context) error {
		return s.client.Del(ctx, key(s.session, id)).Err()
	})
	if err != nil {
		return s.fail(ctx, "session not ended", err)
	}
	return nil
}

// Update replaces the session stored under id only while it exists (SET XX), so a
// refresh racing a sign-out on another server cannot bring the session back.
func (ss *Sessions) Update(ctx context.Context, id string, data []byte, until time.Time) error {
	s := ss.s
	var ok bool
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		ok, err = s.client.SetXX(ctx, key(s.session, id), data, s.ttl(until)).Result()
		return err
	})
	if err != nil {
		return s.fail(ctx, "session not refreshed", err)
	}
	if !ok {
		return fmt.Errorf("redisstore: session %s was ended: %w", quote(id), web.ErrNoSession)
	}
	return nil
}
