package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ssokit/saml/internal/expiring"
	"github.com/ssokit/saml/sp"
)

// MemoryRequestStore is a RequestStore for a single process. Its zero value is ready to
// use. It holds at most Max entries (zero means 100,000); when full, the entry closest
// to expiry goes first, so a flood of started-but-abandoned logins costs bounded memory.
// Such a flood (anonymous requests to the login handler) can still push out logins in
// progress, which then fail and must start again: rate-limit the login handler, or use
// the default cookie tracking, which keeps no server state.
type MemoryRequestStore struct {
	// Now is the clock that expires entries. Nil means time.Now.
	Now func() time.Time
	// Max bounds the number of entries. Zero means 100,000.
	Max int

	mu      sync.Mutex
	entries expiring.Map[PendingRequest]
}

func (m *MemoryRequestStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Save implements RequestStore. Each Save costs O(log n), full or not.
func (m *MemoryRequestStore) Save(_ context.Context, relayState string, req PendingRequest, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit := m.Max
	if limit <= 0 {
		limit = 100_000
	}
	m.entries.Put(relayState, req, until, m.now(), limit)
	return nil
}

// Take implements RequestStore.
func (m *MemoryRequestStore) Take(_ context.Context, relayState string) (PendingRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	req, ok := m.entries.Get(relayState, m.now())
	m.entries.Delete(relayState)
	if !ok {
		return PendingRequest{}, fmt.Errorf("%w: no pending login is stored under RelayState %q (expired, already answered, or never started here)", sp.ErrInResponseTo, relayState)
	}
	return req, nil
}
