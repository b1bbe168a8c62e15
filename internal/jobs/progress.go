package jobs

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// ProgressStore keeps the records a running job has annotated
// (sqldb.DB.ReportProgress). It ignores reports on jobs that are not RUNNING.
type ProgressStore interface {
	ReportProgress(ctx context.Context, jobID string, records int64, at time.Time) error
}

// ShardProgressStore adds the records of one piece of a split job
// (sqldb.DB.AddProgress).
type ShardProgressStore interface {
	AddProgress(ctx context.Context, jobID string, delta int64, at time.Time) error
}

// DefaultProgressEvery is how often a running job's progress is written:
// often enough for a live bar, rare enough that a thousand running jobs
// cost the database a thousand small updates a second at most.
const DefaultProgressEvery = time.Second

// ProgressReporter turns the engine's progress callback into throttled
// writes to the job store. The engine calls the callback from its writer
// at every block; the callback only stores a number, and one goroutine per
// running job writes the latest number at most once per Every.
//
// Hook it into a run of the engine with
//
//	progress, stop := w.cfg.Progress.Start(ctx, j.ID)
//	defer stop()
//	opt.Progress = progress
//
// A nil *ProgressReporter is valid and reports nothing.
type ProgressReporter struct {
	store  ProgressStore
	every  time.Duration
	now    func() time.Time
	logger *slog.Logger
}

// NewProgressReporter returns a reporter writing to store at most once per
// every (<= 0 means DefaultProgressEvery). logger may be nil.
func NewProgressReporter(store ProgressStore, every time.Duration, logger *slog.Logger) *ProgressReporter {
	if every <= 0 {
		every = DefaultProgressEvery
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &ProgressReporter{store: store, every: every, now: time.Now, logger: logger}
}

// Start begins reporting for one run of jobID. progress is the callback
// for annotate.Options.Progress; stop ends the reporting after writing the
// last number seen, and waits for the writer to finish. Call stop before
// the job's completion is recorded, or after: a report on a finished job is
// ignored by the store.
func (p *ProgressReporter) Start(ctx context.Context, jobID string) (progress func(records int64), stop func()) {
	if p == nil || p.store == nil {
		return nil, func() {}
	}
	return p.start(ctx, jobID, func(ctx context.Context, n, _ int64) error {
		return p.store.ReportProgress(ctx, jobID, n, p.now())
	})
}

// StartShard is Start for one piece of a split job: the piece's records
// are added to the job's count as they are written, so the pieces working
// at once sum up. A piece that is redone after a crash counts again; the
// page caps the count at the input's total.
//
//	progress, stop := w.cfg.Progress.StartShard(ctx, jobID)
func (p *ProgressReporter) StartShard(ctx context.Context, jobID string) (progress func(records int64), stop func()) {
	if p == nil || p.store == nil {
		return nil, func() {}
	}
	add, ok := p.store.(ShardProgressStore)
	if !ok {
		return nil, func() {}
	}
	return p.start(ctx, jobID, func(ctx context.Context, n, written int64) error {
		return add.AddProgress(ctx, jobID, n-max(written, 0), p.now())
	})
}

// start runs the writer goroutine; write stores n given the last number
// written (-1 before the first).
func (p *ProgressReporter) start(ctx context.Context, jobID string, store func(ctx context.Context, n, written int64) error) (progress func(records int64), stop func()) {
	var latest atomic.Int64
	latest.Store(-1)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		written := int64(-1)
		write := func() {
			n := latest.Load()
			if n < 0 || n == written {
				return
			}
			// A failed write only costs the page a stale number; the
			// annotation itself must not stop for it.
			if err := store(context.WithoutCancel(ctx), n, written); err != nil {
				p.logger.Warn("report progress", "job_id", jobID, "err", err)
				return
			}
			written = n
		}
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				write()
			case <-done:
				write()
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			wg.Wait()
		})
	}
	return func(records int64) { latest.Store(records) }, stop
}
