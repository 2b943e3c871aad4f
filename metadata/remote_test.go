package metadata

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/ssokit/saml/internal/recorded"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// mdServer serves one metadata document with an ETag and honours If-None-Match.
type mdServer struct {
	*testServer
	mu     sync.Mutex
	doc    []byte
	status int           // non-zero: answer with this status instead
	block  chan struct{} // non-nil: wait on it before answering
	cond   atomic.Int32  // conditional requests seen
	ok304  atomic.Int32  // 304s sent
}

func newMDServer(t *testing.T, doc string) *mdServer {
	s := &mdServer{doc: []byte(doc)}
	s.testServer = newTestServer(t, func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		doc, status, block := s.doc, s.status, s.block
		s.mu.Unlock()
		if block != nil {
			<-block
		}
		if status != 0 {
			w.WriteHeader(status)
			return
		}
		etag := fmt.Sprintf(`"%x"`, sha256.Sum256(doc))
		if inm := r.Header.Get("If-None-Match"); inm != "" {
			s.cond.Add(1)
			if inm == etag {
				s.ok304.Add(1)
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Header().Set("ETag", etag)
		w.Write(doc)
	})
	return s
}

func (s *mdServer) set(doc string) { s.mu.Lock(); s.doc = []byte(doc); s.mu.Unlock() }
func (s *mdServer) fail(status int) {
	s.mu.Lock()
	s.status = status
	s.mu.Unlock()
}

func (s *mdServer) mdURL() string { return s.url("idp.example.com", "/federationmetadata.xml?appid=1") }

// idpDoc is IdP metadata trusting cs, with optional root attributes.
func idpDoc(rootAttrs string, cs ...*x509.Certificate) string {
	var kds []string
	for _, c := range cs {
		kds = append(kds, kd("signing", c))
	}
	body := entity("https://idp.example/", idpDescriptor(append(kds, redirectSSO)...))
	if rootAttrs != "" {
		body = strings.Replace(body, "<EntityDescriptor ", "<EntityDescriptor "+rootAttrs+" ", 1)
	}
	return body
}

// signDoc signs doc's root with s.
func signDoc(t *testing.T, s signer, doc string) string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(strings.Replace(doc, "<EntityDescriptor ", `<EntityDescriptor ID="_m" `, 1)); err != nil {
		t.Fatal(err)
	}
	ctx, err := dsig.NewSigningContext(s.key, [][]byte{s.cert.Raw})
	if err != nil {
		t.Fatal(err)
	}
	ctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := ctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		t.Fatal(err)
	}
	sig, err := ctx.ConstructSignature(d.Root(), true)
	if err != nil {
		t.Fatal(err)
	}
	d.Root().InsertChildAt(0, sig)
	out, err := d.WriteToString()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

type events struct {
	mu      sync.Mutex
	changes []Change
	errs    []error
}

func (e *events) change(c Change) { e.mu.Lock(); e.changes = append(e.changes, c); e.mu.Unlock() }
func (e *events) err(err error)   { e.mu.Lock(); e.errs = append(e.errs, err); e.mu.Unlock() }
func (e *events) lastErr() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.errs) == 0 {
		return nil
	}
	return e.errs[len(e.errs)-1]
}

