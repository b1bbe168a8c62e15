package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/gas-project/gas"
)

// Shards is the store of split inputs.
type Shards struct {
	db  *DB
	enq gas.ShardEnqueuer
}

// Shards returns the shard store queueing through enq.
func (db *DB) Shards(enq gas.ShardEnqueuer) *Shards { return &Shards{db: db, enq: enq} }

const shardCols = `job_id, shard, input_key, output_key, records, line_offset, region, state, summary, worker, done_at`

func scanShard(row interface{ Scan(...any) error }) (*gas.Shard, error) {
	var s gas.Shard
	var state string
	var done int64
	if err := row.Scan(&s.JobID, &s.Index, &s.InputKey, &s.OutputKey, &s.Records, &s.LineOffset, &s.Region,
		&state, &s.Summary, &s.Worker, &done); err != nil {
		return nil, err
	}
	s.State, s.DoneAt = gas.ShardState(state), fromMicro(done)
	return &s, nil
}

// lockRunningJob reads the job's state in tx and, on PostgreSQL, locks its
// row until tx ends: shard bookkeeping of one job is then serialised, so
// two shards finishing at once cannot both miss being the last one. SQLite
// needs no lock (one writer; transactions begin immediate). It returns
// ECONFLICT unless the job is RUNNING.
func (s *Shards) lockRunningJob(ctx context.Context, tx *sql.Tx, jobID string) error {
	q := `SELECT state FROM jobs WHERE id = ?` + s.db.d.lockRow
	var state string
	err := tx.QueryRowContext(ctx, s.db.q(q), jobID).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return jobNotFound("shards", err)
	}
	if err != nil {
		return fmt.Errorf("read job state: %w", err)
	}
	if gas.JobState(state) != gas.JobRunning {
		return &gas.Error{Code: gas.ECONFLICT, Message: fmt.Sprintf("The job is %s, not RUNNING.", state)}
	}
	return nil
}

// CreateShards records the pieces of a RUNNING job, queues one job per
// piece and writes a job event with reason, in one transaction. It returns
// false, and changes nothing, when the job was already split (a re-run of
// the split after a crash), and ECONFLICT when the job is not RUNNING.
func (s *Shards) CreateShards(ctx context.Context, jobID string, shards []gas.Shard, actor, reason string) (bool, error) {
	if len(shards) == 0 {
		return false, gas.Errorf(gas.EINVALID, "A split needs at least one shard.")
	}
	if s.enq == nil {
		return false, errors.New("sqldb: create shards: no queue configured")
	}
	for i, sh := range shards {
		if sh.Index != i || sh.InputKey == "" || sh.OutputKey == "" {
			return false, gas.Errorf(gas.EINVALID, "Shard %d is numbered %d or has no keys.", i, sh.Index)
		}
	}
	created := false
	err := s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockRunningJob(ctx, tx, jobID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, s.db.q(`SELECT COUNT(*) FROM job_shards WHERE job_id = ?`), jobID).Scan(&n); err != nil {
			return fmt.Errorf("count shards: %w", err)
		}
		if n > 0 {
			return nil
		}
		for i, sh := range shards {
			_, err := tx.ExecContext(ctx, s.db.q(`INSERT INTO job_shards (job_id, shard, input_key, output_key, records, line_offset, region)
				VALUES (?, ?, ?, ?, ?, ?, ?)`), jobID, i, sh.InputKey, sh.OutputKey, sh.Records, sh.LineOffset, sh.Region)
			if err != nil {
				return fmt.Errorf("insert shard %d: %w", i, err)
			}
			if err := s.enq.EnqueueShard(ctx, tx, jobID, i); err != nil {
				return fmt.Errorf("enqueue shard %d: %w", i, err)
			}
		}
		now := s.db.now().UTC().Truncate(time.Microsecond)
		if err := insertEvent(ctx, s.db, tx, gas.Event{JobID: jobID, At: now, From: gas.JobRunning, To: gas.JobRunning,
			Actor: actor, Reason: reason}); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		if code := gas.ErrorCode(err); code != gas.EINTERNAL {
			return false, err
		}
		return false, fmt.Errorf("sqldb: create shards of %s: %w", jobID, err)
	}
	return created, nil
}

