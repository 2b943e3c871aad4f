package web

import (
	"container/heap"
	"context"
	"fmt"
	"sync"
	"time"

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
	entries map[string]memoryPending
	order   expiryHeap // by expiry; items of taken entries linger until popped
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
	now := m.now()
	for len(m.order) > 0 && !now.Before(m.order[0].until) {
		m.forgetFirst()
	}
	if _, ok := m.entries[relayState]; !ok {
		for len(m.entries) >= limit {
			m.forgetFirst()
		}
	}
	m.entries[relayState] = memoryPending{req: req, until: until}
	heap.Push(&m.order, expiry{id: relayState, until: until})
	if len(m.order) > 2*limit {
		// Taken and overwritten entries leave their heap items behind; drop them.
		m.order = m.order[:0]
		for k, e := range m.entries {
			m.order = append(m.order, expiry{id: k, until: e.until})
		}
		heap.Init(&m.order)
	}
	return nil
}

// forgetFirst pops the soonest-expiring heap item and deletes its entry, unless the
// entry was since taken or saved again. Each Save costs O(log n), full or not.
func (m *MemoryRequestStore) forgetFirst() {
	e := heap.Pop(&m.order).(expiry)
	if cur, ok := m.entries[e.id]; ok && cur.until.Equal(e.until) {
		delete(m.entries, e.id)
	}
}

// Take implements RequestStore.
func (m *MemoryRequestStore) Take(_ context.Context, relayState string) (PendingRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[relayState]
	delete(m.entries, relayState)
	if !ok || !m.now().Before(e.until) {
		return PendingRequest{}, fmt.Errorf("%w: no pending login is stored under RelayState %q (expired, already answered, or never started here)", sp.ErrInResponseTo, relayState)
	}
	return e.req, nil
}

type expiry struct {
	id    string
	until time.Time
}

type expiryHeap []expiry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
