// Package jobs holds the River job arguments and workers of GAS and the
// queue that runs them. Workers are idempotent: a job found half-done after a
// crash is redone and overwrites the same objects, so it never produces a
// second result.
package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// QueueAnnotate is the River queue of annotation jobs.
const QueueAnnotate = gas.QueueAnnotate

// ActorAnnotate is the actor recorded on the events the annotate worker makes.
const ActorAnnotate = "worker:annotate"

// annotateMaxAttempts bounds retries of transient failures (I/O, a database
// hiccup); River spaces them with exponential backoff.
const annotateMaxAttempts = 5

// AnnotateArgs asks for one job to be annotated. Only the ID travels through
// the queue; everything else is read from the job row, the source of truth.
//
// A large input is split into pieces (see shard.go); the pieces and their
// merge travel as annotate jobs too, told apart by Step and Shard.
type AnnotateArgs struct {
	JobID string `json:"job_id"`
	Step  string `json:"step,omitempty"`  // "" (the whole job, split when large), StepShard or StepMerge
	Shard int    `json:"shard,omitempty"` // the piece, for StepShard
}

// Kind is the River job kind.
func (AnnotateArgs) Kind() string { return "annotate" }

// InsertOpts puts annotation jobs on their own queue so their concurrency is
// set apart from lifecycle work.
func (AnnotateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueAnnotate, MaxAttempts: annotateMaxAttempts}
}

// JobOptions is the JSON stored in gas.Job.Options at submit time.
type JobOptions struct {
	Transcripts   string   `json:"transcripts,omitempty"`    // all (default), canonical, mane, pick
	TranscriptIDs []string `json:"transcript_ids,omitempty"` // restrict to these transcripts
	OnError       string   `json:"on_error,omitempty"`       // stop (default) or skip
}

// ParseJobOptions decodes and checks a job's options; the error is an
// EINVALID *gas.Error whose message can be shown to the user.
func ParseJobOptions(s string) (annotate.Options, error) {
	var o JobOptions
	if strings.TrimSpace(s) != "" {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return annotate.Options{}, &gas.Error{Code: gas.EINVALID, Message: "The job's options are not valid.", Err: err}
		}
	}
	var opt annotate.Options
	switch annotate.TranscriptMode(o.Transcripts) {
	case "", annotate.AllTranscripts:
		opt.Transcripts = annotate.AllTranscripts
	case annotate.Canonical, annotate.MANESelect, annotate.Pick:
		opt.Transcripts = annotate.TranscriptMode(o.Transcripts)
	default:
		return opt, gas.Errorf(gas.EINVALID, "Unknown transcript choice %q (use all, canonical, mane or pick).", o.Transcripts)
	}
	switch annotate.OnError(o.OnError) {
	case "", annotate.Stop:
		opt.OnError = annotate.Stop
	case annotate.Skip:
		opt.OnError = annotate.Skip
	default:
		return opt, gas.Errorf(gas.EINVALID, "Unknown error policy %q (use stop or skip).", o.OnError)
	}
	for _, id := range o.TranscriptIDs {
		if id = strings.TrimSpace(id); id != "" {
			opt.TranscriptIDs = append(opt.TranscriptIDs, id)
		}
	}
	return opt, nil
}

// JobStore is what the annotate worker needs from the job store.
type JobStore interface {
	Job(ctx context.Context, id string) (*gas.Job, error)
	gas.JobUpdater
}

// Bundles hands out opened reference bundles by name.
type Bundles interface {
	Bundle(ctx context.Context, name string) (*refdata.Bundle, error)
}

// AnnotateFunc is the engine entry point; annotate.Annotate in production.
type AnnotateFunc func(ctx context.Context, r io.Reader, w io.Writer, b *refdata.Bundle, opt annotate.Options) (*annotate.Summary, error)

// AnnotateWorker runs the annotation engine on a job's stored input and
// stores the annotated VCF, the log and the summary next to it.
type AnnotateWorker struct {
	river.WorkerDefaults[AnnotateArgs]

	jobs    JobStore
	blobs   gas.BlobStore
	bundles Bundles
	cfg     AnnotateConfig
}

