package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gas-project/gas"
)

// SetInputRecords records the record count of a job's input, known from
// the upload check before the job is queued.
func (db *DB) SetInputRecords(ctx context.Context, jobID string, n int64) error {
	if n < 0 {
		return fmt.Errorf("sqldb: set input records of %s: negative count %d", jobID, n)
	}
	return db.execJob(ctx, "set input records", jobID, `UPDATE jobs SET input_records = ? WHERE id = ?`, n, jobID)
}

// ReportProgress stores the records a running job has annotated. It only
// touches a RUNNING job, so a late report from a worker that lost its job
// (cancelled, finished by another attempt) changes nothing; that is not an
// error, the worker just carries on.
func (db *DB) ReportProgress(ctx context.Context, jobID string, records int64, at time.Time) error {
	_, err := db.sql.ExecContext(ctx, db.q(`UPDATE jobs SET progress_records = ?, progress_at = ? WHERE id = ? AND state = ?`),
		records, micro(at), jobID, string(gas.JobRunning))
	if err != nil {
		return fmt.Errorf("sqldb: report progress of %s: %w", jobID, err)
	}
	return nil
}

// SetIndexKey records where the job's variant index is stored ("" forgets it).
func (db *DB) SetIndexKey(ctx context.Context, jobID, key string) error {
	return db.execJob(ctx, "set index key", jobID, `UPDATE jobs SET index_key = ? WHERE id = ?`, key, jobID)
}

