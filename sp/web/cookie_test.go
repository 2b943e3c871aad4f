package web

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestCookieCodecRefusesAnythingItDidNotSeal(t *testing.T) {
	c := cookieCodec{key: []byte(strings.Repeat("k", 32))}
	value, err := c.seal("saml-req-rsA", pendingCookie{ID: "id1", ReturnTo: "/x", Expires: 100})
	if err != nil {
		t.Fatal(err)
	}
	var ok pendingCookie
	if err := c.open("saml-req-rsA", value, &ok); err != nil || ok.ID != "id1" || ok.ReturnTo != "/x" || ok.Expires != 100 {
		t.Fatalf("round trip: %+v, %v", ok, err)
	}
	payload, mac, _ := strings.Cut(value, ".")
	forgedPayload, _ := c.seal("saml-req-rsA", pendingCookie{ID: "idATTACKER", ReturnTo: "/x", Expires: 100})
	fp, _, _ := strings.Cut(forgedPayload, ".")
	tests := map[string]struct{ name, value string }{
		"payload swapped, MAC kept":   {"saml-req-rsA", fp + "." + mac},
		"MAC cut off":                 {"saml-req-rsA", payload},
		"MAC emptied":                 {"saml-req-rsA", payload + "."},
		"moved to another RelayState": {"saml-req-rsB", value},
		"moved to the session cookie": {"saml-session", value},
		"not base64":                  {"saml-req-rsA", "!!!." + mac},
		"garbage":                     {"saml-req-rsA", "garbage"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			var p pendingCookie
			if err := c.open(tt.name, tt.value, &p); !errors.Is(err, errCookieInvalid) {
				t.Errorf("open = %v (%+v), want errCookieInvalid", err, p)
			}
		})
	}
	other := cookieCodec{key: []byte(strings.Repeat("o", 32))}
	var p pendingCookie
	if err := other.open("saml-req-rsA", value, &p); !errors.Is(err, errCookieInvalid) {
		t.Errorf("a cookie sealed with another key opened: %v", err)
	}
}

func TestCookieCodecRefusesOversizedValues(t *testing.T) {
	c := cookieCodec{key: []byte(strings.Repeat("k", 32))}
	if _, err := c.seal("n", pendingCookie{ReturnTo: strings.Repeat("a", maxCookieBytes)}); err == nil {
		t.Error("sealed a cookie over the size limit")
	}
}

// A MAC spelled another way (same bytes, other unused low bits in the last base64
// character) does not open: each sealed value has one spelling.
func TestCookieCodecRefusesAnotherSpellingOfTheMAC(t *testing.T) {
	c := cookieCodec{key: []byte(strings.Repeat("k", 32))}
	for i := range 64 {
		value, err := c.seal("saml-req-rsA", pendingCookie{ID: fmt.Sprint("id", i), Expires: 100})
		if err != nil {
			t.Fatal(err)
		}
		last := strings.IndexByte(b64Alphabet, value[len(value)-1])
		for alt := last &^ 3; alt < last&^3+4; alt++ {
			if alt == last {
				continue
			}
			respelled := value[:len(value)-1] + string(b64Alphabet[alt])
			var p pendingCookie
			if err := c.open("saml-req-rsA", respelled, &p); err == nil {
				t.Fatalf("%s opened as %s", respelled, value)
			}
		}
	}
}

const b64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