// AnnotateConfig tunes the annotate worker.
type AnnotateConfig struct {
	// EngineWorkers is the engine's parallelism within one job; <= 0 means GOMAXPROCS.
	EngineWorkers int
	// MaxInputBytes caps the decompressed input (gzip-bomb guard); <= 0 means unlimited.
	MaxInputBytes int64
	// Timeout bounds one attempt; <= 0 means 6 hours.
	Timeout time.Duration
	// Version is written into results (##gas_version).
	Version string
	// Logger receives job progress and failures; nil discards.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Annotate replaces the engine (tests); nil means annotate.Annotate.
	Annotate AnnotateFunc

	// Shards, when set, lets the worker split an input of more than
	// ShardRecords records into pieces that any annotate worker works, and
	// merge them in order (shard.go). Nil: every job is annotated whole.
	Shards ShardStore
	// ShardRecords is the most records annotated as one piece; 0 means
	// DefaultShardRecords, < 0 never splits.
	ShardRecords int64
	// WorkerName names this process in the shard records; "" means host:pid.
	WorkerName string
	// ShardPoll is how often a piece being annotated checks that its job is
	// still RUNNING (it stops when another piece failed or the user
	// cancelled); <= 0 means 2 seconds.
	ShardPoll time.Duration
	// Progress writes the records annotated so far for the live job page;
	// nil reports nothing.
	Progress *ProgressReporter
	// Counts, when set, gives the upload check's record count of a job's
	// input; a finished run that read another number fails the job
	// instead of completing it (integrity.go).
	Counts InputCounts
	// Index, when set, makes the worker build the job's variant index
	// while annotating and record it before the job is COMPLETED
	// (index_inline.go); nil leaves it to the index job.
	Index IndexKeys
	// IndexDir holds indexes while they are built; "" means os.TempDir().
	IndexDir string
}

