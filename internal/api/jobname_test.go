package api

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

// TestAPIJobName: a multipart submission's job_name is the job's name, as
// the API shows it in the answer, the job and the list; without one the
// default (file name and a short suffix); a name too long is refused.
func TestAPIJobName(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "name@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	post := func(name string) answer {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("job_name", name)
		fw, _ := mw.CreateFormFile("file", "x.vcf")
		io.WriteString(fw, vcfText)
		mw.Close()
		return f.do(t, http.MethodPost, "/api/v1/jobs", tok, &buf, mw.FormDataContentType())
	}
	var j Job
	if a := post(" Trio  run "); a.code != http.StatusCreated {
		t.Fatalf("submit: %d %s", a.code, a.body)
	} else {
		a.json(t, &j)
	}
	var got Job
	f.do(t, "GET", "/api/v1/jobs/"+j.ID, tok, nil, "").json(t, &got)
	if j.Name != "Trio run" || got.Name != "Trio run" {
		t.Fatalf("names %q / %q", j.Name, got.Name)
	}
	var d Job
	f.submit(t, tok, "x.vcf", vcfText, "").json(t, &d)
	if d.Name != gas.DefaultJobName("x.vcf", d.ID) {
		t.Fatalf("default name %q", d.Name)
	}
	var list JobList
	f.do(t, "GET", "/api/v1/jobs", tok, nil, "").json(t, &list)
	if len(list.Jobs) != 2 || list.Jobs[1].Name != "Trio run" || list.Jobs[0].Name != d.Name {
		t.Fatalf("list %+v", list.Jobs)
	}
	if a := post(strings.Repeat("x", 101)); a.code != http.StatusBadRequest || a.errCode(t) != gas.EINVALID {
		t.Fatalf("long name: %d %s", a.code, a.body)
	}
}

// TestPasteAPI: a multipart "paste" part is a job as a file would be, its
// input the VCF made from the lines; bad lines are a 400 naming them.
func TestPasteAPI(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "paste@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	post := func(paste string) answer {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("paste", paste)
		mw.Close()
		return f.do(t, http.MethodPost, "/api/v1/jobs", tok, &buf, mw.FormDataContentType())
	}
	var j Job
	a := post("chr1 100 A G\nchr1:200:C:T\n")
	if a.code != http.StatusCreated {
		t.Fatalf("paste: %d %s", a.code, a.body)
	}
	a.json(t, &j)
	if j.InputName != "pasted.vcf" || j.State != gas.JobPending {
		t.Fatalf("pasted job %+v", j)
	}
	var e ErrorBody
	a = post("chr1 100 A G\nchr1 1e3 C T\n")
	a.json(t, &e)
	if a.code != http.StatusBadRequest || !strings.Contains(e.Error.Message, "line 2: POS") {
		t.Fatalf("bad paste: %d %s", a.code, a.body)
	}
	if a := post(strings.Repeat("chr1 100 A G\n", 1000)); a.code != http.StatusRequestEntityTooLarge {
		t.Fatalf("paste over the limit: %d %s", a.code, a.body)
	}
}

// TestAPISkipMalformed: skip_malformed before the file lets a file with a
// malformed record through the upload check (refused without it) and is
// stored in the job's options and shown on the job.
func TestAPISkipMalformed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	_, tok := f.user(t, "skip@example.org", gas.ScopeJobsRead, gas.ScopeJobsWrite)
	broken := vcfText + "chr1\tx\t.\tA\tG\t.\t.\t.\n"
	post := func(skip string) answer {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if skip != "" {
			mw.WriteField("skip_malformed", skip)
		}
		fw, _ := mw.CreateFormFile("file", "b.vcf")
		io.WriteString(fw, broken)
		mw.Close()
		return f.do(t, http.MethodPost, "/api/v1/jobs", tok, &buf, mw.FormDataContentType())
	}
	if a := post(""); a.code != http.StatusBadRequest || !strings.Contains(string(a.body), "line 4") {
		t.Fatalf("without skip: %d %s", a.code, a.body)
	}
	if a := post("maybe"); a.code != http.StatusBadRequest {
		t.Fatalf("skip_malformed=maybe: %d %s", a.code, a.body)
	}
	a := post("true")
	var j Job
	a.json(t, &j)
	if a.code != http.StatusCreated || !j.SkipMalformed {
		t.Fatalf("with skip: %d %s", a.code, a.body)
	}
	got, err := f.store.Job(context.Background(), j.ID)
	if err != nil || !strings.Contains(got.Options, `"on_error":"skip"`) {
		t.Fatalf("stored options %q, %v", got.Options, err)
	}
}
