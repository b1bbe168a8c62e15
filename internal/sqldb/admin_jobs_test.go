package sqldb

import (
	"context"
	"testing"

	"github.com/gas-project/gas"
)

func TestAdminJobsSQLite(t *testing.T) {
	t.Parallel()
	runAdminJobsSuite(t, openSQLiteForTest)
}

func TestAdminJobsPostgres(t *testing.T) {
	t.Parallel()
	runAdminJobsSuite(t, openPostgresForTest)
}

func runAdminJobsSuite(t *testing.T, open opener) {
	ctx := context.Background()
	f := setup(t, open)
	a, b := &gas.User{Email: "a@example.org"}, &gas.User{Email: "b@example.org"}
	for _, u := range []*gas.User{a, b} {
		if err := f.db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	mk := func(u *gas.User, size int64) *gas.Job {
		t.Helper()
		j := &gas.Job{UserID: u.ID, InputName: "in.vcf", InputKey: "k", InputSize: size, Bundle: "demo"}
		if err := f.jobs.CreateJob(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	failed, done, pending := mk(a, 100), mk(a, 200), mk(b, 50)
	move := func(j *gas.Job, changes ...gas.JobChange) {
		t.Helper()
		for _, c := range changes {
			if _, err := f.jobs.TransitionJob(ctx, j.ID, c); err != nil {
				t.Fatal(err)
			}
		}
	}
	move(failed, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "t"},
		gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "t", Reason: "worker crashed"})
	move(done, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "t"},
		gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "t",
			Result: &gas.JobResult{ResultKey: "r", ResultSize: 1000, BundleSum: "sha256:abc"}})

	list, total, err := f.db.RecentJobs(ctx, gas.JobFilter{State: gas.JobFailed}, gas.Page{})
	if err != nil || total != 1 || list[0].ID != failed.ID {
		t.Fatalf("failed jobs = %v (%d), %v", list, total, err)
	}
	if _, total, _ := f.db.RecentJobs(ctx, gas.JobFilter{UserID: b.ID}, gas.Page{}); total != 1 {
		t.Fatalf("jobs of b = %d", total)
	}
	if _, _, err := f.db.RecentJobs(ctx, gas.JobFilter{State: "LOST"}, gas.Page{}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("unknown state: %v", err)
	}
	use, err := f.db.StorageByUser(ctx, []int64{a.ID, b.ID})
	if err != nil || use[a.ID] != 100+200+1000 || use[b.ID] != 50 {
		t.Fatalf("storage = %v, %v", use, err)
	}
	bundles, err := f.db.BundlesUsed(ctx)
	if err != nil || len(bundles) != 1 || bundles[0] != (gas.BundleUse{Name: "demo", Checksum: "sha256:abc", Jobs: 1}) {
		t.Fatalf("bundles = %+v, %v", bundles, err)
	}

	queued := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, failed.ID)
	j, err := f.jobs.RetryJob(ctx, failed.ID, "admin")
	if err != nil || j.State != gas.JobPending || j.FailReason != "" || !j.StartedAt.IsZero() {
		t.Fatalf("retry = %+v, %v", j, err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, failed.ID); n != queued+1 {
		t.Fatalf("retry queued %d times", n-queued)
	}
	evs, _ := f.jobs.Events(ctx, failed.ID)
	if last := evs[len(evs)-1]; last.From != gas.JobFailed || last.To != gas.JobPending || last.Actor != "admin" {
		t.Fatalf("last event = %+v", last)
	}
	for id, want := range map[string]string{done.ID: gas.ECONFLICT, pending.ID: gas.ECONFLICT, "missing": gas.ENOTFOUND} {
		if _, err := f.jobs.RetryJob(ctx, id, "admin"); gas.ErrorCode(err) != want {
			t.Errorf("retry %s: %v, want %s", id, err, want)
		}
	}
	// A failed enqueue rolls the retry back.
	move(failed, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "t"})
	move(failed, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "t", Reason: "again"})
	f.enq.fail.Store(true)
	if _, err := f.jobs.RetryJob(ctx, failed.ID, "admin"); err == nil {
		t.Fatal("retry succeeded without a queue")
	}
	if got, _ := f.jobs.Job(ctx, failed.ID); got.State != gas.JobFailed {
		t.Fatalf("state after a failed retry: %s", got.State)
	}
}
