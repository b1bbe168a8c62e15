package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/refdata"
)

// TestSkipMalformedRecords: with "skip malformed records" ticked, a file
// with a broken record is accepted (without it the upload check refuses
// it), the pre-flight report says the record will be skipped, and the job —
// run by the real engine with the options stored on it — completes; its
// page lists the skipped record with its line number.
func TestSkipMalformedRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t, nil)
	c := f.client()
	c.signup("skip@example.org", "skip password 12")

	// The demo with its first record's POS broken.
	lines := strings.SplitAfter(string(refdata.DemoVCF()), "\n")
	bad := 0
	for i, l := range lines {
		if !strings.HasPrefix(l, "#") {
			cols := strings.Split(l, "\t")
			cols[1] = "12x"
			lines[i], bad = strings.Join(cols, "\t"), i+1
			break
		}
	}
	input := []byte(strings.Join(lines, ""))

	if r := c.upload("broken.vcf", input, "all"); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(text(find(r.doc(t), "#form-error")), fmt.Sprintf("line %d", bad)) {
		t.Fatalf("without skip: %d %q, want 400 naming line %d", r.StatusCode, text(find(r.doc(t), "#form-error")), bad)
	}
	r := c.postMultipart("/annotate", []field{{"preflight", "1"}, {"skip_malformed", "1"}}, "broken.vcf", input)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("checked with skip: %d", r.StatusCode)
	}
	rep := c.get(r.Header.Get("Location")).doc(t)
	if find(rep, "#skip-note") == nil || text(find(rep, "#pf-on-error")) != "skipped and listed" {
		t.Fatal("the pre-flight report does not say the broken record will be skipped")
	}
	id := jobIDFrom(t, c.postMultipart("/annotate", []field{{"skip_malformed", "1"}}, "broken.vcf", input))
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	opt, err := jobs.ParseJobOptions(j.Options)
	if err != nil || opt.OnError != annotate.Skip {
		t.Fatalf("job options %q: %v", j.Options, err)
	}

	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(ctx, dir, "test"); err != nil {
		t.Fatal(err)
	}
	b, err := refdata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out bytes.Buffer
	opt.Workers = 2
	sum, err := annotate.Annotate(ctx, bytes.NewReader(input), &out, b, opt)
	if err != nil {
		t.Fatalf("the engine with the job's options: %v", err)
	}
	f.complete(id, out.Bytes(), []byte("log\n"), sum)
	doc := c.get("/jobs/" + id).doc(t)
	list := text(find(doc, "#skipped-records"))
	if text(find(doc, "#count-skipped")) != "1" || !strings.Contains(list, "1 malformed record was skipped") ||
		!strings.Contains(list, fmt.Sprintf("line %d: POS", bad)) {
		t.Fatalf("skipped count %q, list %q", text(find(doc, "#count-skipped")), list)
	}
	if got := text(find(doc, "#on-error")); !strings.Contains(got, "skipped") {
		t.Fatalf("job details say %q", got)
	}
	js, _ := json.Marshal(sum.Errors)
	t.Logf("summary errors %s", js)
}
