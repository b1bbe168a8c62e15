package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/jobs"
	"github.com/gas-project/gas/internal/sqldb"
	"github.com/gas-project/gas/refdata"
	"github.com/gas-project/gas/vcf"
)

// demoBundles builds the demo bundle into a fresh folder and returns the
// folder opened as the service opens it.
func demoBundles(t *testing.T) *jobs.BundleDir {
	t.Helper()
	dir := t.TempDir()
	if _, err := refdata.BuildDemo(context.Background(), filepath.Join(dir, "demo"), "test"); err != nil {
		t.Fatal(err)
	}
	d := jobs.NewBundleDir(dir, refdata.Open)
	t.Cleanup(func() { _ = d.Close() })
	return d
}

// TestCoverageAssemblyFromHeader: the pre-flight check reads the build from
// the ##contig assembly attributes and ##reference, by name or NCBI
// accession, and from the length of any primary chromosome; lengths win
// over a name that contradicts them, and the report says so.
func TestCoverageAssemblyFromHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header string // ## lines
		want   string
		why    string // part of the reason
	}{
		{"##contig=<ID=chr17,assembly=GRCh38>", "GRCh38", "assembly=GRCh38"},
		{"##contig=<ID=1,assembly=GCF_000001405.26>", "GRCh38", "GCF_000001405.26"},
		{"##contig=<ID=1,assembly=GCF_000001405.40>", "GRCh38", ""},
		{"##contig=<ID=1,assembly=GCF_000001405.25>", "GRCh37", ""},
		{"##contig=<ID=1,assembly=GCF_000001405.13>", "GRCh37", ""},
		{"##contig=<ID=1,assembly=GCA_000001405.1>", "GRCh37", ""},
		{"##contig=<ID=1,assembly=GCA_000001405.15>", "GRCh38", ""},
		{"##contig=<ID=chr1,assembly=hg19>", "GRCh37", ""},
		{"##contig=<ID=chr1,assembly=hg38>", "GRCh38", ""},
		{"##contig=<ID=1,assembly=b37>", "GRCh37", ""},
		{"##contig=<ID=1,assembly=\"GRCh37.p13, primary\">", "GRCh37", ""},
		{"##contig=<ID=chr1,assembly=hg18>", "NCBI36", ""},
		{"##contig=<ID=chr1,assembly=mm10>", "", ""},
		{"##reference=file:///refs/human_g1k_v37.fasta", "GRCh37", "##reference=file:///refs/human_g1k_v37.fasta"},
		{"##reference=file:///refs/hs37d5.fa.gz", "GRCh37", ""},
		{"##reference=file:///refs/Homo_sapiens_assembly38.fasta", "GRCh38", ""},
		{"##reference=GRCh38", "GRCh38", ""},
		{"##reference=file:///refs/mouse.fa", "", ""},
		// Any primary chromosome's length tells, not only chr1 and X.
		{"##contig=<ID=chr17,length=83257441>", "GRCh38", "contig chr17 has the GRCh38 length 83257441"},
		{"##contig=<ID=17,length=81195210>", "GRCh37", ""},
		{"##contig=<ID=chrY,length=57227415>", "GRCh38", ""},
		{"##contig=<ID=chrM,length=16569>", "", ""},
		// The sequence lengths outweigh a contradicting name, said aloud.
		{"##reference=file:///refs/hg38.fa\n##contig=<ID=1,length=249250621>", "GRCh37", "but ##reference=file:///refs/hg38.fa, which is GRCh38"},
		{"##contig=<ID=1,length=249250621,assembly=GRCh37>", "GRCh37", ""},
		{"", "", ""},
	} {
		h, err := vcf.ParseHeader("##fileformat=VCFv4.2\n" + tc.header + "\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
		if err != nil {
			t.Fatalf("%q: %v", tc.header, err)
		}
		got, why := guessBuild(h.Contigs(), h.Meta())
		if got != tc.want || !strings.Contains(why, tc.why) {
			t.Errorf("%q: %q (%s), want %q (%s)", tc.header, got, why, tc.want, tc.why)
		}
	}
}

