package redisstore_test

import (
	"bytes"
	"compress/flate"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/redisstore"
	"github.com/ssokit/saml/sp/redisstore/internal/redistest"
	"github.com/ssokit/saml/sp/web"
)

// An app server of the fleet: its own SP and its own Redis connection pool, sharing
// the Redis server (and the organization's prefix) with every other app server.

// fleetStore is one app server's store for the test organization.
func fleetStore(t testing.TB, srv *redistest.Server, opts redisstore.Options) *redisstore.Store {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	if opts.Prefix == "" {
		opts.Prefix = "ssokit:acme:"
	}
	opts.Now = samltest.Clock
	if opts.Timeout == 0 {
		opts.Timeout = testTimeout
	}
	return redisstore.New(c, opts)
}

// fleetSP is one app server's SP for the organization samltest's responses address.
func fleetSP(t testing.TB, cache sp.ReplayCache) *sp.SP {
	t.Helper()
	s, err := sp.New(sp.Config{
		EntityID:          samltest.SPEntityID,
		ACSURL:            samltest.ACSURL,
		IdP:               samltest.DefaultIdP().Metadata(),
		AllowIdPInitiated: true,
		Now:               samltest.Clock,
		ReplayCache:       cache,
		Logger:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFleetRejectsAReplayOnAnotherAppServer(t *testing.T) {
	srv := redistest.Start(t)
	a := fleetSP(t, fleetStore(t, srv, redisstore.Options{}))
	b := fleetSP(t, fleetStore(t, srv, redisstore.Options{}))
	resp := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{}))
	ctx := context.Background()

	if _, err := a.ValidateResponse(ctx, resp, samltest.RequestID); err != nil {
		t.Fatalf("server A, first post: %v", err)
	}
	_, err := b.ValidateResponse(ctx, resp, samltest.RequestID)
	if !errors.Is(err, sp.ErrReplay) {
		t.Fatalf("server B, same response: got %v, want sp.ErrReplay", err)
	}
	// The control: a memory cache per server would have let the replay through.
	c := fleetSP(t, nil)
	if _, err := c.ValidateResponse(ctx, resp, samltest.RequestID); err != nil {
		t.Errorf("control (server C with its own memory cache) rejected the response: %v", err)
	}
}

func TestFleetAcceptsExactlyOneOfConcurrentPosts(t *testing.T) {
	srv := redistest.Start(t)
	servers := []*sp.SP{
		fleetSP(t, fleetStore(t, srv, redisstore.Options{})),
		fleetSP(t, fleetStore(t, srv, redisstore.Options{})),
	}
	resp := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{}))
	exactlyOneWins(t, 50, sp.ErrReplay, func(i int) error {
		_, err := servers[i%len(servers)].ValidateResponse(context.Background(), resp, samltest.RequestID)
		return err
	})
}

func TestFleetRejectsLoginsWhileRedisIsDownAndRecovers(t *testing.T) {
	srv := redistest.Start(t)
	s := fleetSP(t, fleetStore(t, srv, redisstore.Options{}))
	idp := samltest.DefaultIdP()
	ctx := context.Background()
	response := func(label string) string {
		return samltest.Encode(idp.MustResponse(t, samltest.Options{
			ResponseID: samltest.ID("response " + label), AssertionID: samltest.ID("assertion " + label),
		}))
	}

	srv.Stop()
	during := response("during")
	_, err := s.ValidateResponse(ctx, during, samltest.RequestID)
	if err == nil {
		t.Fatal("a response was accepted while its replay status could not be checked")
	}
	// An outage is its own kind, never a replay: monitoring must not count it as an attack.
	if !errors.Is(err, sp.ErrUnavailable) || !errors.Is(err, redisstore.ErrUnavailable) || errors.Is(err, sp.ErrReplay) {
		t.Errorf("got %v, want sp.ErrUnavailable wrapping redisstore.ErrUnavailable, and not sp.ErrReplay", err)
	}
	if !strings.Contains(err.Error(), "redisstore: replay status unknown (redis unreachable at "+srv.Addr) {
		t.Errorf("message %q does not say Redis at %s was unreachable", err, srv.Addr)
	}

	srv.Restart()
	// The same response is accepted now: it was never recorded, because it was never accepted.
	if _, err := s.ValidateResponse(ctx, during, samltest.RequestID); err != nil {
		t.Fatalf("after Redis returned: %v", err)
	}
	if _, err := s.ValidateResponse(ctx, during, samltest.RequestID); !errors.Is(err, sp.ErrReplay) {
		t.Errorf("replay after Redis returned: got %v, want sp.ErrReplay", err)
	}
}