func newTestRemote(t *testing.T, s *mdServer, clk *fakeClock, mod func(*RemoteConfig)) (*Remote, *events) {
	t.Helper()
	ev := &events{}
	cfg := RemoteConfig{URL: s.mdURL(), Fetcher: testFetcher(s.testServer, map[string]string{"idp.example.com": "127.0.0.1"}, true),
		Now: clk.Now, OnChange: ev.change, OnError: ev.err}
	if mod != nil {
		mod(&cfg)
	}
	r, err := NewRemote(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.jitter = nil // exact schedules; TestRemoteJitter covers the random part
	return r, ev
}

func TestRemoteJitter(t *testing.T) {
	r, err := NewRemote(RemoteConfig{URL: "https://idp.example.com/md"})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[time.Duration]bool{}
	for range 50 {
		d := r.schedule(t0, lifetime{}, 0)
		if d > DefaultMaxRefresh || d < DefaultMaxRefresh*9/10 {
			t.Fatalf("jittered schedule %v outside [%v, %v]", d, DefaultMaxRefresh*9/10, DefaultMaxRefresh)
		}
		seen[d] = true
	}
	if len(seen) < 10 {
		t.Errorf("only %d distinct schedules in 50: no jitter", len(seen))
	}
}

func certsOf(t *testing.T, r *Remote) []string {
	t.Helper()
	idp, err := r.IdP(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return thumbprints(idp.Certificates)
}

func sameStrings(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

func TestRemoteFetchesOnFirstUseAnd304KeepsTrust(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	r, ev := newTestRemote(t, s, clk, nil)
	want := thumbprints([]*x509.Certificate{c[0].cert})
	if got := certsOf(t, r); !sameStrings(got, want) {
		t.Fatalf("certs %v, want %v", got, want)
	}
	if len(ev.changes) != 1 || ev.changes[0].Old != nil || len(ev.changes[0].Added) != 1 {
		t.Fatalf("first load: changes %+v", ev.changes)
	}
	clk.Advance(time.Hour)
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.ok304.Load() != 1 {
		t.Fatalf("%d 304s, want the refresh to be a conditional GET answered 304", s.ok304.Load())
	}
	st := r.Status()
	if !sameStrings(thumbprints(st.IdP.Certificates), want) || !st.Fetched.Equal(clk.Now()) || st.Fetches != 2 || len(ev.changes) != 1 {
		t.Fatalf("after 304: %+v, changes %d", st, len(ev.changes))
	}
	// A changed document is fetched in full and replaces the trust.
	s.set(idpDoc("", c[0].cert, c[1].cert))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := certsOf(t, r); len(got) != 2 {
		t.Fatalf("after change: %v", got)
	}
}

// A failed or refused refresh never removes working trust; each failure backs off.
func TestRemoteFailedRefreshKeepsLastGood(t *testing.T) {
	c := testSigners(t)
	good := idpDoc("", c[0].cert)
	s := newMDServer(t, good)
	clk := &fakeClock{t: t0}
	r, ev := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.MinRefresh = time.Minute; cfg.MaxRefresh = time.Hour })
	want := certsOf(t, r)
	bad := []struct {
		name  string
		setup func()
		kind  error
	}{
		{"server error", func() { s.fail(http.StatusInternalServerError) }, ErrFetch},
		{"not XML", func() { s.fail(0); s.set("<html>maintenance</html>") }, ErrNoIdP},
		{"broken XML", func() { s.set("<EntityDescriptor") }, ErrMalformed},
		{"no certificate", func() { s.set(entity("https://idp.example/", idpDescriptor(redirectSSO))) }, ErrNoIdP},
		{"another entity", func() {
			s.set(strings.Replace(idpDoc("", c[1].cert), "https://idp.example/", "https://evil.example/", 1))
		}, ErrNoIdP},
	}
	for i, b := range bad {
		b.setup()
		err := r.Refresh(context.Background())
		if !errors.Is(err, b.kind) || !errors.Is(ev.lastErr(), b.kind) {
			t.Fatalf("%s: err %v (reported %v), want %v", b.name, err, ev.lastErr(), b.kind)
		}
		if got := certsOf(t, r); !sameStrings(got, want) {
			t.Fatalf("%s: trust changed to %v", b.name, got)
		}
		st := r.Status()
		wantWait := time.Minute << i
		if st.Failures != i+1 || st.Next.Sub(clk.Now()) != min(wantWait, time.Hour) {
			t.Fatalf("%s: failures %d, next in %v; want %d and %v", b.name, st.Failures, st.Next.Sub(clk.Now()), i+1, min(wantWait, time.Hour))
		}
	}
	s.set(good)
	if err := r.Refresh(context.Background()); err != nil || r.Status().Failures != 0 {
		t.Fatalf("recovery: %v, %+v", err, r.Status())
	}
}

func TestRemoteScheduleFromValidUntilAndCacheDuration(t *testing.T) {
	c := testSigners(t)
	for _, tc := range []struct {
		attrs string
		want  time.Duration
	}{
		{"", 4 * time.Hour}, // Entra's: neither attribute
		{`cacheDuration="PT1H"`, 45 * time.Minute},
		{`validUntil="2026-03-01T14:00:00Z"`, 90 * time.Minute},
		{`validUntil="2026-03-01T14:00:00Z" cacheDuration="PT20M"`, 15 * time.Minute},
		{`cacheDuration="PT10S"`, 30 * time.Second}, // clamped up
		{`cacheDuration="P14D"`, 4 * time.Hour},     // clamped down
		{`validUntil="2026-03-15T12:00:00Z"`, 4 * time.Hour},
	} {
		s := newMDServer(t, idpDoc(tc.attrs, c[0].cert))
		clk := &fakeClock{t: t0}
		r, _ := newTestRemote(t, s, clk, nil)
		if err := r.Refresh(context.Background()); err != nil {
			t.Fatalf("%s: %v", tc.attrs, err)
		}
		if got := r.Status().Next.Sub(t0); got != tc.want {
			t.Errorf("%q: next refresh in %v, want %v", tc.attrs, got, tc.want)
		}
	}
}

// An expired validUntil is reported on every attempt, and with RejectExpired no longer
// trusted; by default the last good copy keeps serving.
func TestRemoteExpiredIsReported(t *testing.T) {
	c := testSigners(t)
	for _, reject := range []bool{false, true} {
		s := newMDServer(t, idpDoc(`validUntil="2026-03-01T13:00:00Z"`, c[0].cert))
		clk := &fakeClock{t: t0}
		r, ev := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.RejectExpired = reject })
		certsOf(t, r)
		s.fail(http.StatusServiceUnavailable)
		clk.Advance(2 * time.Hour)
		_ = r.Refresh(context.Background())
		if !errors.Is(ev.lastErr(), ErrExpired) || !r.Status().Expired {
			t.Fatalf("reject=%v: last reported %v, status %+v; want ErrExpired reported", reject, ev.lastErr(), r.Status())
		}
		idp, err := r.IdP(context.Background())
		switch {
		case reject && (!errors.Is(err, ErrExpired) || idp != nil):
			t.Errorf("RejectExpired: IdP = %v, %v; want ErrExpired", idp, err)
		case !reject && (err != nil || idp == nil):
			t.Errorf("default: IdP = %v, %v; want the last good copy", idp, err)
		}
	}
}