// NewAnnotateWorker returns the worker; every dependency is required.
func NewAnnotateWorker(js JobStore, blobs gas.BlobStore, bundles Bundles, cfg AnnotateConfig) (*AnnotateWorker, error) {
	if js == nil || blobs == nil || bundles == nil {
		return nil, errors.New("jobs: new annotate worker: job store, blob store and bundles are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Annotate == nil {
		cfg.Annotate = annotate.Annotate
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 6 * time.Hour
	}
	if cfg.ShardRecords == 0 {
		cfg.ShardRecords = DefaultShardRecords
	}
	if cfg.WorkerName == "" {
		cfg.WorkerName = defaultWorkerName()
	}
	if cfg.ShardPoll <= 0 {
		cfg.ShardPoll = 2 * time.Second
	}
	return &AnnotateWorker{jobs: js, blobs: blobs, bundles: bundles, cfg: cfg}, nil
}

// Timeout lets a large annotation run well past River's one-minute default.
func (w *AnnotateWorker) Timeout(*river.Job[AnnotateArgs]) time.Duration { return w.cfg.Timeout }

// ResultKeys returns the blob keys of a job's outputs. They depend only on
// the job, so a re-run overwrites rather than adds.
func ResultKeys(j *gas.Job) (result, log, summary string) {
	return j.Key(gas.FileResult), j.Key(gas.FileLog), j.Key(gas.FileSummary)
}

// Work annotates one job. An input problem fails the job once with a
// readable reason (river.JobCancel: no retry); other errors are returned so
// River retries with backoff, and the last attempt marks the job FAILED.
func (w *AnnotateWorker) Work(ctx context.Context, rj *river.Job[AnnotateArgs]) error {
	switch rj.Args.Step {
	case "":
	case StepShard:
		return w.workShard(ctx, rj)
	case StepMerge:
		return w.workMerge(ctx, rj)
	default:
		return river.JobCancel(fmt.Errorf("annotate %s: unknown step %q", rj.Args.JobID, rj.Args.Step))
	}
	id := rj.Args.JobID
	log := w.cfg.Logger.With("job_id", id, "attempt", rj.Attempt)
	j, err := w.jobs.Job(ctx, id)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		// The job row is gone (e.g. the account was deleted): nothing to do, ever.
		log.Warn("annotate: job not found; dropping")
		return river.JobCancel(fmt.Errorf("annotate %s: %w", id, err))
	}
	if err != nil {
		return fmt.Errorf("annotate %s: load job: %w", id, err)
	}
	switch j.State {
	case gas.JobPending:
		j, err = w.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: ActorAnnotate,
			Reason: fmt.Sprintf("attempt %d", rj.Attempt)})
	case gas.JobRunning:
		if split, err := w.wasSplit(ctx, id); err != nil {
			return fmt.Errorf("annotate %s: %w", id, err)
		} else if split {
			// An earlier attempt split the input and queued its pieces
			// (then died before River recorded it): they carry on.
			log.Info("annotate: input already split; its shards carry on")
			return nil
		}
		// An earlier attempt died mid-way (crash, shutdown, transient error):
		// redo the work; the outputs have fixed keys and are overwritten.
		j, err = w.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobRunning, Actor: ActorAnnotate,
			Reason: fmt.Sprintf("attempt %d resumes an interrupted run", rj.Attempt)})
	default:
		log.Info("annotate: job already finished; nothing to do", "state", j.State)
		return nil
	}
	if gas.ErrorCode(err) == gas.ECONFLICT {
		// Another worker moved it between our read and our update.
		log.Warn("annotate: job changed state under us; leaving it", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("annotate %s: start: %w", id, err)
	}

	split, runErr := w.split(ctx, j, log)
	if split && runErr == nil {
		return nil // the pieces are queued; the merge completes the job
	}
	var res *gas.JobResult
	if runErr == nil {
		res, runErr = w.run(ctx, j, log)
	}
	if runErr == nil {
		_, err := w.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: ActorAnnotate,
			Reason: fmt.Sprintf("%d records annotated", res.Records), Result: res})
		if gas.ErrorCode(err) == gas.ECONFLICT {
			// The job left RUNNING while we worked (the user cancelled it):
			// its outcome stands, and the result nobody will see is dropped.
			log.Info("annotate: job changed state while running; discarding the result", "err", err)
			discard := []string{res.ResultKey, res.SummaryKey}
			if w.cfg.Index != nil {
				discard = append(discard, j.Key(gas.FileIndex))
			}
			for _, k := range discard {
				if derr := w.blobs.Delete(context.WithoutCancel(ctx), k); derr != nil {
					log.Warn("annotate: delete discarded output", "key", k, "err", derr)
				}
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("annotate %s: complete: %w", id, err)
		}
		log.Info("annotate: completed", "records", res.Records, "result_bytes", res.ResultSize)
		return nil
	}
	return w.settle(ctx, rj, runErr, log, nil)
}

// settle decides what a failed attempt of job rj means. An input problem
// fails the job once with a readable reason (river.JobCancel: no retry);
// other errors are returned so River retries with backoff, and the last
// attempt marks the job FAILED. onFail, when set, runs before a job is
// marked FAILED (shards clean up their pieces there).
func (w *AnnotateWorker) settle(ctx context.Context, rj *river.Job[AnnotateArgs], runErr error, log *slog.Logger, onFail func(reason string)) error {
	id := rj.Args.JobID
	var reason string
	permanent := false
	switch {
	case annotate.IsInputError(runErr):
		// Only the InputError's own text: it is written for the user,
		// while the wrapping may carry internal detail.
		var ie *annotate.InputError
		errors.As(runErr, &ie)
		reason, permanent = "The input file could not be annotated: "+ie.Error(), true
	case gas.ErrorCode(runErr) == gas.EINVALID || gas.ErrorCode(runErr) == gas.ENOTFOUND:
		reason, permanent = gas.ErrorMessage(runErr), true
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		// Over the time limit: retry (the machine may have been busy), and
		// give up with a clear reason on the last attempt.
		if rj.Attempt >= rj.MaxAttempts {
			reason = fmt.Sprintf("The annotation took longer than the limit of %s.", w.cfg.Timeout)
			permanent = true
		}
	case ctx.Err() != nil:
		// The server is stopping. Snooze rather than fail, so the stop does
		// not use up an attempt; the job stays RUNNING and is resumed.
		log.Info("annotate: interrupted by shutdown; will resume", "err", runErr)
		return river.JobSnooze(time.Second)
	case rj.Attempt >= rj.MaxAttempts:
		reason = "An internal error stopped the annotation; please try again later."
		permanent = true
	}
	if !permanent {
		log.Warn("annotate: attempt failed; will retry", "err", runErr)
		return fmt.Errorf("annotate %s: %w", id, runErr)
	}
	log.Info("annotate: failed", "reason", reason, "err", runErr)
	if onFail != nil {
		onFail(reason)
	}
	// The failure must be recorded even when the job's context is cancelled.
	fctx := context.WithoutCancel(ctx)
	if _, err := w.jobs.TransitionJob(fctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: ActorAnnotate, Reason: reason}); err != nil {
		if gas.ErrorCode(err) == gas.ECONFLICT {
			// Already finished another way (another piece failed first,
			// or the user cancelled): that outcome stands.
			log.Info("annotate: job left RUNNING before the failure was recorded", "err", err)
			return river.JobCancel(fmt.Errorf("annotate %s: %w", id, runErr))
		}
		return fmt.Errorf("annotate %s: record failure: %w", id, err)
	}
	return river.JobCancel(fmt.Errorf("annotate %s: %w", id, runErr))
}

