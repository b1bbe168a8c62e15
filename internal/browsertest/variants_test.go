package browsertest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
)

// trioVCF writes the demo VCF with three samples S1–S3 (sharedtest.Trio).
func trioVCF(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "trio.vcf")
	if err := os.WriteFile(path, sharedtest.Trio(refdata.DemoVCF()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// phoneFits fails the test when the page is wider than a 390 px phone,
// naming the elements that stick out.
func phoneFits(t *testing.T, b *browser, page string) {
	t.Helper()
	if w := mustEval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		wide := mustEval[[]string](b, `Array.from(document.querySelectorAll("body *")).filter(e => !e.closest(".table-responsive") && e.getBoundingClientRect().right > 390).slice(0, 8).map(e => e.tagName + "#" + e.id + "." + String(e.className) + ":" + Math.round(e.getBoundingClientRect().right))`)
		t.Errorf("%s is %d px wide on a 390 px phone; too wide: %v", page, w, wide)
	}
}

// TestBrowserVariantPagesPanelGenotypes follows a scientist with a trio
// VCF: upload it, filter the variant table by a gene panel read from a
// file, a region and heterozygous carriers, open a record's page, check
// its links out (hrefs only, no network), export the view to Excel with
// the page's count, look at the gene view, and use the table on a 390 px
// phone without sideways scrolling.
func TestBrowserVariantPagesPanelGenotypes(t *testing.T) {
	b := newBrowser(t)
	s := startSite(t, 0)
	input := trioVCF(t)
	panel := filepath.Join(t.TempDir(), "panel.txt")
	if err := os.WriteFile(panel, []byte("# my panel\nMRPL39\nAPP\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	b.do("sign up and upload",
		chromedp.Navigate(s.URL+"/signup"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SetValue(chromedp.ID("email"), "grace@example.org"),
		chromedp.SetValue(chromedp.ID("name"), "Grace"),
		chromedp.SetValue(chromedp.ID("password"), "browser test password"),
		chromedp.Click(chromedp.CSS("main form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{input}),
		chromedp.Click(chromedp.CSS("#upload-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.ID("preflight-report")),
		chromedp.Click(chromedp.ID("preflight-go")),
		chromedp.WaitVisible(chromedp.ID("job-details")))
	id := strings.TrimPrefix(mustEval[string](b, `location.pathname`), "/jobs/")
	b.shot("v01-trio-job")

	// The job page reloads itself once the job completes; the browser page
	// then waits for the index and reloads into the table.
	b.do("wait for completion", chromedp.WaitVisible(chromedp.CSS(`#status .job-state[data-state="COMPLETED"]`)))
	b.do("open the variant table",
		chromedp.Navigate(s.URL+"/jobs/"+id+"/variants"),
		chromedp.WaitVisible(chromedp.ID("variants")))
	heads := mustEval[[]string](b, `Array.from(document.querySelectorAll("#variants thead th")).map(e => e.textContent.trim())`)
	for _, h := range []string{"Transcript", "dbsnp_CLIN_SIG", "dbsnp_MAF", "Carriers"} {
		if !strings.Contains(strings.Join(heads, "|"), h) {
			t.Errorf("the table has no %s column: %v", h, heads)
		}
	}
	b.shot("v02-variant-table")

	b.do("filter by panel file, region and zygosity",
		chromedp.Click(chromedp.CSS("#more-filters summary")),
		chromedp.WaitVisible(chromedp.ID("f-genes")),
		chromedp.SetUploadFiles(chromedp.ID("f-genes-file"), []string{panel}),
		chromedp.Poll[chromedp.Void](`document.getElementById("f-genes").value === "MRPL39 APP"`),
		chromedp.SetValue(chromedp.ID("f-region"), "21:25000000-26000000"),
		chromedp.Click(chromedp.ID("f-zyg-het")),
		chromedp.Click(chromedp.ID("filter-apply")),
		chromedp.WaitReady(chromedp.CSS(`#f-zyg-het[checked]`)))
	q := mustEval[string](b, `location.search`)
	for _, want := range []string{"genes=APP+MRPL39", "region=21%3A25000000-26000000", "zyg=het"} {
		if !strings.Contains(q, want) {
			t.Fatalf("the filtered view's URL %q lacks %s", q, want)
		}
	}
	type row struct {
		Gene     string `json:"gene"`
		Carriers string `json:"carriers"`
		Pos      string `json:"pos"`
	}
	rows := mustEval[[]row](b, `Array.from(document.querySelectorAll("#variants tbody tr")).map(tr => {
	  const cell = l => { const td = tr.querySelector('td[data-label="' + l + '"]'); return td ? td.textContent.trim() : ""; };
	  return {gene: cell("Gene"), carriers: cell("Carriers"), pos: cell("Position")}; })`)
	if len(rows) == 0 {
		t.Fatal("the panel + region + het view is empty")
	}
	for _, r := range rows {
		if (r.Gene != "MRPL39" && r.Gene != "APP") || !strings.Contains(r.Carriers, "het") || !strings.HasPrefix(r.Pos, "21:2") {
			t.Errorf("a row outside the filter: %+v", r)
		}
	}
	count := mustEval[string](b, `document.querySelector("#variant-count strong").textContent`)
	b.shot("v03-filtered-panel-region-het")

	// Excel export of the view, through the page's link: its count is the page's.
	type download struct {
		Status  int    `json:"status"`
		Type    string `json:"type"`
		Records string `json:"records"`
		Magic   string `json:"magic"`
		Size    int    `json:"size"`
	}
	d := mustEval[download](b, `fetch(document.getElementById("export-xlsx").href, {credentials: "same-origin"})
	  .then(r => r.arrayBuffer().then(buf => ({status: r.status, type: r.headers.get("Content-Type"),
	    records: r.headers.get("X-GAS-Records"), size: buf.byteLength,
	    magic: String.fromCharCode.apply(null, new Uint8Array(buf.slice(0, 2)))})))`, chromedp.EvalAwaitPromise)
	if d.Status != 200 || !strings.Contains(d.Type, "spreadsheetml") || d.Records != strings.ReplaceAll(count, ",", "") || d.Magic != "PK" || d.Size < 1000 {
		t.Fatalf("Excel download %+v; the page says %s records", d, count)
	}

	// A phone: the filtered table is a list of cards, no sideways scroll.
	phone := b.tab()
	phone.do("phone table",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/jobs/"+id+"/variants"+q),
		chromedp.WaitVisible(chromedp.ID("variants")))
	phoneFits(t, phone, "the variant table")
	if w := mustEval[int](phone, `Math.round(document.querySelector("#variants td[data-label='ID']").getBoundingClientRect().width)`); w < 200 {
		t.Errorf("on a phone the ID cell is %d px wide", w)
	}
	phone.do("scroll to the table", chromedp.ScrollIntoView(chromedp.ID("variant-count")))
	phone.shotScreen("v04-phone-variant-table")

	// The record's page, from the first row's position.
	b.do("open a variant page",
		chromedp.Click(chromedp.CSS(`#variants tbody tr td[data-label="Position"] a`)),
		chromedp.WaitVisible(chromedp.ID("annotations")))
	v := mustEval[struct {
		Title string `json:"title"`
		Anns  int    `json:"anns"`
		GTs   int    `json:"gts"`
		Srcs  int    `json:"srcs"`
		UCSC  string `json:"ucsc"`
		Tx    string `json:"tx"`
	}](b, `({title: document.getElementById("variant-title").textContent, anns: document.querySelectorAll("#annotations tbody tr").length,
	  gts: document.querySelectorAll("#genotypes tbody tr").length, srcs: document.querySelectorAll("#sources tbody tr").length,
	  ucsc: (document.getElementById("link-ucsc") || {}).href || "", tx: (document.querySelector(".tx-link") || {}).href || ""})`)
	if v.Anns == 0 || v.GTs != 3 || v.Srcs == 0 {
		t.Fatalf("variant page: %+v", v)
	}
	// The link out is built for the bundle's assembly (the demo is GRCh38).
	pos := strings.Fields(v.Title)[0] // 21:25891796
	chrom, at, _ := strings.Cut(pos, ":")
	if !strings.HasPrefix(v.UCSC, "https://genome.ucsc.edu/cgi-bin/hgTracks?db=hg38&position=chr"+chrom+"%3A"+at+"-") {
		t.Errorf("UCSC link %q for %s", v.UCSC, pos)
	}
	if !strings.HasPrefix(v.Tx, "https://www.ensembl.org/Homo_sapiens/Transcript/Summary?t=ENST") {
		t.Errorf("Ensembl transcript link %q", v.Tx)
	}
	b.shot("v05-variant-page")
	phone.do("phone variant page",
		chromedp.Navigate(mustEval[string](b, `location.href`)),
		chromedp.WaitVisible(chromedp.ID("annotations")))
	phoneFits(t, phone, "the variant page")
	phone.shotScreen("v06-phone-variant-page")

	// The gene view of the same filter.
	b.do("gene view",
		chromedp.Navigate(s.URL+"/jobs/"+id+"/genes"+q),
		chromedp.WaitVisible(chromedp.ID("genes")))
	genes := mustEval[[]string](b, `Array.from(document.querySelectorAll("#genes tbody tr")).map(tr => tr.dataset.gene)`)
	if len(genes) == 0 || len(genes) > 2 {
		t.Errorf("gene view of a two-gene panel: %v", genes)
	}
	b.shot("v07-gene-view")
	phone.do("phone gene view",
		chromedp.Navigate(s.URL+"/jobs/"+id+"/genes"+q),
		chromedp.WaitVisible(chromedp.ID("genes")))
	phoneFits(t, phone, "the gene view")
	phone.shotScreen("v08-phone-gene-view")
}

// shotScreen saves what the viewport shows (a phone page is too tall for
// a full-page picture to be read).
func (b *browser) shotScreen(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), png, 0o644); err != nil {
		b.t.Errorf("save screenshot: %v", err)
	}
}
