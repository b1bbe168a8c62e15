package sqldb

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestFairShareHoldsSQLite(t *testing.T) {
	t.Parallel()
	testFairShareHolds(t, openSQLiteForTest)
}

func TestFairShareHoldsPostgres(t *testing.T) {
	t.Parallel()
	testFairShareHolds(t, openPostgresForTest)
}

// testFairShareHolds follows a user's share of the queue through every
// change that frees or widens it: a user's jobs beyond the share wait in
// job_holds, oldest first, and each one reaches the queue exactly once —
// when one of theirs finishes, is cancelled or deleted, on an upgrade, or
// when the limit is raised — while another user's first job is queued at
// once. A queue failure rolls the change back and loses nothing.
func testFairShareHolds(t *testing.T, open opener) {
	ctx := context.Background()
	f := setup(t, open)
	var freeLimit atomic.Int64
	freeLimit.Store(2)
	f.db.Limit(f.enq, func(p gas.Plan) gas.PlanLimits {
		if p == gas.PlanPremium {
			return gas.PlanLimits{RunningJobs: 4}
		}
		return gas.PlanLimits{RunningJobs: int(freeLimit.Load())}
	})
	queued := func() []string {
		t.Helper()
		rows, err := f.db.SQL().Query(`SELECT job_id FROM test_queue`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return ids
	}
	want := func(step string, ids ...string) {
		t.Helper()
		got := queued()
		if !slices.Equal(got, ids) {
			t.Fatalf("%s: queued %v, want %v", step, got, ids)
		}
	}
	a := mustUser(t, f, "a@example.org")
	var js []*gas.Job
	for i := range 6 {
		f.clock.Add(time.Millisecond) // one after the other, as uploads come
		js = append(js, mustJob(t, f, a.ID, "a"+string(rune('0'+i))+".vcf"))
	}
	want("six jobs, share 2", js[0].ID, js[1].ID)
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_holds WHERE user_id = ?`, a.ID); n != 4 {
		t.Fatalf("held %d, want 4", n)
	}

	// Another user is not behind A's backlog.
	b := mustUser(t, f, "b@example.org")
	f.clock.Add(time.Millisecond)
	jb := mustJob(t, f, b.ID, "b.vcf")
	want("B's first job", js[0].ID, js[1].ID, jb.ID)
	// The live page's queue place follows the shares: B's job is behind
	// A's two queued ones, not A's whole backlog; A's last job is behind
	// everything queued and A's three held before it.
	for id, ahead := range map[string]int{jb.ID: 2, js[5].ID: 3 + 3, js[0].ID: 0} {
		if n, err := f.db.QueueAhead(ctx, id); err != nil || n != ahead {
			t.Fatalf("QueueAhead(%s) = %d, %v; want %d", id, n, err, ahead)
		}
	}

	// Cancelling a held job drops its hold and queues nothing.
	if _, err := f.jobs.TransitionJob(ctx, js[4].ID, gas.JobChange{From: gas.JobPending, To: gas.JobCancelled, Actor: "user:1"}); err != nil {
		t.Fatal(err)
	}
	want("held job cancelled", js[0].ID, js[1].ID, jb.ID)

	// A job that finishes hands its place to the oldest held one.
	for _, c := range []gas.JobChange{
		{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"},
		{From: gas.JobRunning, To: gas.JobCompleted, Actor: "worker:annotate", Result: &gas.JobResult{ResultKey: "r"}},
	} {
		if _, err := f.jobs.TransitionJob(ctx, js[0].ID, c); err != nil {
			t.Fatal(err)
		}
	}
	want("first job completed", js[0].ID, js[1].ID, jb.ID, js[2].ID)

	// A queue that fails rolls the completion back: the job stays RUNNING
	// and the held one stays held; the retry then goes through.
	if _, err := f.jobs.TransitionJob(ctx, js[1].ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"}); err != nil {
		t.Fatal(err)
	}
	f.enq.fail.Store(true)
	if _, err := f.jobs.TransitionJob(ctx, js[1].ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "worker:annotate", Reason: "x"}); err == nil {
		t.Fatal("completion committed although its held job could not be queued")
	}
	f.enq.fail.Store(false)
	if j, _ := f.jobs.Job(ctx, js[1].ID); j.State != gas.JobRunning {
		t.Fatalf("after the failed change the job is %s", j.State)
	}
	want("failed change rolled back", js[0].ID, js[1].ID, jb.ID, js[2].ID)
	if _, err := f.jobs.TransitionJob(ctx, js[1].ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "worker:annotate", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	want("second job failed", js[0].ID, js[1].ID, jb.ID, js[2].ID, js[3].ID)

	// A retried job goes to the back of the line.
	if _, err := f.jobs.RetryJob(ctx, js[1].ID, "admin"); err != nil {
		t.Fatal(err)
	}
	want("retry held", js[0].ID, js[1].ID, jb.ID, js[2].ID, js[3].ID)

	// Deleting a queued PENDING job frees its place.
	if err := f.db.DeleteJob(ctx, a.ID, js[2].ID); err != nil {
		t.Fatal(err)
	}
	want("queued job deleted", js[0].ID, js[1].ID, jb.ID, js[2].ID, js[3].ID, js[5].ID)

	// An upgrade widens the share in its own transaction.
	if err := f.db.SetPlan(ctx, a.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	want("upgrade", js[0].ID, js[1].ID, jb.ID, js[2].ID, js[3].ID, js[5].ID, js[1].ID)
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_holds`); n != 0 {
		t.Fatalf("held after upgrade: %d", n)
	}

	// A limit raised in the configuration is applied by FillQueues.
	c := mustUser(t, f, "c@example.org")
	var cs []*gas.Job
	for i := range 4 {
		cs = append(cs, mustJob(t, f, c.ID, "c"+string(rune('0'+i))+".vcf"))
	}
	before := len(queued())
	freeLimit.Store(3)
	n, err := f.db.FillQueues(ctx)
	if err != nil || n != 1 {
		t.Fatalf("FillQueues = %d, %v; want 1", n, err)
	}
	if got := queued(); len(got) != before+1 || got[len(got)-1] != cs[2].ID {
		t.Fatalf("after raising the limit: %v", got[before:])
	}
	if n, err := f.db.FillQueues(ctx); err != nil || n != 0 {
		t.Fatalf("second FillQueues = %d, %v; want 0", n, err)
	}
}

