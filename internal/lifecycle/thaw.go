package lifecycle

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
)

// ThawWorker copies a retrieved result back to hot storage. While the
// retrieval runs it snoozes (River reschedules it; no process sleeps). The
// order is crash safe: copy and verify, mark the job COMPLETED, then delete
// the archive copy; a re-run on a COMPLETED job only finishes that delete.
type ThawWorker struct {
	river.WorkerDefaults[ThawArgs]
	l *Lifecycle
}

// Work thaws one job's result, or snoozes until it can.
func (w *ThawWorker) Work(ctx context.Context, rj *river.Job[ThawArgs]) error {
	l := w.l
	id := rj.Args.JobID
	log := l.cfg.Logger.With("job_id", id, "worker", ActorThaw, "attempt", rj.Attempt)
	j, err := l.load(ctx, "thaw", id)
	if err != nil {
		return err
	}
	switch j.State {
	case gas.JobRestoring:
	case gas.JobCompleted:
		// A crash between the transition and the delete: finish it.
		if err := l.cfg.Cold.Delete(ctx, j.ResultKey); err != nil {
			return fmt.Errorf("thaw %s: delete archive copy: %w", id, err)
		}
		return nil
	default:
		log.Info("thaw: job is not restoring; nothing to do", "state", j.State)
		return nil
	}
	ready, err := l.cfg.Cold.Retrieved(ctx, j.ResultKey)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		// The archive copy is deleted only after the job is COMPLETED, so
		// a RESTORING job without one lost it: no retry brings it back.
		log.Error("thaw: the archived result is missing from the archive", "key", j.ResultKey)
		return river.JobCancel(fmt.Errorf("thaw %s: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("thaw %s: %w", id, err)
	}
	if !ready {
		wait := j.RestoreReadyAt.Sub(l.cfg.Now())
		if wait <= 0 {
			// Past the archive's estimate: poll.
			wait = l.cfg.PollInterval
		}
		log.Info("thaw: retrieval not finished; snoozing", "ready_at", j.RestoreReadyAt, "snooze", wait)
		return river.JobSnooze(wait)
	}
	want := j.ResultSum
	if want == "" {
		// Archived before checksums were stored: the archive's checksum of
		// what it was given is the best reference there is.
		st, err := l.cfg.Cold.Stat(ctx, j.ResultKey)
		if err != nil {
			return fmt.Errorf("thaw %s: %w", id, err)
		}
		want = st.SHA256
	}
	info, err := w.copy(ctx, j)
	if err != nil {
		return fmt.Errorf("thaw %s: %w", id, err)
	}
	if err := verify(j, info, want); err != nil {
		// Not served while RESTORING, but do not leave a wrong file under
		// the result's name; the archive copy stays for the retry.
		if derr := l.cfg.Blobs.Delete(ctx, j.ResultKey); derr != nil {
			log.Warn("thaw: could not delete the bad hot copy", "err", derr)
		}
		log.Error("thaw: copy does not match the result; will retry", "err", err)
		return fmt.Errorf("thaw %s: %w", id, err)
	}
	tier := j.RestoreTier
	_, err = l.cfg.Jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRestoring, To: gas.JobCompleted, Actor: ActorThaw,
		Reason: fmt.Sprintf("restored from the archive (%s)", tier)})
	if gas.ErrorCode(err) == gas.ECONFLICT {
		log.Info("thaw: job changed state under us; leaving it", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("thaw %s: %w", id, err)
	}
	log.Info("thaw: restored", "tier", tier, "bytes", info.Size)
	if err := l.cfg.Cold.Delete(ctx, j.ResultKey); err != nil {
		return fmt.Errorf("thaw %s: delete archive copy: %w", id, err)
	}
	return nil
}

// copy streams the retrieved object into hot storage under the result's key.
func (w *ThawWorker) copy(ctx context.Context, j *gas.Job) (gas.BlobInfo, error) {
	rc, err := w.l.cfg.Cold.Open(ctx, j.ResultKey)
	if err != nil {
		return gas.BlobInfo{}, err
	}
	defer rc.Close()
	info, err := w.l.cfg.Blobs.Put(ctx, j.ResultKey, rc)
	if err != nil {
		return gas.BlobInfo{}, fmt.Errorf("copy to hot storage: %w", err)
	}
	return info, nil
}
