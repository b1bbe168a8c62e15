package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// The archive/restore transitions and plan-change hooks of issue 4, on
// every dialect.

func TestLifecycleStoreSQLite(t *testing.T) {
	t.Parallel()
	runLifecycleSuite(t, openSQLiteForTest)
}

func TestLifecycleStorePostgres(t *testing.T) {
	t.Parallel()
	runLifecycleSuite(t, openPostgresForTest)
}

func runLifecycleSuite(t *testing.T, open opener) {
	t.Run("ArchiveRestoreTransitions", func(t *testing.T) { t.Parallel(); testArchiveRestoreTransitions(t, setup(t, open)) })
	t.Run("TransitionHookInTx", func(t *testing.T) { t.Parallel(); testTransitionHookInTx(t, setup(t, open)) })
	t.Run("PlanHooks", func(t *testing.T) { t.Parallel(); testPlanHooks(t, setup(t, open)) })
}

// completedJob returns a COMPLETED job with a result.
func completedJob(t *testing.T, f fixture, js *Jobs, uid int64, name string) *gas.Job {
	t.Helper()
	ctx := context.Background()
	j := &gas.Job{UserID: uid, InputName: name, InputKey: "user/x/" + name, InputSize: 10, Bundle: "demo"}
	if err := js.CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if _, err := js.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:annotate"}); err != nil {
		t.Fatal(err)
	}
	res := &gas.JobResult{ResultKey: "user/x/r.vcf.gz", LogKey: "l", SummaryKey: "s", ResultSize: 1234,
		ResultSum: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", Records: 3, BundleSum: "b"}
	done, err := js.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "worker:annotate", Result: res})
	if err != nil {
		t.Fatal(err)
	}
	return done
}

func testArchiveRestoreTransitions(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "life@example.org")
	done := completedJob(t, f, f.jobs, u.ID, "a.vcf")
	if done.ResultSum == "" || !done.ArchivedAt.IsZero() || done.RestoreTier != "" || !done.RestoreReadyAt.IsZero() {
		t.Fatalf("completed = %+v", done)
	}

	f.clock.Add(5 * time.Minute)
	arch, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive", Reason: "moved"})
	if err != nil {
		t.Fatal(err)
	}
	if arch.State != gas.JobArchived || !arch.ArchivedAt.Equal(f.clock.Now()) || !arch.CompletedAt.Equal(done.CompletedAt) ||
		arch.ResultKey != done.ResultKey || arch.ResultSum != done.ResultSum || arch.ResultSize != done.ResultSize {
		t.Fatalf("archived = %+v", arch)
	}
	if !arch.State.Terminal() {
		t.Fatal("ARCHIVED is not terminal")
	}
	// Archiving twice is refused.
	if _, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("second archive: %v", err)
	}

	// RESTORING needs its retrieval.
	if _, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("restoring without retrieval: %v", err)
	}
	f.clock.Add(time.Minute)
	ready := f.clock.Now().Add(10*time.Second + 123456789*time.Nanosecond)
	rest, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Actor: "worker:restore",
		Reason: "standard retrieval", Restore: &gas.Retrieval{Tier: gas.TierStandard, ReadyAt: ready}})
	if err != nil {
		t.Fatal(err)
	}
	if rest.State != gas.JobRestoring || rest.RestoreTier != gas.TierStandard || !rest.RestoreReadyAt.Equal(ready.Truncate(time.Microsecond)) ||
		!rest.ArchivedAt.Equal(arch.ArchivedAt) || rest.State.Terminal() {
		t.Fatalf("restoring = %+v", rest)
	}
	if again, err := f.jobs.Job(ctx, done.ID); err != nil || again.RestoreTier != gas.TierStandard || !again.RestoreReadyAt.Equal(rest.RestoreReadyAt) {
		t.Fatalf("read back = %+v, %v", again, err)
	}

	// The thaw completes it again without a new result, keeping the old one
	// and the original completion time, and clears the archive fields.
	f.clock.Add(time.Minute)
	back, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted, Actor: "worker:thaw",
		Reason: "restored from the archive (standard)"})
	if err != nil {
		t.Fatal(err)
	}
	if back.State != gas.JobCompleted || !back.CompletedAt.Equal(done.CompletedAt) || back.ResultKey != done.ResultKey ||
		back.ResultSum != done.ResultSum || back.Records != done.Records || !back.ArchivedAt.IsZero() || back.RestoreTier != "" ||
		!back.RestoreReadyAt.IsZero() {
		t.Fatalf("thawed = %+v", back)
	}
	ev, err := f.jobs.Events(ctx, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		from, to gas.JobState
		actor    string
	}{
		{"", gas.JobPending, "user:"}, {gas.JobPending, gas.JobRunning, "worker:annotate"},
		{gas.JobRunning, gas.JobCompleted, "worker:annotate"}, {gas.JobCompleted, gas.JobArchived, "worker:archive"},
		{gas.JobArchived, gas.JobRestoring, "worker:restore"}, {gas.JobRestoring, gas.JobCompleted, "worker:thaw"},
	}
	if len(ev) != len(want) {
		t.Fatalf("events = %+v", ev)
	}
	for i, w := range want {
		if ev[i].From != w.from || ev[i].To != w.to || (i > 0 && ev[i].Actor != w.actor) {
			t.Fatalf("event %d = %+v, want %s → %s by %s", i, ev[i], w.from, w.to, w.actor)
		}
	}
	if ev[4].Reason != "standard retrieval" || ev[5].Reason != "restored from the archive (standard)" {
		t.Fatalf("reasons = %q, %q", ev[4].Reason, ev[5].Reason)
	}
	// A completion from RUNNING still needs its result; only a thaw may omit it.
	if _, err := f.jobs.TransitionJob(ctx, done.ID, gas.JobChange{From: gas.JobArchived, To: gas.JobCompleted}); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("completion from ARCHIVED without result: %v", err)
	}
}

