package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/redisstore"
	"github.com/ssokit/saml/sp/redisstore/internal/redistest"
	"github.com/ssokit/saml/sp/web"
)

// now is the fixed clock of every store in these tests; Redis keeps its own.
var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return now }

// testTimeout replaces the 500ms default where timeouts are not under test, so a
// loaded CI machine (go test -race ./... on two cores) cannot fail a login by slowness.
const testTimeout = 10 * time.Second

// newClient connects to srv and closes the client when the test ends.
func newClient(t testing.TB, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { c.Close() })
	return c
}

// newStore gives a store with its own client (as on another app server) on srv.
func newStore(t testing.TB, srv *redistest.Server, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	if opts.Now == nil {
		opts.Now = fixedNow
	}
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	return redisstore.New(newClient(t, srv), opts)
}

func TestRememberAcceptsAnIDOnce(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, redisstore.Options{})
	ctx := context.Background()
	until := now.Add(time.Hour)

	if err := s.Remember(ctx, "_a1", until); err != nil {
		t.Fatalf("first use of _a1: %v", err)
	}
	err := s.Remember(ctx, "_a1", until)
	if !errors.Is(err, sp.ErrReplay) {
		t.Fatalf("second use of _a1: got %v, want an error wrapping sp.ErrReplay", err)
	}
	if errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("a replay must not read as Redis being unavailable: %v", err)
	}
	if err := s.Remember(ctx, "_a2", until); err != nil {
		t.Errorf("another ID after a replay: %v", err)
	}
}

func TestRememberRejectsReplayOnAnotherAppServer(t *testing.T) {
	srv := redistest.Start(t)
	a := newStore(t, srv, redisstore.Options{Prefix: "ssokit:org-1:"})
	b := newStore(t, srv, redisstore.Options{Prefix: "ssokit:org-1:"})
	ctx := context.Background()

	if err := a.Remember(ctx, "_a1", now.Add(time.Hour)); err != nil {
		t.Fatalf("server A, first use: %v", err)
	}
	if err := b.Remember(ctx, "_a1", now.Add(time.Hour)); !errors.Is(err, sp.ErrReplay) {
		t.Fatalf("server B, same assertion: got %v, want sp.ErrReplay", err)
	}
}

func TestRememberAcceptsExactlyOneOfConcurrentUses(t *testing.T) {
	srv := redistest.Start(t)
	// Four app servers, each with its own connection pool.
	stores := make([]*redisstore.Store, 4)
	for i := range stores {
		stores[i] = newStore(t, srv, redisstore.Options{})
	}
	exactlyOneWins(t, 50, sp.ErrReplay, func(i int) error {
		return stores[i%len(stores)].Remember(context.Background(), "_same", now.Add(time.Hour))
	})
}

// pttl reads the remaining lifetime of the one key matching pattern.
func pttl(t *testing.T, c *redis.Client, pattern string) time.Duration {
	t.Helper()
	keys, err := c.Keys(context.Background(), pattern).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("KEYS %s: %v %v, want one key", pattern, keys, err)
	}
	d, err := c.PTTL(context.Background(), keys[0]).Result()
	if err != nil {
		t.Fatalf("PTTL %s: %v", keys[0], err)
	}
	return d
}

func TestRecordsExpireWhenTheirWindowCloses(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv)
	s := redisstore.New(c, redisstore.Options{Now: fixedNow, Timeout: testTimeout})
	ctx := context.Background()

	tests := []struct {
		name  string
		until time.Time
		want  time.Duration // the TTL Redis should report (less the time the test takes)
	}{
		{"kept until NotOnOrAfter plus skew", now.Add(73 * time.Minute), 73 * time.Minute},
		{"milliseconds kept, rounded up", now.Add(2500*time.Millisecond + time.Microsecond), 2501 * time.Millisecond},
		{"window already closed is kept one second", now.Add(-time.Hour), time.Second},
		{"window closing now is kept one second", now, time.Second},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.FlushDB(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			check := func(kind string) {
				t.Helper()
				got := pttl(t, c, "ssokit:"+kind+":*")
				// Redis' clock runs while the test does; a second covers a slow machine.
				if got > tt.want || got <= tt.want-time.Second {
					t.Errorf("%s: TTL %v, want %v (at most a second less)", kind, got, tt.want)
				}
			}
			if err := s.Remember(ctx, fmt.Sprintf("_id%d", i), tt.until); err != nil {
				t.Fatal(err)
			}
			check("replay")
			if err := s.Save(ctx, "rs", web.PendingRequest{ID: "_r"}, tt.until); err != nil {
				t.Fatal(err)
			}
			check("request")
		})
	}
}

