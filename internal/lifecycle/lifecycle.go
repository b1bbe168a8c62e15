// Package lifecycle moves results between hot storage and the cold archive:
// a Free user's result is archived a retention time after it completes, and
// when a user becomes Premium every archived result of theirs is retrieved
// (restore) and copied back (thaw). Every step is a durable River job queued
// in the same transaction as the change that causes it (see hooks.go), and
// every worker is idempotent: a crash may re-run any of them at any point.
// docs/lifecycle.md draws the state machine.
package lifecycle

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
)

// Queue is the River queue of all lifecycle work.
const Queue = gas.QueueLifecycle

// Actors recorded on the events the workers make.
const (
	ActorArchive = "worker:archive"
	ActorRestore = "worker:restore"
	ActorThaw    = "worker:thaw"
)

// whileQueued makes a job unique among the not-yet-finished jobs of its
// kind and arguments: a re-queue while one waits or runs is skipped, while
// a later, separate need (after the first one finished) can still queue.
var whileQueued = &river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
	rivertype.JobStateRetryable, rivertype.JobStateScheduled,
}}

func insertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, UniqueOpts: *whileQueued}
}

// ArchiveArgs moves one Free user's result to the cold archive. It is
// scheduled at CompletedAt + the Free retention.
type ArchiveArgs struct {
	JobID string `json:"job_id"`
}

// Kind is the River job kind.
func (ArchiveArgs) Kind() string { return "archive" }

