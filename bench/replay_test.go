package bench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ssokit/saml/sp"
)

// replayCache is a single-process replay cache doing the work a real one does per login
// (a locked map lookup and insert); forgetAll lets a benchmark validate the same
// response again without measuring a rejection.
type replayCache struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func newReplayCache() *replayCache { return &replayCache{seen: make(map[string]time.Time)} }

func (c *replayCache) Remember(_ context.Context, id string, until time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[id]; ok {
		return fmt.Errorf("%w: assertion %s was already used", sp.ErrReplay, id)
	}
	c.seen[id] = until
	return nil
}

// forgetAll drops every key: the SP scopes its keys (by SP, IdP and kind) and records
// the request ID too, so there is no one ID to delete.
func (c *replayCache) forgetAll() {
	c.mu.Lock()
	clear(c.seen)
	c.mu.Unlock()
}
