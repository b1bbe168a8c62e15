package lifecycle

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
)

// ArchiveWorker moves a Free user's result from hot storage to the cold
// archive. The order makes every crash safe: copy, verify the copy, mark the
// job ARCHIVED, and only then delete the hot copy. A re-run finds the job
// either still COMPLETED (copy again, overwriting) or ARCHIVED (finish the
// delete).
type ArchiveWorker struct {
	river.WorkerDefaults[ArchiveArgs]
	l *Lifecycle
}

// Work archives one job's result.
func (w *ArchiveWorker) Work(ctx context.Context, rj *river.Job[ArchiveArgs]) error {
	l := w.l
	id := rj.Args.JobID
	log := l.cfg.Logger.With("job_id", id, "worker", ActorArchive, "attempt", rj.Attempt)
	j, err := l.load(ctx, "archive", id)
	if err != nil {
		return err
	}
	switch j.State {
	case gas.JobCompleted:
	case gas.JobArchived:
		// A crash between the transition and the delete: finish it.
		return w.deleteHot(ctx, j, log)
	default:
		log.Info("archive: job is not completed; nothing to do", "state", j.State)
		return nil
	}
	plan, err := l.ownerPlan(ctx, j)
	if err != nil {
		return fmt.Errorf("archive %s: %w", id, err)
	}
	if plan != gas.PlanFree {
		log.Info("archive: owner is no longer Free; result stays", "plan", plan)
		return nil
	}
	// Only a timer left over from before a restore could get here (one
	// still retrying when the user upgraded, then downgraded again).
	if restored, err := l.restoredBefore(ctx, id); err != nil {
		return fmt.Errorf("archive %s: %w", id, err)
	} else if restored {
		log.Info("archive: result was restored from the archive before; it stays")
		return nil
	}
	src, err := l.cfg.Blobs.Stat(ctx, j.ResultKey)
	if err != nil {
		if gas.ErrorCode(err) == gas.ENOTFOUND {
			// A completed job without its result cannot be archived, ever;
			// retrying would not bring the file back.
			log.Error("archive: the completed job's result is missing", "key", j.ResultKey)
			return river.JobCancel(fmt.Errorf("archive %s: %w", id, err))
		}
		return fmt.Errorf("archive %s: %w", id, err)
	}
	want := expectedSum(j, src)
	info, err := w.copy(ctx, j)
	if err != nil {
		return fmt.Errorf("archive %s: %w", id, err)
	}
	if err := verify(j, info, want); err != nil {
		// The hot copy stays; drop the bad archive copy so nothing trusts it.
		if derr := l.cfg.Cold.Delete(ctx, j.ResultKey); derr != nil {
			log.Warn("archive: could not delete the bad archive copy", "err", derr)
		}
		log.Error("archive: archive copy does not match the result; hot copy kept", "err", err)
		return fmt.Errorf("archive %s: %w", id, err)
	}
	_, err = l.cfg.Jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobCompleted, To: gas.JobArchived, Actor: ActorArchive,
		Reason: fmt.Sprintf("moved to the cold archive after the Free retention: %d bytes, SHA-256 verified", info.Size)})
	if gas.ErrorCode(err) == gas.ECONFLICT {
		return w.lostRace(ctx, j, log, err)
	}
	if err != nil {
		return fmt.Errorf("archive %s: %w", id, err)
	}
	j.State = gas.JobArchived
	log.Info("archive: archived", "bytes", info.Size)
	return w.deleteHot(ctx, j, log)
}

// copy streams the hot result into the archive.
func (w *ArchiveWorker) copy(ctx context.Context, j *gas.Job) (gas.BlobInfo, error) {
	rc, err := w.l.cfg.Blobs.Open(ctx, j.ResultKey)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	defer rc.Close()
	info, err := w.l.cfg.Cold.Put(ctx, j.ResultKey, rc)
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("copy to the archive: %w", err)
	}
	return info, nil
}

// lostRace handles a refused COMPLETED → ARCHIVED: the owner became
// Premium (the hook refused) or another worker moved the job. When the job
// is still COMPLETED the archive copy is not needed and is removed.
func (w *ArchiveWorker) lostRace(ctx context.Context, j *gas.Job, log *slog.Logger, cause error) error {
	cur, err := w.l.load(ctx, "archive", j.ID)
	if err != nil {
		return err
	}
	log.Info("archive: transition refused; leaving the job", "state", cur.State, "reason", gas.ErrorMessage(cause))
	if cur.State == gas.JobCompleted {
		if err := w.l.cfg.Cold.Delete(ctx, j.ResultKey); err != nil {
			return fmt.Errorf("archive %s: delete unneeded archive copy: %w", j.ID, err)
		}
	}
	return nil
}

// deleteHot removes the hot copy of an ARCHIVED job, after checking that
// the archive holds the very result: never delete the last good copy.
func (w *ArchiveWorker) deleteHot(ctx context.Context, j *gas.Job, log *slog.Logger) error {
	l := w.l
	if _, err := l.cfg.Blobs.Stat(ctx, j.ResultKey); gas.ErrorCode(err) == gas.ENOTFOUND {
		return nil // already deleted
	} else if err != nil {
		return fmt.Errorf("archive %s: %w", j.ID, err)
	}
	cold, err := l.cfg.Cold.Stat(ctx, j.ResultKey)
	if err != nil {
		return fmt.Errorf("archive %s: check the archive copy before deleting the hot one: %w", j.ID, err)
	}
	if j.ResultSum != "" && (cold.Size != j.ResultSize || cold.SHA256 != j.ResultSum) {
		return fmt.Errorf("archive %s: archive copy is %d bytes sha256 %s, not the result; hot copy kept", j.ID, cold.Size, cold.SHA256)
	}
	if err := l.cfg.Blobs.Delete(ctx, j.ResultKey); err != nil {
		return fmt.Errorf("archive %s: delete hot copy: %w", j.ID, err)
	}
	log.Info("archive: hot copy deleted")
	return nil
}
