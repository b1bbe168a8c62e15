package variantdb

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func TestCache(t *testing.T) {
	src, sum := demoResult(t)
	var idx bytes.Buffer
	info, err := BuildTo(context.Background(), bytes.NewReader(src), &idx, t.TempDir(), BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCache(filepath.Join(t.TempDir(), "cache"), 1)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	var fetches atomic.Int64
	fetch := func(_ context.Context, w io.Writer) error {
		fetches.Add(1)
		_, err := w.Write(idx.Bytes())
		return err
	}

	// Concurrent first requests fetch once.
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ix, release, err := c.Get(ctx, "job-1", info.SHA256, fetch)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			if n, err := ix.Count(ctx, Filter{}); err != nil || n != sum.Records {
				t.Errorf("count %d, %v", n, err)
			}
		}()
	}
	wg.Wait()
	if fetches.Load() != 1 {
		t.Errorf("%d fetches for one key", fetches.Load())
	}

	// With room for one open index, opening another closes the first; it
	// comes back from local disk without a fetch.
	ix1, rel1, err := c.Get(ctx, "job-1", "", fetch)
	if err != nil {
		t.Fatal(err)
	}
	rel1()
	_, rel2, err := c.Get(ctx, "job-2", "", fetch)
	if err != nil {
		t.Fatal(err)
	}
	rel2()
	if _, err := ix1.Count(ctx, Filter{Gene: "MRPL39"}); err == nil {
		t.Error("the least recently used index is still open")
	}
	if _, rel, err := c.Get(ctx, "job-1", info.SHA256, fetch); err != nil {
		t.Fatal(err)
	} else {
		rel()
	}
	if fetches.Load() != 2 {
		t.Errorf("%d fetches, want 2 (job-1 once, job-2 once)", fetches.Load())
	}

	// A result checksum that the index does not have: dropped, fetched
	// again, and still wrong, so an error.
	if _, _, err := c.Get(ctx, "job-1", "0000", fetch); err == nil {
		t.Error("index of another result accepted")
	}

	// A failed fetch leaves no file; the next Get tries again.
	boom := errors.New("store down")
	if _, _, err := c.Get(ctx, "job-3", "", func(_ context.Context, w io.Writer) error {
		w.Write([]byte("partial"))
		return boom
	}); !errors.Is(err, boom) {
		t.Errorf("failed fetch: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(c.dir, "job-3*")); len(left) != 0 {
		t.Errorf("failed fetch left %v", left)
	}
	if _, rel, err := c.Get(ctx, "job-3", "", fetch); err != nil {
		t.Errorf("retry after a failed fetch: %v", err)
	} else {
		rel()
	}
	// A fetched file that is no index is an error and is not kept.
	if _, _, err := c.Get(ctx, "job-4", "", func(_ context.Context, w io.Writer) error {
		_, err := w.Write(bytes.Repeat([]byte("x"), 4096))
		return err
	}); err == nil {
		t.Error("a junk file opened as an index")
	}
	if _, err := os.Stat(c.Path("job-4")); !os.IsNotExist(err) {
		t.Errorf("junk index kept: %v", err)
	}

	for _, bad := range []string{"", "../etc", "a/b", "x.sqlite"} {
		if _, _, err := c.Get(ctx, bad, "", fetch); !errors.Is(err, ErrBadKey) {
			t.Errorf("key %q: %v", bad, err)
		}
	}
	c.Remove("job-1")
	if _, err := os.Stat(c.Path("job-1")); !os.IsNotExist(err) {
		t.Errorf("Remove left the file: %v", err)
	}
}
