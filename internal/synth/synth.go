// Package synth writes deterministic synthetic benchmark inputs: a genome
// FASTA (+ .fai), an Ensembl-style GFF3 gene model with valid coding
// sequences, a sorted VCF of variants whose REF alleles match the genome, a
// known-variants VCF that partly overlaps it, and BED region tracks.
//
// Everything is streamed chromosome by chromosome and window by window, so a
// whole-genome-scale input (3 Gb, 250k transcripts, 5M variants) can be
// written with memory bounded by the gene structures of one chromosome: the
// sequence of each gene is regenerated from its own random stream when the
// writer reaches it instead of being kept.
package synth

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// File names written into Options.OutDir. Track files are named
// "<track name>.bed".
const (
	FASTAFile    = "genome.fa"
	FAIFile      = "genome.fa.fai"
	GFFFile      = "genes.gff3"
	VariantsFile = "variants.vcf"
	KnownFile    = "known.vcf"
)

// Limits keep the output usable by the tools it is compared against
// (htslib positions are 32-bit) and keep option mistakes from producing
// something absurd instead of an error.
const (
	MinChromLen = 10_000
	MaxChromLen = 1<<31 - 1
	MaxChroms   = 10_000
	MaxSamples  = 100_000
)

// Options describe one synthetic data set. The same options (including
// Seed) always produce byte-identical files.
type Options struct {
	Seed     uint64 // random seed; every stream is derived from it
	Chroms   int    // number of chromosomes, named "1".."N"
	ChromLen int    // length of every chromosome in bases
	Genes    int    // protein-coding genes over the whole genome, each with 1–3 transcripts
	// NonCoding adds lncRNA genes (1–2 transcripts, exons and GT..AG introns,
	// no CDS) in slots of their own between the coding genes. Zero leaves
	// the output exactly as without the option.
	NonCoding int
	Variants  int // records in variants.vcf (about half inside genes)
	// Samples adds a GT column per sample to variants.vcf (S1, S2, …) with
	// phased diploid genotypes: each record draws an allele frequency (half
	// of the records rare, under 2%, the rest up to 50%) and every
	// haplotype carries an ALT with that probability. Zero writes a
	// sites-only file, exactly as without the option.
	Samples int
	Known   int // records in known.vcf
	Tracks  []TrackSpec
	OutDir  string // created if missing; existing files of the same names are replaced
}

// TrackSpec asks for one BED track of Intervals random intervals, written to
// OutDir/<Name>.bed.
type TrackSpec struct {
	Name      string
	Intervals int
}

// Stats describes what Generate wrote.
type Stats struct {
	Contigs        int            `json:"contigs"`
	Bases          int64          `json:"bases"`
	Genes          int            `json:"genes"`                  // protein-coding genes
	NonCodingGenes int            `json:"non_coding_genes"`       // lncRNA genes
	Transcripts    int            `json:"transcripts"`            // all transcripts
	NonCodingTx    int            `json:"non_coding_transcripts"` // of which lncRNA
	Exons          int            `json:"exons"`                  // exon features over all transcripts
	Variants       int64          `json:"variants"`
	SNVs           int64          `json:"snvs"`          // records whose alleles are all single bases
	Indels         int64          `json:"indels"`        // insertion and deletion records
	MultiAllelic   int64          `json:"multi_allelic"` // records with more than one ALT
	InGenes        int64          `json:"in_genes"`      // records whose POS lies inside a gene
	Known          int64          `json:"known"`
	KnownMatching  int64          `json:"known_matching"` // known records with the same allele as a variant
	Samples        int            `json:"samples,omitempty"`
	TrackIntervals map[string]int `json:"track_intervals"`
	Files          []string       `json:"files"` // names relative to OutDir
}

// ParseTrackSpecs parses a comma-separated list of name:count pairs, e.g.
// "cpg:1000,gwas:30000". An empty string gives no tracks.
func ParseTrackSpecs(s string) ([]TrackSpec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var out []TrackSpec
	for _, part := range strings.Split(s, ",") {
		name, count, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok {
			return nil, fmt.Errorf("track spec %q: want name:count", part)
		}
		n, err := strconv.Atoi(count)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("track spec %q: count must be a non-negative integer", part)
		}
		out = append(out, TrackSpec{Name: name, Intervals: n})
	}
	if err := validateTracks(out); err != nil {
		return nil, err
	}
	return out, nil
}

