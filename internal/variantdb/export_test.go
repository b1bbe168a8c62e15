package variantdb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// exportCounts exports view f in the three formats, checks each file
// against the count it states, and returns the record count of each.
func exportCounts(t *testing.T, ix *Index, src []byte, f Filter) map[string]int64 {
	t.Helper()
	ctx := context.Background()
	out := map[string]int64{}

	var v bytes.Buffer
	n, err := ix.ExportVCF(ctx, &v, bytes.NewReader(src), f)
	if err != nil {
		t.Fatalf("ExportVCF(%s): %v", f.Describe(), err)
	}
	text := plain(t, v.Bytes()) // also proves the output is valid BGZF VCF
	stated, lines := int64(-1), int64(0)
	for _, l := range strings.Split(strings.TrimSuffix(string(text), "\n"), "\n") {
		if s, ok := strings.CutPrefix(l, VCFRecordsKey); ok {
			stated, _ = strconv.ParseInt(s, 10, 64)
		}
		if l != "" && l[0] != '#' {
			lines++
		}
	}
	if stated != lines || n != lines {
		t.Errorf("VCF %s: header states %d, returned %d, has %d records", f.Describe(), stated, n, lines)
	}
	out["vcf"] = lines

	var tsv bytes.Buffer
	recs, rows, err := ix.ExportTSV(ctx, &tsv, f)
	if err != nil {
		t.Fatalf("ExportTSV(%s): %v", f.Describe(), err)
	}
	sc := bufio.NewScanner(&tsv)
	sc.Buffer(nil, 1<<20)
	sc.Scan()
	comment := sc.Text()
	sc.Scan()
	if cols := strings.Split(sc.Text(), "\t"); len(cols) != len(ix.ExportColumns()) || cols[0] != "record" {
		t.Errorf("TSV column line %q", sc.Text())
	}
	distinct := map[string]bool{}
	var dataRows int64
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != len(ix.ExportColumns()) {
			t.Fatalf("TSV row with %d columns: %q", len(cols), sc.Text())
		}
		distinct[cols[0]] = true
		dataRows++
	}
	want := TSVCommentPrefix + " records=" + strconv.FormatInt(recs, 10) + " rows=" + strconv.FormatInt(rows, 10)
	if !strings.HasPrefix(comment, want) || int64(len(distinct)) != recs || dataRows != rows {
		t.Errorf("TSV %s: comment %q, %d distinct records in %d rows (returned %d, %d)", f.Describe(), comment, len(distinct), dataRows, recs, rows)
	}
	out["tsv"] = int64(len(distinct))

	var js bytes.Buffer
	if _, err := ix.ExportSummaryJSON(ctx, &js, f); err != nil {
		t.Fatalf("ExportSummaryJSON(%s): %v", f.Describe(), err)
	}
	var s ViewSummary
	if err := json.Unmarshal(js.Bytes(), &s); err != nil {
		t.Fatal(err)
	}
	var byChrom, byImpact int64
	for _, c := range s.Chromosomes {
		byChrom += c
	}
	for _, c := range s.Impacts {
		byImpact += c
	}
	if byChrom != s.Records || byImpact != s.Records {
		t.Errorf("summary %s: records %d, by chromosome %d, by impact %d", f.Describe(), s.Records, byChrom, byImpact)
	}
	// Known and novel are what the known/novel filters count within the view.
	if f.Known == KnownAny {
		kf, nf := f, f
		kf.Known, nf.Known = KnownOnly, NovelOnly
		kn, err := ix.Count(ctx, kf)
		if err != nil {
			t.Fatal(err)
		}
		nn, err := ix.Count(ctx, nf)
		if err != nil {
			t.Fatal(err)
		}
		if s.Known != kn || s.Novel != nn || s.Known+s.Novel > s.Records {
			t.Errorf("summary %s: known %d, novel %d of %d records; the filters count %d and %d", f.Describe(), s.Known, s.Novel, s.Records, kn, nn)
		}
	}
	out["json"] = s.Records
	return out
}

// TestExportCountsAgree is the check: the full result and filtered
// views hold the same records in VCF, TSV and summary JSON, and as many as
// the browser shows.
func TestExportCountsAgree(t *testing.T) {
	src, sum := demoResult(t)
	ix, _ := buildIndex(t, src, BuildOptions{})
	recs := oracle(t, plain(t, src), demoKnown, "dbsnp_MAF")
	for _, f := range demoFilters {
		want := int64(len(oracleRIDs(recs, f)))
		counts := exportCounts(t, ix, src, f)
		for name, n := range counts {
			if n != want {
				t.Errorf("%s: %s export has %d records, want %d", f.Describe(), name, n, want)
			}
		}
		if f.Describe() == "all records" && want != sum.Records {
			t.Errorf("full result: %d records, engine wrote %d", want, sum.Records)
		}
	}
	var syn bytes.Buffer
	if err := synthVCF(&syn, 3000, 3); err != nil {
		t.Fatal(err)
	}
	six, _ := buildIndex(t, syn.Bytes(), BuildOptions{})
	srecs := oracle(t, syn.Bytes(), []string{"AF", "CLNSIG"}, "AF")
	for _, f := range synthFilters {
		want := int64(len(oracleRIDs(srecs, f)))
		for name, n := range exportCounts(t, six, syn.Bytes(), f) {
			if n != want {
				t.Errorf("synthetic %s: %s export has %d records, want %d", f.Describe(), name, n, want)
			}
		}
	}
}

