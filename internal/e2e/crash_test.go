package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sharedtest"
)

// TestCrash50Jobs submits 50 jobs, SIGKILLs gas serve while jobs are
// RUNNING, starts it again on the same data dir and proves that every job
// completes exactly once: one full result each, nothing left RUNNING, and
// the interrupted jobs' events show the resumed run.
func TestCrash50Jobs(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: kills and restarts the real binary")
	}
	const (
		jobs    = 50
		records = 40_000 // a few hundred ms of work each on the demo bundle
	)
	dir := t.TempDir()
	env := map[string]string{
		"GAS_FREE_UPLOAD_LIMIT": "10MB",
		"GAS_FREE_RETENTION":    "1h",
	}
	s := startServer(t, dir, env)
	c := signUp(t, s.url, "crash@example.org")

	names := make([]string, jobs)
	files := make([][]byte, jobs)
	for i := range jobs {
		names[i], files[i] = fmt.Sprintf("crash-%02d.vcf.gz", i), sharedtest.Gzip(t, chr21VCF(records, uint64(i)))
	}
	ids := c.uploadAll(names, files, 8)

	// Kill while the database says some job is RUNNING. The status seen over
	// HTTP may be stale by the time SIGKILL lands, so the database of the
	// dead server is the judge; in the rare case no job was caught mid-run,
	// start again and retry.
	var interrupted []string
	for round := 1; len(interrupted) == 0; round++ {
		if round > 5 {
			t.Fatal("never caught a job RUNNING at the moment of SIGKILL in 5 tries")
		}
		// Some jobs done, some running, the rest queued: every kind of
		// job the restart must handle.
		if !waitAnyRunning(t, c, ids, 5, time.Minute) {
			t.Fatal("every job finished before one could be seen RUNNING: make the inputs larger")
		}
		s.kill()
		var states map[gas.JobState]int
		interrupted, states = runningJobs(t, dir, c.email)
		t.Logf("round %d: SIGKILL with jobs %v; RUNNING: %v", round, states, interrupted)
		s = startServer(t, dir, env)
		c.use(s)
	}

	took := c.waitState(ids, string(gas.JobCompleted), 3*time.Minute)
	t.Logf("after the restart all %d jobs COMPLETED within %s", jobs, took.Round(time.Millisecond))
	// A notification whose delivery was cut by the kill is sent after the
	// restart, and none twice.
	waitOutbox(t, dir, jobs, 2*time.Minute)
	s.stop()
	checkAllCompleted(t, dir, c.email, ids)
	want := map[string][]gas.NotificationKind{}
	for _, id := range ids {
		want[id] = []gas.NotificationKind{gas.NotifyJobCompleted}
	}
	checkNotifications(t, dir, c.email, want)

	db := openData(t, dir)
	store := db.JobStore(nil)
	ctx := context.Background()
	byID := map[string]*gas.Job{}
	for _, j := range userJobs(t, db, c.email) {
		byID[j.ID] = j
		if j.Records != records {
			t.Errorf("job %s annotated %d records, want %d", j.ID, j.Records, records)
		}
	}
	// The redone results are whole files, not a first attempt's prefix.
	for _, id := range interrupted {
		b, err := os.ReadFile(hotPath(dir, byID[id].ResultKey))
		if err != nil {
			t.Fatal(err)
		}
		if n := len(annLines(t, b)); n != records {
			t.Errorf("interrupted job %s: result has %d records, want %d", id, n, records)
		}
	}
	for _, id := range interrupted {
		evs, err := store.Events(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		resumed, completed := 0, 0
		var hist []string
		for _, e := range evs {
			hist = append(hist, fmt.Sprintf("%s->%s %s %q", e.From, e.To, e.Actor, e.Reason))
			if e.From == gas.JobRunning && e.To == gas.JobRunning && e.Actor == "worker:annotate" &&
				strings.Contains(e.Reason, "resumes an interrupted run") {
				resumed++
			}
			if e.To == gas.JobCompleted {
				completed++
			}
		}
		if resumed == 0 || completed != 1 {
			t.Errorf("interrupted job %s: %d resume event(s), %d completion(s), want >=1 and 1; events:\n%s",
				id, resumed, completed, strings.Join(hist, "\n"))
		}
	}
}

// waitAnyRunning polls the jobs' status until one is RUNNING while at least
// minDone are COMPLETED; false when all are terminal first.
func waitAnyRunning(t *testing.T, c *client, ids []string, minDone int, timeout time.Duration) bool {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		terminal, done, running := 0, 0, 0
		for _, id := range ids {
			st, err := c.status(id)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case st.State == string(gas.JobRunning):
				running++
			case st.State == string(gas.JobCompleted):
				done++
			}
			if st.Terminal {
				terminal++
			}
		}
		if running > 0 && done >= minDone {
			return true
		}
		if terminal == len(ids) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no job RUNNING within %s", timeout)
	return false
}

// runningJobs reads, from a dead server's database, the jobs it left
// RUNNING, and how many jobs were in each state.
func runningJobs(t *testing.T, dir, email string) ([]string, map[gas.JobState]int) {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	var out []string
	states := map[gas.JobState]int{}
	for _, j := range userJobs(t, db, email) {
		states[j.State]++
		if j.State == gas.JobRunning {
			out = append(out, j.ID)
		}
	}
	return out, states
}
