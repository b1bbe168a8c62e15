package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
)

// archived returns a Free user's job whose result is in the archive, by
// running the archive worker directly.
func (e *env) archived(t *testing.T, u *gas.User, data []byte) *gas.Job {
	t.Helper()
	j := e.complete(t, u, data, nil)
	if err := (&ArchiveWorker{l: e.lc}).Work(context.Background(), rj(ArchiveArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	j = e.job(t, j.ID)
	if j.State != gas.JobArchived {
		t.Fatalf("state = %s, want ARCHIVED", j.State)
	}
	return j
}

// TestRestoreExpeditedUnavailableFallsBackToStandard is the whole path on
// a running queue: archive, upgrade, restore with the expedited tier
// refused, thaw; the result is byte-identical to the original.
func TestRestoreExpeditedUnavailableFallsBackToStandard(t *testing.T) {
	t.Parallel()
	testFullPath(t, false)
}

// TestRestoreFullPathPostgres is the same on PostgreSQL, where the hooks'
// queries are rebound and the plan is read with a row lock.
func TestRestoreFullPathPostgres(t *testing.T) {
	t.Parallel()
	testFullPath(t, true)
}

func testFullPath(t *testing.T, postgres bool) {
	ctx := context.Background()
	e := setup(t, options{run: true, postgres: postgres,
		delays: map[gas.RetrievalTier]time.Duration{gas.TierExpedited: -1, gas.TierStandard: 0}})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(300_000)
	j := e.complete(t, u, data, nil)
	j = e.waitState(t, j.ID, gas.JobArchived)
	e.waitRiver(t, "archive", j.ID, rivertype.JobStateCompleted)
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("hot copy kept after archiving")
	}

	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	got := e.waitState(t, j.ID, gas.JobCompleted)
	e.waitRiver(t, "thaw", j.ID, rivertype.JobStateCompleted)

	b, ok := e.hot(t, got.ResultKey)
	if !ok || !bytes.Equal(b, data) {
		t.Fatalf("restored result: present %v, %d bytes, identical %v", ok, len(b), bytes.Equal(b, data))
	}
	if got.CompletedAt != j.CompletedAt || !got.ArchivedAt.IsZero() || got.RestoreTier != "" || !got.RestoreReadyAt.IsZero() {
		t.Fatalf("restored job = %+v", got)
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("archive copy kept after the thaw")
	}
	r := e.findEvent(t, j.ID, gas.JobArchived, gas.JobRestoring)
	if r.Actor != ActorRestore || !strings.Contains(r.Reason, "standard retrieval") || !strings.Contains(r.Reason, "expedited retrieval unavailable") ||
		!strings.Contains(r.Reason, "expected ready at") {
		t.Fatalf("restore event = %+v", r)
	}
	th := e.findEvent(t, j.ID, gas.JobRestoring, gas.JobCompleted)
	if th.Actor != ActorThaw || th.Reason != "restored from the archive (standard)" {
		t.Fatalf("thaw event = %+v", th)
	}
}

// TestRestoreExpeditedWhenAvailable: with capacity, expedited is used.
func TestRestoreExpeditedWhenAvailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{delays: map[gas.RetrievalTier]time.Duration{gas.TierExpedited: time.Hour, gas.TierStandard: 5 * time.Hour}})
	j := e.archived(t, e.free, resultBytes(100))
	if err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	got := e.job(t, j.ID)
	// The owner is Free: nothing happens.
	if got.State != gas.JobArchived {
		t.Fatalf("restore for a Free owner: state %s", got.State)
	}
	if err := e.db.SetPlan(ctx, e.free.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	got = e.job(t, j.ID)
	if got.State != gas.JobRestoring || got.RestoreTier != gas.TierExpedited ||
		got.RestoreReadyAt.Before(before.Add(time.Hour).Add(-time.Second)) || got.RestoreReadyAt.After(time.Now().Add(time.Hour)) {
		t.Fatalf("restoring job: %s tier %s ready %v", got.State, got.RestoreTier, got.RestoreReadyAt)
	}
	// The thaw is scheduled at the ready time, in the transition's transaction.
	rows := e.riverJobs(t, "thaw", j.ID)
	if len(rows) != 1 {
		t.Fatalf("%d thaw jobs, want 1", len(rows))
	}
	// River keeps times to the millisecond on SQLite.
	if d := rows[0].ScheduledAt.Sub(got.RestoreReadyAt); rows[0].State != rivertype.JobStateScheduled || d < -time.Millisecond || d > time.Millisecond {
		t.Fatalf("thaw job %s at %v, want scheduled at %v", rows[0].State, rows[0].ScheduledAt, got.RestoreReadyAt)
	}
}

