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

// The app's own data, beside sp/orgs's tables (sqlstore) in the same SQLite file:
// organization names and admins, what members sent at their last sign-in, and keys.
const schema = `
CREATE TABLE IF NOT EXISTS app_orgs (slug TEXT PRIMARY KEY, name TEXT NOT NULL, admin TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS members (org TEXT NOT NULL, name_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (org, name_id));
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);`

// openDB opens (creating if needed) the SQLite database at path.
func openDB(path string) (*sql.DB, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create tables in %s: %w", path, err)
	}
	return db, nil
}

// Org is an organization as the app knows it; its SSO lives in sp/orgs.
type Org struct{ Slug, Name, Admin string }

func createOrg(ctx context.Context, db *sql.DB, o Org) error {
	_, err := db.ExecContext(ctx, `INSERT INTO app_orgs (slug, name, admin) VALUES (?, ?, ?)`, o.Slug, o.Name, o.Admin)
	return err
}

func getOrg(ctx context.Context, db *sql.DB, slug string) (*Org, error) {
	o := Org{Slug: slug}
	err := db.QueryRowContext(ctx, `SELECT name, admin FROM app_orgs WHERE slug = ?`, slug).Scan(&o.Name, &o.Admin)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return &o, err
}

func listOrgs(ctx context.Context, db *sql.DB) ([]Org, error) {
	rows, err := db.QueryContext(ctx, `SELECT slug, name, admin FROM app_orgs ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		if err := rows.Scan(&o.Slug, &o.Name, &o.Admin); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
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

func saveMember(ctx context.Context, db *sql.DB, org, nameID string, m *Member) error {
	b, err := json.Marshal(m)
	if err == nil {
		_, err = db.ExecContext(ctx, `INSERT INTO members (org, name_id, data) VALUES (?, ?, ?) ON CONFLICT (org, name_id) DO UPDATE SET data = excluded.data`, org, nameID, string(b))
	}
	return err
}

func getMember(ctx context.Context, db *sql.DB, org, nameID string) (*Member, error) {
	var data string
	err := db.QueryRowContext(ctx, `SELECT data FROM members WHERE org = ? AND name_id = ?`, org, nameID).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	m := new(Member)
	return m, json.Unmarshal([]byte(data), m)
}

// setting returns the value stored under key, storing make() first if there is none
// (whichever process wins a race, every one uses the stored value).
func setting(ctx context.Context, db *sql.DB, key string, make func() (string, error)) (string, error) {
	var v string
	err := db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if !errors.Is(err, sql.ErrNoRows) {
		return v, err
	}
	if v, err = make(); err != nil {
		return "", err
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, v); err != nil {
		return "", err
	}
	err = db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	return v, err
}

// cookieKey is the key of every cookie the app and sp/orgs set, made on first start so
// sessions survive a restart.
func cookieKey(ctx context.Context, db *sql.DB) ([]byte, error) {
	v, err := setting(ctx, db, "cookie_key", func() (string, error) {
		b := make([]byte, 32)
		_, err := rand.Read(b)
		return hex.EncodeToString(b), err
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
