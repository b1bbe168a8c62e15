package sqldb

import (
	"context"
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
