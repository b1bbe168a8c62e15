package jobs_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

// fakeBundles returns an empty bundle for "demo" and ENOTFOUND otherwise; the
// fake engine below never looks inside it.
type fakeBundles struct{}

func (fakeBundles) Bundle(_ context.Context, name string) (*refdata.Bundle, error) {
	if name != "demo" {
		return nil, gas.Errorf(gas.ENOTFOUND, "Reference bundle %q is not installed.", name)
	}
	return &refdata.Bundle{}, nil
}

// fakeEngine copies the VCF, appending ANN=x to each data line, and counts
// records; inputs containing "BAD" fail as input errors and "FLAKY" fails
// with a transient error the first flaky times.
type fakeEngine struct {
	calls atomic.Int32
	flaky atomic.Int32
}

func (e *fakeEngine) annotate(ctx context.Context, r io.Reader, w io.Writer, _ *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
	e.calls.Add(1)
	if !opt.BGZF {
		return nil, errors.New("worker must ask for BGZF output")
	}
	sum := &annotate.Summary{Bundle: "demo", BundleChecksum: "sha256:feed", Consequences: map[string]int64{}}
	zw := gzip.NewWriter(w)
	sc := bufio.NewScanner(r)
	line := int64(0)
	for sc.Scan() {
		line++
		t := sc.Text()
		if strings.Contains(t, "BAD") {
			return sum, &annotate.InputError{Line: line, Msg: "POS is not a number"}
		}
		if strings.Contains(t, "FLAKY") && e.flaky.Load() > 0 {
			e.flaky.Add(-1)
			return sum, errors.New("disk hiccup")
		}
		if !strings.HasPrefix(t, "#") {
			sum.Records++
			t += "\tANN=x"
		}
		if _, err := fmt.Fprintln(zw, t); err != nil {
			return sum, err
		}
	}
	if err := sc.Err(); err != nil {
		return sum, err
	}
	return sum, zw.Close()
}

type env struct {
	db     *sqldb.DB
	store  *sqldb.Jobs
	blobs  *blob.FS
	engine *fakeEngine
	worker *jobs.AnnotateWorker
	user   *gas.User
	ins    *jobs.Inserter
}

func setup(t *testing.T) *env {
	t.Helper()
	return setupOn(t, sqldbtest.SQLite(t, sqldb.Options{}))
}

// setupOn builds the fixture on an opened, migrated database.
func setupOn(t *testing.T, db *sqldb.DB) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := db.JobStore(ins)
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	eng := &fakeEngine{}
	w, err := jobs.NewAnnotateWorker(store, blobs, fakeBundles{}, jobs.AnnotateConfig{Annotate: eng.annotate})
	if err != nil {
		t.Fatal(err)
	}
	u := &gas.User{Email: "w@example.org"}
	if err := db.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	return &env{db: db, store: store, blobs: blobs, engine: eng, worker: w, user: u, ins: ins}
}

const vcfText = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\t100\t.\tA\tG\t.\t.\t.\n1\t200\t.\tC\tT\t.\t.\t.\n"

func (e *env) submit(t *testing.T, content, bundle, options string) *gas.Job {
	t.Helper()
	ctx := context.Background()
	j := &gas.Job{UserID: e.user.ID, InputName: "in.vcf", Bundle: bundle, Options: options}
	j.ID = fmt.Sprintf("job-%d", time.Now().UnixNano())
	j.InputKey = fmt.Sprintf("user/%d/%s/in.vcf", e.user.ID, j.ID)
	info, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	j.InputSize = info.Size
	if err := e.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	return j
}

// demoBundles builds the demo bundle in a fresh refdata folder and serves
// it, closed when the test ends.
func demoBundles(t *testing.T) *jobs.BundleDir {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "refdata")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := refdata.BuildDemo(context.Background(), filepath.Join(dir, "demo"), "test"); err != nil {
		t.Fatal(err)
	}
	b := jobs.NewBundleDir(dir, refdata.Open)
	t.Cleanup(func() { b.Close() })
	return b
}

