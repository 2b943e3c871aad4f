package sp

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ssokit/saml/internal/samltest"
)

func TestDiagnoseReportsEveryFailedCheckOfABadConfig(t *testing.T) {
	idp := samltest.DefaultIdP()
	cfg := genConfig(idp)
	cfg.EntityID = "https://app.example/wrong-entity"
	cfg.ACSURL = "https://app.example/wrong-acs"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(context.Background(), genResponse(t, idp, samltest.Options{}), samltest.RequestID)
	if d.OK {
		t.Fatal("OK with a wrong Entity ID and ACS URL")
	}
	failed := map[string]Check{}
	for _, c := range d.Failed() {
		failed[c.Name] = c
	}
	want := map[string]error{"destination": ErrDestination, "recipient": ErrDestination, "audience": ErrAudience}
	for name, kind := range want {
		c, ok := failed[name]
		if !ok {
			t.Errorf("check %q did not fail; failed: %v", name, d.Failed())
			continue
		}
		if !errors.Is(c.Err, kind) || c.Expected == "" || c.Received == "" || c.Fix == "" {
			t.Errorf("check %q = %+v", name, c)
		}
	}
	if len(failed) != len(want) {
		t.Errorf("failed checks = %v, want exactly %v", d.Failed(), want)
	}
	if !strings.Contains(failed["audience"].Received, samltest.SPEntityID) || !strings.Contains(failed["audience"].Fix, cfg.EntityID) {
		t.Errorf("audience check does not say what arrived and what to set: %+v", failed["audience"])
	}
	if d.Signed == nil || d.Signed.NameID.Value != samltest.UserEmail {
		t.Errorf("Signed = %+v, want the verified assertion for display", d.Signed)
	}
	if d.Assertion != nil {
		t.Error("Assertion is set for a response ValidateResponse rejects; a caller could sign someone in with it")
	}
}

func TestDiagnoseNamesTheSignerAndTheConfiguredThumbprints(t *testing.T) {
	real, other := samltest.DefaultIdP(), samltest.OtherTenantIdP()
	s, err := New(genConfig(real))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(context.Background(), genResponse(t, other, samltest.Options{}), samltest.RequestID)
	var sig *Check
	for i := range d.Checks {
		if d.Checks[i].Name == "assertion signature" {
			sig = &d.Checks[i]
		}
	}
	if sig == nil || sig.Status != Failed {
		t.Fatalf("assertion signature check = %+v", sig)
	}
	if !strings.Contains(sig.Received, derThumbprint(other.Cert.Raw)) || !strings.Contains(sig.Expected, derThumbprint(real.Cert.Raw)) {
		t.Errorf("signature check does not name both thumbprints: %+v", sig)
	}
	if d.Assertion != nil || d.Signed != nil {
		t.Error("an unverified assertion was returned")
	}
	// The other tenant's issuer is reported too, read from the unverified response.
	var issuerFailed bool
	for _, c := range d.Failed() {
		issuerFailed = issuerFailed || c.Name == "assertion issuer"
	}
	if !issuerFailed {
		t.Errorf("issuer mismatch not reported: %v", d.Failed())
	}
}

func TestDiagnoseAgreesWithValidate(t *testing.T) {
	idp := samltest.DefaultIdP()
	form := genResponse(t, idp, samltest.Options{})
	s, err := New(genConfig(idp))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(context.Background(), form, samltest.RequestID)
	if !d.OK || len(d.Failed()) != 0 || len(d.Checks) != len(pipeline) {
		t.Fatalf("Diagnose of a valid response: OK=%v failed=%v", d.OK, d.Failed())
	}
	// Diagnose consumed the assertion: it cannot be replayed to log in.
	if _, err := s.ValidateResponse(context.Background(), form, samltest.RequestID); !errors.Is(err, ErrReplay) {
		t.Fatalf("ValidateResponse after Diagnose: err = %v, want ErrReplay", err)
	}
}

func TestDiagnoseStopsAfterAGateCheck(t *testing.T) {
	s, err := New(genConfig(samltest.DefaultIdP()))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(context.Background(), "not base64!")
	if d.OK || d.Checks[1].Status != Failed || d.Checks[len(d.Checks)-1].Status != NotRun {
		t.Fatalf("checks = %+v", d.Checks)
	}
}

