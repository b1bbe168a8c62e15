package web

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/variantdb"
)

// countingBlobs counts the objects read from a real blob store: the cache
// must fetch each index once.
type countingBlobs struct {
	gas.BlobStore
	opens atomic.Int64
}

func (c *countingBlobs) Open(ctx context.Context, key string) (io.ReadCloser, error) {
	c.opens.Add(1)
	return c.BlobStore.Open(ctx, key)
}

// TestIndexCache: an index is downloaded once and served from the local
// copy; beyond the limit the least recently used is closed (after its last
// reader) and reopened from disk without a download; drop removes the copy.
func TestIndexCache(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fs, err := blob.NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	blobs := &countingBlobs{BlobStore: fs}
	const vcfText = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n"
	for _, key := range []string{"a/variants.sqlite", "b/variants.sqlite"} {
		path := filepath.Join(t.TempDir(), "v.sqlite")
		if _, err := variantdb.Build(ctx, strings.NewReader(vcfText), path, variantdb.BuildOptions{}); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fs.Put(ctx, key, f); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	dir := t.TempDir()
	c := newIndexCache(dir, blobs, 1)

	a, releaseA, err := c.get(ctx, "a/variants.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	_, releaseA2, err := c.get(ctx, "a/variants.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if n := blobs.opens.Load(); n != 1 {
		t.Fatalf("%d downloads for two reads of one index", n)
	}
	// b evicts a, which two readers still hold: it must stay usable.
	_, releaseB, err := c.get(ctx, "b/variants.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	if res, err := a.Query(ctx, variantdb.Filter{}); err != nil || len(res.Rows) != 1 {
		t.Fatalf("evicted index in use: %v, %v", res, err)
	}
	releaseA()
	releaseA2()
	releaseB()
	if _, err := a.Query(ctx, variantdb.Filter{}); err == nil {
		t.Fatal("the evicted index is still open after its last reader")
	}
	// Reopened from the local copy: no new download.
	_, release, err := c.get(ctx, "a/variants.sqlite")
	if err != nil {
		t.Fatal(err)
	}
	release()
	if n := blobs.opens.Load(); n != 2 {
		t.Fatalf("%d downloads, want 2 (a once, b once)", n)
	}
	if err := c.drop("a/variants.sqlite"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.localPath("a/variants.sqlite")); !os.IsNotExist(err) {
		t.Fatalf("dropped copy: %v", err)
	}
	if _, _, err := c.get(ctx, "missing/variants.sqlite"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing index: %v", err)
	}
}
