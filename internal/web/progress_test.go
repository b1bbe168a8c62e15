package web

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// vcfWith is a small VCF of n records on chromosome 1.
func vcfWith(n int) []byte {
	var b strings.Builder
	b.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for i := range n {
		fmt.Fprintf(&b, "1\t%d\t.\tA\tG\t.\t.\t.\n", 1000+i)
	}
	return []byte(b.String())
}

// TestProgressLive follows a job through the states the live pages show:
// the queue place while PENDING, records of the upload's count while
// RUNNING (status JSON, job page, list), and the final count at COMPLETED.
func TestProgressLive(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("live@example.org", "live progress password")
	first := jobIDFrom(t, c.upload("a.vcf", vcfWith(3), "all"))
	f.clock.Add(time.Second)
	second := jobIDFrom(t, c.upload("b.vcf", vcfWith(40), "all"))

	// PENDING: position 2, one ahead; no estimate without completed jobs.
	st := status(t, c, second)
	if st.RecordsTotal != 40 || st.RecordsDone != 0 || st.QueuePosition != 2 || st.EstimatedStart != nil || st.BadgeClass != "text-bg-secondary" {
		t.Fatalf("pending status: %+v", st)
	}
	if !strings.Contains(st.ProgressText, "Position 2 in the queue (1 ahead)") {
		t.Fatalf("pending text %q", st.ProgressText)
	}
	doc := c.get("/jobs/" + second).doc(t)
	if got := text(find(doc, "#progress-text")); got != st.ProgressText {
		t.Fatalf("page says %q, status %q", got, st.ProgressText)
	}

	// The first job runs 10 s and completes: a recent throughput of one
	// job of 10 s, so the second now starts next, and a third waits ~10 s.
	if _, err := f.jobs.TransitionJob(ctx, first, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(10 * time.Second)
	completeRunning(t, f, first, 3)
	third := jobIDFrom(t, c.upload("c.vcf", vcfWith(5), "all"))
	if st := status(t, c, second); st.QueuePosition != 1 || !strings.Contains(st.ProgressText, "Next in the queue") {
		t.Fatalf("second after the first completed: %+v", st)
	}
	st = status(t, c, third)
	if st.QueuePosition != 2 || st.EstimatedStart == nil || !st.EstimatedStart.Equal(f.clock.Now().Add(10*time.Second)) ||
		!strings.Contains(st.ProgressText, "estimated start in about 0:10") {
		t.Fatalf("third: %+v (now %v)", st, f.clock.Now())
	}

	// RUNNING: 10 of 40 records after 5 s → 25 %, 15 s left at that pace.
	if _, err := f.jobs.TransitionJob(ctx, second, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Add(5 * time.Second)
	if err := f.db.ReportProgress(ctx, second, 10, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	st = status(t, c, second)
	if st.RecordsDone != 10 || st.RecordsTotal != 40 || st.Percent != 25 || st.Elapsed != 5 || st.ETA != 15 || st.Terminal {
		t.Fatalf("running status: %+v", st)
	}
	if want := "10 of 40 records (25%) · 0:05 elapsed · about 0:15 left"; st.ProgressText != want {
		t.Fatalf("running text %q, want %q", st.ProgressText, want)
	}
	doc = c.get("/jobs/" + second).doc(t)
	bar := find(doc, "#progress [data-progress-bar]")
	if attr(bar, "aria-valuenow") != "25" || attr(bar, "data-percent") != "25" || attr(bar, "role") != "progressbar" {
		t.Fatalf("progress bar attributes: now %q percent %q", attr(bar, "aria-valuenow"), attr(bar, "data-percent"))
	}
	row := find(c.get("/jobs").doc(t), "tr[data-job-id="+second+"]")
	if attr(find(row, "[data-progress-bar]"), "data-percent") != "25" || text(find(row, "[data-progress-count]")) != "10 / 40" {
		t.Fatalf("list row: %q", text(row))
	}

	// COMPLETED: the bar is gone; the count and time stay as text.
	f.clock.Add(15 * time.Second)
	completeRunning(t, f, second, 40)
	st = status(t, c, second)
	if !st.Terminal || st.RecordsDone != 40 || st.Percent != 100 || st.BadgeClass != "text-bg-success" {
		t.Fatalf("completed status: %+v", st)
	}
	doc = c.get("/jobs/" + second).doc(t)
	if find(doc, "#progress") != nil {
		t.Fatal("a completed job still shows a progress bar")
	}
	if got := text(find(doc, "#progress-text")); got != "40 records annotated in 0:20." {
		t.Fatalf("completed text %q", got)
	}
}

// completeRunning records the completion of a RUNNING job (no files: the
// live pages only read the row).
func completeRunning(t *testing.T, f *fixture, id string, records int64) {
	t.Helper()
	if _, err := f.jobs.TransitionJob(context.Background(), id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "test",
		Result: &gas.JobResult{ResultKey: "r", LogKey: "l", SummaryKey: "", Records: records}}); err != nil {
		t.Fatal(err)
	}
}

func TestUntilAndDigits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for d, want := range map[time.Duration]string{
		-time.Second:                 "now",
		30 * time.Second:             "in less than a minute",
		time.Minute:                  "in 1 minute",
		90 * time.Minute:             "in 1 hour 30 minutes",
		(6*24 + 3) * time.Hour:       "in 6 days 3 hours",
		24*time.Hour + 2*time.Minute: "in 1 day 0 hours",
		2*time.Hour + 59*time.Second: "in 2 hours 0 minutes",
	} {
		if got := until(now.Add(d), now); got != want {
			t.Errorf("until(+%s) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}
