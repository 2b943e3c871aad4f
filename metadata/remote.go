package metadata

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ssokit/saml/certs"
)

// ErrExpired means the trusted metadata's validUntil has passed and no newer copy
// could be fetched. Remote keeps serving it (a failed refresh never removes working
// trust) unless RemoteConfig.RejectExpired is set, and reports it on every attempt.
var ErrExpired = errors.New("metadata: metadata expired")

// RemoteConfig describes a metadata URL to trust. Only URL is required.
type RemoteConfig struct {
	// URL is the IdP's metadata URL, e.g. Entra's App Federation Metadata Url
	// https://login.microsoftonline.com/<tenant-id>/federationmetadata/2007-06/federationmetadata.xml?appid=<app-id>.
	URL string

	// EntityID is the IdP entity to read (an aggregate may hold many). Empty means the
	// only IdP in the document. Either way, once an entity ID has been trusted, a
	// document that describes another one is refused: a metadata URL cannot move trust
	// to a different issuer behind the admin's back.
	EntityID string

	// Fetcher fetches URL. Nil means a zero *Fetcher (https only, public addresses only,
	// …). Anything else takes over those rules: use it for tests, or to wrap a *Fetcher.
	Fetcher Getter

	// Cache keeps the last good copy, read at startup before any fetch, so a restart
	// while the IdP is down still serves logins; a fleet shares one fetch through a
	// shared Cache (see Remote). Nil means memory only.
	Cache Cache
	// CacheKey is the key in Cache. Empty means URL.
	CacheKey string

	// SigningCertificates, when set, are the certificates the metadata document itself
	// must be signed by (ParseSignedIdP): pin them when the document travels through
	// anything you do not trust as much as TLS to the IdP. Entra signs its federation
	// metadata. Empty means the document is trusted as TLS delivered it.
	SigningCertificates []*x509.Certificate

	// Now returns the current time. Nil means time.Now.
	Now func() time.Time

	// MinRefresh and MaxRefresh bound the time between refreshes, however short or long
	// the document's validUntil/cacheDuration (the next refresh is due at 3/4 of that
	// lifetime, less up to a tenth at random so a fleet spreads its requests) and
	// however long the backoff after failures. Zero means
	// DefaultMinRefresh (30 s) and DefaultMaxRefresh (4 h); a document with neither
	// attribute (Entra's) is refreshed every MaxRefresh.
	MinRefresh, MaxRefresh time.Duration

	// UnknownSignerInterval is how often a response signed by an unknown certificate
	// may cause a fetch (RefreshUnknownSigner). Zero means 5 minutes.
	UnknownSignerInterval time.Duration

	// RejectExpired stops trusting a document once its validUntil has passed (IdP
	// returns ErrExpired until a fresh copy arrives). False, the default, keeps the last
	// good copy and reports ErrExpired through OnError and Status: an IdP that forgets
	// to refresh its validUntil does not lock every user out.
	RejectExpired bool

	// OnChange, if set, is called after the trusted IdP changed: certificates added or
	// removed, endpoints moved. It runs on the refreshing goroutine; keep it short.
	OnChange func(Change)
	// OnError, if set, is called with every failed or refused refresh (the last good
	// copy stays trusted) and with ErrExpired while the trusted copy is expired.
	OnError func(error)
}

// Getter fetches a metadata URL, conditionally when validators are given. *Fetcher is
// the implementation for URLs that customers type.
type Getter interface {
	Fetch(ctx context.Context, url string, v Validators) (*Fetched, error)
}

// Change describes how a refresh changed the trusted IdP.
type Change struct {
	URL                string
	Old, New           *IdP // Old is nil on the first load
	Added, Removed     []*x509.Certificate
	EndpointsChanged   []string // e.g. "SSOURL https://a → https://b"
	FromCache          bool     // the new copy came from Cache (startup or another server's fetch)
	Fetched            time.Time
	CertificatesBefore int
}

