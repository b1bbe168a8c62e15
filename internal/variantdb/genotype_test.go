package variantdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
	"github.com/xuri/excelize/v2"
)

func TestGenotypeClasses(t *testing.T) {
	for _, c := range []struct {
		col  string
		want int
		gq   int
		dp   int
	}{
		{"0/1:35:20", GTHet, 35, 20},
		{"1|1:99:1000", GTHomAlt, 99, 1000},
		{"0/0", GTRef, -1, -1},
		{"./.:.:.", GTMissing, -1, -1},
		{"./1", GTHet, -1, -1},
		{"1/2:5", GTHet, 5, -1},
		{"2/2::7", GTHomAlt, -1, 7},
		{"1", GTHomAlt, -1, -1},
		{"", GTMissing, -1, -1},
		{"0/1:5000:9999999", GTHet, gqMax, dpMax},
	} {
		class, gq, dp := unpackGT(sampleGT([]byte(c.col), 0, 1, 2))
		if class != c.want || gq != c.gq || dp != c.dp {
			t.Errorf("%q: class %d GQ %d DP %d, want %d %d %d", c.col, class, gq, dp, c.want, c.gq, c.dp)
		}
	}
	// The class-only reading agrees with the full one on every shape of
	// sample column and GT position.
	r := rand.New(rand.NewPCG(9, 9))
	for i := 0; i < 200000; i++ {
		b := make([]byte, r.IntN(12))
		for k := range b {
			b[k] = "0123./|:"[r.IntN(8)]
		}
		if i%3 == 0 && len(b) >= 3 { // the usual shapes, more often
			copy(b, []string{"0/0", "0/1", "1|0", "1/1", "./.", "0|.", "2/1"}[r.IntN(7)])
		}
		gtAt := r.IntN(4) - 1
		if got, want := sampleClass(b, gtAt), int(sampleGT(b, gtAt, -1, -1)&3); got != want {
			t.Fatalf("%q GT field %d: class %d, want %d", b, gtAt, got, want)
		}
	}
	// FORMAT without GQ and DP, GT second.
	if class, gq, dp := unpackGT(sampleGT([]byte("7:1|0"), 1, -1, -1)); class != GTHet || gq != -1 || dp != -1 {
		t.Errorf("GT second: %d %d %d", class, gq, dp)
	}
}

func TestGenotypeColumnsBuilt(t *testing.T) {
	src, _ := annotated(t, sharedtest.Trio(refdata.DemoVCF()), annotate.Options{})
	ix, _ := buildIndex(t, src, BuildOptions{})
	ctx := context.Background()
	for s, check := range []func(n int) (int, int, int){
		func(n int) (int, int, int) { return GTHet, n % 100, n % 60 },
		func(n int) (int, int, int) {
			return []int{GTHomAlt, GTRef, GTMissing, GTHet}[(n-1)%4], 99, 30
		},
		func(n int) (int, int, int) {
			if n%5 == 0 {
				return GTHomAlt, -1, -1
			}
			return GTRef, -1, -1
		},
	} {
		col, err := ix.column(ctx, fmt.Sprintf("gt:%d", s), 4)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < int(ix.Meta.Records); i++ {
			c, gq, dp := unpackGT(binary.LittleEndian.Uint32(col[4*i:]))
			wc, wgq, wdp := check(i + 1)
			if c != wc || gq != wgq || dp != wdp {
				t.Fatalf("sample %d record %d: %d %d %d, want %d %d %d", s, i+1, c, gq, dp, wc, wgq, wdp)
			}
		}
	}
	// The source fields' columns: the demo's dbsnp_MAF is numeric, its
	// CLIN_SIG a significance field.
	maf, err := ix.column(ctx, "src:dbsnp_MAF", 4)
	if err != nil {
		t.Fatal(err)
	}
	withMAF := 0
	for i := 0; i < int(ix.Meta.Records); i++ {
		if !math.IsNaN(float64(math.Float32frombits(binary.LittleEndian.Uint32(maf[4*i:])))) {
			withMAF++
		}
	}
	if withMAF == 0 || withMAF == int(ix.Meta.Records) {
		t.Errorf("%d of %d records have a MAF", withMAF, ix.Meta.Records)
	}
	if _, err := ix.column(ctx, "sig:dbsnp_CLIN_SIG", 8); err != nil {
		t.Fatal(err)
	}
}

