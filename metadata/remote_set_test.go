package metadata

import (
	"context"
	"sync"
	"testing"
	"time"
)

// One goroutine keeps every organization's metadata current: new ones are loaded at
// once, then each is refreshed when its own schedule says, and Run waits for the
// earliest.
func TestRemoteSetRefreshesEachWhenDue(t *testing.T) {
	c := testSigners(t)
	a := newMDServer(t, idpDoc(`cacheDuration="PT1H"`, c[0].cert))
	b := newMDServer(t, idpDoc("", c[1].cert))
	clk := &fakeClock{t: t0}
	var mu sync.Mutex
	var changes []string
	set := &RemoteSet{Now: clk.Now, OnChange: func(key string, _ Change) { mu.Lock(); changes = append(changes, key); mu.Unlock() }}
	asked := make(chan time.Duration)
	fire := make(chan time.Time)
	set.after = func(d time.Duration) <-chan time.Time { asked <- d; return fire }
	dns := map[string]string{"idp.example.com": "127.0.0.1"}
	ra, err := set.Remote("org-a", RemoteConfig{URL: a.mdURL(), Fetcher: testFetcher(a.testServer, dns, true)})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := set.Remote("org-b", RemoteConfig{URL: b.mdURL(), Fetcher: testFetcher(b.testServer, dns, true)})
	if err != nil {
		t.Fatal(err)
	}
	ra.jitter, rb.jitter = nil, nil // exact schedules
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { set.Run(ctx); close(done) }()

	if d := <-asked; d != 45*time.Minute {
		t.Fatalf("first wait %v, want 45m (org-a's cacheDuration × 0.75)", d)
	}
	mu.Lock()
	n := len(changes)
	mu.Unlock()
	if a.hits.Load() != 1 || b.hits.Load() != 1 || n != 2 {
		t.Fatalf("initial loads: a %d, b %d, changes %v", a.hits.Load(), b.hits.Load(), changes)
	}
	clk.Advance(45 * time.Minute)
	fire <- clk.Now()
	if d := <-asked; d != 45*time.Minute {
		t.Fatalf("second wait %v, want 45m", d)
	}
	if a.hits.Load() != 2 || b.hits.Load() != 1 {
		t.Fatalf("after 45m: a %d, b %d requests; want only org-a refreshed", a.hits.Load(), b.hits.Load())
	}
	cancel()
	<-done

	// The same config returns the same Remote; a new URL replaces it.
	if again, _ := set.Remote("org-a", RemoteConfig{URL: a.mdURL(), Fetcher: testFetcher(a.testServer, dns, true)}); again != ra {
		t.Error("same config: a new Remote")
	}
	if moved, _ := set.Remote("org-a", RemoteConfig{URL: b.mdURL(), Fetcher: testFetcher(b.testServer, dns, true)}); moved == ra {
		t.Error("new URL: the old Remote kept")
	}
	set.Remove("org-b")
	if set.Len() != 1 {
		t.Errorf("Len %d after Remove, want 1", set.Len())
	}
}
