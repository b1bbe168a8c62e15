package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/refdata"
)

// storedJob reads a job from a stopped server's database.
func storedJob(t *testing.T, dir, id string) *gas.Job {
	t.Helper()
	db := openData(t, dir)
	defer db.Close()
	j, err := db.JobStore(nil).Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// stoppedRun is what completeThenStop leaves: a stopped server's data dir,
// its Free user, their completed job, the result downloaded before any
// archiving, and the retention the server ran with.
type stoppedRun struct {
	dir       string
	c         *client
	id        string
	result    []byte
	job       *gas.Job
	retention time.Duration
}

// completeThenStop starts a server with the given Free retention on a new
// data dir, has a new Free user's job complete and stops the server. The
// archive timer must still be pending when the server stops, or the test
// would prove nothing; on a machine too slow for that the retention
// doubles and the attempt repeats on a fresh data dir. env keeps the
// retention used, for the next start. With kill the server gets SIGKILL
// instead of a graceful stop.
func completeThenStop(t *testing.T, env map[string]string, retention time.Duration, kill bool) stoppedRun {
	t.Helper()
	for attempt := 1; ; attempt++ {
		dir := t.TempDir()
		env["GAS_FREE_RETENTION"] = retention.String()
		s := startServer(t, dir, env)
		c := signUp(t, s.url, "free@example.org")
		id := c.mustUpload("timer.vcf", refdata.DemoVCF())
		c.waitState([]string{id}, string(gas.JobCompleted), time.Minute)
		code, body := c.get("/jobs/" + id + "/result")
		if code != http.StatusOK || len(body) == 0 {
			t.Fatalf("GET result of the completed job = %d (%d bytes)", code, len(body))
		}
		if kill {
			s.kill()
		} else {
			s.stop()
		}
		j := storedJob(t, dir, id)
		if j.State == gas.JobCompleted {
			t.Logf("server stopped %s after the job completed (retention %s)", time.Since(j.CompletedAt).Round(time.Millisecond), retention)
			return stoppedRun{dir: dir, c: c, id: id, result: body, job: j, retention: retention}
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

// readZstd decompresses a zstd file (the local archive's format).
func readZstd(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("archive object: %v", err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// waitPast sleeps until at least d after t0: the server is down meanwhile,
// which is the point.
func waitPast(t0 time.Time, d time.Duration) {
	if left := time.Until(t0.Add(d)); left > 0 {
		time.Sleep(left)
	}
}

// TestArchiveTimerSurvivesRestart: a Free user's job completes, the server
// stops (gracefully, or killed) before the retention time and starts again
// after it, and the durable timer still archives the result: the job
// becomes ARCHIVED, the result is in <data>/archive/ and its hot copy is
// gone, and the user got exactly one email.
func TestArchiveTimerSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: waits out the retention across a restart")
	}
	t.Run("SIGTERM", func(t *testing.T) { archiveAcrossRestart(t, false) })
	t.Run("SIGKILL", func(t *testing.T) { archiveAcrossRestart(t, true) })
}

func archiveAcrossRestart(t *testing.T, kill bool) {
	env := map[string]string{}
	run := completeThenStop(t, env, 3*time.Second, kill)
	dir, c, id := run.dir, run.c, run.id
	waitPast(run.job.CompletedAt, run.retention+500*time.Millisecond)
	// Nothing moved while no server ran.
	if again := storedJob(t, dir, id); again.State != gas.JobCompleted {
		t.Fatalf("job is %s with no server running", again.State)
	}

	s := startServer(t, dir, env)
	c.use(s)
	// A generous bound: after a SIGKILL, River's scheduler (which releases
	// the timer's job) waits for the dead process's leader lease to expire,
	// about 20 s.
	took := c.waitState([]string{id}, string(gas.JobArchived), 2*time.Minute)
	t.Logf("archived %s after the restart", took.Round(time.Millisecond))
	checkArchivedDownload(t, c, id)
	s.stop()

	j := storedJob(t, dir, id)
	if j.State != gas.JobArchived || j.ArchivedAt.IsZero() {
		t.Fatalf("job %s: state %s, archived at %v", id, j.State, j.ArchivedAt)
	}
	// The archive copy, read independently of the archive's own code, is
	// the result the user downloaded before.
	if got := readZstd(t, archivePath(dir, j.ResultKey)); !bytes.Equal(got, run.result) {
		t.Errorf("archive copy: %d bytes, not the %d bytes downloaded before archiving", len(got), len(run.result))
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
// to the one before archiving. After a downgrade the restored result stays
// while a new one is archived again.
func TestRestoreAfterUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: archive, upgrade and restore through the real binary")
	}
	env := map[string]string{
		"GAS_ARCHIVE_EXPEDITED_DELAY": "unavailable",
		"GAS_ARCHIVE_STANDARD_DELAY":  "1s",
	}
	run := completeThenStop(t, env, 2*time.Second, false)
	dir, c, id, before := run.dir, run.c, run.id, run.result
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

	j := storedJob(t, dir, id)
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

	// A downgrade (as billing will make): new results follow the Free
	// retention again, the restored one stays. Its retention ran out long
	// ago, so an archive queued for it would run at once, well before the
	// new job's; once the new job is ARCHIVED the restored one has stayed.
	runGas(t, dir, "admin", "users", "set-plan", c.email, "free")
	s = startServer(t, dir, env)
	c.use(s)
	newID := c.mustUpload("after-downgrade.vcf", refdata.DemoVCF())
	c.waitState([]string{newID}, string(gas.JobArchived), 2*time.Minute)
	if st, err := c.status(id); err != nil || st.State != string(gas.JobCompleted) {
		t.Errorf("restored job after a downgrade: %+v, %v; want COMPLETED", st, err)
	}
	if code, again := c.get("/jobs/" + id + "/result"); code != http.StatusOK || !bytes.Equal(again, before) {
		t.Errorf("GET result of the restored job after a downgrade = %d, %d bytes", code, len(again))
	}
	waitOutbox(t, dir, 3, time.Minute)
	s.stop()
	checkEvent(t, dir, id, gas.JobCompleted, gas.JobArchived, "worker:archive", "")
	checkNotifications(t, dir, c.email, map[string][]gas.NotificationKind{
		id:    {gas.NotifyJobCompleted, gas.NotifyJobRestored},
		newID: {gas.NotifyJobCompleted},
	})
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
