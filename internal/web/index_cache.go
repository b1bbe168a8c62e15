package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/variantdb"
)

// defaultOpenIndexes is how many variant indexes stay open at once; each
// holds a few file handles and up to 16 MiB of SQLite page cache.
const defaultOpenIndexes = 16

// indexCache keeps variant indexes open for the browser. The index lives
// in the blob store (a local folder or S3); it is copied once into dir and
// opened from there, so an S3 deployment downloads each index once, not
// per page. Indexes are immutable, so a cached copy never goes stale; a
// deleted job's copy is dropped with drop.
type indexCache struct {
	dir   string
	blobs gas.BlobStore
	max   int

	mu      sync.Mutex
	entries map[string]*cachedIndex // by blob key
	lru     []string                // keys, least recently used first
}

// cachedIndex is one index being fetched or open. ready is closed when ix
// or err is set; refs counts the pages using it, so an index evicted while
// a page reads it is closed by the last of them.
type cachedIndex struct {
	ready   chan struct{}
	ix      *variantdb.Index
	err     error
	path    string
	refs    int
	evicted bool
}

func newIndexCache(dir string, blobs gas.BlobStore, max int) *indexCache {
	if max <= 0 {
		max = defaultOpenIndexes
	}
	return &indexCache{dir: dir, blobs: blobs, max: max, entries: map[string]*cachedIndex{}}
}

// localPath names the cached copy of a blob key: a hash, so no key can
// name a path outside dir.
func (c *indexCache) localPath(key string) string {
	h := sha256.Sum256([]byte(key))
	return filepath.Join(c.dir, hex.EncodeToString(h[:16])+".sqlite")
}

// get opens the index stored at key; release must be called when the
// caller is done with it.
func (c *indexCache) get(ctx context.Context, key string) (*variantdb.Index, func(), error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cachedIndex{ready: make(chan struct{}), path: c.localPath(key)}
		c.entries[key] = e
		go c.fetch(context.WithoutCancel(ctx), key, e)
	}
	e.refs++
	c.touch(key)
	c.mu.Unlock()

	release := func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		e.refs--
		if e.evicted && e.refs == 0 && e.ix != nil {
			e.ix.Close()
		}
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		release()
		return nil, func() {}, ctx.Err()
	}
	if e.err != nil {
		release()
		c.mu.Lock()
		// A failed fetch is not cached: the next page tries again.
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
		return nil, func() {}, e.err
	}
	return e.ix, release, nil
}

// fetch copies the blob into the cache folder (unless a copy is there
// from before) and opens it.
func (c *indexCache) fetch(ctx context.Context, key string, e *cachedIndex) {
	defer close(e.ready)
	if _, err := os.Stat(e.path); err != nil {
		if err := c.download(ctx, key, e.path); err != nil {
			e.err = err
			return
		}
	}
	ix, err := variantdb.Open(e.path)
	if err != nil {
		// A damaged copy is removed so the next try downloads it again.
		os.Remove(e.path)
		e.err = err
		return
	}
	c.mu.Lock()
	e.ix = ix
	c.evict()
	c.mu.Unlock()
}

func (c *indexCache) download(ctx context.Context, key, path string) error {
	if err := os.MkdirAll(c.dir, 0o700); err != nil {
		return fmt.Errorf("index cache: %w", err)
	}
	rc, err := c.blobs.Open(ctx, key)
	if err != nil {
		return fmt.Errorf("index cache: open %s: %w", key, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(c.dir, "fetch-*")
	if err != nil {
		return fmt.Errorf("index cache: %w", err)
	}
	_, err = io.Copy(tmp, rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("index cache: copy %s: %w", key, err)
	}
	return nil
}

// touch moves key to the most recently used end; c.mu is held.
func (c *indexCache) touch(key string) {
	for i, k := range c.lru {
		if k == key {
			c.lru = append(c.lru[:i], c.lru[i+1:]...)
			break
		}
	}
	c.lru = append(c.lru, key)
}

// evict closes the least recently used open indexes beyond max; c.mu is
// held. Their files stay in the folder for a quick reopen.
func (c *indexCache) evict() {
	for len(c.lru) > c.max {
		key := c.lru[0]
		c.lru = c.lru[1:]
		e := c.entries[key]
		if e == nil {
			continue
		}
		select {
		case <-e.ready:
		default:
			// Still fetching: keep it; it is evicted on a later pass.
			c.lru = append(c.lru, key)
			return
		}
		delete(c.entries, key)
		e.evicted = true
		if e.refs == 0 && e.ix != nil {
			e.ix.Close()
		}
	}
}

// drop forgets the index at key and deletes its cached copy (the job was
// deleted).
func (c *indexCache) drop(key string) error {
	c.mu.Lock()
	e := c.entries[key]
	delete(c.entries, key)
	for i, k := range c.lru {
		if k == key {
			c.lru = append(c.lru[:i], c.lru[i+1:]...)
			break
		}
	}
	if e != nil {
		e.evicted = true
		select {
		case <-e.ready:
			if e.refs == 0 && e.ix != nil {
				e.ix.Close()
			}
		default:
		}
	}
	c.mu.Unlock()
	if err := os.Remove(c.localPath(key)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("index cache: %w", err)
	}
	return nil
}
