package e2e

import (
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
)

// TestBadInputRejectedAtUpload sends the same bad files to a running gas
// serve: the upload form refuses each format problem with 400 and a reason
// before any job exists (internal/web/validate.go), while a file on unknown
// contigs is accepted and completes with a warning in its log, and good
// uploads in between complete.
func TestBadInputRejectedAtUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: runs the real binary")
	}
	dir := t.TempDir()
	// 1 MB plan: the bomb (about 300 KB) is under it, so it is refused for
	// what it decompresses to, not for its size; 20 MB decompressed, so
	// the 10 MB line is refused for its length.
	s := startServer(t, dir, map[string]string{"GAS_FREE_UPLOAD_LIMIT": "1MB", "GAS_FREE_INPUT_SIZE": "20MB", "GAS_FREE_RETENTION": "1h"})
	c := signUp(t, s.url, "bad-upload@example.org")

	// The web check holds a Free input to GAS_FREE_INPUT_SIZE after
	// decompression (413, in the plan's words). Its lines are capped as
	// the worker's are.
	words := map[string][]string{
		"binary file named .vcf":  {"cannot be annotated", "binary data"},
		"truncated gzip":          {"cannot be annotated", "truncated gzip"},
		"gzip bomb":               {"Once decompressed", "larger than your Free plan allows (20 MB", "compressing the file does not change the limit"},
		"header-less file":        {"cannot be annotated", "not a VCF file", "##fileformat"},
		"one 10 MB line":          {"cannot be annotated", "longer than the limit"},
		"zero variants":           {"no variant records"},
		"wrong reference contigs": nil, // a well-formed file: accepted
	}
	var accepted []string
	var contigJob string
	good := refdata.DemoVCF()
	for _, c0 := range badInputs(t) {
		want, ok := words[c0.name]
		if !ok {
			t.Fatalf("no expectation for case %q", c0.name)
		}
		content, file := c0.content, c0.file
		if c0.name == "one 10 MB line" {
			// Compressed, so it is refused for its line, not its size.
			content, file = sharedtest.Gzip(t, content), file+".gz"
		}
		r, err := c.upload(file, content, "all")
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			if r.JobID == "" {
				t.Errorf("%s: upload = %d, want accepted\n%.500s", c0.name, r.Status, r.Body)
			} else {
				accepted = append(accepted, r.JobID)
				contigJob = r.JobID
			}
		} else {
			status := http.StatusBadRequest
			if c0.name == "gzip bomb" {
				status = http.StatusRequestEntityTooLarge
			}
			if r.Status != status {
				t.Errorf("%s: upload = %d, want %d\n%.500s", c0.name, r.Status, status, r.Body)
			}
			page := html.UnescapeString(r.Body)
			for _, w := range want {
				if !strings.Contains(page, w) {
					t.Errorf("%s: the 400 page does not say %q", c0.name, w)
				}
			}
		}
		accepted = append(accepted, c.mustUpload("good.vcf", good))
	}
	c.waitState(accepted, string(gas.JobCompleted), 2*time.Minute)
	if contigJob != "" {
		code, log := c.get("/jobs/" + contigJob + "/log")
		if code != http.StatusOK || !strings.Contains(html.UnescapeString(string(log)), "contig chrZZ is not in the reference bundle") {
			t.Errorf("GET /jobs/%s/log = %d without the contig warning", contigJob, code)
		}
	}
	s.stop()

	// Refused uploads left neither a job nor a stored file behind.
	db := openData(t, dir)
	if n := len(userJobs(t, db, c.email)); n != len(accepted) {
		t.Errorf("%d jobs in the database, %d uploads were accepted", n, len(accepted))
	}
	files, temps := blobFiles(t, dir)
	if len(files) != len(accepted) || len(temps) != 0 {
		t.Errorf("blob store holds files of %d jobs (+%d temporary), want %d", len(files), len(temps), len(accepted))
	}
}
