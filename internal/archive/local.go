// Package archive implements gas.ColdStore. Local keeps zstd-compressed
// objects under a directory (<DataDir>/archive) and imitates Glacier's
// retrieval tiers with configurable delays, so the whole archive → restore →
// thaw flow can be seen on one machine. Retrieval requests are recorded in
// small sidecar files, so a retrieval survives a restart of the process.
package archive

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
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
)

// Sidecar directories. Keys cannot start a segment with a dot (blob.ValidKey),
// so no object key can collide with them or with temporary files.
const (
	metaDir      = ".meta"      // size and SHA-256 of the uncompressed bytes
	retrievalDir = ".retrieval" // tier and ready time of a requested retrieval
)

// LocalConfig configures a Local archive.
type LocalConfig struct {
	// Dir is where objects live, normally <DataDir>/archive. Required.
	Dir string
	// Delays is how long a retrieval takes per tier. A tier missing from
	// the map or with a negative delay is unavailable (EUNAVAILABLE), the
	// way Glacier refuses expedited retrievals when it has no capacity.
	Delays map[gas.RetrievalTier]time.Duration
	// Now is the clock deciding when a retrieval is ready; nil means time.Now.
	Now func() time.Time
}

// Local is the file-system cold archive.
type Local struct {
	root   string
	delays map[gas.RetrievalTier]time.Duration
	now    func() time.Time
	// retrieveMu makes Retrieve's check-then-record atomic in this process,
	// so two concurrent requests for one key get the same retrieval.
	retrieveMu sync.Mutex
}

var _ gas.ColdStore = (*Local)(nil)

// NewLocal returns a local archive rooted at cfg.Dir, creating it when needed.
func NewLocal(cfg LocalConfig) (*Local, error) {
	if cfg.Dir == "" {
		return nil, errors.New("archive: new local: empty directory")
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("archive: new local: %w", err)
	}
	if err := os.MkdirAll(abs, 0o750); err != nil {
		return nil, fmt.Errorf("archive: new local: %w", err)
	}
	delays := make(map[gas.RetrievalTier]time.Duration, len(cfg.Delays))
	for tier, d := range cfg.Delays {
		if !validTier(tier) {
			return nil, fmt.Errorf("archive: new local: unknown retrieval tier %q", tier)
		}
		delays[tier] = d
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Local{root: abs, delays: delays, now: now}, nil
}

// Root returns the directory the archive writes to.
func (s *Local) Root() string { return s.root }

func validTier(t gas.RetrievalTier) bool {
	return t == gas.TierExpedited || t == gas.TierStandard || t == gas.TierBulk
}

func (s *Local) path(key string) string { return filepath.Join(s.root, filepath.FromSlash(key)) }

func (s *Local) sidecar(dir, key string) string {
	return filepath.Join(s.root, dir, filepath.FromSlash(key)+".json")
}

type meta struct {
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

type retrieval struct {
	Tier    gas.RetrievalTier `json:"tier"`
	ReadyAt time.Time         `json:"ready_at"`
}

func checkKey(op, key string) error {
	if err := blob.ValidKey(key); err != nil {
		return fmt.Errorf("archive: %s: %w", op, err)
	}
	return nil
}

func notFound(op, key string, err error) error {
	return &gas.Error{Code: gas.ENOTFOUND, Message: "Archived file not found.", Err: fmt.Errorf("archive: %s %s: %w", op, key, err)}
}

// Put compresses r into the archive under key atomically (temporary file,
// sync, rename) and returns the size and SHA-256 of the bytes read from r.
// A replaced object is cold again: any retrieval of the old one is dropped.
func (s *Local) Put(ctx context.Context, key string, r io.Reader) (gas.BlobInfo, error) {
	if err := checkKey("put", key); err != nil {
		return gas.BlobInfo{}, err
	}
	var info gas.BlobInfo
	err := blob.WriteAtomic(s.path(key), func(w io.Writer) error {
		// Results are already gzip-compressed, so the fastest level costs
		// little and gains as much as any; other objects still shrink.
		enc, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		h := sha256.New()
		n, err := io.Copy(io.MultiWriter(enc, h), blob.ContextReader(ctx, r))
		if err != nil {
			enc.Close()
			return err
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("compress: %w", err)
		}
		info = gas.BlobInfo{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
		return nil
	}, func() error {
		// Drop the old sidecars first: after a crash between these steps
		// Stat recomputes the checksum and the object is cold, never
		// described by the previous object's metadata or retrieval.
		for _, dir := range []string{metaDir, retrievalDir} {
			if err := os.Remove(s.sidecar(dir, key)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("archive: put %s: %w", key, err)
	}
	if err := s.writeSidecar(metaDir, key, meta{Size: info.Size, SHA256: info.SHA256}); err != nil {
		return gas.BlobInfo{}, fmt.Errorf("archive: put %s: %w", key, err)
	}
	return info, nil
}

// Stat returns the size and SHA-256 of the uncompressed object; ENOTFOUND
// when absent. Like a HEAD request on Glacier it needs no retrieval.
func (s *Local) Stat(ctx context.Context, key string) (gas.BlobInfo, error) {
	if err := checkKey("stat", key); err != nil {
		return gas.BlobInfo{}, err
	}
	if _, err := os.Stat(s.path(key)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return gas.BlobInfo{}, notFound("stat", key, err)
		}
		return gas.BlobInfo{}, fmt.Errorf("archive: stat %s: %w", key, err)
	}
	var m meta
	if ok, err := s.readSidecar(metaDir, key, &m); err == nil && ok && len(m.SHA256) == 64 {
		return gas.BlobInfo{Key: key, Size: m.Size, SHA256: m.SHA256}, nil
	}
	// The metadata is missing (a crash right after the rename): recompute
	// it from the object and record it again.
	rc, err := s.decompress(key)
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("archive: stat %s: %w", key, err)
	}
	defer rc.Close()
	h := sha256.New()
	n, err := io.Copy(h, blob.ContextReader(ctx, rc))
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("archive: stat %s: checksum: %w", key, err)
	}
	info := gas.BlobInfo{Key: key, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	// Best effort: failing to cache the checksum only costs time later.
	_ = s.writeSidecar(metaDir, key, meta{Size: n, SHA256: info.SHA256})
	return info, nil
}

// Retrieve starts a retrieval of key at tier, ready after the tier's
// delay. A retrieval already requested (in progress or done) is returned
// as it is, whatever tier is asked now. An unavailable tier is EUNAVAILABLE.
func (s *Local) Retrieve(ctx context.Context, key string, tier gas.RetrievalTier) (gas.Retrieval, error) {
	if err := checkKey("retrieve", key); err != nil {
		return gas.Retrieval{}, err
	}
	if !validTier(tier) {
		return gas.Retrieval{}, gas.Errorf(gas.EINVALID, "Unknown retrieval tier %q.", tier)
	}
	if err := ctx.Err(); err != nil {
		return gas.Retrieval{}, fmt.Errorf("archive: retrieve %s: %w", key, err)
	}
	if _, err := os.Stat(s.path(key)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return gas.Retrieval{}, notFound("retrieve", key, err)
		}
		return gas.Retrieval{}, fmt.Errorf("archive: retrieve %s: %w", key, err)
	}
	s.retrieveMu.Lock()
	defer s.retrieveMu.Unlock()
	var cur retrieval
	ok, err := s.readSidecar(retrievalDir, key, &cur)
	if err != nil {
		return gas.Retrieval{}, fmt.Errorf("archive: retrieve %s: %w", key, err)
	}
	if ok {
		return gas.Retrieval{Tier: cur.Tier, ReadyAt: cur.ReadyAt}, nil
	}
	d, ok := s.delays[tier]
	if !ok || d < 0 {
		return gas.Retrieval{}, gas.Errorf(gas.EUNAVAILABLE, "The %s retrieval tier is not available now.", tier)
	}
	r := retrieval{Tier: tier, ReadyAt: s.now().UTC().Add(d)}
	if err := s.writeSidecar(retrievalDir, key, r); err != nil {
		return gas.Retrieval{}, fmt.Errorf("archive: retrieve %s: %w", key, err)
	}
	return gas.Retrieval{Tier: r.Tier, ReadyAt: r.ReadyAt}, nil
}

// Retrieved reports whether a retrieval of key was requested and its ready
// time has passed. A missing object is ENOTFOUND.
func (s *Local) Retrieved(ctx context.Context, key string) (bool, error) {
	if err := checkKey("retrieved", key); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("archive: retrieved %s: %w", key, err)
	}
	if _, err := os.Stat(s.path(key)); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, notFound("retrieved", key, err)
		}
		return false, fmt.Errorf("archive: retrieved %s: %w", key, err)
	}
	var r retrieval
	ok, err := s.readSidecar(retrievalDir, key, &r)
	if err != nil {
		return false, fmt.Errorf("archive: retrieved %s: %w", key, err)
	}
	return ok && !s.now().Before(r.ReadyAt), nil
}