// fleetHandlers is one app server's net/http side, keeping pending logins in Redis.
func fleetHandlers(t testing.TB, s *sp.SP, store web.RequestStore) *web.Handlers {
	t.Helper()
	h, err := web.New(s, web.Config{
		CookieKey:    []byte("fleet-test cookie key, 32+ bytes long"),
		RequestStore: store,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// requestID reads the AuthnRequest ID out of a HTTP-Redirect binding URL.
func requestID(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.StdEncoding.DecodeString(u.Query().Get("SAMLRequest"))
	if err != nil {
		t.Fatalf("SAMLRequest: %v", err)
	}
	xml, err := io.ReadAll(flate.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("SAMLRequest: %v", err)
	}
	m := regexp.MustCompile(`\sID="([^"]+)"`).FindSubmatch(xml)
	if m == nil {
		t.Fatalf("no ID in AuthnRequest %s", xml)
	}
	return string(m[1])
}

func TestFleetLoginStartedOnOneServerFinishesOnAnother(t *testing.T) {
	srv := redistest.Start(t)
	storeA, storeB := fleetStore(t, srv, redisstore.Options{}), fleetStore(t, srv, redisstore.Options{})
	a := fleetHandlers(t, fleetSP(t, storeA), storeA)
	b := fleetHandlers(t, fleetSP(t, storeB), storeB)

	// Server A starts the login.
	rec := httptest.NewRecorder()
	a.Login().ServeHTTP(rec, httptest.NewRequest("GET", "https://app.example/login?returnTo=/reports", nil))
	if rec.Code != http.StatusFound {
		t.Fatalf("login: status %d, want 302", rec.Code)
	}
	loc := rec.Header().Get("Location")
	relayState := mustQuery(t, loc, "RelayState")
	id := requestID(t, loc)
	cookies := rec.Result().Cookies()

	// The IdP answers; the load balancer sends the POST to server B.
	resp := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{InResponseTo: id}))
	post := func(h *web.Handlers) *httptest.ResponseRecorder {
		form := url.Values{"SAMLResponse": {resp}, "RelayState": {relayState}}
		req := httptest.NewRequest("POST", samltest.ACSURL, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ACS().ServeHTTP(rec, req)
		return rec
	}
	rec = post(b)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/reports" {
		t.Fatalf("ACS on server B: status %d, Location %q; want 303 to /reports\n%s", rec.Code, rec.Header().Get("Location"), rec.Body)
	}
	// The captured POST replayed at server A is refused.
	if rec := post(a); rec.Code != http.StatusForbidden {
		t.Errorf("replayed POST on server A: status %d, want 403", rec.Code)
	}
}

func mustQuery(t *testing.T, rawURL, name string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	v := u.Query().Get(name)
	if v == "" {
		t.Fatalf("%s has no %s", rawURL, name)
	}
	return v
}

// Organizations sharing one Redis and one prefix (a shared Store) still keep apart: the
// SP scopes each replay key by SP and IdP entity ID, so another SP's use of the same
// assertion ID is no replay, while the same SP's is.
func TestFleetReplayKeysAreScopedBySP(t *testing.T) {
	srv := redistest.Start(t)
	store := fleetStore(t, srv, redisstore.Options{})
	other := "https://app.example/organizations/other/saml/metadata"
	s, err := sp.New(sp.Config{
		EntityID: other, ACSURL: samltest.ACSURL, IdP: samltest.DefaultIdP().Metadata(),
		Now: samltest.Clock, ReplayCache: store, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	acme := fleetSP(t, store)
	mine := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{}))
	theirs := samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{Audience: other}))
	if _, err := acme.ValidateResponse(ctx, mine, samltest.RequestID); err != nil {
		t.Fatalf("acme: %v", err)
	}
	if _, err := s.ValidateResponse(ctx, theirs, samltest.RequestID); err != nil {
		t.Fatalf("the other SP, same assertion and request IDs: %v", err)
	}
	if _, err := s.ValidateResponse(ctx, theirs, samltest.RequestID); !errors.Is(err, sp.ErrReplay) {
		t.Fatalf("control: a replay at the same SP: %v, want sp.ErrReplay", err)
	}
}

