package variantdb

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The query benchmarks share one 1,000,000-record index, built on first
// use (it takes a while) in a directory removed when the process ends.
var (
	bigOnce sync.Once
	bigDir  string
	bigPath string
	bigInfo *BuildInfo
	bigErr  error
)

const bigRecords = 1_000_000

// buildSynth builds an index of n synthetic records, generated into a pipe
// so that neither the VCF nor the records are ever held in memory.
func buildSynth(n int, path string) (*BuildInfo, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(synthVCF(pw, n, 7)) }()
	defer pr.Close()
	return Build(context.Background(), pr, path, BuildOptions{})
}

func bigIndex(b *testing.B) *Index {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a 1,000,000-record index; skipped with -short")
	}
	bigOnce.Do(func() {
		if bigDir, bigErr = os.MkdirTemp("", "variantdb-bench-"); bigErr != nil {
			return
		}
		bigPath = filepath.Join(bigDir, "big.sqlite")
		bigInfo, bigErr = buildSynth(bigRecords, bigPath)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	b.Logf("1M index: %d records, %d annotations, built in %v, %.1f MiB", bigInfo.Records, bigInfo.Annotations,
		bigInfo.Elapsed.Round(time.Millisecond), float64(bigInfo.Bytes)/(1<<20))
	ix, err := Open(bigPath)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	return ix
}

// BenchmarkBuild measures the build of 100,000 and 1,000,000 records
// (run one size per process to read its peak RSS: -bench 'Build/1M$').
func BenchmarkBuild(b *testing.B) {
	if testing.Short() {
		b.Skip("large builds; skipped with -short")
	}
	for _, n := range []int{100_000, bigRecords} {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "x.sqlite")
			var info *BuildInfo
			for i := 0; i < b.N; i++ {
				var err error
				if info, err = buildSynth(n, path); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			b.ReportMetric(float64(info.Bytes)/(1<<20), "MiB")
			b.ReportMetric(float64(info.Bytes)/float64(n), "bytes/record")
			if rss := peakRSS(); rss > 0 {
				b.ReportMetric(rss, "peak-RSS-MiB")
			}
		})
	}
}

// peakRSS reads VmHWM (Linux); 0 elsewhere.
func peakRSS() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkQuery1M measures one page (count included) of typical views of
// the 1,000,000-record index.
func BenchmarkQuery1M(b *testing.B) {
	ix := bigIndex(b)
	views := []struct {
		name string
		f    Filter
	}{
		{"all/pos", Filter{}},
		{"all/pos/page1000", Filter{Page: 1000}},
		{"all/-impact", Filter{Sort: SortImpact, Desc: true}},
		{"all/gene", Filter{Sort: SortGene}},
		{"all/freq", Filter{Sort: SortFreq}},
		{"gene", Filter{Gene: "GENE1234"}},
		{"gene/-freq", Filter{Gene: "GENE1234", Sort: SortFreq, Desc: true}},
		{"impact>=moderate/pos", Filter{HasImpact: true, MinImpact: ImpactModerate}},
		{"impact>=high/-freq", Filter{HasImpact: true, MinImpact: ImpactHigh, Sort: SortFreq, Desc: true}},
		{"csq=missense/pos", Filter{Consequence: "missense_variant"}},
		{"csq=stop_gained/gene", Filter{Consequence: "stop_gained", Sort: SortGene}},
		{"novel/pos", Filter{Known: NovelOnly}},
		{"known+maxfreq0.01/-impact", Filter{Known: KnownOnly, MaxFreq: ptr(0.01), Sort: SortImpact, Desc: true}},
		{"all-filters/freq", Filter{HasImpact: true, MinImpact: ImpactLow, Consequence: "missense_variant", Known: KnownOnly, MaxFreq: ptr(0.05), Sort: SortFreq}},
	}
	ctx := context.Background()
	for _, v := range views {
		b.Run(v.name, func(b *testing.B) {
			var res *Result
			for i := 0; i < b.N; i++ {
				var err error
				if res, err = ix.Query(ctx, v.f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(res.Total), "matches")
		})
	}
}

// BenchmarkOpen1M measures opening the 1,000,000-record index (it loads
// the filter columns) and the first page, which loads a sort order: the
// cost of a request when the web does not keep indexes open.
func BenchmarkOpen1M(b *testing.B) {
	bigIndex(b).Close()
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		ix, err := Open(bigPath)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ix.Query(ctx, Filter{HasImpact: true, MinImpact: ImpactModerate, Sort: SortFreq, Desc: true}); err != nil {
			b.Fatal(err)
		}
		ix.Close()
	}
}

// BenchmarkBuildFile builds the index of the annotated VCF named by
// GAS_VARIANTDB_BENCH_VCF (skipped when unset), to measure real engine
// output, e.g. from `gas bench gen` + `gas annotate`.
func BenchmarkBuildFile(b *testing.B) {
	in := os.Getenv("GAS_VARIANTDB_BENCH_VCF")
	if in == "" {
		b.Skip("set GAS_VARIANTDB_BENCH_VCF to an annotated VCF")
	}
	path := filepath.Join(b.TempDir(), "x.sqlite")
	var info *BuildInfo
	for i := 0; i < b.N; i++ {
		f, err := os.Open(in)
		if err != nil {
			b.Fatal(err)
		}
		info, err = Build(context.Background(), f, path, BuildOptions{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(info.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(info.Bytes)/(1<<20), "MiB")
	b.ReportMetric(float64(info.Bytes)/float64(info.Records), "bytes/record")
	b.ReportMetric(float64(info.Annotations)/float64(info.Records), "ann/record")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(rss, "peak-RSS-MiB")
	}
}
