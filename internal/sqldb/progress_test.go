package sqldb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

func TestProgressSQLite(t *testing.T) {
	t.Parallel()
	testProgress(t, setup(t, openSQLiteForTest))
}

func TestProgressPostgres(t *testing.T) {
	t.Parallel()
	testProgress(t, setup(t, openPostgresForTest))
}

func testProgress(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, fmt.Sprintf("p%d@example.org", testDBSeq.Add(1)))
	var js []*gas.Job
	for i := range 3 {
		js = append(js, mustJob(t, f, u.ID, fmt.Sprintf("in%d.vcf", i)))
		f.clock.Add(time.Second)
	}
	if err := f.db.SetInputRecords(ctx, js[0].ID, 1000); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetInputRecords(ctx, "no-such-job", 1); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing job: %v, want ENOTFOUND", err)
	}
	// The upload check's count is written with the job, so a worker that
	// starts it at once already finds it (issue 17's record-count check).
	counted := &gas.Job{UserID: u.ID, InputName: "counted.vcf", InputKey: "user/x/counted.vcf", InputSize: 10, Bundle: "demo", InputRecords: 42}
	if err := f.jobs.CreateJob(ctx, counted); err != nil {
		t.Fatal(err)
	}
	if n, err := f.db.InputRecords(ctx, counted.ID); err != nil || n != 42 {
		t.Fatalf("input records of a job created with its count = %d, %v; want 42", n, err)
	}
	if n, err := f.db.InputRecords(ctx, js[1].ID); err != nil || n != 0 {
		t.Fatalf("input records of a job created without a count = %d, %v; want 0", n, err)
	}
	if err := f.db.DeleteJob(ctx, u.ID, counted.ID); err != nil {
		t.Fatal(err)
	}
	// Queue order: the third job has two PENDING jobs ahead of it.
	for i, want := range []int{0, 1, 2} {
		if n, err := f.db.QueueAhead(ctx, js[i].ID); err != nil || n != want {
			t.Fatalf("job %d ahead = %d, %v; want %d", i, n, err, want)
		}
	}
	// A report on a PENDING job is ignored; on a RUNNING one it is kept.
	at := f.clock.Now()
	if err := f.db.ReportProgress(ctx, js[0].ID, 10, at); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.db.JobProgress(ctx, js[0].ID); p[js[0].ID].Records != 0 {
		t.Fatalf("progress of a PENDING job stored: %+v", p)
	}
	if _, err := f.jobs.TransitionJob(ctx, js[0].ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ReportProgress(ctx, js[0].ID, 400, at); err != nil {
		t.Fatal(err)
	}
	// Pieces of a split job add to the count.
	if err := f.db.AddProgress(ctx, js[0].ID, 50, at); err != nil {
		t.Fatal(err)
	}
	if p, _ := f.db.JobProgress(ctx, js[0].ID); p[js[0].ID].Records != 450 {
		t.Fatalf("after adding 50: %+v", p[js[0].ID])
	}
	if err := f.db.ReportProgress(ctx, js[0].ID, 400, at); err != nil {
		t.Fatal(err)
	}
	if err := f.db.AddProgress(ctx, js[1].ID, 50, at); err != nil { // PENDING: ignored
		t.Fatal(err)
	}
	if err := f.db.SetIndexKey(ctx, js[1].ID, "user/1/x/variants.sqlite"); err != nil {
		t.Fatal(err)
	}
	ps, err := f.db.JobProgress(ctx, js[0].ID, js[1].ID, "missing")
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 {
		t.Fatalf("progress of %d jobs, want 2: %+v", len(ps), ps)
	}
	if p := ps[js[0].ID]; p.InputRecords != 1000 || p.Records != 400 || !p.At.Equal(at) {
		t.Fatalf("progress = %+v, want 400 of 1000 at %v", p, at)
	}
	if p := ps[js[1].ID]; p.IndexKey != "user/1/x/variants.sqlite" || p.Records != 0 {
		t.Fatalf("second job = %+v", p)
	}
	// The running job left the queue: the others move up.
	if n, _ := f.db.QueueAhead(ctx, js[2].ID); n != 1 {
		t.Fatalf("third job ahead = %d after the first started, want 1", n)
	}

	// Throughput: nothing completed yet, then one job of 1000 records in 4 s.
	if tp, err := f.db.RecentThroughput(ctx, 20); err != nil || tp.Jobs != 0 {
		t.Fatalf("throughput before any completion = %+v, %v", tp, err)
	}
	f.clock.Add(4 * time.Second)
	if _, err := f.jobs.TransitionJob(ctx, js[0].ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "test",
		Result: &gas.JobResult{ResultKey: "r", LogKey: "l", SummaryKey: "s", Records: 1000}}); err != nil {
		t.Fatal(err)
	}
	tp, err := f.db.RecentThroughput(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	if tp.Jobs != 1 || tp.MeanRun != 4*time.Second || tp.RecordsPerSec != 250 {
		t.Fatalf("throughput = %+v, want 1 job, 4s, 250 records/s", tp)
	}
	if _, err := f.db.RecentThroughput(ctx, 0); err == nil {
		t.Fatal("n = 0 accepted")
	}
}

