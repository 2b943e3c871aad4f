package orgs

import (
	"context"
	"errors"
	"slices"
	"sync"
)

// Errors a Store returns; test with errors.Is.
var (
	ErrNotFound = errors.New("orgs: no such organization")
	ErrExists   = errors.New("orgs: organization already exists")
	// ErrConflict means the organization changed since it was read (another admin
	// saved, tested or enabled in between): nothing was written. Read it again, show
	// the admin the current state, and let them redo their change.
	ErrConflict = errors.New("orgs: organization changed since it was read; reload and try again")
)

// DefaultSignInRetention is how many sign-in log entries a store keeps per organization
// when not told otherwise; older ones are dropped as new ones arrive.
const DefaultSignInRetention = 200

// Store keeps organizations and their sign-in logs. Several servers may share one
// (sqlstore over PostgreSQL); every method is safe for concurrent use.
//
// Update is a compare-and-swap on Revision, so concurrent admins never overwrite each
// other silently, and it writes the whole Org atomically, so Active and Pending never
// change apart.
type Store interface {
	// Create stores a new organization (o.Revision must be 0) and sets o.Revision to 1.
	// It returns ErrExists if the ID is taken.
	Create(ctx context.Context, o *Org) error
	// Get returns the organization, or ErrNotFound.
	Get(ctx context.Context, id string) (*Org, error)
	// Update replaces the stored organization if its revision still equals o.Revision,
	// and then increments o.Revision. Otherwise it writes nothing and returns
	// ErrConflict (or ErrNotFound).
	Update(ctx context.Context, o *Org) error
	// List returns every organization, ordered by ID.
	List(ctx context.Context) ([]*Org, error)
	// Log appends an entry to the organization's sign-in log, dropping the oldest
	// beyond the store's retention.
	Log(ctx context.Context, id string, e SignIn) error
	// SignIns returns up to limit of the newest log entries, newest first.
	SignIns(ctx context.Context, id string, limit int) ([]SignIn, error)
}

// MemoryStore is a Store for one process (and tests); it forgets everything on exit.
type MemoryStore struct {
	// Retention is how many sign-in log entries are kept per organization; zero means
	// DefaultSignInRetention.
	Retention int

	mu   sync.Mutex
	orgs map[string]*Org
	logs map[string][]SignIn // oldest first
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{orgs: make(map[string]*Org), logs: make(map[string][]SignIn)}
}

func (m *MemoryStore) Create(_ context.Context, o *Org) error {
	if !ValidID(o.ID) {
		return invalidIDError(o.ID)
	}
	if o.Revision != 0 {
		return errors.New("orgs: Create of an organization with a revision; use Update")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[o.ID]; ok {
		return ErrExists
	}
	o.Revision = 1
	m.orgs[o.ID] = o.Clone()
	return nil
}

func (m *MemoryStore) Get(_ context.Context, id string) (*Org, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	o, ok := m.orgs[id]
	if !ok {
		return nil, ErrNotFound
	}
	return o.Clone(), nil
}

func (m *MemoryStore) Update(_ context.Context, o *Org) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.orgs[o.ID]
	switch {
	case !ok:
		return ErrNotFound
	case cur.Revision != o.Revision:
		return ErrConflict
	}
	c := o.Clone()
	c.Revision++
	m.orgs[o.ID] = c
	o.Revision = c.Revision
	return nil
}

func (m *MemoryStore) List(_ context.Context) ([]*Org, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]*Org, 0, len(m.orgs))
	for _, o := range m.orgs {
		out = append(out, o.Clone())
	}
	slices.SortFunc(out, func(a, b *Org) int { return compareStrings(a.ID, b.ID) })
	return out, nil
}

func (m *MemoryStore) Log(_ context.Context, id string, e SignIn) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[id]; !ok {
		return ErrNotFound
	}
	keep := m.Retention
	if keep <= 0 {
		keep = DefaultSignInRetention
	}
	l := append(m.logs[id], e)
	if len(l) > keep {
		l = slices.Clone(l[len(l)-keep:]) // copy, so the dropped entries are freed
	}
	m.logs[id] = l
	return nil
}

func (m *MemoryStore) SignIns(_ context.Context, id string, limit int) ([]SignIn, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.orgs[id]; !ok {
		return nil, ErrNotFound
	}
	l := m.logs[id]
	if limit <= 0 || limit > len(l) {
		limit = len(l)
	}
	out := make([]SignIn, 0, limit)
	for i := len(l) - 1; i >= len(l)-limit; i-- {
		out = append(out, l[i])
	}
	return out, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// InvalidIDError is returned for an organization ID that ValidID refuses.
type InvalidIDError struct{ ID string }

func (e *InvalidIDError) Error() string {
	return "orgs: organization ID " + quote(e.ID) + " is not 1-63 characters of a-z, 0-9 and '-' (not starting or ending with '-')"
}

func invalidIDError(id string) error { return &InvalidIDError{ID: id} }
