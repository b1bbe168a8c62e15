package variantdb

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// The demo bundle takes a moment to build, so the package's tests share
// one, built on first use in a directory TestMain removes.
var (
	demoOnce   sync.Once
	demoDir    string
	demoBundle *refdata.Bundle
	demoErr    error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if demoBundle != nil {
		demoBundle.Close()
	}
	if demoDir != "" {
		os.RemoveAll(demoDir)
	}
	os.Exit(code)
}

func bundle(t testing.TB) *refdata.Bundle {
	t.Helper()
	demoOnce.Do(func() {
		if demoDir, demoErr = os.MkdirTemp("", "variantdb-demo-"); demoErr != nil {
			return
		}
		dir := filepath.Join(demoDir, "demo")
		if _, demoErr = refdata.BuildDemo(context.Background(), dir, "test"); demoErr != nil {
			return
		}
		demoBundle, demoErr = refdata.Open(dir)
	})
	if demoErr != nil {
		t.Fatal(demoErr)
	}
	return demoBundle
}

// annotated runs the real engine over in and returns its BGZF output, as
// the annotate worker stores it.
func annotated(t testing.TB, in []byte, opt annotate.Options) ([]byte, *annotate.Summary) {
	t.Helper()
	var out bytes.Buffer
	opt.BGZF = true
	opt.Workers = 2
	sum, err := annotate.Annotate(context.Background(), bytes.NewReader(in), &out, bundle(t), opt)
	if err != nil {
		t.Fatalf("annotate: %v", err)
	}
	return out.Bytes(), sum
}

// demoResult is the annotated demo VCF.
func demoResult(t testing.TB) ([]byte, *annotate.Summary) {
	return annotated(t, refdata.DemoVCF(), annotate.Options{})
}

// buildIndex builds an index of src in a temp dir and opens it.
func buildIndex(t testing.TB, src []byte, opt BuildOptions) (*Index, *BuildInfo) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "variants.sqlite")
	info, err := Build(context.Background(), bytes.NewReader(src), path, opt)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	ix, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix, info
}

// allRIDs pages through a view and returns its record numbers in page
// order, failing when a page repeats a record or the total disagrees.
func allRIDs(t testing.TB, ix *Index, f Filter) []int64 {
	t.Helper()
	f.Page = 1
	var out []int64
	seen := map[int64]bool{}
	for {
		res, err := ix.Query(context.Background(), f)
		if err != nil {
			t.Fatalf("Query(%s) page %d: %v", f.Encode(), f.Page, err)
		}
		for _, r := range res.Rows {
			if seen[r.RID] {
				t.Fatalf("Query(%s): record %d on two pages", f.Encode(), r.RID)
			}
			seen[r.RID] = true
			out = append(out, r.RID)
		}
		if f.Page >= res.Pages {
			if int64(len(out)) != res.Total {
				t.Fatalf("Query(%s): %d rows over %d pages, total says %d", f.Encode(), len(out), res.Pages, res.Total)
			}
			return out
		}
		f.Page++
	}
}
