package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/vcf"
)

// A large input is annotated in pieces by many workers:
//
//  1. split (the job's own annotate job): count the records; above
//     ShardRecords, copy the input in file order into pieces at record
//     boundaries that follow genomic regions, store them, and record them
//     with one queued shard job each in one transaction. A crash before that
//     transaction redoes the split (same keys, same pieces); after it, the
//     re-run finds the pieces recorded and stops.
//  2. shard (one per piece, on whatever annotate worker is free): annotate
//     the piece with the job's options into its own output, then mark it
//     done; the last one queues the merge in the same transaction.
//  3. merge: join the outputs in order into result.vcf.gz (one header, the
//     records of every piece, one EOF marker), add up the summaries, and
//     complete the job with the usual RUNNING → COMPLETED transition, so
//     notification and archive hooks run once, as for any job.
//
// The job stays RUNNING throughout. An input error in any piece fails the
// job once, with the line number in the whole input; the other pieces see
// the job leave RUNNING and stop. A transient error retries that piece only.

// DefaultShardRecords is the most records annotated as one piece unless
// configured: large enough that ordinary uploads are never split.
const DefaultShardRecords = 1_000_000

// maxShards bounds the pieces of one input, however small ShardRecords is,
// so a misconfiguration cannot flood the queue.
const maxShards = 1000

// ShardStore records the pieces of split inputs (sqldb.Shards).
type ShardStore interface {
	CreateShards(ctx context.Context, jobID string, shards []gas.Shard, actor, reason string) (bool, error)
	JobShards(ctx context.Context, jobID string) ([]*gas.Shard, error)
	Shard(ctx context.Context, jobID string, index int) (*gas.Shard, error)
	FinishShard(ctx context.Context, jobID string, index int, summary, worker string) (bool, error)
}

// errJobLeft stops a piece whose job is no longer RUNNING.
var errJobLeft = errors.New("the job is no longer running")

func defaultWorkerName() string {
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	return fmt.Sprintf("%s:%d", host, os.Getpid())
}

// ShardKeys returns the blob keys of piece i of job j and of its annotated
// output. Like ResultKeys they depend only on the job, so redoing a step
// overwrites rather than adds.
func ShardKeys(j *gas.Job, i int) (input, output string) {
	prefix := j.Key(fmt.Sprintf("shards/%04d", i))
	return prefix + ".vcf.gz", prefix + ".out.vcf.gz"
}

// wasSplit reports whether job id's input was already split and queued.
func (w *AnnotateWorker) wasSplit(ctx context.Context, id string) (bool, error) {
	if w.cfg.Shards == nil {
		return false, nil
	}
	shards, err := w.cfg.Shards.JobShards(ctx, id)
	if err != nil {
		return false, fmt.Errorf("read shards: %w", err)
	}
	return len(shards) > 0, nil
}

// split splits a RUNNING job's input when it has more than ShardRecords
// records, and returns true once the pieces are recorded and queued (or
// when there is nothing left to do for this job).
func (w *AnnotateWorker) split(ctx context.Context, j *gas.Job, log *slog.Logger) (bool, error) {
	if w.cfg.Shards == nil || w.cfg.ShardRecords < 0 {
		return false, nil
	}
	ropt := vcf.ReaderOptions{MaxInputBytes: w.cfg.MaxInputBytes, Workers: w.cfg.EngineWorkers}
	in, err := w.blobs.Open(ctx, j.InputKey)
	if err != nil {
		return false, nil // run reports a missing or unreadable input as it always has
	}
	n, err := vcf.CountRecords(ctx, in, ropt)
	in.Close()
	if err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		// Unreadable input: annotate it whole, so the engine reports the
		// problem exactly as for any job.
		log.Debug("annotate: count records failed; not splitting", "err", err)
		return false, nil
	}
	if n <= w.cfg.ShardRecords {
		return false, nil
	}
	pieces := int(min((n+w.cfg.ShardRecords-1)/w.cfg.ShardRecords, maxShards))
	if in, err = w.blobs.Open(ctx, j.InputKey); err != nil {
		return false, fmt.Errorf("open input: %w", err)
	}
	defer in.Close()
	var written []string
	ps, err := splitVCF(ctx, in, splitConfig{Pieces: pieces, Records: n, Workers: w.cfg.EngineWorkers, MaxInputBytes: w.cfg.MaxInputBytes},
		func(i int) (pieceSink, error) {
			key, _ := ShardKeys(j, i)
			written = append(written, key)
			return w.putSink(ctx, key), nil
		})
	if err != nil {
		w.deleteKeys(ctx, log, written...)
		return false, err
	}
	shards := make([]gas.Shard, len(ps))
	for i, p := range ps {
		inKey, outKey := ShardKeys(j, i)
		shards[i] = gas.Shard{Index: i, InputKey: inKey, OutputKey: outKey, Records: p.Records, LineOffset: p.LineOffset, Region: p.region()}
	}
	reason := fmt.Sprintf("split into %d shards of about %d records for parallel annotation", len(ps), n/int64(len(ps)))
	created, err := w.cfg.Shards.CreateShards(ctx, j.ID, shards, ActorAnnotate, reason)
	switch {
	case gas.ErrorCode(err) == gas.ECONFLICT:
		// The job left RUNNING while we split (the user cancelled it).
		log.Info("annotate: job changed state while splitting; dropping the pieces", "err", err)
		w.deleteKeys(ctx, log, written...)
		return true, nil
	case err != nil:
		return false, fmt.Errorf("record shards: %w", err)
	case !created:
		// Another attempt split it at the same time; its pieces have the
		// same keys and content, so they are left alone.
		log.Info("annotate: input already split by another attempt")
		return true, nil
	}
	log.Info("annotate: split", "records", n, "shards", len(ps))
	return true, nil
}

