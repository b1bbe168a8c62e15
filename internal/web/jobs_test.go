package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/internal/sharedtest"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/auth"
)

const miniVCF = "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
	"21\t25585733\trs1\tC\tT\t.\t.\t.\n21\t25587701\t.\tT\tC\t.\t.\t.\n"

// jobIDFrom checks an upload answered 303 to a job page and returns the ID.
func jobIDFrom(t testing.TB, r *resp) string {
	t.Helper()
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/jobs/") {
		t.Fatalf("upload: %d %q\n%s", r.StatusCode, loc, r.body)
	}
	return strings.TrimPrefix(loc, "/jobs/")
}

// complete moves a job to COMPLETED as the worker would, with stored files.
func (f *fixture) complete(id string, result, log []byte, sum *annotate.Summary) {
	f.t.Helper()
	ctx := context.Background()
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	dir := fmt.Sprintf("user/%d/%s/", j.UserID, id)
	res := &gas.JobResult{ResultKey: dir + "result.vcf.gz", LogKey: dir + "log.txt", SummaryKey: dir + "summary.json",
		ResultSize: int64(len(result)), Records: sum.Records, BundleSum: "sha256:abc"}
	sj, _ := json.Marshal(sum)
	for k, b := range map[string][]byte{res.ResultKey: result, res.LogKey: log, res.SummaryKey: sj} {
		if _, err := f.blobs.Put(ctx, k, bytes.NewReader(b)); err != nil {
			f.t.Fatal(err)
		}
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:test"}); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "worker:test", Result: res}); err != nil {
		f.t.Fatal(err)
	}
}

