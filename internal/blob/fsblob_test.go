package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
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

func TestPutOpenStatDelete(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	data := bytes.Repeat([]byte("ACGT"), 100_000)
	info, err := s.Put(ctx, "user/1/job-a/input.vcf", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if info.Size != int64(len(data)) || info.SHA256 != sum(data) || info.Key != "user/1/job-a/input.vcf" {
		t.Fatalf("info = %+v", info)
	}
	rc, err := s.Open(ctx, "user/1/job-a/input.vcf")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, err %v", len(got), err)
	}
	st, err := s.Stat(ctx, "user/1/job-a/input.vcf")
	if err != nil || st != info {
		t.Fatalf("stat = %+v, %v; want %+v", st, err, info)
	}

	// Replacing an object replaces its checksum too.
	info2, err := s.Put(ctx, "user/1/job-a/input.vcf", strings.NewReader("new"))
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Stat(ctx, "user/1/job-a/input.vcf"); st != info2 || st.SHA256 != sum([]byte("new")) {
		t.Fatalf("stat after replace = %+v", st)
	}

	if err := s.Delete(ctx, "user/1/job-a/input.vcf"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "user/1/job-a/input.vcf"); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, err := s.Open(ctx, "user/1/job-a/input.vcf"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("open after delete: %v", err)
	}
	if _, err := s.Stat(ctx, "user/1/job-a/input.vcf"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("stat after delete: %v", err)
	}
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

func TestFailedPutLeavesOldObjectAndNoTempFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	if _, err := s.Put(ctx, "k/obj", strings.NewReader("original")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "k/obj", &failingReader{n: 3}); err == nil || !strings.Contains(err.Error(), "disk on fire") {
		t.Fatalf("err = %v", err)
	}
	rc, err := s.Open(ctx, "k/obj")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != "original" {
		t.Fatalf("object = %q after failed put", got)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root(), "k"))
	if len(entries) != 1 {
		t.Fatalf("leftover files: %v", entries)
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Put(cctx, "k/other", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with cancelled ctx: %v", err)
	}
	if _, err := s.Stat(ctx, "k/other"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("cancelled put became visible: %v", err)
	}
}

func TestKeysCannotEscape(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := newStore(t)
	bad := []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "a/./b", ".meta/x", "a/.hidden", `a\b`, "a b", "a/", "ü"}
	for _, k := range bad {
		if _, err := s.Put(ctx, k, strings.NewReader("x")); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("Put(%q) err = %v, want EINVALID", k, err)
		}
		if _, err := s.Open(ctx, k); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("Open(%q) err = %v, want EINVALID", k, err)
		}
		if err := s.Delete(ctx, k); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("Delete(%q) err = %v, want EINVALID", k, err)
		}
	}
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
