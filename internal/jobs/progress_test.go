package jobs_test

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/refdata"
)

// recordingProgress passes reports to the real store and keeps them, so
// the test can see the intermediate values a page would have shown.
type recordingProgress struct {
	db   *sqldb.DB
	mu   sync.Mutex
	seen []int64
}

func (r *recordingProgress) ReportProgress(ctx context.Context, id string, n int64, at time.Time) error {
	r.mu.Lock()
	r.seen = append(r.seen, n)
	r.mu.Unlock()
	return r.db.ReportProgress(ctx, id, n, at)
}

// bigDemoVCF repeats the demo's records until there are at least n, so the
// engine writes many blocks and reports progress many times.
func bigDemoVCF(n int) (vcf []byte, records int64) {
	demo := refdata.DemoVCF()
	i := bytes.Index(demo, []byte("\n#CHROM"))
	j := i + 1 + bytes.IndexByte(demo[i+1:], '\n') + 1
	header, body := demo[:j], demo[j:]
	per := int64(bytes.Count(body, []byte("\n")))
	var b bytes.Buffer
	b.Write(header)
	for records < int64(n) {
		b.Write(body)
		records += per
	}
	return b.Bytes(), records
}

// TestProgressReporterRealEngine runs the real engine on the demo bundle
// with the reporter as its progress callback: the store sees rising
// intermediate counts and, when the run stops, the full count.
func TestProgressReporterRealEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(ctx, dir, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	in, total := bigDemoVCF(60_000)
	j := e.submit(t, "unused", "demo", "")
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	rec := &recordingProgress{db: e.db}
	// A tiny period, so this small input shows several intermediate values.
	rep := jobs.NewProgressReporter(rec, time.Millisecond, nil)
	progress, stop := rep.Start(ctx, j.ID)
	if _, err := annotate.Annotate(ctx, bytes.NewReader(in), io.Discard, b, annotate.Options{Workers: 2, Progress: progress}); err != nil {
		t.Fatal(err)
	}
	stop()
	stop() // a second stop is harmless

	rec.mu.Lock()
	seen := append([]int64(nil), rec.seen...)
	rec.mu.Unlock()
	if len(seen) == 0 || seen[len(seen)-1] != total {
		t.Fatalf("reports %v: the last must be the %d records", seen, total)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] {
			t.Fatalf("reports %v do not rise (a repeated value must not be written again)", seen)
		}
	}
	t.Logf("%d reports for %d records: %v", len(seen), total, seen)
	p, err := e.db.JobProgress(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p[j.ID].Records != total {
		t.Fatalf("stored progress %+v, want %d records", p[j.ID], total)
	}
}

// TestProgressReporterNil: a worker without a reporter runs the engine
// without a callback.
func TestProgressReporterNil(t *testing.T) {
	var rep *jobs.ProgressReporter
	progress, stop := rep.Start(context.Background(), "x")
	stop()
	if progress != nil {
		t.Fatal("a nil reporter gave a callback")
	}
}

// TestProgressReporterIgnoresFinishedJob: a late report on a job that is
// no longer RUNNING changes nothing.
func TestProgressReporterIgnoresFinishedJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	j := e.submit(t, vcfText, "demo", "")
	rep := jobs.NewProgressReporter(e.db, time.Hour, nil)
	progress, stop := rep.Start(ctx, j.ID)
	progress(7)
	stop() // flushes 7, but the job is PENDING
	p, err := e.db.JobProgress(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := p[j.ID].Records; got != 0 {
		t.Fatalf("a PENDING job's progress became %d", got)
	}
}

// TestProgressReporterShards: two pieces of a split job running at once
// add their records to the job's count.
func TestProgressReporterShards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := setup(t)
	j := e.submit(t, vcfText, "demo", "")
	if _, err := e.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	rep := jobs.NewProgressReporter(e.db, time.Hour, nil) // only stop writes
	p1, stop1 := rep.StartShard(ctx, j.ID)
	p2, stop2 := rep.StartShard(ctx, j.ID)
	p1(100)
	p2(30)
	stop1()
	p2(70)
	stop2()
	p, err := e.db.JobProgress(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := p[j.ID].Records; got != 170 {
		t.Fatalf("pieces of 100 and 70 records: the job counts %d", got)
	}
}
