package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/gas-project/gas"
)

// Jobs is the SQL job store: gas.JobStore for the web side and
// gas.JobUpdater for workers.
type Jobs struct {
	db    *DB
	enq   gas.Enqueuer
	hooks []gas.TransitionHook
}

var (
	_ gas.JobStore   = (*Jobs)(nil)
	_ gas.JobUpdater = (*Jobs)(nil)
)

// JobStore returns the job store that enqueues new jobs through enq.
func (db *DB) JobStore(enq gas.Enqueuer, hooks ...gas.TransitionHook) *Jobs {
	return &Jobs{db: db, enq: enq, hooks: hooks}
}

const jobCols = `id, user_id, state, name, input_name, input_key, input_size, bundle, bundle_sum, options,
	result_key, log_key, summary_key, result_size, result_sum, records, fail_reason, created_at, started_at, completed_at,
	archived_at, restore_tier, restore_ready_at`

func scanJob(row interface{ Scan(...any) error }) (*gas.Job, error) {
	var j gas.Job
	var state string
	var created, started, completed, archived, readyAt int64
	var tier string
	err := row.Scan(&j.ID, &j.UserID, &state, &j.Name, &j.InputName, &j.InputKey, &j.InputSize, &j.Bundle, &j.BundleSum, &j.Options,
		&j.ResultKey, &j.LogKey, &j.SummaryKey, &j.ResultSize, &j.ResultSum, &j.Records, &j.FailReason, &created, &started, &completed,
		&archived, &tier, &readyAt)
	if err != nil {
		return nil, err
	}
	j.State = gas.JobState(state)
	j.CreatedAt, j.StartedAt, j.CompletedAt = fromMicro(created), fromMicro(started), fromMicro(completed)
	j.ArchivedAt, j.RestoreTier, j.RestoreReadyAt = fromMicro(archived), gas.RetrievalTier(tier), fromMicro(readyAt)
	return &j, nil
}

func jobNotFound(op string, err error) error {
	return &gas.Error{Code: gas.ENOTFOUND, Message: "Annotation job not found.", Err: fmt.Errorf("sqldb: %s: %w", op, err)}
}

func insertEvent(ctx context.Context, db *DB, tx *sql.Tx, e gas.Event) error {
	_, err := tx.ExecContext(ctx, db.q(`INSERT INTO job_events (job_id, at, from_state, to_state, actor, reason) VALUES (?, ?, ?, ?, ?, ?)`),
		e.JobID, micro(e.At), string(e.From), string(e.To), e.Actor, e.Reason)
	if err != nil {
		return fmt.Errorf("insert event: %w", err)
	}
	return nil
}

// CreateJob inserts j as PENDING with a creation event and enqueues its
// annotation, in one transaction. It sets j.ID (when empty), State and CreatedAt.
func (s *Jobs) CreateJob(ctx context.Context, j *gas.Job) error {
	if j.UserID <= 0 {
		return gas.Errorf(gas.EINVALID, "A job needs an owner.")
	}
	if j.InputKey == "" || j.Bundle == "" {
		return gas.Errorf(gas.EINVALID, "A job needs an input file and a reference bundle.")
	}
	if s.enq == nil {
		return errors.New("sqldb: create job: no queue configured")
	}
	id := j.ID
	if id == "" {
		id = uuid.NewString()
	}
	opts := j.Options
	if strings.TrimSpace(opts) == "" {
		opts = "{}"
	}
	now := s.db.now().UTC().Truncate(time.Microsecond)
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// An upload waiting on its pre-flight report is not a job's input
		// until the user starts it (which releases it first): taking it
		// otherwise would let the sweeper of abandoned uploads delete the
		// job's input later (issue 17).
		var pending int
		if err := tx.QueryRowContext(ctx, s.db.q(`SELECT COUNT(*) FROM pending_uploads WHERE id = ?`), id).Scan(&pending); err != nil {
			return fmt.Errorf("check pending uploads: %w", err)
		}
		if pending > 0 {
			return gas.Errorf(gas.ECONFLICT, "This upload is waiting for its pre-flight report; start or cancel it on its page (/uploads/%s).", id)
		}
		// Over the plan's jobs at once or uploads per hour: ETOOMANY.
		if err := s.db.acceptUpload(ctx, tx, j.UserID, id, true); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.db.q(`INSERT INTO jobs (id, user_id, state, name, input_name, input_key, input_size, bundle, options, input_records, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			id, j.UserID, string(gas.JobPending), j.Name, j.InputName, j.InputKey, j.InputSize, j.Bundle, opts, max(j.InputRecords, 0), micro(now))
		if isUniqueViolation(err) {
			return &gas.Error{Code: gas.ECONFLICT, Message: "A job with this ID already exists.", Err: err}
		}
		if err != nil {
			return fmt.Errorf("insert job: %w", err)
		}
		ev := gas.Event{JobID: id, At: now, To: gas.JobPending, Actor: fmt.Sprintf("user:%d", j.UserID), Reason: "submitted"}
		if err := insertEvent(ctx, s.db, tx, ev); err != nil {
			return err
		}
		if err := s.db.queueJob(ctx, tx, s.enq, j.UserID, id, now); err != nil {
			return fmt.Errorf("enqueue: %w", err)
		}
		return nil
	})
	if err != nil {
		if gas.ErrorCode(err) != gas.EINTERNAL {
			return err
		}
		return fmt.Errorf("sqldb: create job: %w", err)
	}
	j.ID, j.State, j.CreatedAt, j.Options = id, gas.JobPending, now, opts
	return nil
}

// Job returns a job by ID; ENOTFOUND when absent.
func (s *Jobs) Job(ctx context.Context, id string) (*gas.Job, error) {
	j, err := scanJob(s.db.sql.QueryRowContext(ctx, s.db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jobNotFound("job", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: job: %w", err)
	}
	return j, nil
}

// UserJob returns a job only when userID owns it; ENOTFOUND otherwise.
func (s *Jobs) UserJob(ctx context.Context, userID int64, id string) (*gas.Job, error) {
	j, err := scanJob(s.db.sql.QueryRowContext(ctx, s.db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ? AND user_id = ?`), id, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, jobNotFound("user job", err)
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: user job: %w", err)
	}
	return j, nil
}

