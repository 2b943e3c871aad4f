package certs

import (
	"crypto/x509"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"
)

const day = 24 * time.Hour

// DefaultExpiryWindows are when Entra itself mails the Notification Email addresses of
// an application whose SAML signing certificate is about to expire: 60, 30 and 7 days
// before.
var DefaultExpiryWindows = []time.Duration{60 * day, 30 * day, 7 * day}

// ExpiryWarning is a trusted certificate that expires within a warning window, or has
// expired.
//
// Policy: pinned IdP certificates are trust anchors, not chains, so an expired one
// still verifies signatures unless the SP is configured to refuse it
// (sp.Config.RejectExpiredCertificates). Expiry is reported, here, so someone rotates
// the certificate before Entra stops signing with it or the SP starts refusing it.
type ExpiryWarning struct {
	Certificate *x509.Certificate
	// Label says whose certificate it is (an organization, an IdP entity ID), as passed
	// to ExpiringCertificates; it goes into the message.
	Label string
	// Window is the smallest window NotAfter falls in, e.g. 7 days; zero once expired.
	Window  time.Duration
	Expired bool
	// Left is the time until NotAfter, negative once expired.
	Left time.Duration
}

// Key identifies the warning for deduplication: one notification per certificate per
// window, and one per week once it has expired (WorkOS and Auth0 keep reminding after
// expiry too). Store sent keys to send each once across restarts and servers.
func (w ExpiryWarning) Key() string {
	if w.Expired {
		return fmt.Sprintf("%s/expired/%d", Fingerprint256(w.Certificate), int(-w.Left/(7*day)))
	}
	return fmt.Sprintf("%s/%dd", Fingerprint256(w.Certificate), int(w.Window/day))
}

// String is the notice in the words of Entra's portal, for an e-mail or a banner.
func (w ExpiryWarning) String() string {
	who := ""
	if w.Label != "" {
		who = w.Label + ": "
	}
	id := fmt.Sprintf("the IdP signing certificate %s (thumbprint %s)", quoteSubject(w.Certificate), Thumbprint(w.Certificate))
	end := w.Certificate.NotAfter.UTC().Format(time.DateOnly)
	if w.Expired {
		return fmt.Sprintf("%s%s expired on %s, %s ago. In Entra, open the application's Single sign-on page, "+
			"under SAML Certificates create a new certificate, select \"Make certificate active\", and give it to this application "+
			"(or use the App Federation Metadata Url, which always lists the current one).", who, id, end, days(-w.Left))
	}
	return fmt.Sprintf("%s%s expires on %s, in %s. In Entra, under SAML Certificates, add a new certificate and, once this "+
		"application trusts it (automatically with the App Federation Metadata Url, or paste it beside the current one), "+
		"select \"Make certificate active\".", who, id, end, days(w.Left))
}

func quoteSubject(c *x509.Certificate) string {
	if cn := c.Subject.CommonName; cn != "" {
		return fmt.Sprintf("%q", cn)
	}
	return fmt.Sprintf("%q", c.Subject.String())
}

// ExpiringCertificates lists the certificates in cs that expire within the largest of
// windows from now, or have expired, soonest first. No windows means
// DefaultExpiryWindows. Nil certificates are skipped.
func ExpiringCertificates(label string, cs []*x509.Certificate, now time.Time, windows ...time.Duration) []ExpiryWarning {
	if len(windows) == 0 {
		windows = DefaultExpiryWindows
	}
	ws := slices.Clone(windows)
	slices.Sort(ws) // smallest first
	var out []ExpiryWarning
	for _, c := range cs {
		if c == nil {
			continue
		}
		left := c.NotAfter.Sub(now)
		w := ExpiryWarning{Certificate: c, Label: label, Left: left}
		switch {
		case left < 0:
			w.Expired = true
		default:
			i := slices.IndexFunc(ws, func(d time.Duration) bool { return left <= d })
			if i < 0 {
				continue
			}
			w.Window = ws[i]
		}
		out = append(out, w)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Left < out[j].Left })
	return out
}

// ExpiryNotifier turns ExpiringCertificates into notifications an application can send
// as e-mails or webhooks: Check it on a schedule (daily is plenty) for every
// organization's certificates; Notify is called once per ExpiryWarning.Key.
//
// The memory of what was sent lives in Sent; the default is this process's memory,
// so a fleet or a restart sends again unless Sent is backed by a shared store (for
// example an INSERT on a unique key that reports whether the row is new).
type ExpiryNotifier struct {
	// Windows are the warning windows. Empty means DefaultExpiryWindows.
	Windows []time.Duration
	// Notify receives each warning once. Required.
	Notify func(ExpiryWarning)
	// Sent reports whether key is new, remembering it (true the first time). Nil means
	// an in-memory set.
	Sent func(key string) bool

	mu   sync.Mutex
	seen map[string]bool
}

// Check notifies the warnings for cs at now that were not notified before and returns
// how many it sent.
func (n *ExpiryNotifier) Check(label string, cs []*x509.Certificate, now time.Time) int {
	sent := 0
	for _, w := range ExpiringCertificates(label, cs, now, n.Windows...) {
		if n.first(label + "\x00" + w.Key()) {
			n.Notify(w)
			sent++
		}
	}
	return sent
}

func (n *ExpiryNotifier) first(key string) bool {
	if n.Sent != nil {
		return n.Sent(key)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.seen == nil {
		n.seen = map[string]bool{}
	}
	if n.seen[key] {
		return false
	}
	n.seen[key] = true
	return true
}