// testTransitionHookInTx: a hook sees the updated job, writes in the same
// transaction, and its failure undoes the transition and the event.
func testTransitionHookInTx(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "hook@example.org")
	var seen []gas.JobState
	fail := false
	hook := func(ctx context.Context, tx *sql.Tx, j *gas.Job, c gas.JobChange) error {
		if j.State != c.To {
			return errors.New("hook saw the job before the update")
		}
		seen = append(seen, c.To)
		if _, err := tx.ExecContext(ctx, f.db.q(`INSERT INTO test_queue (job_id) VALUES (?)`), j.ID+":"+string(c.To)); err != nil {
			return err
		}
		if fail && c.To == gas.JobArchived {
			return gas.Errorf(gas.ECONFLICT, "owner is Premium now")
		}
		return nil
	}
	js := f.db.JobStore(f.enq, hook)
	j := completedJob(t, f, js, u.ID, "h.vcf")
	fail = true
	_, err := js.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive"})
	// A hook's ECONFLICT reaches the caller as such: the worker treats it
	// like losing a race.
	if gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("refused by hook: %v, want ECONFLICT", err)
	}
	got, err := js.Job(ctx, j.ID)
	if err != nil || got.State != gas.JobCompleted || !got.ArchivedAt.IsZero() {
		t.Fatalf("after a refused hook = %+v, %v", got, err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, j.ID+":ARCHIVED"); n != 0 {
		t.Fatalf("the failed hook's write survived (%d rows)", n)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM job_events WHERE job_id = ? AND to_state = 'ARCHIVED'`, j.ID); n != 0 {
		t.Fatalf("event of a rolled-back transition kept (%d)", n)
	}
	fail = false
	if _, err := js.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: "worker:archive"}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = ?`, j.ID+":ARCHIVED"); n != 1 {
		t.Fatalf("hook write after a committed transition: %d rows, want 1", n)
	}
	want := []gas.JobState{gas.JobRunning, gas.JobCompleted, gas.JobArchived, gas.JobArchived}
	if len(seen) != len(want) {
		t.Fatalf("hook calls = %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("hook calls = %v, want %v", seen, want)
		}
	}
}

// testPlanHooks: hooks run in SetPlan's transaction only on a real change,
// with the old plan, and a failing hook leaves the plan as it was.
func testPlanHooks(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "plan@example.org")
	type call struct {
		id       int64
		from, to gas.Plan
	}
	var calls []call
	fail := false
	f.db.OnPlanChange(func(ctx context.Context, tx *sql.Tx, nu *gas.User, from gas.Plan) error {
		calls = append(calls, call{nu.ID, from, nu.Plan})
		var stored string
		if err := tx.QueryRowContext(ctx, f.db.q(`SELECT plan FROM users WHERE id = ?`), nu.ID).Scan(&stored); err != nil {
			return err
		}
		if stored != string(nu.Plan) {
			return errors.New("hook ran before the update")
		}
		if _, err := tx.ExecContext(ctx, f.db.q(`INSERT INTO test_queue (job_id) VALUES (?)`), "plan:"+string(nu.Plan)); err != nil {
			return err
		}
		if fail {
			return errors.New("queue unavailable")
		}
		return nil
	})
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanPremium); err != nil { // no change: no hook
		t.Fatal(err)
	}
	if len(calls) != 1 || calls[0] != (call{u.ID, gas.PlanFree, gas.PlanPremium}) {
		t.Fatalf("hook calls = %+v", calls)
	}
	fail = true
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanFree); err == nil {
		t.Fatal("a failing hook did not fail SetPlan")
	}
	if got, err := f.db.UserByID(ctx, u.ID); err != nil || got.Plan != gas.PlanPremium {
		t.Fatalf("plan after a failed hook = %+v, %v; want premium", got, err)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id = 'plan:free'`); n != 0 {
		t.Fatalf("a failed hook's write survived (%d)", n)
	}
	fail = false
	if err := f.db.SetPlan(ctx, u.ID, gas.PlanFree); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 3 || calls[2] != (call{u.ID, gas.PlanPremium, gas.PlanFree}) {
		t.Fatalf("hook calls = %+v", calls)
	}
	if n := count(t, f.db, `SELECT COUNT(*) FROM test_queue WHERE job_id LIKE 'plan:%'`); n != 2 {
		t.Fatalf("committed hook writes = %d, want 2", n)
	}
	if err := f.db.SetPlan(ctx, 987654, gas.PlanPremium); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing user: %v", err)
	}
	if err := f.db.SetPlan(ctx, u.ID, gas.Plan("gold")); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("unknown plan: %v", err)
	}
}