// run annotates j's input into its result object and writes the log and
// summary. The result streams through a pipe into the blob store, so memory
// does not grow with the file; a failed run leaves no result object.
func (w *AnnotateWorker) run(ctx context.Context, j *gas.Job, log *slog.Logger) (*gas.JobResult, error) {
	opt, err := w.engineOptions(j)
	if err != nil {
		return nil, err
	}

	b, in, err := w.openRun(ctx, j, j.InputKey)
	if err != nil {
		return nil, err
	}
	defer in.Close()

	resultKey, logKey, summaryKey := ResultKeys(j)
	// Stopped when run returns, before the completion is recorded (a late
	// report would be ignored anyway).
	progress, stopProgress := w.cfg.Progress.Start(ctx, j.ID)
	defer stopProgress()
	opt.Progress = progress
	start := w.cfg.Now()
	ix := w.startIndex(ctx, log)
	defer ix.abandon() // on every way out; after storeIndex it only waits
	sum, info, annErr, putErr := w.annotateTo(ctx, in, b, opt, resultKey, ix.tee())
	elapsed := w.cfg.Now().Sub(start)
	if annErr == nil && putErr == nil {
		if annErr = w.checkRecordCount(ctx, j.ID, sum); annErr != nil {
			// The stored result holds part of an input that is not the
			// one checked: nobody may download it.
			if err := w.blobs.Delete(context.WithoutCancel(ctx), resultKey); err != nil {
				log.Warn("annotate: delete the result of a short read", "err", err)
			}
		}
	}

	// The log is written on failure too: it explains what went wrong.
	if err := w.writeLog(ctx, logKey, j, sum, annErr, elapsed); err != nil {
		log.Warn("annotate: could not store log", "err", err)
		if annErr == nil {
			return nil, err
		}
	}
	if annErr != nil {
		return nil, annErr
	}
	if putErr != nil {
		return nil, fmt.Errorf("store result: %w", putErr)
	}
	if sum == nil {
		return nil, errors.New("engine returned no summary")
	}
	sj, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	if _, err := w.blobs.Put(ctx, summaryKey, bytes.NewReader(sj)); err != nil {
		return nil, fmt.Errorf("store summary: %w", err)
	}
	w.storeIndex(ctx, ix, j, log)
	return &gas.JobResult{
		ResultKey: resultKey, LogKey: logKey, SummaryKey: summaryKey,
		ResultSize: info.Size, ResultSum: info.SHA256, Records: sum.Records, BundleSum: sum.BundleChecksum,
	}, nil
}

// engineOptions are the engine's options for job j.
func (w *AnnotateWorker) engineOptions(j *gas.Job) (annotate.Options, error) {
	opt, err := ParseJobOptions(j.Options)
	if err != nil {
		return opt, err
	}
	opt.BGZF = true
	opt.Workers = w.cfg.EngineWorkers
	opt.MaxInputBytes = w.cfg.MaxInputBytes
	opt.Version = w.cfg.Version
	return opt, nil
}

