package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gas-project/gas"
)

// BenchmarkUpload measures POST /annotate end to end for a Premium user: the
// multipart stream into the blob store, the re-read and check of the stored
// VCF, and the job insert, on SQLite and local files.
func BenchmarkUpload(b *testing.B) {
	for _, size := range []int{100_000, 10_000_000} {
		b.Run(fmt.Sprintf("plain-%dB", size), func(b *testing.B) {
			f := setup(b, nil)
			c := f.client()
			c.signup("bench@example.org", "benchmark password")
			if err := f.db.SetPlan(context.Background(), f.user("bench@example.org").ID, gas.PlanPremium); err != nil {
				b.Fatal(err)
			}
			var sb strings.Builder
			sb.WriteString("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n")
			for i := 1; sb.Len() < size; i++ {
				fmt.Fprintf(&sb, "21\t%d\trs%d\tA\tG\t50\tPASS\tDP=12;AF=0.5\tGT\t0|1\n", 1000+i*7, i)
			}
			data := []byte(sb.String())
			b.SetBytes(int64(len(data)))
			b.ResetTimer()
			for b.Loop() {
				if r := c.upload("bench.vcf", data, "all"); r.StatusCode != 303 {
					b.Fatalf("upload: %d", r.StatusCode)
				}
			}
		})
	}
}
