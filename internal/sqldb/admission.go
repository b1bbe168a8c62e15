package sqldb

import (
	"context"
	"database/sql"
	"errors"
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

// admission is the queue policy a DB applies when Limit was called.
type admission struct {
	enq    gas.Enqueuer
	limits func(gas.Plan) gas.PlanLimits
}

// Limit turns the plans' limits on (nil limits: none). Fair sharing: at
// most RunningJobs of a user's PENDING/RUNNING jobs are in the annotation
// queue at once (0: no limit), and enq queues the ones let through;
// without Limit every job is queued when it is created. CreateJob and
// HoldUpload refuse an upload over QueuedJobs or UploadsPerHour
// (ETOOMANY, see CheckQuota). Call it before the stores are used.
func (db *DB) Limit(enq gas.Enqueuer, limits func(gas.Plan) gas.PlanLimits) {
	db.admit = &admission{enq: enq, limits: limits}
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
	limit := db.admit.limits(plan).RunningJobs
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

// querier is what quota needs of a *sql.DB or *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// uploadWindow is the period of the limit of uploads per hour.
const uploadWindow = time.Hour

// queuedRetryAfter is the Retry-After of a refusal for too many jobs at
// once when no running job of the user has reported progress yet: when a
// place frees is not known, and a small job takes seconds. With progress,
// the wait is the soonest finish at the jobs' own pace, within
// [minQueuedRetry, maxQueuedRetry].
const (
	queuedRetryAfter = time.Minute
	minQueuedRetry   = 5 * time.Second
	maxQueuedRetry   = 30 * time.Minute
)

// queuedRetry is when the first of the user's running jobs should finish,
// from its records left at the pace it has kept since it started (the job
// page's estimate); ok is false when none has reported progress.
func (db *DB) queuedRetry(ctx context.Context, q querier, userID int64) (time.Duration, bool, error) {
	var left sql.NullFloat64 // microseconds
	err := q.QueryRowContext(ctx, db.q(`SELECT MIN(CAST(input_records - progress_records AS DOUBLE PRECISION) * (progress_at - started_at) / progress_records - (? - progress_at))
		FROM jobs WHERE user_id = ? AND state = ? AND progress_records > 0 AND input_records > progress_records AND progress_at > started_at`),
		micro(db.now()), userID, string(gas.JobRunning)).Scan(&left)
	if err != nil || !left.Valid {
		return 0, false, err
	}
	d := time.Duration(left.Float64) * time.Microsecond
	return min(max(d, minQueuedRetry), maxQueuedRetry), true, nil
}

// CheckQuota returns an ETOOMANY error (with its Retry-After, see
// gas.RetryAfter) when the user may not upload now: they have their plan's
// most jobs waiting or running, or made their plan's most uploads in the
// last hour. The front ends ask before reading an upload; CreateJob and
// HoldUpload check again in their transaction, which decides.
//
// uploadID, when set, is an upload already counted (one waiting on its
// pre-flight report, about to be started): it does not count again.
func (db *DB) CheckQuota(ctx context.Context, userID int64, uploadID string) error {
	if db.admit == nil {
		return nil
	}
	var plan string
	if err := db.sql.QueryRowContext(ctx, db.q(`SELECT plan FROM users WHERE id = ?`), userID).Scan(&plan); err != nil {
		return fmt.Errorf("sqldb: check quota: %w", err)
	}
	return db.quota(ctx, db.sql, userID, gas.Plan(plan), uploadID, true)
}

// quota is CheckQuota on q for a user of plan; id, when set, is the upload
// being accepted, which a pre-flight hold may have counted already. jobs
// says whether the limit of jobs at once applies (not to a pre-flight
// hold, which is no job yet).
func (db *DB) quota(ctx context.Context, q querier, userID int64, plan gas.Plan, id string, jobs bool) error {
	lim := db.admit.limits(plan)
	name := "Free"
	if plan == gas.PlanPremium {
		name = "Premium"
	}
	if jobs && lim.QueuedJobs > 0 {
		states := inProgressStates()
		var n int
		err := q.QueryRowContext(ctx, db.q(`SELECT COUNT(*) FROM jobs WHERE user_id = ? AND state IN (`+placeholders(len(states))+`)`),
			append([]any{userID}, states...)...).Scan(&n)
		if err != nil {
			return fmt.Errorf("sqldb: quota: %w", err)
		}
		if n >= lim.QueuedJobs {
			msg := fmt.Sprintf("You have %d annotation jobs waiting or running, the most your %s plan allows at once. ", n, name)
			after, known, err := db.queuedRetry(ctx, q, userID)
			if err != nil {
				return fmt.Errorf("sqldb: quota: %w", err)
			}
			if !known {
				return gas.TooMany(queuedRetryAfter, msg+"Please try again when some have finished (in a minute or so).")
			}
			return gas.TooMany(after, msg+fmt.Sprintf("Please try again when one has finished: at its pace so far, the first should in about %s.", roundUp(after)))
		}
	}
	if lim.UploadsPerHour > 0 {
		since := db.now().Add(-uploadWindow)
		var n int
		var oldest sql.NullInt64
		err := q.QueryRowContext(ctx, db.q(`SELECT COUNT(*), MIN(at) FROM upload_log WHERE user_id = ? AND at >= ? AND id <> ?`),
			userID, micro(since), id).Scan(&n, &oldest)
		if err != nil {
			return fmt.Errorf("sqldb: quota: %w", err)
		}
		if n >= lim.UploadsPerHour {
			after := fromMicro(oldest.Int64).Add(uploadWindow).Sub(db.now())
			return gas.TooMany(after, fmt.Sprintf("You have made %d uploads in the last hour, the most your %s plan allows. "+
				"Please try again in %s.", n, name, roundUp(after)))
		}
	}
	return nil
}

// roundUp shows a wait in whole minutes, or seconds under a minute.
func roundUp(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%d seconds", max(int((d+time.Second-1)/time.Second), 1))
	}
	m := int((d + time.Minute - 1) / time.Minute)
	if m == 1 {
		return "1 minute"
	}
	return fmt.Sprintf("%d minutes", m)
}

// acceptUpload checks the quota of userID for upload id in tx, with the
// user's row locked so parallel uploads are counted one after the other,
// and records the upload; a refusal is ETOOMANY. Rows of the user older
// than the window are pruned here, so the log stays small.
func (db *DB) acceptUpload(ctx context.Context, tx *sql.Tx, userID int64, id string, jobs bool) error {
	if db.admit == nil {
		return nil
	}
	plan, err := db.lockUser(ctx, tx, userID)
	if err != nil {
		return fmt.Errorf("accept upload: %w", err)
	}
	if err := db.quota(ctx, tx, userID, plan, id, jobs); err != nil {
		return err
	}
	now := db.now()
	if _, err := tx.ExecContext(ctx, db.q(`DELETE FROM upload_log WHERE user_id = ? AND at < ?`), userID, micro(now.Add(-uploadWindow))); err != nil {
		return fmt.Errorf("accept upload: prune: %w", err)
	}
	if _, err := tx.ExecContext(ctx, db.q(`INSERT INTO upload_log (id, user_id, at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING`),
		id, userID, micro(now)); err != nil {
		return fmt.Errorf("accept upload: %w", err)
	}
	return nil
}

// InputRecords returns the record count the upload check found in a job's
// input (0: not known), for the worker's comparison with what it read.
func (db *DB) InputRecords(ctx context.Context, jobID string) (int64, error) {
	var n int64
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT input_records FROM jobs WHERE id = ?`), jobID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, jobNotFound("input records", err)
	}
	if err != nil {
		return 0, fmt.Errorf("sqldb: input records: %w", err)
	}
	return n, nil
}
