package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
)

// setupNotifications is setup with the notification store given to the
// site; toFiles says mail goes to the outbox folder.
func setupNotifications(t *testing.T, toFiles bool) *fixture {
	t.Helper()
	f := setup(t, nil)
	h, err := NewHandler(Config{
		Version:              "test",
		DefaultBundle:        "demo",
		Logger:               slog.New(slog.NewTextHandler(f.logs, nil)),
		Now:                  f.clock.Now,
		NotificationsToFiles: toFiles,
	}, withNotifications(dbDeps(f.db, f.jobs, f.blobs), f.db))
	if err != nil {
		t.Fatal(err)
	}
	f.srv.Close()
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// notify writes an outbox row for the user, as the notify hook does.
func (f *fixture) notify(email, jobID string, kind gas.NotificationKind, subject string) *gas.Notification {
	f.t.Helper()
	ctx := context.Background()
	u, err := f.db.UserByEmail(ctx, email)
	if err != nil {
		f.t.Fatal(err)
	}
	n := &gas.Notification{UserID: u.ID, JobID: jobID, Kind: kind, To: u.Email, Subject: subject, Body: "body"}
	tx, err := f.db.SQL().BeginTx(ctx, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if err := f.db.InsertNotificationTx(ctx, tx, n); err != nil {
		tx.Rollback()
		f.t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestNotifyPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setupNotifications(t, false)
	if r := f.client().get("/notifications"); r.StatusCode != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/signin") {
		t.Fatalf("signed out: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	ada := f.client()
	ada.signup("ada@example.org", "ada's long password")
	bob := f.client()
	bob.signup("bob@example.org", "bob's long password")
	if r := ada.get("/notifications"); r.StatusCode != 200 || find(r.doc(t), "#no-notifications") == nil {
		t.Fatalf("empty list: %d\n%s", r.StatusCode, r.body)
	}

	jobID := jobIDFrom(t, ada.upload("trio.vcf", []byte(miniVCF), "all"))
	sent := f.notify("ada@example.org", jobID, gas.NotifyJobCompleted, "GAS: the annotation of trio.vcf is complete")
	f.clock.Add(time.Minute)
	if err := f.db.MarkNotificationSent(ctx, sent.ID, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	failed := f.notify("ada@example.org", jobID, gas.NotifyJobRestored, "GAS: the result of trio.vcf is available again")
	if err := f.db.RecordNotificationFailure(ctx, failed.ID, "dial tcp 127.0.0.1:25: connection refused", false); err != nil {
		t.Fatal(err)
	}
	if err := f.db.RecordNotificationFailure(ctx, failed.ID, "dial tcp 127.0.0.1:25: connection refused", true); err != nil {
		t.Fatal(err)
	}
	f.notify("bob@example.org", "", gas.NotifyJobFailed, "Bob's secret subject")

	r := ada.get("/notifications")
	if r.StatusCode != 200 {
		t.Fatalf("list: %d", r.StatusCode)
	}
	doc := r.doc(t)
	rows := findAll(doc, "tr[data-notification-id]")
	if len(rows) != 2 || attr(rows[0], "data-notification-id") != fmt.Sprint(failed.ID) {
		t.Fatalf("rows %d, first %s; want 2, newest %d", len(rows), attr(rows[0], "data-notification-id"), failed.ID)
	}
	first, second := text(rows[0]), text(rows[1])
	for _, want := range []string{"Result restored", "available again", "FAILED", "2 failed attempts", "connection refused"} {
		if !strings.Contains(first, want) {
			t.Errorf("failed row lacks %q: %s", want, first)
		}
	}
	for _, want := range []string{"Annotation complete", "is complete", "SENT", f.clock.Now().UTC().Format("2006-01-02 15:04:05")} {
		if !strings.Contains(second, want) {
			t.Errorf("sent row lacks %q: %s", want, second)
		}
	}
	if got := attr(find(rows[1], "a"), "href"); got != "/jobs/"+jobID {
		t.Errorf("job link %q", got)
	}
	if strings.Contains(string(r.body), "Bob's secret") || find(doc, "#outbox-note") != nil || find(doc, ".outbox-file") != nil {
		t.Error("another user's notification or an outbox note is shown")
	}
	if find(doc, "a[href=/notifications]") == nil {
		t.Error("no navigation link to the page")
	}
	if r := bob.get("/notifications"); len(findAll(r.doc(t), "tr[data-notification-id]")) != 1 {
		t.Error("bob does not see exactly his one notification")
	}
}

func TestNotifyPageOutboxAndPagination(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setupNotifications(t, true)
	c := f.client()
	c.signup("many@example.org", "many mails password")
	var ids []int64
	for i := 0; i < notificationsPerPage+3; i++ {
		f.clock.Add(time.Second)
		ids = append(ids, f.notify("many@example.org", fmt.Sprintf("job-%02d", i), gas.NotifyJobCompleted, fmt.Sprintf("mail %02d", i)).ID)
	}
	if err := f.db.MarkNotificationSent(ctx, ids[len(ids)-1], time.Time{}); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/notifications").doc(t)
	rows := findAll(doc, "tr[data-notification-id]")
	if len(rows) != notificationsPerPage || attr(rows[0], "data-notification-id") != fmt.Sprint(ids[len(ids)-1]) {
		t.Fatalf("page 1: %d rows", len(rows))
	}
	if find(doc, "#outbox-note") == nil || find(rows[0], ".outbox-file") == nil || find(rows[1], ".outbox-file") != nil {
		t.Fatal("the outbox folder is not mentioned for the sent file (or is for a pending one)")
	}
	if got := attr(find(doc, "a[rel=next]"), "href"); got != "/notifications?page=2" {
		t.Fatalf("next link %q", got)
	}
	rows = findAll(c.get("/notifications?page=2").doc(t), "tr[data-notification-id]")
	if len(rows) != 3 || attr(rows[2], "data-notification-id") != fmt.Sprint(ids[0]) {
		t.Fatalf("page 2: %d rows", len(rows))
	}
	if r := c.get("/notifications?page=x"); r.StatusCode != 400 {
		t.Fatalf("page=x: %d", r.StatusCode)
	}
	if r := c.get("/notifications?page=9"); r.StatusCode != 200 || find(r.doc(t), "#no-notifications") == nil {
		t.Fatalf("page past the end: %d", r.StatusCode)
	}
}

// TestNotifyPageWithoutStore: a site built without the store (the
// field is optional) says notifications are not set up.
func TestNotifyPageWithoutStore(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("ada@example.org", "ada's long password")
	r := c.get("/notifications")
	if r.StatusCode != 200 || find(r.doc(t), "#notifications-off") == nil {
		t.Fatalf("without a store: %d\n%s", r.StatusCode, r.body)
	}
}

func withNotifications(d Deps, n NotificationStore) Deps {
	d.Notifications = n
	return d
}
