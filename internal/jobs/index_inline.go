package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/variantdb"
)

// The variant index is built while the job annotates, from the result as
// the engine writes it (a tee of the output into variantdb.Build) — or, for
// a job annotated in pieces, as the merge writes it — and
// recorded before the job is marked COMPLETED: a completed job can be
// browsed at once, with no index job to wait for. The index is a help, not
// the result: if its build fails, the job completes all the same and the
// index job the completion queues (IndexHook) builds it later; that job
// finds an index already recorded and does nothing otherwise.

// inlineIndex is one index build fed by the annotation's output.
type inlineIndex struct {
	pw   *io.PipeWriter
	dir  string
	path string
	done chan struct{}
	info *variantdb.BuildInfo
	err  error
}

// startIndex starts the index build of a run; nil when the worker does not
// build indexes (AnnotateConfig.Index unset) or cannot make its temporary
// directory (the index job will do it).
func (w *AnnotateWorker) startIndex(ctx context.Context, log *slog.Logger) *inlineIndex {
	if w.cfg.Index == nil {
		return nil
	}
	dir, err := os.MkdirTemp(w.cfg.IndexDir, "gas-index-")
	if err != nil {
		log.Warn("annotate: no inline index", "err", err)
		return nil
	}
	pr, pw := io.Pipe()
	ix := &inlineIndex{pw: pw, dir: dir, path: filepath.Join(dir, "variants.sqlite"), done: make(chan struct{})}
	go func() {
		defer close(ix.done)
		ix.info, ix.err = variantdb.Build(ctx, pr, ix.path, variantdb.BuildOptions{})
		// A failed build stops reading: drain, so the engine's writes to
		// the tee never block on it.
		_, _ = io.Copy(io.Discard, pr)
	}()
	return ix
}

// tee is where the engine's output is copied; nil without an index.
func (ix *inlineIndex) tee() io.Writer {
	if ix == nil {
		return nil
	}
	return ix.pw
}

// abandon stops the build (the run failed) and removes its files; after
// storeIndex it does nothing.
func (ix *inlineIndex) abandon() {
	if ix == nil {
		return
	}
	ix.pw.CloseWithError(errors.New("annotation stopped"))
	<-ix.done
	os.RemoveAll(ix.dir)
}

// store waits for the build, stores the index next to the result and
// records its key. Failures are logged only: the index job retries.
func (w *AnnotateWorker) storeIndex(ctx context.Context, ix *inlineIndex, j *gas.Job, log *slog.Logger) {
	if ix == nil {
		return
	}
	ix.pw.Close()
	<-ix.done
	defer os.RemoveAll(ix.dir)
	if err := w.putIndex(ctx, ix, j); err != nil {
		log.Warn("annotate: inline index failed; the index job will build it", "err", err)
		return
	}
	log.Info("annotate: index built", "records", ix.info.Records, "bytes", ix.info.Bytes, "elapsed", ix.info.Elapsed)
}

func (w *AnnotateWorker) putIndex(ctx context.Context, ix *inlineIndex, j *gas.Job) error {
	if ix.err != nil {
		return ix.err
	}
	f, err := os.Open(ix.path)
	if err != nil {
		return fmt.Errorf("open built index: %w", err)
	}
	defer f.Close()
	key := j.Key(gas.FileIndex)
	if _, err := w.blobs.Put(ctx, key, f); err != nil {
		return fmt.Errorf("store index: %w", err)
	}
	if err := w.cfg.Index.SetIndexKey(ctx, j.ID, key); err != nil {
		return fmt.Errorf("record index: %w", err)
	}
	return nil
}
