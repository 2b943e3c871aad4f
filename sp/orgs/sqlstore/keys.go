package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// CookieKey returns the database's orgs.Config.CookieKey: 32 random bytes made on the
// first call and kept in the database, so every server over it (and every restart)
// uses the same key, whichever server made it first.
func (s *Store) CookieKey(ctx context.Context) ([]byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if _, err := s.db.ExecContext(ctx, s.q(`INSERT INTO ssokit_orgs_keys (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`), "cookie_key", hex.EncodeToString(b)); err != nil {
		return nil, fmt.Errorf("sqlstore: cookie key: %w", err)
	}
	var v string
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT value FROM ssokit_orgs_keys WHERE name = ?`), "cookie_key").Scan(&v); err != nil {
		return nil, fmt.Errorf("sqlstore: cookie key: %w", err)
	}
	key, err := hex.DecodeString(v)
	if err != nil || len(key) < 32 {
		return nil, fmt.Errorf("sqlstore: cookie key in ssokit_orgs_keys is not 32 hex-encoded bytes")
	}
	return key, nil
}