// Remote is an IdP whose metadata comes from a URL and keeps itself current, for
// sp.Config's trust source. It is modelled on go-oidc's RemoteKeySet: the metadata is
// fetched on first use, refreshed in the background (Run), concurrent refreshes are
// merged into one fetch, and a response signed by an unknown certificate may trigger
// one more fetch (RefreshUnknownSigner) at most every UnknownSignerInterval.
//
// Trust only grows from what was verified: a fetch that fails, times out, or returns a
// document that does not parse, is not signed as required, or names another entity,
// leaves the last good IdP in place and is reported (OnError, Status). A 304 answer to
// the conditional GET keeps it too.
//
// # Fleets
//
// Give every server the same shared Cache (a SQL row, a Redis key). Before fetching, a
// server reads the Cache: a copy another server fetched after its own is adopted, and if
// that copy is not yet due for refresh, no request is sent. So one refresh per
// MaxRefresh (or per document lifetime) is shared by the fleet instead of repeated by
// every server for every org; servers that come due at the same moment may both fetch,
// and those fetches are conditional GETs. The same holds for unknown-signer refreshes:
// the first server to see the new signer fetches and stores; the others find it in the
// Cache.
type Remote struct {
	cfg        RemoteConfig
	fetcher    Getter
	key        string
	now        func() time.Time
	minRefresh time.Duration
	maxRefresh time.Duration
	unknownGap time.Duration

	// after is the timer Run waits on, jitter the random part of the schedule; test
	// seams.
	after  func(time.Duration) <-chan time.Time
	jitter func(time.Duration) time.Duration

	mu          sync.Mutex
	loaded      bool // the Cache was read at startup
	cur         *IdP
	body        []byte
	validators  Validators
	fetched     time.Time
	life        lifetime
	next        time.Time
	failures    int
	lastErr     error
	lastAttempt time.Time
	lastUnknown time.Time
	fetches     int
	inflight    *flight
	waiting     int // callers waiting on inflight
}

type flight struct {
	done chan struct{}
	err  error
}

// NewRemote checks cfg (the URL must pass Fetcher.CheckURL) and returns the Remote. It
// does not fetch: the first IdP call reads the Cache or fetches.
func NewRemote(cfg RemoteConfig) (*Remote, error) {
	r := &Remote{cfg: cfg, fetcher: cfg.Fetcher, key: cfg.CacheKey, now: cfg.Now,
		minRefresh: cfg.MinRefresh, maxRefresh: cfg.MaxRefresh, unknownGap: cfg.UnknownSignerInterval}
	if f, ok := r.fetcher.(*Fetcher); r.fetcher == nil || (ok && f == nil) {
		r.fetcher = &Fetcher{}
	}
	if f, ok := r.fetcher.(*Fetcher); ok {
		if _, err := f.CheckURL(cfg.URL); err != nil {
			return nil, err
		}
	} else if cfg.URL == "" {
		return nil, &Error{Kind: ErrUnsafeURL, Field: "metadata URL", Found: "nothing", Expected: "a URL"}
	}
	if r.key == "" {
		r.key = cfg.URL
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.minRefresh <= 0 {
		r.minRefresh = DefaultMinRefresh
	}
	if r.maxRefresh <= 0 {
		r.maxRefresh = DefaultMaxRefresh
	}
	if r.maxRefresh < r.minRefresh {
		return nil, fmt.Errorf("metadata: RemoteConfig.MaxRefresh (%v) is less than MinRefresh (%v)", r.maxRefresh, r.minRefresh)
	}
	if r.unknownGap <= 0 {
		r.unknownGap = DefaultUnknownSignerInterval
	}
	for i, c := range cfg.SigningCertificates {
		if c == nil {
			return nil, fmt.Errorf("metadata: RemoteConfig.SigningCertificates[%d] is nil", i)
		}
	}
	r.after = time.After
	r.jitter = randomJitter
	return r, nil
}

// IdP returns the IdP as currently trusted. The first call reads the Cache (without
// fetching when it holds a copy: Run refreshes it) or, when there is none, fetches.
// The returned value is shared: do not modify it.
func (r *Remote) IdP(ctx context.Context) (*IdP, error) {
	r.mu.Lock()
	if !r.loaded {
		r.mu.Unlock()
		r.loadCache(ctx)
		r.mu.Lock()
	}
	cur := r.cur
	r.mu.Unlock()
	if cur == nil {
		if err := r.refresh(ctx, false); err != nil {
			return nil, err
		}
		r.mu.Lock()
		cur = r.cur
		r.mu.Unlock()
		if cur == nil {
			return nil, r.lastError()
		}
	}
	if r.cfg.RejectExpired {
		r.mu.Lock()
		vu := r.life.ValidUntil
		r.mu.Unlock()
		if !vu.IsZero() && r.now().After(vu) {
			return nil, r.expiredError(vu)
		}
	}
	return cur, nil
}

// Refresh fetches the metadata now (merged with a refresh already in flight) and
// returns the error of that fetch; the last good IdP stays trusted whatever happens.
func (r *Remote) Refresh(ctx context.Context) error {
	return r.refresh(ctx, true)
}

// RefreshUnknownSigner is what the SP calls when a response was signed by a
// certificate it does not trust (signer, from the response's KeyInfo, may be nil). It
// returns the IdP to validate again with: the current one if signer is already trusted
// (another caller refreshed), or if a refresh for an unknown signer happened less than
// UnknownSignerInterval ago (no fetch: a stream of forged responses cannot make us
// hammer the IdP); otherwise the IdP after one more fetch. The caller decides whether
// the signer is now trusted.
func (r *Remote) RefreshUnknownSigner(ctx context.Context, signer *x509.Certificate) (*IdP, error) {
	cur, err := r.IdP(ctx)
	if err != nil && !errors.Is(err, ErrExpired) {
		return nil, err
	}
	if signer != nil && cur != nil && containsCert(cur.Certificates, signer) {
		return cur, nil
	}
	r.mu.Lock()
	now := r.now()
	if !r.lastUnknown.IsZero() && now.Sub(r.lastUnknown) < r.unknownGap {
		r.mu.Unlock()
		return cur, nil
	}
	r.lastUnknown = now
	r.mu.Unlock()
	// A copy in the shared Cache that publishes the signer saves the fetch.
	if signer != nil && r.adoptNewerCache(ctx) {
		if idp, _ := r.IdP(ctx); idp != nil && containsCert(idp.Certificates, signer) {
			return idp, nil
		}
	}
	if err := r.fetchMerged(ctx); err != nil {
		return cur, nil // the last good IdP stays; the failure went to Status and OnError
	}
	return r.IdP(ctx)
}

// Run refreshes the metadata whenever it is due until ctx is done. Start it in its own
// goroutine for each Remote (or call Refresh from your own scheduler).
func (r *Remote) Run(ctx context.Context) {
	for {
		r.mu.Lock()
		wait := r.next.Sub(r.now())
		r.mu.Unlock()
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-r.after(wait):
			}
		}
		if ctx.Err() != nil {
			return
		}
		_ = r.refresh(ctx, false)
	}
}

