package jobs_test

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/sqldb"
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
	bundles := demoBundles(t)
	aw, err := jobs.NewAnnotateWorker(store, e.blobs, bundles, jobs.AnnotateConfig{EngineWorkers: 2})
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

// openIndexBlob copies a stored index to a local file and opens it.
func openIndexBlob(t *testing.T, e *env, key string) *variantdb.Index {
	t.Helper()
	rc, err := e.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	local := filepath.Join(t.TempDir(), "v.sqlite")
	f, err := os.Create(local)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(rc); err != nil {
		t.Fatal(err)
	}
	f.Close()
	ix, err := variantdb.Open(local)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// storeSeeingIndexKey is a job store with the index hook that records the
// index key each completion's transaction sees: what the job page reads
// once the job is COMPLETED.
func storeSeeingIndexKey(e *env) (*sqldb.Jobs, *[]string) {
	var seen []string
	store := e.db.JobStore(e.ins, jobs.IndexHook(e.ins), func(ctx context.Context, tx *sql.Tx, j *gas.Job, c gas.JobChange) error {
		if c.To == gas.JobCompleted {
			var key string
			if err := tx.QueryRowContext(ctx, `SELECT index_key FROM jobs WHERE id = ?`, j.ID).Scan(&key); err != nil {
				return err
			}
			seen = append(seen, key)
		}
		return nil
	})
	return store, &seen
}

// TestIndexBuiltWhileAnnotating: with AnnotateConfig.Index the worker
// builds the index from the output as the engine writes it, and a job is
// never COMPLETED without its index key; the index job queued at the
// completion then does nothing (its stored index is left as it is).
func TestIndexBuiltWhileAnnotating(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	store, completions := storeSeeingIndexKey(e)
	bundles := demoBundles(t)
	aw, err := jobs.NewAnnotateWorker(store, e.blobs, bundles, jobs.AnnotateConfig{EngineWorkers: 2,
		Index: e.db, IndexDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	in, total := bigDemoVCF(5000)
	j := e.submit(t, string(in), "demo", "")
	if err := aw.Work(ctx, riverJob(j.ID, 1)); err != nil {
		t.Fatal(err)
	}
	done, err := store.Job(ctx, j.ID)
	if err != nil || done.State != gas.JobCompleted {
		t.Fatalf("annotation: %v %+v", err, done)
	}
	seen := *completions
	if len(seen) != 1 || seen[0] != done.Key(gas.FileIndex) {
		t.Fatalf("index key at completion: %q, want %q", seen, done.Key(gas.FileIndex))
	}
	ix := openIndexBlob(t, e, seen[0])
	if ix.Meta.Records != total || ix.Meta.SHA256 != done.ResultSum {
		t.Fatalf("index of %d records (sha %s), result has %d (sha %s)", ix.Meta.Records, ix.Meta.SHA256, total, done.ResultSum)
	}

	// The queued index job finds the index built: it does not rebuild.
	if err := e.blobs.Delete(ctx, seen[0]); err != nil {
		t.Fatal(err)
	}
	iw, err := jobs.NewIndexWorker(store, e.db, e.blobs, jobs.IndexConfig{TempDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if err := iw.Work(ctx, &river.Job[jobs.IndexArgs]{JobRow: riverJob(j.ID, 1).JobRow, Args: jobs.IndexArgs{JobID: j.ID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.blobs.Open(ctx, seen[0]); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("the index job rebuilt an index already recorded (open: %v)", err)
	}
	// Forgotten (as the web does with a stale index), it is rebuilt.
	if err := e.db.SetIndexKey(ctx, j.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := iw.Work(ctx, &river.Job[jobs.IndexArgs]{JobRow: riverJob(j.ID, 1).JobRow, Args: jobs.IndexArgs{JobID: j.ID}}); err != nil {
		t.Fatal(err)
	}
	if ix := openIndexBlob(t, e, seen[0]); ix.Meta.Records != total {
		t.Fatalf("rebuilt index has %d records, want %d", ix.Meta.Records, total)
	}
}

// TestInlineIndexFailureKeepsJob: an output the index cannot read (here
// from a stand-in engine) fails the inline build only: the job is
// COMPLETED with its result, without an index key, and the index job is
// queued to try again.
func TestInlineIndexFailureKeepsJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	store := e.db.JobStore(e.ins, jobs.IndexHook(e.ins))
	bundles := demoBundles(t)
	garbage := strings.Repeat("this is not a VCF\n", 50000)
	engine := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return nil, err
		}
		_, err := io.WriteString(w, garbage)
		return &annotate.Summary{Records: 1}, err
	}
	indexDir := t.TempDir()
	aw, err := jobs.NewAnnotateWorker(store, e.blobs, bundles, jobs.AnnotateConfig{
		Annotate: engine, Index: e.db, IndexDir: indexDir})
	if err != nil {
		t.Fatal(err)
	}
	in, _ := bigDemoVCF(10)
	j := e.submit(t, string(in), "demo", "")
	if err := aw.Work(ctx, riverJob(j.ID, 1)); err != nil {
		t.Fatal(err)
	}
	done, err := store.Job(ctx, j.ID)
	if err != nil || done.State != gas.JobCompleted {
		t.Fatalf("job: %v %+v", err, done)
	}
	rc, err := e.blobs.Open(ctx, done.ResultKey)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != garbage {
		t.Fatalf("result has %d bytes, want the engine's %d", len(got), len(garbage))
	}
	if p, _ := e.db.JobProgress(ctx, j.ID); p[j.ID].IndexKey != "" {
		t.Fatalf("index key %q after a failed build", p[j.ID].IndexKey)
	}
	var n int
	if err := e.db.SQL().QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'variant_index'`).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d index jobs queued (%v), want 1", n, err)
	}
	if left, _ := os.ReadDir(indexDir); len(left) != 0 {
		t.Fatalf("the failed build left %d files behind", len(left))
	}
}

// TestIndexBuiltWhileMerging: a job annotated in pieces gets its index
// from the merge, as a whole job does from its run: the index key is
// recorded when the completion's transaction runs, and the index holds
// every record of the merged result (its SHA-256 is the result's).
func TestIndexBuiltWhileMerging(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	store, completions := storeSeeingIndexKey(e)
	bundles := demoBundles(t)
	shards := e.db.Shards(e.ins)
	aw, err := jobs.NewAnnotateWorker(store, e.blobs, bundles, jobs.AnnotateConfig{EngineWorkers: 1, Version: "test",
		Shards: shards, ShardRecords: 700, Index: e.db, IndexDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	content, _ := shardInput(3000, 0)
	j := e.submit(t, string(sharedtest.Gzip(t, content)), "demo", "")
	if err := aw.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	pieces, err := shards.JobShards(ctx, j.ID)
	if err != nil || len(pieces) < 2 {
		t.Fatalf("%d pieces (%v): the job was not split", len(pieces), err)
	}
	for i := range pieces {
		if err := aw.Work(ctx, stepJob(j.ID, jobs.StepShard, i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := aw.Work(ctx, stepJob(j.ID, jobs.StepMerge, 0, 1)); err != nil {
		t.Fatal(err)
	}
	done, err := store.Job(ctx, j.ID)
	if err != nil || done.State != gas.JobCompleted {
		t.Fatalf("merge: %v %+v", err, done)
	}
	seen := *completions
	if len(seen) != 1 || seen[0] != done.Key(gas.FileIndex) {
		t.Fatalf("index key at completion: %q, want %q", seen, done.Key(gas.FileIndex))
	}
	ix := openIndexBlob(t, e, seen[0])
	if ix.Meta.Records != 3000 || ix.Meta.SHA256 != done.ResultSum {
		t.Fatalf("index of %d records (sha %s), result has 3000 (sha %s)", ix.Meta.Records, ix.Meta.SHA256, done.ResultSum)
	}
}
