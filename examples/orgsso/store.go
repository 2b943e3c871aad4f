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

// IdPSettings is what the admin pasted from the IdP: one SSO configuration.
type IdPSettings struct {
	SignOnURL         string `json:"sign_on_url"`
	IdPEntityID       string `json:"idp_entity_id,omitempty"` // empty: derived from the Sign-on URL
	Certificate       string `json:"certificate"`             // as pasted (any form certs.Parse reads)
	SignedAssertions  bool   `json:"signed_assertions"`
	AllowIdPInitiated bool   `json:"allow_idp_initiated"`
}

// TestResult is the outcome of one "Update and Test", kept to show on the settings page.
type TestResult struct {
	Version int         `json:"version"` // the pending version that was tested
	At      time.Time   `json:"at"`
	OK      bool        `json:"ok"`
	Checks  []CheckView `json:"checks"`
	Claims  []ClaimView `json:"claims,omitempty"`
	NameID  string      `json:"name_id,omitempty"`
	Issuer  string      `json:"issuer,omitempty"`
	Note    string      `json:"note,omitempty"` // e.g. that the new configuration is now in use
}

// CheckView is one diagnosis check as the settings page shows it.
type CheckView struct {
	Name     string `json:"name"`
	Status   string `json:"status"`
	Expected string `json:"expected,omitempty"`
	Received string `json:"received,omitempty"`
	Fix      string `json:"fix,omitempty"`
}

// ClaimView is one attribute of an assertion.
type ClaimView struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
}

// Org is an organization and its SSO state.
//
// Pending is what the admin saved last; Active is what members sign in with. They differ
// while a new configuration waits for a successful test, so a typo never locks members
// out of an organization whose SSO is already enabled.
type Org struct {
	Slug           string
	Name           string
	Pending        *IdPSettings
	PendingVersion int
	TestedVersion  int // the Pending version whose test passed; 0 for none
	Active         *IdPSettings
	ActiveVersion  int
	Enabled        bool
	LastTest       *TestResult
	CreatedAt      time.Time
}

// Tested reports whether the pending configuration passed its test.
func (o *Org) Tested() bool {
	return o.Pending != nil && o.TestedVersion == o.PendingVersion
}

// Member is what the app remembers of a member's last sign-in.
type Member struct {
	Org         string
	NameID      string
	ObjectID    string
	Email       string
	DisplayName string
	Groups      []string
	Claims      []ClaimView
	LastLogin   time.Time
}

// Store keeps organizations, members and the cookie key in SQLite.
type Store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS orgs (
	slug TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	pending TEXT,
	pending_version INTEGER NOT NULL DEFAULT 0,
	tested_version INTEGER NOT NULL DEFAULT 0,
	active TEXT,
	active_version INTEGER NOT NULL DEFAULT 0,
	enabled INTEGER NOT NULL DEFAULT 0,
	last_test TEXT,
	created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS members (
	org TEXT NOT NULL,
	name_id TEXT NOT NULL,
	object_id TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	display_name TEXT NOT NULL DEFAULT '',
	groups_json TEXT NOT NULL DEFAULT '[]',
	claims_json TEXT NOT NULL DEFAULT '[]',
	last_login TEXT NOT NULL,
	PRIMARY KEY (org, name_id)
);
CREATE TABLE IF NOT EXISTS settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);`

// OpenStore opens (creating if needed) the database at path.
func OpenStore(path string) (*Store, error) {
	// The default rollback journal, not WAL: no -wal/-shm files are left next to the
	// database, and one connection needs no concurrent readers.
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One connection: SQLite serializes writers anyway, and this keeps "database is
	// locked" out of a small app.
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create tables in %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

func (s *Store) Close() error { return s.db.Close() }

// ErrNoOrg means there is no organization with that slug.
var ErrNoOrg = errors.New("no such organization")

func marshalOrNull(v any) (any, error) {
	switch v := v.(type) {
	case *IdPSettings:
		if v == nil {
			return nil, nil
		}
	case *TestResult:
		if v == nil {
			return nil, nil
		}
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// CreateOrg adds an organization; it fails if the slug is taken.
func (s *Store) CreateOrg(ctx context.Context, o *Org) error {
	pending, err := marshalOrNull(o.Pending)
	if err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `INSERT INTO orgs (slug, name, pending, pending_version, created_at) VALUES (?, ?, ?, ?, ?)`,
		o.Slug, o.Name, pending, o.PendingVersion, o.CreatedAt.UTC().Format(time.RFC3339Nano))
	return err
}

// SaveOrg writes every field of o.
func (s *Store) SaveOrg(ctx context.Context, o *Org) error {
	pending, err := marshalOrNull(o.Pending)
	if err != nil {
		return err
	}
	active, err := marshalOrNull(o.Active)
	if err != nil {
		return err
	}
	lastTest, err := marshalOrNull(o.LastTest)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, `UPDATE orgs SET name=?, pending=?, pending_version=?, tested_version=?, active=?, active_version=?, enabled=?, last_test=? WHERE slug=?`,
		o.Name, pending, o.PendingVersion, o.TestedVersion, active, o.ActiveVersion, o.Enabled, lastTest, o.Slug)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNoOrg
	}
	return nil
}

const orgColumns = `slug, name, pending, pending_version, tested_version, active, active_version, enabled, last_test, created_at`

type scanner interface{ Scan(...any) error }

func scanOrg(row scanner) (*Org, error) {
	var (
		o                         Org
		pending, active, lastTest sql.NullString
		created                   string
	)
	if err := row.Scan(&o.Slug, &o.Name, &pending, &o.PendingVersion, &o.TestedVersion, &active, &o.ActiveVersion, &o.Enabled, &lastTest, &created); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNoOrg
		}
		return nil, err
	}
	if pending.Valid {
		o.Pending = new(IdPSettings)
		if err := json.Unmarshal([]byte(pending.String), o.Pending); err != nil {
			return nil, fmt.Errorf("org %s: pending configuration: %w", o.Slug, err)
		}
	}
	if active.Valid {
		o.Active = new(IdPSettings)
		if err := json.Unmarshal([]byte(active.String), o.Active); err != nil {
			return nil, fmt.Errorf("org %s: active configuration: %w", o.Slug, err)
		}
	}
	if lastTest.Valid {
		o.LastTest = new(TestResult)
		if err := json.Unmarshal([]byte(lastTest.String), o.LastTest); err != nil {
			return nil, fmt.Errorf("org %s: last test: %w", o.Slug, err)
		}
	}
	o.CreatedAt, _ = time.Parse(time.RFC3339Nano, created)
	return &o, nil
}

// Org returns the organization with that slug, or ErrNoOrg.
func (s *Store) Org(ctx context.Context, slug string) (*Org, error) {
	return scanOrg(s.db.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM orgs WHERE slug=?`, slug))
}

