package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
)

// Inserter enqueues jobs inside the caller's transaction. It wraps an
// insert-only River client, which any process (web or worker) can hold
// without working jobs. It implements gas.Enqueuer.
type Inserter struct {
	client *river.Client[*sql.Tx]
}

// NewInserter returns an inserter on River's driver for the database
// (sqldb.DB.RiverDriver).
func NewInserter(driver riverdriver.Driver[*sql.Tx], logger *slog.Logger) (*Inserter, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	c, err := river.NewClient(driver, &river.Config{Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("jobs: new inserter: %w", err)
	}
	return &Inserter{client: c}, nil
}

// InsertTx queues any River job in tx, so other work (notifications,
// archive timers) can be queued atomically with the change that causes it.
func (in *Inserter) InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := in.client.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("jobs: enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Client is the insert-only River client, for tools that read and manage
// the queue (the admin's queue page).
func (in *Inserter) Client() *river.Client[*sql.Tx] { return in.client }

// EnqueueAnnotate queues the annotation of jobID in tx.
func (in *Inserter) EnqueueAnnotate(ctx context.Context, tx *sql.Tx, jobID string) error {
	if _, err := in.client.InsertTx(ctx, tx, AnnotateArgs{JobID: jobID}, nil); err != nil {
		return fmt.Errorf("jobs: enqueue annotate %s: %w", jobID, err)
	}
	return nil
}

// RunnerConfig tunes the worker side of the queue.
type RunnerConfig struct {
	// Workers is the number of annotation jobs worked at once; <= 0 means 1.
	Workers int
	// FetchPollInterval bounds how soon a new job is picked up (the
	// database/sql drivers have no LISTEN/NOTIFY, so River polls); zero means
	// 50 ms, so a small job finishes in well under a second. FetchCooldown
	// is the least time between fetches, which caps throughput near Workers
	// jobs per cooldown; zero means 10 ms (measured on a shared 2-core box,
	// 500 small jobs with 2 workers, submission included: 13.6 s at River's
	// 50 ms, 8.2 s at 5 ms, 5.4 s at 10 ms; runs vary by tens of percent).
	FetchPollInterval time.Duration
	FetchCooldown     time.Duration
	// RescueStuckJobsAfter is when River re-queues a job whose worker
	// vanished (crash); zero means 1 hour plus the annotate timeout.
	RescueStuckJobsAfter time.Duration
	// Logger receives River's own logs; nil discards.
	Logger *slog.Logger
	// Queues and Register add other queues and their workers (lifecycle
	// work) to the same client.
	Queues   map[string]river.QueueConfig
	Register func(*river.Workers) error
	// NoAnnotate leaves the annotate queue to other processes (a worker
	// started with --queues lifecycle,notify); its worker stays registered
	// so the client knows the kind.
	NoAnnotate bool
	// Liveness, when set, makes the process announce itself every
	// HeartbeatEvery (zero: 5 s) and hand back to the queue the running
	// jobs of processes silent for DeadAfter (zero: 45 s) — so a killed
	// worker's jobs resume within a minute, while River's own rescue must
	// wait longer than the longest annotation.
	Liveness                  Liveness
	HeartbeatEvery, DeadAfter time.Duration
	// Queues, when set, is the store of the users' shares of the annotate
	// queue (sqldb.DB): every FillEvery (zero: 30 s) the runner queues the
	// held jobs that now have a place (a limit raised, an upgrade to
	// Premium); job changes do so themselves in their transactions.
	Shares    Shares
	FillEvery time.Duration
}

// Shares fills the users' shares of the annotate queue (sqldb.DB has it).
type Shares interface {
	FillQueues(ctx context.Context) (int, error)
}

// Liveness is the store of worker heartbeats (sqldb.DB has it).
type Liveness interface {
	Heartbeat(ctx context.Context, clientID, hostname string, pid int, started time.Time) error
	RetireWorker(ctx context.Context, clientID string) error
	RescueDeadWorkers(ctx context.Context, cutoff time.Time) (int64, error)
}

// Runner works queued jobs in this process.
type Runner struct {
	client *river.Client[*sql.Tx]
	id     string
	cfg    RunnerConfig
	stop   context.CancelFunc // ends the heartbeat loop
	done   chan struct{}      // closed when it has ended
	// stopFill ends the loop that fills the users' shares; fillDone is
	// closed when it has ended.
	stopFill context.CancelFunc
	fillDone chan struct{}
}

// NewRunner returns a runner of the annotate queue with w as its worker, on
// River's driver for the database (sqldb.DB.RiverDriver).
func NewRunner(driver riverdriver.Driver[*sql.Tx], w *AnnotateWorker, cfg RunnerConfig) (*Runner, error) {
	if w == nil {
		return nil, errors.New("jobs: new runner: annotate worker is required")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.FetchPollInterval <= 0 {
		cfg.FetchPollInterval = 50 * time.Millisecond
	}
	if cfg.FetchCooldown <= 0 {
		cfg.FetchCooldown = 10 * time.Millisecond
	}
	if cfg.RescueStuckJobsAfter <= 0 {
		cfg.RescueStuckJobsAfter = w.cfg.Timeout + time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	workers := river.NewWorkers()
	if err := river.AddWorkerSafely(workers, w); err != nil {
		return nil, fmt.Errorf("jobs: new runner: %w", err)
	}
	if cfg.Register != nil {
		if err := cfg.Register(workers); err != nil {
			return nil, fmt.Errorf("jobs: new runner: register workers: %w", err)
		}
	}
	queues := map[string]river.QueueConfig{}
	for name, q := range cfg.Queues {
		queues[name] = q
	}
	if !cfg.NoAnnotate {
		queues[QueueAnnotate] = river.QueueConfig{MaxWorkers: cfg.Workers}
	}
	if len(queues) == 0 {
		return nil, errors.New("jobs: new runner: no queue to work")
	}
	if cfg.HeartbeatEvery <= 0 {
		cfg.HeartbeatEvery = 5 * time.Second
	}
	if cfg.DeadAfter <= 0 {
		cfg.DeadAfter = 45 * time.Second
	}
	if cfg.FillEvery <= 0 {
		cfg.FillEvery = 30 * time.Second
	}
	id := clientID()
	c, err := river.NewClient(driver, &river.Config{
		ID:                   id,
		Queues:               queues,
		Workers:              workers,
		FetchPollInterval:    cfg.FetchPollInterval,
		FetchCooldown:        cfg.FetchCooldown,
		RescueStuckJobsAfter: cfg.RescueStuckJobsAfter,
		JobTimeout:           w.cfg.Timeout,
		Logger:               cfg.Logger,
		PollOnly:             true,
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: new runner: %w", err)
	}
	return &Runner{client: c, id: id, cfg: cfg}, nil
}

// clientID names this process in the queue (River records it on every job
// it works) and in the heartbeats: host, process and a random part, since
// PIDs repeat across machines and restarts.
func clientID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%x", host, os.Getpid(), b)
}

// ID is the River client ID of this process.
func (r *Runner) ID() string { return r.id }

// heartbeat announces the process and rescues the work of dead ones until
// ctx ends. Failures are logged and retried at the next beat: a database
// that is briefly away must not stop the workers.
func (r *Runner) heartbeat(ctx context.Context) {
	defer close(r.done)
	host, _ := os.Hostname()
	started := time.Now()
	t := time.NewTicker(r.cfg.HeartbeatEvery)
	defer t.Stop()
	for {
		if err := r.cfg.Liveness.Heartbeat(ctx, r.id, host, os.Getpid(), started); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("worker heartbeat failed", "err", err)
		}
		if n, err := r.cfg.Liveness.RescueDeadWorkers(ctx, time.Now().Add(-r.cfg.DeadAfter)); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("rescuing the jobs of stopped workers failed", "err", err)
		} else if n > 0 {
			r.cfg.Logger.Warn("resumed queued work of a worker that stopped answering", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Start begins working jobs; it returns once the workers are running.
// Cancelling ctx cancels work in progress (a hard stop).
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start runner: %w", err)
	}
	if r.cfg.Liveness != nil {
		hctx, cancel := context.WithCancel(ctx)
		r.stop, r.done = cancel, make(chan struct{})
		go r.heartbeat(hctx)
	}
	if r.cfg.Shares != nil {
		fctx, cancel := context.WithCancel(ctx)
		r.stopFill, r.fillDone = cancel, make(chan struct{})
		go r.fill(fctx)
	}
	return nil
}

// fill queues held jobs that have a place, at start and every FillEvery,
// until ctx ends. Failures are logged and retried at the next round.
func (r *Runner) fill(ctx context.Context) {
	defer close(r.fillDone)
	t := time.NewTicker(r.cfg.FillEvery)
	defer t.Stop()
	for {
		if n, err := r.cfg.Shares.FillQueues(ctx); err != nil && ctx.Err() == nil {
			r.cfg.Logger.Warn("queueing held jobs failed", "err", err)
		} else if n > 0 {
			r.cfg.Logger.Info("queued held jobs that have a place now", "jobs", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop stops fetching and waits for running jobs to finish until ctx is
// done, then cancels them; a cancelled job stays RUNNING and is resumed by
// the next attempt.
func (r *Runner) Stop(ctx context.Context) error {
	if r.stopFill != nil {
		r.stopFill()
		<-r.fillDone
	}
	if r.stop != nil {
		defer func() {
			r.stop()
			<-r.done
			// Work left running after the stop is handed on by the next
			// sweep of another process.
			if err := r.cfg.Liveness.RetireWorker(context.WithoutCancel(ctx), r.id); err != nil {
				r.cfg.Logger.Warn("retiring this worker failed", "err", err)
			}
		}()
	}
	err := r.client.Stop(ctx)
	if err == nil {
		return nil
	}
	// Give up on a soft stop: cancel jobs and wait a little for them to notice.
	hard, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := r.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("jobs: stop runner: %w", err)
	}
	return nil
}

// Client returns the River client, e.g. to subscribe to events in tests.
func (r *Runner) Client() *river.Client[*sql.Tx] { return r.client }
