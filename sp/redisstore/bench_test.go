package redisstore_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/redisstore"
	"github.com/ssokit/saml/sp/redisstore/internal/redistest"
	"github.com/ssokit/saml/sp/web"
)

// posts holds ACS form bodies, each an IdP-initiated response with its own assertion
// ID (replay protection is on). Signing one takes a couple of milliseconds, so they are
// made once, outside the timer, and reused by every run: each run gets a fresh replay
// cache (a new SP, or a new Redis prefix), so none of them is a replay there.
var posts struct {
	sync.Mutex
	bodies []string
}

func acsPosts(b *testing.B, n int) []string {
	posts.Lock()
	defer posts.Unlock()
	if have := len(posts.bodies); have < n {
		idp := samltest.DefaultIdP()
		more := make([]string, n-have)
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := int(next.Add(1)) - 1; i < len(more); i = int(next.Add(1)) - 1 {
					label := fmt.Sprint("bench ", have+i)
					xml, err := idp.Response(samltest.Options{
						Unsolicited: true,
						ResponseID:  samltest.ID("response " + label),
						AssertionID: samltest.ID("assertion " + label),
					})
					if err != nil {
						panic(err)
					}
					more[i] = url.Values{"SAMLResponse": {samltest.Encode(xml)}, "RelayState": {"/home"}}.Encode()
				}
			})
		}
		wg.Wait()
		posts.bodies = append(posts.bodies, more...)
	}
	return posts.bodies[:n]
}

// BenchmarkACS measures the ACS handler end to end: form parse, validation (signature
// included), replay check, session cookie. "memory" is one process with the default
// cache; "redis" is a fleet member checking replays in a real local redis-server.
func BenchmarkACS(b *testing.B) {
	b.Run("memory", func(b *testing.B) {
		benchmarkACS(b, func(int) sp.ReplayCache { return nil })
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		benchmarkACS(b, func(run int) sp.ReplayCache {
			return fleetStore(b, srv, redisstore.Options{Prefix: fmt.Sprintf("bench:%d:", run)})
		})
	})
}

var benchRuns atomic.Int64

func benchmarkACS(b *testing.B, cache func(run int) sp.ReplayCache) {
	bodies := acsPosts(b, b.N)
	h := fleetHandlers(b, fleetSP(b, cache(int(benchRuns.Add(1)))), nil)
	acs := h.ACS()
	var next atomic.Int64
	var failed atomic.Bool

	b.ReportAllocs()
	// Several logins in flight per core, as on a busy server: a login waiting for Redis
	// leaves the CPU to another instead of idling through the round trip.
	b.SetParallelism(4)
	cpu0, cpuOK := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := bodies[next.Add(1)-1]
			req := httptest.NewRequest("POST", samltest.ACSURL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := httptest.NewRecorder()
			acs.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther && failed.CompareAndSwap(false, true) {
				b.Errorf("ACS answered %d, want 303:\n%s", rec.Code, rec.Body)
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
	if cpu1, ok := cpuTime(); ok && cpuOK {
		// This process only: Redis' own CPU is another machine's in a real fleet.
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkStore measures the store alone against a local redis-server: the Redis
// round trip each login adds (one for Remember; Save and Take with a RequestStore).
func BenchmarkStore(b *testing.B) {
	srv := redistest.Start(b)
	s := fleetStore(b, srv, redisstore.Options{Prefix: "bench-store:"})
	until := samltest.Now.Add(time.Hour)
	var next atomic.Int64
	b.Run("Remember", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Remember(context.Background(), fmt.Sprint("_id", next.Add(1)), until); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("SaveTake", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rs := fmt.Sprint("rs", next.Add(1))
				if err := s.Save(context.Background(), rs, web.PendingRequest{ID: "_r", ReturnTo: "/"}, until); err != nil {
					b.Error(err)
					return
				}
				if _, err := s.Take(context.Background(), rs); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}
