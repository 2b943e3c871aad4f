package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// maxCookieBytes keeps every cookie we write well under the 4096 bytes browsers store.
const maxCookieBytes = 3072

// errCookieInvalid means a cookie's MAC did not verify: it was altered, written by
// another server with another key, or moved to another name.
var errCookieInvalid = errors.New("cookie signature does not verify")

var strictB64 = base64.RawURLEncoding.Strict()

// cookieCodec seals small values into cookies with HMAC-SHA256. The MAC covers the
// cookie's name too, so a value cannot be moved from one cookie to another (e.g. a
// pending request to another RelayState, or a request cookie to the session).
type cookieCodec struct {
	key []byte
}

// newCookieCodec derives the MAC key from the app's CookieKey and the trust relation it
// serves, so a cookie sealed for one SP/IdP pair opens for no other: apps commonly share
// one CookieKey (and the default cookie name) across every organization's SP, and a
// session asserted by org B's IdP must not be served by org A.
func newCookieCodec(key []byte, spEntityID, idpEntityID string) cookieCodec {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("ssokit/saml cookie key\x00"))
	m.Write([]byte(spEntityID))
	m.Write([]byte{0})
	m.Write([]byte(idpEntityID))
	return cookieCodec{key: m.Sum(nil)}
}

func (c cookieCodec) mac(name, payload string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(name))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// seal encodes v as base64url(JSON) "." base64url(MAC).
func (c cookieCodec) seal(name string, v any) (string, error) {
	js, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	value := c.sealRaw(name, js)
	if len(name)+len(value) > maxCookieBytes {
		return "", fmt.Errorf("web: cookie %s would be %d bytes, over the %d-byte limit", name, len(name)+len(value), maxCookieBytes)
	}
	return value, nil
}

// sealRaw encodes raw as base64url(raw) "." base64url(MAC), without a size check.
func (c cookieCodec) sealRaw(name string, raw []byte) string {
	payload := base64.RawURLEncoding.EncodeToString(raw)
	return payload + "." + base64.RawURLEncoding.EncodeToString(c.mac(name, payload))
}

// open verifies value and decodes it into v.
func (c cookieCodec) open(name, value string, v any) error {
	js, err := c.openRaw(name, value)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(js, v); err != nil {
		return errCookieInvalid
	}
	return nil
}

// openRaw verifies value and returns what sealRaw sealed.
func (c cookieCodec) openRaw(name, value string) ([]byte, error) {
	// encoding/base64 skips \r and \n even when strict, so they would make further
	// spellings of one sealed value; the codec never writes them.
	payload, sig, ok := strings.Cut(value, ".")
	if !ok || strings.ContainsAny(value, "\r\n") {
		return nil, errCookieInvalid
	}
	// Strict: the unused low bits of the last character must be zero, so each sealed
	// value has exactly one spelling (a lax decoder took four spellings of one MAC).
	got, err := strictB64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, c.mac(name, payload)) {
		return nil, errCookieInvalid
	}
	raw, err := strictB64.DecodeString(payload)
	if err != nil {
		return nil, errCookieInvalid
	}
	return raw, nil
}

// pendingCookie is what a request cookie holds. With a RequestStore, ID and ReturnTo
// live on the server and the cookie only proves that this browser started the login.
type pendingCookie struct {
	ID       string `json:"i,omitempty"`
	ReturnTo string `json:"r,omitempty"`
	Expires  int64  `json:"e"` // Unix seconds
}

// requestCookieName is the cookie that tracks the login started with relayState. One
// cookie per login, so two tabs signing in at once do not overwrite each other.
func (h *Handlers) requestCookieName(relayState string) string {
	return h.cookiePrefix() + "req-" + relayState
}

func (h *Handlers) sessionCookieName() string {
	return h.cookiePrefix() + "session"
}

// cookiePrefix uses the __Host- prefix on https: the browser then refuses the cookie
// unless it is Secure, host-only and Path=/, so a sibling subdomain cannot plant one.
func (h *Handlers) cookiePrefix() string {
	if h.secure {
		return "__Host-" + h.cfg.CookieName + "-"
	}
	return h.cfg.CookieName + "-"
}

// cookie builds a cookie with the attributes the deployment needs. Request cookies must
// come back on the IdP's cross-site POST, which browsers allow only for SameSite=None
// (and that only with Secure). On plain-http localhost no SameSite is sent, so browsers
// apply their default (Chrome lets a fresh cookie through a top-level cross-site POST
// for two minutes); https is the supported setup.
func (h *Handlers) cookie(name, value string, expires time.Time, crossSite bool) *http.Cookie {
	c := &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		HttpOnly: true,
		Secure:   h.secure,
	}
	if !expires.IsZero() {
		c.Expires = expires.UTC()
		c.MaxAge = max(int(expires.Sub(h.now()).Seconds()), 1)
	}
	switch {
	case crossSite && h.secure:
		c.SameSite = http.SameSiteNoneMode
	case !crossSite:
		c.SameSite = http.SameSiteLaxMode
	}
	return c
}

// expire deletes a cookie in the browser.
func (h *Handlers) expire(w http.ResponseWriter, name string) {
	c := h.cookie(name, "", time.Time{}, true)
	c.MaxAge = -1
	http.SetCookie(w, c)
}

// evictPending deletes the browser's oldest pending-request cookies (and any that fail
// to decode or have expired) so that at most keep remain before a new one is added.
func (h *Handlers) evictPending(w http.ResponseWriter, r *http.Request, keep int) {
	prefix := h.cookiePrefix() + "req-"
	type pending struct {
		name    string
		expires int64
	}
	var live []pending
	now := h.now().Unix()
	for _, c := range r.Cookies() {
		// Only names of the exact form requestCookieName writes: another SP on this host
		// whose CookieName extends ours ("acme" and "acme-req") has cookies that start
		// with our prefix too ("acme-req-session"), and they are not ours to delete.
		rs, ok := strings.CutPrefix(c.Name, prefix)
		if !ok || !isLoginRelayState(rs) {
			continue
		}
		var p pendingCookie
		if err := h.codec.open(c.Name, c.Value, &p); err != nil || p.Expires <= now {
			h.expire(w, c.Name)
			continue
		}
		live = append(live, pending{c.Name, p.Expires})
	}
	if len(live) <= keep {
		return
	}
	sort.Slice(live, func(i, j int) bool { return live[i].expires < live[j].expires })
	for _, p := range live[:len(live)-keep] {
		h.expire(w, p.name)
	}
}

// validCookieName reports whether name may start this SP's cookie names: a short
// RFC 6265 token of letters, digits, '-', '_' and '.', so every name the library writes
// is a valid cookie name.
func validCookieName(name string) bool {
	if name == "" || len(name) > 64 {
		return false
	}
	for _, c := range name {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}
