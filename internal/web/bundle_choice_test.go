package web

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// TestBundleChoiceAtUpload: with several bundles configured the form offers
// them, the chosen one is recorded on the job, and it survives the
// pre-flight report (which compares the file's build with it).
func TestBundleChoiceAtUpload(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {
		c.Bundles = []string{"demo", "grch38"}
		c.BundleAssembly = func(b string) string { return map[string]string{"demo": "GRCh38", "grch38": "GRCh38"}[b] }
	})
	c := f.client()
	c.signup("ada@example.org", "correct horse battery")
	doc := c.get("/annotate").doc(t)
	if opts := findAll(doc, "select#bundle option"); len(opts) != 2 || attr(opts[1], "value") != "grch38" || !strings.Contains(text(opts[1]), "GRCh38") {
		t.Fatalf("bundle choice not offered: %d options", len(opts))
	}
	post := func(bundle string, preflight bool) *resp {
		t.Helper()
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("mode", "all")
		mw.WriteField("bundle", bundle)
		if preflight {
			mw.WriteField("preflight", "1")
		}
		fw, _ := mw.CreateFormFile("file", "b.vcf")
		fw.Write([]byte(miniVCF))
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, f.srv.URL+"/annotate", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return c.do(req)
	}
	r := post("grch38", false)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	id := strings.TrimPrefix(r.Header.Get("Location"), "/jobs/")
	if j, err := f.jobs.Job(context.Background(), id); err != nil || j.Bundle != "grch38" {
		t.Fatalf("job bundle: %+v %v", j, err)
	}
	r = post("grch38", true)
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/uploads/") {
		t.Fatalf("upload with pre-flight: %d %q", r.StatusCode, loc)
	}
	if got := text(find(c.get(loc).doc(t), "#pf-bundle")); !strings.HasPrefix(got, "grch38") {
		t.Fatalf("the report names bundle %q", got)
	}
	r = c.postForm(loc+"/start", nil)
	id = strings.TrimPrefix(r.Header.Get("Location"), "/jobs/")
	if j, err := f.jobs.Job(context.Background(), id); err != nil || j.Bundle != "grch38" {
		t.Fatalf("job after the report: %+v %v", j, err)
	}
	if r := post("hg19", false); r.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown bundle: %d", r.StatusCode)
	}
}
