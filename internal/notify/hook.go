package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/gas-project/gas"
)

// kindOf says which transitions a user hears about: the end of an
// annotation either way, and a result coming back from the archive.
// Anything else (starting, archiving, the start of a restore) is silent.
func kindOf(c gas.JobChange) (gas.NotificationKind, bool) {
	switch {
	case c.From == gas.JobRunning && c.To == gas.JobCompleted:
		return gas.NotifyJobCompleted, true
	case c.From == gas.JobRunning && c.To == gas.JobFailed:
		return gas.NotifyJobFailed, true
	case c.From == gas.JobRestoring && c.To == gas.JobCompleted:
		return gas.NotifyJobRestored, true
	}
	return "", false
}

// Hook is the gas.TransitionHook that writes the outbox row and queues
// its delivery in the transaction of the job change. A transition commits
// once (it is a conditional update), so a re-run of the worker that made it
// finds the job already moved and never writes a second row.
func (s *Service) Hook() gas.TransitionHook {
	return func(ctx context.Context, tx *sql.Tx, j *gas.Job, c gas.JobChange) error {
		kind, ok := kindOf(c)
		if !ok {
			return nil
		}
		if s.ins == nil {
			return errors.New("notify: hook: no queue inserter configured")
		}
		to, err := s.db.UserEmailTx(ctx, tx, j.UserID)
		if err != nil {
			return fmt.Errorf("notify: hook: %w", err)
		}
		in := composeInput{Kind: kind, Job: j, BaseURL: s.cfg.BaseURL}
		if kind == gas.NotifyJobCompleted && s.cfg.FreeRetention > 0 {
			plan, err := s.db.UserPlanTx(ctx, tx, j.UserID, false)
			if err != nil {
				return fmt.Errorf("notify: hook: %w", err)
			}
			if plan == gas.PlanFree {
				// The lifecycle's archive timer, scheduled in this same
				// transaction, fires at this time.
				in.ArchiveAt = j.CompletedAt.Add(s.cfg.FreeRetention)
			}
		}
		subject, body := compose(in)
		n := &gas.Notification{UserID: j.UserID, JobID: j.ID, Kind: kind, To: to, Subject: subject, Body: body}
		if err := s.db.InsertNotificationTx(ctx, tx, n); err != nil {
			return fmt.Errorf("notify: hook: %w", err)
		}
		if err := s.ins.InsertTx(ctx, tx, NotifyArgs{ID: n.ID}, s.insertOpts()); err != nil {
			return fmt.Errorf("notify: hook: %w", err)
		}
		return nil
	}
}
