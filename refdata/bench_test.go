package refdata

import (
	"bufio"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Synthetic whole-genome-like bundle for the benchmarks: sizes from
// GAS_BENCH_TX (transcripts, default 250000, the human gene set) and
// GAS_BENCH_KNOWN (known variants, default 1000000), on 24 contigs of 100 Mb
// coordinates, plus a 24 Mb sequence contig (mapping cost does not depend on
// the sequence size).
var (
	synthOnce sync.Once
	synthDir  string
	synthErr  error
	// synthBuild is how long Build took on the synthetic sources.
	synthBuild time.Duration
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func syntheticBundle(b *testing.B) string {
	synthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gas-refdata-bench-")
		if err != nil {
			synthErr = err
			return
		}
		synthDir = dir
		synthErr = writeSynthetic(dir, envInt("GAS_BENCH_TX", 250000), envInt("GAS_BENCH_KNOWN", 1000000))
	})
	if synthErr != nil {
		b.Fatal(synthErr)
	}
	b.Logf("synthetic bundle built in %v", synthBuild.Round(time.Millisecond))
	return filepath.Join(synthDir, "bundle")
}

func TestMain(m *testing.M) {
	code := m.Run()
	if synthDir != "" {
		os.RemoveAll(synthDir)
	}
	os.Exit(code)
}

const synthContigs, synthSpan, synthSeq = 24, 100_000_000, 1_000_000