// A restart while the metadata server is down serves logins from the persisted copy.
func TestRemoteRestartWithServerDownUsesPersistedCopy(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert, c[1].cert))
	clk := &fakeClock{t: t0}
	cache := FileCache{Dir: t.TempDir()}
	r1, _ := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.Cache = cache })
	want := certsOf(t, r1)
	s.Close()

	clk.Advance(24 * time.Hour)
	r2, ev := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.Cache = cache })
	if got := certsOf(t, r2); !sameStrings(got, want) {
		t.Fatalf("after restart: %v, want %v", got, want)
	}
	if r2.Status().Fetches != 0 || len(ev.changes) != 1 || !ev.changes[0].FromCache {
		t.Fatalf("startup should read the stored copy without fetching: %+v, changes %+v", r2.Status(), ev.changes)
	}
	// Its refresh is due (stored a day ago) and fails; trust stays.
	if !r2.Status().Next.Before(clk.Now()) {
		t.Errorf("a day-old copy should be due for refresh, next %v", r2.Status().Next)
	}
	if err := r2.Refresh(context.Background()); err == nil {
		t.Fatal("refresh with the server down succeeded")
	}
	if got := certsOf(t, r2); !sameStrings(got, want) {
		t.Fatalf("after failed refresh: %v", got)
	}
	// Without the stored copy there is nothing to serve.
	r3, _ := newTestRemote(t, s, clk, nil)
	if _, err := r3.IdP(context.Background()); !errors.Is(err, ErrFetch) {
		t.Fatalf("no cache, server down: %v, want ErrFetch", err)
	}
}