// InsertOpts puts the job on the lifecycle queue, once per annotation job.
func (ArchiveArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// RestoreUserArgs restores every archived result of a user who became Premium.
type RestoreUserArgs struct {
	UserID int64 `json:"user_id"`
}

// Kind is the River job kind.
func (RestoreUserArgs) Kind() string { return "restore_user" }

// InsertOpts puts the job on the lifecycle queue, once per user at a time.
func (RestoreUserArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// RestoreArgs asks the cold archive to retrieve one job's result.
type RestoreArgs struct {
	JobID string `json:"job_id"`
}

// Kind is the River job kind.
func (RestoreArgs) Kind() string { return "restore" }

// InsertOpts puts the job on the lifecycle queue, once per annotation job at a time.
func (RestoreArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// ThawArgs copies one retrieved result back to hot storage. It is scheduled
// at the time the archive expects the retrieval to finish.
type ThawArgs struct {
	JobID string `json:"job_id"`
}

// Kind is the River job kind.
func (ThawArgs) Kind() string { return "thaw" }

// InsertOpts puts the job on the lifecycle queue, once per annotation job at a time.
func (ThawArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// JobStore is what the workers need from the job store. It must be the
// store built with this package's TransitionHook (and the notification
// hook), so a worker's transition queues its follow-up work.
type JobStore interface {
	Job(ctx context.Context, id string) (*gas.Job, error)
	Events(ctx context.Context, jobID string) ([]gas.Event, error)
	gas.JobUpdater
}

// Store is what the workers read besides jobs, and the transactions they
// queue follow-up work in (sqldb.DB implements it).
type Store interface {
	UserByID(ctx context.Context, id int64) (*gas.User, error)
	// UserJobIDs lists a user's jobs in a state, oldest first.
	UserJobIDs(ctx context.Context, userID int64, state gas.JobState) ([]string, error)
	// InTx runs fn in one transaction, committing when it returns nil.
	InTx(ctx context.Context, fn func(tx *sql.Tx) error) error
}

// Config is the worker side of the lifecycle. Every field but Logger,
// Now, PollInterval and MaxWorkers is required.
type Config struct {
	// DB is the database: owners' plans and the list of a user's archived
	// jobs are read from it, and restore jobs are queued in its transactions.
	DB Store
	// Jobs is the job store built with Hooks.TransitionHook.
	Jobs JobStore
	// Inserter queues River jobs in a transaction (jobs.Inserter).
	Inserter Inserter
	// Blobs is the hot storage of results; Cold the archive.
	Blobs gas.BlobStore
	Cold  gas.ColdStore
	// PollInterval is how long the thaw worker snoozes when the archive's
	// expected ready time has passed but the retrieval has not finished
	// (Glacier's times are estimates); zero means 30 seconds.
	PollInterval time.Duration
	// MaxWorkers is how many lifecycle jobs run at once; zero means 2.
	// They mostly copy files, so more would only compete for the disk.
	MaxWorkers int
	// Logger receives progress and failures; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Lifecycle holds the archive, restore and thaw workers.
type Lifecycle struct {
	cfg Config
}

// New checks cfg and returns the workers.
func New(cfg Config) (*Lifecycle, error) {
	if cfg.DB == nil || cfg.Jobs == nil || cfg.Inserter == nil || cfg.Blobs == nil || cfg.Cold == nil {
		return nil, errors.New("lifecycle: new: database, job store, inserter, blob store and cold store are required")
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 30 * time.Second
	}
	if cfg.MaxWorkers <= 0 {
		cfg.MaxWorkers = 2
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Lifecycle{cfg: cfg}, nil
}

// Queues returns the River queue the workers run on, for jobs.RunnerConfig.
func (l *Lifecycle) Queues() map[string]river.QueueConfig {
	return map[string]river.QueueConfig{Queue: {MaxWorkers: l.cfg.MaxWorkers}}
}

// Register adds the four workers, for jobs.RunnerConfig.Register.
func (l *Lifecycle) Register(w *river.Workers) error {
	for _, add := range []func() error{
		func() error { return river.AddWorkerSafely(w, &ArchiveWorker{l: l}) },
		func() error { return river.AddWorkerSafely(w, &RestoreUserWorker{l: l}) },
		func() error { return river.AddWorkerSafely(w, &RestoreWorker{l: l}) },
		func() error { return river.AddWorkerSafely(w, &ThawWorker{l: l}) },
	} {
		if err := add(); err != nil {
			return fmt.Errorf("lifecycle: register: %w", err)
		}
	}
	return nil
}

// load reads the job of a River job. A job that no longer exists (its
// account was deleted) will never need the work: the River job is cancelled.
func (l *Lifecycle) load(ctx context.Context, op, id string) (*gas.Job, error) {
	j, err := l.cfg.Jobs.Job(ctx, id)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return nil, river.JobCancel(fmt.Errorf("%s %s: %w", op, id, err))
	}
	if err != nil {
		return nil, fmt.Errorf("%s %s: load job: %w", op, id, err)
	}
	return j, nil
}

// ownerPlan reads the plan of a job's owner now.
func (l *Lifecycle) ownerPlan(ctx context.Context, j *gas.Job) (gas.Plan, error) {
	u, err := l.cfg.DB.UserByID(ctx, j.UserID)
	if err != nil {
		return "", fmt.Errorf("owner of %s: %w", j.ID, err)
	}
	return u.Plan, nil
}

// restoredBefore reports whether the job's result was once restored from
// the archive; restored results stay hot whatever the plan becomes.
func (l *Lifecycle) restoredBefore(ctx context.Context, id string) (bool, error) {
	evs, err := l.cfg.Jobs.Events(ctx, id)
	if err != nil {
		return false, err
	}
	for _, e := range evs {
		if e.To == gas.JobRestoring {
			return true, nil
		}
	}
	return false, nil
}

// expectedSum is what a copy of the result must hash to. Jobs completed
// before checksums were stored have none; for them the blob store's own
// checksum, computed when the annotate worker wrote the file, stands in.
func expectedSum(j *gas.Job, src gas.BlobInfo) string {
	if j.ResultSum != "" {
		return j.ResultSum
	}
	return src.SHA256
}

// verify compares a copy with the job's recorded result.
func verify(j *gas.Job, got gas.BlobInfo, wantSum string) error {
	if got.Size != j.ResultSize || got.SHA256 != wantSum {
		return fmt.Errorf("copy of %s does not match the result: %d bytes sha256 %s, want %d bytes sha256 %s",
			j.ResultKey, got.Size, got.SHA256, j.ResultSize, wantSum)
	}
	return nil
}
