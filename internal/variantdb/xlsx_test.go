package variantdb

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/sharedtest"
	"github.com/gas-project/gas/refdata"
	"github.com/xuri/excelize/v2"
)

// TestXlsxExport: the workbook's Variants sheet holds the view's records
// (one row per record × annotation, the same rows as the TSV, source
// fields as columns) and its Summary sheet states the same count.
func TestXlsxExport(t *testing.T) {
	src, _ := annotated(t, sharedtest.Trio(refdata.DemoVCF()), annotate.Options{})
	ix, _ := buildIndex(t, src, BuildOptions{})
	ctx := context.Background()
	for _, f := range []Filter{{}, {Genes: []string{"MRPL39"}, Zygosity: []int{GTHet}}, {ClinSig: []string{"likely_benign"}}} {
		var buf bytes.Buffer
		recs, rows, err := ix.ExportXLSX(ctx, &buf, f)
		if err != nil {
			t.Fatal(err)
		}
		want, err := ix.Count(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var tsv bytes.Buffer
		_, tsvRows, err := ix.ExportTSV(ctx, &tsv, f)
		if err != nil {
			t.Fatal(err)
		}
		if recs != want || rows != tsvRows || want == 0 {
			t.Fatalf("%s: %d records in %d rows, view has %d records, TSV %d rows", f.Describe(), recs, rows, want, tsvRows)
		}
		x, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got := x.GetSheetList(); !slices.Equal(got, []string{XLSXVariantsSheet, XLSXSummarySheet}) {
			t.Fatalf("sheets %v", got)
		}
		vrows, err := x.GetRows(XLSXVariantsSheet)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(vrows[0], ix.ExportColumns()) || !slices.Contains(vrows[0], "dbsnp_CLIN_SIG") || vrows[0][len(vrows[0])-1] != "GT:S3" {
			t.Fatalf("header row %v", vrows[0])
		}
		// Genotypes: S2 cycles 1/1, 0/0, ./., 0|1 with the record number.
		s2 := slices.Index(vrows[0], "GT:S2")
		for _, r := range vrows[1:] {
			n, _ := strconv.Atoi(r[0])
			if want := []string{"1/1", "0/0", "./.", "0|1"}[(n-1)%4]; r[s2] != want {
				t.Fatalf("record %d: GT:S2 %q, want %q", n, r[s2], want)
			}
		}
		distinct := map[string]bool{}
		for _, r := range vrows[1:] {
			distinct[r[0]] = true
		}
		if int64(len(vrows)-1) != rows || int64(len(distinct)) != want {
			t.Errorf("%s: sheet has %d rows of %d records, want %d of %d", f.Describe(), len(vrows)-1, len(distinct), rows, want)
		}
		srows, err := x.GetRows(XLSXSummarySheet)
		if err != nil {
			t.Fatal(err)
		}
		if srows[0][0] != "records" || srows[0][1] != strconv.FormatInt(want, 10) || srows[2][1] != f.Describe() {
			t.Errorf("%s: summary starts %v %v", f.Describe(), srows[0], srows[2])
		}
		x.Close()
	}
}
