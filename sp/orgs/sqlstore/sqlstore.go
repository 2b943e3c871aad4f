// Package sqlstore is an orgs.Store on database/sql, for SQLite (one server) and
// PostgreSQL (a fleet). It creates and migrates its own tables (ssokit_orgs, ssokit_orgs_keys,
// ssokit_org_signins, ssokit_orgs_migrations) from migrations embedded in the binary.
//
// The caller opens the *sql.DB with a driver of its choice and says which dialect it
// speaks; the package imports no driver:
//
//	db, _ := sql.Open("pgx", "postgres://app@db/app")     // github.com/jackc/pgx/v5/stdlib
//	store, err := sqlstore.Open(ctx, db, sqlstore.Options{Dialect: sqlstore.PostgreSQL})
//
// For SQLite give the connection a busy timeout (modernc.org/sqlite:
// "file:app.db?_pragma=busy_timeout(5000)"), so concurrent writers wait for each other
// instead of failing with "database is locked".
//
// Every update is one statement guarded by the organization's revision, so two admins
// saving at once get one success and one orgs.ErrConflict, and the pending and active
// configurations are written together or not at all.
package sqlstore

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ssokit/saml/sp/orgs"
)

// Dialect is the SQL flavour of the database.
type Dialect int

const (
	SQLite Dialect = iota + 1
	PostgreSQL
)

// Options configures a Store.
type Options struct {
	// Dialect is the database's SQL flavour. Required.
	Dialect Dialect
	// Retention is how many sign-in log entries are kept per organization; zero means
	// orgs.DefaultSignInRetention.
	Retention int
}

// Store is an orgs.Store in a SQL database.
type Store struct {
	db        *sql.DB
	dialect   Dialect
	retention int
}

var _ orgs.Store = (*Store)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// Open migrates the database to the current schema and returns the Store. Several
// servers may Open the same database at once.
func Open(ctx context.Context, db *sql.DB, opts Options) (*Store, error) {
	if opts.Dialect != SQLite && opts.Dialect != PostgreSQL {
		return nil, errors.New("sqlstore: Options.Dialect must be SQLite or PostgreSQL")
	}
	s := &Store{db: db, dialect: opts.Dialect, retention: opts.Retention}
	if s.retention <= 0 {
		s.retention = orgs.DefaultSignInRetention
	}
	if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// q rewrites ? placeholders for the dialect (PostgreSQL numbers them).
func (s *Store) q(query string) string {
	if s.dialect != PostgreSQL {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if s.dialect == SQLite {
		// SQLite serializes this with its write lock (and the busy timeout); PostgreSQL
		// creates it under an advisory lock in apply, as concurrent CREATE TABLE IF NOT
		// EXISTS can fail there.
		if _, err := s.db.ExecContext(ctx, createMigrations); err != nil {
			return fmt.Errorf("sqlstore: create migrations table: %w", err)
		}
	}
	for i, name := range names {
		if err := s.apply(ctx, i+1, name); err != nil {
			return fmt.Errorf("sqlstore: migration %s: %w", name, err)
		}
	}
	return nil
}

const createMigrations = `CREATE TABLE IF NOT EXISTS ssokit_orgs_migrations (version INTEGER PRIMARY KEY)`

// apply runs one migration in a transaction, unless it ran already. Servers starting
// together apply it once: the first claims its row in the migrations table, and the
// others wait for that transaction, then find the row.
func (s *Store) apply(ctx context.Context, version int, name string) error {
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if s.dialect == PostgreSQL {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7263546110)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, createMigrations); err != nil {
			return err
		}
	}
	// The claim is the transaction's first write, so SQLite takes its write lock here
	// rather than failing to upgrade a read lock later.
	res, err := tx.ExecContext(ctx, s.q(`INSERT INTO ssokit_orgs_migrations (version) VALUES (?) ON CONFLICT (version) DO NOTHING`), version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return nil // applied already
	}
	for _, stmt := range strings.Split(stripComments(string(body)), ";") {
		if strings.TrimSpace(stmt) == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// stripComments drops -- comment lines, so that statements can be split at ';'.
func stripComments(sql string) string {
	var b strings.Builder
	for _, line := range strings.Split(sql, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteString("\n")
		}
	}
	return b.String()
}

func marshalVersion(v *orgs.Version) (any, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

func unmarshalVersion(id, what string, ns sql.NullString) (*orgs.Version, error) {
	if !ns.Valid {
		return nil, nil
	}
	v := new(orgs.Version)
	if err := json.Unmarshal([]byte(ns.String), v); err != nil {
		return nil, fmt.Errorf("sqlstore: organization %s: %s configuration: %w", id, what, err)
	}
	return v, nil
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

type row struct {
	pending, active any
	enabled         int
	activeVersion   int
}

func encode(o *orgs.Org) (row, error) {
	var r row
	var err error
	if r.pending, err = marshalVersion(o.Pending); err != nil {
		return r, err
	}
	if r.active, err = marshalVersion(o.Active); err != nil {
		return r, err
	}
	r.enabled = boolInt(o.Enabled)
	if o.Active != nil {
		r.activeVersion = o.Active.Number
	}
	return r, nil
}

func (s *Store) Create(ctx context.Context, o *orgs.Org) error {
	if !orgs.ValidID(o.ID) {
		return &orgs.InvalidIDError{ID: o.ID}
	}
	if o.Revision != 0 {
		return errors.New("sqlstore: Create of an organization with a revision; use Update")
	}
	r, err := encode(o)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ssokit_orgs (id, revision, enabled, active_version, pending, active, changed_at, changed_by)
		VALUES (?, 1, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		o.ID, r.enabled, r.activeVersion, r.pending, r.active, formatTime(o.ChangedAt), o.ChangedBy)
	if err != nil {
		return fmt.Errorf("sqlstore: create organization %s: %w", o.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return orgs.ErrExists
	}
	o.Revision = 1
	return nil
}

func (s *Store) Update(ctx context.Context, o *orgs.Org) error {
	r, err := encode(o)
	if err != nil {
		return err
	}
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE ssokit_orgs SET revision = revision + 1, enabled = ?, active_version = ?,
		pending = ?, active = ?, changed_at = ?, changed_by = ? WHERE id = ? AND revision = ?`),
		r.enabled, r.activeVersion, r.pending, r.active, formatTime(o.ChangedAt), o.ChangedBy, o.ID, o.Revision)
	if err != nil {
		return fmt.Errorf("sqlstore: update organization %s: %w", o.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 1 {
		o.Revision++
		return nil
	}
	var one int
	err = s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM ssokit_orgs WHERE id = ?`), o.ID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return orgs.ErrNotFound
	case err != nil:
		return err
	}
	return orgs.ErrConflict
}

const columns = `id, revision, enabled, pending, active, changed_at, changed_by`

type scanner interface{ Scan(...any) error }

func scan(sc scanner) (*orgs.Org, error) {
	var (
		o               orgs.Org
		enabled         int
		pending, active sql.NullString
		changed         string
	)
	if err := sc.Scan(&o.ID, &o.Revision, &enabled, &pending, &active, &changed, &o.ChangedBy); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, orgs.ErrNotFound
		}
		return nil, err
	}
	o.Enabled = enabled != 0
	var err error
	if o.Pending, err = unmarshalVersion(o.ID, "pending", pending); err != nil {
		return nil, err
	}
	if o.Active, err = unmarshalVersion(o.ID, "active", active); err != nil {
		return nil, err
	}
	if o.ChangedAt, err = parseTime(changed); err != nil {
		return nil, fmt.Errorf("sqlstore: organization %s: changed_at: %w", o.ID, err)
	}
	return &o, nil
}

