package sp

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// MemoryRequestStore is a RequestStore for a single process. Its zero value is ready to
// use. It holds at most Max entries (zero means 100,000); when full, the entry closest
// to expiry goes first, so a flood of started-but-abandoned logins costs bounded memory.
type MemoryRequestStore struct {
	// Now is the clock that expires entries. Nil means time.Now.
	Now func() time.Time
	// Max bounds the number of entries. Zero means 100,000.
	Max int

	mu      sync.Mutex
	entries map[string]memoryPending
}

type memoryPending struct {
	req   PendingRequest
	until time.Time
}

func (m *MemoryRequestStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Save implements RequestStore.
func (m *MemoryRequestStore) Save(_ context.Context, relayState string, req PendingRequest, until time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.entries == nil {
		m.entries = make(map[string]memoryPending)
	}
	limit := m.Max
	if limit <= 0 {
		limit = 100_000
	}
	if _, ok := m.entries[relayState]; !ok && len(m.entries) >= limit {
		m.evict(limit - 1)
	}
	m.entries[relayState] = memoryPending{req: req, until: until}
	return nil
}

// evict drops expired entries, then the soonest-expiring ones, down to keep entries.
// It is O(n) but runs only when the store is full.
func (m *MemoryRequestStore) evict(keep int) {
	now := m.now()
	for k, e := range m.entries {
		if !now.Before(e.until) {
			delete(m.entries, k)
		}
	}
	for len(m.entries) > keep {
		var oldest string
		var at time.Time
		for k, e := range m.entries {
			if oldest == "" || e.until.Before(at) {
				oldest, at = k, e.until
			}
		}
		delete(m.entries, oldest)
	}
}

// Take implements RequestStore.
func (m *MemoryRequestStore) Take(_ context.Context, relayState string) (PendingRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[relayState]
	delete(m.entries, relayState)
	if !ok || !m.now().Before(e.until) {
		return PendingRequest{}, fmt.Errorf("%w: no pending login is stored under RelayState %q (expired, already answered, or never started here)", ErrInResponseTo, relayState)
	}
	return e.req, nil
}
