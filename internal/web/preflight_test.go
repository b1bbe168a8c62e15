package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// grch37VCF names chromosomes "chr1" and states the GRCh37 length of chr1;
// one of its three records is multi-allelic.
const grch37VCF = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=249250621>\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
	"chr1\t100\t.\tA\tG\t.\t.\t.\nchr1\t200\t.\tC\tT,G\t.\t.\t.\nchr2\t300\t.\tG\tA\t.\t.\t.\n"

// TestPreflightReport: a checked upload waits on its report (build guess
// against the bundle, naming, counts) and only "go on" queues it; "cancel"
// and the cleaner of abandoned uploads delete the file.
func TestPreflightReport(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, func(c *Config) {
		c.DefaultBundle = "demo"
		c.BundleAssembly = func(b string) string { return map[string]string{"demo": "GRCh38"}[b] }
	})
	c := f.client()
	c.signup("pre@example.org", "preflight password")
	u := f.user("pre@example.org")

	r := c.uploadChecked("calls.vcf", []byte(grch37VCF), "canonical")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	if r.StatusCode != http.StatusSeeOther || id == r.Header.Get("Location") {
		t.Fatalf("checked upload: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if q := f.queue.queued(); len(q) != 0 {
		t.Fatalf("queued before the user went on: %v", q)
	}
	doc := c.get("/uploads/" + id).doc(t)
	for sel, want := range map[string]string{
		"#pf-records": "3",
		"#pf-build":   "GRCh37 (contig chr1 has the GRCh37 length 249250621)",
		"#pf-bundle":  "demo (GRCh38)",
		"#pf-naming":  `"chr1" style`,
		"#pf-multi":   "1 (33.3%)",
		"#pf-chroms":  "chr1, chr2",
	} {
		if got := text(find(doc, sel)); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	if !strings.Contains(text(find(doc, "#build-mismatch")), "looks like GRCh37") {
		t.Error("no build mismatch warning")
	}

	r = c.postForm("/uploads/"+id+"/start", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs/"+id {
		t.Fatalf("go on: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	j, err := f.jobs.Job(ctx, id)
	if err != nil || j.State != gas.JobPending || !strings.Contains(j.Options, "canonical") {
		t.Fatalf("job after go on: %+v %v", j, err)
	}
	if q := f.queue.queued(); len(q) != 1 || q[0] != id {
		t.Fatalf("queued %v", q)
	}
	if st := status(t, c, id); st.RecordsTotal != 3 {
		t.Fatalf("total %d", st.RecordsTotal)
	}
	// A second click lands on the job; nothing is queued twice.
	if r := c.postForm("/uploads/"+id+"/start", url.Values{}); r.Header.Get("Location") != "/jobs/"+id || len(f.queue.queued()) != 1 {
		t.Fatalf("second go on: %d %q", r.StatusCode, r.Header.Get("Location"))
	}

	// Cancel deletes the stored file.
	r = c.uploadChecked("other.vcf", []byte(miniVCF), "all")
	other := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	if n := len(f.storedFiles(fmt.Sprintf("user/%d/%s", u.ID, other))); n != 1 {
		t.Fatalf("%d files stored for the waiting upload", n)
	}
	r = c.postForm("/uploads/"+other+"/cancel", url.Values{})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/annotate?cancelled=1" {
		t.Fatalf("cancel: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	if n := len(f.storedFiles(fmt.Sprintf("user/%d/%s", u.ID, other))); n != 0 {
		t.Fatal("the cancelled upload's file is still stored")
	}
	if c.get("/uploads/"+other).StatusCode != http.StatusNotFound {
		t.Fatal("a cancelled upload's report still answers")
	}
	if find(c.get("/annotate?cancelled=1").doc(t), "#notice") == nil {
		t.Fatal("no notice after cancelling")
	}

	// An upload left waiting is deleted by the cleaner after a day.
	r = c.uploadChecked("left.vcf", []byte(miniVCF), "all")
	left := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	if n, err := CleanAbandonedUploads(ctx, f.db, f.blobs, f.clock.Now().Add(-AbandonedUploadAge)); err != nil || n != 0 {
		t.Fatalf("clean of a fresh upload: %d, %v", n, err)
	}
	f.clock.Add(AbandonedUploadAge + time.Minute)
	if n, err := CleanAbandonedUploads(ctx, f.db, f.blobs, f.clock.Now().Add(-AbandonedUploadAge)); err != nil || n != 1 {
		t.Fatalf("clean: %d, %v", n, err)
	}
	if len(f.storedFiles(fmt.Sprintf("user/%d/%s", u.ID, left))) != 0 || c.get("/uploads/"+left).StatusCode != http.StatusNotFound {
		t.Fatal("the abandoned upload is still there")
	}
}

func TestGuessBuild(t *testing.T) {
	for _, tc := range []struct {
		contigs []vcf.Contig
		want    string
	}{
		{[]vcf.Contig{{ID: "1", Length: 249250621}}, "GRCh37"},
		{[]vcf.Contig{{ID: "chrX", Length: 156040895}}, "GRCh38"},
		{[]vcf.Contig{{ID: "chr1", Length: 248956422}}, "GRCh38"},
		{[]vcf.Contig{{ID: "chr1", Length: 1000}}, ""},
		{nil, ""},
	} {
		if got, _ := guessBuild(tc.contigs, nil); got != tc.want {
			t.Errorf("guessBuild(%v) = %q, want %q", tc.contigs, got, tc.want)
		}
	}
	for name, want := range map[string]string{"GRCh38-demo": "GRCh38", "hg19": "GRCh37", "demo": ""} {
		if got := bundleBuild(name); got != want {
			t.Errorf("bundleBuild(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestPreflightLetsProblemsThrough: with the report, a file whose records
// the engine refuses, and a file without records, may still be sent on;
// the real worker then fails the first with its reason and completes the
// second with an empty summary. A file that is not VCF at all is refused
// at once, as without the report.
func TestPreflightLetsProblemsThrough(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("lenient@example.org", "lenient password")
	u := f.user("lenient@example.org")
	refDir := t.TempDir()
	if _, err := refdata.BuildDemo(ctx, filepath.Join(refDir, "demo"), "test"); err != nil {
		t.Fatal(err)
	}
	w, err := jobs.NewAnnotateWorker(f.jobs, f.blobs, jobs.NewBundleDir(refDir, refdata.Open), jobs.AnnotateConfig{EngineWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	header := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	run := func(name, content, reportSel, reportWant string) *gas.Job {
		t.Helper()
		r := c.uploadChecked(name, []byte(content), "all")
		id := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
		if r.StatusCode != http.StatusSeeOther || id == r.Header.Get("Location") {
			t.Fatalf("%s: checked upload %d %q\n%s", name, r.StatusCode, r.Header.Get("Location"), r.body)
		}
		if got := text(find(c.get("/uploads/"+id).doc(t), reportSel)); !strings.Contains(got, reportWant) {
			t.Fatalf("%s: report %s = %q, want %q", name, reportSel, got, reportWant)
		}
		if r := c.postForm("/uploads/"+id+"/start", url.Values{}); r.Header.Get("Location") != "/jobs/"+id {
			t.Fatalf("%s: go on: %d %q", name, r.StatusCode, r.Header.Get("Location"))
		}
		_ = w.Work(ctx, &river.Job[jobs.AnnotateArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 5}, Args: jobs.AnnotateArgs{JobID: id}})
		j, err := f.jobs.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return j
	}
	bad := run("badpos.vcf", header+"1\t100\t.\tA\tG\t.\t.\t.\n1\tabc\t.\tA\tG\t.\t.\t.\n", "#format-problems", "1 record cannot be annotated")
	if bad.State != gas.JobFailed || !strings.Contains(bad.FailReason, "line 4") {
		t.Fatalf("file with a bad record: %s %q", bad.State, bad.FailReason)
	}
	empty := run("empty.vcf", header, "#no-records", "no variant records")
	if empty.State != gas.JobCompleted || empty.Records != 0 {
		t.Fatalf("file without records: %s, %d records (%s)", empty.State, empty.Records, empty.FailReason)
	}
	if doc := c.get("/jobs/" + empty.ID).doc(t); text(find(doc, "#summary-counts td")) != "0" {
		t.Fatalf("empty job's summary: %q", text(find(doc, "#summary-counts")))
	}

	r := c.uploadChecked("notes.vcf", []byte("hello world\n"), "all")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(r.doc(t), "#form-error")), "not a VCF") {
		t.Fatalf("not a VCF: %d %q", r.StatusCode, text(find(r.doc(t), "#form-error")))
	}
	for _, file := range f.storedFiles(fmt.Sprintf("user/%d", u.ID)) {
		if strings.HasSuffix(file, "notes.vcf") {
			t.Fatalf("the refused file is stored: %s", file)
		}
	}
}
