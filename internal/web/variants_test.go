package web

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/variantdb"
	"github.com/gas-project/gas/refdata"
)

// buildIndex runs the index worker's build on a completed job.
func (f *fixture) buildIndex(id string) {
	f.t.Helper()
	ctx := context.Background()
	iw, err := jobs.NewIndexWorker(f.jobs, f.db, f.blobs, jobs.IndexConfig{TempDir: f.t.TempDir()})
	if err != nil {
		f.t.Fatal(err)
	}
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := iw.Build(ctx, j); err != nil {
		f.t.Fatal(err)
	}
}

// exportCount reads the record count an export states in its body.
func exportCount(t *testing.T, format string, body []byte) (stated, counted int64) {
	t.Helper()
	switch format {
	case "vcf.gz":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(bytes.NewReader(plain))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			l := sc.Text()
			if v, ok := strings.CutPrefix(l, variantdb.VCFRecordsKey); ok {
				stated, _ = strconv.ParseInt(v, 10, 64)
			} else if l != "" && l[0] != '#' {
				counted++
			}
		}
	case "tsv":
		first, rest, _ := bytes.Cut(body, []byte("\n"))
		for _, fld := range strings.Fields(string(first)) {
			if v, ok := strings.CutPrefix(fld, "records="); ok {
				stated, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		_, rows, _ := bytes.Cut(rest, []byte("\n")) // the column line
		seen := map[string]bool{}
		for _, l := range strings.Split(strings.TrimSuffix(string(rows), "\n"), "\n") {
			if l != "" {
				seen[strings.SplitN(l, "\t", 2)[0]] = true // one row per record × annotation; the first column numbers the record
			}
		}
		counted = int64(len(seen))
	case "json":
		var v variantdb.ViewSummary
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatal(err)
		}
		stated = v.Records
		// Each record has one worst impact ("none" without annotation).
		for _, n := range v.Impacts {
			counted += n
		}
	}
	return stated, counted
}

