package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ssokit/saml/assertion"
)

// TestStoreSurvivesReopen writes every kind of record, closes the database, opens it again
// and reads the same values back.
func TestStoreSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orgsso.db")
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := &IdPSettings{SignOnURL: entraLogin, Certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", SignedAssertions: true, AllowIdPInitiated: true}
	want := &Org{Slug: "acme", Name: "Acme Corp", CreatedAt: fixedNow}
	if err := s.CreateOrg(ctx, want); err != nil {
		t.Fatal(err)
	}
	want.Pending, want.PendingVersion, want.TestedVersion = settings, 3, 3
	want.Active, want.ActiveVersion, want.Enabled = settings, 3, true
	want.LastTest = &TestResult{Version: 3, At: fixedNow, OK: true, NameID: "adele@contoso.example",
		Checks: []CheckView{{Name: "audience", Status: "passed", Received: "x"}}, Claims: []ClaimView{{Name: assertion.ClaimGroups, Values: []string{"a", "b"}}}}
	if err := s.SaveOrg(ctx, want); err != nil {
		t.Fatal(err)
	}
	member := &Member{Org: "acme", NameID: "adele@contoso.example", ObjectID: "oid", Email: "adele@contoso.example",
		DisplayName: "Adele Vance", Groups: []string{"g1", "g2"}, Claims: []ClaimView{{Name: assertion.ClaimObjectID, Values: []string{"oid"}}}, LastLogin: fixedNow}
	if err := s.SaveMember(ctx, member); err != nil {
		t.Fatal(err)
	}
	key, err := s.CookieKey(ctx)
	if err != nil || len(key) != 32 {
		t.Fatalf("cookie key %x, %v", key, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Org(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("org after reopen:\n got %+v\nwant %+v", got, want)
	}
	gotMember, err := s.Member(ctx, "acme", "adele@contoso.example")
	if err != nil || !reflect.DeepEqual(gotMember, member) {
		t.Errorf("member after reopen:\n got %+v (%v)\nwant %+v", gotMember, err, member)
	}
	key2, err := s.CookieKey(ctx)
	if err != nil || !bytes.Equal(key, key2) {
		t.Errorf("cookie key changed across reopen: %x → %x (%v)", key, key2, err)
	}
	if _, err := s.Org(ctx, "nope"); err != ErrNoOrg {
		t.Errorf("unknown org: %v, want ErrNoOrg", err)
	}
}

// TestAppRestartKeepsDemoIdPKeyAndEnabledOrg: after a restart the demo IdP signs with the
// same key, so the certificate pasted into an organization still verifies, and the first
// start's demo organization is not created twice.
func TestAppRestartKeepsDemoIdPKeyAndEnabledOrg(t *testing.T) {
	ctx := context.Background()
	sharedKeys(t)
	path := filepath.Join(t.TempDir(), "orgsso.db")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := options{BaseURL: "http://127.0.0.1:8080"}

	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	s.SettingOrInit(ctx, "demo_idp_key", func() (string, error) { return demoKeyJSON, nil })
	app, err := setup(ctx, opts, s, clock, logger)
	if err != nil {
		t.Fatal(err)
	}
	cert := app.demo.CertificatePEM()
	o, _ := s.Org(ctx, "acme")
	o.TestedVersion = o.PendingVersion
	o.Active, o.ActiveVersion, o.Enabled = o.Pending, o.PendingVersion, true
	if err := s.SaveOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	app, err = setup(ctx, opts, s, clock, logger)
	if err != nil {
		t.Fatal(err)
	}
	if app.demo.CertificatePEM() != cert {
		t.Error("the demo IdP has a new certificate after a restart")
	}
	orgs, _ := s.Orgs(ctx)
	if len(orgs) != 1 || !orgs[0].Enabled || orgs[0].Active.Certificate != cert {
		t.Errorf("orgs after restart: %+v", orgs)
	}
	if cur, err := app.active(orgs[0]); err != nil || cur == nil {
		t.Errorf("the enabled org has no SP after restart: %v", err)
	}
}