func writeSynthetic(dir string, ntx, nknown int) error {
	r := rand.New(rand.NewPCG(7, 8))
	gff, err := os.Create(filepath.Join(dir, "genes.gff3"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(gff, 1<<20)
	fmt.Fprintln(w, "##gff-version 3")
	per := ntx / synthContigs
	for c := 1; c <= synthContigs; c++ {
		for i := 0; i < per; i++ {
			// Transcripts spread along the contig; one in 500 is a 2 Mb giant.
			start := 1 + r.IntN(synthSpan-3_000_000)
			span := 2000 + r.IntN(60000)
			if r.IntN(500) == 0 {
				span = 2_000_000
			}
			strand := "+-"[r.IntN(2)]
			id := fmt.Sprintf("T%d_%d", c, i)
			fmt.Fprintf(w, "chr%d\ts\tgene\t%d\t%d\t.\t%c\t.\tID=gene:G%s;Name=N%s;biotype=protein_coding\n", c, start, start+span, strand, id, id)
			fmt.Fprintf(w, "chr%d\ts\tmRNA\t%d\t%d\t.\t%c\t.\tID=transcript:%s;Parent=gene:G%s;biotype=protein_coding\n", c, start, start+span, strand, id, id)
			const nex = 8
			step := span / nex
			for e := 0; e < nex; e++ {
				es := start + e*step
				ee := es + step/3
				fmt.Fprintf(w, "chr%d\ts\texon\t%d\t%d\t.\t%c\t.\tParent=transcript:%s\n", c, es, ee, strand, id)
				if e > 0 && e < nex-1 {
					fmt.Fprintf(w, "chr%d\ts\tCDS\t%d\t%d\t.\t%c\t0\tParent=transcript:%s\n", c, es, ee, strand, id)
				}
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	gff.Close()
	fa, err := os.Create(filepath.Join(dir, "genome.fa"))
	if err != nil {
		return err
	}
	w = bufio.NewWriterSize(fa, 1<<20)
	line := make([]byte, 61)
	line[60] = '\n'
	// The sequence is on its own contig: the gene contigs are longer than
	// what is worth writing here, and Build checks transcripts against it.
	fmt.Fprintf(w, ">seq\n")
	for c := 1; c <= synthContigs; c++ {
		for i := 0; i < synthSeq/60; i++ {
			for j := 0; j < 60; j++ {
				line[j] = "ACGT"[r.IntN(4)]
			}
			w.Write(line)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fa.Close()
	vcf, err := os.Create(filepath.Join(dir, "known.vcf"))
	if err != nil {
		return err
	}
	w = bufio.NewWriterSize(vcf, 1<<20)
	fmt.Fprintln(w, "##fileformat=VCFv4.2")
	fmt.Fprintln(w, `##INFO=<ID=AF,Number=A,Type=Float,Description="Allele frequency">`)
	fmt.Fprintln(w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO")
	perK := nknown / synthContigs
	for c := 1; c <= synthContigs; c++ {
		pos := 0
		for i := 0; i < perK; i++ {
			pos += 1 + r.IntN(2*synthSpan/perK)
			fmt.Fprintf(w, "chr%d\t%d\trs%d\t%c\t%c\t.\t.\tAF=0.%d\n", c, pos, c*100_000_000+i, "ACGT"[r.IntN(4)], "ACGT"[r.IntN(4)], r.IntN(1000))
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	vcf.Close()
	start := time.Now()
	_, err = Build(context.Background(), BuildOptions{
		Name: "synthetic", Genes: filepath.Join(dir, "genes.gff3"), FASTA: filepath.Join(dir, "genome.fa"),
		KnownVariants: filepath.Join(dir, "known.vcf"), Out: filepath.Join(dir, "bundle"),
	})
	synthBuild = time.Since(start)
	for _, f := range []string{"genes.gff3", "genome.fa", "known.vcf"} {
		os.Remove(filepath.Join(dir, f))
	}
	return err
}

// BenchmarkOpen measures opening the synthetic whole-genome-scale bundle
// (decoding the transcripts and building the interval trees; the sequence
// and known variants are mapped, not read).
func BenchmarkOpen(b *testing.B) {
	dir := syntheticBundle(b)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		bd, err := Open(dir)
		if err != nil {
			b.Fatal(err)
		}
		bd.Close()
	}
}

// BenchmarkOverlapping queries 10 kb windows (a variant padded by 5 kb each
// side, as the engine does) at random places of the synthetic bundle.
func BenchmarkOverlapping(b *testing.B) {
	bd, err := Open(syntheticBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	r := rand.New(rand.NewPCG(9, 10))
	const nq = 1 << 16
	qs := make([][2]int, nq)
	for i := range qs {
		qs[i] = [2]int{1 + r.IntN(synthContigs), 1 + r.IntN(synthSpan)}
	}
	dst := make([]*Transcript, 0, 256)
	hits := 0
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		q := qs[i&(nq-1)]
		dst = bd.Overlapping(q[0], q[1]-5000, q[1]+5000, dst[:0])
		hits += len(dst)
		i++
	}
	b.ReportMetric(float64(hits)/float64(i), "hits/op")
}

// BenchmarkLookupKnown looks up random SNVs (mostly misses, like real calls
// against dbSNP at this density) in the mapped known-variant source.
func BenchmarkLookupKnown(b *testing.B) {
	bd, err := Open(syntheticBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	r := rand.New(rand.NewPCG(11, 12))
	const nq = 1 << 16
	type q struct{ c, pos int }
	qs := make([]q, nq)
	for i := range qs {
		qs[i] = q{1 + r.IntN(synthContigs), 1 + r.IntN(2*synthSpan)}
	}
	ref, alt := []byte("A"), []byte("G")
	var a Allele
	var h Hit
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		x := qs[i&(nq-1)]
		a.Set(x.pos, ref, alt)
		bd.Lookup(0, nil, x.c, &a, &h)
		i++
	}
}

// BenchmarkLookupKnownSorted looks up ascending positions along one contig
// through a cursor, the access pattern of annotating a sorted VCF.
func BenchmarkLookupKnownSorted(b *testing.B) {
	bd, err := Open(syntheticBundle(b))
	if err != nil {
		b.Fatal(err)
	}
	defer bd.Close()
	ref, alt := []byte("A"), []byte("G")
	var a Allele
	var h Hit
	var cur Cursor
	pos, c := 0, 1
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pos += 97
		if pos > 2*synthSpan {
			pos, c = 0, c%synthContigs+1
		}
		a.Set(pos, ref, alt)
		bd.Lookup(0, &cur, c, &a, &h)
	}
}
