// Package blobtest is the behaviour every gas.BlobStore must have, as a
// test suite an implementation runs against itself (as archivetest is for
// cold stores):
//
//	func TestBlobStore(t *testing.T) {
//		blobtest.Run(t, func(t *testing.T) gas.BlobStore { return newEmptyStore(t) })
//	}
//
// What only one store does (S3's multipart uploads and checksum metadata,
// the local store's temporary files) stays in that store's own tests. Only
// tests import it.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/gas-project/gas"
)

// NewStore returns a fresh, empty store.
type NewStore func(t *testing.T) gas.BlobStore

// LargeSize is the size of the suite's large object: more than one 5 MiB
// part, so a store that uploads in parts (S3) does so.
const LargeSize = 6 << 20

// Run runs the whole suite against stores made by newStore.
func Run(t *testing.T, newStore NewStore) {
	t.Helper()
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, s gas.BlobStore)
	}{
		{"PutOpenStatDelete", testPutOpenStatDelete},
		{"Replace", testReplace},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Missing", testMissing},
		{"FailedPutKeepsOld", testFailedPutKeepsOld},
		{"CancelledPut", testCancelledPut},
		{"InvalidKeys", testInvalidKeys},
		{"ConcurrentPuts", testConcurrentPuts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newStore(t))
		})
	}
}

// Sum is the hex SHA-256 of b, as a BlobInfo holds it.
func Sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// RandomBytes are n incompressible bytes that differ per seed, so a part
// sent twice or out of order would change the checksum.
func RandomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// Opener is a store that reads objects back: a gas.BlobStore, or a
// gas.ColdStore once the object is retrieved.
type Opener interface {
	Open(ctx context.Context, key string) (io.ReadCloser, error)
}

// ReadAll reads the object at key.
func ReadAll(t *testing.T, s Opener, key string) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key)
	if err != nil {
		t.Fatalf("open %s: %v", key, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

// put stores data at key and checks the info Put returns.
func put(t *testing.T, s gas.BlobStore, key string, data []byte) gas.BlobInfo {
	t.Helper()
	info, err := s.Put(context.Background(), key, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
	if want := (gas.BlobInfo{Key: key, Size: int64(len(data)), SHA256: Sum(data)}); info != want {
		t.Fatalf("put %s = %+v, want %+v", key, info, want)
	}
	return info
}

func testPutOpenStatDelete(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	const key = "user/1/job-a/input.vcf"
	data := bytes.Repeat([]byte("ACGT"), 100_000)
	info := put(t, s, key, data)
	if got := ReadAll(t, s, key); !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, want %d", len(got), len(data))
	}
	if st, err := s.Stat(ctx, key); err != nil || st != info {
		t.Fatalf("stat = %+v, %v; want %+v", st, err, info)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, err := s.Open(ctx, key); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("open after delete: %v", err)
	}
	if _, err := s.Stat(ctx, key); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("stat after delete: %v", err)
	}
}

// Replacing an object replaces its contents and its checksum, and leaves
// its neighbours alone.
func testReplace(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	put(t, s, "user/1/j/a", []byte("first"))
	other := put(t, s, "user/1/j/b", []byte("neighbour"))
	info := put(t, s, "user/1/j/a", []byte("second, longer"))
	if st, err := s.Stat(ctx, "user/1/j/a"); err != nil || st != info {
		t.Fatalf("stat after replace = %+v, %v; want %+v", st, err, info)
	}
	if got := ReadAll(t, s, "user/1/j/a"); string(got) != "second, longer" {
		t.Fatalf("read after replace: %q", got)
	}
	if st, err := s.Stat(ctx, "user/1/j/b"); err != nil || st != other {
		t.Fatalf("neighbour changed: %+v, %v", st, err)
	}
}

func testEmpty(t *testing.T, s gas.BlobStore) {
	info := put(t, s, "user/1/j/empty.log", nil)
	if st, err := s.Stat(context.Background(), "user/1/j/empty.log"); err != nil || st != info {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	if got := ReadAll(t, s, "user/1/j/empty.log"); len(got) != 0 {
		t.Fatalf("read %q", got)
	}
}

func testLarge(t *testing.T, s gas.BlobStore) {
	data := RandomBytes(LargeSize, 1)
	info := put(t, s, "user/2/job-b/result.vcf.gz", data)
	if st, err := s.Stat(context.Background(), "user/2/job-b/result.vcf.gz"); err != nil || st != info {
		t.Fatalf("stat = %+v, %v", st, err)
	}
	if got := ReadAll(t, s, "user/2/job-b/result.vcf.gz"); !bytes.Equal(got, data) {
		t.Fatal("large object read back differs")
	}
}

func testMissing(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	if _, err := s.Open(ctx, "user/9/none/x"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("open missing: %v", err)
	}
	if _, err := s.Stat(ctx, "user/9/none/x"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("stat missing: %v", err)
	}
	if err := s.Delete(ctx, "user/9/none/x"); err != nil {
		t.Fatalf("delete missing: %v", err)
	}
}

// failingReader yields its bytes and then, instead of EOF, an error: a
// client that disconnects mid-upload.
type failingReader struct{ r io.Reader }

var errDisconnected = errors.New("client went away")

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDisconnected
	}
	return n, err
}