func TestUploadAndJobPages(t *testing.T) {
	t.Parallel()
	input, err := os.ReadFile(filepath.Join(sharedtest.Dir(t), "vep-chr21", "test.vcf"))
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, nil)
	c := f.client()
	c.signup("up@example.org", "upload password")
	uid := f.user("up@example.org").ID

	id := jobIDFrom(t, c.upload("My sample (1).vcf", input, "canonical"))
	if q := f.queue.queued(); len(q) != 1 || q[0] != id {
		t.Fatalf("queued %v, want [%s]", q, id)
	}
	j, err := f.jobs.UserJob(context.Background(), uid, id)
	if err != nil {
		t.Fatal(err)
	}
	wantKey := fmt.Sprintf("user/%d/%s/My_sample__1_.vcf", uid, id)
	if j.State != gas.JobPending || j.InputKey != wantKey || j.InputName != "My_sample__1_.vcf" ||
		j.InputSize != int64(len(input)) || j.Bundle != "demo" || j.Options != `{"transcripts":"canonical"}` {
		t.Fatalf("job %+v", j)
	}

	// The job page while PENDING.
	jr := c.get("/jobs/" + id)
	if jr.StatusCode != 200 {
		t.Fatalf("job page: %d\n%s\n%s", jr.StatusCode, jr.body, f.logs)
	}
	doc := jr.doc(t)
	if b := find(doc, "#status .job-state"); attr(b, "data-state") != "PENDING" {
		t.Fatalf("status badge %q", text(b))
	}
	if find(doc, "#result-link") != nil {
		t.Fatal("a PENDING job offers a result download")
	}
	if got := attr(find(doc, "#status"), "data-watch-job"); got != id {
		t.Fatalf("a PENDING job is not watched for changes: %q", got)
	}
	if got := text(find(doc, "#options")); !strings.Contains(got, "Canonical") {
		t.Fatalf("options shown as %q", got)
	}
	if got := text(find(doc, "#input-link")); got != "My_sample__1_.vcf" {
		t.Fatalf("input link %q", got)
	}
	// The input download gives back exactly what was uploaded.
	r := c.get("/jobs/" + id + "/input")
	if r.StatusCode != 200 || !bytes.Equal(r.body, input) ||
		r.Header.Get("Content-Disposition") != `attachment; filename=My_sample__1_.vcf` {
		t.Fatalf("input download: %d, %d bytes, %q", r.StatusCode, len(r.body), r.Header.Get("Content-Disposition"))
	}
	// Before completion there is no result and no log.
	if r := c.get("/jobs/" + id + "/result"); r.StatusCode != 404 {
		t.Fatalf("result of a PENDING job: %d", r.StatusCode)
	}

	result := sharedtest.Gzip(t, []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"))
	f.complete(id, result, []byte("annotated 2 records\n<script>alert(1)</script>\n"), &annotate.Summary{
		Records: 2, Alleles: 2, Annotated: 2, Known: 1, Novel: 1,
		Impacts:      map[string]int64{"MODIFIER": 2, "HIGH": 1},
		Consequences: map[string]int64{"intron_variant": 3, "upstream_gene_variant": 1},
		Warnings:     []string{"contig chrUn absent from the bundle"},
	})
	doc = c.get("/jobs/" + id).doc(t)
	if b := find(doc, "#status .job-state"); attr(b, "data-state") != "COMPLETED" {
		t.Fatalf("status after completion %q", text(b))
	}
	if got := text(find(doc, "#completed")); got == "—" || got == "" {
		t.Fatalf("completion time %q", got)
	}
	if got := attr(find(doc, "a#result-link"), "href"); got != "/jobs/"+id+"/result" {
		t.Fatalf("result link %q", got)
	}
	if rows := findAll(find(doc, "#summary-consequences"), "tr"); len(rows) != 2 || text(find(rows[0], "th")) != "intron_variant" || text(find(rows[0], "td")) != "3" {
		t.Fatalf("consequence rows %d, first %q", len(rows), text(rows[0]))
	}
	if rows := findAll(doc, "#summary-impacts tr"); len(rows) != 2 || text(find(rows[0], "th")) != "HIGH" {
		t.Fatalf("impact rows are not in severity order")
	}
	if got := text(find(doc, "#summary-warnings")); !strings.Contains(got, "chrUn") {
		t.Fatalf("warnings %q", got)
	}
	if rows := findAll(doc, "#history tbody tr"); len(rows) != 3 {
		t.Fatalf("history has %d rows, want 3 (created, running, completed)", len(rows))
	}
	var st jobStatus
	if r := c.get("/jobs/" + id + "/status"); r.StatusCode != 200 || json.Unmarshal(r.body, &st) != nil ||
		st.State != gas.JobCompleted || !st.Terminal || st.CompletedAt == nil {
		t.Fatalf("status JSON: %d %s", r.StatusCode, r.body)
	}
	r = c.get("/jobs/" + id + "/result")
	if r.StatusCode != 200 || !bytes.Equal(r.body, result) || r.Header.Get("Content-Type") != "application/gzip" ||
		r.Header.Get("Content-Disposition") != `attachment; filename=My_sample__1_.annotated.vcf.gz` {
		t.Fatalf("result download: %d %q %q", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"))
	}
	r = c.get("/jobs/" + id + "/log")
	ldoc := r.doc(t)
	if r.StatusCode != 200 || !strings.Contains(text(find(ldoc, "pre#log")), "<script>alert(1)</script>") {
		t.Fatalf("log page: %d %q", r.StatusCode, text(find(ldoc, "pre#log")))
	}
	if len(findAll(ldoc, "script")) != 4-2 { // only the two external layout scripts
		t.Fatalf("log text was not escaped: %d script elements", len(findAll(ldoc, "script")))
	}

	// The list shows it with its badge.
	doc = c.get("/jobs").doc(t)
	row := find(doc, "tr[data-job-id="+id+"]")
	if row == nil || attr(find(row, ".job-state"), "data-state") != "COMPLETED" {
		t.Fatal("job missing from the list or without its badge")
	}
}

func TestUploadGzipAndExampleModes(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("gz@example.org", "gzip password")
	id := jobIDFrom(t, c.upload("calls.vcf.gz", sharedtest.Gzip(t, []byte(miniVCF)), ""))
	j, err := f.jobs.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.InputName != "calls.vcf.gz" || j.Options != `{"transcripts":"all"}` {
		t.Fatalf("job %+v", j)
	}
	if r := c.get("/jobs/" + id + "/input"); r.Header.Get("Content-Type") != "application/gzip" {
		t.Fatalf("gz input content type %q", r.Header.Get("Content-Type"))
	}
	r := c.upload("calls.vcf", []byte(miniVCF), "everything")
	if r.StatusCode != 400 || !strings.Contains(text(find(r.doc(t), "#form-error")), "transcript mode") {
		t.Fatalf("unknown mode: %d", r.StatusCode)
	}
	// A form that is not multipart, or has no file, is a 400 with the form again.
	r = c.postForm("/annotate", url.Values{"mode": {"all"}})
	if r.StatusCode != 400 || find(r.doc(t), "form#upload-form") == nil {
		t.Fatalf("urlencoded upload: %d", r.StatusCode)
	}
	r = c.upload("", nil, "all")
	if r.StatusCode != 400 || !strings.Contains(text(find(r.doc(t), "#form-error")), "Choose a VCF file") {
		t.Fatalf("upload without a file: %d %q", r.StatusCode, text(find(r.doc(t), "#form-error")))
	}
}

func TestUploadTooLarge(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.FreeUploadLimit, c.PremiumUploadLimit = 2000, 1_000_000 })
	c := f.client()
	c.signup("big@example.org", "big file password")
	var big strings.Builder
	big.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	for i := 1; big.Len() < 300_000; i++ {
		fmt.Fprintf(&big, "21\t%d\t.\tA\tG\t.\t.\t.\n", i)
	}
	// Three ways to be too large: a little over the limit (the file stream
	// is cut at the limit), far over it without a Content-Length (the body
	// is cut at limit + form overhead), and far over it with one (refused
	// before reading).
	r := c.upload("over.vcf", []byte(big.String()[:10_000]), "all")
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("upload a little over the limit: %d", r.StatusCode)
	}
	c.chunked = true
	r = c.upload("big.vcf", []byte(big.String()), "all")
	c.chunked = false
	if r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized upload: %d", r.StatusCode)
	}
	if !strings.Contains(f.logs.String(), "path=/annotate status=413") {
		t.Fatal("no 413 logged")
	}
	doc := r.doc(t)
	if got := text(find(doc, "#error-message")); !strings.Contains(got, "Free plan") || !strings.Contains(got, "2 kB") {
		t.Fatalf("413 message %q", got)
	}
	if got := text(find(doc, "#premium-offer")); !strings.Contains(got, "Premium") {
		t.Fatalf("no Premium offer: %q", got)
	}
	if files := f.storedFiles("user"); len(files) != 0 {
		t.Fatalf("oversized upload left %v", files)
	}
	if q := f.queue.queued(); len(q) != 0 {
		t.Fatalf("oversized upload queued %v", q)
	}
	// A much larger upload is cut off early; the browser still gets the page.
	huge := bytes.Repeat([]byte(big.String()), 70) // ~21 MB
	if r := c.upload("huge.vcf", huge, "all"); r.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("huge upload: %d", r.StatusCode)
	}
	if files := f.storedFiles("user"); len(files) != 0 {
		t.Fatalf("huge upload left %v", files)
	}
	// Exactly at the limit is fine.
	small := []byte(big.String()[:2000])
	small = small[:bytes.LastIndexByte(small, '\n')+1]
	pad := 2000 - len(small)
	small = append(small[:len(small)-1], []byte(strings.Repeat(" ", pad)+"\n")...)
	if len(small) != 2000 {
		t.Fatalf("fixture is %d bytes", len(small))
	}
	jobIDFrom(t, c.upload("edge.vcf", small, "all"))

	// The limit follows the plan: Premium takes the same file, with no offer.
	if err := f.db.SetPlan(context.Background(), f.user("big@example.org").ID, gas.PlanPremium); err != nil {
		t.Fatal(err)
	}
	jobIDFrom(t, c.upload("big.vcf", []byte(big.String()), "all"))
	r = c.upload("huge.vcf", huge, "all")
	if r.StatusCode != http.StatusRequestEntityTooLarge || find(r.doc(t), "#premium-offer") != nil ||
		!strings.Contains(text(find(r.doc(t), "#error-message")), "Premium plan") {
		t.Fatalf("premium over its limit: %d", r.StatusCode)
	}
}

