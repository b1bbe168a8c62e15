package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/gas-project/gas"
)

// shardQueue records shard and merge jobs in test_queue inside the caller's
// transaction, as "<job>/<shard>" and "<job>/merge".
type shardQueue struct {
	db   *DB
	fail atomic.Bool
}

func (q *shardQueue) put(ctx context.Context, tx *sql.Tx, v string) error {
	if q.fail.Load() {
		return errors.New("queue unavailable")
	}
	_, err := tx.ExecContext(ctx, q.db.q(`INSERT INTO test_queue (job_id) VALUES (?)`), v)
	return err
}

func (q *shardQueue) EnqueueShard(ctx context.Context, tx *sql.Tx, jobID string, shard int) error {
	return q.put(ctx, tx, fmt.Sprintf("%s/%d", jobID, shard))
}

func (q *shardQueue) EnqueueMerge(ctx context.Context, tx *sql.Tx, jobID string) error {
	return q.put(ctx, tx, jobID+"/merge")
}

func TestShardsSQLite(t *testing.T) {
	t.Parallel()
	runShardSuite(t, openSQLiteForTest)
}

func TestShardsPostgres(t *testing.T) {
	t.Parallel()
	runShardSuite(t, openPostgresForTest)
}

func runShardSuite(t *testing.T, open opener) {
	t.Run("SplitOnce", func(t *testing.T) { t.Parallel(); testShardSplitOnce(t, setup(t, open)) })
	t.Run("LastQueuesMergeOnce", func(t *testing.T) { t.Parallel(); testShardLastQueuesMerge(t, setup(t, open)) })
	t.Run("ConcurrentFinish", func(t *testing.T) { t.Parallel(); testShardConcurrentFinish(t, setup(t, open)) })
	t.Run("JobNotRunning", func(t *testing.T) { t.Parallel(); testShardJobNotRunning(t, setup(t, open)) })
}

// runningJob makes a job and moves it to RUNNING, as the annotate worker does
// before it splits.
func runningJob(t *testing.T, f fixture) *gas.Job {
	t.Helper()
	u := mustUser(t, f, fmt.Sprintf("s%d@example.org", testDBSeq.Add(1)))
	j := mustJob(t, f, u.ID, "big.vcf.gz")
	if _, err := f.jobs.TransitionJob(context.Background(), j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	return j
}

func pieces(jobID string, n int) []gas.Shard {
	var out []gas.Shard
	for i := range n {
		out = append(out, gas.Shard{Index: i, InputKey: fmt.Sprintf("%s/shards/%04d.vcf.gz", jobID, i),
			OutputKey: fmt.Sprintf("%s/shards/%04d.out.vcf.gz", jobID, i), Records: 10, LineOffset: int64(10 * i), Region: "1:1-1:9"})
	}
	return out
}

func testShardSplitOnce(t *testing.T, f fixture) {
	ctx := context.Background()
	j := runningJob(t, f)
	st := f.db.Shards(&shardQueue{db: f.db})
	queued := count(t, f.db, `SELECT COUNT(*) FROM test_queue`)

	// A failing queue rolls the whole split back: no rows, no event.
	bad := &shardQueue{db: f.db}
	bad.fail.Store(true)
	if _, err := f.db.Shards(bad).CreateShards(ctx, j.ID, pieces(j.ID, 3), "test", "split"); err == nil {
		t.Fatal("split with a failing queue succeeded")
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_shards`); n != 0 {
		t.Fatalf("%d shard rows after a failed split", n)
	}

	created, err := st.CreateShards(ctx, j.ID, pieces(j.ID, 3), "test", "split into 3 shards")
	if err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	// The split redone after a crash (same or different pieces) changes nothing.
	created, err = st.CreateShards(ctx, j.ID, pieces(j.ID, 5), "test", "split into 5 shards")
	if err != nil || created {
		t.Fatalf("second create: %v %v", created, err)
	}
	all, err := st.JobShards(ctx, j.ID)
	if err != nil || len(all) != 3 {
		t.Fatalf("shards: %d %v", len(all), err)
	}
	for i, sh := range all {
		if sh.Index != i || sh.State != gas.ShardQueued || sh.LineOffset != int64(10*i) || sh.InputKey != pieces(j.ID, 3)[i].InputKey {
			t.Fatalf("shard %d = %+v", i, sh)
		}
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue`) - queued; n != 3 {
		t.Fatalf("%d queue jobs, want 3", n)
	}
	evs, err := f.jobs.Events(ctx, j.ID)
	if err != nil || evs[len(evs)-1].Reason != "split into 3 shards" {
		t.Fatalf("events %+v %v", evs, err)
	}
	if _, err := st.Shard(ctx, j.ID, 7); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing shard: %v", err)
	}
	if _, err := st.CreateShards(ctx, j.ID, []gas.Shard{{Index: 1}}, "test", "x"); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("misnumbered: %v", err)
	}
}