func TestDeleteJobSQLite(t *testing.T) {
	t.Parallel()
	testDeleteJob(t, setup(t, openSQLiteForTest))
}

func TestDeleteJobPostgres(t *testing.T) {
	t.Parallel()
	testDeleteJob(t, setup(t, openPostgresForTest))
}

func testDeleteJob(t *testing.T, f fixture) {
	ctx := context.Background()
	a := mustUser(t, f, fmt.Sprintf("da%d@example.org", testDBSeq.Add(1)))
	b := mustUser(t, f, fmt.Sprintf("db%d@example.org", testDBSeq.Add(1)))
	j := mustJob(t, f, a.ID, "x.vcf")
	if err := f.db.DeleteJob(ctx, b.ID, j.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("another user's delete: %v, want ENOTFOUND", err)
	}
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteJob(ctx, a.ID, j.ID); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("delete of a RUNNING job: %v, want ECONFLICT", err)
	}
	if _, err := f.jobs.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "test", Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteJob(ctx, a.ID, j.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.Job(ctx, j.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("deleted job still read: %v", err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_events WHERE job_id = '`+j.ID+`'`); n != 0 {
		t.Fatalf("%d events of the deleted job left", n)
	}
	if err := f.db.DeleteJob(ctx, a.ID, j.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("second delete: %v, want ENOTFOUND", err)
	}
}

func TestPendingUploadsSQLite(t *testing.T) {
	t.Parallel()
	testPendingUploads(t, setup(t, openSQLiteForTest))
}

func TestPendingUploadsPostgres(t *testing.T) {
	t.Parallel()
	testPendingUploads(t, setup(t, openPostgresForTest))
}

func testPendingUploads(t *testing.T, f fixture) {
	ctx := context.Background()
	a := mustUser(t, f, fmt.Sprintf("ua%d@example.org", testDBSeq.Add(1)))
	b := mustUser(t, f, fmt.Sprintf("ub%d@example.org", testDBSeq.Add(1)))
	old := &gas.PendingUpload{ID: fmt.Sprintf("up-old-%d", testDBSeq.Add(1)), UserID: a.ID, InputKey: "k1", InputName: "a.vcf", InputSize: 10, Mode: "all", Report: `{"records":1}`}
	if err := f.db.HoldUpload(ctx, old); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(25 * time.Hour)
	fresh := &gas.PendingUpload{ID: fmt.Sprintf("up-new-%d", testDBSeq.Add(1)), UserID: a.ID, InputKey: "k2", InputName: "b.vcf", InputSize: 20}
	if err := f.db.HoldUpload(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.PendingUpload(ctx, b.ID, old.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("another user's upload: %v", err)
	}
	got, err := f.db.PendingUpload(ctx, a.ID, old.ID)
	if err != nil || got.InputKey != "k1" || got.Report != `{"records":1}` || got.Mode != "all" || got.InputSize != 10 {
		t.Fatalf("pending upload %+v, %v", got, err)
	}
	stale, err := f.db.StaleUploads(ctx, f.clock.Now().Add(-24*time.Hour), 10)
	if err != nil || len(stale) != 1 || stale[0].ID != old.ID {
		t.Fatalf("stale uploads %v, %v", stale, err)
	}
	if _, err := f.db.ReleaseUpload(ctx, b.ID, fresh.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("another user released: %v", err)
	}
	p, err := f.db.ReleaseUpload(ctx, a.ID, fresh.ID)
	if err != nil || p.InputKey != "k2" {
		t.Fatalf("release %+v, %v", p, err)
	}
	if _, err := f.db.ReleaseUpload(ctx, a.ID, fresh.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("second release: %v", err)
	}
}