func TestExpiredRecordsAreRemovedByRedis(t *testing.T) {
	// End to end on Redis' own clock: the shortest record (one second) is removed by
	// Redis, and the test waits for Redis' "expired" event rather than sleeping.
	srv := redistest.Start(t)
	c := newClient(t, srv)
	ctx := context.Background()
	if err := c.ConfigSet(ctx, "notify-keyspace-events", "Ex").Err(); err != nil {
		t.Fatal(err)
	}
	sub := c.Subscribe(ctx, "__keyevent@0__:expired")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil { // the subscription confirmation
		t.Fatal(err)
	}

	s := redisstore.New(c, redisstore.Options{Now: fixedNow, Timeout: testTimeout})
	if err := s.Remember(ctx, "_short", now); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, "rs-short", web.PendingRequest{ID: "_r"}, now); err != nil {
		t.Fatal(err)
	}
	expired := map[string]bool{}
	deadline := time.After(10 * time.Second)
	for len(expired) < 2 {
		select {
		case msg := <-sub.Channel():
			expired[msg.Payload] = true
		case <-deadline:
			t.Fatalf("Redis expired only %v within 10s, want the replay and the request record", expired)
		}
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 0 {
		t.Errorf("DBSIZE after expiry = %d %v, want 0 keys left", n, err)
	}
	if _, err := s.Take(ctx, "rs-short"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("Take of an expired request: got %v, want sp.ErrInResponseTo", err)
	}
}

func TestPrefixesIsolateTenants(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv)
	orgA := redisstore.New(c, redisstore.Options{Prefix: "ssokit:org-a:", Now: fixedNow, Timeout: testTimeout})
	orgB := redisstore.New(c, redisstore.Options{Prefix: "ssokit:org-b:", Now: fixedNow, Timeout: testTimeout})
	ctx := context.Background()
	until := now.Add(time.Hour)

	if err := orgA.Remember(ctx, "_same-id", until); err != nil {
		t.Fatal(err)
	}
	if err := orgB.Remember(ctx, "_same-id", until); err != nil {
		t.Errorf("org B rejected an ID only org A had seen: %v", err)
	}
	if err := orgA.Save(ctx, "rs-1", web.PendingRequest{ID: "_req-a"}, until); err != nil {
		t.Fatal(err)
	}
	if _, err := orgB.Take(ctx, "rs-1"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("org B took org A's request: got %v, want sp.ErrInResponseTo", err)
	}
	if got, err := orgA.Take(ctx, "rs-1"); err != nil || got.ID != "_req-a" {
		t.Errorf("org A's own request after org B's attempt: %+v %v", got, err)
	}

	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if !strings.HasPrefix(k, "ssokit:org-a:") && !strings.HasPrefix(k, "ssokit:org-b:") {
			t.Errorf("key %q is outside both tenants' prefixes", k)
		}
	}
}

func TestCallerTextIsHashedOutOfKeys(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv)
	s := redisstore.New(c, redisstore.Options{Prefix: "p:", Now: fixedNow, Timeout: testTimeout})
	ctx := context.Background()
	hostile := strings.Repeat("*?[x]\r\n:", 8<<10) // 64 KiB of glob and protocol characters

	if err := s.Remember(ctx, hostile, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, hostile, web.PendingRequest{ID: "_r"}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, err := c.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	shape := regexp.MustCompile(`^p:(replay|request):[0-9a-f]{64}$`)
	for _, k := range keys {
		if !shape.MatchString(k) {
			t.Errorf("key %.100q does not have the shape prefix:kind:sha256-hex", k)
		}
	}
	if len(keys) != 2 {
		t.Errorf("%d keys, want 2", len(keys))
	}
	if got, err := s.Take(ctx, hostile); err != nil || got.ID != "_r" {
		t.Errorf("Take(hostile RelayState) = %+v %v", got, err)
	}
}

