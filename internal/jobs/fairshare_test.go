package jobs_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/config"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

// TestFairShare… is issue 17's scenario on the real River queue and the
// real store, with the default number of workers and the default limits:
// user A queues 40 jobs, then user B submits one small job. B's job
// completes before A's tenth, and every job completes exactly once.
// The same run without shares (River's plain first-in, first-out) puts
// B's job behind most of A's, which shows the scenario tells the two
// apart on this machine.
func TestFairShareSQLite(t *testing.T) {
	t.Parallel()
	t.Run("shared", func(t *testing.T) {
		t.Parallel()
		fairShare(t, sqldbtest.SQLite(t, sqldb.Options{}), true)
	})
	t.Run("fifo-without-shares", func(t *testing.T) {
		t.Parallel()
		fairShare(t, sqldbtest.SQLite(t, sqldb.Options{}), false)
	})
}

func TestFairSharePostgres(t *testing.T) {
	t.Parallel()
	if os.Getenv(sqldbtest.EnvPostgresURL) == "" {
		t.Skip("PostgreSQL fair-share test skipped: set " + sqldbtest.EnvPostgresURL)
	}
	fairShare(t, sqldbtest.Postgres(t, sqldb.Options{}), true)
}

// slowEngine takes perRecord for each data record, then writes the input
// through the fake engine: a job's time grows with its size.
func slowEngine(e *fakeEngine, perRecord time.Duration) jobs.AnnotateFunc {
	return func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		records := 0
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				records++
			}
		}
		select {
		case <-time.After(time.Duration(records) * perRecord):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return e.annotate(ctx, strings.NewReader(string(data)), w, b, opt)
	}
}