// TestCoverageDescribeDemo: the upload form's description of a bundle is
// derived from its manifest: the partial contig 21 as a span, the gene
// slices counted by gene, the contigs without sequence and the sources.
func TestCoverageDescribeDemo(t *testing.T) {
	t.Parallel()
	b, err := demoBundles(t).Bundle(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	got := b.Coverage()
	// The span is the gene models' extent on 21 (genes reaching out of
	// 25–26 Mb, plus 5 kb), the six slices hold one gene each; every
	// contig has sequence.
	want := "GRCh38, chr21:24.8–26.2 Mb and 6 genes on small contigs; sources dbsnp, clinvar; tracks CPG_ISLAND"
	if got != want {
		t.Fatalf("the demo's coverage = %q", got)
	}
}

// brca1VCF is the example: a BRCA1 variant with a ##contig line of
// GRCh38 lengths, plus one record inside the demo bundle's chr21 genes.
const brca1VCF = "##fileformat=VCFv4.2\n" +
	"##contig=<ID=chr17,length=83257441>\n##contig=<ID=chr21,length=46709983>\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
	"chr17\t43045712\t.\tT\tC\t.\t.\t.\n" +
	"chr21\t25891796\t.\tC\tT\t.\t.\t.\n"

// TestCoverageBRCA1: the example against the demo bundle. The
// upload form says what the bundle covers; the pre-flight report says the
// build matches but the BRCA1 record lies outside the bundle (not a silent
// "build matches"); the job then run by the real worker carries the counts
// and shares in its summary JSON and its text log, and its page warns.
func TestCoverageBRCA1(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bundles := demoBundles(t)
	f := setupDeps(t, nil, nil, func(_ *sqldb.DB, d *Deps) { d.Bundles = bundles })
	c := f.client()
	c.signup("brca@example.org", "coverage password")

	// The form names the only bundle with what it covers.
	form := c.get("/annotate").doc(t)
	if got := text(find(form, "#bundle-covers")); !strings.Contains(got, "demo — GRCh38, chr21:24.8–26.2 Mb and 6 genes on small contigs") {
		t.Fatalf("upload form: %q", got)
	}

	r := c.uploadChecked("brca1.vcf", []byte(brca1VCF), "all")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	if r.StatusCode != http.StatusSeeOther || id == r.Header.Get("Location") {
		t.Fatalf("checked upload: %d %q\n%s", r.StatusCode, r.Header.Get("Location"), r.body)
	}
	doc := c.get("/uploads/" + id).doc(t)
	if find(doc, "#build-mismatch") != nil {
		t.Error("build mismatch reported for a GRCh38 file and a GRCh38 bundle")
	}
	for sel, want := range map[string]string{
		"#pf-build":           "GRCh38 (contig chr17 has the GRCh38 length 83257441)",
		"#pf-bundle":          "demo (GRCh38)",
		"#pf-covers":          "GRCh38, chr21:24.8–26.2 Mb",
		"#pf-uncovered":       "1 (50.0%)",
		"#coverage-warning":   "outside what the demo bundle covers",
		"#coverage-uncovered": "1 of 2 records (50.0%) lie on contigs or regions without its gene models",
		"#coverage-contigs":   "Contigs the bundle lacks: chr17.",
	} {
		if got := text(find(doc, sel)); !strings.Contains(got, want) {
			t.Errorf("pre-flight %s = %q, want %q", sel, got, want)
		}
	}
	// chr17 has no sequence in the bundle; whether chr21 has depends on the
	// demo's FASTA: the count must be what the bundle says.
	b, _ := bundles.Bundle(ctx, "demo")
	noSeq := 1
	if id21, ok := b.ContigID([]byte("chr21")); !ok || !b.HasSequence(id21) || annotate.UnknownBase(b, id21, 25891796) {
		noSeq = 2
	}
	wantNoSeq := map[int]string{1: "1 (50.0%)", 2: "2 (100.0%)"}[noSeq]
	if got := text(find(doc, "#pf-no-sequence")); got != wantNoSeq {
		t.Errorf("pre-flight #pf-no-sequence = %q, want %q", got, wantNoSeq)
	}

	// Go on; the real worker annotates with the same bundle.
	if r := c.postForm("/uploads/"+id+"/start", url.Values{}); r.Header.Get("Location") != "/jobs/"+id {
		t.Fatalf("go on: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	w, err := jobs.NewAnnotateWorker(f.jobs, f.blobs, bundles, jobs.AnnotateConfig{EngineWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, &river.Job[jobs.AnnotateArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 5}, Args: jobs.AnnotateArgs{JobID: id}}); err != nil {
		t.Fatal(err)
	}
	j, err := f.jobs.Job(ctx, id)
	if err != nil || j.State != gas.JobCompleted {
		t.Fatalf("job: %+v %v", j, err)
	}
	var sum annotate.Summary
	if err := json.Unmarshal(f.blob(t, j.SummaryKey), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Records != 2 || sum.Uncovered != 1 || sum.UncoveredShare != 0.5 || sum.NoSequence != int64(noSeq) || sum.NoSequenceShare != float64(noSeq)/2 {
		t.Errorf("summary JSON coverage: records %d, uncovered %d (%v), no sequence %d (%v)",
			sum.Records, sum.Uncovered, sum.UncoveredShare, sum.NoSequence, sum.NoSequenceShare)
	}
	if log := string(f.blob(t, j.LogKey)); !regexp.MustCompile(`records outside the bundle's genes +1 \(50\.0%\)`).MatchString(log) {
		t.Errorf("text summary lacks the uncovered share:\n%s", log)
	}

	page := c.get("/jobs/" + id).doc(t)
	for sel, want := range map[string]string{
		"#coverage-warning":     "outside what the demo bundle covers",
		"#coverage-uncovered":   "1 of 2 records (50.0%) lie on contigs or regions without its gene models",
		"#coverage-no-sequence": "of 2 records",
		"#count-uncovered":      "1",
	} {
		if got := text(find(page, sel)); !strings.Contains(got, want) {
			t.Errorf("job page %s = %q, want %q", sel, got, want)
		}
	}
	// The coverage warnings are shown once, at the top, not again in the
	// summary's list of other warnings.
	if got := text(find(page, "#summary-warnings")); strings.Contains(got, "without gene models") {
		t.Errorf("coverage warning repeated in the summary warnings: %q", got)
	}
}

// TestCoverageNoWarningWhenCovered: a file entirely inside the bundle's
// genes and sequence gets neither warning, in the report or on the page.
func TestCoverageNoWarningWhenCovered(t *testing.T) {
	t.Parallel()
	bundles := demoBundles(t)
	f := setupDeps(t, nil, nil, func(_ *sqldb.DB, d *Deps) { d.Bundles = bundles })
	c := f.client()
	c.signup("covered@example.org", "coverage password")
	// A record of a demo gene slice, which has sequence (REF checked).
	in := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	b, err := bundles.Bundle(context.Background(), "demo")
	if err != nil {
		t.Fatal(err)
	}
	slice := b.Contigs()[0]
	ref, err := b.Seq(0, 5000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	alt := map[byte]string{'A': "C", 'C': "G", 'G': "T", 'T': "A"}[ref[0]]
	in += slice + "\t5000\t.\t" + string(ref) + "\t" + alt + "\t.\t.\t.\n"
	r := c.uploadChecked("covered.vcf", []byte(in), "all")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	doc := c.get("/uploads/" + id).doc(t)
	if find(doc, "#coverage-warning") != nil {
		t.Errorf("coverage warning for a covered record: %q", text(find(doc, "#coverage-warning")))
	}
	if got := text(find(doc, "#pf-uncovered")); got != "0 (0.0%)" {
		t.Errorf("#pf-uncovered = %q", got)
	}
	if coverageOf(&annotate.Summary{Records: 3}) != nil || coverageOf(nil) != nil {
		t.Error("coverage note without uncovered records")
	}
}

// TestCoverageNotChecked: without the bundles (a web server without the
// bundle folder) the report says coverage was not checked, rather than
// claiming anything.
func TestCoverageNotChecked(t *testing.T) {
	t.Parallel()
	f := setup(t, nil)
	c := f.client()
	c.signup("unchecked@example.org", "coverage password")
	r := c.uploadChecked("brca1.vcf", []byte(brca1VCF), "all")
	id := strings.TrimPrefix(r.Header.Get("Location"), "/uploads/")
	doc := c.get("/uploads/" + id).doc(t)
	if got := text(find(doc, "#pf-covers")); !strings.Contains(got, "not checked") {
		t.Errorf("#pf-covers = %q", got)
	}
	if find(doc, "#coverage-warning") != nil || find(doc, "#pf-uncovered") != nil {
		t.Error("coverage claimed without the bundle")
	}
	if find(c.get("/annotate").doc(t), "#bundle-covers") == nil {
		t.Error("the form does not name the bundle")
	}
}

// blob reads a stored file.
func (f *fixture) blob(t *testing.T, key string) []byte {
	t.Helper()
	rc, err := f.blobs.Open(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestCoverageExampleShowsWhatGASDoes: "Try the example", run by the real
// worker with the real demo bundle, gives protein changes (missense, and a
// stop or start change), ClinVar significance and population frequencies,
// and no coverage warning: the example lies where the demo has genes and
// sequence.
func TestCoverageExampleShowsWhatGASDoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	bundles := demoBundles(t)
	f := setupDeps(t, nil, nil, func(_ *sqldb.DB, d *Deps) { d.Bundles = bundles })
	c := f.client()
	c.signup("example@example.org", "coverage password")
	r := c.postForm("/annotate/example", url.Values{"mode": {"all"}})
	id := strings.TrimPrefix(r.Header.Get("Location"), "/jobs/")
	if r.StatusCode != http.StatusSeeOther || id == r.Header.Get("Location") {
		t.Fatalf("try the example: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
	w, err := jobs.NewAnnotateWorker(f.jobs, f.blobs, bundles, jobs.AnnotateConfig{EngineWorkers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Work(ctx, &river.Job[jobs.AnnotateArgs]{JobRow: &rivertype.JobRow{Attempt: 1, MaxAttempts: 5}, Args: jobs.AnnotateArgs{JobID: id}}); err != nil {
		t.Fatal(err)
	}
	j, err := f.jobs.Job(ctx, id)
	if err != nil || j.State != gas.JobCompleted {
		t.Fatalf("example job: %+v %v", j, err)
	}
	rc, err := f.blobs.Open(ctx, j.ResultKey)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	rd, err := vcf.NewReader(rc, vcf.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for _, key := range []string{"clinvar_CLNSIG", "dbsnp_MAF", "dbsnp_AF_EUR"} {
		if _, ok := rd.Header().Lookup("INFO", key); !ok {
			t.Errorf("result header lacks INFO/%s", key)
		}
	}
	terms := map[string]int{}
	var clnsig, freq []string
	var (
		blk vcf.Block
		rec vcf.Record
	)
	for {
		err := rd.ReadBlock(&blk, 0)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < blk.Len(); i++ {
			if err := vcf.ParseRecord(blk.Line(i), blk.LineNo(i), &rec); err != nil {
				t.Fatal(err)
			}
			for _, kv := range strings.Split(string(rec.Info), ";") {
				k, v, _ := strings.Cut(kv, "=")
				switch {
				case k == "ANN":
					for _, e := range strings.Split(v, ",") {
						if p := strings.Split(e, "|"); len(p) > 1 {
							for _, term := range strings.Split(p[1], "&") {
								terms[term]++
							}
						}
					}
				case k == "clinvar_CLNSIG" && v != ".":
					clnsig = append(clnsig, v)
				case (k == "dbsnp_MAF" || strings.HasPrefix(k, "dbsnp_AF_")) && v != ".":
					if _, err := strconv.ParseFloat(strings.Split(v, ",")[0], 64); err == nil {
						freq = append(freq, k+"="+v)
					}
				}
			}
		}
	}
	if terms["missense_variant"] == 0 {
		t.Errorf("no missense_variant in the example's result: %v", terms)
	}
	if terms["stop_gained"]+terms["start_lost"]+terms["stop_lost"] == 0 {
		t.Errorf("no stop or start change in the example's result: %v", terms)
	}
	// ClinVar's words, from the demo's ClinVar-style source.
	sig := regexp.MustCompile(`^(Benign|Likely_benign|Uncertain_significance|Likely_pathogenic|Pathogenic|Pathogenic/Likely_pathogenic|not_provided)`)
	if len(clnsig) == 0 || !sig.MatchString(clnsig[0]) {
		t.Errorf("no ClinVar significance in the example's result: %q", clnsig)
	}
	if len(freq) == 0 {
		t.Error("no population frequency in the example's result")
	}
	t.Logf("example: %d missense, %d stop_gained, %d start_lost, %d stop_lost; %d ClinVar values (%s), %d frequencies (%s)",
		terms["missense_variant"], terms["stop_gained"], terms["start_lost"], terms["stop_lost"], len(clnsig), clnsig[0], len(freq), freq[0])

	page := c.get("/jobs/" + id).doc(t)
	if find(page, "#coverage-warning") != nil {
		t.Errorf("coverage warning on the example: %q", text(find(page, "#coverage-warning")))
	}
	if got := text(find(page, "#summary-consequences")); !strings.Contains(got, "missense_variant") {
		t.Errorf("job page consequences: %q", got)
	}
}

// TestCoverageAgreesWithEngine: the pre-flight counts of records outside
// the bundle and without sequence are the engine's, record for record:
// an absent contig, a position outside the covered span, an N base of
// chr21 (the demo knows only its coding exons), an exon base and a slice.
func TestCoverageAgreesWithEngine(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b, err := demoBundles(t).Bundle(ctx, "demo")
	if err != nil {
		t.Fatal(err)
	}
	nPos := int64(25_500_000)
	for refdata.DemoChr21Base(nPos) != 'N' {
		nPos++
	}
	exon := int64(25891796)
	slice := b.Contigs()[0]
	sliceRef, err := b.Seq(0, 5000, 5000)
	if err != nil {
		t.Fatal(err)
	}
	in := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n" +
		slice + "\t5000\t.\t" + string(sliceRef) + "\tT\t.\t.\t.\n" +
		"chr17\t43045712\t.\tT\tC\t.\t.\t.\n" + // absent contig: both
		"21\t" + strconv.FormatInt(nPos, 10) + "\t.\tA\tG\t.\t.\t.\n" + // N base: no sequence
		"21\t" + strconv.FormatInt(exon, 10) + "\t.\t" + string(refdata.DemoChr21Base(exon)) + "\tT\t.\t.\t.\n" + // covered
		"21\t40000000\t.\tA\tG\t.\t.\t.\n" // outside the genes (and N)
	p, err := runPreflight(ctx, strings.NewReader(in), 1<<20, newCoverage(b))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := annotate.Annotate(ctx, strings.NewReader(in), io.Discard, b, annotate.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	if p.Uncovered != sum.Uncovered || p.NoSequence != sum.NoSequence || p.Records != sum.Records {
		t.Fatalf("pre-flight %d/%d/%d, engine %d/%d/%d (records/uncovered/no sequence)",
			p.Records, p.Uncovered, p.NoSequence, sum.Records, sum.Uncovered, sum.NoSequence)
	}
	if p.Uncovered != 2 || p.NoSequence != 3 || strings.Join(p.OffContigs, ",") != "chr17" {
		t.Errorf("pre-flight: uncovered %d, no sequence %d, missing contigs %v; want 2, 3, [chr17]", p.Uncovered, p.NoSequence, p.OffContigs)
	}
}
