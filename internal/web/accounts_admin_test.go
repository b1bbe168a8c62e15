package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

func TestAdminPage(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	ctx := context.Background()
	admin := af.client()
	admin.signup("root@example.org", "correct horse battery") // the first account administers
	user := af.client()
	user.signup("ada@example.org", "correct horse battery")
	jobID := jobIDFrom(t, user.upload("ada.vcf", []byte(miniVCF), "all"))
	jobIDFrom(t, user.upload("ada2.vcf", []byte(miniVCF), "all"))
	n := af.notify("ada@example.org", jobID, gas.NotifyJobCompleted, "Your annotation is ready")
	if err := af.db.RecordNotificationFailure(ctx, n.ID, "550 mailbox unavailable", true); err != nil {
		t.Fatal(err)
	}

	// Everyone else gets the plain 404, signed in or not.
	for _, c := range []*client{user, af.client()} {
		r := c.get("/admin")
		if r.StatusCode != http.StatusNotFound || bytesContain(r.body, "ada.vcf") {
			t.Fatalf("GET /admin as a non-admin: %d", r.StatusCode)
		}
	}
	if find(user.get("/jobs").doc(t), "#nav-admin") != nil {
		t.Fatal("a non-admin sees the admin link")
	}

	r := admin.get("/admin")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /admin as admin: %d\n%s", r.StatusCode, r.body)
	}
	doc := r.doc(t)
	if find(admin.get("/jobs").doc(t), "a#nav-admin") == nil {
		t.Fatal("the admin has no admin link")
	}
	ada := af.user("ada@example.org")
	row := find(doc, "#users tr[data-user-id="+strconv.FormatInt(ada.ID, 10)+"]")
	if row == nil || text(find(row, ".job-count")) != "2" || !strings.Contains(text(row), "free") {
		t.Fatalf("ada's row: %q", text(row))
	}
	if len(findAll(doc, "#users tbody tr")) != 2 {
		t.Fatal("the user table does not list both accounts")
	}
	jr := find(doc, "#jobs tr[data-job-id="+jobID+"]")
	if jr == nil || !strings.Contains(text(jr), "ada@example.org") || !strings.Contains(text(jr), "PENDING") {
		t.Fatalf("job row: %q", text(jr))
	}
	fr := find(doc, "#failed tr[data-notification-id="+strconv.FormatInt(n.ID, 10)+"]")
	if fr == nil || text(find(fr, ".last-error")) != "550 mailbox unavailable" {
		t.Fatalf("failed delivery row: %q", text(fr))
	}
}

func bytesContain(b []byte, s string) bool { return strings.Contains(string(b), s) }

// TestAdminFilterAndRetry: the admin narrows the jobs list by state and
// owner, sees each user's storage, and queues a failed job again.
func TestAdminFilterAndRetry(t *testing.T) {
	t.Parallel()
	af := setupAccounts(t, accountsOpts{})
	ctx := context.Background()
	admin := af.client()
	admin.signup("root@example.org", "correct horse battery")
	user := af.client()
	user.signup("ada@example.org", "correct horse battery")
	failed := jobIDFrom(t, user.upload("ada.vcf", []byte(miniVCF), "all"))
	other := jobIDFrom(t, user.upload("ada2.vcf", []byte(miniVCF), "all"))
	for _, c := range []gas.JobChange{{From: gas.JobPending, To: gas.JobRunning, Actor: "t"},
		{From: gas.JobRunning, To: gas.JobFailed, Actor: "t", Reason: "the worker ran out of disk"}} {
		if _, err := af.jobs.TransitionJob(ctx, failed, c); err != nil {
			t.Fatal(err)
		}
	}
	doc := admin.get("/admin?state=FAILED").doc(t)
	rows := findAll(doc, "#jobs tbody tr")
	if len(rows) != 1 || find(doc, "#jobs tr[data-job-id="+failed+"] button.retry") == nil {
		t.Fatalf("FAILED filter shows %d rows (want the failed job with a retry button)", len(rows))
	}
	if find(admin.get("/admin?owner=nobody@example.org").doc(t), "#no-jobs") == nil {
		t.Fatal("an unknown owner does not give an empty list")
	}
	if rows := findAll(admin.get("/admin?owner=ada@example.org").doc(t), "#jobs tbody tr"); len(rows) != 2 {
		t.Fatalf("ada's jobs: %d rows", len(rows))
	}
	if r := admin.get("/admin?state=LOST"); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown state: %d", r.StatusCode)
	}
	ada := af.user("ada@example.org")
	if st := text(find(doc, "#users tr[data-user-id="+strconv.FormatInt(ada.ID, 10)+"] .storage")); st == "" || st == "0 B" {
		t.Fatalf("ada's storage: %q", st)
	}
	// Only an admin may retry; then the job is queued again.
	if r := user.postForm("/admin/jobs/"+failed+"/retry", nil); r.StatusCode != http.StatusNotFound {
		t.Fatalf("retry as a user: %d", r.StatusCode)
	}
	if r := admin.postForm("/admin/jobs/"+failed+"/retry", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("retry as admin: %d\n%s", r.StatusCode, r.body)
	}
	j, _ := af.jobs.Job(ctx, failed)
	if j.State != gas.JobPending || j.FailReason != "" {
		t.Fatalf("after retry: %s %q", j.State, j.FailReason)
	}
	if r := admin.postForm("/admin/jobs/"+other+"/retry", nil); r.StatusCode != http.StatusConflict {
		t.Fatalf("retry of a pending job: %d", r.StatusCode)
	}
}
