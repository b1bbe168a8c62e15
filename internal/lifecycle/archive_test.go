package lifecycle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
)

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TestArchiveFreeJobAfterRetention: the archive is a River job scheduled
// at CompletedAt + retention in the completion's transaction; when it runs
// the result moves to the archive, verified, and the hot copy goes.
func TestArchiveFreeJobAfterRetention(t *testing.T) {
	t.Parallel()
	const retention = time.Second
	e := setup(t, options{retention: retention, run: true})
	data := resultBytes(64 << 10)
	j := e.complete(t, e.free, data, nil)

	rows := e.riverJobs(t, "archive", j.ID)
	if len(rows) != 1 {
		t.Fatalf("%d archive jobs queued at completion, want 1", len(rows))
	}
	if d := rows[0].ScheduledAt.Sub(j.CompletedAt.Add(retention)); d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("archive scheduled at %v, want CompletedAt %v + %v", rows[0].ScheduledAt, j.CompletedAt, retention)
	}
	if rows[0].Queue != Queue {
		t.Fatalf("archive job on queue %q, want %q", rows[0].Queue, Queue)
	}

	got := e.waitState(t, j.ID, gas.JobArchived)
	if got.ArchivedAt.IsZero() || got.ArchivedAt.Before(j.CompletedAt.Add(retention)) {
		t.Fatalf("ArchivedAt = %v, want after %v", got.ArchivedAt, j.CompletedAt.Add(retention))
	}
	e.waitRiver(t, "archive", j.ID, rivertype.JobStateCompleted)
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("hot copy still there after archiving")
	}
	info, ok := e.inArchive(t, j.ResultKey)
	if !ok || info.Size != int64(len(data)) || info.SHA256 != sum(data) {
		t.Fatalf("archive copy = %+v (present %v), want %d bytes sha %s", info, ok, len(data), sum(data))
	}
	ev := e.findEvent(t, j.ID, gas.JobCompleted, gas.JobArchived)
	if ev.Actor != ActorArchive || !strings.Contains(ev.Reason, "verified") {
		t.Fatalf("archive event = %+v", ev)
	}
}

