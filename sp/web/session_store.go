package web

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ssokit/saml/internal/expiring"
)

// ErrNoSession is what a SessionStore's Load returns, wrapped or not, for a session it
// does not hold: never saved, ended, or expired.
var ErrNoSession = errors.New("web: no such session")

// SessionStore keeps sessions on the server. The session cookie then carries only a
// random session ID, so ending a session (EndSession, the SignOut handler, later Single
// Logout) ends it for every copy of the cookie, and a session may hold more than a
// cookie can (groups, roles, Data). MemorySessionStore serves one process;
// sp/redisstore's Store serves a fleet.
type SessionStore interface {
	// Save stores data under id until the given time, replacing what was there.
	Save(ctx context.Context, id string, data []byte, until time.Time) error
	// Update replaces what is stored under id only while it is still there, and
	// returns an error wrapping ErrNoSession otherwise: a request that read a session
	// just before it was ended must not bring it back (Config.IdleTimeout's refresh).
	Update(ctx context.Context, id string, data []byte, until time.Time) error
	// Load returns what Save stored under id, or an error wrapping ErrNoSession. Any
	// other error means the store could not answer: the request is refused, not
	// treated as signed out.
	Load(ctx context.Context, id string) ([]byte, error)
	// Delete forgets id. Deleting an unknown id is not an error.
	Delete(ctx context.Context, id string) error
}

// MemorySessionStore is a SessionStore for a single process. Its zero value is ready to
// use. It holds at most Max sessions (zero means 100,000); when full, the session
// closest to expiry is forgotten (that user signs in again). Sessions are lost when the
// process restarts.
type MemorySessionStore struct {
	// Now is the clock that expires sessions: give it the SP's Config.Now when that is
	// not the real clock. Nil means time.Now.
	Now func() time.Time
	// Max bounds the number of sessions. Zero means 100,000.
	Max int

	mu      sync.Mutex
	entries expiring.Map[[]byte]
}

func (m *MemorySessionStore) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Save implements SessionStore.
func (m *MemorySessionStore) Save(_ context.Context, id string, data []byte, until time.Time) error {
	return m.save(id, data, until, false)
}

func (m *MemorySessionStore) save(id string, data []byte, until time.Time, onlyIfPresent bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if onlyIfPresent && !m.entries.Has(id, now) {
		return ErrNoSession
	}
	limit := m.Max
	if limit <= 0 {
		limit = 100_000
	}
	m.entries.Put(id, append([]byte(nil), data...), until, now, limit)
	return nil
}

// Update implements SessionStore.
func (m *MemorySessionStore) Update(_ context.Context, id string, data []byte, until time.Time) error {
	return m.save(id, data, until, true)
}

// Load implements SessionStore.
func (m *MemorySessionStore) Load(_ context.Context, id string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	data, ok := m.entries.Get(id, m.now())
	if !ok {
		return nil, ErrNoSession
	}
	return append([]byte(nil), data...), nil
}

// Delete implements SessionStore.
func (m *MemorySessionStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries.Delete(id)
	return nil
}

// Len returns the number of sessions held, expired ones not yet forgotten included.
func (m *MemorySessionStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries.Len()
}