func TestDiagnoseNamesARefusedStatusAsTheStatusCheck(t *testing.T) {
	idp := samltest.DefaultIdP()
	s, err := New(genConfig(idp))
	if err != nil {
		t.Fatal(err)
	}
	form := genResponse(t, idp, samltest.Options{Status: samltest.StatusRequester,
		StatusMessage: "AADSTS50105: not assigned", NoAssertion: true})
	d := s.Diagnose(context.Background(), form, samltest.RequestID)
	failed := d.Failed()
	if d.OK || len(failed) != 1 || failed[0].Name != "status" || !strings.Contains(failed[0].Received, "AADSTS50105") {
		t.Fatalf("failed checks = %+v, want one named status carrying the AADSTS code", failed)
	}
}

// FuzzDiagnose runs every check on mutated documents, including the checks that
// ValidateResponse would never reach with unverified input.
func FuzzDiagnose(f *testing.F) {
	idp := samltest.DefaultIdP()
	for _, sign := range []samltest.Placement{samltest.SignAssertion, samltest.SignResponse, samltest.SignBoth, samltest.SignNone} {
		f.Add(idp.MustResponse(f, samltest.Options{Sign: sign}))
	}
	f.Add(idp.MustResponse(f, samltest.Options{EncryptTo: samltest.DefaultSP().Cert}))
	f.Add(idp.MustResponse(f, samltest.Options{NoAssertion: true, Status: samltest.StatusRequester}))
	cfg := genConfig(idp)
	cfg.Key = samltest.DefaultSP().KeyPair()
	cfg.ReplayCache = forgetful{}
	s, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		d := s.Diagnose(context.Background(), samltest.Encode(doc), samltest.RequestID)
		if len(d.Checks) != len(pipeline) {
			t.Fatalf("%d checks reported, want %d", len(d.Checks), len(pipeline))
		}
		if d.OK != (len(d.Failed()) == 0) {
			t.Fatal("OK disagrees with the failed checks")
		}
		if d.OK != (d.Assertion != nil) {
			t.Fatalf("OK = %v with Assertion %v: the assertion is given exactly when OK", d.OK, d.Assertion)
		}
	})
}

