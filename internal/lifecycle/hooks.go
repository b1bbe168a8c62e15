package lifecycle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
)

// Inserter queues a River job inside the caller's transaction
// (jobs.Inserter implements it).
type Inserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// HooksConfig is the transaction side of the lifecycle: what every process
// that changes jobs or plans needs (web, worker, the admin command), even
// one that runs no lifecycle worker.
type HooksConfig struct {
	// DB reads owners' plans in the transaction of a change.
	DB interface {
		UserPlanTx(ctx context.Context, tx *sql.Tx, userID int64, lock bool) (gas.Plan, error)
	}
	Inserter      Inserter
	FreeRetention time.Duration // time a Free user's result stays hot; must be positive
	Now           func() time.Time
}

// Hooks queue lifecycle work in the transaction of the change causing it.
type Hooks struct {
	cfg HooksConfig
}

// NewHooks checks cfg and returns the hooks.
func NewHooks(cfg HooksConfig) (*Hooks, error) {
	if cfg.DB == nil || cfg.Inserter == nil {
		return nil, errors.New("lifecycle: new hooks: database and inserter are required")
	}
	if cfg.FreeRetention <= 0 {
		return nil, fmt.Errorf("lifecycle: new hooks: free retention must be positive, not %s", cfg.FreeRetention)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Hooks{cfg: cfg}, nil
}

// at returns insert options that run a job at t: scheduled when t is in
// the future, at once otherwise (River would otherwise hold a past-due
// job until its next scheduler pass, seconds later).
func (h *Hooks) at(t time.Time) *river.InsertOpts {
	if t.After(h.cfg.Now()) {
		return &river.InsertOpts{ScheduledAt: t}
	}
	return nil
}

// TransitionHook returns the gas.TransitionHook to build the job store
// with. In the transaction of each change it:
//   - RUNNING → COMPLETED of a Free user's job: schedules the archive at
//     CompletedAt + FreeRetention;
//   - → ARCHIVED: refuses (ECONFLICT, so the transition rolls back) when the
//     owner is no longer Free, which closes the race between an archive in
//     progress and an upgrade whose restore would not see the job yet;
//   - → RESTORING: schedules the thaw at the expected ready time.
func (h *Hooks) TransitionHook() gas.TransitionHook {
	return func(ctx context.Context, tx *sql.Tx, j *gas.Job, c gas.JobChange) error {
		switch {
		case c.From == gas.JobRunning && c.To == gas.JobCompleted:
			plan, err := h.cfg.DB.UserPlanTx(ctx, tx, j.UserID, false)
			if err != nil {
				return err
			}
			if plan != gas.PlanFree {
				return nil
			}
			return h.cfg.Inserter.InsertTx(ctx, tx, ArchiveArgs{JobID: j.ID}, h.at(j.CompletedAt.Add(h.cfg.FreeRetention)))
		case c.To == gas.JobArchived:
			plan, err := h.cfg.DB.UserPlanTx(ctx, tx, j.UserID, true)
			if err != nil {
				return err
			}
			if plan != gas.PlanFree {
				return gas.Errorf(gas.ECONFLICT, "The owner of job %s is %s now; results are kept.", j.ID, plan)
			}
			return nil
		case c.To == gas.JobRestoring:
			return h.cfg.Inserter.InsertTx(ctx, tx, ThawArgs{JobID: j.ID}, h.at(j.RestoreReadyAt))
		}
		return nil
	}
}

// PlanHook returns the gas.PlanHook to register with the user store: a
// user who becomes Premium gets every archived result restored. A
// downgrade queues nothing: results completed from then on follow the
// Free retention through TransitionHook, and restored ones stay.
func (h *Hooks) PlanHook() gas.PlanHook {
	return func(ctx context.Context, tx *sql.Tx, u *gas.User, from gas.Plan) error {
		if u.Plan != gas.PlanPremium || from == gas.PlanPremium {
			return nil
		}
		return h.cfg.Inserter.InsertTx(ctx, tx, RestoreUserArgs{UserID: u.ID}, nil)
	}
}
