package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/internal/variantdb"
	"github.com/gas-project/gas/refdata"
	"github.com/xuri/excelize/v2"
)

// indexedMultiSample uploads the three-sample demo as a new user, runs the
// real engine on it and builds its index; it returns the client and job.
func indexedMultiSample(t *testing.T, f *fixture, email string) (*client, string) {
	t.Helper()
	demoDir := filepath.Join(t.TempDir(), "demo")
	if _, err := refdata.BuildDemo(context.Background(), demoDir, "test"); err != nil {
		t.Fatal(err)
	}
	c := f.client()
	c.signup(email, "browse password 1")
	id := jobIDFrom(t, c.upload("trio.vcf", sharedtest.Trio(refdata.DemoVCF()), "all"))
	annotateRealNoIndex(t, f, id, demoDir)
	f.buildIndex(id)
	return c, id
}

// TestVariantPageAndFilters: panel + region + zygosity in the URL give
// rows of the panel's genes, with the transcript column and a column per
// source field; a row opens the record's page with every allele ×
// transcript, source field, genotype and links built for GRCh38.
func TestVariantPageAndFilters(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {})
	c, id := indexedMultiSample(t, f, "page@example.org")

	view := url.Values{"genes": {"MRPL39 APP"}, "region": {"21:25000000-26000000"}, "zyg": {"het"}, "sample": {"S2"}}
	r := c.get("/jobs/" + id + "/variants?" + view.Encode())
	doc := r.doc(t)
	rows := findAll(doc, "#variants tbody tr")
	if r.StatusCode != 200 || len(rows) == 0 {
		t.Fatalf("panel+region+zygosity view: %d, %d rows", r.StatusCode, len(rows))
	}
	heads := []string{}
	for _, th := range findAll(doc, "#variants thead th") {
		heads = append(heads, strings.TrimSpace(strings.Trim(text(th), "▲▼")))
	}
	col := func(name string) int {
		for i, h := range heads {
			if strings.TrimSpace(h) == name {
				return i
			}
		}
		t.Fatalf("no %s column in %v", name, heads)
		return -1
	}
	gi, ti, ci, si := col("Gene"), col("Transcript"), col("dbsnp_CLIN_SIG"), col("Carriers")
	_ = ci
	for _, row := range rows {
		tds := findAll(row, "td")
		if g := text(tds[gi]); g != "MRPL39" && g != "APP" {
			t.Errorf("panel view shows gene %q", g)
		}
		if !strings.HasPrefix(text(tds[ti]), "ENST") {
			t.Errorf("transcript cell %q", text(tds[ti]))
		}
		if !strings.Contains(text(tds[si]), "S2 het") {
			t.Errorf("S2 het view: carriers %q", text(tds[si]))
		}
		if attr(find(tds[gi], ".cell"), "title") == "" {
			t.Error("a cell without its tooltip")
		}
	}
	if !hasAttr(find(doc, "#more-filters"), "open") || attr(find(doc, "#f-zyg-het"), "checked") == "" && !hasAttr(find(doc, "#f-zyg-het"), "checked") {
		t.Error("the form does not show the genotype filter")
	}
	// The count agrees with the index.
	f2, _ := variantdb.ParseFilter(view)
	_ = f2

	// Column chooser, kept in the URL and in the sort links.
	r = c.get("/jobs/" + id + "/variants?" + view.Encode() + "&cols=pos,gene,src:dbsnp_CLIN_SIG")
	doc = r.doc(t)
	if n := len(findAll(doc, "#variants thead th")); n != 3 {
		t.Fatalf("cols=pos,gene,src:dbsnp_CLIN_SIG shows %d columns", n)
	}
	if href := attr(find(doc, "#sort-gene"), "href"); !strings.Contains(href, "cols=pos%2Cgene%2Csrc%3Adbsnp_CLIN_SIG") {
		t.Errorf("sort link loses the columns: %q", href)
	}

	// The record's page, opened from the first row.
	pos := attr(find(rows[0], "td a"), "href")
	rid, err := strconv.ParseInt(pos[strings.LastIndexByte(pos, '/')+1:], 10, 64)
	if err != nil || !strings.HasPrefix(pos, "/jobs/"+id+"/variants/") {
		t.Fatalf("position link %q", pos)
	}
	ix := f.openIndex(id)
	v, err := ix.Variant(context.Background(), rid)
	if err != nil {
		t.Fatal(err)
	}
	doc = c.get(pos).doc(t)
	if n := len(findAll(doc, "#annotations tbody tr")); n != len(v.Annotations) || n == 0 {
		t.Errorf("variant page: %d annotation rows, record has %d", n, len(v.Annotations))
	}
	if n := len(findAll(doc, "#sources tbody tr")); n != 9 {
		t.Errorf("variant page: %d source rows, the demo bundle has 9 fields (8 of dbsnp, clinvar's CLNSIG)", n)
	}
	gts := findAll(doc, "#genotypes tbody tr")
	if len(gts) != 3 || attr(gts[1], "data-class") != "het" {
		t.Errorf("genotypes: %d rows, S2 %q", len(gts), attr(gts[1], "data-class"))
	}
	ucsc := attr(find(doc, "#link-ucsc"), "href")
	want := fmt.Sprintf("https://genome.ucsc.edu/cgi-bin/hgTracks?db=hg38&position=chr21%%3A%d-%d", v.Pos, v.Pos+int64(len(v.Ref))-1)
	if ucsc != want {
		t.Errorf("UCSC link %q, want %q", ucsc, want)
	}
	if tx := attr(find(doc, ".tx-link"), "href"); !strings.HasPrefix(tx, "https://www.ensembl.org/Homo_sapiens/Transcript/Summary?t=ENST") {
		t.Errorf("transcript link %q", tx)
	}

	// A known record links to dbSNP and ClinVar by its rsID.
	known, err := ix.Query(context.Background(), variantdb.Filter{ClinSig: []string{"pathogenic"}})
	if err != nil || len(known.Rows) != 1 {
		t.Fatalf("pathogenic record: %v %v", known, err)
	}
	kr := known.Rows[0]
	doc = c.get("/jobs/" + id + "/variants/" + strconv.FormatInt(kr.RID, 10)).doc(t)
	if h := attr(find(doc, "#link-dbsnp"), "href"); h != "https://www.ncbi.nlm.nih.gov/snp/"+kr.ID {
		t.Errorf("dbSNP link %q for %s", h, kr.ID)
	}
	if h := attr(find(doc, "#link-gnomad-0"), "href"); !strings.HasSuffix(h, "?dataset=gnomad_r4") || !strings.Contains(h, "/variant/21-") {
		t.Errorf("gnomAD link %q", h)
	}
	if r := c.get("/jobs/" + id + "/variants/999999"); r.StatusCode != http.StatusNotFound {
		t.Errorf("record past the end: %d", r.StatusCode)
	}
	if r := c.get("/jobs/" + id + "/variants?sample=NOBODY"); r.StatusCode != http.StatusBadRequest ||
		!strings.Contains(text(find(r.doc(t), "#filter-error")), "NOBODY") {
		t.Errorf("unknown sample: %d", r.StatusCode)
	}
}