// A stored copy is verified again when read: pinning a different metadata signer
// refuses it.
func TestRemoteSignedMetadataPinned(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, signDoc(t, c[2], idpDoc("", c[0].cert)))
	clk := &fakeClock{t: t0}
	cache := NewMemoryCache()
	r, ev := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.SigningCertificates = []*x509.Certificate{c[2].cert}; cfg.Cache = cache })
	want := certsOf(t, r)
	// Same content, signed by someone else: refused, last good kept.
	s.set(signDoc(t, c[1], idpDoc("", c[0].cert, c[1].cert)))
	if err := r.Refresh(context.Background()); !errors.Is(err, ErrSignature) {
		t.Fatalf("wrong metadata signer: %v, want ErrSignature", err)
	}
	s.set(idpDoc("", c[0].cert, c[1].cert))
	if err := r.Refresh(context.Background()); !errors.Is(err, ErrSignature) {
		t.Fatalf("unsigned: %v, want ErrSignature", err)
	}
	if got := certsOf(t, r); !sameStrings(got, want) {
		t.Fatalf("trust changed to %v", got)
	}
	// A restart pinning another signer does not trust the stored copy.
	s.fail(http.StatusServiceUnavailable)
	r2, ev2 := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.SigningCertificates = []*x509.Certificate{c[1].cert}; cfg.Cache = cache })
	if _, err := r2.IdP(context.Background()); err == nil || !errors.Is(ev2.errs[0], ErrSignature) {
		t.Fatalf("stored copy with another pinned signer: %v, reported %v", err, ev2.errs)
	}
	_ = ev
}

func TestRemoteChangeEvents(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	r, ev := newTestRemote(t, s, clk, nil)
	certsOf(t, r)
	s.set(idpDoc("", c[0].cert, c[1].cert))
	_ = r.Refresh(context.Background())
	s.set(strings.Replace(idpDoc("", c[1].cert), "https://idp.example/sso/redirect", "https://idp.example/sso/v2", 1))
	_ = r.Refresh(context.Background())
	_ = r.Refresh(context.Background()) // 304: no event
	if len(ev.changes) != 3 {
		t.Fatalf("%d changes, want 3: %v", len(ev.changes), ev.changes)
	}
	added, removed := ev.changes[1], ev.changes[2]
	if len(added.Added) != 1 || !added.Added[0].Equal(c[1].cert) || len(added.Removed) != 0 {
		t.Errorf("rollover start: %v", added)
	}
	if len(removed.Removed) != 1 || !removed.Removed[0].Equal(c[0].cert) || len(removed.EndpointsChanged) != 1 ||
		!strings.Contains(removed.String(), "SSOURL https://idp.example/sso/redirect → https://idp.example/sso/v2") {
		t.Errorf("rollover end: %v", removed)
	}
}

// Concurrent refreshes are merged into one request.
func TestRemoteConcurrentRefreshesMerged(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	r, _ := newTestRemote(t, s, clk, nil)
	release := make(chan struct{})
	s.mu.Lock()
	s.block = release
	s.mu.Unlock()
	const n = 8
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := r.IdP(context.Background())
			errs <- err
		})
	}
	// Wait until every caller is either the one fetching or waiting on it.
	for r.waiters() < n-1 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s.hits.Load() != 1 || r.Status().Fetches != 1 {
		t.Fatalf("%d requests for %d concurrent callers, want 1", s.hits.Load(), n)
	}
}