// TestRestoreUserQueuesEachArchivedJobOnce: the upgrade queues one
// restore-user job; it queues one restore per ARCHIVED job, and re-running
// it queues nothing more.
func TestRestoreUserQueuesEachArchivedJobOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	u := e.user(t, gas.PlanFree)
	a := e.archived(t, u, resultBytes(100))
	b := e.archived(t, u, resultBytes(200))
	hot := e.complete(t, u, resultBytes(300), nil) // COMPLETED, not archived yet
	other := e.archived(t, e.free, resultBytes(400))

	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.JobList(ctx, river.NewJobListParams().Kinds("restore_user"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 {
		t.Fatalf("%d restore_user jobs after one upgrade, want 1", len(res.Jobs))
	}
	// Setting the same plan again runs no hook; a downgrade queues nothing.
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	w := &RestoreUserWorker{l: e.lc}
	for range 2 {
		if err := w.Work(ctx, &river.Job[RestoreUserArgs]{JobRow: &rivertype.JobRow{Attempt: 1}, Args: RestoreUserArgs{UserID: u.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, j := range []*gas.Job{a, b} {
		if n := len(e.riverJobs(t, "restore", j.ID)); n != 1 {
			t.Errorf("job %s: %d restore jobs, want 1", j.ID, n)
		}
	}
	for _, j := range []*gas.Job{hot, other} {
		if n := len(e.riverJobs(t, "restore", j.ID)); n != 0 {
			t.Errorf("job %s: %d restore jobs, want none", j.ID, n)
		}
	}
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanFree); err != nil {
		t.Fatal(err)
	}
	res, err = e.client.JobList(ctx, river.NewJobListParams().Kinds("restore_user"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 1 {
		t.Fatalf("%d restore_user jobs after a downgrade, want still 1", len(res.Jobs))
	}
}

// TestThawSnoozesUntilReady: before the retrieval is ready the thaw worker
// snoozes until the expected time; after it, it thaws.
func TestThawSnoozesUntilReady(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const delay = 2 * time.Second
	e := setup(t, options{run: true, delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: delay}})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(10_000)
	j := e.complete(t, u, data, nil)
	e.waitState(t, j.ID, gas.JobArchived)
	e.waitRiver(t, "archive", j.ID, rivertype.JobStateCompleted)
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	r := e.waitState(t, j.ID, gas.JobRestoring)
	if r.RestoreTier != gas.TierStandard {
		t.Fatalf("tier = %s, want standard (no expedited delay configured)", r.RestoreTier)
	}

	// The worker run early, by hand, snoozes and changes nothing.
	err := (&ThawWorker{l: e.lc}).Work(ctx, rj(ThawArgs{JobID: j.ID}))
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) {
		if got := e.job(t, j.ID); got.State == gas.JobCompleted {
			t.Skip("the machine was too slow to run the worker before the retrieval finished")
		}
		t.Fatalf("thaw before ready: %v, want a snooze", err)
	}
	if snooze.Duration <= 0 || snooze.Duration > delay {
		t.Fatalf("snooze %v, want until the ready time (at most %v)", snooze.Duration, delay)
	}
	if got := e.job(t, j.ID); got.State != gas.JobRestoring {
		t.Fatalf("state after a snooze = %s", got.State)
	}
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("a hot copy appeared before the retrieval finished")
	}

	// The scheduled thaw finishes the restore.
	got := e.waitState(t, j.ID, gas.JobCompleted)
	e.waitRiver(t, "thaw", j.ID, rivertype.JobStateCompleted)
	if b, ok := e.hot(t, got.ResultKey); !ok || !bytes.Equal(b, data) {
		t.Fatal("restored bytes differ")
	}
}

// TestThawPollsPastEstimate: when the archive's estimate has passed but
// the retrieval has not finished, the worker snoozes for the poll interval.
func TestThawPollsPastEstimate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}})
	u := e.user(t, gas.PlanFree)
	j := e.archived(t, u, resultBytes(100))
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cold.Retrieve(ctx, j.ResultKey, gas.TierStandard); err != nil {
		t.Fatal(err)
	}
	// The job believes the archive promised it an hour ago.
	past := &gas.Retrieval{Tier: gas.TierStandard, ReadyAt: time.Now().Add(-time.Hour)}
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Actor: ActorRestore, Restore: past}); err != nil {
		t.Fatal(err)
	}
	err := (&ThawWorker{l: e.lc}).Work(ctx, rj(ThawArgs{JobID: j.ID}))
	var snooze *river.JobSnoozeError
	if !errors.As(err, &snooze) || snooze.Duration != e.lc.cfg.PollInterval {
		t.Fatalf("thaw past the estimate: %v, want a snooze of the poll interval %v", err, e.lc.cfg.PollInterval)
	}
}

