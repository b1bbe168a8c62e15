package lifecycle

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
)

// RestoreUserWorker queues the restore of each archived result of a user
// who became Premium. Re-running it queues nothing twice: restore jobs are
// unique per annotation job while queued, and a job already RESTORING or
// COMPLETED is not listed.
type RestoreUserWorker struct {
	river.WorkerDefaults[RestoreUserArgs]
	l *Lifecycle
}

// Work lists the user's ARCHIVED jobs and queues a RestoreArgs for each.
func (w *RestoreUserWorker) Work(ctx context.Context, rj *river.Job[RestoreUserArgs]) error {
	l := w.l
	uid := rj.Args.UserID
	ids, err := l.cfg.DB.UserJobIDs(ctx, uid, gas.JobArchived)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	err = l.cfg.DB.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if err := l.cfg.Inserter.InsertTx(ctx, tx, RestoreArgs{JobID: id}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("restore user %d: %w", uid, err)
	}
	l.cfg.Logger.Info("restore: queued the restore of archived results", "user_id", uid, "jobs", len(ids))
	return nil
}

// RestoreWorker asks the archive to retrieve one result, expedited when
// the archive can and standard otherwise, and marks the job RESTORING with
// the expected ready time; the transition's hook schedules the thaw then.
type RestoreWorker struct {
	river.WorkerDefaults[RestoreArgs]
	l *Lifecycle
}

// Work starts the retrieval of one job's result.
func (w *RestoreWorker) Work(ctx context.Context, rj *river.Job[RestoreArgs]) error {
	l := w.l
	id := rj.Args.JobID
	log := l.cfg.Logger.With("job_id", id, "worker", ActorRestore, "attempt", rj.Attempt)
	j, err := l.load(ctx, "restore", id)
	if err != nil {
		return err
	}
	if j.State != gas.JobArchived {
		// RESTORING: an earlier run got as far as the transition, whose
		// hook queued the thaw. Anything else needs no restore.
		log.Info("restore: job is not archived; nothing to do", "state", j.State)
		return nil
	}
	plan, err := l.ownerPlan(ctx, j)
	if err != nil {
		return fmt.Errorf("restore %s: %w", id, err)
	}
	if plan != gas.PlanPremium {
		// Downgraded again before we ran: a Free user's result stays archived.
		log.Info("restore: owner is not Premium now; result stays archived", "plan", plan)
		return nil
	}
	// Asking again after a crash is harmless: the archive returns the
	// retrieval already in progress, whatever tier we ask for.
	note := ""
	r, err := l.cfg.Cold.Retrieve(ctx, j.ResultKey, gas.TierExpedited)
	if gas.ErrorCode(err) == gas.EUNAVAILABLE {
		log.Info("restore: expedited retrieval unavailable; falling back to standard")
		note = " (expedited retrieval unavailable)"
		r, err = l.cfg.Cold.Retrieve(ctx, j.ResultKey, gas.TierStandard)
	}
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		// The archive lost the object: no retry brings it back, and the
		// job must not claim a restore is coming.
		log.Error("restore: the archived result is missing from the archive", "key", j.ResultKey)
		return river.JobCancel(fmt.Errorf("restore %s: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("restore %s: retrieve: %w", id, err)
	}
	_, err = l.cfg.Jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobArchived, To: gas.JobRestoring, Actor: ActorRestore,
		Reason: fmt.Sprintf("%s retrieval requested%s, expected ready at %s",
			r.Tier, note, r.ReadyAt.UTC().Format(time.RFC3339)),
		Restore: &r})
	if gas.ErrorCode(err) == gas.ECONFLICT {
		log.Info("restore: job changed state under us; leaving it", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("restore %s: %w", id, err)
	}
	log.Info("restore: retrieval requested", "tier", r.Tier, "ready_at", r.ReadyAt)
	return nil
}
