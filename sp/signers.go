package sp

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/xmldsig"
	"github.com/ssokit/saml/metadata"
)

// Signer telemetry: which configured certificate signs, so an admin can be told
// "Entra still signs with X; the new certificate Y has not signed yet" during a rollover
// and "certificate Z has not signed in 40 days — remove it?" after one.

// SignerLog records when each IdP certificate last signed an accepted response. The SP
// writes to it after every accepted response (Config.SignerLog) under a key naming the
// SP and the IdP, so one log can serve every organization. A fleet shares one (a SQL
// table keyed by key and thumbprint; coalescing writes to one a minute per certificate
// loses nothing a report needs). MemorySignerLog is one for a single process.
type SignerLog interface {
	// RecordSigner notes that the certificate with thumbprint (certs.Thumbprint) signed
	// an accepted response for key at at.
	RecordSigner(ctx context.Context, key, thumbprint string, at time.Time) error
	// LastSigned returns when each certificate last signed for key, by thumbprint.
	LastSigned(ctx context.Context, key string) (map[string]time.Time, error)
}

// MemorySignerLog is a SignerLog in this process's memory.
type MemorySignerLog struct {
	// OnFirstSignature, if set, is called the first time a certificate signs for a key:
	// during a staged rollover, the moment the IdP switched to the new certificate.
	OnFirstSignature func(key, thumbprint string, at time.Time)

	mu sync.Mutex
	m  map[string]map[string]time.Time
}

// NewMemorySignerLog returns an empty MemorySignerLog.
func NewMemorySignerLog() *MemorySignerLog { return &MemorySignerLog{} }

func (l *MemorySignerLog) RecordSigner(_ context.Context, key, thumbprint string, at time.Time) error {
	l.mu.Lock()
	if l.m == nil {
		l.m = map[string]map[string]time.Time{}
	}
	if l.m[key] == nil {
		l.m[key] = map[string]time.Time{}
	}
	prev, seen := l.m[key][thumbprint]
	if at.After(prev) {
		l.m[key][thumbprint] = at
	}
	first := l.OnFirstSignature
	l.mu.Unlock()
	if !seen && first != nil {
		first(key, thumbprint, at)
	}
	return nil
}

func (l *MemorySignerLog) LastSigned(_ context.Context, key string) (map[string]time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]time.Time, len(l.m[key]))
	for k, v := range l.m[key] {
		out[k] = v
	}
	return out, nil
}

// SignerKey is the key this SP records its signers under in Config.SignerLog: its own
// entity ID and the IdP's, so organizations sharing one log (and one Entra tenant) never
// mix.
func (s *SP) SignerKey() string {
	return fmt.Sprintf("%d:%s %s", len(s.cfg.EntityID), s.cfg.EntityID, s.cfg.IdP.EntityID)
}

// recordSigner feeds Config.SignerLog from an accepted assertion. Telemetry never fails
// a login: a log that cannot write is logged and ignored.
func (s *SP) recordSigner(ctx context.Context, a *assertion.Assertion) {
	if s.cfg.SignerLog == nil || a == nil || a.Signer == nil {
		return
	}
	if err := s.cfg.SignerLog.RecordSigner(ctx, s.SignerKey(), certs.Thumbprint(a.Signer), s.now()); err != nil && s.cfg.Logger != nil {
		s.cfg.Logger.LogAttrs(ctx, slog.LevelWarn, "saml: could not record the signing certificate", slog.String("error", err.Error()))
	}
}

// CertificateUse is one configured IdP certificate and what the SignerLog says of it.
type CertificateUse struct {
	Certificate *x509.Certificate
	Thumbprint  string    // certs.Thumbprint, as Entra shows it
	LastSigned  time.Time // zero: no accepted response signed by it was recorded
}

// SignerReport says which configured certificate signs and what an admin should do
// about the others.
type SignerReport struct {
	Certificates []CertificateUse // every configured certificate, in configured order
	// Signing is the certificate that signed the most recent accepted response; nil
	// when none was recorded.
	Signing *CertificateUse
	// Notices are the facts for an admin, in the portal's words, e.g. "Entra still signs
	// with 1A2B…; the new certificate 3C4D… has not signed yet".
	Notices []string
}

// DefaultUnusedAfter is how long a configured certificate may go without signing
// before a SignerReport suggests removing it.
const DefaultUnusedAfter = 30 * 24 * time.Hour

// Signers reports on this SP's configured certificates from Config.SignerLog, at the
// SP's clock, suggesting removal after DefaultUnusedAfter without a signature.
func (s *SP) Signers(ctx context.Context) (*SignerReport, error) {
	if s.cfg.SignerLog == nil {
		return nil, fmt.Errorf("saml: Signers needs Config.SignerLog")
	}
	last, err := s.cfg.SignerLog.LastSigned(ctx, s.SignerKey())
	if err != nil {
		return nil, err
	}
	return ReportSigners(s.cfg.IdP, last, s.now(), 0), nil
}