func riverJob(id string, attempt int) *river.Job[jobs.AnnotateArgs] {
	return &river.Job[jobs.AnnotateArgs]{
		JobRow: &rivertype.JobRow{Attempt: attempt, MaxAttempts: 5},
		Args:   jobs.AnnotateArgs{JobID: id},
	}
}

func readGz(t *testing.T, e *env, key string) string {
	t.Helper()
	rc, err := e.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	zr, err := gzip.NewReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readBlob(t *testing.T, e *env, key string) string {
	t.Helper()
	rc, err := e.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func TestAnnotateWorkerCompletes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	j := e.submit(t, vcfText, "demo", `{"transcripts":"all","transcript_ids":[],"on_error":"stop"}`)
	if err := e.worker.Work(ctx, riverJob(j.ID, 1)); err != nil {
		t.Fatal(err)
	}
	got, err := e.store.Job(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != gas.JobCompleted || got.Records != 2 || got.BundleSum != "sha256:feed" || got.StartedAt.IsZero() || got.CompletedAt.IsZero() {
		t.Fatalf("job = %+v", got)
	}
	rk, lk, sk := jobs.ResultKeys(got)
	if got.ResultKey != rk || got.LogKey != lk || got.SummaryKey != sk {
		t.Fatalf("keys = %s %s %s", got.ResultKey, got.LogKey, got.SummaryKey)
	}
	if out := readGz(t, e, rk); strings.Count(out, "ANN=x") != 2 {
		t.Fatalf("result:\n%s", out)
	}
	if st, _ := e.blobs.Stat(ctx, rk); st.Size != got.ResultSize || st.SHA256 != got.ResultSum {
		t.Fatalf("result size %d sha256 %s, recorded %d %s", st.Size, st.SHA256, got.ResultSize, got.ResultSum)
	}
	if l := readBlob(t, e, lk); !strings.Contains(l, "status:   COMPLETED") || !regexp.MustCompile(`records\s+2\n`).MatchString(l) {
		t.Fatalf("log:\n%s", l)
	}
	if s := readBlob(t, e, sk); !strings.Contains(s, `"records": 2`) {
		t.Fatalf("summary: %s", s)
	}
	ev, _ := e.store.Events(ctx, j.ID)
	if len(ev) != 3 || ev[1].To != gas.JobRunning || ev[2].To != gas.JobCompleted || ev[2].Actor != jobs.ActorAnnotate {
		t.Fatalf("events = %+v", ev)
	}

	// Running the same queue job again (a duplicate delivery) changes nothing.
	if err := e.worker.Work(ctx, riverJob(j.ID, 2)); err != nil {
		t.Fatal(err)
	}
	if e.engine.calls.Load() != 1 {
		t.Fatalf("engine ran %d times", e.engine.calls.Load())
	}
}

// A job cancelled while it runs stays cancelled: the finished result is
// dropped and the queue job ends without a retry.
func TestAnnotateWorkerCancelledWhileRunning(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	j := e.submit(t, vcfText, "demo", "")
	cancelling := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCancelled,
			Actor: "user:1", Reason: "Cancelled by the user."}); err != nil {
			return nil, err
		}
		return e.engine.annotate(ctx, r, w, b, opt)
	}
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, fakeBundles{}, jobs.AnnotateConfig{Annotate: cancelling})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, riverJob(j.ID, 1)); err != nil {
		t.Fatalf("Work = %v; a cancelled job needs no retry", err)
	}
	got, _ := e.store.Job(ctx, j.ID)
	if got.State != gas.JobCancelled || got.FailReason != "Cancelled by the user." {
		t.Fatalf("job = %+v", got)
	}
	rk, _, sk := jobs.ResultKeys(got)
	for _, k := range []string{rk, sk} {
		if _, err := e.blobs.Stat(ctx, k); gas.ErrorCode(err) != gas.ENOTFOUND {
			t.Errorf("%s of a cancelled job kept (%v)", k, err)
		}
	}
}

func TestAnnotateWorkerInputErrorFailsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	j := e.submit(t, vcfText+"1\tBAD\t.\tA\tG\t.\t.\t.\n", "demo", "")
	err := e.worker.Work(ctx, riverJob(j.ID, 1))
	var cancel *river.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("err = %v, want a JobCancel so River does not retry", err)
	}
	got, _ := e.store.Job(ctx, j.ID)
	if got.State != gas.JobFailed || got.FailReason != "The input file could not be annotated: line 5: POS is not a number" {
		t.Fatalf("job = %+v", got)
	}
	rk, lk, _ := jobs.ResultKeys(got)
	if _, err := e.blobs.Stat(ctx, rk); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("a failed run left a result: %v", err)
	}
	if l := readBlob(t, e, lk); !strings.Contains(l, "line 5: POS is not a number") {
		t.Fatalf("log:\n%s", l)
	}
}

func TestAnnotateWorkerBadOptionsAndBundle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	cases := []struct{ bundle, options, reason string }{
		{"demo", `{"transcripts":"best"}`, `Unknown transcript choice "best"`},
		{"demo", `{"on_error":"ignore"}`, `Unknown error policy "ignore"`},
		{"demo", `{"colour":"red"}`, "The job's options are not valid."},
		{"hg99", "", `Reference bundle "hg99" is not installed.`},
	}
	for _, c := range cases {
		j := e.submit(t, vcfText, c.bundle, c.options)
		err := e.worker.Work(ctx, riverJob(j.ID, 1))
		var cancel *river.JobCancelError
		got, _ := e.store.Job(ctx, j.ID)
		if !errors.As(err, &cancel) || got.State != gas.JobFailed || !strings.Contains(got.FailReason, c.reason) {
			t.Errorf("%s %s: err %v, job %s %q", c.bundle, c.options, err, got.State, got.FailReason)
		}
	}
}

func TestAnnotateWorkerRetriesTransientErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	e.engine.flaky.Store(1)
	j := e.submit(t, vcfText+"1\t300\tFLAKY\tA\tG\t.\t.\t.\n", "demo", "")
	err := e.worker.Work(ctx, riverJob(j.ID, 1))
	var cancel *river.JobCancelError
	if err == nil || errors.As(err, &cancel) || !strings.Contains(err.Error(), "disk hiccup") {
		t.Fatalf("first attempt err = %v, want a retryable error", err)
	}
	// The job stays RUNNING, as after a crash; the retry resumes it.
	if got, _ := e.store.Job(ctx, j.ID); got.State != gas.JobRunning {
		t.Fatalf("after transient failure: %s", got.State)
	}
	if err := e.worker.Work(ctx, riverJob(j.ID, 2)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.store.Job(ctx, j.ID)
	if got.State != gas.JobCompleted || got.Records != 3 {
		t.Fatalf("job = %+v", got)
	}
	ev, _ := e.store.Events(ctx, j.ID)
	var resumed bool
	for _, x := range ev {
		resumed = resumed || (x.From == gas.JobRunning && x.To == gas.JobRunning && strings.Contains(x.Reason, "attempt 2"))
	}
	if !resumed {
		t.Fatalf("no resume event: %+v", ev)
	}
	// One result object in the job's folder, however many attempts ran.
	rk, _, _ := jobs.ResultKeys(got)
	if out := readGz(t, e, rk); strings.Count(out, "ANN=x") != 3 {
		t.Fatalf("result:\n%s", out)
	}

	// A transient error on the last attempt fails the job for good.
	e.engine.flaky.Store(1)
	k := e.submit(t, vcfText+"1\t300\tFLAKY\tA\tG\t.\t.\t.\n", "demo", "")
	err = e.worker.Work(ctx, riverJob(k.ID, 5))
	if !errors.As(err, &cancel) {
		t.Fatalf("last attempt err = %v", err)
	}
	if got, _ := e.store.Job(ctx, k.ID); got.State != gas.JobFailed || !strings.Contains(got.FailReason, "internal error") {
		t.Fatalf("job = %+v", got)
	}
}

