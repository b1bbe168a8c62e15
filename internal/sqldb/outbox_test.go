package sqldb

import (
	"context"
	"database/sql"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gas-project/gas"
)

func TestOutboxSQLite(t *testing.T) {
	t.Parallel()
	runOutboxSuite(t, openSQLiteForTest)
}

// TestOutboxPostgres runs the same suite on PostgreSQL when
// GAS_TEST_POSTGRES_URL names a server.
func TestOutboxPostgres(t *testing.T) {
	t.Parallel()
	runOutboxSuite(t, openPostgresForTest)
}

func runOutboxSuite(t *testing.T, open opener) {
	t.Run("InsertCommitsWithTx", func(t *testing.T) { t.Parallel(); testOutboxInsert(t, setup(t, open)) })
	t.Run("DeliveryStates", func(t *testing.T) { t.Parallel(); testOutboxStates(t, setup(t, open)) })
	t.Run("Lists", func(t *testing.T) { t.Parallel(); testOutboxLists(t, setup(t, open)) })
}

// insertNotification adds a row in a transaction of its own.
func insertNotification(t *testing.T, f fixture, n *gas.Notification) {
	t.Helper()
	err := f.db.inTx(context.Background(), func(tx *sql.Tx) error { return f.db.InsertNotificationTx(context.Background(), tx, n) })
	if err != nil {
		t.Fatal(err)
	}
}

func newNotification(u *gas.User, jobID string, kind gas.NotificationKind) *gas.Notification {
	return &gas.Notification{UserID: u.ID, JobID: jobID, Kind: kind, To: u.Email,
		Subject: "Annotation of in.vcf " + string(kind), Body: "Hello,\nyour job " + jobID + ".\n"}
}

func testOutboxInsert(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "ada@example.org")
	j := mustJob(t, f, u.ID, "in.vcf")

	// The address is read through the transaction, as hooks must.
	tx, err := f.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	email, err := f.db.UserEmailTx(ctx, tx, u.ID)
	if err != nil || email != "ada@example.org" {
		t.Fatalf("user email = %q, %v", email, err)
	}
	if _, err := f.db.UserEmailTx(ctx, tx, 9999); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing user email: %v", err)
	}
	rolled := newNotification(u, j.ID, gas.NotifyJobCompleted)
	if err := f.db.InsertNotificationTx(ctx, tx, rolled); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.Notification(ctx, rolled.ID); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("rolled-back notification: %v", err)
	}

	n := newNotification(u, j.ID, gas.NotifyJobCompleted)
	insertNotification(t, f, n)
	if n.ID == 0 || n.State != gas.DeliveryPending || !n.CreatedAt.Equal(f.clock.Now()) {
		t.Fatalf("inserted = %+v", n)
	}
	got, err := f.db.Notification(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *n {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, n)
	}

	tx, err = f.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	bad := newNotification(u, j.ID, "job_exploded")
	if err := f.db.InsertNotificationTx(ctx, tx, bad); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("unknown kind: %v", err)
	}
	bad = newNotification(u, j.ID, gas.NotifyJobFailed)
	bad.To = ""
	if err := f.db.InsertNotificationTx(ctx, tx, bad); gas.ErrorCode(err) != gas.EINVALID {
		t.Fatalf("no recipient: %v", err)
	}
}

