package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/web"
)

// Defaults for Options fields left zero.
const (
	DefaultPrefix  = "ssokit:"
	DefaultTimeout = 500 * time.Millisecond
)

// minTTL keeps every record for at least this long, even when until has already
// passed by this store's clock: a record that expires before the SET returns would
// protect nothing.
const minTTL = time.Second

// Options configures a Store. The zero value is usable.
type Options struct {
	// Prefix starts every key the store writes, so several SPs or organizations can
	// share one Redis without ever reading each other's records. Use one per SP, e.g.
	// "ssokit:org-42:". Empty means DefaultPrefix ("ssokit:").
	Prefix string

	// Timeout bounds each Redis round trip. When it passes the login is rejected
	// (fail closed). Zero means DefaultTimeout (500ms).
	Timeout time.Duration

	// Now is the clock that turns an absolute expiry into a TTL. Nil means time.Now.
	// Give it the SP's Config.Now so both agree on what "until" means.
	Now func() time.Time

	// Logger receives one error record each time Redis cannot answer and a login is
	// rejected because of it. Nil means no logging (the error is still returned).
	Logger *slog.Logger
}

// Store keeps consumed assertion IDs (sp.ReplayCache) and outstanding AuthnRequests
// (web.RequestStore) in Redis, so every app server behind a load balancer sees the
// same records. It is safe for concurrent use.
type Store struct {
	client  redis.UniversalClient
	addr    string
	honours bool   // the client applies context deadlines to its sockets itself
	replay  string // key prefix for consumed assertion IDs
	request string // key prefix for outstanding requests
	session string // key prefix for sessions
	timeout time.Duration
	now     func() time.Time
	logger  *slog.Logger
}

var (
	_ sp.ReplayCache   = (*Store)(nil)
	_ web.RequestStore = (*Store)(nil)
)

// New returns a Store that uses client, which the caller keeps owning (and closes).
func New(client redis.UniversalClient, opts Options) *Store {
	if client == nil {
		panic("redisstore: New called with a nil client")
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	s := &Store{
		client:  client,
		addr:    addrOf(client),
		honours: honoursDeadlines(client),
		replay:  prefix + "replay:",
		request: prefix + "request:",
		session: prefix + "session:",
		timeout: opts.Timeout,
		now:     opts.Now,
		logger:  opts.Logger,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

// key hashes the caller-supplied part of a key: assertion IDs come from the IdP and
// RelayState from the browser, so neither may choose the key's length or shape.
func key(prefix, part string) string {
	sum := sha256.Sum256([]byte(part))
	return prefix + hex.EncodeToString(sum[:])
}

// ttl turns until into a Redis expiry, never shorter than minTTL.
func (s *Store) ttl(until time.Time) time.Duration {
	d := until.Sub(s.now())
	if d < minTTL {
		return minTTL
	}
	// Redis keeps milliseconds; round up so a record never expires early.
	if r := d % time.Millisecond; r != 0 {
		d += time.Millisecond - r
	}
	return d
}

// do runs one Redis call under the store's deadline. go-redis applies a context
// deadline to the socket only when the client was built with ContextTimeoutEnabled.
// Without it, do runs the call on its own goroutine and stops waiting by itself when
// the deadline passes. A call abandoned that way finishes (or fails) in the background
// under the client's own read and write timeouts; its answer is ignored and the login
// has been rejected, which is the safe side for both SET NX and GETDEL.
func (s *Store) do(ctx context.Context, call func(context.Context) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if s.honours {
		return call(ctx)
	}
	result := make(chan error, 1)
	go func() { result <- call(ctx) }()
	select {
	case err := <-result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// fail turns a failed Redis call into the error the SP sees, and logs it.
func (s *Store) fail(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		// The caller gave up (the browser went away); Redis is not at fault.
		return fmt.Errorf("redisstore: %s (the caller gave up: %w)", what, ctx.Err())
	}
	u := &UnavailableError{What: what, Addr: s.addr, Err: err}
	if errors.Is(err, context.DeadlineExceeded) {
		u.Timeout = s.timeout
	}
	var rerr redis.Error
	u.Answered = errors.As(err, &rerr) && !errors.Is(err, redis.ErrClosed)
	if s.logger != nil {
		s.logger.ErrorContext(ctx, "redisstore: login rejected, redis gave no usable answer",
			slog.String("redis", s.addr), slog.String("problem", what), slog.Any("err", err))
	}
	return u
}

// ErrUnavailable is what errors.Is reports for an *UnavailableError.
var ErrUnavailable = errors.New("redisstore: redis unavailable")

// UnavailableError reports that Redis gave no answer the store can trust (unreachable,
// timed out, or replied with an error). The store fails closed: the SP rejects the
// login. It never wraps sp.ErrReplay or sp.ErrInResponseTo, since nothing is known
// about the response.
type UnavailableError struct {
	What     string        // what went wrong, e.g. "replay status unknown"
	Addr     string        // the Redis address(es) the client was configured with
	Answered bool          // Redis replied, with an error (e.g. OOM, READONLY), rather than not at all
	Timeout  time.Duration // set when no answer came within Options.Timeout
	Err      error         // the client's error
}

func (e *UnavailableError) Error() string {
	if e.Answered {
		return fmt.Sprintf("redisstore: %s (redis at %s answered with an error: %v): login rejected", e.What, e.Addr, e.Err)
	}
	if e.Timeout > 0 {
		// go-redis reports a refused connection, after its retries, as the deadline too.
		return fmt.Sprintf("redisstore: %s (redis unreachable at %s: no answer within %v): login rejected", e.What, e.Addr, e.Timeout)
	}
	return fmt.Sprintf("redisstore: %s (redis unreachable at %s: %v): login rejected", e.What, e.Addr, e.Err)
}

func (e *UnavailableError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrUnavailable) true.
func (e *UnavailableError) Is(target error) bool { return target == ErrUnavailable }

// honoursDeadlines reports whether client bounds its socket waits by a context's
// deadline (go-redis' ContextTimeoutEnabled).
func honoursDeadlines(client redis.UniversalClient) bool {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().ContextTimeoutEnabled
	case *redis.ClusterClient:
		return c.Options().ContextTimeoutEnabled
	case *redis.Ring:
		return c.Options().ContextTimeoutEnabled
	}
	return false
}

// addrOf names the server(s) behind client, for error messages.
func addrOf(client redis.UniversalClient) string {
	switch c := client.(type) {
	case *redis.Client:
		return c.Options().Addr
	case *redis.ClusterClient:
		return strings.Join(c.Options().Addrs, ",")
	case *redis.Ring:
		var addrs []string
		for _, a := range c.Options().Addrs {
			addrs = append(addrs, a)
		}
		sort.Strings(addrs)
		return strings.Join(addrs, ",")
	}
	return fmt.Sprintf("%T", client)
}
