package jobs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/refdata"
)

// shardInput returns n records, sorted, on the chr21 region the demo
// bundle covers (so every record takes the engine's full path), with runs
// of records at one position, a blank line, and a tail on a contig the
// bundle lacks (a warning every piece repeats). badAt > 0 makes record
// number badAt (1-based) malformed; its line number is returned.
func shardInput(n int, badAt int) (vcfText []byte, badLine int64) {
	rng := rand.New(rand.NewPCG(uint64(n), 8))
	var b bytes.Buffer
	b.WriteString("##fileformat=VCFv4.2\n##contig=<ID=21,length=46709983>\n##contig=<ID=unplaced_1,length=100000>\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
	line := int64(4)
	const bases = "ACGT"
	pos := 25_000_000
	for i := 1; i <= n; i++ {
		chrom := "21"
		if i > n-n/20 {
			chrom = "unplaced_1"
			if i == n-n/20+1 {
				pos = 1000
			}
		}
		if i%5 != 0 { // every fifth record shares the previous position
			pos += 1 + rng.IntN(300)
		}
		ref := rng.IntN(4)
		if i := strings.IndexByte(bases, refdata.DemoChr21Base(int64(pos))); chrom == "21" && i >= 0 {
			ref = i // the demo's base where it has one (coding exons)
		}
		alt := (ref + 1 + rng.IntN(3)) % 4
		line++
		if i == badAt {
			fmt.Fprintf(&b, "%s\tPOSX\t.\t%c\t%c\t.\t.\t.\tGT\t0/1\n", chrom, bases[ref], bases[alt])
			badLine = line
		} else {
			fmt.Fprintf(&b, "%s\t%d\t.\t%c\t%c\t50\tPASS\tDP=%d\tGT\t0/1\n", chrom, pos, bases[ref], bases[alt], i%90)
		}
		if i == n/3 {
			b.WriteString("\n")
			line++
		}
	}
	return b.Bytes(), badLine
}

// shardEnv is a worker with shards on the real engine and the demo bundle.
type shardEnv struct {
	*env
	shards  *sqldb.Shards
	bundles *jobs.BundleDir
	cfg     jobs.AnnotateConfig
	worker  *jobs.AnnotateWorker
}

func setupShards(t *testing.T, shardRecords int64, engine jobs.AnnotateFunc) *shardEnv {
	t.Helper()
	e := setup(t)
	bundles := demoBundles(t)
	s := &shardEnv{env: e, shards: e.db.Shards(e.ins), bundles: bundles}
	s.cfg = jobs.AnnotateConfig{EngineWorkers: 1, Version: "test", Shards: s.shards, ShardRecords: shardRecords,
		ShardPoll: 20 * time.Millisecond, Annotate: engine}
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, s.bundles, s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.worker = w
	return s
}

func stepJob(id, step string, shard, attempt int) *river.Job[jobs.AnnotateArgs] {
	return &river.Job[jobs.AnnotateArgs]{
		JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 5},
		Args:   jobs.AnnotateArgs{JobID: id, Step: step, Shard: shard},
	}
}