func testShardLastQueuesMerge(t *testing.T, f fixture) {
	ctx := context.Background()
	j := runningJob(t, f)
	st := f.db.Shards(&shardQueue{db: f.db})
	if _, err := st.CreateShards(ctx, j.ID, pieces(j.ID, 3), "test", "split"); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{2, 0} {
		last, err := st.FinishShard(ctx, j.ID, i, `{"records":10}`, "w1")
		if err != nil || last {
			t.Fatalf("finish %d: %v %v", i, last, err)
		}
	}
	if d, n, err := st.ShardProgress(ctx, j.ID); d != 2 || n != 3 || err != nil {
		t.Fatalf("progress %d/%d %v", d, n, err)
	}
	// Finishing a done shard again (a retry after a crash) is a no-op.
	if last, err := st.FinishShard(ctx, j.ID, 0, `{"records":99}`, "w2"); err != nil || last {
		t.Fatalf("refinish: %v %v", last, err)
	}
	last, err := st.FinishShard(ctx, j.ID, 1, `{"records":10}`, "w2")
	if err != nil || !last {
		t.Fatalf("finish last: %v %v", last, err)
	}
	if last, err := st.FinishShard(ctx, j.ID, 1, `{"records":10}`, "w3"); err != nil || last {
		t.Fatalf("refinish last: %v %v", last, err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, j.ID+"/merge"); n != 1 {
		t.Fatalf("%d merge jobs, want 1", n)
	}
	sh, err := st.Shard(ctx, j.ID, 0)
	if err != nil || sh.State != gas.ShardDone || sh.Summary != `{"records":10}` || sh.Worker != "w1" || sh.DoneAt.IsZero() {
		t.Fatalf("shard 0 = %+v, %v", sh, err)
	}
	if d, n, _ := st.ShardProgress(ctx, j.ID); d != 3 || n != 3 {
		t.Fatalf("progress %d/%d", d, n)
	}
	if _, err := st.FinishShard(ctx, j.ID, 9, "{}", "w"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("unknown shard: %v", err)
	}
}

// testShardConcurrentFinish finishes every shard at once from many
// goroutines: exactly one of them must see itself last and queue the merge
// (on PostgreSQL this is what the job row lock is for).
func testShardConcurrentFinish(t *testing.T, f fixture) {
	ctx := context.Background()
	j := runningJob(t, f)
	st := f.db.Shards(&shardQueue{db: f.db})
	const n = 12
	if _, err := st.CreateShards(ctx, j.ID, pieces(j.ID, n), "test", "split"); err != nil {
		t.Fatal(err)
	}
	var lasts atomic.Int32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			last, err := st.FinishShard(ctx, j.ID, i, "{}", fmt.Sprintf("w%d", i))
			if err != nil {
				errs <- err
			}
			if last {
				lasts.Add(1)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if lasts.Load() != 1 {
		t.Fatalf("%d finishers saw themselves last, want 1", lasts.Load())
	}
	if c := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, j.ID+"/merge"); c != 1 {
		t.Fatalf("%d merge jobs, want 1", c)
	}
}

func testShardJobNotRunning(t *testing.T, f fixture) {
	ctx := context.Background()
	st := f.db.Shards(&shardQueue{db: f.db})
	u := mustUser(t, f, "pending@example.org")
	pending := mustJob(t, f, u.ID, "p.vcf")
	if _, err := st.CreateShards(ctx, pending.ID, pieces(pending.ID, 2), "test", "split"); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("split of a PENDING job: %v", err)
	}
	if _, err := st.CreateShards(ctx, "no-such-job", pieces("x", 2), "test", "split"); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("split of a missing job: %v", err)
	}
	j := runningJob(t, f)
	if _, err := st.CreateShards(ctx, j.ID, pieces(j.ID, 2), "test", "split"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "test", Reason: "bad line"}); err != nil {
		t.Fatal(err)
	}
	// A shard finishing after the job failed is refused and queues nothing.
	if _, err := st.FinishShard(ctx, j.ID, 0, "{}", "w"); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("finish after failure: %v", err)
	}
	if sh, _ := st.Shard(ctx, j.ID, 0); sh.State != gas.ShardQueued {
		t.Fatalf("shard state %s", sh.State)
	}
	// Deleting the job deletes its shards.
	if _, err := f.db.SQL().Exec(f.db.q(`DELETE FROM jobs WHERE id = ?`), j.ID); err != nil {
		t.Fatal(err)
	}
	if all, err := st.JobShards(ctx, j.ID); err != nil || len(all) != 0 {
		t.Fatalf("shards of a deleted job: %d %v", len(all), err)
	}
}