// TestVariantPageLinksGRCh37: GRCh37 links go to the GRCh37 sites.
func TestVariantPageLinksGRCh37(t *testing.T) {
	v := &variantdb.Variant{Row: variantdb.Row{Chrom: "chr7", Pos: 117199644, ID: "rs113993960", Ref: "ATCT", Alt: "A"}, Alts: []string{"A"}}
	got := map[string]string{}
	for _, l := range linksFor("GRCh37").record(v) {
		got[l.ID] = l.Href
	}
	for id, want := range map[string]string{
		"link-ucsc":             "https://genome.ucsc.edu/cgi-bin/hgTracks?db=hg19&position=chr7%3A117199644-117199647",
		"link-ensembl-location": "https://grch37.ensembl.org/Homo_sapiens/Location/View?r=7%3A117199644-117199647",
		"link-gnomad-0":         "https://gnomad.broadinstitute.org/variant/7-117199644-ATCT-A?dataset=gnomad_r2_1",
		"link-dbsnp":            "https://www.ncbi.nlm.nih.gov/snp/rs113993960",
	} {
		if got[id] != want {
			t.Errorf("%s: %q, want %q", id, got[id], want)
		}
	}
	if l, _ := linksFor("GRCh37").gene("ENSG00000001626"); l.Href != "https://grch37.ensembl.org/Homo_sapiens/Gene/Summary?g=ENSG00000001626" {
		t.Errorf("gene link %q", l.Href)
	}
	if ls := linksFor("").record(v); len(ls) != 2 {
		t.Errorf("unknown assembly: %v, want the rsID links only", ls)
	}
}