// TestThawRerunHarmless: re-running restore and thaw at every point a
// crash can interrupt them ends in one restore, one thaw, the same bytes.
func TestThawRerunHarmless(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(50_000)
	j := e.archived(t, u, data)
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	restore, thaw := &RestoreWorker{l: e.lc}, &ThawWorker{l: e.lc}
	for range 2 {
		if err := restore.Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(e.riverJobs(t, "thaw", j.ID)); n != 1 {
		t.Fatalf("%d thaw jobs, want 1", n)
	}
	// Crash after the copy, before the transition: a re-run copies again.
	if _, err := e.blobs.Put(ctx, j.ResultKey, strings.NewReader("partial")); err != nil {
		t.Fatal(err)
	}
	if err := thaw.Work(ctx, rj(ThawArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	// Crash after the transition, before the delete: the archive copy is
	// still there; a re-run deletes it and changes nothing else.
	if _, err := e.cold.Put(ctx, j.ResultKey, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := thaw.Work(ctx, rj(ThawArgs{JobID: j.ID})); err != nil {
			t.Fatal(err)
		}
		if err := restore.Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("archive copy kept")
	}
	got := e.job(t, j.ID)
	if got.State != gas.JobCompleted {
		t.Fatalf("state = %s", got.State)
	}
	if b, ok := e.hot(t, j.ResultKey); !ok || !bytes.Equal(b, data) {
		t.Fatal("restored bytes differ")
	}
	e.findEvent(t, j.ID, gas.JobArchived, gas.JobRestoring)
	e.findEvent(t, j.ID, gas.JobRestoring, gas.JobCompleted)
}

// TestThawCorruptCopyRetried: a copy back that does not match the job's
// checksum fails the attempt and leaves the job RESTORING with its archive
// copy, and no wrong file under the result's name.
func TestThawCorruptCopyRetried(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(4000)
	j := e.archived(t, u, data)
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	// The archive holds other bytes than the job's result (a damaged copy).
	bad := bytes.Clone(data)
	bad[0] ^= 1
	if _, err := e.cold.Put(ctx, j.ResultKey, bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cold.Retrieve(ctx, j.ResultKey, gas.TierStandard); err != nil {
		t.Fatal(err)
	}
	err := (&ThawWorker{l: e.lc}).Work(ctx, rj(ThawArgs{JobID: j.ID}))
	if err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("thaw of a damaged copy: %v", err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobRestoring {
		t.Fatalf("state = %s", got.State)
	}
	if _, ok := e.hot(t, j.ResultKey); ok {
		t.Fatal("a wrong file is stored under the result's name")
	}
	if _, ok := e.inArchive(t, j.ResultKey); !ok {
		t.Fatal("archive copy deleted after a failed thaw")
	}
}

// TestRestoredResultStaysAfterDowngrade: a restored result is not archived
// again by a leftover archive job after the user goes back to Free.
func TestRestoredResultStaysAfterDowngrade(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	u := e.user(t, gas.PlanFree)
	data := resultBytes(2000)
	j := e.archived(t, u, data)
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if err := (&ThawWorker{l: e.lc}).Work(ctx, rj(ThawArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanFree); err != nil {
		t.Fatal(err)
	}
	if err := (&ArchiveWorker{l: e.lc}).Work(ctx, rj(ArchiveArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobCompleted {
		t.Fatalf("restored result after a downgrade: %s", got.State)
	}
	if b, ok := e.hot(t, j.ResultKey); !ok || !bytes.Equal(b, data) {
		t.Fatal("restored result not hot")
	}
	if _, ok := e.inArchive(t, j.ResultKey); ok {
		t.Fatal("archived again")
	}
}

// TestRestoreMissingArchiveObjectCancels: an archive that lost the object
// cannot restore it; the River job is cancelled rather than retried for
// weeks, and the job stays ARCHIVED instead of promising a restore.
func TestRestoreMissingArchiveObjectCancels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{})
	u := e.user(t, gas.PlanFree)
	j := e.archived(t, u, resultBytes(100))
	if err := e.cold.Delete(ctx, j.ResultKey); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID}))
	var cancel *rivertype.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("restore of a lost object: %v, want a cancelled River job", err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobArchived {
		t.Fatalf("state = %s", got.State)
	}
}

// TestThawMissingArchiveObjectCancels: a RESTORING job whose archive copy
// is gone is not retried for weeks; the job stays RESTORING and the error
// is logged for the operator.
func TestThawMissingArchiveObjectCancels(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t, options{delays: map[gas.RetrievalTier]time.Duration{gas.TierStandard: time.Hour}})
	u := e.user(t, gas.PlanFree)
	j := e.archived(t, u, resultBytes(100))
	if err := e.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if err := (&RestoreWorker{l: e.lc}).Work(ctx, rj(RestoreArgs{JobID: j.ID})); err != nil {
		t.Fatal(err)
	}
	if err := e.cold.Delete(ctx, j.ResultKey); err != nil {
		t.Fatal(err)
	}
	err := (&ThawWorker{l: e.lc}).Work(ctx, rj(ThawArgs{JobID: j.ID}))
	var cancel *rivertype.JobCancelError
	if !errors.As(err, &cancel) {
		t.Fatalf("thaw of a lost object: %v, want a cancelled River job", err)
	}
	if got := e.job(t, j.ID); got.State != gas.JobRestoring {
		t.Fatalf("state = %s", got.State)
	}
}
