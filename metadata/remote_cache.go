package metadata

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Cache keeps the last good copy of a metadata document outside the process, so a
// restart while the IdP (or the network to it) is down still has trust to serve logins
// with, and so a fleet of servers can share one fetch (see Remote). Implementations
// must be safe for concurrent use. MemoryCache and FileCache are two; a SQL table or a
// Redis key works the same way.
type Cache interface {
	// Get returns the copy stored under key, or nil and no error when there is none.
	Get(ctx context.Context, key string) (*Cached, error)
	// Put stores c under key, replacing any older copy.
	Put(ctx context.Context, key string, c *Cached) error
}

// Cached is one stored metadata document: the bytes exactly as fetched (so a signature
// still verifies when they are read back), the validators for the next conditional
// GET, and when they were fetched.
type Cached struct {
	Body       []byte     `json:"body"`
	Validators Validators `json:"validators"`
	Fetched    time.Time  `json:"fetched"`
}

// MemoryCache is a Cache in this process's memory: for tests, and for sharing one copy
// between several Remotes of one process. It does not survive a restart.
type MemoryCache struct {
	mu sync.Mutex
	m  map[string]Cached
}

// NewMemoryCache returns an empty MemoryCache.
func NewMemoryCache() *MemoryCache { return &MemoryCache{m: map[string]Cached{}} }

func (c *MemoryCache) Get(_ context.Context, key string) (*Cached, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[key]
	if !ok {
		return nil, nil
	}
	v.Body = append([]byte(nil), v.Body...)
	return &v, nil
}

func (c *MemoryCache) Put(_ context.Context, key string, v *Cached) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cp := *v
	cp.Body = append([]byte(nil), v.Body...)
	c.m[key] = cp
	return nil
}

// FileCache is a Cache of one file per key in Dir (named by the key's SHA-256, so any
// key is a safe file name). Files are replaced atomically, so a crash mid-write leaves
// the previous copy. Dir must exist.
type FileCache struct {
	Dir string
}

func (c FileCache) path(key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(c.Dir, "metadata-"+hex.EncodeToString(sum[:16])+".json")
}

func (c FileCache) Get(_ context.Context, key string) (*Cached, error) {
	b, err := os.ReadFile(c.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(b) > 2*MaxMetadataSize {
		return nil, fmt.Errorf("metadata: cached copy %s is %d bytes, more than any metadata we keep", c.path(key), len(b))
	}
	var v Cached
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("metadata: cached copy %s is damaged: %w", c.path(key), err)
	}
	return &v, nil
}

func (c FileCache) Put(_ context.Context, key string, v *Cached) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(c.Dir, ".metadata-*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), c.path(key))
}