func validateTracks(tracks []TrackSpec) error {
	seen := make(map[string]bool, len(tracks))
	for _, t := range tracks {
		if !validTrackName(t.Name) {
			return fmt.Errorf("track name %q: use letters, digits and _ only, starting with a letter (it becomes an INFO key and a file name)", t.Name)
		}
		if seen[t.Name] {
			return fmt.Errorf("track name %q given twice", t.Name)
		}
		seen[t.Name] = true
		if t.Intervals < 0 {
			return fmt.Errorf("track %q: negative interval count %d", t.Name, t.Intervals)
		}
	}
	return nil
}

func validTrackName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i, c := range s {
		letter := c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
		if i == 0 && !letter {
			return false
		}
		if !letter && !(c >= '0' && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// minGeneSlot is the smallest stretch of chromosome one gene may be given:
// below it the exon/intron layout degenerates.
const minGeneSlot = 1500

// Validate reports the first problem with the options, as a message meant
// for the person who typed them.
func (o *Options) Validate() error {
	switch {
	case o.OutDir == "":
		return errors.New("synth: no output directory")
	case o.Chroms < 1 || o.Chroms > MaxChroms:
		return fmt.Errorf("synth: chromosomes must be between 1 and %d, got %d", MaxChroms, o.Chroms)
	case o.ChromLen < MinChromLen || o.ChromLen > MaxChromLen:
		return fmt.Errorf("synth: chromosome length must be between %d and %d, got %d", MinChromLen, MaxChromLen, o.ChromLen)
	case o.Genes < 0:
		return fmt.Errorf("synth: negative gene count %d", o.Genes)
	case o.NonCoding < 0:
		return fmt.Errorf("synth: negative non-coding gene count %d", o.NonCoding)
	case o.Variants < 0:
		return fmt.Errorf("synth: negative variant count %d", o.Variants)
	case o.Known < 0:
		return fmt.Errorf("synth: negative known-variant count %d", o.Known)
	case o.Samples < 0 || o.Samples > MaxSamples:
		return fmt.Errorf("synth: samples must be between 0 and %d, got %d", MaxSamples, o.Samples)
	}
	genesPerChrom := (o.Genes+o.Chroms-1)/o.Chroms + (o.NonCoding+o.Chroms-1)/o.Chroms
	if genesPerChrom > 0 && o.ChromLen/genesPerChrom < minGeneSlot {
		return fmt.Errorf("synth: %d genes on %d chromosomes of %d bases leave %d bases per gene; need at least %d",
			o.Genes+o.NonCoding, o.Chroms, o.ChromLen, o.ChromLen/genesPerChrom, minGeneSlot)
	}
	total := int64(o.Chroms) * int64(o.ChromLen)
	// One record per 5 bases on average keeps positions distinct and the
	// windows sane.
	if int64(o.Variants) > total/5 {
		return fmt.Errorf("synth: %d variants is too dense for a %d-base genome (at most one per 5 bases)", o.Variants, total)
	}
	if int64(o.Known) > total/5 {
		return fmt.Errorf("synth: %d known variants is too dense for a %d-base genome (at most one per 5 bases)", o.Known, total)
	}
	if err := validateTracks(o.Tracks); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	return nil
}

// Generate writes the data set described by opt into opt.OutDir. It checks
// ctx between windows of sequence and returns ctx.Err() when cancelled,
// leaving partial files behind.
func Generate(ctx context.Context, opt Options) (*Stats, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opt.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("synth: create output directory: %w", err)
	}
	return generate(ctx, opt, func(name string) (io.WriteCloser, error) {
		return os.Create(filepath.Join(opt.OutDir, name))
	})
}

// generate is Generate with the file creation injected, so that tests can
// stream a large data set into nothing and watch the memory.
func generate(ctx context.Context, opt Options, create func(name string) (io.WriteCloser, error)) (*Stats, error) {
	g := &generator{opt: opt, stats: &Stats{TrackIntervals: map[string]int{}}, newFile: create}
	if err := g.open(); err != nil {
		g.closeAll()
		return nil, err
	}
	err := g.run(ctx)
	if cerr := g.closeAll(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	return g.stats, nil
}

// output is one buffered output file.
type output struct {
	name string
	f    io.WriteCloser
	w    *bufio.Writer
}

type generator struct {
	opt     Options
	newFile func(name string) (io.WriteCloser, error)
	stats   *Stats
	fa      *output
	gff     *output
	vcf     *output
	known   *output
	tracks  []*output
	outs    []*output
	// faOffset is the byte offset in the FASTA of what is written next, for
	// the .fai index.
	faOffset int64
	fai      strings.Builder
	rsNext   int64
}

func (g *generator) create(name string) (*output, error) {
	f, err := g.newFile(name)
	if err != nil {
		return nil, fmt.Errorf("synth: create %s: %w", name, err)
	}
	o := &output{name: name, f: f, w: bufio.NewWriterSize(f, 1<<18)}
	g.outs = append(g.outs, o)
	g.stats.Files = append(g.stats.Files, name)
	return o, nil
}

func (g *generator) open() error {
	var err error
	if g.fa, err = g.create(FASTAFile); err != nil {
		return err
	}
	if g.gff, err = g.create(GFFFile); err != nil {
		return err
	}
	if g.vcf, err = g.create(VariantsFile); err != nil {
		return err
	}
	if g.known, err = g.create(KnownFile); err != nil {
		return err
	}
	for _, t := range g.opt.Tracks {
		o, err := g.create(t.Name + ".bed")
		if err != nil {
			return err
		}
		g.tracks = append(g.tracks, o)
	}
	return nil
}

// closeAll flushes and closes every file, returning the first error.
func (g *generator) closeAll() error {
	var first error
	for _, o := range g.outs {
		if err := o.w.Flush(); err != nil && first == nil {
			first = fmt.Errorf("synth: write %s: %w", o.name, err)
		}
		if err := o.f.Close(); err != nil && first == nil {
			first = fmt.Errorf("synth: close %s: %w", o.name, err)
		}
	}
	g.outs = nil
	return first
}

func chromName(i int) string { return strconv.Itoa(i + 1) }

// share splits total over n parts as evenly as possible, the first parts
// taking the remainder, and returns part i.
func share(total, n, i int) int {
	s := total / n
	if i < total%n {
		s++
	}
	return s
}

func (g *generator) run(ctx context.Context) error {
	o := g.opt
	g.writeHeaders()
	geneBase := 0
	for c := 0; c < o.Chroms; c++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		nGenes := share(o.Genes, o.Chroms, c)
		nNonCoding := share(o.NonCoding, o.Chroms, c)
		genes, err := layoutGenes(o.Seed, c, geneBase, nGenes, nNonCoding, o.ChromLen)
		if err != nil {
			return err
		}
		geneBase += nGenes + nNonCoding
		g.writeGFF(chromName(c), genes)
		if err := g.writeChrom(ctx, c, genes); err != nil {
			return err
		}
		g.writeTracks(c)
	}
	// The index is tiny (one line per contig), so it is kept until the end.
	fai, err := g.create(FAIFile)
	if err != nil {
		return err
	}
	fai.w.WriteString(g.fai.String())
	g.stats.Contigs = o.Chroms
	g.stats.Samples = o.Samples
	g.stats.Bases = int64(o.Chroms) * int64(o.ChromLen)
	return nil
}

func (g *generator) writeHeaders() {
	o := g.opt
	fmt.Fprintf(g.gff.w, "##gff-version 3\n")
	for c := 0; c < o.Chroms; c++ {
		fmt.Fprintf(g.gff.w, "##sequence-region   %s 1 %d\n", chromName(c), o.ChromLen)
	}
	contigs := func(w *bufio.Writer) {
		for c := 0; c < o.Chroms; c++ {
			fmt.Fprintf(w, "##contig=<ID=%s,length=%d>\n", chromName(c), o.ChromLen)
		}
	}
	fmt.Fprintf(g.vcf.w, "##fileformat=VCFv4.2\n##source=gas-synth seed=%d\n", o.Seed)
	contigs(g.vcf.w)
	if o.Samples > 0 {
		fmt.Fprintf(g.vcf.w, "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n")
		g.vcf.w.WriteString("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT")
		for i := 1; i <= o.Samples; i++ {
			g.vcf.w.WriteString("\tS" + strconv.Itoa(i))
		}
		g.vcf.w.WriteString("\n")
	} else {
		fmt.Fprintf(g.vcf.w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
	}
	fmt.Fprintf(g.known.w, "##fileformat=VCFv4.2\n##source=gas-synth seed=%d\n", o.Seed)
	contigs(g.known.w)
	fmt.Fprintf(g.known.w, "##INFO=<ID=MAF,Number=1,Type=Float,Description=\"Minor allele frequency (synthetic)\">\n")
	fmt.Fprintf(g.known.w, "##INFO=<ID=AF_EUR,Number=A,Type=Float,Description=\"Allele frequency in EUR (synthetic)\">\n")
	fmt.Fprintf(g.known.w, "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n")
}
