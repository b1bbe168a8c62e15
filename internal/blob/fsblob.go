// Package blob implements gas.BlobStore. FS keeps objects as plain files
// under a directory, the embedded default of a single-machine GAS.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gas-project/gas"
)

// metaDir holds the size and checksum of each object, so Stat does not have
// to re-read a multi-gigabyte file. Keys cannot start a segment with a dot,
// so no object can collide with it or with temporary files.
const metaDir = ".meta"

// FS is a gas.BlobStore on the local file system. Writes go to a temporary
// file in the target's directory and are renamed into place, so readers see
// either the old object or the complete new one, never a partial write.
type FS struct {
	root string
}

var _ gas.BlobStore = (*FS)(nil)

// NewFS returns a store rooted at dir, creating the directory when needed.
func NewFS(dir string) (*FS, error) {
	if dir == "" {
		return nil, errors.New("blob: new fs store: empty directory")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blob: new fs store: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("blob: new fs store: %w", err)
	}
	return &FS{root: abs}, nil
}

// Root returns the directory the store writes to.
func (s *FS) Root() string { return s.root }

// ValidKey reports why key cannot name an object, or nil. Keys are
// slash-separated relative paths of letters, digits, '.', '_' and '-'; no
// segment may be empty or start with a dot, which rules out "..", absolute
// paths and hidden files, so a key can never escape the store's directory.
func ValidKey(key string) error {
	if key == "" {
		return gas.Errorf(gas.EINVALID, "Empty object key.")
	}
	if len(key) > 1024 {
		return gas.Errorf(gas.EINVALID, "Object key too long.")
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg[0] == '.' {
			return gas.Errorf(gas.EINVALID, "Invalid object key %q.", key)
		}
		for _, r := range seg {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
			if !ok {
				return gas.Errorf(gas.EINVALID, "Invalid character in object key %q.", key)
			}
		}
	}
	return nil
}

func (s *FS) path(key string) string {
	return filepath.Join(s.root, filepath.FromSlash(key))
}

func (s *FS) metaPath(key string) string {
	return filepath.Join(s.root, metaDir, filepath.FromSlash(key)+".json")
}

type meta struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// ContextReader returns r stopping at its next Read once ctx is done, so a
// long copy into or out of storage ends with its request.
func ContextReader(ctx context.Context, r io.Reader) io.Reader { return ctxReader{ctx, r} }

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Put stores r under key atomically and returns its size and SHA-256.
func (s *FS) Put(ctx context.Context, key string, r io.Reader) (gas.BlobInfo, error) {
	if err := ValidKey(key); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: put: %w", err)
	}
	var info gas.BlobInfo
	err := WriteAtomic(s.path(key), func(w io.Writer) error {
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(w, h), ctxReader{ctx, r})
		info = gas.BlobInfo{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		return err
	}, func() error {
		// Drop the old metadata first: after a crash between the rename
		// and the new metadata, Stat finds none and recomputes, instead of
		// trusting a stale checksum.
		if err := os.Remove(s.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	if err := s.writeMeta(key, meta{Size: info.Size, SHA256: info.SHA256}); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: put %s: %w", key, err)
	}
	return info, nil
}

func (s *FS) writeMeta(key string, m meta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	err = WriteAtomic(s.metaPath(key), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("metadata: %w", err)
	}
	return nil
}

// Open returns a reader of the object; ENOTFOUND when absent.
func (s *FS) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidKey(key); err != nil {
		return nil, fmt.Errorf("blob: open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &gas.Error{Code: gas.ENOTFOUND, Message: "File not found.", Err: fmt.Errorf("blob: open %s: %w", key, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", key, err)
	}
	return f, nil
}

// Stat returns the size and SHA-256 of an object; ENOTFOUND when absent.
// The checksum comes from the metadata written by Put, recomputed (and
// re-recorded) when that is missing or does not match the file's size.
func (s *FS) Stat(ctx context.Context, key string) (gas.BlobInfo, error) {
	if err := ValidKey(key); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: stat: %w", err)
	}
	fi, err := os.Stat(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return gas.BlobInfo{}, &gas.Error{Code: gas.ENOTFOUND, Message: "File not found.", Err: fmt.Errorf("blob: stat %s: %w", key, err)}
	}
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	if b, err := os.ReadFile(s.metaPath(key)); err == nil {
		var m meta
		if json.Unmarshal(b, &m) == nil && m.Size == fi.Size() && len(m.SHA256) == 64 {
			return gas.BlobInfo{Key: key, Size: m.Size, SHA256: m.SHA256}, nil
		}
	}
	f, err := os.Open(s.path(key))
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("blob: stat %s: checksum: %w", key, err)
	}
	info := gas.BlobInfo{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	// Best effort: a failure to cache the checksum only costs time later.
	_ = s.writeMeta(key, meta{Size: n, SHA256: info.SHA256})
	return info, nil
}

// Delete removes an object and its metadata; a missing object is not an error.
func (s *FS) Delete(ctx context.Context, key string) error {
	if err := ValidKey(key); err != nil {
		return fmt.Errorf("blob: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := os.Remove(s.path(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := os.Remove(s.metaPath(key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("blob: delete %s: metadata: %w", key, err)
	}
	return nil
}

// SyncDir flushes a directory's entries to disk, so a rename into it
// survives a power cut.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

// RemoveTemp deletes temporary files older than age left behind by writes
// that never finished (a process killed mid-Put), and returns how many it
// removed. With age 0 it removes all of them, which is only safe when no
// other process is writing to the store.
func (s *FS) RemoveTemp(ctx context.Context, age time.Duration) (int, error) {
	cutoff := time.Now().Add(-age)
	n := 0
	err := filepath.WalkDir(s.root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() || !strings.HasPrefix(d.Name(), strings.TrimSuffix(tempPattern, "*")) {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if age > 0 && info.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("blob: remove temp files: %w", err)
	}
	return n, nil
}
