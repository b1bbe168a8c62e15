package notify_test

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/notify"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/internal/sqldb/sqldbtest"
)

// startDelivery runs the notify queue on a River client of its own, as
// jobs.Runner would with notify's Queues and Register.
func startDelivery(t *testing.T, f *fixture) *river.Client[*sql.Tx] {
	t.Helper()
	workers := river.NewWorkers()
	if err := f.svc.Register(workers); err != nil {
		t.Fatal(err)
	}
	c, err := river.NewClient(f.db.RiverDriver(), &river.Config{
		Queues:            f.svc.Queues(),
		Workers:           workers,
		FetchPollInterval: 50 * time.Millisecond,
		FetchCooldown:     10 * time.Millisecond,
		PollOnly:          true,
		Logger:            slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = c.Stop(stop)
		cancel()
	})
	return c
}

// waitRow polls the outbox row until ok holds; the limit only stops a
// broken test from hanging.
func waitRow(t *testing.T, f *fixture, id int64, what string, ok func(*gas.Notification) bool) *gas.Notification {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		n, err := f.db.Notification(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(n) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("notification %d never got %s: %+v", id, what, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSMTPDownThenUpDeliversOnce: the mail server is down when a job
// completes; the delivery fails, is recorded and retried with backoff; once
// a server listens on the port the mail arrives exactly once, and a
// re-run of the delivery job sends nothing more.
func TestSMTPDownThenUpDeliversOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	port := freePort(t) // nothing listens here yet: connections are refused
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{
		SMTPURL:     fmt.Sprintf("smtp://ada:%s@127.0.0.1:%d%s", testPassword, port, mailServerAuth()),
		MaxAttempts: 1000, // the server comes up long before this runs out
		RetryBase:   50 * time.Millisecond,
		RetryMax:    100 * time.Millisecond,
		Timeout:     5 * time.Second,
	})
	client := startDelivery(t, f)
	completed, unsubscribe := client.Subscribe(river.EventKindJobCompleted)
	defer unsubscribe()

	j := f.runningJob(t, "trio.vcf")
	if _, err := complete(ctx, f, j.ID); err != nil {
		t.Fatal(err)
	}
	ns, _, err := f.db.ListNotifications(ctx, f.user.ID, gas.Page{})
	if err != nil || len(ns) != 1 {
		t.Fatalf("outbox: %v, %v", ns, err)
	}
	id := ns[0].ID
	down := waitRow(t, f, id, "two failed attempts", func(n *gas.Notification) bool { return n.Attempts >= 2 })
	if down.State != gas.DeliveryPending || down.LastError == "" {
		t.Fatalf("while the server is down: %+v", down)
	}
	t.Logf("while down: %d attempts, last error %q", down.Attempts, down.LastError)

	srv := startMailServer(t, port)
	sent := waitRow(t, f, id, "SENT", func(n *gas.Notification) bool { return n.State == gas.DeliverySent })
	if sent.SentAt.IsZero() || sent.Attempts < 2 {
		t.Fatalf("after delivery: %+v", sent)
	}
	messageID := fmt.Sprintf("gas-notification-%d@example.org", id)
	if n := srv.count(t, messageID); n != 1 {
		t.Fatalf("server holds %d messages with Message-ID %s, want 1", n, messageID)
	}

	// A re-run of the delivery (as after a crash) finds the row SENT and
	// sends nothing. It is inserted without the uniqueness that would
	// otherwise skip it, and we wait until River reports it completed.
	drain(completed)
	tx, err := f.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.ins.InsertTx(ctx, tx, notify.NotifyArgs{ID: id}, &river.InsertOpts{Queue: notify.Queue}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, completed, id)
	if n := srv.count(t, messageID); n != 1 {
		t.Fatalf("after a re-run the server holds %d messages, want 1", n)
	}
}

// drain empties an event channel of what happened before.
func drain(ch <-chan *river.Event) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

// waitCompleted waits for River to report a delivery job of the
// notification completed.
func waitCompleted(t *testing.T, ch <-chan *river.Event, id int64) {
	t.Helper()
	timeout := time.After(45 * time.Second)
	want := fmt.Sprintf(`{"id":%d}`, id)
	for {
		select {
		case ev := <-ch:
			if ev.Job != nil && ev.Job.Kind == (notify.NotifyArgs{}).Kind() && string(ev.Job.EncodedArgs) == want {
				return
			}
		case <-timeout:
			t.Fatal("the re-run delivery job never completed")
		}
	}
}

// TestSMTPPermanentRefusalFailsAtOnce: a 5xx refusal of the recipient is
// not retried; the row is FAILED after one attempt with the server's answer.
func TestSMTPPermanentRefusalFailsAtOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	port := freePort(t)
	srv := serveGoSMTP(t, port, &goSMTP{rejectRcpt: true})
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{
		SMTPURL:   fmt.Sprintf("smtp://ada:%s@127.0.0.1:%d", testPassword, port),
		RetryBase: 50 * time.Millisecond, RetryMax: 100 * time.Millisecond, Timeout: 5 * time.Second,
	})
	startDelivery(t, f)
	j := f.runningJob(t, "trio.vcf")
	if _, err := complete(ctx, f, j.ID); err != nil {
		t.Fatal(err)
	}
	ns, _, err := f.db.ListNotifications(ctx, f.user.ID, gas.Page{})
	if err != nil || len(ns) != 1 {
		t.Fatalf("outbox: %v, %v", ns, err)
	}
	n := waitRow(t, f, ns[0].ID, "FAILED", func(n *gas.Notification) bool { return n.State == gas.DeliveryFailed })
	if n.Attempts != 1 || !strings.Contains(n.LastError, "550") {
		t.Fatalf("after a permanent refusal: attempts %d, error %q", n.Attempts, n.LastError)
	}
	if got := srv.count(t, fmt.Sprintf("gas-notification-%d@example.org", n.ID)); got != 0 {
		t.Fatalf("refused message was stored %d times", got)
	}
}