func TestTakeIsOneTime(t *testing.T) {
	srv := redistest.Start(t)
	a := newStore(t, srv, redisstore.Options{})
	b := newStore(t, srv, redisstore.Options{})
	ctx := context.Background()
	want := web.PendingRequest{ID: "_req1", ReturnTo: "/dashboard?tab=2"}

	if err := a.Save(ctx, "rs-1", want, now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	got, err := b.Take(ctx, "rs-1") // the IdP's POST lands on another app server
	if err != nil || got != want {
		t.Fatalf("Take = %+v, %v; want %+v", got, err, want)
	}
	if _, err := a.Take(ctx, "rs-1"); !errors.Is(err, sp.ErrInResponseTo) {
		t.Errorf("second Take: got %v, want sp.ErrInResponseTo", err)
	}
}

func TestTakeHandsARequestToExactlyOneOfConcurrentTakers(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, redisstore.Options{})
	ctx := context.Background()
	if err := s.Save(ctx, "rs", web.PendingRequest{ID: "_req"}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	exactlyOneWins(t, 50, sp.ErrInResponseTo, func(int) error {
		_, err := s.Take(ctx, "rs")
		return err
	})
}

func TestTakeRejectsUnknownRequests(t *testing.T) {
	srv := redistest.Start(t)
	c := newClient(t, srv)
	s := redisstore.New(c, redisstore.Options{Prefix: "p:", Now: fixedNow, Timeout: testTimeout})
	ctx := context.Background()

	// A record under our prefix that this store did not write.
	if err := s.Save(ctx, "rs-foreign", web.PendingRequest{ID: "_x"}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	keys, _ := c.Keys(ctx, "p:request:*").Result()
	if len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
	if err := c.Set(ctx, keys[0], "not json", time.Hour).Err(); err != nil {
		t.Fatal(err)
	}

	for _, relayState := range []string{"never-saved", "", "rs-foreign"} {
		_, err := s.Take(ctx, relayState)
		if !errors.Is(err, sp.ErrInResponseTo) {
			t.Errorf("Take(%q): got %v, want sp.ErrInResponseTo", relayState, err)
		}
	}
	if err := s.Save(ctx, "", web.PendingRequest{ID: "_y"}, now.Add(time.Hour)); err == nil {
		t.Error("Save with an empty RelayState succeeded")
	}
}

// logBuffer collects a logger's output.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// failure is one way Redis can fail to answer.
type failure struct {
	name    string
	break_  func(t *testing.T, srv *redistest.Server, admin *redis.Client)
	message string        // what the error must say
	timeout time.Duration // the store's Options.Timeout; zero means testTimeout
	// Take still gets a trustworthy answer: Redis runs GETDEL even when out of
	// memory, since it frees memory.
	takeAnswered bool
}

var failures = []failure{
	{
		name:    "redis stopped",
		break_:  func(t *testing.T, srv *redistest.Server, _ *redis.Client) { srv.Stop() },
		message: "(redis unreachable at 127.0.0.1:",
		timeout: 200 * time.Millisecond, // go-redis retries a refused dial for longer
	},
	{
		name: "redis stalled beyond the timeout",
		break_: func(t *testing.T, _ *redistest.Server, admin *redis.Client) {
			// Writes queue until UNPAUSE; reads (and UNPAUSE itself) still run.
			mustDo(t, admin, "CLIENT", "PAUSE", 60000, "WRITE")
			t.Cleanup(func() { admin.Do(context.Background(), "CLIENT", "UNPAUSE") })
		},
		message: "no answer within 100ms",
		timeout: 100 * time.Millisecond,
	},
	{
		name: "redis out of memory",
		break_: func(t *testing.T, _ *redistest.Server, admin *redis.Client) {
			mustDo(t, admin, "CONFIG", "SET", "maxmemory-policy", "noeviction")
			mustDo(t, admin, "CONFIG", "SET", "maxmemory", 1)
		},
		message:      "answered with an error: OOM",
		takeAnswered: true,
	},
}

func TestFailsClosedWhenRedisCannotAnswer(t *testing.T) {
	for _, f := range failures {
		// go-redis applies the store's deadline to its sockets only when asked to; the
		// store keeps it either way.
		for _, honours := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ContextTimeoutEnabled=%v", f.name, honours), func(t *testing.T) {
				testFailsClosed(t, f, honours)
			})
		}
	}
}

func testFailsClosed(t *testing.T, f failure, honours bool) {
	srv := redistest.Start(t)
	admin := newClient(t, srv)
	client := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: honours})
	t.Cleanup(func() { client.Close() })
	if f.timeout == 0 {
		f.timeout = testTimeout
	}
	logs := new(logBuffer)
	s := redisstore.New(client, redisstore.Options{
		Now:     fixedNow,
		Timeout: f.timeout,
		Logger:  slog.New(slog.NewTextHandler(logs, nil)),
	})
	ctx := context.Background()
	// Warm the pool so the failure hits an established connection too.
	if err := client.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	f.break_(t, srv, admin)

	err := s.Remember(ctx, "_during", now.Add(time.Hour))
	if err == nil {
		t.Fatal("Remember succeeded although Redis could not record the ID")
	}
	if errors.Is(err, sp.ErrReplay) {
		t.Errorf("an unknown replay status must not read as a replay: %v", err)
	}
	if !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("got %v, want an error wrapping ErrUnavailable", err)
	}
	msg := err.Error()
	if !strings.HasPrefix(msg, "redisstore: replay status unknown (") ||
		!strings.HasSuffix(msg, "): login rejected") || !strings.Contains(msg, f.message) {
		t.Errorf("message %q, want \"redisstore: replay status unknown (… %s …): login rejected\"", msg, f.message)
	}
	if !strings.Contains(logs.String(), "login rejected") {
		t.Errorf("nothing logged; log: %q", logs.String())
	}

	// The request store fails closed the same way; a missing answer is not "no request".
	if err := s.Save(ctx, "rs", web.PendingRequest{ID: "_r"}, now.Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("Save: got %v, want ErrUnavailable", err)
	}
	_, err = s.Take(ctx, "rs")
	switch {
	case f.takeAnswered && !errors.Is(err, sp.ErrInResponseTo):
		t.Errorf("Take of a request Redis could not save: got %v, want sp.ErrInResponseTo", err)
	case !f.takeAnswered && (!errors.Is(err, redisstore.ErrUnavailable) || errors.Is(err, sp.ErrInResponseTo)):
		t.Errorf("Take: got %v, want ErrUnavailable and not ErrInResponseTo", err)
	}
}

