package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/riverqueue/river/riverdriver"

	"github.com/gas-project/gas"
)

// Every query on River's own tables (river_job, river_leader) is in this
// file: they are River's schema, not ours, and a River upgrade that
// changes them needs one place looked at.

// RiverDriver returns River's driver for this database, so the queue lives
// in the same database and its inserts join our transactions (*sql.Tx).
func (db *DB) RiverDriver() riverdriver.Driver[*sql.Tx] {
	return db.d.river(db.sql)
}

// RequeueOrphans makes queued work (annotation and lifecycle jobs alike)
// that River still marks running available again, and returns how many.
// River's own rescuer does this only after RescueStuckJobsAfter (hours,
// since an annotation may run that long); a single-process server that
// knows it is the queue's only worker (gas serve holding its data-dir
// lock) calls this at start, so work interrupted by a crash resumes at
// once. The workers are idempotent, so the re-run is safe.
//
// It must never run while another process may be working the queue.
func (db *DB) RequeueOrphans(ctx context.Context) (int64, error) {
	res, err := db.sql.ExecContext(ctx, `UPDATE river_job SET state = 'available' WHERE state = 'running'`)
	if err != nil {
		return 0, fmt.Errorf("sqldb: requeue orphans: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("sqldb: requeue orphans: %w", err)
	}
	return n, nil
}

// ClearLeader forgets River's leader election. A killed process keeps the
// leadership in the database until its lease runs out (about 20 s
// measured), and until then nothing scheduled runs — archive timers,
// notification retries, thaws. Like RequeueOrphans, only a process that
// knows it is the queue's only one may call it; the new client elects
// itself at once.
func (db *DB) ClearLeader(ctx context.Context) error {
	if _, err := db.sql.ExecContext(ctx, `DELETE FROM river_leader`); err != nil {
		return fmt.Errorf("sqldb: clear leader: %w", err)
	}
	return nil
}

// RescueDeadWorkers hands the running queue jobs of processes not seen
// since cutoff (see Heartbeat) back to the queue (state available; River
// counts the attempt already made) and forgets those processes, in one
// transaction. The workers are idempotent, so a process wrongly thought
// dead costs a repeated run, never a lost or doubled result. It returns
// the jobs rescued.
func (db *DB) RescueDeadWorkers(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := db.inTx(ctx, func(tx *sql.Tx) error {
		// The last element of attempted_by is the client working the job now.
		res, err := tx.ExecContext(ctx, db.q(`UPDATE river_job SET state = 'available'
			WHERE state = 'running' AND `+db.d.lastAttempter+` IN (SELECT client_id FROM worker_heartbeats WHERE seen_at < ?)`), micro(cutoff))
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

// CheckQueue reads River's job table, which proves the queue's schema is
// there and reachable, not only the server (a readiness check).
func (db *DB) CheckQueue(ctx context.Context) error {
	var n int
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM river_job LIMIT 1) AS probe`).Scan(&n); err != nil {
		return fmt.Errorf("sqldb: check queue: %w", err)
	}
	return nil
}

// QueueDepths returns the unfinished work of every queue of gas.Queues(),
// even when empty (so dashboards see a 0 rather than a missing series),
// then of any other queue that has some.
func (db *DB) QueueDepths(ctx context.Context) ([]gas.QueueDepth, error) {
	states := gas.QueueStates()
	args := make([]any, len(states))
	for i, s := range states {
		args[i] = s
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT queue, state, COUNT(*) FROM river_job
		WHERE state IN (`+placeholders(len(states))+`) GROUP BY queue, state ORDER BY queue`), args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: queue depths: %w", err)
	}
	defer rows.Close()
	queues := gas.Queues()
	counts := map[string]map[string]int64{}
	for rows.Next() {
		var q, state string
		var n int64
		if err := rows.Scan(&q, &state, &n); err != nil {
			return nil, fmt.Errorf("sqldb: queue depths: %w", err)
		}
		if counts[q] == nil {
			counts[q] = map[string]int64{}
			if !slices.Contains(queues, q) {
				queues = append(queues, q)
			}
		}
		counts[q][state] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: queue depths: %w", err)
	}
	out := make([]gas.QueueDepth, len(queues))
	for i, q := range queues {
		out[i] = gas.QueueDepth{Queue: q, Jobs: map[string]int64{}}
		for _, s := range states {
			out[i].Jobs[s] = counts[q][s]
		}
		if out[i].Jobs["available"] == 0 {
			continue
		}
		var v any
		err := db.sql.QueryRowContext(ctx, db.q(`SELECT scheduled_at FROM river_job WHERE state = 'available' AND queue = ?
			ORDER BY scheduled_at LIMIT 1`), q).Scan(&v)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("sqldb: queue age of %s: %w", q, err)
		}
		out[i].OldestAvailable, _ = asTime(v)
	}
	return out, nil
}

// asTime reads a River timestamp: drivers return time.Time for declared
// timestamp columns, but SQLite may hand back the stored text.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, true
	case []byte:
		return asTime(string(t))
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
			if p, err := time.Parse(layout, t); err == nil {
				return p, true
			}
		}
	}
	return time.Time{}, false
}