// A Put that fails part-way never becomes visible: the old object stays,
// whole, at both sizes (a store may upload small and large bodies
// differently).
func testFailedPutKeepsOld(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	const key = "user/1/j/in.vcf"
	old := put(t, s, key, []byte("old contents"))
	for _, size := range []int{1000, LargeSize} {
		_, err := s.Put(ctx, key, &failingReader{bytes.NewReader(RandomBytes(size, uint64(size)))})
		if !errors.Is(err, errDisconnected) {
			t.Fatalf("put of %d bytes: %v; want the reader's error", size, err)
		}
		if st, err := s.Stat(ctx, key); err != nil || st != old {
			t.Fatalf("after a failed put of %d bytes: stat = %+v, %v", size, st, err)
		}
		if got := ReadAll(t, s, key); string(got) != "old contents" {
			t.Fatalf("after a failed put of %d bytes: read %q", size, got)
		}
	}
	if _, err := s.Put(ctx, "user/1/j/new", &failingReader{strings.NewReader("partial")}); err == nil {
		t.Fatal("a failed put of a new key succeeded")
	}
	if _, err := s.Stat(ctx, "user/1/j/new"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("a failed put of a new key became visible: %v", err)
	}
}

func testCancelledPut(t *testing.T, s gas.BlobStore) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Put(ctx, "user/1/j/x", strings.NewReader("data")); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with a cancelled context: %v", err)
	}
	if _, err := s.Stat(context.Background(), "user/1/j/x"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("object exists after a cancelled put: %v", err)
	}
}

// Keys that could escape the store's root or hide among its own files are
// EINVALID for every method.
func testInvalidKeys(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	for _, key := range []string{"", "/abs", "../x", "a/../../x", "a//b", "a/./b", ".hidden", "a/.meta/b", `a\b`, "sp ace", "a/", "ü", "a\x00b"} {
		if _, err := s.Put(ctx, key, strings.NewReader("x")); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("put %q: %v", key, err)
		}
		if _, err := s.Open(ctx, key); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("open %q: %v", key, err)
		}
		if _, err := s.Stat(ctx, key); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("stat %q: %v", key, err)
		}
		if err := s.Delete(ctx, key); gas.ErrorCode(err) != gas.EINVALID {
			t.Errorf("delete %q: %v", key, err)
		}
	}
}

// Concurrent Puts of one key leave one of the bodies, whole: writes
// replace atomically, never interleave. (Which checksum Stat reports right
// after such a race is not part of the contract: GAS never writes one key
// from two places at once.)
func testConcurrentPuts(t *testing.T, s gas.BlobStore) {
	ctx := context.Background()
	const key = "user/1/j/race"
	bodies := make(map[string][]byte)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := range 4 {
		b := bytes.Repeat([]byte{byte('a' + i)}, 200_000)
		bodies[Sum(b)] = b
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Put(ctx, key, bytes.NewReader(b)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent put: %v", err)
	}
	got := ReadAll(t, s, key)
	if _, ok := bodies[Sum(got)]; !ok {
		t.Fatalf("after concurrent puts the object is none of the bodies (%d bytes)", len(got))
	}
}