// TestGeneViewPage: one row per gene with the counts of the index's gene
// view, linked to the gene's records.
func TestGeneViewPage(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {})
	c, id := indexedMultiSample(t, f, "genes@example.org")
	r := c.get("/jobs/" + id + "/genes?zyg=hom")
	doc := r.doc(t)
	rows := findAll(doc, "#genes tbody tr")
	want, err := f.openIndex(id).Genes(context.Background(), variantdb.Filter{Zygosity: []int{variantdb.GTHomAlt}})
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode != 200 || len(rows) != len(want) || len(rows) < 3 {
		t.Fatalf("gene view: %d, %d rows, index has %d genes", r.StatusCode, len(rows), len(want))
	}
	for i, row := range rows {
		g := want[i]
		if attr(row, "data-gene") != g.Name || text(find(row, ".gene-n")) != strconv.FormatInt(g.Records, 10) ||
			text(find(row, ".gene-high")) != strconv.FormatInt(g.Impact(variantdb.ImpactHigh), 10) {
			t.Errorf("row %d: %s %s, want %s %d", i, attr(row, "data-gene"), text(find(row, ".gene-n")), g.Name, g.Records)
		}
	}
	link := attr(find(rows[0], "a.gene-records"), "href")
	rdoc := c.get(link).doc(t)
	if n := len(findAll(rdoc, "#variants tbody tr")); int64(n) != min(want[0].Records, variantdb.DefaultPerPage) {
		t.Errorf("the gene's records link %q shows %d rows, the gene view says %d", link, n, want[0].Records)
	}
}

// TestXlsxExportWeb: the Excel export of a filtered view states the page's
// count in X-GAS-Records and holds that many records.
func TestXlsxExportWeb(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {})
	c, id := indexedMultiSample(t, f, "xlsx@example.org")
	q := "?genes=MRPL39+APP&zyg=het"
	doc := c.get("/jobs/" + id + "/variants" + q).doc(t)
	href := attr(find(doc, "#export-xlsx"), "href")
	if hq, _ := url.ParseQuery(strings.TrimPrefix(href, "/jobs/"+id+"/variants.xlsx?")); !strings.HasPrefix(href, "/jobs/"+id+"/variants.xlsx?") ||
		hq.Get("genes") != "APP MRPL39" || hq.Get("zyg") != "het" {
		t.Fatalf("xlsx link %q", href)
	}
	r := c.get(href)
	if r.StatusCode != 200 || !strings.Contains(r.Header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("xlsx: %d %s", r.StatusCode, r.Header.Get("Content-Type"))
	}
	n, _ := strconv.ParseInt(r.Header.Get("X-GAS-Records"), 10, 64)
	page := text(find(doc, "#variant-count"))
	if !strings.Contains(page, "of "+groupDigits(n)+" ") {
		t.Errorf("X-GAS-Records %d, page says %q", n, page)
	}
	x, err := excelize.OpenReader(bytes.NewReader(r.body))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, _ := x.GetRows(variantdb.XLSXVariantsSheet)
	recs := map[string]bool{}
	for _, row := range rows[1:] {
		recs[row[0]] = true
	}
	if int64(len(recs)) != n || n == 0 {
		t.Errorf("workbook holds %d records, header says %d", len(recs), n)
	}
	sum, _ := x.GetRows(variantdb.XLSXSummarySheet)
	if sum[0][1] != strconv.FormatInt(n, 10) {
		t.Errorf("summary sheet says %v", sum[0])
	}
}

