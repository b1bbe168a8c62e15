package refdata

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// demoFS holds the sources of the demo bundle (see refdata/demo/make-demo.sh
// for how they were cut from public test data, and NOTICE for attribution).
// The sources, not a built bundle, are embedded: they are smaller, and the
// bundle is then always in the current format.
//
//go:embed demo/genes.gff3.gz demo/genome.fa.gz demo/chr21_exons.txt.gz demo/known.vcf.gz demo/clinvar.vcf demo/cpg.bed demo/demo.vcf
var demoFS embed.FS

// DemoName is the name of the shipped demo bundle.
const DemoName = "demo"

// BuildDemo builds the shipped demo bundle into out (which must not exist):
// GRCh38 genes of 21:25-26 Mb with the real bases of their coding exons (N
// elsewhere on 21), dbSNP known variants with 1000 Genomes frequencies, a
// ClinVar-style significance source and a CpG-island track, plus six human
// gene slices with sequence (contigs named after their transcript), so
// that every kind of consequence, protein changes included, can be shown
// without a download.
func BuildDemo(ctx context.Context, out string, version string) (*Manifest, error) {
	src, err := os.MkdirTemp("", "gas-demo-src-")
	if err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	defer os.RemoveAll(src)
	for _, name := range []string{"genes.gff3.gz", "known.vcf.gz", "clinvar.vcf", "cpg.bed"} {
		data, err := demoFS.ReadFile("demo/" + name)
		if err != nil {
			return nil, fmt.Errorf("refdata: build demo: %w", err)
		}
		if err := os.WriteFile(filepath.Join(src, name), data, 0o600); err != nil {
			return nil, fmt.Errorf("refdata: build demo: %w", err)
		}
	}
	if err := writeDemoGenome(filepath.Join(src, "genome.fa")); err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	// Built beside out and renamed with its revision file in it, so that
	// out appears complete or not at all (other processes sharing the data
	// dir look at it).
	if _, err := os.Stat(out); err == nil {
		return nil, fmt.Errorf("refdata: build demo: %s already exists", out)
	}
	tmp := filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".demo-"+strconv.Itoa(os.Getpid())) // hidden from bundle lists
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	defer os.RemoveAll(tmp)
	m, err := Build(ctx, BuildOptions{
		Name:     DemoName,
		Assembly: "GRCh38",
		Genes:    filepath.Join(src, "genes.gff3.gz"),
		FASTA:    filepath.Join(src, "genome.fa"),
		Sources: []SourceSpec{
			{Name: "dbsnp", Kind: KindKnown, Path: filepath.Join(src, "known.vcf.gz"), ID: true},
			{Name: "clinvar", Kind: KindKnown, Path: filepath.Join(src, "clinvar.vcf"), Fields: []string{"CLNSIG"}},
		},
		Tracks:  []Track{{Name: "CPG_ISLAND", Path: filepath.Join(src, "cpg.bed")}},
		Out:     tmp,
		Version: version,
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(tmp, demoRevisionFile), []byte(DemoRevision()+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	if err := os.Rename(tmp, out); err != nil {
		return nil, fmt.Errorf("refdata: build demo: %w", err)
	}
	return m, nil
}

// demoRevisionFile, beside a built demo bundle's manifest, holds the
// DemoRevision it was built from (Open ignores files it does not list).
const demoRevisionFile = "demo-revision"

// DemoRevision identifies the embedded demo sources: a hash of them all.
// A demo bundle built from other sources (by an older binary that reports
// the same version, as development builds do) is out of date.
var DemoRevision = sync.OnceValue(func() string {
	h := sha256.New()
	names, _ := fs.Glob(demoFS, "demo/*")
	for _, name := range names { // Glob sorts
		data, _ := demoFS.ReadFile(name)
		fmt.Fprintf(h, "%s %d\n", name, len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// DemoIsCurrent reports whether the demo bundle in dir was built from this
// binary's demo sources.
func DemoIsCurrent(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, demoRevisionFile))
	return err == nil && strings.TrimSpace(string(data)) == DemoRevision()
}

// writeDemoGenome writes the demo FASTA: the six slices as embedded, then
// contig 21 rebuilt from its runs of known bases (chr21_exons.txt.gz, see
// make-demo.sh) with N between them. Embedding the runs instead of the
// FASTA keeps 47 Mb of mostly N out of the binary (5 kB instead of 150).
func writeDemoGenome(path string) (err error) {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gunzipInto(w, "demo/genome.fa.gz"); err != nil {
		return err
	}
	var runs bytes.Buffer
	if err := gunzipInto(&runs, "demo/chr21_exons.txt.gz"); err != nil {
		return err
	}
	if err := expandRuns(w, runs.String()); err != nil {
		return err
	}
	return w.Flush()
}

// gunzipInto writes the decompressed embedded file name to w.
func gunzipInto(w io.Writer, name string) error {
	data, err := demoFS.ReadFile(name)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if _, err := io.Copy(w, zr); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return zr.Close()
}

// expandRuns writes one FASTA contig (60 bases a line) from its runs: a
// line "#NAME<TAB>LENGTH", then "START<TAB>BASES" lines, 1-based, in
// ascending order without overlap; every other base is N.
func expandRuns(w *bufio.Writer, runs string) error {
	const width = 60
	lines := strings.Split(strings.TrimSuffix(runs, "\n"), "\n")
	name, length, ok := strings.Cut(strings.TrimPrefix(lines[0], "#"), "\t")
	n, err := strconv.ParseInt(length, 10, 64)
	if !ok || !strings.HasPrefix(lines[0], "#") || err != nil || n <= 0 {
		return fmt.Errorf("sequence runs: bad first line %q", lines[0])
	}
	fmt.Fprintf(w, ">%s\n", name)
	col := 0
	emit := func(p string) {
		for len(p) > 0 {
			k := min(width-col, len(p))
			w.WriteString(p[:k])
			col, p = col+k, p[k:]
			if col == width {
				w.WriteByte('\n')
				col = 0
			}
		}
	}
	ns := strings.Repeat("N", width)
	gap := func(m int64) {
		for m > 0 {
			k := min(int64(width-col), m)
			emit(ns[:k])
			m -= k
		}
	}
	var pos int64 = 1 // the next base to write
	for i, l := range lines[1:] {
		start, bases, ok := strings.Cut(l, "\t")
		s, err := strconv.ParseInt(start, 10, 64)
		if !ok || err != nil || s < pos || s+int64(len(bases))-1 > n {
			return fmt.Errorf("sequence runs: line %d: bad or out-of-order run", i+2)
		}
		gap(s - pos)
		emit(bases)
		pos = s + int64(len(bases))
	}
	gap(n - pos + 1)
	if col != 0 {
		w.WriteByte('\n')
	}
	return nil
}

// DemoVCF returns the example VCF matching the demo bundle: the Ensembl VEP
// test sample (132 chr21 records) and bcftools csq test records on the
// slices. The caller may modify the returned slice.
func DemoVCF() []byte {
	data, err := demoFS.ReadFile("demo/demo.vcf")
	if err != nil {
		// The file is embedded at compile time; this cannot happen.
		return nil
	}
	return data
}

// demoRuns are the known bases of the demo's contig 21, parsed once.
var demoRuns = sync.OnceValue(func() []demoRun {
	var buf bytes.Buffer
	if gunzipInto(&buf, "demo/chr21_exons.txt.gz") != nil {
		return nil // embedded at compile time and read by TestDemoChr21Base
	}
	var runs []demoRun
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n")[1:] {
		start, bases, _ := strings.Cut(l, "\t")
		s, _ := strconv.ParseInt(start, 10, 64)
		runs = append(runs, demoRun{s, bases})
	}
	return runs
})

type demoRun struct {
	start int64
	bases string
}

// DemoChr21Base returns the demo bundle's base at pos (1-based) of contig
// 21, or 'N' where the demo does not know it (outside the coding exons of
// 21:25-26 Mb). Tests that make up records on 21 take their REF from it, so
// that the engine's REF check passes where the demo has sequence.
func DemoChr21Base(pos int64) byte {
	runs := demoRuns()
	i := sort.Search(len(runs), func(i int) bool { return runs[i].start > pos }) - 1
	if i < 0 || pos >= runs[i].start+int64(len(runs[i].bases)) {
		return 'N'
	}
	return runs[i].bases[pos-runs[i].start]
}