// TestPlanLimitsRetryAfterStore: a refusal for too many jobs at once says
// when to come back: a minute while none of the user's jobs has reported
// progress, then when the first running job should finish at its own pace
// (within 5 s and 30 minutes). On every engine.
func TestPlanLimitsRetryAfterStore(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]opener{"sqlite": openSQLiteForTest, "postgres": openPostgresForTest} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			f := setup(t, open)
			f.db.Limit(f.enq, func(gas.Plan) gas.PlanLimits { return gas.PlanLimits{QueuedJobs: 2} })
			u := mustUser(t, f, "busy@example.org")
			mk := func(records int64) *gas.Job {
				t.Helper()
				j := &gas.Job{UserID: u.ID, InputName: "in.vcf", InputKey: "user/x/in.vcf", InputSize: 10, Bundle: "demo", InputRecords: records}
				if err := f.jobs.CreateJob(ctx, j); err != nil {
					t.Fatal(err)
				}
				return j
			}
			slow, fast := mk(1000), mk(400)
			retry := func() (time.Duration, string) {
				t.Helper()
				err := f.db.CheckQuota(ctx, u.ID, "")
				d, ok := gas.RetryAfter(err)
				if gas.ErrorCode(err) != gas.ETOOMANY || !ok {
					t.Fatalf("third job: %v, want ETOOMANY with a Retry-After", err)
				}
				return d, gas.ErrorMessage(err)
			}
			if d, msg := retry(); d != time.Minute || !strings.Contains(msg, "in a minute or so") {
				t.Fatalf("nothing running: %v %q", d, msg)
			}
			for _, j := range []*gas.Job{slow, fast} {
				if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"}); err != nil {
					t.Fatal(err)
				}
			}
			if d, _ := retry(); d != time.Minute {
				t.Fatalf("running without progress: %v, want the default minute", d)
			}
			// 100 s in: slow did 100 of 1000 (900 s left), fast 200 of 400
			// (100 s left); 10 s after their reports, fast needs 90 s more.
			f.clock.Add(100 * time.Second)
			if err := f.db.ReportProgress(ctx, slow.ID, 100, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			if err := f.db.ReportProgress(ctx, fast.ID, 200, f.clock.Now()); err != nil {
				t.Fatal(err)
			}
			f.clock.Add(10 * time.Second)
			if d, msg := retry(); d != 90*time.Second || !strings.Contains(msg, "about 2 minutes") {
				t.Fatalf("at the jobs' pace: %v %q, want 90 s", d, msg)
			}
			// Past its estimate, a job still running gives the 5 s floor.
			f.clock.Add(5 * time.Minute)
			if d, _ := retry(); d != 5*time.Second {
				t.Fatalf("overdue: %v, want 5 s", d)
			}
		})
	}
}