// TestExportVCFLines checks a filtered VCF holds exactly the original lines
// of the matching records, in order, under the source header.
func TestExportVCFLines(t *testing.T) {
	src, _ := demoResult(t)
	ix, _ := buildIndex(t, src, BuildOptions{})
	text := plain(t, src)
	recs := oracle(t, text, demoKnown, "dbsnp_MAF")
	f := Filter{HasImpact: true, MinImpact: ImpactLow}
	var want []string
	for _, r := range recs {
		if r.match(f) {
			want = append(want, r.line)
		}
	}
	var v bytes.Buffer
	if _, err := ix.ExportVCF(context.Background(), &v, bytes.NewReader(src), f); err != nil {
		t.Fatal(err)
	}
	var got, header []string
	for _, l := range strings.Split(strings.TrimSuffix(string(plain(t, v.Bytes())), "\n"), "\n") {
		if strings.HasPrefix(l, "#") {
			header = append(header, l)
		} else {
			got = append(got, l)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("filtered VCF: %d lines, want %d original lines", len(got), len(want))
	}
	srcHeader := strings.Count(string(text[:bytes.Index(text, []byte("\n#CHROM"))+1]), "\n") + 1
	if len(header) != srcHeader+2 || !strings.HasPrefix(header[len(header)-2], VCFFilterKey+"impact>=LOW") {
		t.Errorf("header: %d lines (source %d + 2); before #CHROM: %q", len(header), srcHeader, header[len(header)-2])
	}
}

// TestExportVCFWrongSource: exporting with another result than the one
// indexed must fail rather than write a wrong file silently.
func TestExportVCFWrongSource(t *testing.T) {
	src, _ := demoResult(t)
	ix, _ := buildIndex(t, src, BuildOptions{})
	var syn bytes.Buffer
	if err := synthVCF(&syn, 100, 4); err != nil {
		t.Fatal(err)
	}
	for name, other := range map[string][]byte{"other result": syn.Bytes(), "plain copy": plain(t, src)} {
		_, err := ix.ExportVCF(context.Background(), &bytes.Buffer{}, bytes.NewReader(other), Filter{})
		if err == nil || !strings.Contains(err.Error(), "not the result this index was built from") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestExportTSVContent(t *testing.T) {
	src, _ := demoResult(t)
	ix, _ := buildIndex(t, src, BuildOptions{})
	var tsv bytes.Buffer
	if _, _, err := ix.ExportTSV(context.Background(), &tsv, Filter{Consequence: "synonymous_variant"}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(tsv.String()), "\n")
	col := map[string]int{}
	for i, c := range strings.Split(lines[1], "\t") {
		col[c] = i
	}
	found := false
	for _, l := range lines[2:] {
		f := strings.Split(l, "\t")
		if strings.Contains(f[col["consequence"]], "synonymous_variant") {
			found = true
			if !strings.HasSuffix(f[col["hgvs_p"]], "=") || f[col["impact"]] != "LOW" || f[col["feature"]] == "" {
				t.Errorf("synonymous row: hgvs_p %q impact %q feature %q", f[col["hgvs_p"]], f[col["impact"]], f[col["feature"]])
			}
		}
	}
	if !found {
		t.Errorf("no synonymous_variant row in the view of synonymous_variant records:\n%s", tsv.String())
	}
}

// TestNovelCountsAgree: the known and novel counts of the summary JSON of
// the full view, of the known/novel filters, and of the engine's summary
// shown on the job page are the same numbers. The demo holds a REF = ALT
// record, which the engine counts neither known nor novel (it is not
// looked up); the index counted it novel (25 on the page, 26 in the JSON).
func TestNovelCountsAgree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	src, sum := demoResult(t)
	if sum.RefEqualsAlt == 0 {
		t.Fatal("the demo has no REF = ALT record any more; this test needs one")
	}
	ix, _ := buildIndex(t, src, BuildOptions{})
	vs, err := ix.Summary(ctx, Filter{})
	if err != nil {
		t.Fatal(err)
	}
	known, err := ix.Count(ctx, Filter{Known: KnownOnly})
	if err != nil {
		t.Fatal(err)
	}
	novel, err := ix.Count(ctx, Filter{Known: NovelOnly})
	if err != nil {
		t.Fatal(err)
	}
	// The demo's records are biallelic, so alleles and records count alike.
	if sum.Alleles != sum.Records {
		t.Fatalf("the demo has multi-allelic records (%d alleles in %d records)", sum.Alleles, sum.Records)
	}
	if vs.Novel != sum.Novel || novel != sum.Novel || vs.Known != sum.Known || known != sum.Known {
		t.Errorf("novel: engine %d, summary JSON %d, filter %d; known: engine %d, summary JSON %d, filter %d",
			sum.Novel, vs.Novel, novel, sum.Known, vs.Known, known)
	}
	if vs.Known+vs.Novel+sum.RefEqualsAlt+sum.NotAnnotated != vs.Records {
		t.Errorf("known %d + novel %d + not looked up %d != %d records", vs.Known, vs.Novel, sum.RefEqualsAlt+sum.NotAnnotated, vs.Records)
	}
}