// An unknown signer causes one fetch; another within the interval causes none.
func TestRemoteRefreshUnknownSignerRateLimited(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	r, _ := newTestRemote(t, s, clk, nil)
	certsOf(t, r)
	s.set(idpDoc("", c[0].cert, c[1].cert)) // Entra: "Make certificate active" on a new one
	idp, err := r.RefreshUnknownSigner(context.Background(), c[1].cert)
	if err != nil || !containsCert(idp.Certificates, c[1].cert) || s.hits.Load() != 2 {
		t.Fatalf("new signer: %v, %v, %d requests; want it trusted after one more fetch", idp, err, s.hits.Load())
	}
	// Already trusted: no fetch.
	if _, err := r.RefreshUnknownSigner(context.Background(), c[1].cert); err != nil || s.hits.Load() != 2 {
		t.Fatalf("known signer: %v, %d requests", err, s.hits.Load())
	}
	// Another unknown signer within the interval: no fetch, still untrusted.
	clk.Advance(4 * time.Minute)
	idp, err = r.RefreshUnknownSigner(context.Background(), c[2].cert)
	if err != nil || containsCert(idp.Certificates, c[2].cert) || s.hits.Load() != 2 {
		t.Fatalf("second unknown signer in the window: %v, %d requests; want no fetch", err, s.hits.Load())
	}
	clk.Advance(time.Minute)
	if _, err := r.RefreshUnknownSigner(context.Background(), c[2].cert); err != nil || s.hits.Load() != 3 {
		t.Fatalf("after the interval: %v, %d requests; want one fetch", err, s.hits.Load())
	}
}

// Run waits for the scheduled time on its timer and refreshes; no sleeps.
func TestRemoteRunFollowsSchedule(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc(`cacheDuration="PT1H"`, c[0].cert))
	clk := &fakeClock{t: t0}
	r, _ := newTestRemote(t, s, clk, nil)
	asked := make(chan time.Duration)
	fire := make(chan time.Time)
	r.after = func(d time.Duration) <-chan time.Time { asked <- d; return fire }
	certsOf(t, r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	if d := <-asked; d != 45*time.Minute {
		t.Fatalf("Run waits %v, want 45m", d)
	}
	clk.Advance(45 * time.Minute)
	fire <- clk.Now()
	if d := <-asked; d != 45*time.Minute { // after the refresh, the next wait
		t.Fatalf("second wait %v", d)
	}
	if s.hits.Load() != 2 {
		t.Fatalf("%d requests, want the first load and one scheduled refresh", s.hits.Load())
	}
	cancel()
	<-done
}

// A fleet shares one refresh through a shared Cache.
func TestRemoteFleetSharesRefresh(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	cache := NewMemoryCache()
	a, _ := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.Cache = cache })
	b, _ := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.Cache = cache })
	certsOf(t, a)
	certsOf(t, b)
	if s.hits.Load() != 1 {
		t.Fatalf("%d requests for two servers' first use, want 1", s.hits.Load())
	}
	clk.Advance(5 * time.Hour) // both due
	s.set(idpDoc("", c[0].cert, c[1].cert))
	if err := a.refresh(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if err := b.refresh(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	if s.hits.Load() != 2 || len(certsOf(t, b)) != 2 {
		t.Fatalf("%d requests, b trusts %v; want one shared refresh", s.hits.Load(), certsOf(t, b))
	}
	// An unknown signer seen by b after a fetched it is found in the Cache.
	s.set(idpDoc("", c[0].cert, c[1].cert, c[2].cert))
	clk.Advance(10 * time.Minute)
	if _, err := a.RefreshUnknownSigner(context.Background(), c[2].cert); err != nil {
		t.Fatal(err)
	}
	idp, err := b.RefreshUnknownSigner(context.Background(), c[2].cert)
	if err != nil || !containsCert(idp.Certificates, c[2].cert) || s.hits.Load() != 3 {
		t.Fatalf("b: %v, %d requests; want the new signer from the Cache without a fetch", err, s.hits.Load())
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"PT30S": 30 * time.Second, "PT6H": 6 * time.Hour, "P1D": 24 * time.Hour, "P1DT12H": 36 * time.Hour,
		"PT1.5S": 1500 * time.Millisecond, "P2W": 14 * 24 * time.Hour, "P1M": 30 * 24 * time.Hour, "PT1M": time.Minute,
	} {
		if got, err := parseDuration(in); err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "P", "PT", "-PT1H", "1H", "PT1", "PTH", "PT1X", "P1H", "PT99999999H"} {
		if _, err := parseDuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// The lifetime attributes come from the network: never a panic, never a negative or
// absurd duration.
func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"PT6H", "P1DT12H", "PT1.5S", "P2W", "-PT1H", "P", "PT9.9.9S"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDuration(s)
		if err == nil && (d < 0 || d > maxLifetime) {
			t.Fatalf("%q: %v", s, d)
		}
	})
}