func fairShare(t *testing.T, db *sqldb.DB, shares bool) {
	ctx := context.Background()
	def := config.Default()
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if shares {
		// The default shares; A may queue all 40 (the default caps a Free
		// user at 20 waiting, which TestPlanLimits… covers).
		db.Limit(ins, func(p gas.Plan) gas.PlanLimits {
			l := def.Limits(p)
			l.QueuedJobs, l.UploadsPerHour = 0, 0
			return l
		})
	}
	e := setupOn(t, db)
	e.store = db.JobStore(ins)
	eng := &fakeEngine{}
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, fakeBundles{}, jobs.AnnotateConfig{Annotate: slowEngine(eng, 20*time.Millisecond)})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.NewRunner(db.RiverDriver(), w, jobs.RunnerConfig{Workers: def.Workers, Shares: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())

	a := e.user
	b := &gas.User{Email: "b@example.org"}
	if err := db.CreateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	big := vcfHeader
	for i := range 20 {
		big += fmt.Sprintf("1\t%d\t.\tA\tG\t.\t.\t.\n", 100+i)
	}
	small := vcfHeader + "1\t100\t.\tA\tG\t.\t.\t.\n"
	submit := func(u *gas.User, i int, content string) string {
		t.Helper()
		j := &gas.Job{ID: fmt.Sprintf("u%d-%02d", u.ID, i), UserID: u.ID, InputName: "in.vcf", Bundle: "demo"}
		j.InputKey = gas.JobKey(u.ID, j.ID, "in.vcf")
		if _, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if err := e.store.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j.ID
	}
	var ids []string
	for i := range 40 {
		ids = append(ids, submit(a, i, big))
	}
	bID := submit(b, 0, small)

	deadline := time.Now().Add(2 * time.Minute)
	var aDone []time.Time
	var bDone time.Time
	for {
		aDone, bDone = aDone[:0], time.Time{}
		all := true
		for _, id := range append(slices.Clone(ids), bID) {
			j, err := e.store.Job(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !j.State.Terminal() {
				all = false
				break
			}
			if j.State != gas.JobCompleted {
				t.Fatalf("job %s is %s: %s", id, j.State, j.FailReason)
			}
			if id == bID {
				bDone = j.CompletedAt
			} else {
				aDone = append(aDone, j.CompletedAt)
			}
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the 41 jobs did not all complete within 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := eng.calls.Load(); n != 41 {
		t.Fatalf("engine ran %d times for 41 jobs", n)
	}
	var held int
	if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM job_holds`).Scan(&held); err != nil || held != 0 {
		t.Fatalf("held jobs left: %d %v", held, err)
	}
	slices.SortFunc(aDone, func(x, y time.Time) int { return x.Compare(y) })
	before := 0
	for _, d := range aDone {
		if d.Before(bDone) {
			before++
		}
	}
	t.Logf("workers %d, shares %v: B's job completed after %d of A's 40", def.Workers, shares, before)
	if shares && !bDone.Before(aDone[9]) {
		t.Fatalf("B's job completed after %d of A's jobs, want before A's tenth", before)
	}
	// First in, first out puts B behind nearly all of A's backlog — on a
	// machine with few workers; with 40 or more all of A's run at once.
	if !shares && def.Workers <= 16 && before < 20 {
		t.Fatalf("without shares B's job completed after only %d of A's jobs: the scenario does not load the queue", before)
	}
}

const vcfHeader = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"

// TestFairShareSplitJob: a split job's pieces do not hold up other users.
// User A's one large job is split into 30 pieces, all queued at once;
// user B then submits one small job. B's job runs as soon as a worker is
// free (pieces are queued below whole jobs, jobs.ShardPriority), so it
// completes while most of A's pieces still wait; A's job completes too,
// with every piece annotated once.
func TestFairShareSplitJob(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		fairShareSplit(t, sqldbtest.SQLite(t, sqldb.Options{}))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		if os.Getenv(sqldbtest.EnvPostgresURL) == "" {
			t.Skip("PostgreSQL split-job test skipped: set " + sqldbtest.EnvPostgresURL)
		}
		fairShareSplit(t, sqldbtest.Postgres(t, sqldb.Options{}))
	})
}

func fairShareSplit(t *testing.T, db *sqldb.DB) {
	ctx := context.Background()
	def := config.Default()
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Limit(ins, def.Limits)
	e := setupOn(t, db)
	e.store = db.JobStore(ins)
	// The real engine on the demo bundle (the merge joins the pieces' BGZF
	// blocks as the engine writes them), 20 ms a record slower.
	bundles := demoBundles(t)
	var calls atomic.Int32
	slow := func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error) {
		calls.Add(1)
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		records := strings.Count(string(data), "\n") - strings.Count(string(data), "\n#") - 1
		select {
		case <-time.After(time.Duration(records) * 20 * time.Millisecond):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return annotate.Annotate(ctx, bytes.NewReader(data), w, b, opt)
	}
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, bundles, jobs.AnnotateConfig{Annotate: slow, EngineWorkers: 1, Version: "test",
		Shards: db.Shards(ins), ShardRecords: 5, ShardPoll: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r, err := jobs.NewRunner(db.RiverDriver(), w, jobs.RunnerConfig{Workers: 2, Shares: db})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background())

	b := &gas.User{Email: "b@example.org"}
	if err := db.CreateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	submit := func(u *gas.User, id, content string) {
		t.Helper()
		j := &gas.Job{ID: id, UserID: u.ID, InputName: "in.vcf", Bundle: "demo"}
		j.InputKey = gas.JobKey(u.ID, j.ID, "in.vcf")
		if _, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
		if err := e.store.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
	}
	big := vcfHeader
	for i := range 150 {
		big += fmt.Sprintf("1\t%d\t.\tA\tG\t.\t.\t.\n", 100+i)
	}
	submit(e.user, "a-big", big)
	shards := func(state string) int {
		t.Helper()
		var n int
		// state is this test's own constant ("%" or "done"), so it is
		// written into the query: placeholders differ between the engines.
		if err := db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM job_shards WHERE job_id = 'a-big' AND state LIKE '`+state+`'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	deadline := time.Now().Add(time.Minute)
	for shards("%") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("A's job was not split within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	submit(b, "b-small", vcfHeader+"1\t100\t.\tA\tG\t.\t.\t.\n")
	doneAtB := -1
	for {
		jb, err := e.store.Job(ctx, "b-small")
		if err != nil {
			t.Fatal(err)
		}
		ja, err := e.store.Job(ctx, "a-big")
		if err != nil {
			t.Fatal(err)
		}
		if doneAtB < 0 && jb.State == gas.JobCompleted {
			doneAtB = shards("done")
		}
		if jb.State.Terminal() && ja.State.Terminal() {
			if jb.State != gas.JobCompleted || ja.State != gas.JobCompleted {
				t.Fatalf("A %s (%s), B %s (%s)", ja.State, ja.FailReason, jb.State, jb.FailReason)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not done within a minute: A %s (%d of %d pieces done), B %s", ja.State, shards("done"), shards("%"), jb.State)
		}
		time.Sleep(10 * time.Millisecond)
	}
	total := shards("%")
	t.Logf("A's job in %d pieces; B's job completed when %d were done", total, doneAtB)
	if total != 30 || shards("done") != total {
		t.Fatalf("%d pieces, %d done: want 30, all done", total, shards("done"))
	}
	if doneAtB > total/3 {
		t.Fatalf("B's job completed after %d of A's %d pieces, want within the first third", doneAtB, total)
	}
	// One engine run per piece and one for B (the split itself does not annotate).
	if n := calls.Load(); int(n) != total+1 {
		t.Fatalf("engine ran %d times for %d pieces and one job", n, total)
	}
}
