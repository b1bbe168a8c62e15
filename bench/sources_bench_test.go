package bench

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/gas-project/gas/annotate"
	"github.com/gas-project/gas/internal/synth"
	"github.com/gas-project/gas/refdata"
)

// subsample writes the header of a VCF and every k-th of its records to
// dst: a smaller source over the same positions, the way ClinVar is a small
// subset of dbSNP's sites.
func subsample(tb testing.TB, src, dst string, k int) {
	n := 0
	filterVCF(tb, src, dst, func([]byte) bool {
		n++
		return (n-1)%k == 0
	})
}

// atPositions writes the header of a VCF and those of its records whose
// CHROM and POS are in pos to dst: a source cut down to what a given input
// can find in it.
func atPositions(tb testing.TB, src, dst string, pos map[string]bool) {
	filterVCF(tb, src, dst, func(l []byte) bool { return pos[chromPos(l)] })
}

// chromPos is "CHROM\tPOS" of a VCF record line.
func chromPos(l []byte) string {
	tab := bytes.IndexByte(l, '\t')
	if tab < 0 {
		return ""
	}
	end := bytes.IndexByte(l[tab+1:], '\t')
	if end < 0 {
		return string(l)
	}
	return string(l[:tab+1+end])
}

// filterVCF copies the header of src and the records keep accepts to dst.
func filterVCF(tb testing.TB, src, dst string, keep func(line []byte) bool) {
	tb.Helper()
	in, err := os.Open(src)
	if err != nil {
		tb.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(out, 1<<20)
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	for sc.Scan() {
		l := sc.Bytes()
		if len(l) > 0 && l[0] == '#' || len(l) > 0 && keep(l) {
			w.Write(l)
			w.WriteByte('\n')
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := out.Close(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkSources annotates the same generated input against one gene
// model and sequence, once without annotation sources and once with three
// (2M, 200k and 10k alleles, at dbSNP-like density: a known site every ten
// bases), the small-scale version of issue 13's lookup check (1M records
// against 200M, 20M and 1M alleles, docs/benchmarks.md). A third bundle,
// "answers", holds the three sources cut down to their records at the
// input's positions: the same output, from sources too small to cost memory
// traffic, so "answers" over "none" is what the answers themselves cost
// and "three" over "answers" what the sources' size adds. Compare them
// with benchstat; GAS_BENCH_SOURCES_KNOWN changes the largest source.
func BenchmarkSources(b *testing.B) {
	known := 2_000_000
	if v := os.Getenv("GAS_BENCH_SOURCES_KNOWN"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1000 {
			b.Fatalf("GAS_BENCH_SOURCES_KNOWN=%q: want a number of records, at least 1000", v)
		}
		known = n
	}
	const records = 50_000
	dir := b.TempDir()
	src := filepath.Join(dir, "src")
	ctx := context.Background()
	if _, err := synth.Generate(ctx, synth.Options{Seed: 3, Chroms: 2, ChromLen: known * 5, Genes: 400,
		Variants: records, Known: known, OutDir: src}); err != nil {
		b.Fatal(err)
	}
	big := filepath.Join(src, synth.KnownFile)
	mid, small := filepath.Join(dir, "mid.vcf"), filepath.Join(dir, "small.vcf")
	subsample(b, big, mid, 10)
	subsample(b, big, small, 200)
	in, err := os.ReadFile(filepath.Join(src, synth.VariantsFile))
	if err != nil {
		b.Fatal(err)
	}
	inputPos := map[string]bool{}
	for _, l := range bytes.Split(in, []byte("\n")) {
		if len(l) > 0 && l[0] != '#' {
			inputPos[chromPos(l)] = true
		}
	}
	cut := map[string]string{}
	for _, f := range []string{big, mid, small} {
		cut[f] = f + ".answers.vcf"
		atPositions(b, f, cut[f], inputPos)
	}
	bundles := map[string]*refdata.Bundle{}
	for _, tc := range []struct {
		name    string
		sources []refdata.SourceSpec
	}{
		{"none", nil},
		{"three", []refdata.SourceSpec{
			{Name: "dbsnp", Path: big, Fields: []string{"MAF"}},
			{Name: "gnomad", Path: mid, Fields: []string{"MAF", "AF_EUR"}},
			{Name: "clinvar", Path: small, Fields: []string{"AF_EUR"}},
		}},
		{"answers", []refdata.SourceSpec{
			{Name: "dbsnp", Path: cut[big], Fields: []string{"MAF"}},
			{Name: "gnomad", Path: cut[mid], Fields: []string{"MAF", "AF_EUR"}},
			{Name: "clinvar", Path: cut[small], Fields: []string{"AF_EUR"}},
		}},
	} {
		out := filepath.Join(dir, tc.name)
		if _, err := refdata.Build(ctx, refdata.BuildOptions{Name: tc.name, Genes: filepath.Join(src, synth.GFFFile),
			FASTA: filepath.Join(src, synth.FASTAFile), Sources: tc.sources, Out: out}); err != nil {
			b.Fatal(err)
		}
		bd, err := refdata.Open(out)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { bd.Close() })
		bundles[tc.name] = bd
	}
	sums := map[string]*annotate.Summary{}
	for _, name := range []string{"none", "answers", "three"} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			var sum *annotate.Summary
			for b.Loop() {
				sum, err = annotate.Annotate(ctx, bytes.NewReader(in), io.Discard, bundles[name], annotate.Options{})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
			if name == "three" && sum.Known == 0 {
				b.Fatal("no record matched a source: the benchmark would not exercise hits")
			}
			sums[name] = sum
		})
	}
	// The cut is by the input's own positions, so a deletion whose source
	// record is written at another position can be missed: allow a few.
	if a, t := sums["answers"], sums["three"]; a != nil && t != nil && (a.Known > t.Known || a.Known < t.Known-t.Known/1000) {
		b.Fatalf("answers found %d known alleles, three %d: not the same answers", a.Known, t.Known)
	}
}