func TestUploadInvalid(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("bad@example.org", "bad file password")
	full := sharedtest.Gzip(t, []byte(strings.Repeat(miniVCF[:len(miniVCF)-0], 1)))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"notes.txt", []byte(miniVCF), ".vcf or .vcf.gz"},
		{"notes.vcf", []byte("hello world\n"), "not a VCF"},
		{"empty.vcf", nil, "empty"},
		{"nochrom.vcf", []byte("##fileformat=VCFv4.2\n##source=x\n"), "#CHROM"},
		{"norecords.vcf", []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"), "no variant records"},
		{"badpos.vcf", []byte("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n1\tabc\t.\tA\tG\t.\t.\t.\n"), "line 3"},
		{"trunc.vcf.gz", full[:len(full)-10], "gzip"},
		{"calls.vcf.bz2.vcf", []byte("BZh91AY&SY garbage"), "bzip2"},
	} {
		r := c.upload(tc.name, tc.data, "all")
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", tc.name, r.StatusCode)
			continue
		}
		doc := r.doc(t)
		if got := text(find(doc, "#form-error")); !strings.Contains(got, tc.want) {
			t.Errorf("%s: message %q, want it to mention %q", tc.name, got, tc.want)
		}
		if find(doc, "form#upload-form") == nil {
			t.Errorf("%s: the form is not shown again", tc.name)
		}
	}
	if files := f.storedFiles("user"); len(files) != 0 {
		t.Fatalf("invalid uploads left %v", files)
	}
	if q := f.queue.queued(); len(q) != 0 {
		t.Fatalf("invalid uploads queued %v", q)
	}
	if _, total, _ := f.jobs.ListJobs(context.Background(), f.user("bad@example.org").ID, gas.Page{Limit: 10}); total != 0 {
		t.Fatalf("%d jobs recorded", total)
	}
}

