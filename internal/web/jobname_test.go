package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

// field is one part of a multipart form, in the order it is sent.
type field struct{ name, value string }

// postMultipart posts /annotate (or path) as a browser form: the fields in
// order, then the file when fileName is not empty.
func (c *client) postMultipart(path string, fields []field, fileName string, data []byte) *resp {
	c.f.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, fl := range fields {
		if err := mw.WriteField(fl.name, fl.value); err != nil {
			c.f.t.Fatal(err)
		}
	}
	if fileName != "" {
		fw, err := mw.CreateFormFile("file", fileName)
		if err != nil {
			c.f.t.Fatal(err)
		}
		fw.Write(data)
	}
	mw.Close()
	req, err := http.NewRequest("POST", c.f.srv.URL+path, &body)
	if err != nil {
		c.f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// TestJobNames: a name typed on the form is the job's, through the plain
// upload and through the pre-flight report; without one the job is named
// after the file with a short suffix, so two uploads of test.vcf differ;
// the list shows name, input, bundle, transcripts and records; a name too
// long is refused with the form again.
func TestJobNames(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("names@example.org", "names password 1")

	named := jobIDFrom(t, c.postMultipart("/annotate", []field{{"mode", "canonical"}, {"job_name", "  Trio   chr21 "}}, "test.vcf", []byte(miniVCF)))
	a := jobIDFrom(t, c.upload("test.vcf", []byte(miniVCF), "all"))
	b := jobIDFrom(t, c.upload("test.vcf", []byte(miniVCF), "mane"))

	// Through the pre-flight report: the report shows the name, the job keeps it.
	r := c.postMultipart("/annotate", []field{{"preflight", "1"}, {"job_name", "checked first"}}, "test.vcf", []byte(miniVCF))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/uploads/") {
		t.Fatalf("checked upload: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	report := r.Header.Get("Location")
	if got := text(find(c.get(report).doc(t), "#pf-name")); got != "checked first" {
		t.Fatalf("report's job name %q", got)
	}
	checked := jobIDFrom(t, c.postForm(report+"/start", nil))

	want := map[string]string{
		named:   "Trio chr21",
		a:       gas.DefaultJobName("test.vcf", a),
		b:       gas.DefaultJobName("test.vcf", b),
		checked: "checked first",
	}
	if want[a] == want[b] || !strings.HasPrefix(want[a], "test.vcf") {
		t.Fatalf("default names %q and %q", want[a], want[b])
	}
	doc := c.get("/jobs").doc(t)
	modes := map[string]string{named: "canonical", a: "all", b: "MANE Select", checked: "all"}
	for id, name := range want {
		row := find(doc, "tr[data-job-id="+id+"]")
		if got := text(find(row, ".job-name")); got != name {
			t.Errorf("list: job %s named %q, want %q", id, got, name)
		}
		if text(find(row, ".job-input")) != "test.vcf" || text(find(row, ".job-bundle")) != "demo" || text(find(row, ".job-mode")) != modes[id] {
			t.Errorf("list: job %s input %q bundle %q mode %q", id, text(find(row, ".job-input")), text(find(row, ".job-bundle")), text(find(row, ".job-mode")))
		}
		if got := text(find(c.get("/jobs/"+id).doc(t), "#job-name")); got != name {
			t.Errorf("job page of %s: name %q, want %q", id, got, name)
		}
	}

	r = c.postMultipart("/annotate", []field{{"job_name", strings.Repeat("n", gas.MaxJobNameLen+1)}}, "test.vcf", []byte(miniVCF))
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(r.doc(t), "#form-error")), "at most 100") {
		t.Fatalf("a long name: %d %q", r.StatusCode, text(find(r.doc(t), "#form-error")))
	}
	if files := f.storedFiles("user"); len(files) != 4 {
		t.Fatalf("a refused upload left its file: %d inputs stored, want 4", len(files))
	}
}