// openRun opens the job's bundle and the object inKey to annotate.
func (w *AnnotateWorker) openRun(ctx context.Context, j *gas.Job, inKey string) (*refdata.Bundle, io.ReadCloser, error) {
	b, err := w.bundles.Bundle(ctx, j.Bundle)
	if err != nil {
		return nil, nil, fmt.Errorf("open bundle %q: %w", j.Bundle, err)
	}
	in, err := w.blobs.Open(ctx, inKey)
	if err != nil {
		if gas.ErrorCode(err) == gas.ENOTFOUND {
			return nil, nil, &gas.Error{Code: gas.ENOTFOUND, Message: "The uploaded file is missing.", Err: err}
		}
		return nil, nil, fmt.Errorf("open input: %w", err)
	}
	return b, in, nil
}

// annotateTo runs the engine on in and stores its output as outKey
// (putStream), copying it to also when not nil. annErr is the engine's
// error, putErr the store's.
func (w *AnnotateWorker) annotateTo(ctx context.Context, in io.Reader, b *refdata.Bundle, opt annotate.Options, outKey string, also io.Writer) (sum *annotate.Summary, info gas.BlobInfo, annErr, putErr error) {
	info, annErr, putErr = putStream(ctx, w.blobs, outKey, func(out io.Writer) error {
		if also != nil {
			out = io.MultiWriter(out, also)
		}
		var err error
		sum, err = w.cfg.Annotate(ctx, in, out, b, opt)
		return err
	})
	return sum, info, annErr, putErr
}

// putStream stores what produce writes as key. The output streams through
// a pipe into the blob store, so memory does not grow with the file, and a
// produce that fails (or panics) fails the Put, so no partial object
// becomes visible. prodErr is produce's error, putErr the store's.
func putStream(ctx context.Context, blobs gas.BlobStore, key string, produce func(w io.Writer) error) (info gas.BlobInfo, prodErr, putErr error) {
	pr, pw := io.Pipe()
	// Should produce panic (River recovers it and retries), the store must
	// still be released; after a normal close this does nothing.
	defer pw.CloseWithError(errors.New("stopped before finishing"))
	type putResult struct {
		info gas.BlobInfo
		err  error
	}
	done := make(chan putResult, 1)
	go func() {
		info, err := blobs.Put(ctx, key, pr)
		// Unblock produce if the store gave up before reading everything.
		pr.CloseWithError(err)
		done <- putResult{info, err}
	}()
	prodErr = produce(pw)
	pw.CloseWithError(prodErr) // nil: a normal close
	put := <-done
	return put.info, prodErr, put.err
}

// writeLog stores the human-readable log of one run.
// notes are extra lines (how a split job was worked).
func (w *AnnotateWorker) writeLog(ctx context.Context, key string, j *gas.Job, sum *annotate.Summary, runErr error, elapsed time.Duration, notes ...string) error {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "GAS annotation log\n")
	fmt.Fprintf(&buf, "job:      %s\n", j.ID)
	fmt.Fprintf(&buf, "input:    %s (%d bytes)\n", j.InputName, j.InputSize)
	fmt.Fprintf(&buf, "bundle:   %s\n", j.Bundle)
	fmt.Fprintf(&buf, "options:  %s\n", j.Options)
	for _, n := range notes {
		fmt.Fprintf(&buf, "%s\n", n)
	}
	fmt.Fprintf(&buf, "finished: %s after %s\n", w.cfg.Now().UTC().Format(time.RFC3339), elapsed.Round(time.Millisecond))
	if runErr != nil {
		status := "FAILED"
		if !annotate.IsInputError(runErr) {
			status = "interrupted (will be retried)"
		}
		fmt.Fprintf(&buf, "status:   %s\n", status)
		if annotate.IsInputError(runErr) {
			fmt.Fprintf(&buf, "error:    %s\n", runErr)
		}
	} else {
		fmt.Fprintf(&buf, "status:   COMPLETED\n")
	}
	if sum != nil {
		buf.WriteString("\n")
		if err := sum.WriteText(&buf); err != nil {
			return fmt.Errorf("render log: %w", err)
		}
	}
	_, err := w.blobs.Put(context.WithoutCancel(ctx), key, &buf)
	if err != nil {
		return fmt.Errorf("store log: %w", err)
	}
	return nil
}