func TestOwnershipAllJobRoutes(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	a, b := f.client(), f.client()
	a.signup("a@example.org", "password of a")
	b.signup("b@example.org", "password of b")
	id := jobIDFrom(t, a.upload("a.vcf", []byte(miniVCF), "all"))
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), []byte("log of a\n"), &annotate.Summary{Records: 2})
	for _, p := range []string{"", "/input", "/result", "/log", "/status"} {
		if r := a.get("/jobs/" + id + p); r.StatusCode != 200 {
			t.Fatalf("owner GET /jobs/{id}%s: %d", p, r.StatusCode)
		}
		r := b.get("/jobs/" + id + p)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("other user GET /jobs/{id}%s: %d, want 404", p, r.StatusCode)
			continue
		}
		if bytes.Contains(r.body, []byte("a.vcf")) || bytes.Contains(r.body, []byte("log of a")) {
			t.Errorf("other user GET /jobs/{id}%s leaks the job", p)
		}
		// Same page as for a job that does not exist at all.
		missing := b.get("/jobs/00000000-0000-4000-8000-000000000000" + p)
		if text(find(missing.doc(t), "#error-message")) != text(find(r.doc(t), "#error-message")) {
			t.Errorf("/jobs/{id}%s: another user's job and a missing job differ", p)
		}
	}
	if find(b.get("/jobs").doc(t), "tr[data-job-id="+id+"]") != nil {
		t.Fatal("another user's job is in the list")
	}
}

