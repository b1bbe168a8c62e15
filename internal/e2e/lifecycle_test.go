package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/refdata"
)

// completedAt reads when a job completed from the stopped server's
// database, with the job's state at that moment.
func completedJob(t *testing.T, dir, id string) *gas.Job {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	j, err := db.JobStore(nil).Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// completeThenStop starts a server with the given Free retention on dir,
// has a new Free user's job complete and stops the server. The archive
// timer must still be pending when the server stops, or the test would
// prove nothing; on a machine too slow for that the retention doubles and
// the attempt repeats on a fresh data dir.
func completeThenStop(t *testing.T, env map[string]string, retention time.Duration) (dir string, c *client, jobID string, result []byte, j *gas.Job) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		dir = t.TempDir()
		env["GAS_FREE_RETENTION"] = retention.String()
		s := startServer(t, dir, env)
		c = signUp(t, s.url, "free@example.org")
		jobID = c.mustUpload("timer.vcf", refdata.DemoVCF())
		c.waitState([]string{jobID}, string(gas.JobCompleted), time.Minute)
		code, body := c.get("/jobs/" + jobID + "/result")
		if code != http.StatusOK || len(body) == 0 {
			t.Fatalf("GET result of the completed job = %d (%d bytes)", code, len(body))
		}
		s.stop()
		j = completedJob(t, dir, jobID)
		if j.State == gas.JobCompleted {
			t.Logf("server stopped %s after the job completed (retention %s)", time.Since(j.CompletedAt).Round(time.Millisecond), retention)
			return dir, c, jobID, body, j
		}
		if attempt == 3 {
			t.Fatalf("job was %s before the server could be stopped, even with a retention of %s", j.State, retention)
		}
		t.Logf("job was already %s when the server stopped; retrying with a longer retention", j.State)
		retention *= 2
	}
}

// checkArchivedDownload: the result of an archived job cannot be
// downloaded (409: the job's state, not the URL, is the problem), the
// refusal says why, and a Free owner's job page says the result is archived
// and offers Premium.
func checkArchivedDownload(t *testing.T, c *client, id string) {
	t.Helper()
	code, page := c.get("/jobs/" + id + "/result")
	if code != http.StatusConflict || !bytes.Contains(page, []byte("moved to the archive")) {
		t.Errorf("GET /jobs/%s/result of an archived job = %d, want 409 saying it moved to the archive\n%.500s", id, code, page)
	}
	code, page = c.get("/jobs/" + id)
	for _, sel := range []string{`id="archived-notice"`, `id="premium-offer"`} {
		if code != http.StatusOK || !bytes.Contains(page, []byte(sel)) {
			t.Errorf("GET /jobs/%s = %d without the element %s", id, code, sel)
		}
	}
}

// waitPast sleeps until at least d after t0: the server is down meanwhile,
// which is the point.
func waitPast(t0 time.Time, d time.Duration) {
	if left := time.Until(t0.Add(d)); left > 0 {
		time.Sleep(left)
	}
}

// TestArchiveTimerSurvivesRestart: a Free user's job completes, the server
// stops before the retention time and starts again after it, and the
// durable timer still archives the result: the job becomes ARCHIVED, the
// result is in <data>/archive/ and its hot copy is gone.
func TestArchiveTimerSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits out the retention across a restart")
	}
	const retention = 3 * time.Second
	env := map[string]string{}
	dir, c, id, _, j := completeThenStop(t, env, retention)
	waitPast(j.CompletedAt, retention+500*time.Millisecond)
	// Nothing moved while no server ran.
	if again := completedJob(t, dir, id); again.State != gas.JobCompleted {
		t.Fatalf("job is %s with no server running", again.State)
	}

	s := startServer(t, dir, env)
	c.use(s)
	took := c.waitState([]string{id}, string(gas.JobArchived), time.Minute)
	t.Logf("archived %s after the restart", took.Round(time.Millisecond))
	checkArchivedDownload(t, c, id)
	s.stop()

	j = completedJob(t, dir, id)
	if j.State != gas.JobArchived || j.ArchivedAt.IsZero() {
		t.Fatalf("job %s: state %s, archived at %v", id, j.State, j.ArchivedAt)
	}
	if !exists(t, archivePath(dir, j.ResultKey)) {
		t.Errorf("no archive object at %s", archivePath(dir, j.ResultKey))
	}
	if exists(t, hotPath(dir, j.ResultKey)) {
		t.Errorf("the hot copy %s is still there after archiving", hotPath(dir, j.ResultKey))
	}
	checkEvent(t, dir, id, gas.JobCompleted, gas.JobArchived, "worker:archive", "")
	// Archiving is silent: the user heard only of the completion.
	checkNotifications(t, dir, c.email, map[string][]gas.NotificationKind{id: {gas.NotifyJobCompleted}})
}