func (r *Remote) waiters() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waiting
}

// RemoteStatus is a snapshot of a Remote, for an admin page or a health check.
type RemoteStatus struct {
	URL        string
	IdP        *IdP      // the trusted IdP, nil before the first good copy
	Fetched    time.Time // when the trusted copy was fetched or last confirmed (304)
	ValidUntil time.Time // the document's validUntil, zero if none
	Expired    bool      // ValidUntil has passed
	Next       time.Time // when the next refresh is due
	Failures   int       // consecutive failed refreshes
	LastError  error     // of the last refresh, nil if it succeeded
	LastTry    time.Time
	Fetches    int // requests sent so far
}

// Status returns a snapshot of r.
func (r *Remote) Status() RemoteStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	return RemoteStatus{URL: r.cfg.URL, IdP: r.cur, Fetched: r.fetched, ValidUntil: r.life.ValidUntil,
		Expired: !r.life.ValidUntil.IsZero() && r.now().After(r.life.ValidUntil), Next: r.next,
		Failures: r.failures, LastError: r.lastErr, LastTry: r.lastAttempt, Fetches: r.fetches}
}

func (r *Remote) lastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lastErr != nil {
		return r.lastErr
	}
	return &Error{Kind: ErrFetch, Field: "metadata URL " + quoteURL(r.cfg.URL), Found: "no metadata yet"}
}

// refresh brings r up to date: a newer copy in the Cache that is not yet due is
// adopted without a request (unless force); otherwise one fetch, merged with any in
// flight.
func (r *Remote) refresh(ctx context.Context, force bool) error {
	if r.adoptNewerCache(ctx) && !force {
		r.mu.Lock()
		due := !r.now().Before(r.next)
		r.mu.Unlock()
		if !due {
			return nil
		}
	}
	return r.fetchMerged(ctx)
}