// putSink streams a piece into the blob store under key.
func (w *AnnotateWorker) putSink(ctx context.Context, key string) pieceSink {
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := w.blobs.Put(ctx, key, pr)
		pr.CloseWithError(err)
		done <- err
	}()
	return pieceSink{w: pw, finish: func(cause error) error {
		if cause != nil {
			pw.CloseWithError(cause) // the Put fails: no partial piece becomes visible
			<-done
			return cause
		}
		pw.Close()
		return <-done
	}}
}

// deleteKeys removes objects, best effort: a leftover piece wastes space
// but harms nothing.
func (w *AnnotateWorker) deleteKeys(ctx context.Context, log *slog.Logger, keys ...string) {
	for _, k := range keys {
		if err := w.blobs.Delete(context.WithoutCancel(ctx), k); err != nil {
			log.Warn("annotate: delete shard file", "key", k, "err", err)
		}
	}
}

// deleteShardFiles removes every piece of job id and its output.
func (w *AnnotateWorker) deleteShardFiles(ctx context.Context, id string, log *slog.Logger) {
	shards, err := w.cfg.Shards.JobShards(context.WithoutCancel(ctx), id)
	if err != nil {
		log.Warn("annotate: list shards to delete", "err", err)
		return
	}
	for _, sh := range shards {
		w.deleteKeys(ctx, log, sh.InputKey, sh.OutputKey)
	}
}

// shardJob loads the job of a shard or merge step. It returns nil (and the
// River result) when there is nothing to do.
func (w *AnnotateWorker) shardJob(ctx context.Context, rj *river.Job[AnnotateArgs], log *slog.Logger) (*gas.Job, error) {
	if w.cfg.Shards == nil {
		// This process was started without shard support but the queue
		// holds a piece: let River retry, so a process with it can take it.
		return nil, fmt.Errorf("annotate %s: %s step, but this worker has no shard store", rj.Args.JobID, rj.Args.Step)
	}
	j, err := w.jobs.Job(ctx, rj.Args.JobID)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		log.Warn("annotate: job not found; dropping")
		return nil, river.JobCancel(fmt.Errorf("annotate %s: %w", rj.Args.JobID, err))
	}
	if err != nil {
		return nil, fmt.Errorf("annotate %s: load job: %w", rj.Args.JobID, err)
	}
	return j, nil
}

