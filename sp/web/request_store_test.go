package web

import (
	"context"
	"errors"
	"fmt"
	"github.com/ssokit/saml/sp"
	"testing"
	"time"
)

func TestMemoryRequestStoreAnswersEachLoginOnce(t *testing.T) {
	now := reqNow
	m := &MemoryRequestStore{Now: func() time.Time { return now }}
	ctx := context.Background()
	want := PendingRequest{ID: "id1", ReturnTo: "/x"}
	if err := m.Save(ctx, "rsA", want, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Take(ctx, "rsA"); err != nil || got != want {
		t.Fatalf("Take = %+v, %v", got, err)
	}
	if _, err := m.Take(ctx, "rsA"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("second Take: %v, want ErrInResponseTo", err)
	}
	m.Save(ctx, "rsB", want, now.Add(time.Minute))
	now = now.Add(time.Minute)
	if _, err := m.Take(ctx, "rsB"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("Take after expiry: %v, want ErrInResponseTo", err)
	}
}

func TestMemoryRequestStoreIsBounded(t *testing.T) {
	m := &MemoryRequestStore{Now: func() time.Time { return reqNow }, Max: 3}
	ctx := context.Background()
	for i := range 5 {
		m.Save(ctx, fmt.Sprint("rs", i), PendingRequest{ID: fmt.Sprint("id", i)}, reqNow.Add(time.Duration(i+1)*time.Minute))
	}
	if m.entries.Len() != 3 {
		t.Fatalf("%d entries, want 3", m.entries.Len())
	}
	for i, kept := range []bool{false, false, true, true, true} {
		_, err := m.Take(ctx, fmt.Sprint("rs", i))
		if (err == nil) != kept {
			t.Errorf("rs%d kept=%v, want %v (the soonest-expiring go first)", i, err == nil, kept)
		}
	}
}

func TestHandlersWithRequestStoreKeepIDOnServer(t *testing.T) {
	store := &MemoryRequestStore{Now: func() time.Time { return reqNow }}
	w := newWebTest(t, nil, func(hc *Config) { hc.RequestStore = store })
	relayState, id, c := w.login("/reports")
	var pc pendingCookie
	if err := w.h.codec.open(c.Name, c.Value, &pc); err != nil {
		t.Fatal(err)
	}
	if pc.ID != "" || pc.ReturnTo != "" {
		t.Errorf("cookie carries %+v; with a RequestStore it should only bind the browser", pc)
	}
	if got, _ := store.entries.Get(relayState, reqNow); got.ID != id || got.ReturnTo != "/reports" {
		t.Errorf("store holds %+v, want ID %s", got, id)
	}
	// The ACS takes the entry (the stub response then fails validation).
	w.do(w.h.ACS(), acsPost(relayState), c)
	if store.entries.Has(relayState, reqNow) {
		t.Error("ACS left the pending login in the store")
	}
	// Without the browser's cookie the stored entry is not enough.
	relayState2, _, _ := w.login("/")
	w.checkRefusal(w.do(w.h.ACS(), acsPost(relayState2)), 403, "no pending-login cookie")
}

// A full store evicts in O(log n) from a heap; entries taken or saved again leave stale
// heap items, which must neither evict a live entry nor pile up.
func TestMemoryRequestStoreHeapStaysConsistentUnderChurn(t *testing.T) {
	m := &MemoryRequestStore{Now: func() time.Time { return reqNow }, Max: 3}
	ctx := context.Background()
	at := func(min int) time.Time { return reqNow.Add(time.Duration(min) * time.Minute) }
	m.Save(ctx, "rs0", PendingRequest{ID: "id0"}, at(1))
	m.Save(ctx, "rs1", PendingRequest{ID: "id1"}, at(2))
	m.Save(ctx, "rs2", PendingRequest{ID: "id2"}, at(3))
	m.Save(ctx, "rs0", PendingRequest{ID: "id0b"}, at(9)) // saved again: now the latest
	m.Save(ctx, "rs3", PendingRequest{ID: "id3"}, at(4))  // full: rs1 is the soonest
	for rs, want := range map[string]string{"rs0": "id0b", "rs1": "", "rs2": "id2", "rs3": "id3"} {
		got, err := m.Take(ctx, rs)
		if (err == nil) != (want != "") || got.ID != want {
			t.Errorf("Take(%s) = %q, %v; want %q", rs, got.ID, err, want)
		}
	}
	for i := range 1000 {
		rs := fmt.Sprint("churn", i)
		m.Save(ctx, rs, PendingRequest{ID: rs}, at(5))
		if _, err := m.Take(ctx, rs); err != nil {
			t.Fatal(err)
		}
	}
	if m.entries.Queued() > 2*m.Max {
		t.Errorf("heap holds %d items for a store of at most %d entries", m.entries.Queued(), m.Max)
	}
}
