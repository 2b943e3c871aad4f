package sp

import (
	"context"
	"errors"
	"fmt"
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
	if _, err := m.Take(ctx, "rsA"); !errors.Is(err, ErrInResponseTo) {
		t.Errorf("second Take: %v, want ErrInResponseTo", err)
	}
	m.Save(ctx, "rsB", want, now.Add(time.Minute))
	now = now.Add(time.Minute)
	if _, err := m.Take(ctx, "rsB"); !errors.Is(err, ErrInResponseTo) {
		t.Errorf("Take after expiry: %v, want ErrInResponseTo", err)
	}
}

func TestMemoryRequestStoreIsBounded(t *testing.T) {
	m := &MemoryRequestStore{Now: func() time.Time { return reqNow }, Max: 3}
	ctx := context.Background()
	for i := range 5 {
		m.Save(ctx, fmt.Sprint("rs", i), PendingRequest{ID: fmt.Sprint("id", i)}, reqNow.Add(time.Duration(i+1)*time.Minute))
	}
	if len(m.entries) != 3 {
		t.Fatalf("%d entries, want 3", len(m.entries))
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
	w := newWebTest(t, nil, func(hc *HTTPConfig) { hc.RequestStore = store })
	relayState, id, c := w.login("/reports")
	var pc pendingCookie
	if err := w.h.codec.open(c.Name, c.Value, &pc); err != nil {
		t.Fatal(err)
	}
	if pc.ID != "" || pc.ReturnTo != "" {
		t.Errorf("cookie carries %+v; with a RequestStore it should only bind the browser", pc)
	}
	if got := store.entries[relayState].req; got.ID != id || got.ReturnTo != "/reports" {
		t.Errorf("store holds %+v, want ID %s", got, id)
	}
	// The ACS takes the entry (the stub response then fails validation).
	w.do(w.h.ACS(), acsPost(relayState), c)
	if _, ok := store.entries[relayState]; ok {
		t.Error("ACS left the pending login in the store")
	}
	// Without the browser's cookie the stored entry is not enough.
	relayState2, _, _ := w.login("/")
	w.checkRefusal(w.do(w.h.ACS(), acsPost(relayState2)), 403, "no pending-login cookie")
}
