package sp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/certs"
	"github.com/ssokit/saml/internal/samltest"
	"github.com/ssokit/saml/metadata"
)

// dated is a signer with key and a certificate for it valid from notBefore to notAfter:
// Entra's "New Certificate" makes one like it (same tenant, new dates).
func dated(t *testing.T, key *rsa.PrivateKey, serial int64, notBefore, notAfter time.Time) *samltest.IdP {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "Microsoft Azure Federated SSO Certificate"},
		NotBefore: notBefore, NotAfter: notAfter, KeyUsage: x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return samltest.NewIdP(samltest.TenantID, samltest.Pair{Key: key, Cert: c})
}

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func hasNotice(r *SignerReport, parts ...string) bool {
	for _, n := range r.Notices {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(n, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// A staged Entra rollover as the SP sees it: the new certificate is configured beside
// the old one; the report says the old still signs; the first response signed by the
// new one is announced; then the report says the new one signs.
func TestSignerTelemetryDuringStagedRollover(t *testing.T) {
	oldIdP := dated(t, samltest.DefaultIdP().Key, 1, date("2023-06-01"), date("2026-06-01"))
	newIdP := dated(t, samltest.NextIdP().Key, 2, date("2026-02-01"), date("2029-02-01"))
	oldTP, newTP := certs.Thumbprint(oldIdP.Cert), certs.Thumbprint(newIdP.Cert)
	var first []string
	log := NewMemorySignerLog()
	log.OnFirstSignature = func(_, tp string, _ time.Time) { first = append(first, tp) }
	cfg := genConfig(oldIdP)
	cfg.IdP.Certificates = []*x509.Certificate{oldIdP.Cert, newIdP.Cert}
	cfg.SignerLog = log
	now := samltest.Now.Add(2 * time.Second)
	cfg.Now = func() time.Time { return now }
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	r, err := s.Signers(ctx)
	if err != nil || r.Signing != nil || !hasNotice(r, "no accepted sign-in recorded yet") {
		t.Fatalf("before any login: %+v, %v", r, err)
	}
	if _, err := s.ValidateResponse(ctx, responseFrom(t, oldIdP, "old"), requestFor("old")); err != nil {
		t.Fatal(err)
	}
	r, _ = s.Signers(ctx)
	if r.Signing == nil || r.Signing.Thumbprint != oldTP || !hasNotice(r, "Entra still signs with "+oldTP, "the new certificate "+newTP+" has not signed yet", "Make certificate active") {
		t.Fatalf("old signing: %+v", r)
	}

	// The admin clicks "Make certificate active": the next login is signed by the new one.
	now = now.Add(time.Minute)
	a, err := s.ValidateResponse(ctx, responseFrom(t, newIdP, "new"), requestFor("new"))
	if err != nil {
		t.Fatal(err)
	}
	if !a.Signer.Equal(newIdP.Cert) {
		t.Fatalf("assertion signer %s, want the new certificate", certs.Thumbprint(a.Signer))
	}
	r, _ = s.Signers(ctx)
	if r.Signing.Thumbprint != newTP || !hasNotice(r, "Entra now signs with "+newTP, oldTP+" last signed less than a day ago") {
		t.Fatalf("new signing: %+v", r.Notices)
	}
	if strings.Join(first, ",") != oldTP+","+newTP {
		t.Fatalf("first signatures announced: %v, want old then new", first)
	}
}

// Only accepted responses count: a replayed or otherwise refused response that a
// trusted certificate signed does not make that certificate look current.
func TestSignerTelemetryIgnoresRejectedResponses(t *testing.T) {
	idp := samltest.DefaultIdP()
	log := NewMemorySignerLog()
	cfg := genConfig(idp)
	cfg.SignerLog = log
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	wrong := genResponse(t, idp, samltest.Options{Sign: samltest.SignAssertion, Audience: "https://other.example/", InResponseTo: requestFor("w")})
	if _, err := s.ValidateResponse(ctx, wrong, requestFor("w")); !errors.Is(err, ErrAudience) {
		t.Fatalf("wrong audience: %v", err)
	}
	if last, _ := log.LastSigned(ctx, s.SignerKey()); len(last) != 0 {
		t.Fatalf("a refused response was recorded: %v", last)
	}
	if d := s.Diagnose(ctx, wrong, requestFor("w")); d.OK {
		t.Fatal("diagnose accepted")
	}
	if last, _ := log.LastSigned(ctx, s.SignerKey()); len(last) != 0 {
		t.Fatalf("a failed Diagnose was recorded: %v", last)
	}
	ok := responseFrom(t, idp, "ok")
	if _, err := s.ValidateResponse(ctx, ok, requestFor("ok")); err != nil {
		t.Fatal(err)
	}
	if last, _ := log.LastSigned(ctx, s.SignerKey()); len(last) != 1 {
		t.Fatalf("accepted response not recorded: %v", last)
	}
	// Organizations sharing one log do not mix.
	other := cfg
	other.EntityID = "https://app.example/organizations/other/saml"
	s2, _ := New(other)
	if last, _ := log.LastSigned(ctx, s2.SignerKey()); len(last) != 0 || s2.SignerKey() == s.SignerKey() {
		t.Fatalf("another SP sees %v", last)
	}
}

func TestReportSignersFacts(t *testing.T) {
	old := dated(t, samltest.DefaultIdP().Key, 1, date("2023-06-01"), date("2026-06-01")).Cert
	cur := dated(t, samltest.NextIdP().Key, 2, date("2026-02-01"), date("2026-03-20")).Cert
	spare := dated(t, samltest.DefaultIdP().Key, 3, date("2020-01-01"), date("2030-01-01")).Cert
	idp := &metadata.IdP{EntityID: samltest.IssuerFor(samltest.TenantID), Certificates: []*x509.Certificate{old, cur, spare}}
	now := date("2026-03-05")
	tp := certs.Thumbprint
	r := ReportSigners(idp, map[string]time.Time{tp(old): now.Add(-40 * 24 * time.Hour), tp(cur): now.Add(-time.Hour)}, now, 0)
	if r.Signing == nil || r.Signing.Certificate != cur {
		t.Fatalf("signing: %+v", r.Signing)
	}
	for _, want := range [][]string{
		{"certificate " + tp(old) + " has not signed in 40 days — remove it?"},
		{"certificate " + tp(spare) + " has not signed any sign-in recorded here", "remove"},
		{tp(cur) + " expires in 15 days and is still the certificate Entra signs with"},
	} {
		if !hasNotice(r, want...) {
			t.Errorf("no notice %q in %q", want, r.Notices)
		}
	}
	// A shorter threshold turns "keep it" into "remove it?".
	r = ReportSigners(idp, map[string]time.Time{tp(old): now.Add(-3 * 24 * time.Hour), tp(cur): now}, now, 0)
	if !hasNotice(r, tp(old)+" last signed 3 days ago — keep it") {
		t.Errorf("recent old signer: %q", r.Notices)
	}
	r = ReportSigners(idp, map[string]time.Time{tp(old): now.Add(-3 * 24 * time.Hour), tp(cur): now}, now, 2*24*time.Hour)
	if !hasNotice(r, tp(old)+" has not signed in 3 days — remove it?") {
		t.Errorf("unusedAfter 2 days: %q", r.Notices)
	}
	other := &metadata.IdP{EntityID: "https://idp.example/", Certificates: []*x509.Certificate{old, cur}}
	if r := ReportSigners(other, map[string]time.Time{tp(old): now}, now, 0); !hasNotice(r, "the IdP still signs with "+tp(old)) {
		t.Errorf("non-Entra IdP: %q", r.Notices)
	}
	if r := ReportSigners(idp, map[string]time.Time{tp(cur): now}, date("2026-04-01"), 0); !hasNotice(r, "Entra still signs with "+tp(cur)+", which expired 12 days ago") {
		t.Errorf("expired signer: %q", r.Notices)
	}
}

// Pinned certificates are trust anchors: an expired one verifies and Diagnose reports
// it; RejectExpiredCertificates refuses it with a fix in Entra's words.
func TestRejectExpiredCertificates(t *testing.T) {
	expired := dated(t, samltest.DefaultIdP().Key, 1, date("2023-01-01"), date("2026-01-01"))
	early := dated(t, samltest.DefaultIdP().Key, 2, date("2027-01-01"), date("2030-01-01"))
	valid := dated(t, samltest.DefaultIdP().Key, 3, date("2025-01-01"), date("2028-01-01"))
	ctx := context.Background()
	for _, tc := range []struct {
		idp    *samltest.IdP
		reject bool
		want   error
		says   string
	}{
		{expired, false, nil, "expired on 2026-01-01 (accepted)"},
		{expired, true, ErrSignature, "expired on 2026-01-01"},
		{early, true, ErrSignature, "not valid before 2027-01-01"},
		{valid, true, nil, "every signing certificate within its validity period"},
	} {
		label := certs.Thumbprint(tc.idp.Cert) + map[bool]string{true: "-reject", false: ""}[tc.reject]
		cfg := genConfig(tc.idp)
		cfg.RejectExpiredCertificates = tc.reject
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		resp := responseFrom(t, tc.idp, label)
		d := s.Diagnose(ctx, resp, requestFor(label))
		var check Check
		for _, c := range d.Checks {
			if c.Name == "signer validity" {
				check = c
			}
		}
		if !strings.Contains(check.Received, tc.says) {
			t.Errorf("%s: signer validity says %q, want %q", label, check.Received, tc.says)
		}
		_, err = s.ValidateResponse(ctx, responseFrom(t, tc.idp, label+"v"), requestFor(label+"v"))
		if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
			t.Errorf("%s: %v, want %v", label, err, tc.want)
		}
		if tc.want != nil && !strings.Contains(err.Error(), "Make certificate active") {
			t.Errorf("%s: %v does not say what to do in Entra", label, err)
		}
	}
}
