package sqlstore_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"

	"github.com/ssokit/saml/sp/orgs"
	"github.com/ssokit/saml/sp/orgs/internal/pgtest"
	"github.com/ssokit/saml/sp/orgs/internal/storetest"
	"github.com/ssokit/saml/sp/orgs/sqlstore"
)

var ctx = context.Background()

func openDB(t *testing.T, driver, dsn string) *sql.DB {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openStore(t *testing.T, db *sql.DB, d sqlstore.Dialect, retention int) orgs.Store {
	t.Helper()
	s, err := sqlstore.Open(ctx, db, sqlstore.Options{Dialect: d, Retention: retention})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sqliteDSN(t *testing.T) string {
	return "file:" + filepath.Join(t.TempDir(), "orgs.db") + "?_pragma=busy_timeout(10000)"
}

func TestSQLite(t *testing.T) {
	storetest.Run(t, func(t *testing.T, retention int) (orgs.Store, func() orgs.Store) {
		dsn := sqliteDSN(t)
		s := openStore(t, openDB(t, "sqlite", dsn), sqlstore.SQLite, retention)
		return s, func() orgs.Store { return openStore(t, openDB(t, "sqlite", dsn), sqlstore.SQLite, retention) }
	})
}

func TestPostgreSQL(t *testing.T) {
	pg := pgtest.Start(t)
	t.Logf("PostgreSQL started (initdb + pg_ctl start) in %v on 127.0.0.1:%d", pg.Startup, pg.Port)
	admin := openDB(t, "pgx", pg.DSN("postgres"))
	newDB := func(t *testing.T) string {
		name := pg.NewDatabaseName()
		if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			t.Fatal(err)
		}
		return pg.DSN(name)
	}
	t.Run("Contract", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, retention int) (orgs.Store, func() orgs.Store) {
			dsn := newDB(t)
			s := openStore(t, openDB(t, "pgx", dsn), sqlstore.PostgreSQL, retention)
			return s, func() orgs.Store { return openStore(t, openDB(t, "pgx", dsn), sqlstore.PostgreSQL, retention) }
		})
	})
	t.Run("ServersMigrateTogether", func(t *testing.T) {
		migrateTogether(t, "pgx", newDB(t), sqlstore.PostgreSQL)
	})
	t.Run("CookieKey", func(t *testing.T) {
		dsn := newDB(t)
		sameCookieKey(t, func() *sql.DB { return openDB(t, "pgx", dsn) }, sqlstore.PostgreSQL)
	})
}

func TestSQLiteCookieKey(t *testing.T) {
	dsn := sqliteDSN(t)
	sameCookieKey(t, func() *sql.DB { return openDB(t, "sqlite", dsn) }, sqlstore.SQLite)
}

// sameCookieKey: two servers over one database get the same 32-byte key, and so does a
// third opened later (a restart).
func sameCookieKey(t *testing.T, open func() *sql.DB, d sqlstore.Dialect) {
	var keys [3][]byte
	for i := range keys {
		s, err := sqlstore.Open(ctx, open(), sqlstore.Options{Dialect: d})
		if err != nil {
			t.Fatal(err)
		}
		if keys[i], err = s.CookieKey(ctx); err != nil || len(keys[i]) != 32 {
			t.Fatalf("CookieKey %d: %x, %v", i, keys[i], err)
		}
		if again, _ := s.CookieKey(ctx); string(again) != string(keys[i]) {
			t.Errorf("CookieKey changed between calls: %x, %x", keys[i], again)
		}
	}
	if string(keys[0]) != string(keys[1]) || string(keys[0]) != string(keys[2]) {
		t.Errorf("servers over one database got different keys: %x", keys)
	}
}

func TestSQLiteServersMigrateTogether(t *testing.T) {
	migrateTogether(t, "sqlite", sqliteDSN(t), sqlstore.SQLite)
}

// migrateTogether opens one database from several "servers" at once: every Open
// succeeds and each migration is recorded once.
func migrateTogether(t *testing.T, driver, dsn string, d sqlstore.Dialect) {
	const servers = 4
	errs := make([]error, servers)
	var wg sync.WaitGroup
	for i := range servers {
		db := openDB(t, driver, dsn)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = sqlstore.Open(ctx, db, sqlstore.Options{Dialect: d})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("server %d: Open: %v", i, err)
		}
	}
	var n, distinct int
	db := openDB(t, driver, dsn)
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*), COUNT(DISTINCT version) FROM ssokit_orgs_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != distinct || n == 0 {
		t.Fatalf("migrations table holds %d rows for %d versions, want each version once", n, distinct)
	}
}

func TestOpenRequiresADialect(t *testing.T) {
	db := openDB(t, "sqlite", sqliteDSN(t))
	if _, err := sqlstore.Open(ctx, db, sqlstore.Options{}); err == nil {
		t.Fatal("Open without a Dialect succeeded")
	}
}
