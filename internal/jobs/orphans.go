package jobs

import (
	"context"
	"database/sql"
	"fmt"
)

// RequeueOrphans makes queued jobs (annotation and lifecycle work alike)
// that River still marks as running available again, and returns how many. River's own rescuer only does this
// after RescueStuckJobsAfter (hours, since annotation may legitimately run
// that long); a single-process server that knows it is the queue's only
// worker (gas serve holding its data-dir lock) calls this at start, so jobs
// interrupted by a crash resume at once. The worker then finds the job
// RUNNING and redoes it idempotently; lifecycle workers are idempotent too.
//
// It must never run while another process may be working the queue.
func RequeueOrphans(ctx context.Context, db *sql.DB) (int64, error) {
	res, err := db.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("jobs: requeue orphans: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("jobs: requeue orphans: %w", err)
	}
	return n, nil
}

// ClearLeader forgets River's leader election. A killed process keeps the
// leadership in the database until its lease runs out (about 20 s
// measured), and until then nothing scheduled runs — archive timers,
// notification retries, thaws. Like RequeueOrphans, only a process that
// knows it is the queue's only one (gas serve on its locked data dir) may
// call it; the new client elects itself at once.
func ClearLeader(ctx context.Context, db *sql.DB) error {
	if _, err := db.ExecContext(ctx, `DELETE FROM river_leader`); err != nil {
		return fmt.Errorf("jobs: clear leader: %w", err)
	}
	return nil
}
