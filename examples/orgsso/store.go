package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/ssokit/saml/sp/orgs"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// The app's own data lives beside sp/orgs's tables (sqlstore) in the same SQLite file,
// as JSON under keys: "org/<slug>" (name, admin), "member/<slug>/<NameID>" (the last
// sign-in) and "demo_idp_key". sqlstore keeps the cookie key.

func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err == nil {
		_, err = db.Exec(`CREATE TABLE IF NOT EXISTS app_data (key TEXT PRIMARY KEY, value TEXT NOT NULL)`)
	}
	if err != nil {
		return nil, fmt.Errorf("database %s: %w", path, err)
	}
	return db, nil
}

// load reads key into v; false when there is none.
func load(ctx context.Context, db *sql.DB, key string, v any) (bool, error) {
	var s string
	err := db.QueryRowContext(ctx, `SELECT value FROM app_data WHERE key = ?`, key).Scan(&s)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, json.Unmarshal([]byte(s), v)
}

// store writes v under key.
func store(ctx context.Context, db *sql.DB, key string, v any) error {
	b, err := json.Marshal(v)
	if err == nil {
		_, err = db.ExecContext(ctx, `INSERT INTO app_data (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, string(b))
	}
	return err
}

// Org is an organization as the app knows it; its SSO lives in sp/orgs.
type Org struct{ Slug, Name, Admin string }

func getOrg(ctx context.Context, db *sql.DB, slug string) (*Org, error) {
	o := &Org{}
	if ok, err := load(ctx, db, "org/"+slug, o); !ok {
		return nil, err
	}
	return o, nil
}

// Member is what the member page shows of a member's last sign-in.
type Member = orgs.Member

// Claim is an attribute as the member page lists it.
type Claim = orgs.Claim