// #17: one misconfiguration, one thing to fix. For each mistake an admin makes, Diagnose
// fails the checks that mistake breaks and no others, and they all give the same advice
// (a wrong Reply URL fails Destination and Recipient: both say "set the Reply URL"), so
// no second failure sends the admin to a setting that is right.
func TestDiagnoseGivesOneFixPerMisconfiguration(t *testing.T) {
	idp, spk := samltest.DefaultIdP(), samltest.DefaultSP()
	later := func(d time.Duration) func(*Config) {
		return func(c *Config) { c.Now = func() time.Time { return samltest.Now.Add(d) } }
	}
	cases := []struct {
		name   string
		config func(*Config)
		idp    *samltest.IdP // signs the response; nil: the configured IdP
		opts   samltest.Options
		failed []string // the checks that fail, in pipeline order
		code   string   // the one fix they all give
	}{
		{"wrong certificate (rollover not configured)", nil, samltest.NextIdP(), samltest.Options{},
			[]string{"assertion signature"}, CodeSigningCertificate},
		{"wrong certificate, Sign SAML response", nil, samltest.NextIdP(), samltest.Options{Sign: samltest.SignResponse},
			[]string{"response signature"}, CodeSigningCertificate},
		{"wrong certificate, Sign SAML response and assertion", nil, samltest.NextIdP(), samltest.Options{Sign: samltest.SignBoth},
			[]string{"response signature", "assertion signature"}, CodeSigningCertificate},
		{"wrong certificate, token encryption, signed Response", func(c *Config) { c.Key = spk.KeyPair() }, samltest.NextIdP(),
			samltest.Options{Sign: samltest.SignBoth, EncryptTo: spk.Cert}, []string{"response signature"}, CodeSigningCertificate},
		{"wrong certificate, token encryption", func(c *Config) { c.Key = spk.KeyPair() }, samltest.NextIdP(),
			samltest.Options{EncryptTo: spk.Cert}, []string{"assertion signature"}, CodeSigningCertificate},
		{"wrong SP Entity ID (Identifier)", func(c *Config) { c.EntityID = "https://app.example/other-entity" }, nil, samltest.Options{},
			[]string{"audience"}, CodeIdentifier},
		{"wrong IdP Entity ID", func(c *Config) { c.IdP.EntityID = samltest.IssuerFor(samltest.OtherTenantID) }, nil, samltest.Options{},
			[]string{"response issuer", "assertion issuer"}, CodeIdPEntityID},
		{"wrong Reply URL", func(c *Config) { c.ACSURL = "https://app.example/other-acs" }, nil, samltest.Options{},
			[]string{"destination", "recipient"}, CodeReplyURL},
		{"Sign SAML response while this SP requires signed assertions", func(c *Config) { c.RequireSignedAssertion = true }, nil,
			samltest.Options{Sign: samltest.SignResponse}, []string{"assertion signature"}, CodeRequireSignedAssertion},
		{"Sign SAML assertion while this SP requires a signed Response", func(c *Config) { c.RequireSignedResponse = true }, nil,
			samltest.Options{}, []string{"response signature"}, CodeRequireSignedResponse},
		{"required signed Response, token encryption", func(c *Config) { c.RequireSignedResponse = true; c.Key = spk.KeyPair() }, nil,
			samltest.Options{EncryptTo: spk.Cert}, []string{"response signature"}, CodeRequireSignedResponse},
		{"no signature at all", nil, nil, samltest.Options{Sign: samltest.SignNone},
			[]string{"signature coverage"}, CodeSignAssertion},
		{"expired", later(3 * time.Hour), nil, samltest.Options{},
			[]string{"subject confirmation time", "conditions time"}, CodeExpired},
		{"too old, not expired", later(10 * time.Minute), nil, samltest.Options{},
			[]string{"issue instant"}, CodeTooOld},
		{"from another tenant", nil, samltest.OtherTenantIdP(), samltest.Options{},
			[]string{"assertion signature", "response issuer", "assertion issuer"}, CodeOtherIdP},
		{"AADSTS refusal", nil, nil, samltest.Options{Status: samltest.StatusRequester, StatusMessage: "AADSTS50105: not assigned", NoAssertion: true},
			[]string{"status"}, CodeEntraSignInLogs},
		{"AADSTS refusal with an assertion", nil, nil, samltest.Options{Status: samltest.StatusRequester, StatusMessage: "AADSTS50105: not assigned"},
			[]string{"status"}, CodeEntraSignInLogs},
		{"IdP-initiated, not allowed", nil, nil, samltest.Options{Unsolicited: true},
			[]string{"in response to"}, CodeIdPInitiated},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := genConfig(idp)
			if c.config != nil {
				c.config(&cfg)
			}
			s, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			from := c.idp
			if from == nil {
				from = idp
			}
			form := genResponse(t, from, c.opts)
			d := s.Diagnose(context.Background(), form, samltest.RequestID)
			var names []string
			for _, f := range d.Failed() {
				names = append(names, f.Name)
				if code := f.Err.(*Error).FixCode; code != c.code {
					t.Errorf("check %q: fix %q (%s), want %q", f.Name, code, f.Fix, c.code)
				}
			}
			if d.OK || strings.Join(names, ", ") != strings.Join(c.failed, ", ") {
				t.Fatalf("OK=%v, failed checks %q, want %q: %+v", d.OK, names, c.failed, d.Failed())
			}
			// Validate refuses with the first of them, and its advice is the same.
			_, err = s.ValidateResponse(context.Background(), form, samltest.RequestID)
			var e *Error
			if !errors.As(err, &e) || e.Check != c.failed[0] || e.FixCode != c.code {
				t.Fatalf("ValidateResponse: %v, want check %q with fix %q", err, c.failed[0], c.code)
			}
		})
	}
}

// The checks that stand down after a failed signature still trust nothing: a
// signature that did not verify leaves no trusted assertion for Diagnose to show.
func TestDiagnoseAfterAFailedSignatureTrustsNothing(t *testing.T) {
	s, err := New(genConfig(samltest.DefaultIdP()))
	if err != nil {
		t.Fatal(err)
	}
	d := s.Diagnose(context.Background(), genResponse(t, samltest.NextIdP(), samltest.Options{}), samltest.RequestID)
	for _, c := range d.Checks {
		if c.Name == "signature coverage" && c.Status != NotRun {
			t.Errorf("signature coverage = %+v, want not run", c)
		}
	}
	if d.OK || d.Signed != nil || d.Assertion != nil {
		t.Fatalf("OK=%v Signed=%v Assertion=%v after an untrusted signature", d.OK, d.Signed, d.Assertion)
	}
}