// TestNotifyGivesUpThenAdminRetries: with the server down the attempts run
// out and the row is FAILED, where the admin sees it; a retry queues it
// again and, the server being back, it is sent.
func TestNotifyGivesUpThenAdminRetries(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	port := freePort(t)
	f := newFixture(t, sqldbtest.SQLite(t, sqldb.Options{}), notify.Config{
		SMTPURL:     fmt.Sprintf("smtp://127.0.0.1:%d", port),
		MaxAttempts: 3,
		RetryBase:   50 * time.Millisecond, RetryMax: 100 * time.Millisecond, Timeout: 5 * time.Second,
	})
	startDelivery(t, f)
	j := f.runningJob(t, "bad.vcf")
	if _, err := f.store.TransitionJob(ctx, j.ID, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed,
		Actor: "worker:annotate", Reason: "not a VCF"}); err != nil {
		t.Fatal(err)
	}
	_, total, err := f.db.FailedNotifications(ctx, gas.Page{})
	if err != nil || total != 0 {
		t.Fatalf("failed before any attempt: %d, %v", total, err)
	}
	ns, _, _ := f.db.ListNotifications(ctx, f.user.ID, gas.Page{})
	id := ns[0].ID
	n := waitRow(t, f, id, "FAILED", func(n *gas.Notification) bool { return n.State == gas.DeliveryFailed })
	if n.Attempts != 3 || !strings.Contains(n.LastError, "connection refused") {
		t.Fatalf("after giving up: %+v", n)
	}
	if failed, total, err := f.db.FailedNotifications(ctx, gas.Page{}); err != nil || total != 1 || failed[0].ID != id {
		t.Fatalf("admin's failed list: %d, %v", total, err)
	}

	// The URL has no user: this server accepts mail without AUTH.
	srv := serveGoSMTP(t, port, &goSMTP{open: true})
	if err := f.svc.Retry(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Retry(ctx, id); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("second retry of a PENDING row: %v", err)
	}
	sent := waitRow(t, f, id, "SENT", func(n *gas.Notification) bool { return n.State == gas.DeliverySent })
	if sent.LastError == "" {
		t.Fatal("the last error was forgotten")
	}
	if got := srv.count(t, fmt.Sprintf("gas-notification-%d@example.org", id)); got != 1 {
		t.Fatalf("server holds %d copies, want 1", got)
	}
}