// TestRestoreAfterUpgrade: an archived Free result is restored when its
// owner becomes Premium (set with `gas admin users set-plan` while the
// server is stopped). Expedited retrieval is unavailable, so the standard
// tier is used; the thaw copies it back and the download is byte-identical
// to the one before archiving.
func TestRestoreAfterUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: archive, upgrade and restore through the real binary")
	}
	const retention = 2 * time.Second
	env := map[string]string{
		"GAS_ARCHIVE_EXPEDITED_DELAY": "unavailable",
		"GAS_ARCHIVE_STANDARD_DELAY":  "1s",
	}
	dir, c, id, before, _ := completeThenStop(t, env, retention)
	s := startServer(t, dir, env)
	c.use(s)
	c.waitState([]string{id}, string(gas.JobArchived), time.Minute)
	checkArchivedDownload(t, c, id)
	s.stop()

	out := runGas(t, dir, "admin", "users", "set-plan", c.email, "premium")
	t.Logf("gas admin users set-plan: %s", strings.TrimSpace(out))
	s = startServer(t, dir, env)
	c.use(s)
	took := c.waitState([]string{id}, string(gas.JobCompleted), time.Minute)
	t.Logf("restored %s after the restart", took.Round(time.Millisecond))
	waitOutbox(t, dir, 2, time.Minute)
	code, after := c.get("/jobs/" + id + "/result")
	if code != http.StatusOK || !bytes.Equal(before, after) {
		t.Errorf("GET result after restore = %d, %d bytes; identical to the %d bytes before archiving: %v",
			code, len(after), len(before), bytes.Equal(before, after))
	}
	s.stop()

	j := completedJob(t, dir, id)
	if exists(t, archivePath(dir, j.ResultKey)) {
		t.Errorf("the archive copy %s is still there after the thaw", archivePath(dir, j.ResultKey))
	}
	if got := fileSHA256(t, hotPath(dir, j.ResultKey)); got != j.ResultSum {
		t.Errorf("restored result SHA-256 %s, recorded %s", got, j.ResultSum)
	}
	checkEvent(t, dir, id, gas.JobArchived, gas.JobRestoring, "worker:restore", "standard")
	checkEvent(t, dir, id, gas.JobRestoring, gas.JobCompleted, "worker:thaw", "")
	checkNotifications(t, dir, c.email, map[string][]gas.NotificationKind{id: {gas.NotifyJobCompleted, gas.NotifyJobRestored}})
	checkEML(t, dir, id, "available again")
}

// checkEvent requires exactly one event from -> to by actor whose reason
// contains the given words.
func checkEvent(t *testing.T, dir, id string, from, to gas.JobState, actor, words string) {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	evs, err := db.JobStore(nil).Events(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	var hist []string
	for _, e := range evs {
		hist = append(hist, fmt.Sprintf("%s->%s %s %q", e.From, e.To, e.Actor, e.Reason))
		if e.From == from && e.To == to && e.Actor == actor && strings.Contains(e.Reason, words) {
			n++
		}
	}
	if n != 1 {
		t.Errorf("job %s: %d events %s->%s by %s mentioning %q, want 1; events:\n%s",
			id, n, from, to, actor, words, strings.Join(hist, "\n"))
	}
}
