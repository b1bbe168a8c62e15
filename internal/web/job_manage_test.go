package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sharedtest"
)

// TestDeleteJob: deleting asks first, is refused while the job runs, and
// then removes the job, its history, every file (index and its cached
// copy included) and nothing of another job.
func TestDeleteJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cache := t.TempDir()
	f := setup(t, func(c *Config) { c.IndexCacheDir = cache })
	c := f.client()
	c.signup("del@example.org", "delete password 1")
	u := f.user("del@example.org")
	keep := jobIDFrom(t, c.upload("keep.vcf", []byte(miniVCF), "all"))
	id := jobIDFrom(t, c.upload("gone.vcf", []byte(miniVCF), "all"))
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log\n"), &annotate.Summary{Records: 2})
	f.buildIndex(id)
	if r := c.get("/jobs/" + id + "/variants"); r.StatusCode != 200 { // caches the index
		t.Fatalf("browser: %d", r.StatusCode)
	}
	dir := fmt.Sprintf("user/%d/%s", u.ID, id)
	if n := len(f.storedFiles(dir)); n != 5 {
		t.Fatalf("%d files before the delete, want input, result, log, summary, index: %v", n, f.storedFiles(dir))
	}
	if cached, _ := os.ReadDir(cache); len(cached) != 1 {
		t.Fatalf("%d cached indexes, want 1", len(cached))
	}

	doc := c.get("/jobs/" + id).doc(t)
	if attr(find(doc, "#delete-link"), "href") != "/jobs/"+id+"/delete" {
		t.Fatal("the job page has no delete link")
	}
	if find(c.get("/jobs/"+id+"/delete").doc(t), "#delete-confirm") == nil {
		t.Fatal("no confirmation button")
	}
	r := c.postForm("/jobs/"+id+"/delete", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs/"+id+"/delete" {
		t.Fatalf("unconfirmed delete: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if _, err := f.jobs.Job(ctx, id); err != nil {
		t.Fatalf("an unconfirmed delete deleted: %v", err)
	}

	r = c.postForm("/jobs/"+id+"/delete", url.Values{"confirm": {"yes"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs?deleted=1" {
		t.Fatalf("delete: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if _, err := f.jobs.Job(ctx, id); gas.ErrorCode(err) != gas.ENOTFOUND {
		t.Fatalf("job after delete: %v", err)
	}
	if files := f.storedFiles(dir); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
	if cached, _ := os.ReadDir(cache); len(cached) != 0 {
		t.Fatalf("cached index left: %v", cached)
	}
	if c.get("/jobs/"+id).StatusCode != http.StatusNotFound {
		t.Fatal("the deleted job's page still answers")
	}
	doc = c.get("/jobs?deleted=1").doc(t)
	if find(doc, "#deleted-notice") == nil || find(doc, "tr[data-job-id="+keep+"]") == nil {
		t.Fatal("the list after the delete: no notice, or the other job is gone")
	}
	if len(f.storedFiles(fmt.Sprintf("user/%d/%s", u.ID, keep))) != 1 {
		t.Fatal("the other job's input was touched")
	}

	// A running job cannot be deleted.
	if _, err := f.jobs.TransitionJob(ctx, keep, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	if r := c.postForm("/jobs/"+keep+"/delete", url.Values{"confirm": {"yes"}}); r.StatusCode != http.StatusConflict ||
		find(r.doc(t), "#delete-error") == nil {
		t.Fatalf("delete of a running job: %d", r.StatusCode)
	}
	if _, err := f.jobs.Job(ctx, keep); err != nil {
		t.Fatalf("the running job was deleted: %v", err)
	}
}

// TestResubmitJob: "run again" makes a new queued job with the new options
// from a copy of the same input; the old job stays as it was.
func TestResubmitJob(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("again@example.org", "again password 1")
	id := jobIDFrom(t, c.upload("in.vcf", []byte(miniVCF), "all"))
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log\n"), &annotate.Summary{Records: 2})
	if find(c.get("/jobs/"+id).doc(t), "#resubmit-form select[name=mode]") == nil {
		t.Fatal("no run-again form on a completed job")
	}
	r := c.postForm("/jobs/"+id+"/resubmit", url.Values{"mode": {"canonical"}})
	next := jobIDFrom(t, r)
	if next == id {
		t.Fatal("the same job again")
	}
	old, err := f.jobs.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	j, err := f.jobs.Job(ctx, next)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != gas.JobPending || j.InputName != "in.vcf" || j.InputKey == old.InputKey || j.InputSize != old.InputSize {
		t.Fatalf("new job %+v", j)
	}
	if opt, _ := jobs.ParseJobOptions(j.Options); opt.Transcripts != annotate.Canonical {
		t.Fatalf("new job's options %q", j.Options)
	}
	a, b := c.get("/jobs/"+id+"/input"), c.get("/jobs/"+next+"/input")
	if !bytes.Equal(a.body, b.body) || !bytes.Equal(a.body, []byte(miniVCF)) {
		t.Fatal("the new job's input differs from the old one's")
	}
	if q := f.queue.queued(); q[len(q)-1] != next {
		t.Fatalf("queued %v", q)
	}
	if st := status(t, c, next); st.RecordsTotal != 2 {
		t.Fatalf("new job's total %d, want 2", st.RecordsTotal)
	}
	if old.State != gas.JobCompleted {
		t.Fatalf("old job became %s", old.State)
	}
	if r := c.postForm("/jobs/"+id+"/resubmit", url.Values{"mode": {"bogus"}}); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad mode: %d", r.StatusCode)
	}
}

// TestEmailLinkLandsOnJob: the link of a notification email, opened signed
// out, leads through sign-in to the job page.
func TestEmailLinkLandsOnJob(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("mail@example.org", "mail link password")
	id := jobIDFrom(t, c.upload("in.vcf", []byte(miniVCF), "all"))

	other := f.client()
	r := other.get("/jobs/" + id)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || loc != "/signin?next="+url.QueryEscape("/jobs/"+id) {
		t.Fatalf("signed-out job link: %d %q", r.StatusCode, loc)
	}
	next := attr(find(other.get(loc).doc(t), "input[name=next]"), "value")
	if next != "/jobs/"+id {
		t.Fatalf("sign-in form carries next=%q", next)
	}
	r = other.postForm("/signin", url.Values{"email": {"mail@example.org"}, "password": {"mail link password"}, "next": {next}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs/"+id {
		t.Fatalf("after sign-in: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r := other.get("/jobs/" + id); r.StatusCode != 200 {
		t.Fatalf("job page after sign-in: %d", r.StatusCode)
	}
}