// TestArchivePremiumJobNeverArchived: a Premium user's completion queues
// no archive at all.
func TestArchivePremiumJobNeverArchived(t *testing.T) {
	t.Parallel()
	e := setup(t, options{})
	premium := e.user(t, gas.PlanPremium)
	j := e.complete(t, premium, resultBytes(1000), nil)
	if rows := e.riverJobs(t, "archive", j.ID); len(rows) != 0 {
		t.Fatalf("%d archive jobs queued for a Premium user's job", len(rows))
	}
	// Even an archive job run by hand (a stale timer) leaves it alone.
	w := &ArchiveWorker{l: e.lc}
	if err := w.Work(context.Background(), rj(ArchiveArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobCompleted {
		t.Fatalf("state = %s", got.State)
	}
	if _, ok := e.hot(t, j.ResultKey); !ok {
		t.Fatal("hot copy gone")
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("copied to the archive")
	}
}

// TestArchiveSkippedAfterUpgrade: the user becomes Premium before the
// timer fires; when it fires the result stays hot.
func TestArchiveSkippedAfterUpgrade(t *testing.T) {
	t.Parallel()
	e := setup(t, options{retention: time.Second, run: true})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(5000)
	j := e.complete(t, u, data, nil)
	if len(e.riverJobs(t, "archive", j.ID)) != 1 {
		t.Fatal("no archive timer queued for a Free user's job")
	}
	if err := e.db.SetPlan(context.Background(), u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	e.waitRiver(t, "archive", j.ID, rivertype.JobStateCompleted)
	got := e.job(t, j.ID)
	if got.State != gas.JobCompleted || !got.ArchivedAt.IsZero() {
		t.Fatalf("job = %s archived at %v, want COMPLETED and never archived", got.State, got.ArchivedAt)
	}
	if b, ok := e.hot(t, j.ResultKey); !ok || !bytes.Equal(b, data) {
		t.Fatal("hot copy changed or gone")
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("copied to the archive")
	}
}

// TestArchiveCorruptCopyKeepsHot: a copy that does not match the job's
// checksum is an error the queue retries; the job stays COMPLETED with its
// hot file, and once the file is good again a retry archives it.
func TestArchiveCorruptCopyKeepsHot(t *testing.T) {
	t.Parallel()
	e := setup(t, options{run: true})
	data := resultBytes(20_000)
	j := e.complete(t, e.free, data, func(b []byte) []byte { b[1234] ^= 0x40; return b })

	var row *rivertype.JobRow
	waitFor(t, "a failed archive attempt", func() bool {
		rows := e.riverJobs(t, "archive", j.ID)
		if len(rows) == 1 && len(rows[0].Errors) > 0 {
			row = rows[0]
			return true
		}
		return false
	})
	if row.State != rivertype.JobStateRetryable && row.State != rivertype.JobStateAvailable && row.State != rivertype.JobStateRunning {
		t.Fatalf("archive job after a bad copy is %s, want it to be retried", row.State)
	}
	if msg := row.Errors[0].Error; !strings.Contains(msg, "does not match") {
		t.Fatalf("archive error = %q", msg)
	}
	if got := e.job(t, j.ID); got.State != gas.JobCompleted {
		t.Fatalf("state after a bad copy = %s, want COMPLETED", got.State)
	}
	if _, ok := e.hot(t, j.ResultKey); !ok {
		t.Fatal("hot copy deleted after a bad archive copy")
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("the bad archive copy was kept")
	}

	// Repair the hot file; the retry archives the good bytes.
	if _, err := e.blobs.Put(context.Background(), j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	e.waitState(t, j.ID, gas.JobArchived)
	e.waitRiver(t, "archive", j.ID, rivertype.JobStateCompleted)
	if info, ok := e.inArchive(t, j.ResultKey); !ok || info.SHA256 != sum(data) {
		t.Fatalf("archive copy after the retry = %+v", info)
	}
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("hot copy kept after a good archive")
	}
}

// TestArchiveRerunHarmless: every point a crash can interrupt the archive
// worker, re-running it finishes the job once and changes nothing more.
func TestArchiveRerunHarmless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	data := resultBytes(3000)
	j := e.complete(t, e.free, data, nil)
	w := &ArchiveWorker{l: e.lc}

	// Crash after the copy, before the transition: a re-run copies again.
	if _, err := e.cold.Put(ctx, j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, rj(ArchiveArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobArchived {
		t.Fatalf("state = %s", got.State)
	}
	// Crash after the transition, before the delete: the hot copy is back
	// as it was; a re-run deletes it.
	if _, err := e.blobs.Put(ctx, j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := w.Work(ctx, rj(ArchiveArgs{JobID: j.ID})); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("re-run left the hot copy of an archived job")
	}
	e.findEvent(t, j.ID, gas.JobCompleted, gas.JobArchived) // exactly one
	if info, ok := e.inArchive(t, j.ResultKey); !ok || info.SHA256 != sum(data) {
		t.Fatal("archive copy lost")
	}
}

// TestArchiveHotKeptWhenArchiveCopyMissing: an ARCHIVED job whose archive
// copy is gone keeps its hot copy: never delete the last one.
func TestArchiveHotKeptWhenArchiveCopyMissing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	data := resultBytes(3000)
	j := e.complete(t, e.free, data, nil)
	w := &ArchiveWorker{l: e.lc}
	if err := w.Work(ctx, rj(ArchiveArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if _, err := e.blobs.Put(ctx, j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := e.cold.Delete(ctx, j.ResultKey); err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, rj(ArchiveArgs{JobID: j.ID})); err == nil {
		t.Fatal("deleting the hot copy of a job whose archive copy is gone was not an error")
	}
	if _, ok := e.hot(t, j.ResultKey); !ok {
		t.Fatal("the last copy was deleted")
	}
}

// TestArchiveRefusedAfterUpgrade: the → ARCHIVED hook refuses when the
// owner became Premium between the worker's check and its transition, so
// the job stays COMPLETED; the worker then drops its archive copy.
func TestArchiveRefusedAfterUpgrade(t *testing.T) {
	t.Parallel()
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "SQLite", true: "Postgres"}[pg]
		t.Run(name, func(t *testing.T) { t.Parallel(); testArchiveRefusedAfterUpgrade(t, pg) })
	}
}

func testArchiveRefusedAfterUpgrade(t *testing.T, postgres bool) {
	ctx := context.Background()
	e := setup(t, options{postgres: postgres})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(3000)
	j := e.complete(t, u, data, nil)
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	_, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: ActorArchive})
	if gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("archive of a Premium user's job: %v, want ECONFLICT", err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobCompleted {
		t.Fatalf("state = %s", got.State)
	}
	// The worker's side of the race: its copy is removed.
	if _, err := e.cold.Put(ctx, j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	w := &ArchiveWorker{l: e.lc}
	if err := w.lostRace(ctx, j, e.lc.cfg.Logger, err); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("unneeded archive copy kept")
	}
	if _, ok := e.hot(t, j.ResultKey); !ok {
		t.Fatal("hot copy gone")
	}
}

// TestArchiveTimerRollsBackWithCompletion: the archive timer and the
// restore_user job exist only if the change that queued them commits.
func TestArchiveTimerRollsBackWithCompletion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{retention: time.Hour})
	boom := errors.New("a later hook failed")
	failing := func(context.Context, *sql.Tx, *gas.Job, gas.JobChange) error { return boom }
	ins, err := jobs.NewInserter(e.db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	store := e.db.JobStore(ins, e.hooks.TransitionHook(), failing)
	j := &gas.Job{UserID: e.free.ID, InputName: "x.vcf", InputKey: fmt.Sprintf("user/%d/x/in.vcf", e.free.ID), Bundle: "demo"}
	if err := e.store.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning}); err != nil {
		t.Fatal(err)
	}
	_, err = store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted,
		Result: &gas.JobResult{ResultKey: "user/1/x/result.vcf.gz", ResultSize: 1, ResultSum: sum([]byte("x"))}})
	if !errors.Is(err, boom) {
		t.Fatalf("completion with a failing hook: %v", err)
	}
	if n := len(e.riverJobs(t, "archive", j.ID)); n != 0 {
		t.Fatalf("%d archive timers left by a rolled-back completion", n)
	}
	if got := e.job(t, j.ID); got.State != gas.JobRunning {
		t.Fatalf("state = %s", got.State)
	}

	e.db.OnPlanChange(func(context.Context, *sql.Tx, *gas.User, gas.Plan) error { return boom })
	if err := e.db.SetPlan(ctx, e.free.ID, gas.PlanPremium); !errors.Is(err, boom) {
		t.Fatalf("upgrade with a failing hook: %v", err)
	}
	res, err := e.client.JobList(ctx, river.NewJobListParams().Kinds("restore_user"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 0 {
		t.Fatalf("%d restore_user jobs left by a rolled-back upgrade", len(res.Jobs))
	}
}
