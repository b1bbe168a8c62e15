package variantdb

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The browser's views on 1,000,000 records with genotypes: the synthetic
// result (synthVCF) with three samples added, built once per process.
var (
	gtOnce sync.Once
	gtDir  string
	gtPath string
	gtInfo *BuildInfo
	gtErr  error
)

// withSamples copies a synthetic VCF adding FORMAT GT:GQ:DP and samples
// S1–S3: S1 0/1 with GQ and DP cycling, S2 1/1 on every seventh record,
// S3 0/0.
func withSamples(w io.Writer, r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<24)
	bw := bufio.NewWriterSize(w, 1<<16)
	n := 0
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case bytes.HasPrefix(line, []byte("##")):
			bw.Write(line)
		case bytes.HasPrefix(line, []byte("#CHROM")):
			bw.WriteString("##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
			bw.Write(line)
			bw.WriteString("\tFORMAT\tS1\tS2\tS3")
		default:
			n++
			bw.Write(line)
			bw.WriteString("\tGT:GQ:DP\t0/1:")
			bw.WriteString(strconv.Itoa(n % 99))
			bw.WriteByte(':')
			bw.WriteString(strconv.Itoa(n % 70))
			if n%7 == 0 {
				bw.WriteString("\t1/1:99:30\t0/0:99:30")
			} else {
				bw.WriteString("\t0/0:99:30\t0/0:99:30")
			}
		}
		bw.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return bw.Flush()
}

func genotypeIndex(b *testing.B) *Index {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a 1,000,000-record index; skipped with -short")
	}
	gtOnce.Do(func() {
		if gtDir, gtErr = os.MkdirTemp("", "variantdb-bench-gt-"); gtErr != nil {
			return
		}
		gtPath = filepath.Join(gtDir, "gt.sqlite")
		pr, pw := io.Pipe()
		sr, sw := io.Pipe()
		go func() { pw.CloseWithError(synthVCF(pw, bigRecords, 7)) }()
		go func() { sw.CloseWithError(withSamples(sw, pr)) }()
		gtInfo, gtErr = Build(context.Background(), sr, gtPath, BuildOptions{})
		sr.Close()
		pr.Close()
	})
	if gtErr != nil {
		b.Fatal(gtErr)
	}
	b.Logf("1M index with 3 samples: %d records, %d annotations, built in %v, %.1f MiB", gtInfo.Records, gtInfo.Annotations,
		gtInfo.Elapsed.Round(time.Millisecond), float64(gtInfo.Bytes)/(1<<20))
	ix, err := Open(gtPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	return ix
}

// BenchmarkBrowse1M measures one page (count included) of the browser's
// combined views, the gene view and a variant page on 1,000,000 records
// with genotypes. Columns are loaded on first use, as in the service; the
// first iteration pays for it.
func BenchmarkBrowse1M(b *testing.B) {
	ix := genotypeIndex(b)
	var panel []string
	for g := 1000; g < 1050; g++ {
		panel = append(panel, "GENE"+strconv.Itoa(g))
	}
	regions := []Region{{"3", 1_000_000, 2_000_000}, {"chr7", 0, 0}, {"12", 10_000, 500_000}}
	views := []struct {
		name string
		f    Filter
	}{
		{"panel50", Filter{Genes: panel}},
		{"regions", Filter{Regions: regions}},
		{"imp=high,moderate+csq=2", Filter{Impacts: []int{ImpactHigh, ImpactModerate}, Consequences: []string{"missense_variant", "stop_gained"}}},
		{"clinsig=benign", Filter{ClinSig: []string{"benign"}}},
		{"freqfield=AF<=0.01", Filter{FreqField: "AF", MaxFreq: ptr(0.01)}},
		{"hom-alt/S2", Filter{Samples: []string{"S2"}, Zygosity: []int{GTHomAlt}}},
		{"het/GQ>=50/DP>=30", Filter{Zygosity: []int{GTHet}, MinGQ: 50, MinDP: 30}},
		{"panel+region+het/-impact", Filter{Genes: panel, Regions: []Region{{"1", 0, 0}, {"2", 0, 0}, {"3", 0, 0}}, Zygosity: []int{GTHet}, Sort: SortImpact, Desc: true}},
		{"everything", Filter{Genes: panel, Regions: regions, Impacts: []int{ImpactModifier, ImpactLow}, Known: KnownOnly, ClinSig: []string{"benign"},
			FreqField: "AF", MaxFreq: ptr(0.5), Samples: []string{"S1"}, Zygosity: []int{GTHet}, MinDP: 10}},
	}
	ctx := context.Background()
	for _, v := range views {
		b.Run("page/"+v.name, func(b *testing.B) {
			var res *Result
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = ix.Query(ctx, v.f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Total), "matches")
		})
	}
	for _, v := range []struct {
		name string
		f    Filter
	}{{"all", Filter{}}, {"het/S1", Filter{Samples: []string{"S1"}, Zygosity: []int{GTHet}}}, {"panel50", Filter{Genes: panel}}} {
		b.Run("genes/"+v.name, func(b *testing.B) {
			var n int
			defer cpuPerOp(b)()
			for i := 0; i < b.N; i++ {
				g, err := ix.Genes(ctx, v.f)
				if err != nil {
					b.Fatal(err)
				}
				n = len(g)
			}
			b.ReportMetric(float64(n), "genes")
		})
	}
	b.Run("variant", func(b *testing.B) {
		defer cpuPerOp(b)()
		for i := 0; i < b.N; i++ {
			if _, err := ix.Variant(ctx, int64(1+i*7919%bigRecords)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// cpuPerOp reports the process's CPU time (user + system) per operation,
// "cpu-ms/op": on a shared, loaded machine wall time mostly measures the
// wait for a core. Call as defer cpuPerOp(b)().
func cpuPerOp(b *testing.B) func() {
	start := cpuTime()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cpuTime()-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
