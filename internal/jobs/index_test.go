package jobs_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/variantdb"
	"github.com/gas-project/gas/refdata"
)

// TestIndexBuiltOnCompletion: the hook queues an index job in the
// completion's transaction; the worker builds the index of the real
// engine's result, stores it next to the result and records its key; the
// index holds every record of the result.
func TestIndexBuiltOnCompletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	store := e.db.JobStore(e.ins, jobs.IndexHook(e.ins))
	dir := filepath.Join(t.TempDir(), "refdata")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := refdata.BuildDemo(ctx, filepath.Join(dir, "demo"), "test"); err != nil {
		t.Fatal(err)
	}
	aw, err := jobs.NewAnnotateWorker(store, e.blobs, jobs.NewBundleDir(dir, refdata.Open), jobs.AnnotateConfig{EngineWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	in, total := bigDemoVCF(5000)
	j := e.submit(t, string(in), "demo", "")
	queued := func() int {
		var n int
		if err := e.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'variant_index'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if err := aw.Work(ctx, riverJob(j.ID, 1)); err != nil {
		t.Fatal(err)
	}
	done, err := store.Job(ctx, j.ID)
	if err != nil || done.State != gas.JobCompleted {
		t.Fatalf("annotation: %v %+v", err, done)
	}
	if n := queued(); n != 1 {
		t.Fatalf("%d index jobs queued at completion, want 1", n)
	}
	// Asking again while the build waits adds nothing.
	if err := jobs.QueueIndex(ctx, e.ins.Client(), j.ID); err != nil {
		t.Fatal(err)
	}
	if n := queued(); n != 1 {
		t.Fatalf("%d index jobs queued after asking twice, want 1", n)
	}

	iw, err := jobs.NewIndexWorker(store, e.db, e.blobs, jobs.IndexConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := iw.Work(ctx, &river.Job[jobs.IndexArgs]{JobRow: riverJob(j.ID, 1).JobRow, Args: jobs.IndexArgs{JobID: j.ID}}); err != nil {
		t.Fatal(err)
	}
	p, err := e.db.JobProgress(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	key := p[j.ID].IndexKey
	if key != done.Key(gas.FileIndex) || filepath.Dir(key) != filepath.Dir(done.ResultKey) {
		t.Fatalf("index key %q, result %q", key, done.ResultKey)
	}
	rc, err := e.blobs.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	local := filepath.Join(t.TempDir(), "v.sqlite")
	f, err := os.Create(local)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	f.Close()
	ix, err := variantdb.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if ix.Meta.Records != total || ix.Meta.Records != done.Records || ix.Meta.SHA256 != done.ResultSum {
		t.Fatalf("index of %d records (sha %s), result has %d (sha %s)", ix.Meta.Records, ix.Meta.SHA256, done.Records, done.ResultSum)
	}

	// A failed job, or one whose result is gone, gets no index and no retry.
	bad := e.submit(t, "not a vcf", "demo", "")
	_ = aw.Work(ctx, riverJob(bad.ID, 1))
	if n := queued(); n != 1 {
		t.Fatalf("a failed job queued an index (%d queued)", n)
	}
	if err := iw.Work(ctx, &river.Job[jobs.IndexArgs]{JobRow: riverJob(bad.ID, 1).JobRow, Args: jobs.IndexArgs{JobID: bad.ID}}); err != nil {
		t.Fatalf("index of a failed job: %v", err)
	}
	if p, _ := e.db.JobProgress(ctx, bad.ID); p[bad.ID].IndexKey != "" {
		t.Fatal("a failed job got an index key")
	}
}
