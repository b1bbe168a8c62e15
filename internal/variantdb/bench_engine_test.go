package variantdb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/synth"
	"github.com/gas-project/gas/refdata"
)

// engineResult returns an annotated VCF (BGZF, as the annotate worker
// stores it) of n records made by the real engine: `gas bench gen` data
// (4 contigs of 50 Mb, 10,000 genes, 2,000,000 known variants, two
// tracks), a bundle built from it, and the variants annotated with it.
// Making it takes a minute, so it is kept under os.TempDir() (or
// GAS_INDEX_BENCH_DIR) and reused by later runs; the ".done" marker is
// written last.
func engineResult(b *testing.B, n int) string {
	b.Helper()
	engineOnce.Do(func() { enginePath, engineErr = makeEngineResult(n) })
	if engineErr != nil {
		b.Fatal(engineErr)
	}
	return enginePath
}

var (
	engineOnce sync.Once
	enginePath string
	engineErr  error
)

func makeEngineResult(n int) (string, error) {
	dir := os.Getenv("GAS_INDEX_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "gas-variantdb-bench")
	}
	dir = filepath.Join(dir, "v1-"+strconv.Itoa(n))
	out := filepath.Join(dir, "result.vcf.gz")
	if _, err := os.Stat(out + ".done"); err == nil {
		return out, nil
	}
	os.RemoveAll(dir)
	ctx := context.Background()
	gen := filepath.Join(dir, "gen")
	if _, err := synth.Generate(ctx, synth.Options{Seed: 1, Chroms: 4, ChromLen: 50_000_000, Genes: 10_000, Variants: n,
		Known: 2_000_000, Tracks: []synth.TrackSpec{{Name: "cpg", Intervals: 3000}, {Name: "gwas", Intervals: 30000}}, OutDir: gen}); err != nil {
		return "", fmt.Errorf("bench gen: %w", err)
	}
	bdir := filepath.Join(dir, "bundle")
	if _, err := refdata.Build(ctx, refdata.BuildOptions{Name: "bench", Genes: filepath.Join(gen, "genes.gff3"),
		FASTA: filepath.Join(gen, "genome.fa"), KnownVariants: filepath.Join(gen, "known.vcf"),
		Tracks: []refdata.Track{{Name: "cpg", Path: filepath.Join(gen, "cpg.bed")}, {Name: "gwas", Path: filepath.Join(gen, "gwas.bed")}},
		Out:    bdir, SkipSpaceCheck: true}); err != nil {
		return "", fmt.Errorf("bundle: %w", err)
	}
	bun, err := refdata.Open(bdir)
	if err != nil {
		return "", err
	}
	defer bun.Close()
	in, err := os.Open(filepath.Join(gen, "variants.vcf"))
	if err != nil {
		return "", err
	}
	defer in.Close()
	f, err := os.Create(out)
	if err != nil {
		return "", err
	}
	if _, err := annotate.Annotate(ctx, in, f, bun, annotate.Options{BGZF: true}); err != nil {
		f.Close()
		return "", fmt.Errorf("annotate: %w", err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	// Only the result is needed from now on.
	os.RemoveAll(gen)
	os.RemoveAll(bdir)
	return out, os.WriteFile(out+".done", nil, 0o644)
}

// BenchmarkIndexBuild builds the variant index of 1,000,000 records of
// real engine output (GAS_INDEX_BENCH_RECORDS changes the count) and
// reports records/s: the build a completed job waits for before it can
// be browsed. Run one process per figure to read its peak RSS.
func BenchmarkIndexBuild(b *testing.B) {
	if testing.Short() {
		b.Skip("makes and indexes a 1,000,000-record result; skipped with -short")
	}
	n := bigRecords
	if s := os.Getenv("GAS_INDEX_BENCH_RECORDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v <= 0 {
			b.Fatalf("GAS_INDEX_BENCH_RECORDS=%q: want a positive count", s)
		}
		n = v
	}
	src := engineResult(b, n)
	path := filepath.Join(b.TempDir(), "x.sqlite")
	var info *BuildInfo
	cpu0 := cpuSeconds()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(src)
		if err != nil {
			b.Fatal(err)
		}
		info, err = Build(context.Background(), f, path, BuildOptions{})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
	}
	if info.Records != int64(n) {
		b.Fatalf("indexed %d records, want %d", info.Records, n)
	}
	cpu := cpuSeconds() - cpu0
	b.ReportMetric(float64(info.Records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	if cpu > 0 {
		// CPU seconds per build, and records per CPU second: what the
		// build costs whatever else runs on the machine.
		b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
		b.ReportMetric(float64(info.Records)*float64(b.N)/cpu, "records/cpu-s")
	}
	b.ReportMetric(float64(info.Bytes)/(1<<20), "MiB")
	b.ReportMetric(float64(info.Annotations)/float64(info.Records), "ann/record")
	if rss := peakRSS(); rss > 0 {
		b.ReportMetric(rss, "peak-RSS-MiB")
	}
}