func (db *DB) execJob(ctx context.Context, op, jobID, q string, args ...any) error {
	res, err := db.sql.ExecContext(ctx, db.q(q), args...)
	if err != nil {
		return fmt.Errorf("sqldb: %s: %w", op, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return jobNotFound(op, sql.ErrNoRows)
	}
	return nil
}

// JobProgress returns the progress of the given jobs, keyed by ID; IDs of
// missing jobs are left out.
func (db *DB) JobProgress(ctx context.Context, ids ...string) (map[string]gas.Progress, error) {
	out := make(map[string]gas.Progress, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	q := `SELECT id, input_records, progress_records, progress_at, index_key FROM jobs WHERE id IN (` + placeholders(len(ids)) + `)`
	rows, err := db.sql.QueryContext(ctx, db.q(q), args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: job progress: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p gas.Progress
		var at int64
		if err := rows.Scan(&p.JobID, &p.InputRecords, &p.Records, &at, &p.IndexKey); err != nil {
			return nil, fmt.Errorf("sqldb: job progress: %w", err)
		}
		p.At = fromMicro(at)
		out[p.JobID] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: job progress: %w", err)
	}
	return out, nil
}

// QueueAhead counts the PENDING jobs queued before jobID, i.e. its
// position in the queue minus one. Jobs held back by fair sharing
// (job_holds, admission.go) are not in the queue: for a queued job, the
// queued PENDING jobs created before it count (by creation time, then ID);
// for a held one, every queued PENDING job plus its owner's held jobs
// before it, since each of those must start first. Other users' held jobs
// do not count: they take their turns beside it, not before it.
func (db *DB) QueueAhead(ctx context.Context, jobID string) (int, error) {
	var n int
	err := db.sql.QueryRowContext(ctx, db.q(`SELECT
		CASE WHEN h.seq IS NULL THEN
			(SELECT count(*) FROM jobs o WHERE o.state = ? AND (o.created_at < j.created_at OR (o.created_at = j.created_at AND o.id < j.id))
				AND NOT EXISTS (SELECT 1 FROM job_holds oh WHERE oh.job_id = o.id))
		ELSE
			(SELECT count(*) FROM jobs o WHERE o.state = ? AND NOT EXISTS (SELECT 1 FROM job_holds oh WHERE oh.job_id = o.id))
			+ (SELECT count(*) FROM job_holds oh WHERE oh.user_id = h.user_id AND oh.seq < h.seq)
		END
		FROM jobs j LEFT JOIN job_holds h ON h.job_id = j.id WHERE j.id = ?`),
		string(gas.JobPending), string(gas.JobPending), jobID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqldb: queue position of %s: %w", jobID, err)
	}
	return n, nil
}

// RecentThroughput looks at the last n completed jobs (any user).
func (db *DB) RecentThroughput(ctx context.Context, n int) (gas.Throughput, error) {
	if n <= 0 {
		return gas.Throughput{}, errors.New("sqldb: recent throughput: n must be positive")
	}
	rows, err := db.sql.QueryContext(ctx, db.q(`SELECT started_at, completed_at, records FROM jobs
		WHERE state = ? AND started_at > 0 AND completed_at >= started_at
		ORDER BY completed_at DESC LIMIT ?`), string(gas.JobCompleted), n)
	if err != nil {
		return gas.Throughput{}, fmt.Errorf("sqldb: recent throughput: %w", err)
	}
	defer rows.Close()
	var t gas.Throughput
	var run time.Duration
	var records int64
	for rows.Next() {
		var s, c, r int64
		if err := rows.Scan(&s, &c, &r); err != nil {
			return gas.Throughput{}, fmt.Errorf("sqldb: recent throughput: %w", err)
		}
		t.Jobs++
		run += time.Duration(c-s) * time.Microsecond
		records += r
	}
	if err := rows.Err(); err != nil {
		return gas.Throughput{}, fmt.Errorf("sqldb: recent throughput: %w", err)
	}
	if t.Jobs > 0 {
		t.MeanRun = run / time.Duration(t.Jobs)
		if run > 0 {
			t.RecordsPerSec = float64(records) / run.Seconds()
		}
	}
	return t, nil
}

// DeleteJob deletes a user's job with its history (and shard rows). A job
// that is not gas.JobState.Deletable (a RUNNING one: its worker is writing
// files that would be left without an owner) is refused with ECONFLICT;
// another user's or a missing job is ENOTFOUND. The caller deletes the
// job's files.
func (db *DB) DeleteJob(ctx context.Context, userID int64, jobID string) error {
	return db.inTx(ctx, func(tx *sql.Tx) error {
		var state string
		err := tx.QueryRowContext(ctx, db.q(`SELECT state FROM jobs WHERE id = ? AND user_id = ?`), jobID, userID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return jobNotFound("delete job", err)
		}
		if err != nil {
			return fmt.Errorf("sqldb: delete job: %w", err)
		}
		if st := gas.JobState(state); !st.Deletable() {
			return gas.Errorf(gas.ECONFLICT, "The annotation %s; it can be deleted once it finishes.", st.About())
		}
		// The state is checked again in the DELETE, so a worker that
		// started the job since the SELECT wins.
		var deletable []any
		for _, st := range gas.JobStates() {
			if st.Deletable() {
				deletable = append(deletable, string(st))
			}
		}
		res, err := tx.ExecContext(ctx, db.q(`DELETE FROM jobs WHERE id = ? AND user_id = ? AND state IN (`+placeholders(len(deletable))+`)`),
			append([]any{jobID, userID}, deletable...)...)
		if err != nil {
			return fmt.Errorf("sqldb: delete job: %w", err)
		}
		if n, err := res.RowsAffected(); err == nil && n == 0 {
			return gas.Errorf(gas.ECONFLICT, "The annotation started meanwhile; it can be deleted once it finishes.")
		}
		if gas.JobState(state).InProgress() {
			// A deleted PENDING job frees its place in the owner's share.
			return db.fill(ctx, tx, userID)
		}
		return nil
	})
}

// AddProgress adds records to a running job's progress: the pieces of a
// split job report what each adds. Like ReportProgress it only touches a
// RUNNING job.
func (db *DB) AddProgress(ctx context.Context, jobID string, delta int64, at time.Time) error {
	_, err := db.sql.ExecContext(ctx, db.q(`UPDATE jobs SET progress_records = progress_records + ?, progress_at = ? WHERE id = ? AND state = ?`),
		delta, micro(at), jobID, string(gas.JobRunning))
	if err != nil {
		return fmt.Errorf("sqldb: add progress of %s: %w", jobID, err)
	}
	return nil
}
