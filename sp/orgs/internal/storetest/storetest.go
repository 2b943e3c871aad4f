// Package storetest is the contract every orgs.Store must meet, run against the memory,
// SQLite and PostgreSQL stores by their own tests.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp"
	"github.com/ssokit/saml/sp/orgs"
)

// Opener returns a fresh, empty store keeping retention sign-in log entries per
// organization, and a reopen function that opens the same data anew, as a restarted
// server (or another server of the fleet) would.
type Opener func(t *testing.T, retention int) (s orgs.Store, reopen func() orgs.Store)

// Run runs the contract.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"RoundTripKeepsEveryField", roundTrip},
		{"CreateRefusesATakenID", createTaken},
		{"CreateRefusesAnInvalidID", createInvalid},
		{"MissingOrgIsNotFound", missing},
		{"UpdateIncrementsRevision", updateRevision},
		{"StaleUpdateConflictsAndWritesNothing", staleUpdate},
		{"ConcurrentSavesOneWinsOneConflicts", concurrentSaves},
		{"CrashBetweenSaveAndEnableKeepsOldActive", crashBetweenSaveAndEnable},
		{"CallerCopiesAreNotTheStore", aliasing},
		{"ListIsOrderedByID", list},
		{"SignInLogKeepsNewestWithinRetention", logRetention},
		{"SignInLogIsPerOrg", logPerOrg},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

var (
	ctx = context.Background()
	t0  = time.Date(2026, 3, 4, 5, 6, 7, 891011121, time.UTC)
)

