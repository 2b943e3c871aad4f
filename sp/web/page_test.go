package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/sp"
)

type downReplayCache struct{}

func (downReplayCache) Remember(context.Context, string, time.Time) error {
	return errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

type downRequestStore struct{ MemoryRequestStore }

func (*downRequestStore) Take(context.Context, string) (PendingRequest, error) {
	return PendingRequest{}, errors.New("dial tcp 127.0.0.1:6379: connection refused")
}

// #17: the end user's page is a finished page that tells an outage (503, come back in
// a minute) from a refused sign-in (403), quotes the reference the log has, offers a
// way to try again, and shows nothing of the configuration or the reason.
func TestErrorPageTellsAnOutageFromARefusal(t *testing.T) {
	idp := samltest.DefaultIdP()
	entra := func(edit func(*sp.Config)) func(*sp.Config) {
		return func(c *sp.Config) {
			g := genConfig(idp)
			c.EntityID, c.ACSURL, c.IdP, c.Now = g.EntityID, g.ACSURL, g.IdP, g.Now
			if edit != nil {
				edit(c)
			}
		}
	}
	cases := []struct {
		name     string
		sp       func(*sp.Config)
		web      func(*Config)
		opts     samltest.Options
		status   int
		heading  string
		message  string
		tryAgain string
		logWants string
	}{
		{"refused: wrong Identifier", entra(func(c *sp.Config) { c.EntityID = "https://app.example/other-identifier" }), nil,
			samltest.Options{}, http.StatusForbidden, "Sign-in failed", "Sign-in failed. Please try again", "/", "check=audience"},
		{"refused by Entra (AADSTS)", entra(nil), func(c *Config) { c.SignInURL = "/saml/login" },
			samltest.Options{Status: samltest.StatusRequester, StatusMessage: "AADSTS50105: not assigned", NoAssertion: true},
			http.StatusForbidden, "Sign-in failed", "Your identity provider did not sign you in", "/saml/login", "AADSTS50105"},
		{"outage: replay cache down", entra(func(c *sp.Config) { c.ReplayCache = downReplayCache{} }), nil,
			samltest.Options{}, http.StatusServiceUnavailable, "Sign-in is unavailable", "try again in a minute", "/", "kind=unavailable"},
		{"outage: request store down", entra(nil), func(c *Config) { c.RequestStore = &downRequestStore{} },
			samltest.Options{}, http.StatusServiceUnavailable, "Sign-in is unavailable", "try again in a minute", "/", "connection refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWebTest(t, c.sp, c.web)
			relayState, id, cookie := w.login("/reports")
			c.opts.InResponseTo = id
			form := url.Values{"RelayState": {relayState}, "SAMLResponse": {genResponse(t, idp, c.opts)}}
			r := httptest.NewRequest("POST", "/saml/consume", strings.NewReader(form.Encode()))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			rec := w.do(w.h.ACS(), r, cookie)
			w.checkRefusal(rec, c.status, c.logWants)
			body := rec.Body.String()
			if n := strings.Count(body, "<h1"); n != 1 || !strings.Contains(body, "<h1>"+c.heading+"</h1>") || !strings.Contains(body, "<title>"+c.heading+"</title>") {
				t.Errorf("want one heading %q (%d <h1>):\n%s", c.heading, n, body)
			}
			if !strings.Contains(body, c.message) {
				t.Errorf("page lacks %q:\n%s", c.message, body)
			}
			if !strings.Contains(body, `<a class="again" href="`+c.tryAgain+`">Try again</a>`) {
				t.Errorf("page has no Try again link to %s:\n%s", c.tryAgain, body)
			}
			if outage := strings.Contains(body, "in a minute"); outage != (c.status == http.StatusServiceUnavailable) {
				t.Errorf("status %d, page says outage: %v", c.status, outage)
			}
			if got := rec.Header().Get("Retry-After"); (got == "60") != (c.status == http.StatusServiceUnavailable) {
				t.Errorf("Retry-After %q with status %d", got, c.status)
			}
			sc := w.sp.Config()
			for _, leak := range []string{sc.EntityID, sc.ACSURL, sc.IdP.EntityID, samltest.TenantID, samltest.SPEntityID,
				"AADSTS", "audience", "replay", "6379", "refused", "/reports", relayState, id} {
				if strings.Contains(body, leak) {
					t.Errorf("the user's page reveals %q:\n%s", leak, body)
				}
			}
		})
	}
}

// The page is styled, and its Content-Security-Policy allows that style and nothing
// else: no script, no other source, no framing.
func TestErrorPageStyleIsAllowedByItsPolicyAlone(t *testing.T) {
	w := newWebTest(t, nil, nil)
	relayState, _, _ := w.login("/")
	rec := w.do(w.h.ACS(), acsPost(relayState))
	body, csp := rec.Body.String(), rec.Header().Get("Content-Security-Policy")
	i, j := strings.Index(body, "<style>"), strings.Index(body, "</style>")
	if i < 0 || j < i || strings.Count(body, "<style") != 1 {
		t.Fatalf("page has no one <style>:\n%s", body)
	}
	sum := sha256.Sum256([]byte(body[i+len("<style>") : j]))
	want := "style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, want) || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q does not allow exactly the page's style (%s)", csp, want)
	}
	if strings.Contains(body, "<script") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("page runs script or allows inline style: %s\n%s", csp, body)
	}
}
