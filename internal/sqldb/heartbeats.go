package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Heartbeat records that the worker process with River client ID clientID
// is alive now.
func (db *DB) Heartbeat(ctx context.Context, clientID, hostname string, pid int, started time.Time) error {
	_, err := db.sql.ExecContext(ctx, db.q(`INSERT INTO worker_heartbeats (client_id, hostname, pid, started_at, seen_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET seen_at = excluded.seen_at`),
		clientID, hostname, pid, micro(started), micro(db.now()))
	if err != nil {
		return fmt.Errorf("sqldb: heartbeat: %w", err)
	}
	return nil
}

// RetireWorker marks a process that is stopping as gone, so work it leaves
// running (a stop that outlasted its grace period) is rescued at the next
// sweep of another process rather than never.
func (db *DB) RetireWorker(ctx context.Context, clientID string) error {
	if _, err := db.sql.ExecContext(ctx, db.q(`UPDATE worker_heartbeats SET seen_at = 0 WHERE client_id = ?`), clientID); err != nil {
		return fmt.Errorf("sqldb: retire worker: %w", err)
	}
	return nil
}

// RescueDeadWorkers hands the running queue jobs of processes not seen
// since cutoff back to the queue (state available; River counts the attempt
// already made) and forgets those processes, in one transaction. The
// workers are idempotent, so a process wrongly thought dead costs a
// repeated run, never a lost or doubled result. It returns the jobs rescued.
func (db *DB) RescueDeadWorkers(ctx context.Context, cutoff time.Time) (int64, error) {
	// The last element of attempted_by is the client working the job now.
	last := `json_extract(attempted_by, '$[#-1]')`
	if db.d.name == "postgres" {
		last = `attempted_by[array_length(attempted_by, 1)]`
	}
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.q(`UPDATE river_job SET state = 'available'
			WHERE state = 'running' AND `+last+` IN (SELECT client_id FROM worker_heartbeats WHERE seen_at < ?)`), micro(cutoff))
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, db.q(`DELETE FROM worker_heartbeats WHERE seen_at < ?`), micro(cutoff))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("sqldb: rescue dead workers: %w", err)
	}
	return n, nil
}
