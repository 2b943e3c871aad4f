// Package expiring is the bounded, expiring map behind every memory store of this module
// (replay cache, pending logins, sessions): entries carry an expiry time, expired ones
// are dropped as time passes, and a heap keeps each operation O(log n), full or not.
// A Map is not safe for concurrent use; its owner holds a lock.
package expiring

import (
	"container/heap"
	"time"
)

// Map holds values by key until their expiry. Its zero value is ready to use.
type Map[V any] struct {
	// Inclusive keeps an entry through its expiry instant (expired only once now is
	// after it); false expires it at that instant.
	Inclusive bool

	entries map[string]entry[V]
	order   queue // by expiry; items of deleted or replaced entries linger until popped
}

type entry[V any] struct {
	v     V
	until time.Time
}

func (m *Map[V]) expired(until, now time.Time) bool {
	if m.Inclusive {
		return until.Before(now)
	}
	return !now.Before(until)
}

// Get returns the value stored under key, unless it has expired by now.
func (m *Map[V]) Get(key string, now time.Time) (V, bool) {
	e, ok := m.entries[key]
	if !ok || m.expired(e.until, now) {
		var zero V
		return zero, false
	}
	return e.v, true
}

// Has reports whether key holds an unexpired value.
func (m *Map[V]) Has(key string, now time.Time) bool {
	_, ok := m.Get(key, now)
	return ok
}

// Expire drops every entry expired by now.
func (m *Map[V]) Expire(now time.Time) {
	for len(m.order) > 0 && m.expired(m.order[0].until, now) {
		m.popFirst()
	}
}

// Put stores v under key until the given time, after dropping what expired by now. With
// limit > 0 the map then holds at most limit entries: storing a new key in a full map
// first forgets the entries closest to expiry.
func (m *Map[V]) Put(key string, v V, until, now time.Time, limit int) {
	if m.entries == nil {
		m.entries = make(map[string]entry[V])
	}
	m.Expire(now)
	if _, ok := m.entries[key]; !ok && limit > 0 {
		for len(m.entries) >= limit {
			m.popFirst()
		}
	}
	m.entries[key] = entry[V]{v: v, until: until}
	heap.Push(&m.order, item{key: key, until: until})
	if bound := 2 * max(limit, len(m.entries)); len(m.order) > bound {
		// Deleted and replaced entries left their heap items behind; drop them.
		m.order = m.order[:0]
		for k, e := range m.entries {
			m.order = append(m.order, item{key: k, until: e.until})
		}
		heap.Init(&m.order)
	}
}

// Delete forgets key; its heap item goes when popped.
func (m *Map[V]) Delete(key string) { delete(m.entries, key) }

// Len is the number of entries held, expired ones not yet dropped included.
func (m *Map[V]) Len() int { return len(m.entries) }

// Queued is the number of heap items, stale ones included: at most twice the limit (or
// the entries held), so deleted and replaced entries cost bounded memory.
func (m *Map[V]) Queued() int { return len(m.order) }

// popFirst pops the soonest-expiring heap item and deletes its entry, unless the entry
// was since deleted or stored again.
func (m *Map[V]) popFirst() {
	it := heap.Pop(&m.order).(item)
	if cur, ok := m.entries[it.key]; ok && cur.until.Equal(it.until) {
		delete(m.entries, it.key)
	}
}

type item struct {
	key   string
	until time.Time
}

type queue []item

func (q queue) Len() int           { return len(q) }
func (q queue) Less(i, j int) bool { return q[i].until.Before(q[j].until) }
func (q queue) Swap(i, j int)      { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)        { *q = append(*q, x.(item)) }
func (q *queue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}
