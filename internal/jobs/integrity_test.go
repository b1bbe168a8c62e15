package jobs_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
)

// TestTruncatedInputCountMismatch: the worker compares the records it
// annotated with the upload check's count. An input that lost records in
// storage after the check (here replaced by its first two records, a
// well-formed file the reader cannot tell from a whole one) fails once
// with a reason that gives both numbers, and leaves no result; an input
// that still has every record completes; a job whose count is not known
// (0) completes as before.
func TestTruncatedInputCountMismatch(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, fakeBundles{}, jobs.AnnotateConfig{Annotate: e.engine.annotate, Counts: e.db})
	if err != nil {
		t.Fatal(err)
	}
	three := vcfHeader + "1\t100\t.\tA\tG\t.\t.\t.\n1\t200\t.\tC\tT\t.\t.\t.\n1\t300\t.\tG\tA\t.\t.\t.\n"
	cut := submitCounted(t, e, three, 3)
	// The stored input loses its last record after the check.
	j, _ := e.store.Job(ctx, cut)
	if _, err := e.blobs.Put(ctx, j.InputKey, strings.NewReader(three[:strings.LastIndex(three[:len(three)-1], "\n")+1])); err != nil {
		t.Fatal(err)
	}
	whole := submitCounted(t, e, three, 3)
	unknown := submitCounted(t, e, three, 0)

	for _, id := range []string{cut, whole, unknown} {
		err := w.Work(ctx, riverJob(id, 1))
		var cancel *river.JobCancelError
		if id == cut && !errors.As(err, &cancel) {
			t.Fatalf("short read: Work = %v, want a cancel (no retry)", err)
		}
		if id != cut && err != nil {
			t.Fatalf("Work(%s) = %v", id, err)
		}
	}
	got, _ := e.store.Job(ctx, cut)
	if got.State != gas.JobFailed || !strings.Contains(got.FailReason, "read 2 records but the upload check counted 3") ||
		!strings.Contains(got.FailReason, "no result was kept") {
		t.Fatalf("short read: %s %q", got.State, got.FailReason)
	}
	if _, err := e.blobs.Stat(ctx, got.Key(gas.FileResult)); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("the partial result is still stored: %v", err)
	}
	for _, id := range []string{whole, unknown} {
		if got, _ := e.store.Job(ctx, id); got.State != gas.JobCompleted || got.Records != 3 {
			t.Fatalf("job %s: %s %q, %d records", id, got.State, got.FailReason, got.Records)
		}
	}
}

// submitCounted submits content as a job whose upload check counted n
// records (0: not known).
func submitCounted(t *testing.T, e *env, content string, n int64) string {
	t.Helper()
	j := e.submit(t, content, "demo", "")
	if n > 0 {
		if err := e.db.SetInputRecords(context.Background(), j.ID, n); err != nil {
			t.Fatal(err)
		}
	}
	return j.ID
}
