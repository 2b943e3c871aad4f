package orgs_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
)

type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// records are the JSON log records that mention s.
func (l *logBuffer) records(t *testing.T, s string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.b.String()), "\n") {
		if !strings.Contains(line, s) {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatal(err)
		}
		out = append(out, rec)
	}
	return out
}

// #17: a refused member sign-in is one log record, naming the organization, the check
// and the reference the member's page quotes, whether the SP refused the response or
// the organization's own rules refused the member.
func TestMemberRefusalIsLoggedOnceWithTheOrg(t *testing.T) {
	h := newHarness(t)
	logs := &logBuffer{}
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	h.enabledOrg("acme", samltest.DefaultIdP())

	for _, c := range []struct {
		name    string
		domains []string // when set, first enable a version allowing only these e-mail domains
		opts    samltest.Options
		check   string
	}{
		{"the SP refuses the response", nil, samltest.Options{Audience: "https://wrong.example"}, "audience"},
		{"Entra refuses the member", nil, samltest.Options{Status: samltest.StatusRequester, StatusMessage: "AADSTS50105: not assigned", NoAssertion: true}, "status"},
		{"the organization's rules refuse the member", []string{"contoso.example"}, samltest.Options{NameID: "mallory@evil.example"}, "email domain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.domains != nil {
				s := entra(samltest.DefaultIdP())
				s.AllowedEmailDomains = c.domains
				h.save(h.m, "acme", s)
				st := h.startTest(h.m, "acme")
				h.finishTest(h.m, "acme", samltest.DefaultIdP(), st, samltest.Options{AssertionID: samltest.ID("domains test")})
				if _, err := h.m.Enable(admin("POST", "/e"), "acme", h.get("acme").Pending.Number); err != nil {
					t.Fatal(err)
				}
			}
			w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), c.opts)
			if w.Code != http.StatusForbidden {
				t.Fatalf("status %d", w.Code)
			}
			ref := signIns(t, h.store, "acme")[0].Ref
			if ref == "" || !strings.Contains(w.Body.String(), ref) {
				t.Fatalf("no reference on the page: %s", w.Body)
			}
			recs := logs.records(t, ref)
			if len(recs) != 1 {
				t.Fatalf("%d log records with ref %s, want 1: %v", len(recs), ref, recs)
			}
			if recs[0]["org"] != "acme" || recs[0]["check"] != c.check || recs[0]["ref"] != ref {
				t.Errorf("record %v, want org acme, check %s, ref %s", recs[0], c.check, ref)
			}
		})
	}
}

type switchableCache struct {
	sp.ReplayCache
	down atomic.Bool
}

func (c *switchableCache) Remember(ctx context.Context, key string, until time.Time) error {
	if c.down.Load() {
		return errors.New("dial tcp 127.0.0.1:6379: connection refused")
	}
	return c.ReplayCache.Remember(ctx, key, until)
}

// An outage (the replay cache cannot answer) is a 503 the member is told to retry, and
// one ERROR record for the admin; not a refused sign-in.
func TestMemberSignInDuringAnOutageIs503(t *testing.T) {
	h := newHarness(t)
	logs := &logBuffer{}
	mc := sp.NewMemoryReplayCache(0)
	mc.Now = h.clock.Now
	cache := &switchableCache{ReplayCache: mc}
	m, err := orgs.New(orgs.Config{Store: h.store, BaseURL: base, CookieKey: cookieKey, Authorize: h.auth.Authorize,
		Now: h.clock.Now, Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		ReplayCache: func(string) sp.ReplayCache { return cache }})
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	h.enabledOrg("acme", samltest.DefaultIdP())
	cache.down.Store(true)
	w := h.memberLogin(h.m, "acme", samltest.DefaultIdP(), samltest.Options{})
	if w.Code != http.StatusServiceUnavailable || !strings.Contains(w.Body.String(), "try again in a minute") {
		t.Fatalf("status %d: %s, want 503 asking to try again", w.Code, w.Body)
	}
	ref := signIns(t, h.store, "acme")[0].Ref
	if recs := logs.records(t, ref); len(recs) != 1 || recs[0]["level"] != "ERROR" || recs[0]["org"] != "acme" || recs[0]["kind"] != "unavailable" {
		t.Fatalf("log records %v, want one ERROR for acme of kind unavailable", recs)
	}
}
