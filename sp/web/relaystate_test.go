package web

import (
	"bytes"
	"strings"
	"testing"
)

func TestSafeReturnToRefusesEverythingOffSite(t *testing.T) {
	allowed := []string{"https://admin.example.com"}
	refused := map[string]string{
		"empty":                       "",
		"protocol-relative":           "//evil.example/",
		"triple slash":                "///evil.example/",
		"backslash after slash":       `/\evil.example`,
		"backslashes":                 `\\evil.example`,
		"absolute other origin":       "https://evil.example/",
		"allowed host as suffix":      "https://admin.example.com.evil.example/",
		"allowed host other port":     "https://admin.example.com:8443/",
		"allowed origin other scheme": "http://admin.example.com/",
		"userinfo":                    "https://admin.example.com@evil.example/",
		"javascript":                  "javascript:alert(1)",
		"data":                        "data:text/html,<script>alert(1)</script>",
		"no leading slash":            "evil.example/path",
		"tab between slashes":         "/\t/evil.example",
		"newline between slashes":     "/\n/evil.example",
		"carriage return":             "/\r/evil.example",
		"NUL":                         "/\x00/evil.example",
		"leading space":               " /dashboard",
		"raw non-ASCII":               "/caf\u00e9",
		"fullwidth solidus":           "/\uff0f/evil.example",
		"DEL":                         "/\x7f",
		"too long":                    "/" + strings.Repeat("a", maxReturnTo),
	}
	for name, target := range refused {
		t.Run(name, func(t *testing.T) {
			if safeReturnTo(target, allowed) {
				t.Errorf("safeReturnTo(%q) = true, want false", target)
			}
		})
	}
}

func TestSafeReturnToAcceptsOwnPathsAndAllowedOrigins(t *testing.T) {
	allowed := []string{"https://admin.example.com/"}
	for _, target := range []string{
		"/",
		"/dashboard",
		"/orgs/acme/settings?tab=sso&x=%2F%2Fnot-a-host#top",
		"/a/b/../c",
		"https://admin.example.com/",
		"https://ADMIN.example.com/reports?q=1",
	} {
		if !safeReturnTo(target, allowed) {
			t.Errorf("safeReturnTo(%q) = false, want true", target)
		}
	}
	if safeReturnTo("https://admin.example.com/", nil) {
		t.Error("an absolute URL is accepted with no allow-list")
	}
}

func TestLoginRelayStateShape(t *testing.T) {
	rs, err := newRelayState(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !isLoginRelayState(rs) || len(rs) > 80 {
		t.Errorf("fresh RelayState %q is not recognised or exceeds the binding's 80 bytes", rs)
	}
	zero, _ := newRelayState(bytes.NewReader(make([]byte, 16)))
	if zero != "rs00000000000000000000000000000000" {
		t.Errorf("RelayState from zero randomness = %q", zero)
	}
	for _, other := range []string{"", "/dashboard", "rs", "RS00000000000000000000000000000000", "rs0000000000000000000000000000000g", "rs000000000000000000000000000000000"} {
		if isLoginRelayState(other) {
			t.Errorf("isLoginRelayState(%q) = true", other)
		}
	}
}