// TestAnnotateQueueEndToEnd runs jobs through a real River client on SQLite.
func TestAnnotateQueueEndToEnd(t *testing.T) {
	t.Parallel()
	queueEndToEnd(t, setup(t))
}

// TestAnnotateQueueEndToEndPostgres does the same on PostgreSQL (River's
// database/sql driver), when GAS_TEST_POSTGRES_URL names a server.
func TestAnnotateQueueEndToEndPostgres(t *testing.T) {
	t.Parallel()
	queueEndToEnd(t, setupOn(t, sqldbtest.Postgres(t, sqldb.Options{})))
}

func queueEndToEnd(t *testing.T, e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := jobs.NewRunner(e.db.RiverDriver(), e.worker, jobs.RunnerConfig{Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	events, stop := r.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobCancelled, river.EventKindJobFailed)
	defer stop()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		sctx, c := context.WithTimeout(context.Background(), 10*time.Second)
		defer c()
		if err := r.Stop(sctx); err != nil {
			t.Error(err)
		}
	}()

	start := time.Now()
	const n = 20
	var mu sync.Mutex
	ids := map[string]bool{}
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			content := vcfText
			if i == 0 {
				content += "1\tBAD\t.\tA\tG\t.\t.\t.\n"
			}
			j := e.submit(t, content, "demo", "")
			mu.Lock()
			ids[j.ID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	finished := 0
	timeout := time.After(30 * time.Second)
	for finished < n {
		select {
		case ev := <-events:
			if ev.Kind == river.EventKindJobFailed {
				t.Fatalf("river job failed: %+v", ev.Job.Errors)
			}
			finished++
		case <-timeout:
			t.Fatalf("only %d of %d jobs finished", finished, n)
		}
	}
	t.Logf("%d jobs through River on %s in %s", n, e.db.Dialect(), time.Since(start))
	var completed, failed int
	for id := range ids {
		j, err := e.store.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		switch j.State {
		case gas.JobCompleted:
			completed++
		case gas.JobFailed:
			failed++
		default:
			t.Errorf("job %s left %s", id, j.State)
		}
	}
	if completed != n-1 || failed != 1 {
		t.Fatalf("completed %d failed %d", completed, failed)
	}
	if e.engine.calls.Load() != n {
		t.Fatalf("engine ran %d times for %d jobs", e.engine.calls.Load(), n)
	}
}

// TestCrashedJobResumes simulates a server killed mid-job: River still marks
// the job running and the job row is RUNNING. After RequeueOrphans a new
// runner redoes it and the job completes with one result.
func TestCrashedJobResumes(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := setup(t)
	j := e.submit(t, vcfText, "demo", "")
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: jobs.ActorAnnotate}); err != nil {
		t.Fatal(err)
	}
	// A partial result from the dead attempt: the re-run must replace it.
	rk, _, _ := jobs.ResultKeys(j)
	if _, err := e.blobs.Put(ctx, rk, strings.NewReader("partial garbage")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.SQL().ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = scheduled_at`); err != nil {
		t.Fatal(err)
	}
	n, err := e.db.RequeueOrphans(ctx)
	if err != nil || n != 1 {
		t.Fatalf("requeued %d, %v", n, err)
	}
	r, err := jobs.NewRunner(e.db.RiverDriver(), e.worker, jobs.RunnerConfig{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	events, stop := r.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed, river.EventKindJobCancelled)
	defer stop()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	select {
	case ev := <-events:
		if ev.Kind != river.EventKindJobCompleted {
			t.Fatalf("river event %s", ev.Kind)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("resumed job did not finish")
	}
	got, _ := e.store.Job(ctx, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("job %s", got.State)
	}
	if out := readGz(t, e, rk); strings.Count(out, "ANN=x") != 2 {
		t.Fatalf("result not replaced:\n%s", out)
	}
}

// blockingEngine waits for its context, like a long job when the server stops
// or the time limit passes. It calls started (when set) once running.
func blockingEngine(started func()) jobs.AnnotateFunc {
	return func(ctx context.Context, _ io.Reader, _ io.Writer, _ *refdata.Bundle, _ annotate.Options) (*annotate.Summary, error) {
		if started != nil {
			started()
		}
		<-ctx.Done()
		return nil, ctx.Err()
	}
}

func TestAnnotateWorkerInterruptions(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	stopper, err := jobs.NewAnnotateWorker(e.store, e.blobs, fakeBundles{}, jobs.AnnotateConfig{Annotate: blockingEngine(cancel)})
	if err != nil {
		t.Fatal(err)
	}
	// Shutdown mid-run: snoozed (no attempt used up), job left RUNNING for the next start.
	j := e.submit(t, vcfText, "demo", "")
	err = stopper.Work(ctx, riverJob(j.ID, 5))
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		t.Fatalf("shutdown err = %v, want a snooze", err)
	}
	if got, _ := e.store.Job(context.Background(), j.ID); got.State != gas.JobRunning {
		t.Fatalf("after shutdown: %s", got.State)
	}

	// Time limit: retried before the last attempt, FAILED with a reason on it.
	for _, attempt := range []int{1, 5} {
		dl := &manualDeadline{Context: context.Background(), done: make(chan struct{})}
		w, err := jobs.NewAnnotateWorker(e.store, e.blobs, fakeBundles{}, jobs.AnnotateConfig{
			Annotate: blockingEngine(func() { close(dl.done) }), Timeout: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		k := e.submit(t, vcfText, "demo", "")
		if attempt == 5 {
			// The job was left RUNNING by an earlier attempt.
			if _, err := e.store.TransitionJob(context.Background(), k.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); err != nil {
				t.Fatal(err)
			}
		}
		err = w.Work(dl, riverJob(k.ID, attempt))
		got, _ := e.store.Job(context.Background(), k.ID)
		switch attempt {
		case 1:
			if err == nil || errors.As(err, new(*river.JobCancelError)) || got.State != gas.JobRunning {
				t.Fatalf("first timeout: err %v, state %s; want a retryable error", err, got.State)
			}
		case 5:
			if !errors.As(err, new(*river.JobCancelError)) || got.State != gas.JobFailed ||
				!strings.Contains(got.FailReason, "longer than the limit of 1m0s") {
				t.Fatalf("last timeout: err %v, state %s %q", err, got.State, got.FailReason)
			}
		}
	}
}

// manualDeadline is a context whose deadline passes when done is closed, so
// a test controls exactly when the time limit hits.
type manualDeadline struct {
	context.Context
	done chan struct{}
}

func (m *manualDeadline) Done() <-chan struct{} { return m.done }

func (m *manualDeadline) Err() error {
	select {
	case <-m.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// pingArgs and pingWorker stand in for lifecycle work added to the runner.
type pingArgs struct {
	JobID string `json:"job_id"`
}

func (pingArgs) Kind() string { return "test_ping" }

type pingWorker struct {
	river.WorkerDefaults[pingArgs]
	got chan string
}

func (p *pingWorker) Work(_ context.Context, j *river.Job[pingArgs]) error {
	p.got <- j.Args.JobID
	return nil
}

// TestRunnerRunsExtraQueues checks the seam for later work: a job of another
// kind, inserted in the same transaction as a state change, is worked by the
// same runner on its own queue.
func TestRunnerRunsExtraQueues(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := setup(t)
	pw := &pingWorker{got: make(chan string, 1)}
	r, err := jobs.NewRunner(e.db.RiverDriver(), e.worker, jobs.RunnerConfig{
		Workers:  1,
		Queues:   map[string]river.QueueConfig{"lifecycle": {MaxWorkers: 1}},
		Register: func(w *river.Workers) error { return river.AddWorkerSafely(w, pw) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())
	tx, err := e.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.ins.InsertTx(ctx, tx, pingArgs{JobID: "j1"}, &river.InsertOpts{Queue: "lifecycle"}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-pw.got:
		if id != "j1" {
			t.Fatalf("got %q", id)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("extra queue job was not worked")
	}
}
