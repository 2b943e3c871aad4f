package web

import (
	"net/url"
	"strings"
	"testing"
)

// Cookie values come from the browser: any bytes. Opening one never panics, and only a
// value the codec sealed under that name opens.
func FuzzCookieOpen(f *testing.F) {
	c := cookieCodec{key: []byte(strings.Repeat("k", 32))}
	sealed, _ := c.seal("saml-session", pendingCookie{ID: "id1", Expires: 100})
	raw := c.sealRaw("saml-session", []byte{3, '{', '}', 0})
	for _, s := range []string{sealed, raw, "", ".", "a.b", sealed + "x", strings.Repeat("A", 5000) + "." + strings.Repeat("B", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		var p pendingCookie
		if c.open("saml-session", value, &p) == nil && value != sealed {
			if again, _ := c.seal("saml-session", p); again != value {
				t.Fatalf("%q opened but is not what the codec seals for %+v", value, p)
			}
		}
		if raw, err := c.openRaw("saml-session", value); err == nil {
			if c.sealRaw("saml-session", raw) != value {
				t.Fatalf("%q opened raw but is not the codec's spelling", value)
			}
			var s Session
			decodeSession(raw, &s)
		}
	})
}

// A return URL the check accepts is, as a browser resolves it against this site, on
// this site or on an allowed origin.
func FuzzSafeReturnTo(f *testing.F) {
	for _, s := range []string{"/", "/a?b=c", "//evil.example", "/\\evil", "https://admin.example.com/x", "https://evil.example", "/\t/evil", "javascript:alert(1)"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://app.example/saml/acs")
	allowed := []string{"https://admin.example.com"}
	f.Fuzz(func(t *testing.T, target string) {
		if !safeReturnTo(target, allowed) {
			return
		}
		u, err := url.Parse(target)
		if err != nil {
			t.Fatalf("accepted %q, which does not parse: %v", target, err)
		}
		got := base.ResolveReference(u)
		if got.Host != "app.example" && !strings.EqualFold(got.Scheme+"://"+got.Host, "https://admin.example.com") {
			t.Fatalf("accepted %q, which leads to %s", target, got)
		}
	})
}