// workShard annotates one piece.
func (w *AnnotateWorker) workShard(ctx context.Context, rj *river.Job[AnnotateArgs]) error {
	id, idx := rj.Args.JobID, rj.Args.Shard
	log := w.cfg.Logger.With("job_id", id, "shard", idx, "attempt", rj.Attempt)
	j, err := w.shardJob(ctx, rj, log)
	if j == nil {
		return err
	}
	if j.State != gas.JobRunning {
		log.Info("annotate shard: job is not running; nothing to do", "state", j.State)
		return nil
	}
	sh, err := w.cfg.Shards.Shard(ctx, id, idx)
	if gas.ErrorCode(err) == gas.ENOTFOUND {
		return river.JobCancel(fmt.Errorf("annotate %s shard %d: %w", id, idx, err))
	}
	if err != nil {
		return fmt.Errorf("annotate %s shard %d: %w", id, idx, err)
	}
	if sh.State == gas.ShardDone {
		return nil // done by an earlier attempt that died before River recorded it
	}
	opt, err := w.engineOptions(j)
	if err != nil {
		return w.settle(ctx, rj, err, log, func(string) { w.deleteShardFiles(ctx, id, log) })
	}
	// Pieces add their records to the job's progress.
	progress, stopProgress := w.cfg.Progress.StartShard(ctx, id)
	defer stopProgress()
	opt.Progress = progress

	b, in, err := w.openRun(ctx, j, sh.InputKey)
	if err != nil {
		return w.settle(ctx, rj, err, log, func(string) { w.deleteShardFiles(ctx, id, log) })
	}
	defer in.Close()

	wctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go w.watchJob(wctx, cancel, id)
	start := w.cfg.Now()
	sum, _, annErr, putErr := w.annotateTo(wctx, in, b, opt, sh.OutputKey, nil)
	if errors.Is(context.Cause(wctx), errJobLeft) {
		log.Info("annotate shard: job left RUNNING; stopped")
		w.deleteKeys(ctx, log, sh.OutputKey)
		return nil
	}
	runErr := shiftInputError(annErr, sh.LineOffset)
	if runErr == nil && putErr != nil {
		runErr = fmt.Errorf("store shard output: %w", putErr)
	}
	if runErr == nil && sum == nil {
		runErr = errors.New("engine returned no summary")
	}
	if runErr != nil {
		return w.settle(ctx, rj, runErr, log, func(string) {
			if annotate.IsInputError(runErr) {
				logKey := j.LogKey
				if logKey == "" {
					_, logKey, _ = ResultKeys(j)
				}
				if sum != nil {
					sum = mergeSummaries([]*annotate.Summary{sum}, []int64{sh.LineOffset})
				}
				note := fmt.Sprintf("shard:    %d, region %s", idx, sh.Region)
				if err := w.writeLog(ctx, logKey, j, sum, runErr, w.cfg.Now().Sub(start), note); err != nil {
					log.Warn("annotate shard: could not store log", "err", err)
				}
			}
			w.deleteShardFiles(ctx, id, log)
		})
	}
	sj, err := json.Marshal(sum)
	if err != nil {
		return fmt.Errorf("annotate %s shard %d: encode summary: %w", id, idx, err)
	}
	last, err := w.cfg.Shards.FinishShard(ctx, id, idx, string(sj), w.cfg.WorkerName)
	if gas.ErrorCode(err) == gas.ECONFLICT {
		log.Info("annotate shard: job left RUNNING; dropping the output", "err", err)
		w.deleteKeys(ctx, log, sh.OutputKey)
		return nil
	}
	if err != nil {
		return fmt.Errorf("annotate %s shard %d: finish: %w", id, idx, err)
	}
	log.Info("annotate shard: done", "records", sum.Records, "worker", w.cfg.WorkerName, "last", last)
	return nil
}

// watchJob cancels ctx with errJobLeft once job id is no longer RUNNING,
// so a piece stops soon after another piece failed or the user cancelled.
func (w *AnnotateWorker) watchJob(ctx context.Context, cancel context.CancelCauseFunc, id string) {
	ticker := time.NewTicker(w.cfg.ShardPoll)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
			j, err := w.jobs.Job(ctx, id)
			if gas.ErrorCode(err) == gas.ENOTFOUND || (err == nil && j.State != gas.JobRunning) {
				cancel(errJobLeft)
				return
			}
		}
	}
}

// shiftInputError renumbers an input error of a piece to the whole input.
func shiftInputError(err error, offset int64) error {
	var ie *annotate.InputError
	if err == nil || !errors.As(err, &ie) || ie.Line <= 0 {
		return err
	}
	return &annotate.InputError{Line: ie.Line + offset, Msg: ie.Msg}
}