func testOutboxStates(t *testing.T, f fixture) {
	ctx := context.Background()
	u := mustUser(t, f, "ada@example.org")
	j := mustJob(t, f, u.ID, "in.vcf")
	n := newNotification(u, j.ID, gas.NotifyJobFailed)
	insertNotification(t, f, n)

	// Failed attempts count up and keep the latest error; a long error is
	// cut on a rune boundary.
	if err := f.db.RecordNotificationFailure(ctx, n.ID, "dial tcp: connection refused", false); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", maxErrorText) // 2 bytes each: the cut falls inside a rune
	if err := f.db.RecordNotificationFailure(ctx, n.ID, long, false); err != nil {
		t.Fatal(err)
	}
	got, err := f.db.Notification(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != gas.DeliveryPending || got.Attempts != 2 || !utf8.ValidString(got.LastError) ||
		!strings.HasSuffix(got.LastError, "é…") || len(got.LastError) > maxErrorText+len("…") {
		t.Fatalf("after two failures: state %s attempts %d error %d bytes", got.State, got.Attempts, len(got.LastError))
	}
	// The final failure gives up; nothing changes it afterwards but a retry.
	if err := f.db.RecordNotificationFailure(ctx, n.ID, "550 mailbox unavailable", true); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.db.Notification(ctx, n.ID); got.State != gas.DeliveryFailed || got.Attempts != 3 || got.LastError != "550 mailbox unavailable" {
		t.Fatalf("after final failure: %+v", got)
	}
	if err := f.db.RecordNotificationFailure(ctx, n.ID, "again", false); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("failure on a FAILED row: %v", err)
	}
	if err := f.db.MarkNotificationSent(ctx, n.ID, time.Time{}); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("sent on a FAILED row: %v", err)
	}

	retry := func(id int64) error {
		return f.db.inTx(ctx, func(tx *sql.Tx) error { return f.db.RetryNotificationTx(ctx, tx, id) })
	}
	if err := retry(n.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ = f.db.Notification(ctx, n.ID); got.State != gas.DeliveryPending || got.Attempts != 0 || got.LastError == "" {
		t.Fatalf("after retry: %+v", got)
	}
	if err := retry(n.ID); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("retry of a PENDING row: %v", err)
	}
	if err := retry(9999); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("retry of a missing row: %v", err)
	}

	sentAt := f.clock.Now().Add(time.Minute)
	if err := f.db.MarkNotificationSent(ctx, n.ID, sentAt); err != nil {
		t.Fatal(err)
	}
	// A duplicate delivery job marking it again changes nothing.
	if err := f.db.MarkNotificationSent(ctx, n.ID, sentAt.Add(time.Hour)); err != nil {
		t.Fatalf("second mark: %v", err)
	}
	if got, _ = f.db.Notification(ctx, n.ID); got.State != gas.DeliverySent || !got.SentAt.Equal(sentAt) {
		t.Fatalf("after sent: %+v", got)
	}
	if err := f.db.RecordNotificationFailure(ctx, n.ID, "late", false); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("failure on a SENT row: %v", err)
	}
	if err := retry(n.ID); gas.ErrorCode(err) != gas.ECONFLICT {
		t.Fatalf("retry of a SENT row: %v", err)
	}
	if err := f.db.MarkNotificationSent(ctx, 9999, sentAt); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("mark of a missing row: %v", err)
	}
	if _, err := f.db.Notification(ctx, 9999); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("missing row: %v", err)
	}
}

func testOutboxLists(t *testing.T, f fixture) {
	ctx := context.Background()
	ada := mustUser(t, f, "ada@example.org")
	bob := mustUser(t, f, "bob@example.org")
	j := mustJob(t, f, ada.ID, "in.vcf")
	var ids []int64
	for i := range 5 {
		n := newNotification(ada, j.ID, gas.NotifyJobCompleted)
		insertNotification(t, f, n)
		ids = append(ids, n.ID)
		if i == 1 {
			// Same time as the previous row: the ID breaks the tie.
			continue
		}
		f.clock.Add(time.Second)
	}
	other := newNotification(bob, "", gas.NotifyJobRestored)
	insertNotification(t, f, other)
	if err := f.db.RecordNotificationFailure(ctx, ids[1], "refused", true); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RecordNotificationFailure(ctx, other.ID, "refused", true); err != nil {
		t.Fatal(err)
	}

	page, total, err := f.db.ListNotifications(ctx, ada.ID, gas.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 5 || len(page) != 2 || page[0].ID != ids[4] || page[1].ID != ids[3] {
		t.Fatalf("first page: total %d, %v", total, notificationIDs(page))
	}
	page, _, err = f.db.ListNotifications(ctx, ada.ID, gas.Page{Offset: 2, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page) != 2 || page[0].ID != ids[2] || page[1].ID != ids[1] {
		t.Fatalf("second page: %v", notificationIDs(page))
	}
	if page, total, err = f.db.ListNotifications(ctx, bob.ID, gas.Page{}); err != nil || total != 1 || page[0].ID != other.ID {
		t.Fatalf("bob's list: %v total %d %v", notificationIDs(page), total, err)
	}

	failed, total, err := f.db.FailedNotifications(ctx, gas.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(failed) != 2 || failed[0].ID != other.ID || failed[1].ID != ids[1] || failed[1].LastError != "refused" {
		t.Fatalf("failed: total %d %v", total, notificationIDs(failed))
	}
	all, total, err := f.db.AllNotifications(ctx, gas.Page{Limit: 100})
	if err != nil || total != 6 || len(all) != 6 || all[0].ID != other.ID {
		t.Fatalf("all: total %d %v %v", total, notificationIDs(all), err)
	}
}

func notificationIDs(ns []*gas.Notification) []int64 {
	out := make([]int64, len(ns))
	for i, n := range ns {
		out[i] = n.ID
	}
	return out
}
