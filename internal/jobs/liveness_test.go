package jobs_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// TestDeadWorkerJobsResume: a worker process vanished (its heartbeat is
// old) while River still marks its job running. A live worker's sweep hands
// the job back within a beat, long before River's own rescue, and the job
// completes once; a job of a worker that still beats is left alone.
func TestDeadWorkerJobsResume(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		open      func(testing.TB, sqldb.Options) *sqldb.DB
		attempted string // SQL setting attempted_by to one client
	}{
		{"sqlite", sqldbtest.SQLite, `jsonb(json_array(?))`},
		{"postgres", func(t testing.TB, o sqldb.Options) *sqldb.DB {
			if os.Getenv(sqldbtest.EnvPostgresURL) == "" {
				t.Skip("PostgreSQL liveness test skipped: set " + sqldbtest.EnvPostgresURL)
			}
			return sqldbtest.Postgres(t, o)
		}, `ARRAY[$1::text]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := setupOn(t, tc.open(t, sqldb.Options{}))
			dead := e.submit(t, vcfText, "demo", "")
			alive := e.submit(t, vcfText, "demo", "")
			// Both were taken by other processes: one died an hour ago, one is
			// alive (it beat just now) and merely slow.
			old := time.Now().Add(-time.Hour)
			if err := e.db.Heartbeat(ctx, "dead-host-1-aa", "dead-host", 1, old); err != nil {
				t.Fatal(err)
			}
			if _, err := e.db.SQL().ExecContext(ctx, `UPDATE worker_heartbeats SET seen_at = 1 WHERE client_id = 'dead-host-1-aa'`); err != nil {
				t.Fatal(err)
			}
			if err := e.db.Heartbeat(ctx, "busy-host-2-bb", "busy-host", 2, old); err != nil {
				t.Fatal(err)
			}
			for id, client := range map[string]string{dead.ID: "dead-host-1-aa", alive.ID: "busy-host-2-bb"} {
				if _, err := e.store.TransitionJob(ctx, id, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: jobs.ActorAnnotate}); err != nil {
					t.Fatal(err)
				}
				q := `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = scheduled_at, attempted_by = ` + tc.attempted +
					` WHERE json_extract(args, '$.job_id') = ?`
				if tc.name == "postgres" {
					q = `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = scheduled_at, attempted_by = ` + tc.attempted +
						` WHERE args->>'job_id' = $2`
				}
				res, err := e.db.SQL().ExecContext(ctx, q, client, id)
				if err != nil {
					t.Fatal(err)
				}
				if n, _ := res.RowsAffected(); n != 1 {
					t.Fatalf("marked %d queue rows running for job %s", n, id)
				}
			}
			r, err := jobs.NewRunner(e.db.RiverDriver(), e.worker, jobs.RunnerConfig{Workers: 1,
				Liveness: e.db, HeartbeatEvery: 50 * time.Millisecond, DeadAfter: 30 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			events, stop := r.Client().Subscribe(river.EventKindJobCompleted, river.EventKindJobFailed)
			defer stop()
			if err := r.Start(ctx); err != nil {
				t.Fatal(err)
			}
			select {
			case ev := <-events:
				if ev.Kind != river.EventKindJobCompleted {
					t.Fatalf("rescued job: %s %+v", ev.Kind, ev.Job.Errors)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("the dead worker's job was not resumed")
			}
			got, _ := e.store.Job(ctx, dead.ID)
			if got.State != gas.JobCompleted {
				t.Fatalf("dead worker's job is %s", got.State)
			}
			time.Sleep(300 * time.Millisecond) // several more beats
			if got, _ := e.store.Job(ctx, alive.ID); got.State != gas.JobRunning {
				t.Fatalf("a live worker's job was taken away: %s", got.State)
			}
			if e.engine.calls.Load() != 1 {
				t.Fatalf("engine ran %d times", e.engine.calls.Load())
			}
			// This process beats, and a clean stop retires it.
			var seen int64
			if err := e.db.SQL().QueryRowContext(ctx, sqlRebind(tc.name, `SELECT seen_at FROM worker_heartbeats WHERE client_id = ?`), r.ID()).Scan(&seen); err != nil || seen == 0 {
				t.Fatalf("own heartbeat: %d %v", seen, err)
			}
			if err := r.Stop(context.Background()); err != nil {
				t.Fatal(err)
			}
			if err := e.db.SQL().QueryRowContext(ctx, sqlRebind(tc.name, `SELECT seen_at FROM worker_heartbeats WHERE client_id = ?`), r.ID()).Scan(&seen); err != nil || seen != 0 {
				t.Fatalf("after stop: seen_at %d %v, want retired (0)", seen, err)
			}
		})
	}
}

func sqlRebind(dialect, q string) string {
	if dialect == "postgres" {
		return "SELECT seen_at FROM worker_heartbeats WHERE client_id = $1"
	}
	return q
}
