package vcf

import (
	"errors"
	"strings"
	"testing"
)

const testHeader = "##fileformat=VCFv4.2\n" +
	"##contig=<ID=1,length=248956422,assembly=GRCh38>\n" +
	"##contig=<ID=chrM>\n" +
	"##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Total depth, \\\"raw\\\", all reads\">\n" +
	"##FILTER=<ID=q10,Description=\"Quality below 10\">\n" +
	"##source=test\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA1\tNA2\n"

func TestParseHeader(t *testing.T) {
	t.Parallel()
	h, err := ParseHeader(testHeader)
	if err != nil {
		t.Fatalf("ParseHeader: %v", err)
	}
	if got := len(h.Meta()); got != 6 {
		t.Errorf("Meta has %d lines, want 6", got)
	}
	if got := strings.Join(h.Samples(), ","); got != "NA1,NA2" {
		t.Errorf("Samples = %q", got)
	}
	cs := h.Contigs()
	if len(cs) != 2 || cs[0] != (Contig{ID: "1", Length: 248956422, Assembly: "GRCh38"}) || cs[1] != (Contig{ID: "chrM"}) {
		t.Errorf("Contigs = %+v", cs)
	}
	if got := string(h.AppendTo(nil)); got != testHeader {
		t.Errorf("AppendTo round trip:\n%s\nwant\n%s", got, testHeader)
	}
	if l, ok := h.Lookup("INFO", "DP"); !ok || !strings.Contains(l, "Total depth") {
		t.Errorf("Lookup(INFO, DP) = %q, %v", l, ok)
	}
	if _, ok := h.Lookup("INFO", "AF"); ok {
		t.Error("Lookup(INFO, AF) found a line that does not exist")
	}
	// Trailing whitespace on the #CHROM line names no column.
	h3, err := ParseHeader("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\t \n")
	if err != nil || len(h3.Samples()) != 0 || h3.ChromLine() != "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO" {
		t.Errorf("trailing tab on #CHROM: %v, %q", err, h3.ChromLine())
	}
	// Meta returns a copy.
	m := h.Meta()
	m[0] = "changed"
	if h.Meta()[0] != "##fileformat=VCFv4.2" {
		t.Error("Meta exposes the header's own slice")
	}
}

func TestHeaderAdd(t *testing.T) {
	t.Parallel()
	h, err := ParseHeader(testHeader)
	if err != nil {
		t.Fatal(err)
	}
	h.Add(`##INFO=<ID=DP,Number=1,Type=Integer,Description="Replaced">`)
	h.Add(`##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations">` + "\n")
	h.Add(`##FILTER=<ID=q10,Description="New">`)
	h.Add(`##contig=<ID=1,length=5>`)
	h.Add(`##source=gas`)
	h.Add(`gas_version=1.0`)
	want := []string{
		"##fileformat=VCFv4.2",
		"##contig=<ID=1,length=5>",
		"##contig=<ID=chrM>",
		`##INFO=<ID=DP,Number=1,Type=Integer,Description="Replaced">`,
		`##FILTER=<ID=q10,Description="New">`,
		"##source=test",
		`##INFO=<ID=ANN,Number=.,Type=String,Description="Functional annotations">`,
		"##source=gas",
		"##gas_version=1.0",
	}
	if got := h.Meta(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after Add:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// A value with a newline cannot smuggle in another line.
	h.Add("##bundle=demo\n1\t1\t.\tA\tC\t.\t.\t.")
	if m := h.Meta(); m[len(m)-1] != "##bundle=demo 1\t1\t.\tA\tC\t.\t.\t." {
		t.Errorf("embedded newline kept: %q", m[len(m)-1])
	}
	// An INFO and a FORMAT with the same ID are different definitions.
	h.Add(`##FORMAT=<ID=DP,Number=1,Type=Integer,Description="Sample depth">`)
	if _, ok := h.Lookup("INFO", "DP"); !ok {
		t.Error("adding FORMAT/DP removed INFO/DP")
	}
	if !strings.HasSuffix(string(h.AppendTo(nil)), "\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tNA1\tNA2\n") {
		t.Error("the #CHROM line is not last after Add")
	}
}

func TestParseHeaderErrors(t *testing.T) {
	t.Parallel()
	const chrom = "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO"
	tests := []struct {
		name, text string
		line       int64
		want       string
	}{
		{"no fileformat", "##source=x\n" + chrom, 1, "not a VCF file: the first line must be ##fileformat=VCFv4.x"},
		{"vcf3", "##fileformat=VCFv3.3\n" + chrom, 1, `unsupported VCF version "VCFv3.3"`},
		{"binary", "\x00\x01BAM\n" + chrom, 1, "binary data"},
		{"missing chrom", "##fileformat=VCFv4.2\n##source=x", 2, "missing #CHROM header line"},
		{"data before chrom", "##fileformat=VCFv4.2\n1\t5\t.\tA\tC\t.\t.\t.", 2, "missing #CHROM header line"},
		{"seven columns", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER", 2, "has 7 tab-separated columns, VCF needs at least 8"},
		{"spaces", "##fileformat=VCFv4.2\n#CHROM POS ID REF ALT QUAL FILTER INFO", 2, "tabs, not spaces"},
		{"wrong column", "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINF0", 2, `"INF0" as column 8, expected INFO`},
		{"no FORMAT", "##fileformat=VCFv4.2\n" + chrom + "\tNA1", 2, "expected FORMAT"},
		{"duplicate sample", "##fileformat=VCFv4.2\n" + chrom + "\tFORMAT\tA\tB\tA", 2, `sample "A" appears twice`},
		{"empty sample", "##fileformat=VCFv4.2\n" + chrom + "\tFORMAT\t\tB", 2, "empty sample name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseHeader(tc.text)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseHeader = %v, want *ParseError", err)
			}
			if pe.Line != tc.line || !strings.Contains(pe.Msg, tc.want) {
				t.Errorf("got line %d %q, want line %d containing %q", pe.Line, pe.Msg, tc.line, tc.want)
			}
		})
	}
}
