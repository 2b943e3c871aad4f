package certs

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"strings"
	"testing"
	"time"
)

var warnNow = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// fakeCert is enough of a certificate for the expiry rules: a name, an end, bytes to
// fingerprint.
func fakeCert(name string, left time.Duration) *x509.Certificate {
	return &x509.Certificate{Raw: []byte(name), Subject: pkix.Name{CommonName: name},
		NotBefore: warnNow.Add(-365 * day), NotAfter: warnNow.Add(left)}
}

func TestExpiringCertificatesUsesEntrasWindows(t *testing.T) {
	cs := []*x509.Certificate{
		fakeCert("far", 61*day),
		fakeCert("sixty", 60*day),
		fakeCert("forty", 40*day),
		fakeCert("thirty", 30*day-time.Hour),
		fakeCert("week", 7*day),
		fakeCert("today", time.Hour),
		fakeCert("gone", -3*day),
		nil,
	}
	got := ExpiringCertificates("Contoso", cs, warnNow)
	want := []struct {
		name    string
		window  time.Duration
		expired bool
	}{
		{"gone", 0, true}, {"today", 7 * day, false}, {"week", 7 * day, false},
		{"thirty", 30 * day, false}, {"forty", 60 * day, false}, {"sixty", 60 * day, false},
	}
	if len(got) != len(want) {
		t.Fatalf("%d warnings, want %d: %v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Certificate.Subject.CommonName != w.name || g.Window != w.window || g.Expired != w.expired || g.Label != "Contoso" {
			t.Errorf("warning %d: %s window %v expired %v; want %s %v %v", i, g.Certificate.Subject.CommonName, g.Window, g.Expired, w.name, w.window, w.expired)
		}
	}
	// Custom windows: only 14 days.
	if got := ExpiringCertificates("", cs, warnNow, 14*day); len(got) != 3 {
		t.Errorf("14-day window: %d warnings, want 3 (gone, today, week)", len(got))
	}
}

func TestExpiryWarningMessageUsesPortalWords(t *testing.T) {
	soon := ExpiringCertificates("Contoso", []*x509.Certificate{fakeCert("Microsoft Azure Federated SSO Certificate", 12*day)}, warnNow)[0]
	for _, s := range []string{"Contoso: ", "expires on 2026-03-13, in 12 days", "SAML Certificates", `"Make certificate active"`, Thumbprint(soon.Certificate)} {
		if !strings.Contains(soon.String(), s) {
			t.Errorf("%q does not say %q", soon, s)
		}
	}
	gone := ExpiringCertificates("", []*x509.Certificate{fakeCert("old", -10*day)}, warnNow)[0]
	for _, s := range []string{"expired on 2026-02-19, 10 days ago", "App Federation Metadata Url"} {
		if !strings.Contains(gone.String(), s) {
			t.Errorf("%q does not say %q", gone, s)
		}
	}
}

// Checked daily over a certificate's last 70 days and two weeks past its end, the
// notifier sends at 60, 30 and 7 days, the day after expiry, and once a week after.
func TestExpiryNotifierSendsOncePerWindow(t *testing.T) {
	c := fakeCert("signing", 70*day)
	var sent []ExpiryWarning
	n := &ExpiryNotifier{Notify: func(w ExpiryWarning) { sent = append(sent, w) }}
	for d := range 85 {
		n.Check("Contoso", []*x509.Certificate{c}, warnNow.Add(time.Duration(d)*day))
	}
	if len(sent) != 6 || sent[0].Left != 60*day {
		t.Fatalf("sent %d notices, want 6, the first 60 days ahead: %v", len(sent), sent)
	}
	wantWindows := []time.Duration{60 * day, 30 * day, 7 * day}
	for i, w := range wantWindows {
		if sent[i].Window != w {
			t.Errorf("notice %d window %v, want %v", i, sent[i].Window, w)
		}
	}
	for i, ago := range []time.Duration{day, 7 * day, 14 * day} {
		if w := sent[3+i]; !w.Expired || -w.Left != ago {
			t.Errorf("reminder %d after expiry: %v, want %v after", i, w, ago)
		}
	}
	// A shared store decides instead of memory: a key already sent elsewhere is not sent.
	var stored = map[string]bool{}
	calls := 0
	shared := &ExpiryNotifier{Notify: func(ExpiryWarning) { calls++ },
		Sent: func(key string) bool { new := !stored[key]; stored[key] = true; return new }}
	other := &ExpiryNotifier{Notify: func(ExpiryWarning) { calls++ }, Sent: shared.Sent}
	shared.Check("Contoso", []*x509.Certificate{c}, warnNow.Add(15*day))
	other.Check("Contoso", []*x509.Certificate{c}, warnNow.Add(15*day))
	if calls != 1 {
		t.Errorf("two servers sharing Sent sent %d notices, want 1", calls)
	}
}