// ListJobs returns a page of the user's jobs, newest first, and their total.
// A non-positive limit means 20; limits are capped at 200.
func (s *Jobs) ListJobs(ctx context.Context, userID int64, p gas.Page) ([]*gas.Job, int, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 20
	}
	limit = min(limit, 200)
	offset := max(p.Offset, 0)
	var total int
	if err := s.db.sql.QueryRowContext(ctx, s.db.q(`SELECT COUNT(*) FROM jobs WHERE user_id = ?`), userID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: list jobs: count: %w", err)
	}
	rows, err := s.db.sql.QueryContext(ctx, s.db.q(`SELECT `+jobCols+` FROM jobs WHERE user_id = ?
		ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`), userID, limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: list jobs: %w", err)
	}
	defer rows.Close()
	var out []*gas.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("sqldb: list jobs: %w", err)
		}
		out = append(out, j)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("sqldb: list jobs: %w", err)
	}
	return out, total, nil
}

// UserJobIDs returns the IDs of a user's jobs in state, oldest first
// (the lifecycle restores an upgraded user's ARCHIVED jobs).
func (db *DB) UserJobIDs(ctx context.Context, userID int64, state gas.JobState) ([]string, error) {
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT id FROM jobs WHERE user_id = ? AND state = ? ORDER BY created_at, id`),
		userID, string(state))
	if err != nil {
		return nil, fmt.Errorf("sqldb: %s jobs of user %d: %w", state, userID, err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("sqldb: %s jobs of user %d: %w", state, userID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: %s jobs of user %d: %w", state, userID, err)
	}
	return ids, nil
}

// Events returns a job's history, oldest first.
func (s *Jobs) Events(ctx context.Context, jobID string) ([]gas.Event, error) {
	rows, err := s.db.sql.QueryContext(ctx, s.db.q(`SELECT job_id, at, from_state, to_state, actor, reason
		FROM job_events WHERE job_id = ? ORDER BY id`), jobID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: events: %w", err)
	}
	defer rows.Close()
	var out []gas.Event
	for rows.Next() {
		var e gas.Event
		var at int64
		var from, to string
		if err := rows.Scan(&e.JobID, &at, &from, &to, &e.Actor, &e.Reason); err != nil {
			return nil, fmt.Errorf("sqldb: events: %w", err)
		}
		e.At, e.From, e.To = fromMicro(at), gas.JobState(from), gas.JobState(to)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: events: %w", err)
	}
	return out, nil
}

// TransitionJob applies c to job id (gas.JobChange.Apply decides what
// changes) with a conditional update, records the event and runs the
// hooks, in one transaction. A job in another state than c.From is left
// alone: the error is ECONFLICT and the refusal is logged.
func (s *Jobs) TransitionJob(ctx context.Context, id string, c gas.JobChange) (*gas.Job, error) {
	return s.transition(ctx, id, c, nil)
}

// RetryJob queues a FAILED job again (an administrator's decision, e.g.
// after fixing a worker): it returns to PENDING with its failure cleared, an
// event records who retried it, and the annotation is queued — all in one
// transaction, like CreateJob. A job in another state is ECONFLICT.
func (s *Jobs) RetryJob(ctx context.Context, id, actor string) (*gas.Job, error) {
	if s.enq == nil {
		return nil, errors.New("sqldb: retry job: no queue configured")
	}
	j, err := s.transition(ctx, id, gas.JobChange{From: gas.JobFailed, To: gas.JobPending, Actor: actor, Reason: "retried"},
		func(tx *sql.Tx, j *gas.Job) error { return s.db.queueJob(ctx, tx, s.enq, j.UserID, id, s.db.now()) })
	if gas.ErrorCode(err) == gas.ECONFLICT {
		return nil, gas.Errorf(gas.ECONFLICT, "Only a failed job can be retried; %s", gas.ErrorMessage(err))
	}
	return j, err
}

// transition is TransitionJob with then, when set, run in the same
// transaction after the hooks.
func (s *Jobs) transition(ctx context.Context, id string, c gas.JobChange, then func(tx *sql.Tx, j *gas.Job) error) (*gas.Job, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	at := c.At
	if at.IsZero() {
		at = s.db.now()
	}
	at = at.UTC().Truncate(time.Microsecond)
	if c.Restore != nil {
		r := *c.Restore
		r.ReadyAt = r.ReadyAt.UTC().Truncate(time.Microsecond)
		c.Restore = &r
	}
	var out *gas.Job
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		// The row is read (and on PostgreSQL locked) first, so the change is
		// computed from what is stored; the UPDATE is still conditional.
		cur, err := scanJob(tx.QueryRowContext(ctx, s.db.q(`SELECT `+jobCols+` FROM jobs WHERE id = ?`+s.db.d.lockRow), id))
		if errors.Is(err, sql.ErrNoRows) {
			return jobNotFound("transition job", err)
		}
		if err != nil {
			return fmt.Errorf("read job: %w", err)
		}
		next, err := c.Apply(cur, at)
		if err != nil {
			if gas.ErrorCode(err) == gas.ECONFLICT {
				s.db.logger.Warn("refused job transition from the wrong state",
					"job_id", id, "from", c.From, "to", c.To, "actual", cur.State, "actor", c.Actor)
			}
			return err
		}
		res, err := tx.ExecContext(ctx, s.db.q(`UPDATE jobs SET state = ?, started_at = ?, completed_at = ?, fail_reason = ?,
			result_key = ?, log_key = ?, summary_key = ?, result_size = ?, result_sum = ?, records = ?, bundle_sum = ?,
			archived_at = ?, restore_tier = ?, restore_ready_at = ? WHERE id = ? AND state = ?`),
			string(next.State), micro(next.StartedAt), micro(next.CompletedAt), next.FailReason,
			next.ResultKey, next.LogKey, next.SummaryKey, next.ResultSize, next.ResultSum, next.Records, next.BundleSum,
			micro(next.ArchivedAt), string(next.RestoreTier), micro(next.RestoreReadyAt), id, string(c.From))
		if err != nil {
			return fmt.Errorf("update: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("update: %w", err)
		} else if n == 0 {
			// Moved by another writer between the read and the update.
			return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf("The job is no longer %s.", c.From)}
		}
		if err := insertEvent(ctx, s.db, tx, gas.Event{JobID: id, At: at, From: c.From, To: c.To, Actor: c.Actor, Reason: c.Reason}); err != nil {
			return err
		}
		if c.From.InProgress() && !c.To.InProgress() {
			// A place in the owner's share of the queue is free: the next
			// of their held jobs takes it, in this transaction.
			if err := s.db.freed(ctx, tx, next.UserID, id); err != nil {
				return err
			}
		}
		for _, h := range s.hooks {
			if err := h(ctx, tx, next, c); err != nil {
				return fmt.Errorf("hook: %w", err)
			}
		}
		if then != nil {
			if err := then(tx, next); err != nil {
				return err
			}
		}
		out = next
		return nil
	})
	if err != nil {
		if code := gas.ErrorCode(err); code == gas.ECONFLICT || code == gas.ENOTFOUND || code == gas.EINVALID {
			return nil, err
		}
		return nil, fmt.Errorf("sqldb: transition job %s %s→%s: %w", id, c.From, c.To, err)
	}
	return out, nil
}

// CountJobs returns the number of jobs in each state that has some (all
// users), for metrics.
func (db *DB) CountJobs(ctx context.Context) (map[gas.JobState]int64, error) {
	out := map[gas.JobState]int64{}
	err := db.countBy(ctx, `SELECT state, COUNT(*) FROM jobs GROUP BY state`, func(k string, n int64) { out[gas.JobState(k)] = n })
	if err != nil {
		return nil, fmt.Errorf("sqldb: count jobs: %w", err)
	}
	return out, nil
}
