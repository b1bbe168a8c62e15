package e2e

import (
	"slices"
	"testing"
	"time"
)

// TestSmallJobLatency measures issue 5's service overhead: a 100-record job
// submitted over HTTP to `gas serve` with the embedded defaults, timed from
// the start of the upload to the first status poll that reads COMPLETED
// (polled every 10 ms), one job at a time. It logs the figures for
// docs/benchmarks.md and asserts nothing about time.
func TestSmallJobLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the real binary")
	}
	env := map[string]string{"GAS_WORKERS": ""} // the defaults, not the harness's pinned 2
	s := startServer(t, t.TempDir(), env)
	c := signUp(t, s.url, "latency@example.org")
	input := chr21VCF(100, 5)
	const runs = 20
	var took []time.Duration
	for range runs {
		start := time.Now()
		id := c.mustUpload("small.vcf", input)
		c.waitStatePoll([]string{id}, "COMPLETED", 30*time.Second, 10*time.Millisecond)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	t.Logf("100-record job, upload to COMPLETED, %d runs: min %s, median %s, p90 %s, max %s", runs,
		took[0].Round(time.Millisecond), took[runs/2].Round(time.Millisecond),
		took[runs*9/10].Round(time.Millisecond), took[runs-1].Round(time.Millisecond))
}