func (r *Remote) fetchMerged(ctx context.Context) error {
	r.mu.Lock()
	if f := r.inflight; f != nil {
		r.waiting++
		r.mu.Unlock()
		defer func() { r.mu.Lock(); r.waiting--; r.mu.Unlock() }()
		select {
		case <-f.done:
			return f.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	f := &flight{done: make(chan struct{})}
	r.inflight = f
	validators := r.validators
	if r.cur == nil {
		validators = Validators{} // nothing to revalidate
	}
	r.fetches++
	r.mu.Unlock()

	// The fetch outlives a caller that gives up: others may be waiting on it, and its
	// own timeout bounds it.
	got, err := r.fetcher.Fetch(context.WithoutCancel(ctx), r.cfg.URL, validators)
	var change *Change
	if err == nil {
		change, err = r.apply(got)
	}
	r.finish(err)
	f.err = err

	r.mu.Lock()
	r.inflight = nil
	r.mu.Unlock()
	close(f.done)
	r.notify(change, err)
	return err
}

// apply installs a fetched answer after checking it; on error nothing changes.
func (r *Remote) apply(got *Fetched) (*Change, error) {
	now := r.now()
	if got.NotModified {
		r.mu.Lock()
		r.validators = got.Validators
		r.fetched = now
		r.next = now.Add(r.schedule(now, r.life, got.MaxAge))
		c := &Cached{Body: r.body, Validators: got.Validators, Fetched: now}
		r.mu.Unlock()
		r.store(c) // tells the fleet the copy is confirmed
		return nil, nil
	}
	idp, life, err := r.check(got.Body)
	if err != nil {
		return nil, err
	}
	r.store(&Cached{Body: got.Body, Validators: got.Validators, Fetched: now})
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.install(idp, got.Body, got.Validators, now, life, false)
	r.next = now.Add(r.schedule(now, life, got.MaxAge))
	return ch, nil
}

func (r *Remote) store(c *Cached) {
	if r.cfg.Cache == nil {
		return
	}
	if err := r.cfg.Cache.Put(context.Background(), r.key, c); err != nil && r.cfg.OnError != nil {
		r.cfg.OnError(fmt.Errorf("metadata: could not store the fetched copy of %s: %w", quoteURL(r.cfg.URL), err))
	}
}

// check parses and verifies a document and holds it to the trusted entity ID.
func (r *Remote) check(body []byte) (*IdP, lifetime, error) {
	var idp *IdP
	var err error
	if len(r.cfg.SigningCertificates) > 0 {
		idp, err = ParseSignedIdP(body, r.cfg.EntityID, r.cfg.SigningCertificates...)
	} else {
		idp, err = ParseIdPEntity(body, r.cfg.EntityID)
	}
	if err != nil {
		return nil, lifetime{}, err
	}
	r.mu.Lock()
	cur := r.cur
	r.mu.Unlock()
	if cur != nil && cur.EntityID != idp.EntityID {
		return nil, lifetime{}, &Error{Kind: ErrNoIdP, Field: "entityID", Found: fmt.Sprintf("%q", idp.EntityID),
			Expected: fmt.Sprintf("%q, the entity trusted so far", cur.EntityID),
			Hint:     "the metadata URL now describes another identity provider; if that is intended, configure the new URL or entity ID explicitly"}
	}
	life, err := readLifetime(body, idp.EntityID)
	if err != nil {
		return nil, lifetime{}, err
	}
	return idp, life, nil
}

// install makes idp current; r.mu is held.
func (r *Remote) install(idp *IdP, body []byte, v Validators, fetched time.Time, life lifetime, fromCache bool) *Change {
	old := r.cur
	ch := diffIdP(old, idp)
	if ch == nil {
		// Same trust in new bytes (a re-signed document): keep the value callers hold,
		// so nothing built from it (an SP) is rebuilt for nothing.
		idp = old
	}
	r.cur, r.body, r.validators, r.fetched, r.life = idp, body, v, fetched, life
	if ch == nil {
		return nil
	}
	ch.URL, ch.FromCache, ch.Fetched = r.cfg.URL, fromCache, fetched
	return ch
}

func (r *Remote) finish(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	r.lastAttempt = now
	r.lastErr = err
	if err == nil {
		r.failures = 0
		return
	}
	r.failures++
	r.next = now.Add(r.backoff(r.failures))
}

func (r *Remote) notify(ch *Change, err error) {
	if ch != nil && r.cfg.OnChange != nil {
		r.cfg.OnChange(*ch)
	}
	if r.cfg.OnError == nil {
		return
	}
	if err != nil {
		r.cfg.OnError(err)
	}
	r.mu.Lock()
	vu := r.life.ValidUntil
	r.mu.Unlock()
	if !vu.IsZero() && r.now().After(vu) {
		r.cfg.OnError(r.expiredError(vu))
	}
}

func (r *Remote) expiredError(vu time.Time) error {
	return &Error{Kind: ErrExpired, Field: "metadata from " + quoteURL(r.cfg.URL),
		Found:    "validUntil " + vu.UTC().Format(time.RFC3339) + ", " + r.now().Sub(vu).Round(time.Minute).String() + " ago",
		Expected: "a copy that is still valid", Hint: "the identity provider no longer publishes fresh metadata at this URL; check the URL, or configure its certificate by hand"}
}

// loadCache reads the stored copy once, at startup.
func (r *Remote) loadCache(ctx context.Context) {
	r.mu.Lock()
	if r.loaded {
		r.mu.Unlock()
		return
	}
	r.loaded = true
	r.mu.Unlock()
	r.adoptNewerCache(ctx)
}

// adoptNewerCache installs the Cache's copy when it is newer than the trusted one and
// verifies; it reports whether it did.
func (r *Remote) adoptNewerCache(ctx context.Context) bool {
	if r.cfg.Cache == nil {
		return false
	}
	c, err := r.cfg.Cache.Get(ctx, r.key)
	if err != nil {
		if r.cfg.OnError != nil {
			r.cfg.OnError(fmt.Errorf("metadata: could not read the stored copy of %s: %w", quoteURL(r.cfg.URL), err))
		}
		return false
	}
	r.mu.Lock()
	newer := c != nil && c.Fetched.After(r.fetched) && !bytes.Equal(c.Body, r.body)
	sameNewer := c != nil && c.Fetched.After(r.fetched) && bytes.Equal(c.Body, r.body)
	if sameNewer { // another server confirmed our copy
		r.fetched = c.Fetched
		r.validators = c.Validators
		r.next = c.Fetched.Add(r.schedule(c.Fetched, r.life, 0))
	}
	r.mu.Unlock()
	if sameNewer {
		return true
	}
	if !newer {
		return false
	}
	idp, life, err := r.check(c.Body)
	if err != nil {
		// A stored copy that no longer verifies (pinned certificates changed, damage) is
		// not trusted; a fetch decides.
		if r.cfg.OnError != nil {
			r.cfg.OnError(fmt.Errorf("metadata: stored copy of %s refused: %w", quoteURL(r.cfg.URL), err))
		}
		return false
	}
	r.mu.Lock()
	if !c.Fetched.After(r.fetched) { // a fetch installed something newer meanwhile
		r.mu.Unlock()
		return false
	}
	ch := r.install(idp, c.Body, c.Validators, c.Fetched, life, true)
	r.next = c.Fetched.Add(r.schedule(c.Fetched, life, 0))
	r.mu.Unlock()
	r.notify(ch, nil)
	return true
}

func orEmpty(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func containsCert(cs []*x509.Certificate, c *x509.Certificate) bool {
	return slices.ContainsFunc(cs, func(x *x509.Certificate) bool { return x.Equal(c) })
}

// diffIdP describes what changed from old to new; nil when nothing did.
func diffIdP(old, new *IdP) *Change {
	ch := &Change{Old: old, New: new}
	var before []*x509.Certificate
	if old != nil {
		before = old.Certificates
		ch.CertificatesBefore = len(before)
		for _, e := range []struct{ name, a, b string }{
			{"EntityID", old.EntityID, new.EntityID},
			{"SSOURL", old.SSOURL, new.SSOURL},
			{"SSOBinding", old.SSOBinding, new.SSOBinding},
			{"SLOURL", old.SLOURL, new.SLOURL},
		} {
			if e.a != e.b {
				ch.EndpointsChanged = append(ch.EndpointsChanged, e.name+" "+orEmpty(e.a)+" → "+orEmpty(e.b))
			}
		}
	}
	for _, c := range new.Certificates {
		if !containsCert(before, c) {
			ch.Added = append(ch.Added, c)
		}
	}
	for _, c := range before {
		if !containsCert(new.Certificates, c) {
			ch.Removed = append(ch.Removed, c)
		}
	}
	if old != nil && len(ch.Added) == 0 && len(ch.Removed) == 0 && len(ch.EndpointsChanged) == 0 {
		return nil
	}
	return ch
}

// String is a one-line summary for a log or an admin notice.
func (c Change) String() string {
	s := "metadata " + quoteURL(c.URL) + ":"
	if c.Old == nil {
		s += fmt.Sprintf(" now trusting %s with %d certificate(s)", c.New.EntityID, len(c.New.Certificates))
	}
	for _, a := range c.Added {
		s += " added certificate " + certs.Thumbprint(a) + ";"
	}
	for _, a := range c.Removed {
		s += " removed certificate " + certs.Thumbprint(a) + ";"
	}
	for _, e := range c.EndpointsChanged {
		s += " " + e + ";"
	}
	return s
}
