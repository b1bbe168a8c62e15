package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
)

// worker delivers one outbox row per River job.
//
// Duplicate window: the mail is sent first and the row marked SENT after.
// If the process dies (or the database is unreachable) between the two, the
// job is retried and the mail goes out again. Closing that window would need
// the mail server to take part in our transaction, which SMTP cannot; the
// window is one database write wide, and the repeat carries the same
// Message-ID (Mail.MessageID) so mail clients can recognise it. The reverse
// order would lose mail instead, which is worse for "your job finished".
type worker struct {
	river.WorkerDefaults[NotifyArgs]
	s *Service
}

// Work sends the notification unless it is already SENT (a re-run), FAILED
// (given up; only the admin's retry revives it, with a new job) or gone
// (deleted with its user).
func (w *worker) Work(ctx context.Context, job *river.Job[NotifyArgs]) error {
	s := w.s
	n, err := s.db.Notification(ctx, job.Args.ID)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		s.logger.InfoContext(ctx, "notification gone, nothing to send", "notification_id", job.Args.ID)
		return nil
	}
	if err != nil {
		return err // the database is down: River retries
	}
	if n.State != gas.DeliveryPending {
		return nil
	}
	m := mailFromRow(n, s.cfg.From)
	sendErr := s.sender.Send(ctx, m)
	if sendErr == nil {
		if err := s.db.MarkNotificationSent(ctx, n.ID, s.now()); err != nil {
			return fmt.Errorf("notify: mark %d sent: %w", n.ID, err)
		}
		s.logger.InfoContext(ctx, "notification sent", "notification_id", n.ID, "job_id", n.JobID,
			"kind", n.Kind, "via", s.sender.String(), "attempt", job.Attempt)
		return nil
	}
	final := job.Attempt >= job.MaxAttempts || isPermanent(sendErr)
	if err := s.db.RecordNotificationFailure(ctx, n.ID, sendErr.Error(), final); err != nil {
		return errors.Join(sendErr, fmt.Errorf("notify: record failure of %d: %w", n.ID, err))
	}
	s.logger.WarnContext(ctx, "notification not sent", "notification_id", n.ID, "job_id", n.JobID,
		"attempt", job.Attempt, "max_attempts", job.MaxAttempts, "final", final, "err", sendErr)
	if isPermanent(sendErr) {
		// The server refused the message for good (5xx): retrying would
		// only repeat the refusal. The row is FAILED for the admin.
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// NextRetry doubles the wait after each failed attempt, from RetryBase up
// to RetryMax, instead of River's default (attempt⁴ seconds), so the total
// time before giving up is set by Config.
func (w *worker) NextRetry(job *river.Job[NotifyArgs]) time.Time {
	return time.Now().Add(backoff(w.s.cfg.RetryBase, w.s.cfg.RetryMax, job.Attempt))
}

// backoff is base × 2^(attempt−1), capped at limit.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base
	for i := 1; i < attempt && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Timeout bounds one delivery: the SMTP conversation plus the database
// writes around it. Without it the runner's annotate timeout (hours) applies.
func (w *worker) Timeout(*river.Job[NotifyArgs]) time.Duration {
	return 2*w.s.cfg.Timeout + 10*time.Second
}
