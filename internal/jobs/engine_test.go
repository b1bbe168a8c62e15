package jobs_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
)

// TestAnnotateWorkerRealEngine runs the real engine on the demo bundle: good
// input completes, and each kind of bad input fails once with a reason the
// user can read, instead of being retried as if the server were at fault.
func TestAnnotateWorkerRealEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	bundles := demoBundles(t)
	w, err := jobs.NewAnnotateWorker(e.store, e.blobs, bundles,
		jobs.AnnotateConfig{MaxInputBytes: 1 << 20, EngineWorkers: 2})
	if err != nil {
		t.Fatal(err)
	}
	demo := refdata.DemoVCF()
	header := demo[:bytes.Index(demo, []byte("\n#CHROM"))+1]
	header = append(header, demo[len(header):len(header)+bytes.IndexByte(demo[len(header):], '\n')+1]...)
	bomb := sharedtest.Gzip(t, append(append([]byte{}, header...), bytes.Repeat([]byte("1\t100\t.\tA\tG\t.\t.\t.\n"), 200_000)...))

	cases := []struct {
		name    string
		content []byte
		state   gas.JobState
		reason  string
	}{
		{"demo", demo, gas.JobCompleted, ""},
		{"demo gzip", sharedtest.Gzip(t, demo), gas.JobCompleted, ""},
		{"zero variants", header, gas.JobCompleted, ""},
		{"binary", bytes.Repeat([]byte{0, 1, 2, 0xff, 0xfe}, 1000), gas.JobFailed, "could not be annotated"},
		{"truncated gzip", sharedtest.Gzip(t, demo)[:200], gas.JobFailed, "could not be annotated"},
		{"gzip bomb", bomb, gas.JobFailed, "could not be annotated"},
		{"no header", []byte("1\t100\t.\tA\tG\t.\t.\t.\n"), gas.JobFailed, "could not be annotated"},
	}
	for _, c := range cases {
		j := e.submit(t, string(c.content), "demo", "")
		err := w.Work(ctx, riverJob(j.ID, 1))
		got, gerr := e.store.Job(ctx, j.ID)
		if gerr != nil {
			t.Fatal(gerr)
		}
		if got.State != c.state || !strings.Contains(got.FailReason, c.reason) {
			t.Errorf("%s: state %s reason %q (err %v)", c.name, got.State, got.FailReason, err)
			continue
		}
		var cancel *river.JobCancelError
		if c.state == gas.JobFailed && !errors.As(err, &cancel) {
			t.Errorf("%s: err %v, want JobCancel (no retry)", c.name, err)
		}
		if c.state == gas.JobCompleted && (err != nil || got.BundleSum == "" || got.ResultSize == 0) {
			t.Errorf("%s: err %v, job %+v", c.name, err, got)
		}
		t.Logf("%s: %s %s", c.name, got.State, got.FailReason)
	}
}