// ReportSigners builds a SignerReport for idp's certificates from lastSigned (by
// thumbprint, as a SignerLog or an application's own sign-in log has them) at now.
// unusedAfter is when to suggest removing a certificate that stopped signing; zero
// means DefaultUnusedAfter.
func ReportSigners(idp *metadata.IdP, lastSigned map[string]time.Time, now time.Time, unusedAfter time.Duration) *SignerReport {
	if unusedAfter <= 0 {
		unusedAfter = DefaultUnusedAfter
	}
	r := &SignerReport{}
	for _, c := range idp.Certificates {
		tp := certs.Thumbprint(c)
		r.Certificates = append(r.Certificates, CertificateUse{Certificate: c, Thumbprint: tp, LastSigned: lastSigned[tp]})
	}
	for i := range r.Certificates {
		u := &r.Certificates[i]
		if !u.LastSigned.IsZero() && (r.Signing == nil || u.LastSigned.After(r.Signing.LastSigned)) {
			r.Signing = u
		}
	}
	who := idpName(idp)
	if r.Signing == nil {
		r.Notices = append(r.Notices, "no accepted sign-in recorded yet: the first one shows which certificate "+who+" signs with")
		return r
	}
	cur := r.Signing
	for i := range r.Certificates {
		u := &r.Certificates[i]
		if u == cur {
			continue
		}
		switch {
		case u.LastSigned.IsZero() && u.Certificate.NotBefore.After(cur.Certificate.NotBefore):
			r.Notices = append(r.Notices, fmt.Sprintf("%s still signs with %s; the new certificate %s has not signed yet "+
				"(in Entra, SAML Certificates: select \"Make certificate active\" on it when ready)", who, cur.Thumbprint, u.Thumbprint))
		case u.LastSigned.IsZero():
			r.Notices = append(r.Notices, fmt.Sprintf("certificate %s has not signed any sign-in recorded here; %s signs with %s — remove %s?",
				u.Thumbprint, who, cur.Thumbprint, u.Thumbprint))
		case now.Sub(u.LastSigned) >= unusedAfter:
			r.Notices = append(r.Notices, fmt.Sprintf("certificate %s has not signed in %s — remove it? (%s signs with %s)",
				u.Thumbprint, dayCount(now.Sub(u.LastSigned)), who, cur.Thumbprint))
		default:
			r.Notices = append(r.Notices, fmt.Sprintf("%s now signs with %s; %s last signed %s ago — keep it until no sign-in needs it",
				who, cur.Thumbprint, u.Thumbprint, dayCount(now.Sub(u.LastSigned))))
		}
	}
	if w := certs.ExpiringCertificates("", []*x509.Certificate{cur.Certificate}, now, 30*24*time.Hour); len(w) > 0 {
		if w[0].Expired {
			r.Notices = append(r.Notices, fmt.Sprintf("%s still signs with %s, which expired %s ago", who, cur.Thumbprint, dayCount(-w[0].Left)))
		} else {
			r.Notices = append(r.Notices, fmt.Sprintf("%s expires in %s and is still the certificate %s signs with", cur.Thumbprint, dayCount(w[0].Left), who))
		}
	}
	return r
}

func idpName(idp *metadata.IdP) string {
	if strings.HasPrefix(idp.EntityID, "https://sts.windows.net/") {
		return "Entra"
	}
	return "the IdP"
}

func dayCount(d time.Duration) string {
	n := int(d / (24 * time.Hour))
	switch {
	case n < 1:
		return "less than a day"
	case n == 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// checkSignerValidity judges the dates of the certificates that verified. Pinned IdP
// certificates are trust anchors, so by default an expired one still verifies (and
// Diagnose says so); RejectExpiredCertificates refuses it.
func checkSignerValidity(st *state) Check {
	const name = "signer validity"
	if st.trust == nil {
		return notApplicable("no trusted signature")
	}
	want := "signing certificates within their validity period"
	if !st.sp.cfg.RejectExpiredCertificates {
		want = "any configured certificate (expiry is reported, not enforced: this SP does not refuse expired certificates)"
	}
	var notes []string
	for _, v := range []*xmldsig.Verified{st.trust.response, st.trust.assertion} {
		if v == nil || v.Certificate == nil {
			continue
		}
		c := v.Certificate
		var bad string
		switch {
		case st.now.After(c.NotAfter):
			bad = "expired on " + c.NotAfter.UTC().Format(time.DateOnly)
		case st.now.Before(c.NotBefore):
			bad = "not valid before " + c.NotBefore.UTC().Format(time.RFC3339)
		}
		if bad == "" {
			continue
		}
		got := "signed by " + certs.Thumbprint(c) + ", which " + bad
		if st.sp.cfg.RejectExpiredCertificates {
			return failed(ErrSignature, name, want, got, fix(CodeSigningCertificate,
				"in Entra, under SAML Certificates, create a new certificate, select \"Make certificate active\", and configure it here (or use the App Federation Metadata Url)",
				"thumbprint", certs.Thumbprint(c)))
		}
		notes = append(notes, got)
	}
	if len(notes) > 0 {
		return passed(want, strings.Join(notes, "; ")+" (accepted)")
	}
	return passed(want, "every signing certificate within its validity period")
}
