package variantdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// Cache keeps job indexes on local disk and the most recently used ones
// open, for the web: the index is stored in the blob store (BuildTo), but
// SQLite needs a local file, and opening one loads its filter columns
// (about 30 ms for a million records), which a page should not pay every
// time. It is safe for concurrent use.
type Cache struct {
	dir     string
	maxOpen int

	mu      sync.Mutex
	entries map[string]*cacheEntry
	clock   int64
}

type cacheEntry struct {
	ix      *Index
	refs    int
	used    int64
	ready   chan struct{} // closed when the load finished
	err     error
	evicted bool
}

// NewCache keeps index files under dir (created if needed) and at most
// maxOpen indexes open (at least 1).
func NewCache(dir string, maxOpen int) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("variantdb: cache: %w", err)
	}
	return &Cache{dir: dir, maxOpen: max(maxOpen, 1), entries: map[string]*cacheEntry{}}, nil
}

// ErrBadKey is returned for a cache key that is not a plain name.
var ErrBadKey = errors.New("variantdb: cache key must be 1-100 letters, digits, '-' or '_'")

func validKey(k string) bool {
	if len(k) == 0 || len(k) > 100 {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Path is where the index of key lives on local disk.
func (c *Cache) Path(key string) string { return filepath.Join(c.dir, key+".sqlite") }

// Get returns the open index of key (a job ID). When the file is not on
// local disk, fetch writes it (e.g. copies the blob store object); a
// failed fetch leaves nothing behind. wantSHA256, when not empty, must be
// the index's Meta.SHA256 (the job's result checksum): an index of another
// result (the job was re-run) is dropped and fetched again. Call release
// when done with the index; it stays open for the next request until
// evicted.
func (c *Cache) Get(ctx context.Context, key, wantSHA256 string, fetch func(ctx context.Context, w io.Writer) error) (ix *Index, release func(), err error) {
	if !validKey(key) {
		return nil, nil, ErrBadKey
	}
	for attempt := 0; attempt < 2; attempt++ {
		e, err := c.acquire(ctx, key, fetch)
		if err != nil {
			return nil, nil, err
		}
		if wantSHA256 == "" || e.ix.Meta.SHA256 == wantSHA256 {
			return e.ix, func() { c.release(e) }, nil
		}
		c.release(e)
		c.Remove(key) // stale: built from another result
	}
	return nil, nil, fmt.Errorf("variantdb: the fetched index of %s is not of the result with sha256 %s", key, wantSHA256)
}

func (c *Cache) acquire(ctx context.Context, key string, fetch func(context.Context, io.Writer) error) (*cacheEntry, error) {
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.clock++
		e.used, e.refs = c.clock, 1
		c.mu.Unlock()
		e.ix, e.err = c.load(ctx, key, fetch)
		c.mu.Lock()
		if e.err != nil {
			delete(c.entries, key)
		}
		close(e.ready)
		err := e.err
		if err == nil {
			c.evict()
		}
		c.mu.Unlock()
		return e, err
	}
	e.refs++
	c.clock++
	e.used = c.clock
	c.mu.Unlock()
	select {
	case <-e.ready:
	case <-ctx.Done():
		c.release(e)
		return nil, ctx.Err()
	}
	if e.err != nil {
		return nil, e.err
	}
	return e, nil
}

// load opens the local file, fetching it first when missing.
func (c *Cache) load(ctx context.Context, key string, fetch func(context.Context, io.Writer) error) (*Index, error) {
	path := c.Path(key)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		tmp, err := os.CreateTemp(c.dir, key+".*.part")
		if err != nil {
			return nil, fmt.Errorf("variantdb: cache: %w", err)
		}
		ferr := fetch(ctx, tmp)
		cerr := tmp.Close()
		if ferr == nil {
			ferr = cerr
		}
		if ferr == nil {
			ferr = os.Rename(tmp.Name(), path)
		}
		if ferr != nil {
			os.Remove(tmp.Name())
			return nil, fmt.Errorf("variantdb: fetch index %s: %w", key, ferr)
		}
	}
	ix, err := Open(path)
	if err != nil {
		// A damaged or old-format file is dropped so the next Get fetches
		// (or the caller rebuilds) a good one.
		os.Remove(path)
		return nil, err
	}
	return ix, nil
}

func (c *Cache) release(e *cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.refs--
	if e.refs == 0 && e.evicted && e.ix != nil {
		e.ix.Close()
	}
	c.evict()
}

// evict closes least recently used, unused indexes beyond maxOpen. An
// index in use is closed by its last release. Called with c.mu held.
func (c *Cache) evict() {
	for {
		open, oldest := 0, ""
		for k, e := range c.entries {
			if e.ix == nil {
				continue
			}
			open++
			if e.refs == 0 && (oldest == "" || e.used < c.entries[oldest].used) {
				oldest = k
			}
		}
		if open <= c.maxOpen || oldest == "" {
			return
		}
		e := c.entries[oldest]
		delete(c.entries, oldest)
		e.evicted = true
		e.ix.Close()
	}
}

// Remove forgets key and deletes its local file (the job was deleted or
// re-run). An index still in use is closed by its last release.
func (c *Cache) Remove(key string) {
	if !validKey(key) {
		return
	}
	c.mu.Lock()
	if e, ok := c.entries[key]; ok && e.ix != nil {
		delete(c.entries, key)
		e.evicted = true
		if e.refs == 0 {
			e.ix.Close()
		}
	}
	c.mu.Unlock()
	os.Remove(c.Path(key))
}

// Close closes every open index.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if e.ix != nil {
			e.evicted = true
			if e.refs == 0 {
				e.ix.Close()
			}
		}
		delete(c.entries, k)
	}
	return nil
}