// workMerge joins the annotated pieces into the job's result and completes it.
func (w *AnnotateWorker) workMerge(ctx context.Context, rj *river.Job[AnnotateArgs]) error {
	id := rj.Args.JobID
	log := w.cfg.Logger.With("job_id", id, "step", StepMerge, "attempt", rj.Attempt)
	j, err := w.shardJob(ctx, rj, log)
	if j == nil {
		return err
	}
	if j.State != gas.JobRunning {
		// Completed by an earlier attempt that died before cleaning up, or
		// failed meanwhile: only the pieces are left to remove.
		log.Info("annotate merge: job is not running; removing its pieces", "state", j.State)
		w.deleteShardFiles(ctx, id, log)
		return nil
	}
	res, runErr := w.merge(ctx, j, log)
	if runErr != nil {
		return w.settle(ctx, rj, runErr, log, func(string) { w.deleteShardFiles(ctx, id, log) })
	}
	_, err = w.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: ActorAnnotate,
		Reason: fmt.Sprintf("%d records annotated", res.Records), Result: res})
	if gas.ErrorCode(err) == gas.ECONFLICT {
		log.Info("annotate merge: job changed state while merging; discarding the result", "err", err)
		w.deleteKeys(ctx, log, res.ResultKey, res.SummaryKey)
		w.deleteShardFiles(ctx, id, log)
		return nil
	}
	if err != nil {
		return fmt.Errorf("annotate %s: complete: %w", id, err)
	}
	w.deleteShardFiles(ctx, id, log)
	log.Info("annotate: completed from shards", "records", res.Records, "result_bytes", res.ResultSize)
	return nil
}

// merge writes the result, summary and log of a job whose pieces are all done.
func (w *AnnotateWorker) merge(ctx context.Context, j *gas.Job, log *slog.Logger) (*gas.JobResult, error) {
	shards, err := w.cfg.Shards.JobShards(ctx, j.ID)
	if err != nil {
		return nil, fmt.Errorf("read shards: %w", err)
	}
	if len(shards) == 0 {
		return nil, errors.New("merge of a job that was not split")
	}
	sums := make([]*annotate.Summary, len(shards))
	offsets := make([]int64, len(shards))
	var workers []string
	for i, sh := range shards {
		if sh.State != gas.ShardDone {
			return nil, fmt.Errorf("shard %d is %s, not done", i, sh.State)
		}
		if err := json.Unmarshal([]byte(sh.Summary), &sums[i]); err != nil {
			return nil, fmt.Errorf("shard %d summary: %w", i, err)
		}
		offsets[i] = sh.LineOffset
		if !slices.Contains(workers, sh.Worker) {
			workers = append(workers, sh.Worker)
		}
	}
	resultKey, logKey, summaryKey := ResultKeys(j)
	// The merged result goes to the index build as it is stored, as a
	// whole job's output does (index_inline.go).
	ix := w.startIndex(ctx, log)
	defer ix.abandon() // on every way out; after storeIndex it only waits
	info, merr, putErr := putStream(ctx, w.blobs, resultKey, func(out io.Writer) error {
		if t := ix.tee(); t != nil {
			out = io.MultiWriter(out, t)
		}
		return mergeBGZF(ctx, out, len(shards), func(i int) (io.ReadCloser, error) { return w.blobs.Open(ctx, shards[i].OutputKey) })
	})
	if errors.Is(merr, errHeaderMismatch) {
		// Permanent: the pieces were annotated by different versions.
		return nil, &gas.Error{Code: gas.EINVALID, Err: merr,
			Message: "The pieces of this large job were annotated by different versions of GAS; please submit it again."}
	}
	if merr != nil {
		return nil, fmt.Errorf("merge shards: %w", merr)
	}
	if putErr != nil {
		return nil, fmt.Errorf("store result: %w", putErr)
	}
	sum := mergeSummaries(sums, offsets)
	if err := w.checkRecordCount(ctx, j.ID, sum); err != nil {
		w.deleteKeys(ctx, log, resultKey)
		return nil, err
	}
	elapsed := w.cfg.Now().Sub(j.StartedAt)
	sum.Seconds = elapsed.Seconds()
	sj, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode summary: %w", err)
	}
	if _, err := w.blobs.Put(ctx, summaryKey, strings.NewReader(string(sj))); err != nil {
		return nil, fmt.Errorf("store summary: %w", err)
	}
	note := fmt.Sprintf("shards:   %d, annotated by %d worker process(es): %s", len(shards), len(workers), strings.Join(workers, ", "))
	if err := w.writeLog(ctx, logKey, j, sum, nil, elapsed, note); err != nil {
		return nil, err
	}
	w.storeIndex(ctx, ix, j, log)
	return &gas.JobResult{ResultKey: resultKey, LogKey: logKey, SummaryKey: summaryKey,
		ResultSize: info.Size, ResultSum: info.SHA256, Records: sum.Records, BundleSum: sum.BundleChecksum}, nil
}
