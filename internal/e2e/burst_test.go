package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
	"github.com/gas-project/gas/refdata"
)

// TestBurst500Jobs submits 500 uploads concurrently over HTTP to one running
// gas serve and proves none is lost or doubled: every job reaches
// COMPLETED, has exactly one result object (whose checksum is the one
// recorded) and exactly one notification, and nothing is left queued or
// running.
func TestBurst500Jobs(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 500 jobs through the real binary")
	}
	burst(t, map[string]string{})
}

// TestBurst500JobsPostgres is the same burst with the database and queue on
// PostgreSQL (River's database/sql driver), as a scaled-out GAS runs; it
// needs GAS_TEST_POSTGRES_URL.
func TestBurst500JobsPostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: 500 jobs through the real binary")
	}
	burst(t, map[string]string{"GAS_DATABASE_URL": sqldbtest.PostgresURL(t)})
}

func burst(t *testing.T, env map[string]string) {
	const (
		jobs        = 500
		concurrency = 50 // in-flight uploads: a busy browser fleet on a 2-core box
	)
	dir := t.TempDir()
	// Long enough that no Free result is archived during the test.
	env["GAS_FREE_RETENTION"] = "1h"
	// The default number of workers, as a user gets it (the harness pins 2).
	env["GAS_WORKERS"] = ""
	s := startServer(t, dir, env)
	c := signUp(t, s.url, "burst@example.org")
	input := refdata.DemoVCF()

	names := make([]string, jobs)
	files := make([][]byte, jobs)
	for i := range jobs {
		names[i], files[i] = fmt.Sprintf("burst-%03d.vcf", i), input
	}

	start := time.Now()
	ids := c.uploadAll(names, files, concurrency)
	submitted := time.Since(start)
	c.waitState(ids, string(gas.JobCompleted), 5*time.Minute)
	total := time.Since(start)
	t.Logf("burst (%s): %d jobs submitted in %s (%d at once), all COMPLETED after %s: %.1f jobs/s",
		dbKind(env), jobs, submitted.Round(time.Millisecond), concurrency, total.Round(time.Millisecond), float64(jobs)/total.Seconds())

	// Exactly one email per job: the outbox row is written with the
	// COMPLETED change, so no burst can drop or double it.
	waitOutbox(t, dir, jobs, time.Minute)
	s.stop()
	checkAllCompleted(t, dir, c.email, ids)
	want := map[string][]gas.NotificationKind{}
	for _, id := range ids {
		want[id] = []gas.NotificationKind{gas.NotifyJobCompleted}
	}
	checkNotifications(t, dir, c.email, want)
	checkEML(t, dir, ids[0], "is complete", "burst-000.vcf")
}

// dbKind names the database a server env selects, for log lines.
func dbKind(env map[string]string) string {
	if env["GAS_DATABASE_URL"] != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// checkAllCompleted checks a stopped server's data dir: exactly the jobs
// ids exist and are COMPLETED, each with exactly one result object whose
// SHA-256 is the one the job recorded, no unfinished write left behind, and
// no annotation left queued, running or waiting for a retry.
func checkAllCompleted(t *testing.T, dir, email string, ids []string) {
	t.Helper()
	db := openData(t, dir)
	want := map[string]bool{}
	for _, id := range ids {
		if want[id] {
			t.Errorf("job ID %s was handed out twice", id)
		}
		want[id] = true
	}
	all := userJobs(t, db, email)
	if len(all) != len(ids) {
		t.Errorf("database has %d jobs, %d were submitted", len(all), len(ids))
	}
	files, temps := blobFiles(t, dir)
	results := countResults(files)
	byState := map[gas.JobState]int{}
	for _, j := range all {
		byState[j.State]++
		if !want[j.ID] {
			t.Errorf("job %s in the database was never submitted", j.ID)
		}
		if j.State != gas.JobCompleted {
			t.Errorf("job %s is %s (%s), want COMPLETED", j.ID, j.State, j.FailReason)
			continue
		}
		if results[j.ID] != 1 {
			t.Errorf("job %s has %d result objects, want 1 (objects: %v)", j.ID, results[j.ID], files[j.ID])
			continue
		}
		p := fmt.Sprintf("%s/blobs/%s", dir, j.ResultKey)
		if got := fileSHA256(t, p); got != j.ResultSum || j.ResultSum == "" {
			t.Errorf("job %s: result SHA-256 %s, recorded %q", j.ID, got, j.ResultSum)
		}
	}
	if len(results) != len(ids) {
		t.Errorf("%d jobs have a result object, want %d", len(results), len(ids))
	}
	if len(temps) > 0 {
		t.Errorf("unfinished writes left in the blob store: %v", temps)
	}
	rs := riverStates(t, db, "annotate")
	if rs["completed"] != len(ids) || len(rs) != 1 {
		t.Errorf("River annotate jobs by state: %v, want all %d completed", rs, len(ids))
	}
	t.Logf("jobs by state: %v; River annotate jobs: %v", byState, rs)
}
