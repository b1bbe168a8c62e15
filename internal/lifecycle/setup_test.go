package lifecycle

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/archive"
	"github.com/gas-project/gas/internal/blob"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// The tests run the real pieces: a migrated SQLite database with the real
// job store and hooks, the file blob store, the local cold archive and,
// where a test says so, a River client working the lifecycle queue.

type options struct {
	retention time.Duration
	delays    map[gas.RetrievalTier]time.Duration
	run       bool // start a River client working the lifecycle queue
	postgres  bool // on a fresh PostgreSQL database (skipped without GAS_TEST_POSTGRES_URL)
}

type env struct {
	db     *sqldb.DB
	store  *sqldb.Jobs
	blobs  *blob.FS
	cold   *archive.Local
	hooks  *Hooks
	lc     *Lifecycle
	client *river.Client[*sql.Tx]
	free   *gas.User
}

func setup(t *testing.T, o options) *env {
	t.Helper()
	ctx := context.Background()
	if o.retention == 0 {
		o.retention = time.Nanosecond // due at once: the archive runs right after completion
	}
	if o.delays == nil {
		o.delays = map[gas.RetrievalTier]time.Duration{gas.TierExpedited: 0, gas.TierStandard: 0}
	}
	dir := t.TempDir()
	var db *sqldb.DB
	if o.postgres {
		db = sqldbtest.Postgres(t, sqldb.Options{})
	} else {
		db = sqldbtest.SQLite(t, sqldb.Options{})
	}
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	hooks, err := NewHooks(HooksConfig{DB: db, Inserter: ins, FreeRetention: o.retention})
	if err != nil {
		t.Fatal(err)
	}
	db.OnPlanChange(hooks.PlanHook())
	store := db.JobStore(ins, hooks.TransitionHook())
	blobs, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	cold, err := archive.NewLocal(archive.LocalConfig{Dir: filepath.Join(dir, "archive"), Delays: o.delays})
	if err != nil {
		t.Fatal(err)
	}
	lc, err := New(Config{DB: db, Jobs: store, Inserter: ins, Blobs: blobs, Cold: cold, PollInterval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, store: store, blobs: blobs, cold: cold, hooks: hooks, lc: lc}
	e.free = e.user(t, gas.PlanFree)
	if o.run {
		workers := river.NewWorkers()
		if err := lc.Register(workers); err != nil {
			t.Fatal(err)
		}
		// Only the lifecycle queue: the annotate jobs CreateJob queues stay
		// unworked, as the tests complete jobs themselves.
		c, err := river.NewClient(db.RiverDriver(), &river.Config{
			Queues: lc.Queues(), Workers: workers, PollOnly: true, TestOnly: true,
			FetchPollInterval: 20 * time.Millisecond, FetchCooldown: 10 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := c.Stop(stop); err != nil {
				t.Logf("stop river: %v", err)
			}
		})
		e.client = c
	} else {
		// A client that only inserts and lists, to look at the queue.
		c, err := river.NewClient(db.RiverDriver(), &river.Config{})
		if err != nil {
			t.Fatal(err)
		}
		e.client = c
	}
	return e
}

var userSeq atomic.Int64

func (e *env) user(t *testing.T, plan gas.Plan) *gas.User {
	t.Helper()
	u := &gas.User{Email: fmt.Sprintf("u%d@example.org", userSeq.Add(1)), Plan: plan}
	if err := e.db.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// resultBytes is a gzip-like incompressible result, different per call.
func resultBytes(n int) []byte {
	b := make([]byte, n)
	rng := rand.New(rand.NewPCG(uint64(n), uint64(time.Now().UnixNano())))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// complete makes a job of u COMPLETED with result as its result file,
// through the same store calls the annotate worker makes. corrupt, when
// set, replaces the stored file after its checksum was taken (bit rot).
func (e *env) complete(t *testing.T, u *gas.User, result []byte, corrupt func([]byte) []byte) *gas.Job {
	t.Helper()
	ctx := context.Background()
	j := &gas.Job{UserID: u.ID, InputName: "sample.vcf", Bundle: "demo"}
	j.ID = fmt.Sprintf("job-%d-%d", u.ID, time.Now().UnixNano())
	j.InputKey = fmt.Sprintf("user/%d/%s/input.vcf", u.ID, j.ID)
	if _, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader("##fileformat=VCFv4.2\n")); err != nil {
		t.Fatal(err)
	}
	if err := e.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: jobs.ActorAnnotate}); err != nil {
		t.Fatal(err)
	}
	rk, lk, sk := jobs.ResultKeys(j)
	info, err := e.blobs.Put(ctx, rk, bytes.NewReader(result))
	if err != nil {
		t.Fatal(err)
	}
	if corrupt != nil {
		if err := os.WriteFile(filepath.Join(e.blobs.Root(), filepath.FromSlash(rk)), corrupt(bytes.Clone(result)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	done, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: jobs.ActorAnnotate,
		Reason: "1 records annotated",
		Result: &gas.JobResult{ResultKey: rk, LogKey: lk, SummaryKey: sk, ResultSize: info.Size, ResultSum: info.SHA256, Records: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func (e *env) job(t *testing.T, id string) *gas.Job {
	t.Helper()
	j, err := e.store.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// waitFor polls until cond holds. The deadline only stops a broken test
// from hanging; nothing here measures speed. River's scheduler moves
// scheduled jobs every 5 s, and a retry waits a backoff on top.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (e *env) waitState(t *testing.T, id string, want gas.JobState) *gas.Job {
	t.Helper()
	var j *gas.Job
	waitFor(t, fmt.Sprintf("job %s to be %s", id, want), func() bool {
		j = e.job(t, id)
		return j.State == want
	})
	return j
}

// riverJobs lists the queued River jobs of kind for an annotation job.
func (e *env) riverJobs(t *testing.T, kind, jobID string) []*rivertype.JobRow {
	t.Helper()
	res, err := e.client.JobList(context.Background(), river.NewJobListParams().Kinds(kind).First(1000))
	if err != nil {
		t.Fatal(err)
	}
	var out []*rivertype.JobRow
	for _, r := range res.Jobs {
		var a struct {
			JobID string `json:"job_id"`
		}
		if err := json.Unmarshal(r.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		if a.JobID == jobID {
			out = append(out, r)
		}
	}
	return out
}

// waitRiver waits until every River job of kind for jobID is in state.
func (e *env) waitRiver(t *testing.T, kind, jobID string, state rivertype.JobState) *rivertype.JobRow {
	t.Helper()
	var last *rivertype.JobRow
	waitFor(t, fmt.Sprintf("%s job of %s to be %s", kind, jobID, state), func() bool {
		rows := e.riverJobs(t, kind, jobID)
		if len(rows) == 0 {
			return false
		}
		last = rows[len(rows)-1]
		for _, r := range rows {
			if r.State != state {
				return false
			}
		}
		return true
	})
	return last
}

func (e *env) hot(t *testing.T, key string) ([]byte, bool) {
	t.Helper()
	rc, err := e.blobs.Open(context.Background(), key)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

func (e *env) inArchive(t *testing.T, key string) (gas.BlobInfo, bool) {
	t.Helper()
	info, err := e.cold.Stat(context.Background(), key)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return info, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return info, true
}

func (e *env) events(t *testing.T, id string) []gas.Event {
	t.Helper()
	ev, err := e.store.Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// findEvent returns the event from → to, failing when there is not exactly one.
func (e *env) findEvent(t *testing.T, id string, from, to gas.JobState) gas.Event {
	t.Helper()
	var found []gas.Event
	for _, ev := range e.events(t, id) {
		if ev.From == from && ev.To == to {
			found = append(found, ev)
		}
	}
	if len(found) != 1 {
		t.Fatalf("job %s: %d events %s → %s, want 1: %+v", id, len(found), from, to, e.events(t, id))
	}
	return found[0]
}

func rj[T river.JobArgs](args T) *river.Job[T] {
	return &river.Job[T]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 25}, Args: args}
}
