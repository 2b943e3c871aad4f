package sp

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ssokit/saml/internal/expiring"
)

// ReplayCache remembers the assertion IDs and AuthnRequest IDs already consumed.
//
// The SP scopes every key it passes: the kind of ID (assertion or request), the SP's
// Entity ID, the IdP's Entity ID and the ID itself, so SPs (organizations) and IdPs
// sharing one cache never collide, by accident or on purpose: one tenant's IdP cannot
// use up another tenant's assertion IDs, and an assertion ID cannot burn a request ID.
// Implementations treat the key as opaque bytes (it contains a NUL byte); hash it
// if the store limits key shape, as sp/redisstore does.
type ReplayCache interface {
	// Remember records key until the given time. It returns an error wrapping ErrReplay
	// when key is already recorded, and any other error when it cannot tell (the SP then
	// fails closed with ErrUnavailable, never ErrReplay).
	Remember(ctx context.Context, key string, until time.Time) error
}

// Kinds of replay-cache key.
const (
	replayAssertion = "assertion"
	replayRequest   = "request"
)

// replayKey is the cache key for id of the given kind at this SP and IdP. The entity IDs
// are length-prefixed, so no two distinct (kind, SP, IdP, ID) tuples share a key
// whatever bytes they hold.
func (s *SP) replayKey(kind, id string) string {
	sp, idp := s.cfg.EntityID, s.cfg.IdP.EntityID
	return kind + "\x00" + strconv.Itoa(len(sp)) + ":" + sp + strconv.Itoa(len(idp)) + ":" + idp + id
}

// errAlreadyRecorded is what MemoryReplayCache answers for a key it holds.
var errAlreadyRecorded = fmt.Errorf("%w: already recorded", ErrReplay)

// errReplayCacheFull is what a full MemoryReplayCache answers.
var errReplayCacheFull = errors.New("memory replay cache is full of assertion IDs still inside their validity windows; raise its size or use a shared store")

// MemoryReplayCache is the default ReplayCache: one process, bounded size. Use a shared
// cache (e.g. sp/redisstore) when several servers consume responses.
type MemoryReplayCache struct {
	// Now is the clock that expires IDs: give it the SP's Config.Now when that is not
	// the real clock (a fixed clock in tests). Nil means time.Now.
	Now func() time.Time

	mu   sync.Mutex
	max  int
	seen expiring.Map[struct{}] // Inclusive: see Remember
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
	return &MemoryReplayCache{max: maxEntries, seen: expiring.Map[struct{}]{Inclusive: true}}
}

// Remember records key until the given time (inclusive), or returns an error wrapping
// ErrReplay when key is already recorded and not yet expired.
func (c *MemoryReplayCache) Remember(ctx context.Context, id string, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.Now != nil {
		now = c.Now()
	}
	// An ID is held through its until instant inclusive: the pipeline's windows accept
	// a response at their closing instant, so forgetting it then would admit a replay.
	c.seen.Expire(now)
	if c.seen.Has(id, now) {
		return errAlreadyRecorded
	}
	if c.seen.Len() >= c.max {
		// Full of IDs still inside their windows. Forgetting one would let its response
		// be replayed, and whoever can post many valid responses (any tenant's own IdP,
		// when tenants share a cache) could flush the others' on purpose. Refuse instead:
		// the SP fails closed with ErrUnavailable.
		return errReplayCacheFull
	}
	c.seen.Put(id, struct{}{}, until, now, 0) // never evicts: the check above refused
	return nil
}

// Len returns the number of IDs held.
func (c *MemoryReplayCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.seen.Len()
}

// Step 10: each verified assertion is accepted once, for as long as it could be, and
// each AuthnRequest is answered once, for as long as its caller could present its ID
// (Config.LoginTimeout). The assertion comes first, so a replayed response is refused as
// ErrReplay; a second answer to the same request (a fresh assertion, presented with a
// copy of the browser's pending login) as ErrInResponseTo.

func checkReplay(st *state) Check {
	const name = "replay"
	if st.trust == nil || st.out == nil {
		return notApplicable("no verified assertion to record")
	}
	until := st.notOnOrAfter
	if until.IsZero() {
		until = st.now.Add(st.sp.delay)
	}
	until = until.Add(st.sp.skew)
	want := "assertion ID " + quote(st.out.ID) + " not used before"
	if err := st.sp.replay.Remember(st.ctx, st.sp.replayKey(replayAssertion, st.out.ID), until); err != nil {
		if errors.Is(err, ErrReplay) {
			return failed(ErrReplay, name, want, "assertion ID "+quote(st.out.ID)+" was already used", fix(CodeReplay, "each response can be used once; sign in again"))
		}
		// Cannot tell: fail closed, but this is not the user's replay.
		return failedErr(&Error{Kind: ErrUnavailable, Check: name, Expected: want, Received: "replay cache unavailable",
			Fix: "check the replay cache (e.g. Redis) is reachable", FixCode: CodeReplayCache, Err: err})
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
	err := st.sp.replay.Remember(st.ctx, st.sp.replayKey(replayRequest, st.inResponseTo), until)
	switch {
	case err == nil:
		return Check{}, true
	case errors.Is(err, ErrReplay):
		return failedErr(&Error{Kind: ErrInResponseTo, Check: name, Expected: want,
			Received: "the request " + quote(st.inResponseTo) + " was already answered",
			Fix:      "each sign-in is answered once; sign in again from this application", FixCode: CodeRequestAnswered}), false
	default:
		return failedErr(&Error{Kind: ErrUnavailable, Check: name, Expected: want, Received: "replay cache unavailable",
			Fix: "check the replay cache (e.g. Redis) is reachable", FixCode: CodeReplayCache, Err: err}), false
	}
}
