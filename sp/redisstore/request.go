package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// pending is the stored form of web.PendingRequest.
type pending struct {
	ID       string `json:"id"`
	ReturnTo string `json:"return_to,omitempty"`
}

// Save records req under relayState until the given time.
func (s *Store) Save(ctx context.Context, relayState string, req web.PendingRequest, until time.Time) error {
	if relayState == "" {
		return errors.New("redisstore: Save needs a RelayState")
	}
	val, err := json.Marshal(pending{ID: req.ID, ReturnTo: req.ReturnTo})
	if err != nil {
		return fmt.Errorf("redisstore: encoding request: %w", err)
	}
	err = s.do(ctx, func(ctx context.Context) error {
		return s.client.Set(ctx, key(s.request, relayState), val, s.ttl(until)).Err()
	})
	if err != nil {
		return s.fail(ctx, "AuthnRequest not saved", err)
	}
	return nil
}

// Take returns the request saved under relayState and deletes it in the same Redis
// command (GETDEL, Redis 6.2 or later), so of any number of app servers taking it,
// exactly one gets it. The others, and any RelayState never saved or already expired,
// get an error wrapping sp.ErrInResponseTo.
func (s *Store) Take(ctx context.Context, relayState string) (web.PendingRequest, error) {
	if relayState == "" {
		return web.PendingRequest{}, fmt.Errorf("redisstore: the response came without a RelayState, so no outstanding request matches it: %w", sp.ErrInResponseTo)
	}
	var val []byte
	err := s.do(ctx, func(ctx context.Context) error {
		var err error
		val, err = s.client.GetDel(ctx, key(s.request, relayState)).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return web.PendingRequest{}, fmt.Errorf("redisstore: no outstanding request for RelayState %s (already used, expired, or started elsewhere): %w", quote(relayState), sp.ErrInResponseTo)
	}
	if err != nil {
		return web.PendingRequest{}, s.fail(ctx, "outstanding request unknown", err)
	}
	var p pending
	if err := json.Unmarshal(val, &p); err != nil || p.ID == "" {
		// Someone else wrote under our prefix; do not guess what it meant.
		return web.PendingRequest{}, fmt.Errorf("redisstore: the record for RelayState %s is not one this store wrote: %w", quote(relayState), sp.ErrInResponseTo)
	}
	return web.PendingRequest{ID: p.ID, ReturnTo: p.ReturnTo}, nil
}