// TestVariantBrowser: before the index exists the browser says it is being
// built; then it pages, filters and sorts the real engine's result, and
// every export of the full result and of a filtered view states the same
// record count as the page, in the header and in the file.
func TestVariantBrowser(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {})
	c := f.client()
	c.signup("browse@example.org", "browse password 1")
	id := jobIDFrom(t, c.upload("demo.vcf", refdata.DemoVCF(), "all"))

	doc := c.get("/jobs/" + id + "/variants").doc(t)
	if w := find(doc, "#variants-waiting"); w == nil || attr(w, "data-watch-index") != "" {
		t.Fatal("a PENDING job's browser does not say it waits for the annotation")
	}
	if r := c.get("/jobs/" + id + "/variants.tsv"); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("export without an index: %d, want 303 to the browser", r.StatusCode)
	}

	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(ctx, dir, "test"); err != nil {
		t.Fatal(err)
	}
	annotateRealNoIndex(t, f, id, dir)
	doc = c.get("/jobs/" + id + "/variants").doc(t)
	if w := find(doc, "#variants-waiting"); w == nil || attr(w, "data-watch-index") != id {
		t.Fatal("a completed job without its index does not say the index is being built")
	}
	if find(c.get("/jobs/"+id).doc(t), "#variants-link") == nil {
		t.Fatal("the job page has no link to the browser")
	}
	if st := status(t, c, id); st.IndexReady {
		t.Fatal("index_ready before the index was built")
	}
	f.buildIndex(id)
	if st := status(t, c, id); !st.IndexReady {
		t.Fatal("index_ready is false after the build")
	}

	j, _ := f.jobs.Job(ctx, id)
	doc = c.get("/jobs/" + id + "/variants").doc(t)
	rows := findAll(doc, "#variants tbody tr")
	if len(rows) != variantdb.DefaultPerPage {
		t.Fatalf("first page has %d rows, want %d", len(rows), variantdb.DefaultPerPage)
	}
	if got := text(find(doc, "#variant-count")); !strings.Contains(got, "of "+groupDigits(j.Records)) {
		t.Fatalf("count line %q, result has %d records", got, j.Records)
	}
	if attr(find(doc, "#page-next"), "href") != "/jobs/"+id+"/variants?page=2" || hasAttr(find(doc, "#page-prev"), "href") {
		t.Fatal("pager links of page 1")
	}
	// Sorting by impact puts the most severe first.
	doc = c.get(attr(find(doc, "#sort-impact"), "href")).doc(t)
	if got := text(find(doc, "#variants tbody tr td .badge")); got != "HIGH" {
		t.Fatalf("impact sort: first row %q, want HIGH", got)
	}

	// A filtered view, by its shareable URL: every row matches. (HIGH: the
	// demo's moderate+ records, protein changes on chr21, fill two pages.)
	view := url.Values{"impact": {"high"}}
	r := c.get("/jobs/" + id + "/variants?" + view.Encode())
	doc = r.doc(t)
	rows = findAll(doc, "#variants tbody tr")
	if r.StatusCode != 200 || len(rows) == 0 {
		t.Fatalf("filtered view: %d, %d rows", r.StatusCode, len(rows))
	}
	for _, row := range rows {
		if b := text(find(row, ".badge")); b != "HIGH" {
			t.Fatalf("impact>=high shows a %s row", b)
		}
	}
	if attr(find(doc, "#f-impact option[selected]"), "value") != "high" {
		t.Fatal("the form does not show the active filter")
	}
	filtered := int64(len(rows)) // fewer than a page in the demo
	if n := len(findAll(doc, "#variants tbody tr")); n >= variantdb.DefaultPerPage {
		t.Fatalf("the demo's high-impact view fills a page (%d): the count check needs the total", n)
	}

	// Exports: the full result and the view; each states its count in the
	// header and in the file, and the formats agree.
	for _, v := range []struct {
		query string
		want  int64
	}{{"", j.Records}, {"?" + view.Encode(), filtered}} {
		for _, format := range []string{"vcf.gz", "tsv", "json"} {
			r := c.get("/jobs/" + id + "/variants." + format + v.query)
			if r.StatusCode != 200 {
				t.Fatalf("export %s%s: %d", format, v.query, r.StatusCode)
			}
			hdr, _ := strconv.ParseInt(r.Header.Get("X-GAS-Records"), 10, 64)
			stated, counted := exportCount(t, format, r.body)
			if hdr != v.want || stated != v.want || counted != v.want {
				t.Errorf("export %s%s: header %d, stated %d, holds %d; want %d", format, v.query, hdr, stated, counted, v.want)
			}
			if cd := r.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") ||
				(v.query != "") != strings.Contains(cd, ".filtered.") {
				t.Errorf("export %s%s: disposition %q", format, v.query, cd)
			}
		}
	}

	// Bad input: a clear 400; a page past the end goes to the last page.
	r = c.get("/jobs/" + id + "/variants?impact=severe")
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(text(find(r.doc(t), "#filter-error")), "impact") {
		t.Fatalf("bad filter: %d", r.StatusCode)
	}
	r = c.get("/jobs/" + id + "/variants?" + view.Encode() + "&page=9")
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/jobs/"+id+"/variants?impact=high" {
		t.Fatalf("page past the end: %d → %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// annotateRealNoIndex is annotateReal without the index build, on a demo
// bundle built in dir.
func annotateRealNoIndex(t *testing.T, f *fixture, id, dir string) {
	t.Helper()
	ctx := context.Background()
	b, err := refdata.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := f.blobs.Open(ctx, j.InputKey)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	sum, err := annotate.Annotate(ctx, rc, &out, b, annotate.Options{Workers: 2})
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}
	f.complete(id, out.Bytes(), []byte("log\n"), sum)
}
