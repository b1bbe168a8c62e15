package jobs_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/refdata"
)

func TestBundleDirOpensOnceAndRetriesFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, n := range []string{"demo", "broken"} {
		if err := os.Mkdir(filepath.Join(dir, n), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	var opens atomic.Int32
	var failBroken atomic.Bool
	failBroken.Store(true)
	d := jobs.NewBundleDir(dir, func(p string) (*refdata.Bundle, error) {
		opens.Add(1)
		if filepath.Base(p) == "broken" && failBroken.Load() {
			return nil, errors.New("bad index")
		}
		return &refdata.Bundle{}, nil
	})
	var wg sync.WaitGroup
	got := make([]*refdata.Bundle, 8)
	for i := range got {
		wg.Go(func() {
			b, err := d.Bundle(ctx, "demo")
			if err != nil {
				t.Error(err)
			}
			got[i] = b
		})
	}
	wg.Wait()
	for _, b := range got {
		if b != got[0] {
			t.Fatal("different bundle instances for one name")
		}
	}
	if opens.Load() != 1 {
		t.Fatalf("opened %d times", opens.Load())
	}
	if _, err := d.Bundle(ctx, "broken"); err == nil {
		t.Fatal("broken bundle opened")
	}
	failBroken.Store(false)
	if _, err := d.Bundle(ctx, "broken"); err != nil {
		t.Fatalf("failure was cached: %v", err)
	}
	if _, err := d.Bundle(ctx, "absent"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("absent: %v", err)
	}
	for _, bad := range []string{"", "../etc", ".hidden", "a/b"} {
		if _, err := d.Bundle(ctx, bad); gas.ErrorCode(err) != gas.EINVALID {
			t.Fatalf("%q: %v", bad, err)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}