// Orgs lists every organization by slug.
func (s *Store) Orgs(ctx context.Context) ([]*Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+orgColumns+` FROM orgs ORDER BY slug`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*Org
	for rows.Next() {
		o, err := scanOrg(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// SaveMember records a member's latest sign-in.
func (s *Store) SaveMember(ctx context.Context, m *Member) error {
	groups, _ := json.Marshal(m.Groups)
	claims, _ := json.Marshal(m.Claims)
	_, err := s.db.ExecContext(ctx, `INSERT INTO members (org, name_id, object_id, email, display_name, groups_json, claims_json, last_login)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (org, name_id) DO UPDATE SET object_id=excluded.object_id, email=excluded.email,
			display_name=excluded.display_name, groups_json=excluded.groups_json, claims_json=excluded.claims_json, last_login=excluded.last_login`,
		m.Org, m.NameID, m.ObjectID, m.Email, m.DisplayName, string(groups), string(claims), m.LastLogin.UTC().Format(time.RFC3339Nano))
	return err
}

// Member returns what was recorded at a member's last sign-in, or nil.
func (s *Store) Member(ctx context.Context, org, nameID string) (*Member, error) {
	var (
		m              = Member{Org: org, NameID: nameID}
		groups, claims string
		last           string
	)
	err := s.db.QueryRowContext(ctx, `SELECT object_id, email, display_name, groups_json, claims_json, last_login FROM members WHERE org=? AND name_id=?`, org, nameID).
		Scan(&m.ObjectID, &m.Email, &m.DisplayName, &groups, &claims, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(groups), &m.Groups)
	_ = json.Unmarshal([]byte(claims), &m.Claims)
	m.LastLogin, _ = time.Parse(time.RFC3339Nano, last)
	return &m, nil
}

// Setting returns a stored value, or ok=false.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key=?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

// SettingOrInit returns the value stored under key, storing make() first if there is none.
func (s *Store) SettingOrInit(ctx context.Context, key string, make func() (string, error)) (string, error) {
	if v, ok, err := s.Setting(ctx, key); err != nil || ok {
		return v, err
	}
	v, err := make()
	if err != nil {
		return "", err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT OR IGNORE INTO settings (key, value) VALUES (?, ?)`, key, v); err != nil {
		return "", err
	}
	// Another process may have won the race; use whichever value is stored.
	v, _, err = s.Setting(ctx, key)
	return v, err
}

// CookieKey returns the key that signs the app's cookies, made on first use, so that
// sessions survive a restart.
func (s *Store) CookieKey(ctx context.Context) ([]byte, error) {
	v, err := s.SettingOrInit(ctx, "cookie_key", func() (string, error) {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		return hex.EncodeToString(b), nil
	})
	if err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