// #18.4 for a fleet: a session started on server A and ended (signed out) on server B
// is refused everywhere, even when a copy of its cookie is presented to A.
func TestFleetSessionEndedOnOneServerIsEndedOnAll(t *testing.T) {
	srv := redistest.Start(t)
	servers := make([]*web.Handlers, 2)
	for i := range servers {
		store := fleetStore(t, srv, redisstore.Options{})
		h, err := web.New(fleetSP(t, store), web.Config{
			CookieKey:    []byte("fleet-test cookie key, 32+ bytes long"),
			SessionStore: store.Sessions(),
		})
		if err != nil {
			t.Fatal(err)
		}
		servers[i] = h
	}
	a, b := servers[0], servers[1]
	s, err := fleetSP(t, nil).ValidateResponse(context.Background(), samltest.Encode(samltest.DefaultIdP().MustResponse(t, samltest.Options{})), samltest.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	if _, err := a.StartSession(rec, httptest.NewRequest("POST", samltest.ACSURL, nil), s, nil); err != nil {
		t.Fatal(err)
	}
	cookie := rec.Result().Cookies()[0]
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	visit := func(h *web.Handlers) int {
		r := httptest.NewRequest("GET", "https://app.example/reports", nil)
		r.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
		rec := httptest.NewRecorder()
		h.RequireLogin(app).ServeHTTP(rec, r)
		return rec.Code
	}
	if a, b := visit(a), visit(b); a != http.StatusNoContent || b != http.StatusNoContent {
		t.Fatalf("control: the session works on A (%d) and B (%d)", a, b)
	}
	logout := httptest.NewRequest("POST", "https://app.example/logout", nil)
	logout.AddCookie(cookie)
	b.SignOut().ServeHTTP(httptest.NewRecorder(), logout)
	if code := visit(a); code != http.StatusFound {
		t.Errorf("the old cookie on server A after signing out on B: status %d, want a redirect to sign in", code)
	}
}

func TestSessionsSaveLoadDelete(t *testing.T) {
	srv := redistest.Start(t)
	ss := fleetStore(t, srv, redisstore.Options{}).Sessions()
	ctx := context.Background()
	if err := ss.Save(ctx, "s1", []byte(`{"n":"adele"}`), samltest.Now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := ss.Load(ctx, "s1"); err != nil || string(got) != `{"n":"adele"}` {
		t.Fatalf("Load = %q, %v", got, err)
	}
	if err := ss.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.Load(ctx, "s1"); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("Load after Delete: %v, want web.ErrNoSession", err)
	}
	// Update refreshes only a session still there: an ended one stays ended.
	if err := ss.Update(ctx, "s1", []byte("back"), samltest.Now.Add(time.Hour)); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("Update of an ended session: %v, want web.ErrNoSession", err)
	}
	if _, err := ss.Load(ctx, "s1"); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("Update brought the ended session back: %v", err)
	}
	ss.Save(ctx, "s3", []byte("v1"), samltest.Now.Add(time.Hour))
	if err := ss.Update(ctx, "s3", []byte("v2"), samltest.Now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := ss.Load(ctx, "s3"); string(got) != "v2" {
		t.Errorf("Update of a live session: %q", got)
	}
	// Another organization's prefix never sees it.
	other := fleetStore(t, srv, redisstore.Options{Prefix: "ssokit:other:"}).Sessions()
	ss.Save(ctx, "s2", []byte("x"), samltest.Now.Add(time.Hour))
	if _, err := other.Load(ctx, "s2"); !errors.Is(err, web.ErrNoSession) {
		t.Errorf("another prefix loaded the session: %v", err)
	}
}