// TestBearerExportAndViews: an API token with jobs:read fetches the
// filtered view and every export without a session, with the same counts;
// a bad token is 401, one without the scope 403, another user's job 404.
func TestBearerExportAndViews(t *testing.T) {
	t.Parallel()
	f := setup(t, func(c *Config) {})
	c, id := indexedMultiSample(t, f, "bearer@example.org")
	read := newToken(t, c, url.Values{"name": {"read"}, "scope": {gas.ScopeJobsRead}})
	write := newToken(t, c, url.Values{"name": {"write"}, "scope": {gas.ScopeJobsWrite}})
	other := f.client()
	other.signup("other@example.org", "browse password 2")
	otherTok := newToken(t, other, url.Values{"name": {"other"}, "scope": {gas.ScopeJobsRead}})

	bearer := func(path, token string) *resp {
		t.Helper()
		req, err := http.NewRequest("GET", f.srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+token)
		return f.client().do(req)
	}
	q := "?genes=MRPL39&zyg=het&region=21"
	for _, format := range []string{"tsv", "xlsx", "json", "vcf.gz"} {
		sess := c.get("/jobs/" + id + "/variants." + format + q)
		tok := bearer("/jobs/"+id+"/variants."+format+q, read)
		if sess.StatusCode != 200 || tok.StatusCode != 200 || tok.Header.Get("X-GAS-Records") != sess.Header.Get("X-GAS-Records") ||
			tok.Header.Get("X-GAS-Records") == "0" {
			t.Errorf("%s: session %d (%s records), token %d (%s records)", format, sess.StatusCode, sess.Header.Get("X-GAS-Records"),
				tok.StatusCode, tok.Header.Get("X-GAS-Records"))
		}
		if format == "tsv" && !bytes.Equal(sess.body, tok.body) {
			t.Error("the TSV differs between session and token")
		}
	}
	for _, path := range []string{"/jobs/" + id + "/variants" + q, "/jobs/" + id + "/genes" + q, "/jobs/" + id + "/variants/1"} {
		if r := bearer(path, read); r.StatusCode != 200 {
			t.Errorf("%s with a token: %d", path, r.StatusCode)
		}
	}
	if r := bearer("/jobs/"+id+"/variants.tsv", "gas_not_a_real_token"); r.StatusCode != http.StatusUnauthorized ||
		!strings.Contains(r.Header.Get("WWW-Authenticate"), "invalid_token") {
		t.Errorf("bad token: %d %q", r.StatusCode, r.Header.Get("WWW-Authenticate"))
	}
	if r := bearer("/jobs/"+id+"/variants.tsv", write); r.StatusCode != http.StatusForbidden {
		t.Errorf("token without jobs:read: %d", r.StatusCode)
	}
	if r := bearer("/jobs/"+id+"/variants.tsv", otherTok); r.StatusCode != http.StatusNotFound {
		t.Errorf("another user's token: %d", r.StatusCode)
	}
	// Every refusal a script gets is the API's JSON error, not a page.
	for _, c := range []struct{ path, token, code string }{
		{"/jobs/" + id + "/variants.tsv", "gas_not_a_real_token", gas.EUNAUTH},
		{"/jobs/" + id + "/variants.tsv", write, gas.EFORBIDDEN},
		{"/jobs/" + id + "/variants.tsv", otherTok, gas.ENOTFOUND},
		{"/jobs/" + id + "/variants/999999", read, gas.ENOTFOUND},
		{"/jobs/" + id + "/variants.tsv?region=chrQ:x-y", read, gas.EINVALID},
	} {
		if code, msg, ctype := tokenError(t, f, c.path, c.token); code != c.code || msg == "" || ctype != "application/json" {
			t.Errorf("%s with a token: %s %q (%s), want %s", c.path, code, msg, ctype, c.code)
		}
	}
	// Without a token or session: the sign-in redirect, as before.
	if r := f.client().get("/jobs/" + id + "/variants.tsv"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous export: %d", r.StatusCode)
	}
}

// openIndex opens a copy of a job's built index, to compare pages with.
func (f *fixture) openIndex(id string) *variantdb.Index {
	f.t.Helper()
	ctx := context.Background()
	ps, err := f.db.JobProgress(ctx, id)
	if err != nil || ps[id].IndexKey == "" {
		f.t.Fatalf("index key of %s: %v", id, err)
	}
	rc, err := f.blobs.Open(ctx, ps[id].IndexKey)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rc.Close()
	path := filepath.Join(f.t.TempDir(), "index.sqlite")
	out, err := os.Create(path)
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := io.Copy(out, rc); err != nil {
		f.t.Fatal(err)
	}
	out.Close()
	ix, err := variantdb.Open(path)
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { ix.Close() })
	return ix
}