// genotypeFilters combine the panel, region, significance, source-field
// and genotype conditions.
var genotypeFilters = []Filter{
	{Zygosity: []int{GTHomAlt}},
	{Zygosity: []int{GTHet}},
	{Samples: []string{"S2"}, Zygosity: []int{GTHomAlt}},
	{Samples: []string{"S1"}, MinGQ: 50, MinDP: 30},
	{Samples: []string{"S1", "S3"}, Zygosity: []int{GTHomAlt}},
	{Samples: []string{"S3"}},
	{MinDP: 31},
	{Genes: []string{"MRPL39", "app"}, Regions: []Region{{"21", 25000000, 26000000}}, Zygosity: []int{GTHet}},
	{Genes: []string{"MRPL39", "APP"}, Impacts: []int{ImpactModifier}},
	{Gene: "MRPL39", HasImpact: true, MinImpact: ImpactModerate},
	{Genes: []string{"MRPL39"}, Consequences: []string{"intron_variant"}},
	{Regions: []Region{{"chr21", 0, 0}}},
	{Regions: []Region{{"21", 25891790, 25891800}, {"ENST00000341065", 16255, 16438}}},
	{Regions: []Region{{"nochrom", 1, 2}}},
	{ClinSig: []string{"pathogenic"}},
	{ClinSig: []string{"likely_benign", "benign"}, Known: KnownOnly},
	{ClinSig: []string{"no_such_significance"}},
	{FreqField: "dbsnp_AF_EUR", MaxFreq: ptr(0.01)},
	{FreqField: "dbsnp_AF_AFR", MaxFreq: ptr(0.2), Zygosity: []int{GTHet}, Samples: []string{"S2"}},
	{Impacts: []int{ImpactHigh, ImpactModerate}},
	{Consequences: []string{"missense_variant", "stop_gained", "frameshift_variant"}},
}

// TestGenotypeFiltersMatchOracle checks every combined view of a
// three-sample result against a plain reading of its text.
func TestGenotypeFiltersMatchOracle(t *testing.T) {
	src, _ := annotated(t, sharedtest.Trio(refdata.DemoVCF()), annotate.Options{})
	ix, _ := buildIndex(t, src, BuildOptions{})
	recs := oracle(t, plain(t, src), demoKnown, "dbsnp_MAF")
	nonEmpty := 0
	for _, f := range genotypeFilters {
		if len(oracleRIDs(recs, f)) > 0 {
			nonEmpty++
		}
	}
	if nonEmpty < len(genotypeFilters)-3 {
		t.Fatalf("only %d of %d filters match anything: the test data no longer exercises them", nonEmpty, len(genotypeFilters))
	}
	checkFilters(t, "multi-sample", ix, recs, genotypeFilters)
	if got := ix.GenotypeSamples(); len(got) != 3 || got[2] != "S3" {
		t.Errorf("genotype samples %v", got)
	}
	if ix.Assembly() != "GRCh38" {
		t.Errorf("assembly %q, want GRCh38 (the demo bundle's)", ix.Assembly())
	}
	for _, f := range []Filter{{Samples: []string{"S9"}}, {FreqField: "dbsnp_CLIN_SIG", MaxFreq: ptr(0.1)}} {
		_, err := ix.Query(context.Background(), f)
		var fe *FilterError
		if !errors.As(err, &fe) {
			t.Errorf("%s: %v, want a FilterError", f.Describe(), err)
		}
	}
}

// TestGenotypeSampleTextCapped: the index keeps FORMAT and the first
// MaxStoredSamples sample columns of a record, whole.
func TestGenotypeSampleTextCapped(t *testing.T) {
	x := &extraCols{}
	var b bytes.Buffer
	b.WriteString("GT:DP")
	for i := 0; i < MaxStoredSamples+10; i++ {
		fmt.Fprintf(&b, "\t0/1:%d", i)
	}
	got := x.sampleText(b.Bytes())
	cols := strings.Split(got, "\t")
	if len(cols) != MaxStoredSamples+1 || cols[len(cols)-1] != fmt.Sprintf("0/1:%d", MaxStoredSamples-1) {
		t.Errorf("kept %d columns, last %q", len(cols), cols[len(cols)-1])
	}
	if short := "GT\t0/1\t1/1"; x.sampleText([]byte(short)) != short {
		t.Errorf("a short record changed: %q", x.sampleText([]byte(short)))
	}
}