func TestJobListPagination(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("many@example.org", "many jobs password")
	var ids []string
	for i := 0; i < 23; i++ {
		f.clock.Add(1e9)
		ids = append(ids, jobIDFrom(t, c.upload(fmt.Sprintf("f%02d.vcf", i), []byte(miniVCF), "all")))
	}
	doc := c.get("/jobs").doc(t)
	rows := findAll(doc, "tr[data-job-id]")
	if len(rows) != jobsPerPage || attr(rows[0], "data-job-id") != ids[22] {
		t.Fatalf("page 1: %d rows, first %s; want %d, newest %s", len(rows), attr(rows[0], "data-job-id"), jobsPerPage, ids[22])
	}
	if got := attr(find(doc, "a[rel=next]"), "href"); got != "/jobs?page=2" {
		t.Fatalf("next link %q", got)
	}
	doc = c.get("/jobs?page=2").doc(t)
	rows = findAll(doc, "tr[data-job-id]")
	if len(rows) != 3 || attr(rows[2], "data-job-id") != ids[0] {
		t.Fatalf("page 2: %d rows", len(rows))
	}
	if attr(find(doc, "a[rel=prev]"), "href") != "/jobs?page=1" {
		t.Fatal("page 2 has no link back")
	}
	if r := c.get("/jobs?page=0"); r.StatusCode != 400 {
		t.Fatalf("page=0: %d", r.StatusCode)
	}
	if r := c.get("/jobs?page=9"); r.StatusCode != 200 || find(r.doc(t), "#no-jobs") == nil {
		t.Fatalf("page past the end: %d", r.StatusCode)
	}
}

func TestFailedJobShowsReason(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("fail@example.org", "failing password")
	id := jobIDFrom(t, c.upload("f.vcf", []byte(miniVCF), "all"))
	ctx := context.Background()
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "worker:test"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobFailed, Actor: "worker:test",
		Reason: "Line 3: REF contains X."}); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/jobs/" + id).doc(t)
	if got := text(find(doc, "#fail-reason")); !strings.Contains(got, "Line 3: REF contains X.") {
		t.Fatalf("fail reason %q", got)
	}
	if r := c.get("/jobs/" + id + "/result"); r.StatusCode != 404 || !strings.Contains(text(find(r.doc(t), "#error-message")), "failed") {
		t.Fatalf("result of a failed job: %d", r.StatusCode)
	}
}

// A cancelled job reads as one everywhere, with no template naming the
// state: the reason, the badge, no progress bar, no result, and the
// delete and run-again actions of a finished job.
func TestCancelledJobPage(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("cancel@example.org", "cancelling password")
	id := jobIDFrom(t, c.upload("c.vcf", []byte(miniVCF), "all"))
	if _, err := f.jobs.TransitionJob(context.Background(), id, gas.JobChange{From: gas.JobPending, To: gas.JobCancelled,
		Actor: "user:1", Reason: "Cancelled by the user."}); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/jobs/" + id).doc(t)
	if got := text(find(doc, "#fail-reason")); !strings.Contains(got, "The annotation was cancelled.") || !strings.Contains(got, "Cancelled by the user.") {
		t.Fatalf("reason %q", got)
	}
	if b := find(doc, "#status .job-state"); b == nil || attr(b, "data-state") != "CANCELLED" || !strings.Contains(attr(b, "class"), "text-bg-warning") {
		t.Fatal("no CANCELLED badge")
	}
	if attr(find(doc, "#status"), "data-terminal") != "true" {
		t.Fatal("the page keeps watching a cancelled job")
	}
	if find(doc, "#progress") != nil || find(doc, "#result-link") != nil || find(doc, "#variants-link") != nil {
		t.Fatal("a cancelled job shows progress, a result or variants")
	}
	if find(doc, "#delete-link") == nil || find(doc, "#resubmit-form") == nil {
		t.Fatal("a cancelled job offers no delete or run again")
	}
	if r := c.get("/jobs/" + id + "/result"); r.StatusCode != 404 || !strings.Contains(text(find(r.doc(t), "#error-message")), "was cancelled") {
		t.Fatalf("result of a cancelled job: %d", r.StatusCode)
	}
}

