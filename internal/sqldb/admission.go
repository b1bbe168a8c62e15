package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"time"

	"github.com/gas-project/gas"
)

// Fair sharing of the annotation queue (docs/lifecycle.md, "Scheduling").
//
// River works its queue first in, first out, so one user's backlog would
// delay everybody's jobs behind it. Instead, each user has at most
// "running" jobs in River at once (the share of their plan); their other
// PENDING jobs wait in job_holds, oldest first. Whenever one of the user's
// jobs leaves PENDING/RUNNING (or is deleted), the transaction that moves
// it also moves their oldest held job into River. A new user's first job
// therefore enters River at once, behind at most the running share of each
// other user, whatever their backlog.
//
// Nothing is only in memory: a held job is a row, and it gets its River job
// in the same transaction that deletes the row, so a crash either leaves
// it held or queued, never lost. FillQueues repairs what no transaction
// triggers (a limit raised in the configuration, an upgrade to Premium).

// admission is the queue policy a DB applies when LimitRunning was called.
type admission struct {
	enq   gas.Enqueuer
	limit func(gas.Plan) int
}

// LimitRunning turns fair sharing on: at most limit(plan) of a user's
// PENDING/RUNNING jobs are in the annotation queue at once (a limit < 1
// means no limit); enq queues the ones let through. Without it, every job is
// queued when it is created. Call it before the stores are used.
func (db *DB) LimitRunning(enq gas.Enqueuer, limit func(gas.Plan) int) {
	db.admit = &admission{enq: enq, limit: limit}
	// A plan change may widen the share (an upgrade): fill it in the
	// change's own transaction.
	db.OnPlanChange(func(ctx context.Context, tx *sql.Tx, u *gas.User, _ gas.Plan) error {
		return db.fill(ctx, tx, u.ID)
	})
}

// inProgressStates are the states whose jobs take a place in the queue.
func inProgressStates() []any {
	var out []any
	for _, st := range gas.JobStates() {
		if st.InProgress() {
			out = append(out, string(st))
		}
	}
	return out
}

// queueJob queues job id of userID in tx: into River when the user has a
// free place (or no limits are set), else into job_holds.
func (db *DB) queueJob(ctx context.Context, tx *sql.Tx, enq gas.Enqueuer, userID int64, id string, at time.Time) error {
	if db.admit == nil {
		return enq.EnqueueAnnotate(ctx, tx, id)
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_holds (job_id, user_id, created_at) VALUES (?, ?, ?)`),
		id, userID, micro(at)); err != nil {
		return fmt.Errorf("hold job: %w", err)
	}
	return db.fill(ctx, tx, userID)
}

// lockUser takes the user's row for the rest of tx (PostgreSQL; SQLite
// transactions hold the whole database), so two transactions filling the
// same user's share one after the other, never both at once, and returns
// the user's plan. ENOTFOUND when the user is gone.
func (db *DB) lockUser(ctx context.Context, tx *sql.Tx, userID int64) (gas.Plan, error) {
	var plan string
	err := tx.QueryRowContext(ctx, db.q(`SELECT plan FROM users WHERE id = ?`+db.d.lockRow), userID).Scan(&plan)
	if err != nil {
		return "", err
	}
	return gas.Plan(plan), nil
}

// fill moves the user's oldest held jobs into River while they have fewer
// than their plan's limit there. It is idempotent: a second call finds
// the share full or nothing held.
func (db *DB) fill(ctx context.Context, tx *sql.Tx, userID int64) error {
	if db.admit == nil {
		return nil
	}
	plan, err := db.lockUser(ctx, tx, userID)
	if err != nil {
		return fmt.Errorf("fill queue of user %d: %w", userID, err)
	}
	limit := db.admit.limit(plan)
	if limit <= 0 {
		limit = math.MaxInt32 // no limit: every held job goes
	}
	states := inProgressStates()
	var queued int
	err = tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state IN (`+placeholders(len(states))+`)
		AND NOT EXISTS (SELECT 1 FROM job_holds h WHERE h.job_id = jobs.id)`), append([]any{userID}, states...)...).Scan(&queued)
	if err != nil {
		return fmt.Errorf("fill queue of user %d: count: %w", userID, err)
	}
	if queued >= limit {
		return nil
	}
	rows, err := tx.QueryContext(ctx, db.q(`SELECT job_id FROM job_holds WHERE user_id = ? ORDER BY seq LIMIT ?`),
		userID, limit-queued)
	if err != nil {
		return fmt.Errorf("fill queue of user %d: %w", userID, err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("fill queue of user %d: %w", userID, err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("fill queue of user %d: %w", userID, err)
	}
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM job_holds WHERE job_id = ?`), id); err != nil {
			return fmt.Errorf("release held job %s: %w", id, err)
		}
		if err := db.admit.enq.EnqueueAnnotate(ctx, tx, id); err != nil {
			return fmt.Errorf("release held job %s: %w", id, err)
		}
	}
	return nil
}

// freed is called in the transaction of a change that may free a place of
// userID's share: job id left PENDING/RUNNING. A held job leaving (a
// cancel) drops its hold; then the share is filled again.
func (db *DB) freed(ctx context.Context, tx *sql.Tx, userID int64, id string) error {
	if db.admit == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM job_holds WHERE job_id = ?`), id); err != nil {
		return fmt.Errorf("drop hold of %s: %w", id, err)
	}
	return db.fill(ctx, tx, userID)
}

// FillQueues fills the share of every user who has held jobs, each in its
// own transaction, and returns how many jobs it queued. The workers call
// it from time to time: it repairs what no job change triggers (a limit
// raised in the configuration, an upgrade to Premium).
func (db *DB) FillQueues(ctx context.Context) (int, error) {
	if db.admit == nil {
		return 0, nil
	}
	var users []int64
	rows, err := db.sql.QueryContext(ctx, `SELECT DISTINCT user_id FROM job_holds`)
	if err != nil {
		return 0, fmt.Errorf("sqldb: fill queues: %w", err)
	}
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return 0, fmt.Errorf("sqldb: fill queues: %w", err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("sqldb: fill queues: %w", err)
	}
	n := 0
	for _, u := range users {
		var before, after int
		err := db.inTx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM job_holds WHERE user_id = ?`), u).Scan(&before); err != nil {
				return err
			}
			if err := db.fill(ctx, tx, u); err != nil {
				return err
			}
			return tx.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM job_holds WHERE user_id = ?`), u).Scan(&after)
		})
		if err != nil {
			return n, fmt.Errorf("sqldb: fill queues: %w", err)
		}
		n += before - after
	}
	return n, nil
}
