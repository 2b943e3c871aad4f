package expiring

import (
	"strconv"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestExpiryInstant(t *testing.T) {
	for _, inclusive := range []bool{false, true} {
		m := Map[int]{Inclusive: inclusive}
		m.Put("a", 1, t0, t0.Add(-time.Second), 0)
		if !m.Has("a", t0.Add(-time.Nanosecond)) {
			t.Errorf("inclusive=%v: gone before its expiry", inclusive)
		}
		if got := m.Has("a", t0); got != inclusive {
			t.Errorf("inclusive=%v: held at its expiry instant = %v", inclusive, got)
		}
		if m.Has("a", t0.Add(time.Nanosecond)) {
			t.Errorf("inclusive=%v: held after its expiry", inclusive)
		}
		m.Expire(t0.Add(time.Nanosecond))
		if m.Len() != 0 {
			t.Errorf("inclusive=%v: Expire left %d entries", inclusive, m.Len())
		}
	}
}

// A full map forgets the entries closest to expiry first, and a replaced key keeps
// only its new expiry.
func TestFullMapForgetsSoonestFirst(t *testing.T) {
	var m Map[string]
	for i, d := range []time.Duration{3, 1, 2} {
		m.Put(strconv.Itoa(i), "v", t0.Add(d*time.Minute), t0, 3)
	}
	m.Put("0", "again", t0.Add(10*time.Minute), t0, 3) // replaces: no eviction
	if m.Len() != 3 || !m.Has("1", t0) {
		t.Fatalf("replacing a key evicted another: len %d", m.Len())
	}
	m.Put("new", "v", t0.Add(5*time.Minute), t0, 3)
	if m.Has("1", t0) || !m.Has("2", t0) || !m.Has("0", t0) || m.Len() != 3 {
		t.Errorf("a full map did not forget the soonest-expiring entry (1) alone")
	}
	if v, _ := m.Get("0", t0.Add(4*time.Minute)); v != "again" {
		t.Errorf("replaced key expired with its old time: %q", v)
	}
}

// Deleted and replaced keys leave heap items behind; they stay bounded.
func TestHeapStaysBounded(t *testing.T) {
	var m Map[int]
	for i := range 10_000 {
		m.Put("k", i, t0.Add(time.Hour), t0, 4)
		m.Put(strconv.Itoa(i), i, t0.Add(time.Hour), t0, 4)
		m.Delete(strconv.Itoa(i))
	}
	if m.Queued() > 8 || m.Len() > 4 {
		t.Errorf("heap %d items, %d entries, for a limit of 4", m.Queued(), m.Len())
	}
}