func (s *Store) Get(ctx context.Context, id string) (*orgs.Org, error) {
	return scan(s.db.QueryRowContext(ctx, s.q(`SELECT `+columns+` FROM ssokit_orgs WHERE id = ?`), id))
}

func (s *Store) List(ctx context.Context) ([]*orgs.Org, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+columns+` FROM ssokit_orgs ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*orgs.Org
	for rows.Next() {
		o, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func (s *Store) Log(ctx context.Context, id string, e orgs.SignIn) error {
	entry, err := json.Marshal(e)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Numbering through the org's row serializes one org's writers, and only theirs.
	var seq int64
	err = tx.QueryRowContext(ctx, s.q(`UPDATE ssokit_orgs SET log_seq = log_seq + 1 WHERE id = ? RETURNING log_seq`), id).Scan(&seq)
	if errors.Is(err, sql.ErrNoRows) {
		return orgs.ErrNotFound
	} else if err != nil {
		return fmt.Errorf("sqlstore: sign-in log of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO ssokit_org_signins (org_id, seq, at, entry) VALUES (?, ?, ?, ?)`),
		id, seq, formatTime(e.At), string(entry)); err != nil {
		return fmt.Errorf("sqlstore: sign-in log of %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM ssokit_org_signins WHERE org_id = ? AND seq <= ?`), id, seq-int64(s.retention)); err != nil {
		return fmt.Errorf("sqlstore: sign-in log of %s: %w", id, err)
	}
	return tx.Commit()
}

func (s *Store) SignIns(ctx context.Context, id string, limit int) ([]orgs.SignIn, error) {
	if limit <= 0 || limit > s.retention {
		limit = s.retention
	}
	var one int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT 1 FROM ssokit_orgs WHERE id = ?`), id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, orgs.ErrNotFound
	} else if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT entry FROM ssokit_org_signins WHERE org_id = ? ORDER BY seq DESC LIMIT ?`), id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgs.SignIn
	for rows.Next() {
		var entry string
		if err := rows.Scan(&entry); err != nil {
			return nil, err
		}
		var e orgs.SignIn
		if err := json.Unmarshal([]byte(entry), &e); err != nil {
			return nil, fmt.Errorf("sqlstore: sign-in log of %s: %w", id, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
