package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob/blobtest"
)

func newStore(t *testing.T) *FS {
	t.Helper()
	s, err := NewFS(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestFSBlobStore runs the conformance suite every gas.BlobStore passes.
func TestFSBlobStore(t *testing.T) {
	t.Parallel()
	blobtest.Run(t, func(t *testing.T) gas.BlobStore { return newStore(t) })
}

func TestStatRecomputesMissingMetadata(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Put(ctx, "a/b", strings.NewReader("hello")); err != nil {
		t.Fatal(err)
	}
	// Simulate a crash between the data rename and the metadata write, and a
	// file changed behind the store's back.
	if err := os.RemoveAll(filepath.Join(s.Root(), metaDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Root(), "a", "b"), []byte("hello, world"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := s.Stat(ctx, "a/b")
	if err != nil || st.Size != 12 || st.SHA256 != sum([]byte("hello, world")) {
		t.Fatalf("stat = %+v, %v", st, err)
	}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, errors.New("disk on fire")
	}
	f.n--
	return copy(p, "partial data"), nil
}

// A failed Put leaves no temporary file behind (the suite checks that the
// old object stays).
func TestFailedPutLeavesNoTempFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Put(ctx, "k/obj", strings.NewReader("original")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k/obj", &failingReader{n: 3}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root(), "k"))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}
}

func TestValidKey(t *testing.T) {
	t.Parallel()
	for _, k := range []string{"user/1/0b5c-1/result.vcf.gz", "x", "a_b-c.d/e"} {
		if err := ValidKey(k); err != nil {
			t.Errorf("ValidKey(%q) = %v", k, err)
		}
	}
}

func TestRemoveTemp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Put(ctx, "user/1/j/result.vcf.gz", strings.NewReader("done")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(s.Root(), "user", "1", "j")
	old, fresh := filepath.Join(dir, ".tmp-111"), filepath.Join(dir, ".tmp-222")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(old, past, past); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveTemp(ctx, time.Hour); err != nil || n != 1 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatal("old temp file kept")
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatal("fresh temp file (a write in progress) removed")
	}
	if n, err := s.RemoveTemp(ctx, 0); err != nil || n != 1 {
		t.Fatalf("removed %d, %v", n, err)
	}
	if st, err := s.Stat(ctx, "user/1/j/result.vcf.gz"); err != nil || st.Size != 4 {
		t.Fatalf("object damaged: %+v %v", st, err)
	}
}
