package main

import (
	"bytes"
	"context"
	"database/sql"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ssokit/saml/assertion"
	"github.com/ssokit/saml/sp/orgs/sqlstore"
)

// TestStoreSurvivesReopen writes every kind of the app's own records, closes the
// database, opens it again and reads the same values back.
func TestStoreSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "orgsso.db")
	db, err := openDB(path)
	if err != nil {
		t.Fatal(err)
	}
	org := Org{Slug: "acme", Name: "Acme Corp", Admin: demoAdmin}
	if err := store(ctx, db, "org/acme", org); err != nil {
		t.Fatal(err)
	}
	member := &Member{ObjectID: "oid", Email: "adele@contoso.example", Groups: []string{"g1", "g2"},
		Claims: []Claim{{Name: assertion.ClaimObjectID, Values: []string{"oid"}}}, LastLogin: fixedNow}
	if err := store(ctx, db, "member/acme/adele@contoso.example", member); err != nil {
		t.Fatal(err)
	}
	key, err := cookieKey(t, db)
	if err != nil || len(key) != 32 {
		t.Fatalf("cookie key %x, %v", key, err)
	}
	db.Close()

	db, err = openDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, err := getOrg(ctx, db, "acme"); err != nil || *got != org {
		t.Errorf("org after reopen: %+v, %v", got, err)
	}
	if got := new(Member); !must(load(ctx, db, "member/acme/adele@contoso.example", got)) || !reflect.DeepEqual(got, member) {
		t.Errorf("member after reopen:\n got %+v\nwant %+v", got, member)
	}
	if key2, err := cookieKey(t, db); err != nil || !bytes.Equal(key, key2) {
		t.Errorf("cookie key changed across reopen: %x → %x (%v)", key, key2, err)
	}
	if o, err := getOrg(ctx, db, "nope"); o != nil || err != nil {
		t.Errorf("unknown org: %v, %v", o, err)
	}
}

// cookieKey is the app's cookie key, which sqlstore keeps in the database.
func cookieKey(t *testing.T, db *sql.DB) ([]byte, error) {
	st, err := sqlstore.Open(t.Context(), db, sqlstore.Options{Dialect: sqlstore.SQLite})
	if err != nil {
		return nil, err
	}
	return st.CookieKey(t.Context())
}

// TestAppRestartKeepsDemoIdPKeyAndEnabledOrg: after a restart the demo IdP signs with the
// same key, so the certificate pasted into an organization still verifies, the enabled
// organization stays enabled, and the first start's demo organization is not created twice.
func TestAppRestartKeepsDemoIdPKeyAndEnabledOrg(t *testing.T) {
	ctx := context.Background()
	sharedKeys(t)
	path := filepath.Join(t.TempDir(), "orgsso.db")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	opts := options{BaseURL: "http://127.0.0.1:8080"}

	db, err := openDB(path)
	if err != nil {
		t.Fatal(err)
	}
	keyOnce(ctx, db, "demo_idp_key", func() (string, error) { return demoKeyJSON, nil })
	app, err := setup(ctx, opts, db, clock, logger)
	if err != nil {
		t.Fatal(err)
	}
	cert := app.demo.CertificatePEM()
	o, err := app.store.Get(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	o.Active, o.Enabled = o.Pending.Clone(), true // as a passing test and Enable would
	if err := app.store.Update(ctx, o); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = openDB(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if app, err = setup(ctx, opts, db, clock, logger); err != nil {
		t.Fatal(err)
	}
	if app.demo.CertificatePEM() != cert {
		t.Error("the demo IdP has a new certificate after a restart")
	}
	list, _ := app.store.List(ctx)
	if len(list) != 1 {
		t.Errorf("orgs after restart: %+v", list)
	}
	if on, err := app.sso.Enabled(ctx, "acme"); !on || err != nil {
		t.Errorf("the enabled org is not enabled after restart: %v", err)
	}
}
