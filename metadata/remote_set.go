package metadata

import (
	"context"
	"crypto/x509"
	"slices"
	"sync"
	"time"
)

// RemoteSet keeps the metadata URLs of many organizations current with one goroutine
// (Run) instead of one per organization. Each organization's Remote is created on
// first use from its RemoteConfig, with the set's Fetcher, Cache and Now filled in
// where the config leaves them empty, and replaced when its URL, entity ID or pinned
// signers change.
//
// In a fleet, give every server's RemoteSet the same shared Cache: see Remote.
type RemoteSet struct {
	// Fetcher, Cache and Now are the defaults for every Remote (see RemoteConfig).
	Fetcher Getter
	Cache   Cache
	Now     func() time.Time
	// OnChange and OnError, if set, receive every Remote's events with its key, from
	// several goroutines at once.
	OnChange func(key string, c Change)
	OnError  func(key string, err error)

	// after is the timer Run waits on; a test seam.
	after func(time.Duration) <-chan time.Time

	mu   sync.Mutex
	m    map[string]*setEntry
	wake chan struct{}
}

// setParallelism is how many refreshes RemoteSet.Run makes at once.
const setParallelism = 4

type setEntry struct {
	cfg    RemoteConfig
	remote *Remote
}

// Remote returns the Remote for key (an organization ID), creating it from cfg, or
// replacing it when cfg names another URL, entity ID or set of pinned signers.
func (s *RemoteSet) Remote(key string, cfg RemoteConfig) (*Remote, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && sameSource(e.cfg, cfg) {
		return e.remote, nil
	}
	full := cfg
	if full.Fetcher == nil {
		full.Fetcher = s.Fetcher
	}
	if full.Cache == nil {
		full.Cache = s.Cache
	}
	if full.Now == nil {
		full.Now = s.Now
	}
	if s.OnChange != nil && cfg.OnChange == nil {
		full.OnChange = func(c Change) { s.OnChange(key, c) }
	}
	if s.OnError != nil && cfg.OnError == nil {
		full.OnError = func(err error) { s.OnError(key, err) }
	}
	r, err := NewRemote(full)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = map[string]*setEntry{}
	}
	s.m[key] = &setEntry{cfg: cfg, remote: r}
	s.poke()
	return r, nil
}

// Remove forgets key's Remote (the organization turned its metadata URL off).
func (s *RemoteSet) Remove(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, key)
}

// Len reports how many Remotes the set holds.
func (s *RemoteSet) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}

func sameSource(a, b RemoteConfig) bool {
	return a.URL == b.URL && a.EntityID == b.EntityID && a.CacheKey == b.CacheKey &&
		slices.EqualFunc(a.SigningCertificates, b.SigningCertificates, func(x, y *x509.Certificate) bool { return x.Equal(y) })
}

// poke wakes Run to recompute its wait; s.mu is held.
func (s *RemoteSet) poke() {
	if s.wake == nil {
		s.wake = make(chan struct{}, 1)
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run refreshes every Remote when it is due, a few at a time, until ctx is done. A
// Remote that was never loaded is due at once, so Run also loads new organizations'
// metadata in the background.
func (s *RemoteSet) Run(ctx context.Context) {
	after := s.after
	if after == nil {
		after = time.After
	}
	for {
		s.mu.Lock()
		if s.wake == nil {
			s.wake = make(chan struct{}, 1)
		}
		wake := s.wake
		select { // a poke before this snapshot is answered by it
		case <-wake:
		default:
		}
		remotes := make([]*Remote, 0, len(s.m))
		for _, e := range s.m {
			remotes = append(remotes, e.remote)
		}
		s.mu.Unlock()

		var due []*Remote
		wait := time.Duration(-1)
		for _, r := range remotes {
			st := r.Status()
			d := st.Next.Sub(r.now())
			if st.Next.IsZero() || d <= 0 {
				due = append(due, r)
			} else if wait < 0 || d < wait {
				wait = d
			}
		}
		// A few at a time: one slow IdP (up to the fetch timeout) does not hold up the
		// others, and a thousand organizations due at once do not mean a thousand
		// connections.
		sem := make(chan struct{}, setParallelism)
		var wg sync.WaitGroup
		for _, r := range due {
			if ctx.Err() != nil {
				break
			}
			sem <- struct{}{}
			wg.Go(func() {
				defer func() { <-sem }()
				r.loadCache(ctx)
				_ = r.refresh(ctx, false)
			})
		}
		wg.Wait()
		if ctx.Err() != nil {
			return
		}
		if len(due) > 0 {
			continue // times moved; look again
		}
		var timer <-chan time.Time
		if wait >= 0 {
			timer = after(wait)
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-timer:
		}
	}
}
