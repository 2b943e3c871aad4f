package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// The RelayState the login handler sends is "rs" and 32 hex digits: random, so it can
// name a cookie and a store entry without revealing where the user is going, and short
// (the binding allows 80 bytes). Anything else arriving at the ACS is an IdP-initiated
// RelayState, e.g. the "Relay State" an admin typed into Entra.
const (
	relayStatePrefix = "rs"
	relayStateLen    = len(relayStatePrefix) + 32
)

func newRelayState(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("web: random source failed: %w", err)
	}
	return relayStatePrefix + hex.EncodeToString(b[:]), nil
}

// isLoginRelayState reports whether rs has the shape of a RelayState our login handler
// made (it may still be unknown or forged; the cookie decides).
func isLoginRelayState(rs string) bool {
	if len(rs) != relayStateLen || !strings.HasPrefix(rs, relayStatePrefix) {
		return false
	}
	for _, c := range rs[len(relayStatePrefix):] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// maxReturnTo bounds a return URL; a longer one is refused rather than stored in a cookie
// (five pending logins must fit in one Cookie header under common 8 KB proxy limits).
const maxReturnTo = 512

// safeReturnTo reports whether target may be used as a redirect after login, so that
// neither a crafted login link nor an IdP-initiated RelayState can send the user to
// another site. Allowed: a path on this site ("/app?x=1"), or an absolute http(s) URL
// whose origin (scheme://host[:port]) is exactly one of allowedOrigins.
//
// Refused: anything a browser could read as another host ("//evil", "/\evil", which
// browsers treat like "//"), any scheme (javascript:, data:, https://evil), relative
// paths without a leading slash, and any byte outside printable ASCII (tabs and
// newlines are dropped by browsers' URL parsers and could join "/" and "/evil"; raw
// non-ASCII is refused rather than reasoned about; percent-encode it).
func safeReturnTo(target string, allowedOrigins []string) bool {
	if target == "" || len(target) > maxReturnTo {
		return false
	}
	for i := 0; i < len(target); i++ {
		if c := target[i]; c <= 0x20 || c >= 0x7f || c == '\\' {
			return false
		}
	}
	if target[0] == '/' {
		if len(target) > 1 && target[1] == '/' {
			return false
		}
		u, err := url.Parse(target)
		return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return false
	}
	origin := u.Scheme + "://" + u.Host
	for _, o := range allowedOrigins {
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
