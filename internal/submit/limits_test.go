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