// Open reads a retrieved object, decompressing it. ENOTFOUND when absent,
// EUNAVAILABLE before its retrieval has finished.
func (s *Local) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	ready, err := s.Retrieved(ctx, key)
	if err != nil {
		return nil, err
	}
	if !ready {
		return nil, gas.Errorf(gas.EUNAVAILABLE, "The archived file has not been retrieved yet.")
	}
	rc, err := s.decompress(key)
	if err != nil {
		return nil, fmt.Errorf("archive: open %s: %w", key, err)
	}
	return rc, nil
}

// Delete removes an object and its sidecars; a missing object is not an error.
func (s *Local) Delete(ctx context.Context, key string) error {
	if err := checkKey("delete", key); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("archive: delete %s: %w", key, err)
	}
	// The object first: a crash after it leaves only orphan sidecars, which
	// Put removes before it writes the key again.
	for _, p := range []string{s.path(key), s.sidecar(metaDir, key), s.sidecar(retrievalDir, key)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("archive: delete %s: %w", key, err)
		}
	}
	return nil
}

// decompressor closes both the zstd decoder and the file under it.
type decompressor struct {
	*zstd.Decoder
	f *os.File
}

func (d decompressor) Close() error {
	d.Decoder.Close()
	return d.f.Close()
}

func (s *Local) decompress(key string) (io.ReadCloser, error) {
	f, err := os.Open(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, notFound("open", key, err)
	}
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
	if err != nil {
		f.Close()
		return nil, err
	}
	return decompressor{Decoder: dec, f: f}, nil
}

// readSidecar decodes a sidecar into v; ok is false when there is none.
func (s *Local) readSidecar(dir, key string, v any) (ok bool, err error) {
	b, err := os.ReadFile(s.sidecar(dir, key))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("%s sidecar: %w", dir, err)
	}
	return true, nil
}

// writeSidecar replaces a sidecar atomically, so a reader never sees half
// of one and a failed write leaves the old one.
func (s *Local) writeSidecar(dir, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("%s sidecar: %w", dir, err)
	}
	err = blob.WriteAtomic(s.sidecar(dir, key), func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}, nil)
	if err != nil {
		return fmt.Errorf("%s sidecar: %w", dir, err)
	}
	return nil
}
