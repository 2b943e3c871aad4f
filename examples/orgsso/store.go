package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	_ "modernc.org/sqlite" // pure-Go SQLite driver, registered as "sqlite"
)

// The app's own data lives beside sp/orgs's tables (sqlstore) in the same SQLite file,
// as JSON under keys: "org/<slug>" (name, admin), "member/<slug>/<NameID>" (the last
// sign-in), and its keys.

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

// store writes v under key; with once, only if there is nothing there yet.
func store(ctx context.Context, db *sql.DB, key string, v any, once bool) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	q := `INSERT INTO app_data (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`
	if once {
		q = `INSERT INTO app_data (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING`
	}
	_, err = db.ExecContext(ctx, q, key, string(b))
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
type Member struct {
	ObjectID, Email string
	Groups          []string
	Claims          []Claim
	LastLogin       time.Time
}

type Claim struct {
	Name   string
	Values []string
}

// keyOnce returns the random key stored under name, making it on first start (whichever
// process wins a race, every one uses the stored key).
func keyOnce(ctx context.Context, db *sql.DB, name string, make func() (string, error)) (string, error) {
	var v string
	if ok, err := load(ctx, db, name, &v); ok || err != nil {
		return v, err
	}
	v, err := make()
	if err == nil {
		err = store(ctx, db, name, v, true)
	}
	if err == nil {
		_, err = load(ctx, db, name, &v)
	}
	return v, err
}

// cookieKey signs every cookie of the app and of sp/orgs, so sessions survive a restart.
func cookieKey(ctx context.Context, db *sql.DB) ([]byte, error) {
	v, err := keyOnce(ctx, db, "cookie_key", func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