// singleRun annotates content in one engine run with the job's options, as
// `gas annotate` does, and returns the decompressed VCF and the summary.
func (s *shardEnv) singleRun(t *testing.T, content []byte, options string) (string, *annotate.Summary) {
	t.Helper()
	opt, err := jobs.ParseJobOptions(options)
	if err != nil {
		t.Fatal(err)
	}
	opt.Version, opt.Workers = s.cfg.Version, 2
	b, err := s.bundles.Bundle(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := annotate.Annotate(context.Background(), bytes.NewReader(content), &out, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out.String(), sum
}

func (s *shardEnv) summary(t *testing.T, key string) *annotate.Summary {
	t.Helper()
	var sum annotate.Summary
	if err := json.Unmarshal([]byte(readBlob(t, s.env, key)), &sum); err != nil {
		t.Fatal(err)
	}
	return &sum
}

// sameResult checks that a job's result and summary equal a single run's.
func (s *shardEnv) sameResult(t *testing.T, j *gas.Job, content []byte, options string) {
	t.Helper()
	wantVCF, wantSum := s.singleRun(t, content, options)
	got := readGz(t, s.env, j.ResultKey)
	if got != wantVCF {
		t.Fatalf("sharded result (%d bytes) differs from a single run (%d bytes) at byte %d", len(got), len(wantVCF), firstDiff(got, wantVCF))
	}
	sum := s.summary(t, j.SummaryKey)
	sum.Seconds, wantSum.Seconds = 0, 0
	if !reflect.DeepEqual(sum, wantSum) {
		t.Fatalf("summary\n%+v\nwant\n%+v", sum, wantSum)
	}
	if j.Records != wantSum.Records || j.BundleSum != wantSum.BundleChecksum {
		t.Fatalf("job records %d bundle %s", j.Records, j.BundleSum)
	}
}

func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func (s *shardEnv) noShardFiles(t *testing.T, j *gas.Job, n int) {
	t.Helper()
	for i := range n {
		in, out := jobs.ShardKeys(j, i)
		for _, k := range []string{in, out} {
			if _, err := s.blobs.Stat(context.Background(), k); gas.ErrorCode(err) != gas.ENOTFOUND {
				t.Errorf("%s left behind (%v)", k, err)
			}
		}
	}
}

// TestShardedRunMatchesSingleRun runs the real queue with three workers and
// a tiny threshold: a few-thousand-record input splits into pieces worked
// at the same time, and the result is byte for byte a single run's.
func TestShardedRunMatchesSingleRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var running, most atomic.Int32
	var mu sync.Mutex
	counting := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		n := running.Add(1)
		defer running.Add(-1)
		mu.Lock()
		most.Store(max(most.Load(), n))
		mu.Unlock()
		return annotate.Annotate(ctx, r, w, b, opt)
	}
	s := setupShards(t, 700, counting)
	runner, err := jobs.NewRunner(s.db.RiverDriver(), s.worker, jobs.RunnerConfig{Workers: 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { runner.Stop(context.Background()) })

	content, _ := shardInput(3000, 0)
	const options = `{"transcripts":"all"}`
	j := s.submit(t, string(sharedtest.Gzip(t, content)), "demo", options)
	got := waitJob(t, s.env, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("job %s: %s", got.State, got.FailReason)
	}
	s.sameResult(t, got, content, options)

	shards, err := s.shards.JobShards(ctx, j.ID)
	if err != nil || len(shards) != 5 {
		t.Fatalf("%d shards (%v), want 5 of about 600 records", len(shards), err)
	}
	var total int64
	for _, sh := range shards {
		total += sh.Records
		if sh.State != gas.ShardDone || sh.Worker == "" {
			t.Fatalf("shard %+v", sh)
		}
	}
	if total != 3000 {
		t.Fatalf("shards hold %d records", total)
	}
	if most.Load() < 2 {
		t.Fatalf("at most %d pieces were annotated at once; want several workers at work", most.Load())
	}
	evs, _ := s.store.Events(ctx, j.ID)
	var completed, split int
	for _, e := range evs {
		if e.To == gas.JobCompleted {
			completed++
		}
		if strings.HasPrefix(e.Reason, "split into 5 shards") {
			split++
		}
	}
	if completed != 1 || split != 1 {
		t.Fatalf("events %+v", evs)
	}
	if l := readBlob(t, s.env, got.LogKey); !strings.Contains(l, "shards:   5") || !strings.Contains(l, "status:   COMPLETED") {
		t.Fatalf("log:\n%s", l)
	}
	// The merge deletes the pieces after completing the job: wait for the
	// merge's queue job to finish before looking.
	deadline := time.Now().Add(time.Minute)
	for queuedIn(t, s.env, j.ID, jobs.StepMerge, "completed") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("merge queue job never completed")
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.noShardFiles(t, got, 5)
}

// queuedIn counts a job's River jobs of one step in one River state.
func queuedIn(t *testing.T, e *env, jobID, step, state string) int {
	t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM river_job WHERE json_extract(args, '$.job_id') = ? AND json_extract(args, '$.step') = ? AND state = ?`
	if err := e.db.SQL().QueryRow(q, jobID, step, state).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func waitJob(t *testing.T, e *env, id string) *gas.Job {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a generous bound on a busy machine, not a speed check
	for {
		j, err := e.store.Job(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == gas.JobCompleted || j.State == gas.JobFailed {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job still %s", j.State)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func queued(t *testing.T, e *env, jobID, step string) int {
	t.Helper()
	var n int
	q := `SELECT COUNT(*) FROM river_job WHERE json_extract(args, '$.job_id') = ? AND json_extract(args, '$.step') = ?`
	if err := e.db.SQL().QueryRow(q, jobID, step).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestShardStepsTwice runs every step of a split job twice, as a crash
// between a step's work and River's record of it would: nothing is lost or
// doubled, and the job completes once.
func TestShardStepsTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setupShards(t, 400, nil)
	content, _ := shardInput(1000, 0)
	j := s.submit(t, string(content), "demo", "")
	// A piece left by an earlier attempt that died mid-split is overwritten.
	stale, _ := jobs.ShardKeys(j, 0)
	if _, err := s.blobs.Put(ctx, stale, strings.NewReader("half a piece")); err != nil {
		t.Fatal(err)
	}

	for attempt := 1; attempt <= 2; attempt++ {
		if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, attempt)); err != nil {
			t.Fatal(err)
		}
	}
	shards, err := s.shards.JobShards(ctx, j.ID)
	if err != nil || len(shards) != 3 || queued(t, s.env, j.ID, jobs.StepShard) != 3 {
		t.Fatalf("%d shards (%v), %d queued", len(shards), err, queued(t, s.env, j.ID, jobs.StepShard))
	}
	if got, _ := s.store.Job(ctx, j.ID); got.State != gas.JobRunning {
		t.Fatalf("job %s while its shards run", got.State)
	}
	for i := range 3 {
		for attempt := 1; attempt <= 2; attempt++ {
			if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, i, attempt)); err != nil {
				t.Fatal(err)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[i == 2]; queued(t, s.env, j.ID, jobs.StepMerge) != want {
			t.Fatalf("after shard %d: %d merges queued, want %d", i, queued(t, s.env, j.ID, jobs.StepMerge), want)
		}
	}
	for attempt := 1; attempt <= 2; attempt++ {
		if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepMerge, 0, attempt)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := s.store.Job(ctx, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("job %s %s", got.State, got.FailReason)
	}
	s.sameResult(t, got, content, "")
	evs, _ := s.store.Events(ctx, j.ID)
	var completed, split int
	for _, e := range evs {
		completed += map[bool]int{true: 1}[e.To == gas.JobCompleted]
		split += map[bool]int{true: 1}[strings.HasPrefix(e.Reason, "split into")]
	}
	if completed != 1 || split != 1 {
		t.Fatalf("events %+v", evs)
	}
	s.noShardFiles(t, got, 3)
}

// TestShardInputErrorFailsJobOnce: a malformed record in one piece fails
// the job once with the same reason (and line number in the whole input)
// as a single run; the other pieces then stop without doing work.
func TestShardInputErrorFailsJobOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setupShards(t, 400, nil)
	content, badLine := shardInput(1000, 900)

	// The reason an unsplit run gives.
	whole, err := jobs.NewAnnotateWorker(s.store, s.blobs, s.bundles, jobs.AnnotateConfig{EngineWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	ref := s.submit(t, string(content), "demo", "")
	if err := whole.Work(ctx, riverJob(ref.ID, 1)); err == nil {
		t.Fatal("unsplit run of a bad input succeeded")
	}
	refJob, _ := s.store.Job(ctx, ref.ID)
	if !strings.Contains(refJob.FailReason, fmt.Sprintf("line %d:", badLine)) {
		t.Fatalf("unsplit reason %q, want line %d", refJob.FailReason, badLine)
	}

	j := s.submit(t, string(content), "demo", "")
	if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	shards, _ := s.shards.JobShards(ctx, j.ID)
	if len(shards) != 3 {
		t.Fatalf("%d shards", len(shards))
	}
	err = s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, 2, 1))
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("bad piece: err %v, want JobCancel (no retry)", err)
	}
	got, _ := s.store.Job(ctx, j.ID)
	if got.State != gas.JobFailed || got.FailReason != refJob.FailReason {
		t.Fatalf("job %s %q, want FAILED %q", got.State, got.FailReason, refJob.FailReason)
	}
	_, logKey, _ := jobs.ResultKeys(got)
	if l := readBlob(t, s.env, logKey); !strings.Contains(l, fmt.Sprintf("line %d:", badLine)) {
		t.Fatalf("log:\n%s", l)
	}
	// The other pieces find the job failed and do nothing.
	for i := range 2 {
		if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if d, n, _ := s.shards.ShardProgress(ctx, j.ID); d != 0 || n != 3 || queued(t, s.env, j.ID, jobs.StepMerge) != 0 {
		t.Fatalf("after failure: %d/%d done, %d merges", d, n, queued(t, s.env, j.ID, jobs.StepMerge))
	}
	evs, _ := s.store.Events(ctx, j.ID)
	if last := evs[len(evs)-1]; last.To != gas.JobFailed || len(evs) != 4 {
		t.Fatalf("events %+v", evs)
	}
	s.noShardFiles(t, got, 3)
}

// TestShardTransientErrorRetriesThatShard: a transient failure of one piece
// is retried by River for that piece alone; the job stays RUNNING.
func TestShardTransientErrorRetriesThatShard(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var fail atomic.Bool
	flaky := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		if fail.CompareAndSwap(true, false) {
			return nil, errors.New("disk hiccup")
		}
		return annotate.Annotate(ctx, r, w, b, opt)
	}
	s := setupShards(t, 400, flaky)
	content, _ := shardInput(1000, 0)
	j := s.submit(t, string(content), "demo", "")
	if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	fail.Store(true)
	err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, 1, 1))
	var cancel *river.JobCancelError
	if err == nil || errors.As(err, &cancel) {
		t.Fatalf("transient failure: err %v, want a retryable error", err)
	}
	if got, _ := s.store.Job(ctx, j.ID); got.State != gas.JobRunning {
		t.Fatalf("job %s after a transient shard failure", got.State)
	}
	_, out := jobs.ShardKeys(j, 1)
	if _, err := s.blobs.Stat(ctx, out); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("a failed piece left its output: %v", err)
	}
	for _, i := range []int{0, 1, 2} {
		if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, i, 2)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepMerge, 0, 1)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.store.Job(ctx, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("job %s", got.State)
	}
	s.sameResult(t, got, content, "")
}

// TestShardStopsWhenJobLeavesRunning: a piece being annotated stops when the
// job is cancelled, and its output is dropped.
func TestShardStopsWhenJobLeavesRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var s *shardEnv
	var j *gas.Job
	cancelling := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		if _, err := s.store.TransitionJob(context.WithoutCancel(ctx), j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCancelled,
			Actor: "user:1", Reason: "Cancelled by the user."}); err != nil {
			return nil, err
		}
		<-ctx.Done() // the watcher notices the job left RUNNING
		return nil, ctx.Err()
	}
	s = setupShards(t, 400, cancelling)
	content, _ := shardInput(1000, 0)
	j = s.submit(t, string(content), "demo", "")
	if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, 0, 1)); err != nil {
		t.Fatalf("cancelled piece: %v, want nil (nothing to retry)", err)
	}
	got, _ := s.store.Job(ctx, j.ID)
	if got.State != gas.JobCancelled || got.FailReason != "Cancelled by the user." {
		t.Fatalf("job %s %q", got.State, got.FailReason)
	}
	if d, _, _ := s.shards.ShardProgress(ctx, j.ID); d != 0 {
		t.Fatalf("%d shards done", d)
	}
}

// TestShardSmallInputNotSplit: at or below the threshold a job runs whole.
func TestShardSmallInputNotSplit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setupShards(t, 1000, nil)
	content, _ := shardInput(1000, 0)
	j := s.submit(t, string(sharedtest.Gzip(t, content)), "demo", "")
	if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	got, _ := s.store.Job(ctx, j.ID)
	if shards, _ := s.shards.JobShards(ctx, j.ID); got.State != gas.JobCompleted || len(shards) != 0 {
		t.Fatalf("job %s with %d shards", got.State, len(shards))
	}
	s.sameResult(t, got, content, "")
}

// runSteps works a job's split, every piece and the merge, in order.
func (s *shardEnv) runSteps(t *testing.T, j *gas.Job) {
	t.Helper()
	ctx := context.Background()
	if err := s.worker.Work(ctx, stepJob(j.ID, "", 0, 1)); err != nil {
		t.Fatal(err)
	}
	shards, err := s.shards.JobShards(ctx, j.ID)
	if err != nil || len(shards) < 2 {
		t.Fatalf("%d shards (%v)", len(shards), err)
	}
	for i := range shards {
		if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepShard, i, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.worker.Work(ctx, stepJob(j.ID, jobs.StepMerge, 0, 1)); err != nil {
		t.Fatal(err)
	}
}

// TestShardSkipMalformed: with on_error=skip, malformed records in several
// pieces are written through, and the summary lists them with the line
// numbers of the whole input, as a single run does.
func TestShardSkipMalformed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := setupShards(t, 300, nil)
	content, _ := shardInput(1000, 0)
	lines := strings.Split(string(content), "\n")
	for _, i := range []int{10, 420, 777} { // in different pieces
		lines[i] = strings.Replace(lines[i], "\t", "\tPOSX\t", 1)
	}
	content = []byte(strings.Join(lines, "\n"))
	const options = `{"on_error":"skip"}`
	j := s.submit(t, string(content), "demo", options)
	s.runSteps(t, j)
	got, _ := s.store.Job(ctx, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("job %s %s", got.State, got.FailReason)
	}
	s.sameResult(t, got, content, options)
	if sum := s.summary(t, got.SummaryKey); sum.Skipped != 3 || len(sum.Errors) != 3 || !strings.HasPrefix(sum.Errors[2], "line 778:") {
		t.Fatalf("skipped %d, errors %q", sum.Skipped, sum.Errors)
	}
}