func TestTryTheExample(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) { c.FreeUploadLimit = 100 }) // the example is not held to the plan limit
	c := f.client()
	c.signup("example@example.org", "example password")
	doc := c.get("/annotate").doc(t)
	form := find(doc, "form#example-form")
	if form == nil || attr(form, "action") != "/annotate/example" || attr(form, "method") != "post" || find(form, "button#try-example") == nil {
		t.Fatal("no Try the example form")
	}
	id := jobIDFrom(t, c.postForm("/annotate/example", url.Values{"mode": {"pick"}}))
	j, err := f.jobs.Job(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	if j.InputName != "example.vcf" || j.Options != `{"transcripts":"pick"}` || j.State != gas.JobPending {
		t.Fatalf("example job %+v", j)
	}
	if q := f.queue.queued(); len(q) != 1 || q[0] != id {
		t.Fatalf("queued %v", q)
	}
	if r := c.get("/jobs/" + id + "/input"); !bytes.Equal(r.body, exampleVCF()) {
		t.Fatal("the stored example differs from the demo VCF")
	}
	// Cross-origin, it is refused like any other submission.
	if r := c.postForm("/annotate/example", url.Values{"mode": {"all"}}, "Sec-Fetch-Site", "cross-site"); r.StatusCode != 403 {
		t.Fatalf("cross-site example: %d", r.StatusCode)
	}
}

// failingBlobs is a blob store whose Put always fails, as a full disk would.
type failingBlobs struct{ gas.BlobStore }

func (failingBlobs) Put(ctx context.Context, key string, r io.Reader) (gas.BlobInfo, error) {
	io.CopyN(io.Discard, r, 100)
	return gas.BlobInfo{}, errors.New("write /data/x: no space left on device")
}

func TestUploadStorageFailureIs500(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	h, err := NewHandler(Config{}, dbDeps(f.db, f.jobs, failingBlobs{f.blobs}))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	// Sign up on f's site; the session lives in the shared database, so
	// the cookie also works on the site with the failing store.
	c := f.client()
	c.signup("disk@example.org", "disk full password")
	broken := f.client()
	broken.f = &fixture{t: t, srv: srv}
	broken.hc.Jar.SetCookies(mustURL(t, srv.URL), []*http.Cookie{{Name: auth.SessionCookieName, Value: c.sessionCookie()}})
	r := broken.upload("x.vcf", []byte(miniVCF), "all")
	if r.StatusCode != http.StatusInternalServerError || bytes.Contains(r.body, []byte("no space")) {
		t.Fatalf("storage failure: %d", r.StatusCode)
	}
	if q := f.queue.queued(); len(q) != 0 {
		t.Fatalf("queued %v", q)
	}
}

func TestLongLogIsCut(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("log@example.org", "long log password")
	id := jobIDFrom(t, c.upload("l.vcf", []byte(miniVCF), "all"))
	long := append(bytes.Repeat([]byte("a line of the log\n"), maxLogShown/18+10), 0xff, 0xfe) // plus invalid UTF-8
	f.complete(id, sharedtest.Gzip(t, []byte(miniVCF)), long, &annotate.Summary{Records: 2})
	doc := c.get("/jobs/" + id + "/log").doc(t)
	if find(doc, "#log-truncated") == nil {
		t.Fatal("a log over the limit is not marked as cut")
	}
	if n := len(text(find(doc, "pre#log"))); n > maxLogShown || n < maxLogShown/2 {
		t.Fatalf("shown %d characters of a %d-byte log", n, len(long))
	}
}
