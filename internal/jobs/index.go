package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/variantdb"
)

// The variant index (internal/variantdb) of a completed job is built by a
// queue job of its own, queued in the transaction that records the
// completion, so every completed result gets one and a crash only delays
// it. The lead wires it with:
//
//	store := db.JobStore(ins, …, jobs.IndexHook(ins))          // every process that completes jobs
//	iw, _ := jobs.NewIndexWorker(store, db, blobs, jobs.IndexConfig{…}) // worker processes
//	RunnerConfig.Register: func(ws *river.Workers) error { return river.AddWorkerSafely(ws, iw) }
//
// It runs on the annotate queue: it is CPU and disk work of the same kind,
// and needs no queue of its own to be configured.

// IndexArgs asks for the variant index of one completed job.
type IndexArgs struct {
	JobID string `json:"job_id"`
}

// Kind is the River job kind.
func (IndexArgs) Kind() string { return "variant_index" }

// InsertOpts puts index builds on the annotate queue; a build that fails
// for an I/O reason is retried a few times. One build per job is queued at
// a time: asking again while one waits or runs adds nothing (the web asks
// for a rebuild when it finds no index, or one of an old format).
func (IndexArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueAnnotate, MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
			rivertype.JobStateRunning, rivertype.JobStateScheduled}}}
}

// QueueIndex queues a (re)build of a job's variant index outside any
// transaction: the web's Deps.Reindex is
//
//	func(ctx context.Context, id string) error { return jobs.QueueIndex(ctx, ins.Client(), id) }
func QueueIndex(ctx context.Context, c *river.Client[*sql.Tx], jobID string) error {
	if _, err := c.Insert(ctx, IndexArgs{JobID: jobID}, nil); err != nil {
		return fmt.Errorf("jobs: queue index of %s: %w", jobID, err)
	}
	return nil
}

// TxInserter queues a River job in the caller's transaction (Inserter).
type TxInserter interface {
	InsertTx(ctx context.Context, tx *sql.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// IndexHook returns the gas.TransitionHook that queues the index build
// when an annotation completes (RUNNING → COMPLETED). A result restored
// from the archive already has its index.
func IndexHook(ins TxInserter) gas.TransitionHook {
	return func(ctx context.Context, tx *sql.Tx, j *gas.Job, c gas.JobChange) error {
		if c.From != gas.JobRunning || c.To != gas.JobCompleted {
			return nil
		}
		return ins.InsertTx(ctx, tx, IndexArgs{JobID: j.ID}, nil)
	}
}

// IndexKeys records where a job's index is stored, and reads it back
// with the jobs' progress (sqldb.DB).
type IndexKeys interface {
	SetIndexKey(ctx context.Context, jobID, key string) error
	JobProgress(ctx context.Context, ids ...string) (map[string]gas.Progress, error)
}

// JobReader reads a job by ID (the job store).
type JobReader interface {
	Job(ctx context.Context, id string) (*gas.Job, error)
}

// IndexConfig tunes the index worker.
type IndexConfig struct {
	// TempDir holds the index while it is built (it is then copied to the
	// blob store); "" means os.TempDir().
	TempDir string
	// Timeout bounds one build; <= 0 means 2 hours.
	Timeout time.Duration
	// Logger receives build reports; nil discards.
	Logger *slog.Logger
}

// IndexWorker builds the variant index of a completed job and stores it
// in the blob store at IndexKey.
type IndexWorker struct {
	river.WorkerDefaults[IndexArgs]
	jobs  JobReader
	keys  IndexKeys
	blobs gas.BlobStore
	cfg   IndexConfig
}

// NewIndexWorker returns the worker; every dependency is required.
func NewIndexWorker(js JobReader, keys IndexKeys, blobs gas.BlobStore, cfg IndexConfig) (*IndexWorker, error) {
	if js == nil || keys == nil || blobs == nil {
		return nil, errors.New("jobs: new index worker: job store, index keys and blob store are required")
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &IndexWorker{jobs: js, keys: keys, blobs: blobs, cfg: cfg}, nil
}

// Timeout lets a large index build run past River's default minute.
func (w *IndexWorker) Timeout(*river.Job[IndexArgs]) time.Duration { return w.cfg.Timeout }

// Work builds the index. A job that is gone, not COMPLETED (archived,
// deleted meanwhile) or already indexed is left alone; a result the index
// cannot read is not retried (it would fail the same way).
func (w *IndexWorker) Work(ctx context.Context, rj *river.Job[IndexArgs]) error {
	id := rj.Args.JobID
	log := w.cfg.Logger.With("job_id", id, "attempt", rj.Attempt)
	j, err := w.jobs.Job(ctx, id)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return river.JobCancel(fmt.Errorf("index %s: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("index %s: load job: %w", id, err)
	}
	if !j.HasResult() {
		log.Info("index: job has no hot result; nothing to do", "state", j.State)
		return nil
	}
	// The annotate worker usually built it already (index_inline.go); a
	// stale index is forgotten (key "") before a rebuild is asked for.
	p, err := w.keys.JobProgress(ctx, id)
	if err != nil {
		return fmt.Errorf("index %s: read index key: %w", id, err)
	}
	if p[id].IndexKey != "" {
		log.Info("index: already built; nothing to do", "key", p[id].IndexKey)
		return nil
	}
	info, err := w.Build(ctx, j)
	var ie *variantdb.InputError
	if errors.As(err, &ie) {
		log.Warn("index: result cannot be indexed", "err", err)
		return river.JobCancel(fmt.Errorf("index %s: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("index %s: %w", id, err)
	}
	log.Info("index: built", "records", info.Records, "annotations", info.Annotations, "bytes", info.Bytes, "elapsed", info.Elapsed)
	return nil
}

// Build makes the index of j's result, stores it and records its key.
func (w *IndexWorker) Build(ctx context.Context, j *gas.Job) (*variantdb.BuildInfo, error) {
	rc, err := w.blobs.Open(ctx, j.ResultKey)
	if err != nil {
		return nil, fmt.Errorf("open result: %w", err)
	}
	defer rc.Close()
	dir, err := os.MkdirTemp(w.cfg.TempDir, "gas-index-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "variants.sqlite")
	info, err := variantdb.Build(ctx, rc, path, variantdb.BuildOptions{})
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open built index: %w", err)
	}
	defer f.Close()
	key := j.Key(gas.FileIndex)
	if _, err := w.blobs.Put(ctx, key, f); err != nil {
		return nil, fmt.Errorf("store index: %w", err)
	}
	if err := w.keys.SetIndexKey(ctx, j.ID, key); err != nil {
		return nil, fmt.Errorf("record index: %w", err)
	}
	return info, nil
}