// JobShards returns a job's shards in input order; none when it was not split.
func (s *Shards) JobShards(ctx context.Context, jobID string) ([]*gas.Shard, error) {
	rows, err := s.db.sql.QueryContext(ctx, s.db.q(`SELECT `+shardCols+` FROM job_shards WHERE job_id = ? ORDER BY shard`), jobID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: job shards: %w", err)
	}
	defer rows.Close()
	var out []*gas.Shard
	for rows.Next() {
		sh, err := scanShard(rows)
		if err != nil {
			return nil, fmt.Errorf("sqldb: job shards: %w", err)
		}
		out = append(out, sh)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqldb: job shards: %w", err)
	}
	return out, nil
}

// Shard returns one shard; ENOTFOUND when absent.
func (s *Shards) Shard(ctx context.Context, jobID string, index int) (*gas.Shard, error) {
	sh, err := scanShard(s.db.sql.QueryRowContext(ctx, s.db.q(`SELECT `+shardCols+` FROM job_shards WHERE job_id = ? AND shard = ?`), jobID, index))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, &gas.Error{Code: gas.ENOTFOUND, Message: "Shard not found.", Err: fmt.Errorf("sqldb: shard %s/%d: %w", jobID, index, err)}
	}
	if err != nil {
		return nil, fmt.Errorf("sqldb: shard %s/%d: %w", jobID, index, err)
	}
	return sh, nil
}

// FinishShard marks a shard done with its engine summary and the worker
// that made it and, when it was the last one left, queues the merge — in one
// transaction, so the merge is queued exactly once. Finishing a shard that
// is already done changes nothing and returns false (a re-run after a crash
// that followed the commit). ECONFLICT means the job is no longer RUNNING
// (failed or cancelled meanwhile): the output is not wanted.
func (s *Shards) FinishShard(ctx context.Context, jobID string, index int, summary, worker string) (last bool, err error) {
	err = s.db.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockRunningJob(ctx, tx, jobID); err != nil {
			return err
		}
		now := s.db.now().UTC().Truncate(time.Microsecond)
		res, err := tx.ExecContext(ctx, s.db.q(`UPDATE job_shards SET state = ?, summary = ?, worker = ?, done_at = ?
			WHERE job_id = ? AND shard = ? AND state = ?`), string(gas.ShardDone), summary, worker, micro(now), jobID, index, string(gas.ShardQueued))
		if err != nil {
			return fmt.Errorf("update shard: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("update shard: %w", err)
		}
		if n == 0 {
			var state string
			err := tx.QueryRowContext(ctx, s.db.q(`SELECT state FROM job_shards WHERE job_id = ? AND shard = ?`), jobID, index).Scan(&state)
			if errors.Is(err, sql.ErrNoRows) {
				return &gas.Error{Code: gas.ENOTFOUND, Message: "Shard not found.", Err: fmt.Errorf("shard %d: %w", index, err)}
			}
			if err != nil {
				return fmt.Errorf("read shard: %w", err)
			}
			return nil // already done: its transaction did the rest
		}
		var left int
		if err := tx.QueryRowContext(ctx, s.db.q(`SELECT COUNT(*) FROM job_shards WHERE job_id = ? AND state <> ?`),
			jobID, string(gas.ShardDone)).Scan(&left); err != nil {
			return fmt.Errorf("count shards left: %w", err)
		}
		if left > 0 {
			return nil
		}
		if s.enq == nil {
			return errors.New("no queue configured")
		}
		if err := s.enq.EnqueueMerge(ctx, tx, jobID); err != nil {
			return fmt.Errorf("enqueue merge: %w", err)
		}
		last = true
		return nil
	})
	if err != nil {
		if code := gas.ErrorCode(err); code != gas.EINTERNAL {
			return false, err
		}
		return false, fmt.Errorf("sqldb: finish shard %s/%d: %w", jobID, index, err)
	}
	return last, nil
}

// ShardProgress returns how many of a job's shards are done and how many
// there are (0, 0 for a job that was not split), for status pages.
func (s *Shards) ShardProgress(ctx context.Context, jobID string) (done, total int, err error) {
	err = s.db.sql.QueryRowContext(ctx, s.db.q(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0)
		FROM job_shards WHERE job_id = ?`), string(gas.ShardDone), jobID).Scan(&total, &done)
	if err != nil {
		return 0, 0, fmt.Errorf("sqldb: shard progress of %s: %w", jobID, err)
	}
	return done, total, nil
}