func diagnosis() *sp.Diagnosis {
	signed := &assertion.Assertion{
		ID: "_a1", Issuer: "https://sts.windows.net/tenant/", IssueInstant: t0,
		NameID:       assertion.NameID{Value: "ada@example.com", Format: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress"},
		NotOnOrAfter: t0.Add(time.Hour), Audiences: []string{"https://app/organizations/acme/saml/metadata"},
		Attributes: map[string]assertion.Attribute{
			assertion.ClaimGroups: {Name: assertion.ClaimGroups, Values: []string{"g1", "g2"}},
		},
		AttributeNames: []string{assertion.ClaimGroups},
	}
	return &sp.Diagnosis{
		Checks: []sp.Check{
			{Name: "signature", Status: sp.Passed},
			{Name: "audience", Status: sp.Failed, Expected: "https://app/x", Received: "https://app/y", Fix: "set Identifier",
				Err: &sp.Error{Kind: sp.ErrAudience, Check: "audience", Expected: "https://app/x", Received: "https://app/y",
					Fix: "set Identifier", FixCode: sp.CodeIdentifier, FixParams: map[string]string{"value": "https://app/x"}}},
			{Name: "status", Status: sp.Failed, Err: &sp.Error{Kind: sp.ErrStatus, Check: "status",
				Err: &sp.StatusError{Code: "urn:oasis:names:tc:SAML:2.0:status:Responder", Message: "AADSTS50105: not assigned"}}},
			{Name: "replay", Status: sp.NotRun},
		},
		Signed: signed,
	}
}

func fullOrg(id string) *orgs.Org {
	settings := orgs.Settings{
		LoginURL:    "https://login.microsoftonline.com/tenant/saml2",
		Certificate: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
		IdPEntityID: "https://sts.windows.net/tenant/", SignedAssertions: true, AllowIdPInitiated: true,
		AllowedEmailDomains: []string{"example.com", "example.org"},
	}
	active := &orgs.Version{Number: 1, Settings: settings, ChangedAt: t0, ChangedBy: "admin@example.com",
		LastTest: &orgs.Test{At: t0.Add(time.Minute), By: "admin@example.com", Diagnosis: &sp.Diagnosis{OK: true, Checks: []sp.Check{{Name: "signature", Status: sp.Passed}}}}}
	pending := &orgs.Version{Number: 2, Settings: orgs.Settings{MetadataXML: "<EntityDescriptor/>"}, ChangedAt: t0.Add(2 * time.Minute), ChangedBy: "bob",
		LastTest: &orgs.Test{At: t0.Add(3 * time.Minute), By: "bob", Diagnosis: diagnosis()}}
	return &orgs.Org{ID: id, Enabled: true, Active: active, Pending: pending, ChangedAt: t0, ChangedBy: "admin@example.com"}
}

func roundTrip(t *testing.T, open Opener) {
	s, reopen := open(t, 10)
	want := fullOrg("acme")
	if err := s.Create(ctx, want); err != nil {
		t.Fatal(err)
	}
	if want.Revision != 1 {
		t.Fatalf("Revision after Create = %d, want 1", want.Revision)
	}
	for name, st := range map[string]orgs.Store{"same store": s, "reopened": reopen()} {
		got, err := st.Get(ctx, "acme")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		compareOrg(t, name, got, want)
	}
}

// compareOrg compares everything, errors by text and kind (a stored error is not the
// original value).
func compareOrg(t *testing.T, name string, got, want *orgs.Org) {
	t.Helper()
	if got.ID != want.ID || got.Revision != want.Revision || got.Enabled != want.Enabled ||
		!got.ChangedAt.Equal(want.ChangedAt) || got.ChangedBy != want.ChangedBy {
		t.Errorf("%s: org header = %+v, want %+v", name, got, want)
	}
	compareVersion(t, name+": active", got.Active, want.Active)
	compareVersion(t, name+": pending", got.Pending, want.Pending)
}

func compareVersion(t *testing.T, name string, got, want *orgs.Version) {
	t.Helper()
	if (got == nil) != (want == nil) {
		t.Fatalf("%s = %v, want %v", name, got, want)
	}
	if got == nil {
		return
	}
	if got.Number != want.Number || !reflect.DeepEqual(got.Settings, want.Settings) ||
		!got.ChangedAt.Equal(want.ChangedAt) || got.ChangedBy != want.ChangedBy {
		t.Errorf("%s = %+v, want %+v", name, got, want)
	}
	if (got.LastTest == nil) != (want.LastTest == nil) {
		t.Fatalf("%s: LastTest = %v, want %v", name, got.LastTest, want.LastTest)
	}
	if got.LastTest == nil {
		return
	}
	gt, wt := got.LastTest, want.LastTest
	if !gt.At.Equal(wt.At) || gt.By != wt.By || gt.Passed() != wt.Passed() {
		t.Errorf("%s: LastTest = %+v, want %+v", name, gt, wt)
	}
	gd, wd := gt.Diagnosis, wt.Diagnosis
	if len(gd.Checks) != len(wd.Checks) {
		t.Fatalf("%s: %d checks, want %d", name, len(gd.Checks), len(wd.Checks))
	}
	for i, wc := range wd.Checks {
		gc := gd.Checks[i]
		if gc.Name != wc.Name || gc.Status != wc.Status || gc.Expected != wc.Expected || gc.Received != wc.Received || gc.Fix != wc.Fix {
			t.Errorf("%s: check %d = %+v, want %+v", name, i, gc, wc)
		}
		if (gc.Err == nil) != (wc.Err == nil) {
			t.Fatalf("%s: check %d error = %v, want %v", name, i, gc.Err, wc.Err)
		}
		if wc.Err == nil {
			continue
		}
		wp, _ := sp.ProblemOf(wc.Err)
		gp, ok := sp.ProblemOf(gc.Err)
		if gc.Err.Error() != wc.Err.Error() || !errors.Is(gc.Err, wp.Kind) || !ok || gp.Fix.Code != wp.Fix.Code || !reflect.DeepEqual(gp.Fix.Params, wp.Fix.Params) {
			t.Errorf("%s: check %d error = %v (problem %+v), want %v (problem %+v)", name, i, gc.Err, gp, wc.Err, wp)
		}
		var ws, gs *sp.StatusError
		if errors.As(wc.Err, &ws) && (!errors.As(gc.Err, &gs) || !reflect.DeepEqual(gs, ws)) {
			t.Errorf("%s: check %d status = %+v, want %+v", name, i, gs, ws)
		}
	}
	if (gd.Signed == nil) != (wd.Signed == nil) {
		t.Fatalf("%s: Signed = %v, want %v", name, gd.Signed, wd.Signed)
	}
	if gd.Signed != nil {
		g, w := *gd.Signed, *wd.Signed
		if !g.IssueInstant.Equal(w.IssueInstant) || !g.NotOnOrAfter.Equal(w.NotOnOrAfter) {
			t.Errorf("%s: Signed times = %v %v, want %v %v", name, g.IssueInstant, g.NotOnOrAfter, w.IssueInstant, w.NotOnOrAfter)
		}
		g.IssueInstant, g.NotOnOrAfter, w.IssueInstant, w.NotOnOrAfter = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: Signed = %+v, want %+v", name, g, w)
		}
	}
}