func FuzzReadLifetime(f *testing.F) {
	f.Add([]byte(idpDoc(`validUntil="2026-03-01T14:00:00Z" cacheDuration="PT20M"`)), "https://idp.example/")
	f.Add([]byte(`<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" cacheDuration="P1D"><EntityDescriptor entityID="x" validUntil="2026-01-01T00:00:00Z"/></EntitiesDescriptor>`), "x")
	f.Fuzz(func(t *testing.T, data []byte, entityID string) {
		if len(data) > 1<<16 {
			return
		}
		_, _ = readLifetime(data, entityID)
	})
}

// A document that changed only in bytes (re-signed, reformatted) keeps the IdP value
// callers hold, so an SP built from it is not rebuilt.
func TestRemoteSameTrustKeepsTheValue(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	clk := &fakeClock{t: t0}
	r, ev := newTestRemote(t, s, clk, nil)
	before, _ := r.IdP(context.Background())
	s.set(idpDoc(`ID="_renewed"`, c[0].cert))
	if err := r.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	after, _ := r.IdP(context.Background())
	if after != before || len(ev.changes) != 1 || s.ok304.Load() != 0 {
		t.Fatalf("same trust: new value %v, %d changes", after != before, len(ev.changes))
	}
}

// Genuine Entra federation metadata through a Remote pinned to its metadata signer: the
// trust is what ParseIdP reads from the file.
func TestRemoteRecordedEntraMetadataPinned(t *testing.T) {
	data := recorded.Read(t, "022-wire-server-2025-federationmetadata.xml")
	s := newMDServer(t, string(data))
	clk := &fakeClock{t: t0}
	r, _ := newTestRemote(t, s, clk, func(cfg *RemoteConfig) {
		cfg.SigningCertificates = []*x509.Certificate{recordedCert(t, "021-wire-server-2025.cert.pem")}
	})
	want, err := ParseIdP(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := certsOf(t, r); !sameStrings(got, thumbprints(want.Certificates)) {
		t.Fatalf("certs %v, want %v", got, thumbprints(want.Certificates))
	}
	if st := r.Status(); st.Next.Sub(t0) != DefaultMaxRefresh || !st.ValidUntil.IsZero() {
		t.Errorf("Entra sets no validUntil/cacheDuration: next in %v, validUntil %v", st.Next.Sub(t0), st.ValidUntil)
	}
}

// A damaged stored copy is an error to report, never a panic or trust; the fetch decides.
func TestRemoteDamagedFileCache(t *testing.T) {
	c := testSigners(t)
	s := newMDServer(t, idpDoc("", c[0].cert))
	dir := t.TempDir()
	cache := FileCache{Dir: dir}
	clk := &fakeClock{t: t0}
	r, ev := newTestRemote(t, s, clk, func(cfg *RemoteConfig) { cfg.Cache = cache })
	if err := os.WriteFile(cache.path(r.key), []byte(`{"body": "not base64!"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := certsOf(t, r); len(got) != 1 || s.hits.Load() != 1 {
		t.Fatalf("after a damaged cache: %v, %d fetches", got, s.hits.Load())
	}
	if len(ev.errs) == 0 || !strings.Contains(ev.errs[0].Error(), "damaged") {
		t.Fatalf("reported %v, want the damaged copy named", ev.errs)
	}
	// The fetch replaced it with a good copy.
	if got, err := cache.Get(context.Background(), r.key); err != nil || got == nil || len(got.Body) == 0 {
		t.Fatalf("stored copy after the fetch: %v, %v", got, err)
	}
}
