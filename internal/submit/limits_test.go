package submit_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/gas-project/gas"
	"github.com/gas-project/gas/internal/submit"
)

// countingReader counts the compressed bytes the check takes from storage.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestMaxInputSizeCheckStopsAtTheLimit: the upload check inflates an input
// only up to its limit (a plan's, or max-input-size) and stops there with
// the plan's words, reading a small part of a compression bomb rather
// than all of it; within the limit it counts every record.
func TestMaxInputSizeCheckStopsAtTheLimit(t *testing.T) {
	t.Parallel()
	var bomb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&bomb, gzip.BestCompression)
	io.WriteString(zw, goodVCF)
	line := strings.Repeat("chr1\t100\t.\tA\tG\t.\t.\t.\n", 4096)
	for written := 0; written < 256<<20; written += len(line) { // 256 MiB of VCF
		io.WriteString(zw, line)
	}
	zw.Close()
	for _, tc := range []struct {
		plan  gas.Plan
		limit int64
		words string
	}{
		{gas.PlanFree, 150_000, "your Free plan allows (150 kB"},
		{gas.PlanPremium, 4 << 20, "your Premium plan allows (4.2 MB"},
	} {
		src := &countingReader{r: bytes.NewReader(bomb.Bytes())}
		_, err := submit.CheckInput(context.Background(), src, submit.InputLimits{Plan: tc.plan, Bytes: tc.limit})
		if gas.ErrorCode(err) != gas.ETOOLARGE || !strings.Contains(gas.ErrorMessage(err), tc.words) ||
			!strings.Contains(gas.ErrorMessage(err), "Once decompressed") {
			t.Fatalf("%s: %v", tc.plan, err)
		}
		// Gzip shrinks this VCF about 1000 times: reading up to the limit
		// takes a few kB of it, plus the reader's buffers (well under 1 MiB).
		if src.n > 1<<20 || src.n*10 > int64(bomb.Len()) {
			t.Fatalf("%s: the check read %d of the bomb's %d compressed bytes: it inflated far past its limit", tc.plan, src.n, bomb.Len())
		}
	}
	// Within the limits: every record is counted.
	n, err := submit.CheckInput(context.Background(), strings.NewReader(goodVCF), submit.InputLimits{Plan: gas.PlanFree, Bytes: 150_000, Records: 1})
	if err != nil || n != 1 {
		t.Fatalf("a file within the limits: %d, %v", n, err)
	}
	_, err = submit.CheckInput(context.Background(), strings.NewReader(goodVCF+"chr1\t200\t.\tC\tT\t.\t.\t.\n"), submit.InputLimits{Plan: gas.PlanFree, Bytes: 150_000, Records: 1})
	if gas.ErrorCode(err) != gas.ETOOLARGE || !strings.Contains(gas.ErrorMessage(err), "more than 1 variant records") {
		t.Fatalf("over the record limit: %v", err)
	}
}

// TestTruncatedInputMalformedRecordsRefused: the upload check refuses,
// with the line, records whose columns disagree with the #CHROM line and
// records with a NUL byte, which would otherwise complete with output
// htslib cannot read (issue 17); a file whose records match passes.
func TestTruncatedInputMalformedRecordsRefused(t *testing.T) {
	t.Parallel()
	samples := "##fileformat=VCFv4.2\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n" +
		"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
	sites := "##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
	ok := "chr1\t100\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\n"
	for _, c := range []struct{ name, in, words string }{
		{"one sample short", samples + ok + "chr1\t200\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n", "line 5: has 1 sample column(s); the header lists 2"},
		{"FORMAT without samples", samples + ok + "chr1\t200\t.\tC\tT\t.\tPASS\t.\tGT\n", "line 5: has a FORMAT column but no sample columns"},
		{"FORMAT in a sites-only file", sites + "chr1\t200\t.\tC\tT\t.\tPASS\t.\tGT\n", "line 3: has a FORMAT column but the header lists no samples"},
		{"no genotype columns", samples + "chr1\t200\t.\tC\tT\t.\tPASS\t.\n", "line 4: has no FORMAT and sample columns"},
		{"NUL in FILTER", sites + "chr1\t200\t.\tC\tT\t.\tPA\x00SS\t.\n", "line 3: has a NUL byte in column 7 (FILTER)"},
	} {
		_, err := submit.CheckVCF(context.Background(), strings.NewReader(c.in), 1<<20)
		if gas.ErrorCode(err) != gas.EINVALID || !strings.Contains(gas.ErrorMessage(err), c.words) {
			t.Errorf("%s: %v, want …%s", c.name, err, c.words)
		}
	}
	if n, err := submit.CheckVCF(context.Background(), strings.NewReader(samples+ok+ok+"chr1\t300\t.\tG\tA\t.\tPASS\t.\tGT\t0/1\t1/1\t\n"), 1<<20); err != nil || n != 3 {
		t.Fatalf("well-formed genotypes (one trailing tab): %d, %v", n, err)
	} // Under the skip choice the same records pass the check and count:
	// the engine leaves them out and lists them (a record whose POS does
	// not parse has no columns to check).
	skip := submit.InputLimits{Bytes: 1 << 20, SkipMalformed: true}
	in := samples + ok + "chr1\t200\t.\tC\tT\t.\tPASS\t.\n" + "chr1\tx\t.\tC\tT\t.\tPASS\t.\n" + "chr1\t300\t.\tC\tT\t.\tPASS\t.\tGT\t0/1\n"
	if n, err := submit.CheckInput(context.Background(), strings.NewReader(in), skip); err != nil || n != 4 {
		t.Fatalf("malformed records under the skip choice: %d, %v; want 4 records", n, err)
	}
}