func createTaken(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	if err := s.Create(ctx, &orgs.Org{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	err := s.Create(ctx, &orgs.Org{ID: "acme", ChangedBy: "intruder"})
	if !errors.Is(err, orgs.ErrExists) {
		t.Fatalf("second Create = %v, want ErrExists", err)
	}
	got, _ := s.Get(ctx, "acme")
	if got.ChangedBy != "" || got.Revision != 1 {
		t.Fatalf("a refused Create changed the org: %+v", got)
	}
}

func createInvalid(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	for _, id := range []string{"", "Acme", "a b", "-acme", "acme-", "a/b", "a.b", "ä"} {
		var ie *orgs.InvalidIDError
		if err := s.Create(ctx, &orgs.Org{ID: id}); !errors.As(err, &ie) {
			t.Errorf("Create(%q) = %v, want *InvalidIDError", id, err)
		}
	}
}

func missing(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	if _, err := s.Get(ctx, "nope"); !errors.Is(err, orgs.ErrNotFound) {
		t.Errorf("Get = %v, want ErrNotFound", err)
	}
	if err := s.Update(ctx, &orgs.Org{ID: "nope", Revision: 1}); !errors.Is(err, orgs.ErrNotFound) {
		t.Errorf("Update = %v, want ErrNotFound", err)
	}
	if err := s.Log(ctx, "nope", orgs.SignIn{At: t0}); !errors.Is(err, orgs.ErrNotFound) {
		t.Errorf("Log = %v, want ErrNotFound", err)
	}
	if _, err := s.SignIns(ctx, "nope", 5); !errors.Is(err, orgs.ErrNotFound) {
		t.Errorf("SignIns = %v, want ErrNotFound", err)
	}
}

func save(o *orgs.Org, number int, by string) {
	o.Pending = &orgs.Version{Number: number, Settings: orgs.Settings{LoginURL: "https://idp.example/" + by}, ChangedAt: t0, ChangedBy: by}
}

func updateRevision(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	o := &orgs.Org{ID: "acme"}
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	for want := int64(2); want <= 4; want++ {
		save(o, int(want), "admin")
		if err := s.Update(ctx, o); err != nil {
			t.Fatal(err)
		}
		if o.Revision != want {
			t.Fatalf("Revision = %d, want %d", o.Revision, want)
		}
		got, _ := s.Get(ctx, "acme")
		if got.Revision != want || got.Pending.Number != int(want) {
			t.Fatalf("stored revision %d pending %d, want %d", got.Revision, got.Pending.Number, want)
		}
	}
}

func staleUpdate(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	if err := s.Create(ctx, &orgs.Org{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	a, _ := s.Get(ctx, "acme")
	b, _ := s.Get(ctx, "acme")
	save(a, 1, "alice")
	if err := s.Update(ctx, a); err != nil {
		t.Fatal(err)
	}
	save(b, 1, "bob")
	if err := s.Update(ctx, b); !errors.Is(err, orgs.ErrConflict) {
		t.Fatalf("stale Update = %v, want ErrConflict", err)
	}
	if b.Revision != 1 {
		t.Errorf("a refused Update changed the caller's Revision to %d", b.Revision)
	}
	got, _ := s.Get(ctx, "acme")
	if got.Pending.ChangedBy != "alice" || got.Revision != 2 {
		t.Fatalf("stored %+v after the conflict, want alice's save at revision 2", got.Pending)
	}
}

// concurrentSaves races two admins who read the same revision, many times: each round
// exactly one wins and the other gets ErrConflict, never a silent overwrite.
func concurrentSaves(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	if err := s.Create(ctx, &orgs.Org{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		base, err := s.Get(ctx, "acme")
		if err != nil {
			t.Fatal(err)
		}
		admins := []*orgs.Org{base.Clone(), base.Clone()}
		errs := make([]error, len(admins))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, o := range admins {
			save(o, round+1, fmt.Sprint("admin", i))
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Update(ctx, o)
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner == -1:
				winner = i
			case err == nil:
				t.Fatalf("round %d: both saves succeeded (one overwrote the other)", round)
			case !errors.Is(err, orgs.ErrConflict):
				t.Fatalf("round %d: admin %d: %v, want nil or ErrConflict", round, i, err)
			}
		}
		if winner == -1 {
			t.Fatalf("round %d: neither save succeeded: %v", round, errs)
		}
		got, _ := s.Get(ctx, "acme")
		if want := fmt.Sprint("admin", winner); got.Pending.ChangedBy != want || got.Revision != base.Revision+1 {
			t.Fatalf("round %d: stored save of %s at revision %d, want %s at %d", round, got.Pending.ChangedBy, got.Revision, want, base.Revision+1)
		}
	}
}

// crashBetweenSaveAndEnable: a new pending version is saved on an enabled org and the
// server stops before anyone enables it; whoever reads the store next (restarted
// server, other server) still finds the old active configuration enabled.
func crashBetweenSaveAndEnable(t *testing.T, open Opener) {
	s, reopen := open(t, 10)
	o := fullOrg("acme")
	o.Pending = o.Active.Clone()
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	save(o, 2, "admin")
	if err := s.Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	got, err := reopen().Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Enabled || got.Active == nil || got.Active.Number != 1 || got.Active.Settings.LoginURL != fullOrg("acme").Active.Settings.LoginURL {
		t.Fatalf("after a save without Enable, members' configuration is %+v (enabled %v), want version 1", got.Active, got.Enabled)
	}
	if got.Pending.Number != 2 {
		t.Fatalf("pending = %d, want the saved version 2", got.Pending.Number)
	}
}

func aliasing(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	o := fullOrg("acme")
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	o.Active.Settings.AllowedEmailDomains[0] = "evil.example"
	o.Active.Settings.LoginURL = "https://evil.example"
	o.Enabled = false
	got, _ := s.Get(ctx, "acme")
	got.Active.Settings.AllowedEmailDomains[1] = "evil.example"
	got.Pending.Number = 99
	again, _ := s.Get(ctx, "acme")
	compareOrg(t, "after the caller changed its copies", again, withRevision(fullOrg("acme"), 1))
}

func withRevision(o *orgs.Org, r int64) *orgs.Org { o.Revision = r; return o }

func list(t *testing.T, open Opener) {
	s, _ := open(t, 10)
	for _, id := range []string{"zeta", "acme", "acme-req", "m1"} {
		if err := s.Create(ctx, &orgs.Org{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	all, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range all {
		ids = append(ids, o.ID)
	}
	if want := []string{"acme", "acme-req", "m1", "zeta"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("List = %v, want %v", ids, want)
	}
}

func entry(i int) orgs.SignIn {
	return orgs.SignIn{
		At: t0.Add(time.Duration(i) * time.Second), Test: i%2 == 0, Version: i, Result: orgs.Refused,
		Check: "audience", Reason: fmt.Sprintf("audience %d", i), AADSTS: "AADSTS50105",
		Signer: "0123456789ABCDEF0123456789ABCDEF01234567", NameID: fmt.Sprintf("user%d@example.com", i), Ref: fmt.Sprintf("ref%d", i),
	}
}

func logRetention(t *testing.T, open Opener) {
	const keep = 5
	s, reopen := open(t, keep)
	if err := s.Create(ctx, &orgs.Org{ID: "acme"}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= keep+7; i++ {
		if err := s.Log(ctx, "acme", entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	for name, st := range map[string]orgs.Store{"same store": s, "reopened": reopen()} {
		got, err := st.SignIns(ctx, "acme", 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != keep {
			t.Fatalf("%s: %d entries kept, want the retention %d", name, len(got), keep)
		}
		for j, e := range got {
			want := entry(keep + 7 - j) // newest first
			if !e.At.Equal(want.At) {
				t.Errorf("%s: entry %d at %v, want %v", name, j, e.At, want.At)
			}
			e.At, want.At = time.Time{}, time.Time{}
			if e != want {
				t.Errorf("%s: entry %d = %+v, want %+v", name, j, e, want)
			}
		}
		if two, _ := st.SignIns(ctx, "acme", 2); len(two) != 2 || two[0].Version != keep+7 {
			t.Errorf("%s: SignIns(2) = %+v, want the 2 newest", name, two)
		}
	}
}

func logPerOrg(t *testing.T, open Opener) {
	s, _ := open(t, 3)
	for _, id := range []string{"acme", "acme-req"} {
		if err := s.Create(ctx, &orgs.Org{ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 1; i <= 3; i++ {
		if err := s.Log(ctx, "acme", entry(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Log(ctx, "acme-req", entry(100)); err != nil {
		t.Fatal(err)
	}
	a, _ := s.SignIns(ctx, "acme", 10)
	b, _ := s.SignIns(ctx, "acme-req", 10)
	if len(a) != 3 || len(b) != 1 || b[0].Version != 100 {
		t.Fatalf("acme has %d entries, acme-req %v: one org's log must neither hold nor evict another's", len(a), b)
	}
	// The log never touches the configuration: an admin's read-modify-write that
	// straddles a sign-in still succeeds.
	o, _ := s.Get(ctx, "acme")
	if o.Revision != 1 {
		t.Fatalf("logging changed the org's revision to %d", o.Revision)
	}
}
