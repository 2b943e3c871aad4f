package sp

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// ReplayCache remembers assertion IDs that were already consumed.
type ReplayCache interface {
	// Remember records id until the given time. It returns an error wrapping ErrReplay
	// when id is already recorded, and any other error when it cannot tell (the SP then
	// fails closed with ErrUnavailable, never ErrReplay).
	Remember(ctx context.Context, id string, until time.Time) error
}

// errReplayCacheFull is what a full MemoryReplayCache answers.
var errReplayCacheFull = errors.New("memory replay cache is full of assertion IDs still inside their validity windows; raise its size or use a shared store")

// MemoryReplayCache is the default ReplayCache: one process, bounded size. Use a shared
// cache (e.g. sp/redisstore) when several servers consume responses.
type MemoryReplayCache struct {
	// Now is the clock that expires IDs: give it the SP's Config.Now when that is not
	// the real clock (a fixed clock in tests). Nil means time.Now.
	Now func() time.Time

	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	order expiryHeap
}

// NewMemoryReplayCache returns an in-memory ReplayCache holding at most maxEntries IDs;
// zero or less means 100,000. IDs are forgotten when their time passes (about 8 minutes
// after use with the default MaxIssueDelay and ClockSkew). A cache full of IDs still in
// their windows refuses new ones, so logins fail closed (ErrUnavailable) rather than a
// live ID being forgotten and its response replayable; size it above the logins one
// process accepts in that time.
func NewMemoryReplayCache(maxEntries int) *MemoryReplayCache {
	if maxEntries <= 0 {
		maxEntries = 100000
	}
	return &MemoryReplayCache{max: maxEntries, seen: make(map[string]time.Time)}
}

// Remember records id until the given time (inclusive), or returns an error wrapping
// ErrReplay when id is already recorded and not yet expired.
func (c *MemoryReplayCache) Remember(ctx context.Context, id string, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	// An ID is held through its until instant inclusive: the pipeline's windows accept
	// a response at their closing instant, so forgetting it then would admit a replay.
	for len(c.order) > 0 && c.order[0].until.Before(now) {
		c.forgetFirst()
	}
	if exp, ok := c.seen[id]; ok && !exp.Before(now) {
		return &Error{Kind: ErrReplay, Check: "replay", Received: "assertion ID " + id + " was already used",
			Fix: "each response can be used once; sign in again"}
	}
	if len(c.order) >= c.max {
		// Full of IDs still inside their windows. Forgetting one would let its response
		// be replayed, and whoever can post many valid responses (any tenant's own IdP,
		// when tenants share a cache) could flush the others' on purpose. Refuse instead:
		// the SP fails closed with ErrUnavailable.
		return errReplayCacheFull
	}
	c.seen[id] = until
	heap.Push(&c.order, expiry{id: id, until: until})
	return nil
}

// Len returns the number of IDs held.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *MemoryReplayCache) forgetFirst() {
	e := heap.Pop(&c.order).(expiry)
	if c.seen[e.id].Equal(e.until) {
		delete(c.seen, e.id)
	}
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

// Step 8: each verified assertion is accepted once, for as long as it could be, and
// each AuthnRequest is answered once, for as long as its caller could present its ID
// (Config.LoginTimeout). The assertion comes first, so a replayed response is refused as
// ErrReplay; a second answer to the same request (a fresh assertion, presented with a
// copy of the browser's pending login) as ErrInResponseTo.

func checkReplay(st *state) Check {
	const name = "replay"
	if !st.trusted || st.out == nil {
		return notApplicable("no verified assertion to record")
	}
	until := st.notOnOrAfter
	if until.IsZero() {
		until = st.now.Add(st.sp.delay)
	}
	until = until.Add(st.sp.skew)
	want := "assertion ID " + quote(st.out.ID) + " not used before"
	if err := st.sp.replay.Remember(st.ctx, st.out.ID, until); err != nil {
		var e *Error
		if errors.As(err, &e) && errors.Is(err, ErrReplay) {
			return failedErr(e)
		}
		if errors.Is(err, ErrReplay) {
			return failed(ErrReplay, name, want, "already used", "each response can be used once; sign in again")
		}
		// Cannot tell: fail closed, but this is not the user's replay.
		return failedErr(&Error{Kind: ErrUnavailable, Check: name, Expected: want, Received: "replay cache unavailable",
			Fix: "check the replay cache (e.g. Redis) is reachable", Err: err})
	}
	if st.inResponseTo != "" {
		if c, ok := consumeRequest(st); !ok {
			return c
		}
		want += "; request " + quote(st.inResponseTo) + " answered once"
	}
	return passed(want, "recorded until "+fmtTime(until))
}

// consumeRequest records that the AuthnRequest st answers has been answered. It holds
// the ID for LoginTimeout plus ClockSkew from now: whoever tracks the request (a cookie,
// a store) keeps it at most LoginTimeout after it was sent, which was before now.
func consumeRequest(st *state) (Check, bool) {
	const name = "replay"
	until := st.now.Add(st.sp.login + st.sp.skew)
	want := "request " + quote(st.inResponseTo) + " not answered before"
	err := st.sp.replay.Remember(st.ctx, "authnrequest:"+st.inResponseTo, until)
	switch {
	case err == nil:
		return Check{}, true
	case errors.Is(err, ErrReplay):
		return failedErr(&Error{Kind: ErrInResponseTo, Check: name, Expected: want,
			Received: "the request " + quote(st.inResponseTo) + " was already answered",
			Fix:      "each sign-in is answered once; sign in again from this application"}), false
	default:
		return failedErr(&Error{Kind: ErrUnavailable, Check: name, Expected: want, Received: "replay cache unavailable",
			Fix: "check the replay cache (e.g. Redis) is reachable", Err: err}), false
	}
}
