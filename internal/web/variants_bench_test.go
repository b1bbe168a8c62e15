package web

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/refdata"
)

// demoBody is the demo VCF's header and data lines.
func demoBody() (header, body []byte) {
	demo := refdata.DemoVCF()
	i := bytes.Index(demo, []byte("\n#CHROM"))
	j := i + 1 + bytes.IndexByte(demo[i+1:], '\n') + 1
	return demo[:j], demo[j:]
}

// BenchmarkVariantsPage measures GET /jobs/{id}/variants through the
// site's handler (session, ownership check, index cache, query, template)
// on the index of a 1,000,000-record result of the real engine (the demo's
// records repeated). Building it takes a minute or two before the timer.
func BenchmarkVariantsPage(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 1,000,000-record result and index")
	}
	ctx := context.Background()
	f := setup(b, func(c *Config) { c.IndexCacheDir = b.TempDir() })
	c := f.client()
	c.signup("bench@example.org", "benchmark password")
	id := jobIDFrom(b, c.upload("demo.vcf", refdata.DemoVCF(), "all"))
	j, err := f.jobs.Job(ctx, id)
	if err != nil {
		b.Fatal(err)
	}

	dir := filepath.Join(b.TempDir(), "demo")
	if _, err := refdata.BuildDemo(ctx, dir, "test"); err != nil {
		b.Fatal(err)
	}
	bundle, err := refdata.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	defer bundle.Close()
	const records = 1_000_000
	header, body := demoBody()
	per := bytes.Count(body, []byte("\n"))
	pr, pw := io.Pipe()
	go func() {
		if _, err := pw.Write(header); err != nil {
			pw.CloseWithError(err)
			return
		}
		for n := 0; n < records; n += per {
			lines := body
			if records-n < per { // stop at exactly records
				lines = body[:nthNewline(body, records-n)+1]
			}
			if _, err := pw.Write(lines); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.Close()
	}()
	resPath := filepath.Join(b.TempDir(), "result.vcf.gz")
	out, err := os.Create(resPath)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	sum, err := annotate.Annotate(ctx, pr, out, bundle, annotate.Options{})
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("annotated %d records in %v", sum.Records, time.Since(start).Round(time.Millisecond))
	rf, err := os.Open(resPath)
	if err != nil {
		b.Fatal(err)
	}
	resKey := filepath.Dir(j.InputKey) + "/result.vcf.gz"
	info, err := f.blobs.Put(ctx, resKey, rf)
	rf.Close()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobPending, To: gas.JobRunning, Actor: "bench"}); err != nil {
		b.Fatal(err)
	}
	if _, err := f.jobs.TransitionJob(ctx, id, gas.JobChange{From: gas.JobRunning, To: gas.JobCompleted, Actor: "bench",
		Result: &gas.JobResult{ResultKey: resKey, LogKey: resKey, ResultSize: info.Size, ResultSum: info.SHA256, Records: sum.Records}}); err != nil {
		b.Fatal(err)
	}
	start = time.Now()
	f.buildIndex(id)
	b.Logf("indexed in %v", time.Since(start).Round(time.Millisecond))

	views := []struct{ name, query string }{
		{"first-page", ""},
		{"page-100", "?page=100"},
		{"sort-impact-desc", "?sort=-impact"},
		{"impact-moderate-page-10", "?impact=moderate&page=10"},
		{"gene", "?gene=" + firstGene(b, c, id)},
		{"novel-maxfreq-sort-gene", "?known=novel&maxfreq=0.01&sort=gene"},
		{"page-10000", "?page=10000"},
	}
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			if r := c.get("/jobs/" + id + "/variants" + v.query); r.StatusCode != 200 {
				b.Fatalf("%s: %d", v.query, r.StatusCode)
			}
			for b.Loop() {
				c.get("/jobs/" + id + "/variants" + v.query)
			}
		})
	}
}

// nthNewline is the index of the n-th newline (1-based) in b.
func nthNewline(b []byte, n int) int {
	at := -1
	for range n {
		at += 1 + bytes.IndexByte(b[at+1:], '\n')
	}
	return at
}

// firstGene is the gene of the first row of the gene-sorted table.
func firstGene(b *testing.B, c *client, id string) string {
	doc, err := html.Parse(bytes.NewReader(c.get("/jobs/" + id + "/variants?sort=-gene").body))
	if err != nil {
		b.Fatal(err)
	}
	return text(findAll(doc, "#variants tbody tr td")[4])
}