func mustDo(t *testing.T, c *redis.Client, args ...any) {
	t.Helper()
	if err := c.Do(context.Background(), args...).Err(); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func TestRecoversWhenRedisReturns(t *testing.T) {
	srv := redistest.Start(t)
	s := newStore(t, srv, redisstore.Options{})
	ctx := context.Background()
	if err := s.Remember(ctx, "_before", now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	if err := s.Remember(ctx, "_during", now.Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("while Redis is down: got %v, want ErrUnavailable", err)
	}

	srv.Restart() // same port, no data; the client reconnects by itself
	if err := s.Remember(ctx, "_after", now.Add(time.Hour)); err != nil {
		t.Fatalf("first use after Redis returned: %v", err)
	}
	if err := s.Remember(ctx, "_after", now.Add(time.Hour)); !errors.Is(err, sp.ErrReplay) {
		t.Errorf("replay after Redis returned: got %v, want sp.ErrReplay", err)
	}
	if err := s.Save(ctx, "rs", web.PendingRequest{ID: "_r"}, now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Take(ctx, "rs"); err != nil || got.ID != "_r" {
		t.Errorf("Take after Redis returned: %+v %v", got, err)
	}
}

func TestRecoversAfterALongOutage(t *testing.T) {
	// After PoolSize failed dials go-redis stops dialing and probes once a second, so
	// logins resume within about a second of Redis' return, each failing closed until then.
	srv := redistest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, PoolSize: 2})
	t.Cleanup(func() { c.Close() })
	s := redisstore.New(c, redisstore.Options{Now: fixedNow, Timeout: testTimeout})
	ctx := context.Background()

	srv.Stop()
	for i := range 5 {
		if err := s.Remember(ctx, fmt.Sprint("_down", i), now.Add(time.Hour)); !errors.Is(err, redisstore.ErrUnavailable) {
			t.Fatalf("while Redis is down: got %v, want ErrUnavailable", err)
		}
	}
	srv.Restart()

	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var accepted string
	for i := 0; ; i++ {
		id := fmt.Sprint("_up", i)
		err := s.Remember(ctx, id, now.Add(time.Hour))
		if err == nil {
			accepted = id
			break
		}
		if !errors.Is(err, redisstore.ErrUnavailable) {
			t.Fatalf("while reconnecting: got %v, want ErrUnavailable", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no login accepted within 5s of Redis' return: %v", err)
		}
		<-tick.C
	}
	if err := s.Remember(ctx, accepted, now.Add(time.Hour)); !errors.Is(err, sp.ErrReplay) {
		t.Errorf("replay of %s after recovery: got %v, want sp.ErrReplay", accepted, err)
	}
}

func TestCallerCancellationIsNotBlamedOnRedis(t *testing.T) {
	srv := redistest.Start(t)
	logs := new(logBuffer)
	s := newStore(t, srv, redisstore.Options{Logger: slog.New(slog.NewTextHandler(logs, nil))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Remember(ctx, "_x", now.Add(time.Hour))
	if !errors.Is(err, context.Canceled) || errors.Is(err, sp.ErrReplay) {
		t.Errorf("got %v, want context.Canceled and not ErrReplay", err)
	}
	if logs.String() != "" {
		t.Errorf("a cancelled request was logged as a Redis failure: %q", logs.String())
	}
}

// exactlyOneWins starts n calls of op at once and checks that exactly one succeeds and
// every other fails with an error of kind: the atomicity a fleet relies on.
func exactlyOneWins(t *testing.T, n int, kind error, op func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = op(i)
		})
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, kind):
			t.Errorf("call %d: got %v, want nil or %v", i, err, kind)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent calls succeeded, want exactly 1", won, n)
	}
}
