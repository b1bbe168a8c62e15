package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// TestNotifyAdminCommands lists the outbox and requeues a failed delivery
// through the command line, on a real SQLite data dir.
func TestNotifyAdminCommands(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	env := []string{"GAS_DATA_DIR=" + dir}
	if code, out, errOut := run(t, env, "migrate"); code != 0 {
		t.Fatalf("migrate: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, env, "admin", "users", "create", "ada@example.org"); code != 0 {
		t.Fatalf("create: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, env, "admin", "notifications", "--failed"); code != 0 || !strings.Contains(out, "no failed notifications") {
		t.Fatalf("empty failed list: %d\n%s", code, out)
	}

	db := sqldbtest.OpenDataDir(t, dir)
	u, err := db.UserByEmail(ctx, "ada@example.org")
	if err != nil {
		t.Fatal(err)
	}
	add := func(subject string) *gas.Notification {
		n := &gas.Notification{UserID: u.ID, JobID: "job-1", Kind: gas.NotifyJobCompleted, To: u.Email, Subject: subject, Body: "b"}
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.InsertNotificationTx(ctx, tx, n); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		return n
	}
	pending := add("still trying")
	failed := add("gave up")
	if err := db.RecordNotificationFailure(ctx, failed.ID, "dial tcp 127.0.0.1:25:\n connection refused", true); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := run(t, env, "admin", "notifications")
	if code != 0 || !strings.Contains(out, "LAST ERROR") || strings.Count(out, "job_completed") != 2 {
		t.Fatalf("list: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, env, "admin", "notifications", "--failed")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 || !strings.HasPrefix(lines[1], fmt.Sprint(failed.ID)+" ") ||
		!strings.Contains(lines[1], "FAILED") || !strings.Contains(lines[1], "127.0.0.1:25: connection refused") {
		t.Fatalf("failed list: %d\n%s", code, out)
	}

	code, out, errOut = run(t, env, "admin", "notifications", "retry", fmt.Sprint(failed.ID))
	if code != 0 || !strings.Contains(out, "queued again") {
		t.Fatalf("retry: %d\n%s%s", code, out, errOut)
	}
	n, err := db.Notification(ctx, failed.ID)
	if err != nil || n.State != gas.DeliveryPending || n.Attempts != 0 {
		t.Fatalf("after retry: %+v, %v", n, err)
	}
	var queued int
	err = db.SQL().QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE queue = 'notify' AND kind = 'gas_notify'
		AND json_extract(json(args), '$.id') = ?`, failed.ID).Scan(&queued)
	if err != nil || queued != 1 {
		t.Fatalf("queued delivery jobs: %d, %v", queued, err)
	}

	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{fmt.Sprint(failed.ID)}, 1, "Only a failed notification can be retried"},
		{[]string{fmt.Sprint(pending.ID)}, 1, "this one is PENDING"},
		{[]string{"999"}, 1, "Notification not found"},
		{[]string{"x"}, 2, "must be a positive whole number"},
		{nil, 2, "expected exactly one notification ID"},
	} {
		code, _, errOut := run(t, env, append([]string{"admin", "notifications", "retry"}, c.args...)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("retry %v: exit %d\n%s\nwant %d mentioning %q", c.args, code, errOut, c.code, c.want)
		}
	}
	if code, _, errOut := run(t, env, "admin", "notifications", "--limit", "0"); code != 2 || !strings.Contains(errOut, "--limit") {
		t.Errorf("bad limit: %d %s", code, errOut)
	}
}

// TestAdminJobsCommands: list accounts and jobs of a running server's data
// dir, then retry a failed job, which the server's workers take again.
func TestAdminJobsCommands(t *testing.T) {
	t.Parallel()
	s := startServe(t)
	c := newClient(t)
	signUp(t, c, s.url, "ops@example.org")
	ctx := context.Background()
	db := sqldbtest.OpenDataDir(t, s.dir)
	u, err := db.UserByEmail(ctx, "ops@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ins, err := jobs.NewInserter(db.RiverDriver(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A job whose input is missing fails with a readable reason.
	j := &gas.Job{UserID: u.ID, InputName: "gone.vcf", InputKey: fmt.Sprintf("user/%d/x/gone.vcf", u.ID), Bundle: "demo"}
	if err := db.JobStore(ins).CreateJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	if state := waitJob(t, c, s.url, j.ID); state != "FAILED" {
		t.Fatalf("job ended %s", state)
	}
	dd := "--data-dir=" + s.dir
	if code, out, errOut := run(t, nil, "admin", "users", "list", dd); code != 0 || !strings.Contains(out, "ops@example.org") || !strings.Contains(out, "1 of 1 accounts") {
		t.Fatalf("users list = %d\n%s%s", code, out, errOut)
	}
	code, out, errOut := run(t, nil, "admin", "jobs", "--state", "failed", dd)
	if code != 0 || !strings.Contains(out, j.ID) || !strings.Contains(out, "missing") {
		t.Fatalf("jobs --state failed = %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, nil, "admin", "jobs", "retry", j.ID, dd); code != 0 || !strings.Contains(out, "queued again") {
		t.Fatalf("retry = %d\n%s%s", code, out, errOut)
	}
	// The workers run it again (and it fails again: the input is still gone).
	deadline := time.Now().Add(30 * time.Second)
	for {
		evs, err := db.JobStore(ins).Events(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(evs); n >= 5 && evs[n-1].To == gas.JobFailed && evs[n-3].Reason == "retried" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("events after retry: %+v", evs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _, errOut := run(t, nil, "admin", "jobs", "retry", "no-such-job", dd); code != 1 || !strings.Contains(errOut, "not found") {
		t.Fatalf("retry of a missing job = %d %q", code, errOut)
	}
}
