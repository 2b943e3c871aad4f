package metadata

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Refresh schedule defaults, after Shibboleth's reloading metadata providers: the next
// refresh comes at refreshDelayFactor of the document's own lifetime (validUntil or
// cacheDuration, whichever ends first), clamped to [MinRefresh, MaxRefresh].
const (
	DefaultMinRefresh            = 30 * time.Second
	DefaultMaxRefresh            = 4 * time.Hour
	DefaultUnknownSignerInterval = 5 * time.Minute
	refreshDelayFactor           = 0.75
	maxLifetime                  = 10 * 365 * 24 * time.Hour
)

// lifetime is what a metadata document says about its own freshness.
type lifetime struct {
	ValidUntil    time.Time     // earliest validUntil of the root and the IdP's EntityDescriptor; zero if none
	CacheDuration time.Duration // shortest cacheDuration of those; zero if none
}

// readLifetime reads validUntil and cacheDuration from the root element and from the
// EntityDescriptor of entityID. It runs only on documents ParseIdPEntity (or
// ParseSignedIdP, whose signature covers the root and so these attributes) accepted,
// so the gate's bounds already hold; it stops at that EntityDescriptor.
func readLifetime(data []byte, entityID string) (lifetime, error) {
	var lt lifetime
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))))
	d.Strict = true
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return lt, nil // the parser already accepted the document; the end of it
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if t.Name.Space != nsMetadata || (t.Name.Local != "EntityDescriptor" && t.Name.Local != "EntitiesDescriptor") {
				continue
			}
			mine := t.Name.Local == "EntityDescriptor" && unprefixed(t.Attr, "entityID") == entityID
			if depth != 1 && !mine {
				continue
			}
			if v := unprefixed(t.Attr, "validUntil"); v != "" {
				at, err := time.Parse(time.RFC3339Nano, v)
				if err != nil {
					return lt, &Error{Kind: ErrNoIdP, Field: t.Name.Local + " validUntil", Found: fmt.Sprintf("%q", v), Expected: "an xs:dateTime such as 2026-01-02T15:04:05Z"}
				}
				if lt.ValidUntil.IsZero() || at.Before(lt.ValidUntil) {
					lt.ValidUntil = at
				}
			}
			if v := unprefixed(t.Attr, "cacheDuration"); v != "" {
				cd, err := parseDuration(v)
				if err != nil {
					return lt, &Error{Kind: ErrNoIdP, Field: t.Name.Local + " cacheDuration", Found: fmt.Sprintf("%q", v), Expected: "an xs:duration such as PT6H", Err: err}
				}
				if lt.CacheDuration == 0 || cd < lt.CacheDuration {
					lt.CacheDuration = cd
				}
			}
			if mine {
				return lt, nil
			}
		case xml.EndElement:
			depth--
		}
	}
}

func unprefixed(attrs []xml.Attr, name string) string {
	for _, a := range attrs {
		if a.Name.Space == "" && a.Name.Local == name {
			return strings.TrimSpace(a.Value)
		}
	}
	return ""
}

// maxDurationDigits bounds one number of an xs:duration (digits and point).
const maxDurationDigits = 32

// parseDuration reads a non-negative xs:duration (PnYnMnDTnHnMnS). Years count 365 days
// and months 30: metadata lifetimes are hours to weeks, where that is exact enough.
func parseDuration(s string) (time.Duration, error) {
	if !strings.HasPrefix(s, "P") || len(s) < 3 {
		return 0, errors.New("not an xs:duration (a negative one is refused)")
	}
	var total time.Duration
	units := map[byte]time.Duration{'Y': 365 * 24 * time.Hour, 'M': 30 * 24 * time.Hour, 'W': 7 * 24 * time.Hour, 'D': 24 * time.Hour}
	timeUnits := map[byte]time.Duration{'H': time.Hour, 'M': time.Minute, 'S': time.Second}
	// num is s[start:i], sliced rather than gathered byte by byte (a growing string cost
	// time quadratic in an attribute of a quarter megabyte), and never longer than
	// maxDurationDigits: ten years in seconds has nine digits.
	inTime, num, start := false, "", 1
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == 'T' && !inTime && num == "":
			inTime = true
			start = i + 1
		case c >= '0' && c <= '9' || c == '.':
			if num = s[start : i+1]; len(num) > maxDurationDigits {
				return 0, fmt.Errorf("a number of more than %d characters", maxDurationDigits)
			}
		default:
			unit, ok := units[c]
			if inTime {
				unit, ok = timeUnits[c]
			}
			if !ok || num == "" {
				return 0, fmt.Errorf("unexpected %q", c)
			}
			f, err := strconv.ParseFloat(num, 64)
			if err != nil || f*float64(unit)+float64(total) > float64(maxLifetime) {
				return 0, fmt.Errorf("number %q (at most 10 years in all)", num)
			}
			total += time.Duration(f * float64(unit))
			num, start = "", i+1
		}
	}
	if num != "" {
		return 0, errors.New("a number without a unit")
	}
	return total, nil
}

// schedule returns how long after a successful fetch at now the next one is due.
func (r *Remote) schedule(now time.Time, lt lifetime, maxAge time.Duration) time.Duration {
	life := lt.CacheDuration
	if !lt.ValidUntil.IsZero() {
		if left := lt.ValidUntil.Sub(now); life == 0 || left < life {
			life = left
		}
	}
	if life == 0 {
		life = maxAge
	}
	d := r.maxRefresh
	if life > 0 {
		d = time.Duration(float64(life) * refreshDelayFactor)
	}
	d = min(max(d, r.minRefresh), r.maxRefresh)
	if r.jitter != nil {
		// Up to a tenth earlier, so servers that started together, or adopted one shared
		// copy, do not all come due at the same instant.
		d -= r.jitter(d / 10)
	}
	return d
}

// randomJitter returns a random duration in [0, n).
func randomJitter(n time.Duration) time.Duration {
	if n <= 0 {
		return 0
	}
	return rand.N(n)
}

// backoff returns how long after the n-th consecutive failure (n ≥ 1) the next attempt
// is due: MinRefresh doubled per failure, at most MaxRefresh.
func (r *Remote) backoff(n int) time.Duration {
	d := r.minRefresh
	for i := 1; i < n && d < r.maxRefresh; i++ {
		d *= 2
	}
	return min(d, r.maxRefresh)
}
