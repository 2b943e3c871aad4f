package sp

import (
	"context"
	"errors"
	"strings"
	"testing"

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