// cohort gives the records of vcf n samples S1…Sn (GT:GQ), each sample's
// genotype a fixed function of the record and the sample, so that every
// sample carries ALTs on a different subset of records.
func cohort(vcf []byte, n int) []byte {
	i := bytes.Index(vcf, []byte("\n#CHROM"))
	j := i + 1 + bytes.IndexByte(vcf[i+1:], '\n')
	var b bytes.Buffer
	b.Write(vcf[:i+1])
	b.WriteString("##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">\n")
	b.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
	for s := 1; s <= n; s++ {
		fmt.Fprintf(&b, "\tS%d", s)
	}
	b.WriteByte('\n')
	for r, line := range bytes.Split(bytes.TrimSpace(vcf[j+1:]), []byte("\n")) {
		cols := bytes.Split(line, []byte("\t"))
		b.Write(bytes.Join(cols[:8], []byte("\t")))
		b.WriteString("\tGT:GQ")
		for s := 1; s <= n; s++ {
			h := (r*7919 + s*104729) % 97
			gt := "0/0"
			switch {
			case h < 6:
				gt = "0/1"
			case h < 9 && (s > MaxGenotypeSamples || r%5 == 0):
				// Homozygous calls in the first 64 samples on every fifth
				// record only, so "any sample" over 64 and over 256
				// samples select different records.
				gt = "1/1"
			case h < 11:
				gt = "./."
			}
			fmt.Fprintf(&b, "\t%s:%d", gt, (r+s)%90)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// TestGenotypeFiltersCohort: in a 300-sample result the genotype filter
// covers the first MaxClassSamples samples — past the first
// MaxGenotypeSamples by genotype class alone — and matches a plain reading
// of the text for samples on both sides of that line; a GQ or DP condition
// on a class-only sample, or a sample past the covered ones, is a clear
// FilterError, and "any sample" covers every covered sample (only those
// with GQ and DP when a GQ condition is set).
func TestGenotypeFiltersCohort(t *testing.T) {
	src, _ := annotated(t, cohort(refdata.DemoVCF(), 300), annotate.Options{})
	ix, _ := buildIndex(t, src, BuildOptions{})
	recs := oracle(t, plain(t, src), demoKnown, "dbsnp_MAF")
	if got := ix.GenotypeSamples(); len(got) != MaxClassSamples || got[MaxClassSamples-1] != fmt.Sprintf("S%d", MaxClassSamples) {
		t.Fatalf("genotype samples: %d, last %q", len(got), got[len(got)-1])
	}
	if ix.info.gtSamples != MaxGenotypeSamples {
		t.Fatalf("samples with GQ and DP: %d", ix.info.gtSamples)
	}
	checkFilters(t, "cohort", ix, recs, []Filter{
		{Samples: []string{"S80"}},
		{Samples: []string{"S80"}, Zygosity: []int{GTHomAlt}},
		{Samples: []string{"S3", "S200"}, Zygosity: []int{GTHet}},
		{Samples: []string{"S64", "S65"}},
		{Samples: []string{"S256"}},
		{Samples: []string{"S10"}, MinGQ: 45},
		{Samples: []string{"S65", "S150"}, Genes: []string{"MRPL39", "APP"}},
	})
	// Any sample: the covered ones, as if all were named.
	first := func(n int) []string {
		var s []string
		for i := 1; i <= n; i++ {
			s = append(s, fmt.Sprintf("S%d", i))
		}
		return s
	}
	for _, c := range []struct{ any, named Filter }{
		{Filter{Zygosity: []int{GTHomAlt}}, Filter{Samples: first(MaxClassSamples), Zygosity: []int{GTHomAlt}}},
		{Filter{Zygosity: []int{GTHomAlt}, MinGQ: 60}, Filter{Samples: first(MaxGenotypeSamples), Zygosity: []int{GTHomAlt}, MinGQ: 60}},
	} {
		got, want := allRIDs(t, ix, c.any), oracleRIDs(recs, c.named)
		if !slices.Equal(sortedCopy(got), want) || len(want) == 0 {
			t.Errorf("%s: %d records, want %d of %d", c.any.Describe(), len(got), len(want), len(recs))
		}
	}
	// The data tells the two apart: homozygous calls in the first 64
	// samples are fewer records than in all covered ones.
	if a, b := oracleRIDs(recs, Filter{Samples: first(MaxGenotypeSamples), Zygosity: []int{GTHomAlt}}),
		oracleRIDs(recs, Filter{Samples: first(MaxClassSamples), Zygosity: []int{GTHomAlt}}); len(a) >= len(b) {
		t.Errorf("hom in the first 64 samples: %d records, in the first %d: %d; the test cannot tell them apart", len(a), MaxClassSamples, len(b))
	}
	for _, f := range []Filter{{Samples: []string{"S80"}, MinGQ: 10}, {Samples: []string{"S65"}, MinDP: 1}, {Samples: []string{"S257"}}} {
		_, err := ix.Query(context.Background(), f)
		var fe *FilterError
		if !errors.As(err, &fe) || fe.Param != ParamSample {
			t.Errorf("%s: %v, want a FilterError on %s", f.Describe(), err, ParamSample)
		}
	}
}

// TestGenotypeExportCohort: the exports of a 300-sample result have a GT
// column for each sample the genotype filter covers (MaxClassSamples), the
// filter's sample list and the exports name the same samples, and every
// row of the TSV and the workbook fills each of them with the sample's GT
// as the text has it — past the 64th sample too.
func TestGenotypeExportCohort(t *testing.T) {
	in := cohort(refdata.DemoVCF(), 300)
	src, _ := annotated(t, in, annotate.Options{})
	ix, _ := buildIndex(t, src, BuildOptions{})
	var gtCols []string
	for _, c := range ix.ExportColumns() {
		if name, ok := strings.CutPrefix(c, "GT:"); ok {
			gtCols = append(gtCols, name)
		}
	}
	if !slices.Equal(gtCols, ix.GenotypeSamples()) || len(gtCols) != MaxClassSamples {
		t.Fatalf("%d GT columns, the filter covers %d samples", len(gtCols), len(ix.GenotypeSamples()))
	}
	// The GT of each sample of each record, from the text.
	want := map[string][]string{} // "CHROM:POS:REF:ALT" → GT per sample
	for _, line := range strings.Split(strings.TrimSpace(string(plain(t, src))), "\n") {
		if line[0] == '#' {
			continue
		}
		c := strings.Split(line, "\t")
		var gts []string
		for _, s := range c[9:] {
			gts = append(gts, strings.SplitN(s, ":", 2)[0])
		}
		want[strings.Join([]string{c[0], c[1], c[3], c[4]}, ":")] = gts
	}
	check := func(format string, rows [][]string) {
		t.Helper()
		head := rows[0]
		at := func(name string) int { return slices.Index(head, name) }
		checked := 0
		for _, r := range rows[1:] {
			if len(r) != len(head) {
				t.Fatalf("%s: a row with %d columns under %d: %q", format, len(r), len(head), r[:min(len(r), 8)])
			}
			gts := want[strings.Join([]string{r[at("chrom")], r[at("pos")], r[at("ref")], r[at("alt")]}, ":")]
			if gts == nil {
				t.Fatalf("%s: row %q is not in the input", format, r[:6])
			}
			for _, s := range []int{1, 64, 65, 200, 256} {
				if got := r[at(fmt.Sprintf("GT:S%d", s))]; got != gts[s-1] {
					t.Fatalf("%s: record %s GT:S%d %q, the text has %q", format, r[0], s, got, gts[s-1])
				}
			}
			checked++
		}
		if checked == 0 {
			t.Fatalf("%s: no rows", format)
		}
	}
	var tsv bytes.Buffer
	if _, _, err := ix.ExportTSV(context.Background(), &tsv, Filter{}); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, l := range strings.Split(strings.TrimSpace(tsv.String()), "\n")[1:] { // after the comment line
		rows = append(rows, strings.Split(l, "\t"))
	}
	check("TSV", rows)
	var xb bytes.Buffer
	if _, _, err := ix.ExportXLSX(context.Background(), &xb, Filter{}); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&xb)
	if err != nil {
		t.Fatal(err)
	}
	xrows, err := x.GetRows(XLSXVariantsSheet)
	if err != nil {
		t.Fatal(err)
	}
	check("workbook", xrows)
}
